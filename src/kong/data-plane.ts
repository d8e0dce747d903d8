import { ClusterMtlsMode } from './certificate-profile';
import { dataPlaneConfig, Endpoint, KongHybridConfig, KongValue } from './config';
import { KongFleetError } from './errors';
import { checkDataPlaneCompatible, parseKongVersion } from './version';

/**
 * One data plane, described independently of its runtime (EKS, ECS, EC2, any Kubernetes): plain
 * data, no CDK. Every runtime renders its Kong settings from this with {@link dataPlaneSettings};
 * only the {@link PlaneSecretBindings} differ.
 */
export interface DataPlaneSpec {
  /** Name of the data plane in the fleet (a DNS label); the `dp` label of `cluster_dp_labels`. */
  readonly name: string;
  /** Kong Gateway version of the data plane. */
  readonly version: string;
  /** Kong Gateway version of its control plane (DP: same major, minor not newer). */
  readonly controlPlaneVersion: string;
  /** `cluster_control_plane`. */
  readonly clusterEndpoint: Endpoint;
  /** `cluster_telemetry_endpoint`. */
  readonly telemetryEndpoint: Endpoint;
  /** `cluster_mtls`. */
  readonly clusterMtls: ClusterMtlsMode;
  /** Extra `cluster_dp_labels`. */
  readonly labels?: Record<string, string>;
  /** Extra kong.conf settings (lower-case names). */
  readonly kongSettings?: Record<string, KongValue>;
}

/**
 * How a runtime hands Kong its secrets: a file path (Kubernetes mounts, EC2 files written at boot)
 * or a `SecretRef` the runtime resolves (ECS container secrets). The only part of a data plane's
 * Kong settings that differs between runtimes.
 */
export interface PlaneSecretBindings {
  readonly clusterCert: KongValue;
  readonly clusterCertKey: KongValue;
  /** pki mode only. */
  readonly clusterCaCert?: KongValue;
  /** Present when the fleet has an Enterprise license. */
  readonly license?: KongValue;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Checks a data plane's name and its version against its control plane's. */
export function validateDataPlaneSpec(
  spec: Pick<DataPlaneSpec, 'name' | 'version' | 'controlPlaneVersion'>,
  where: string,
): void {
  if (!DNS_LABEL.test(spec.name)) {
    throw new KongFleetError(`${where}.dataPlaneName`, 'is not a DNS label', {
      got: spec.name,
      expected: 'lower-case letters, digits and hyphens, at most 63',
    });
  }
  parseKongVersion(spec.version, `${where}.kongVersion`);
  checkDataPlaneCompatible(spec.version, spec.controlPlaneVersion, `${where}.kongVersion`);
}

/**
 * The Kong settings of a data plane, the same for every runtime except `bindings`. pki mode sets
 * `cluster_server_name` / `cluster_telemetry_server_name` to the CP's DNS names (the SANs of its
 * certificate) and needs the CA; shared mode leaves the names to Kong (`kong_clustering`).
 */
export function dataPlaneSettings(spec: DataPlaneSpec, bindings: PlaneSecretBindings, where: string): KongHybridConfig {
  validateDataPlaneSpec(spec, where);
  const pki = spec.clusterMtls === 'pki';
  if (pki && bindings.clusterCaCert === undefined) {
    throw new KongFleetError(`${where}.clusterCaCert`, 'pki mode needs the CA of the cluster credentials', {
      got: undefined,
    });
  }
  return dataPlaneConfig(
    {
      version: spec.version,
      clusterControlPlane: spec.clusterEndpoint,
      clusterTelemetryEndpoint: spec.telemetryEndpoint,
      clusterMtls: spec.clusterMtls,
      clusterCert: bindings.clusterCert,
      clusterCertKey: bindings.clusterCertKey,
      clusterCaCert: pki ? bindings.clusterCaCert : undefined,
      clusterServerName: pki ? spec.clusterEndpoint.host : undefined,
      clusterTelemetryServerName: pki ? spec.telemetryEndpoint.host : undefined,
      license: bindings.license,
      dpLabels: { dp: spec.name, ...spec.labels },
      extra: spec.kongSettings,
    },
    `${where}.kong`,
  );
}
