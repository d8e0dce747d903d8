import {
  KongFleetError,
  KongHybridConfig,
  controlPlaneConfig,
  dataPlaneConfig,
  endpoint,
  secretRef,
} from '../../src/kong';

/** The KongFleetError `fn` throws; fails the test when it throws nothing or something else. */
export function errorOf(fn: () => unknown): KongFleetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(KongFleetError);
    return e as KongFleetError;
  }
  throw new Error('expected a KongFleetError, nothing was thrown');
}

/** Cluster credentials as the EKS runtimes pass them: files from a mounted Secret. */
export const CERT_FILES = {
  clusterCert: '/etc/secrets/kong-cluster-cert/tls.crt',
  clusterCertKey: '/etc/secrets/kong-cluster-cert/tls.key',
  clusterCaCert: '/etc/secrets/kong-cluster-cert/ca.crt',
};

export const POSTGRES = {
  host: 'kong-db.abc123.eu-west-1.rds.amazonaws.com',
  user: secretRef('kong-postgres', 'username'),
  password: secretRef('kong-postgres', 'password'),
};

export const LICENSE = secretRef('kong-license', 'license');

/** Full pki control plane: license, extra settings. */
export function pkiControlPlane(): KongHybridConfig {
  return controlPlaneConfig({
    version: '3.10.0.6',
    postgres: POSTGRES,
    clusterMtls: 'pki',
    ...CERT_FILES,
    license: LICENSE,
    extra: { nginx_worker_processes: 'auto', cluster_max_payload: '16777216' },
  });
}

/** Full pki data plane: server names, labels, license, extra settings. */
export function pkiDataPlane(): KongHybridConfig {
  return dataPlaneConfig({
    version: '3.10.0.6',
    clusterMtls: 'pki',
    ...CERT_FILES,
    clusterControlPlane: endpoint('cp.kong.example.com', 8005),
    clusterTelemetryEndpoint: endpoint('tp.kong.example.com', 8006),
    clusterServerName: 'cp.kong.example.com',
    clusterTelemetryServerName: 'tp.kong.example.com',
    license: LICENSE,
    dpLabels: { region: 'eu-west-1', runtime: 'ecs' },
    extra: { nginx_worker_processes: 'auto', cluster_fallback_config_import: 'on' },
  });
}

/** Shared-mode control plane with secrets passed as values (ECS style). */
export function sharedControlPlane(): KongHybridConfig {
  return controlPlaneConfig({
    postgres: { ...POSTGRES, port: 5433, database: 'kong_cp', sslVerify: true },
    clusterCert: secretRef('kong-cluster', 'cert'),
    clusterCertKey: secretRef('kong-cluster', 'key'),
    license: '{"license":{"payload":{}}}',
    extra: { log_level: 'info' },
  });
}

/** Shared-mode data plane with secrets passed as values (ECS style). */
export function sharedDataPlane(): KongHybridConfig {
  return dataPlaneConfig({
    clusterCert: secretRef('kong-cluster', 'cert'),
    clusterCertKey: secretRef('kong-cluster', 'key'),
    clusterControlPlane: endpoint('cp.kong.example.com', 8005),
    license: LICENSE,
    dpLabels: { deployment: 'aws' },
    extra: { log_level: 'info' },
  });
}
