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
  /**
   * Kong Gateway version of its control plane (DP: same major, minor not newer). Not compared with a
   * Konnect control plane, which always runs the newest version.
   */
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
  /**
   * The control plane is hosted by Kong Konnect: `konnect_mode = on`, pki with the system trust
   * store instead of a cluster CA, endpoints on 443, no version rule against the control plane.
   * @default false
   */
  readonly konnect?: boolean;
}

/**
 * How a runtime hands Kong its secrets: a file path (Kubernetes mounts, EC2 files written at boot)
 * or a `SecretRef` the runtime resolves (ECS container secrets). The only part of a data plane's
 * Kong settings that differs between runtimes.
 */
export interface PlaneSecretBindings {
  readonly clusterCert: KongValue;
  readonly clusterCertKey: KongValue;
  /** pki mode with a self-hosted control plane only (see {@link usesClusterCa}). */
  readonly clusterCaCert?: KongValue;
  /** Present when the fleet has an Enterprise license. */
  readonly license?: KongValue;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Whether a data plane verifies its control plane against a cluster CA (`cluster_ca_cert`, the `ca`
 * of its credentials): pki mode with a self-hosted control plane. A Konnect control plane's
 * certificate chains to a public CA in the system trust store, and Konnect's credentials carry no CA.
 */
export function usesClusterCa(spec: Pick<DataPlaneSpec, 'clusterMtls' | 'konnect'>): boolean {
  return spec.clusterMtls === 'pki' && spec.konnect !== true;
}

/**
 * Checks a data plane's name and version, and its version against its control plane's — except
 * for a Konnect control plane, which runs the newest version.
 */
export function validateDataPlaneSpec(
  spec: Pick<DataPlaneSpec, 'name' | 'version' | 'controlPlaneVersion' | 'konnect'>,
  where: string,
): void {
  if (!DNS_LABEL.test(spec.name)) {
    throw new KongFleetError(`${where}.dataPlaneName`, 'is not a DNS label', {
      got: spec.name,
      expected: 'lower-case letters, digits and hyphens, at most 63',
    });
  }
  parseKongVersion(spec.version, `${where}.kongVersion`);
  if (spec.konnect !== true) checkDataPlaneCompatible(spec.version, spec.controlPlaneVersion, `${where}.kongVersion`);
}

/**
 * The Kong settings of a data plane, the same for every runtime except `bindings`. pki mode sets
 * `cluster_server_name` / `cluster_telemetry_server_name` to the CP's DNS names (the SANs of its
 * certificate) and needs the CA; shared mode leaves the names to Kong (`kong_clustering`). A Konnect
 * data plane (`spec.konnect`) renders `konnect_mode = on` and the system trust store instead of a CA.
 */
export function dataPlaneSettings(spec: DataPlaneSpec, bindings: PlaneSecretBindings, where: string): KongHybridConfig {
  validateDataPlaneSpec(spec, where);
  const pki = spec.clusterMtls === 'pki';
  const konnect = spec.konnect === true;
  if (konnect && !pki) {
    throw new KongFleetError(
      `${where}.clusterMtls`,
      'Konnect data planes authenticate with their own certificate (pki)',
      {
        got: spec.clusterMtls,
        expected: 'pki',
      },
    );
  }
  if (usesClusterCa(spec) && bindings.clusterCaCert === undefined) {
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
      clusterCaCert: usesClusterCa(spec) ? bindings.clusterCaCert : undefined,
      clusterServerName: pki ? spec.clusterEndpoint.host : undefined,
      clusterTelemetryServerName: pki ? spec.telemetryEndpoint.host : undefined,
      license: bindings.license,
      dpLabels: { dp: spec.name, ...spec.labels },
      konnectMode: konnect || undefined,
      extra: spec.kongSettings,
    },
    `${where}.kong`,
  );
}
