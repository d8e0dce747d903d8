import { Stack, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { dataPlaneConfig, KongHybridConfig, KongValue } from '../kong/config';
import { KongFleetError } from '../kong/errors';
import { checkDataPlaneCompatible, parseKongVersion } from '../kong/version';
import { ClusterCredentials } from './cluster-credentials';
import { IKongControlPlaneConnection } from './control-plane-connection';

/**
 * What every data-plane construct (EKS, ECS, EC2, any Kubernetes) is asked for, whatever the
 * runtime: one data-plane definition.
 */
export interface DataPlaneDefinition {
  /** The control plane this data plane joins (endpoints, trust, version, license). */
  readonly controlPlane: IKongControlPlaneConnection;
  /** Name of the data plane in the fleet (a DNS label). */
  readonly dataPlaneName: string;
  /** Kong Gateway version; same major as the CP and not a newer minor. */
  readonly kongVersion: string;
  /** Extra `cluster_dp_labels` (the `dp` label with the data plane name is always set). */
  readonly labels?: Record<string, string>;
  /** Extra kong.conf settings (lower-case names). */
  readonly kongSettings?: Record<string, KongValue>;
}

/**
 * How a runtime hands Kong its secrets: a mounted file path (EKS, any Kubernetes, EC2) or a
 * `SecretRef` the runtime resolves (ECS container secrets). The only part of a data plane's Kong
 * settings that differs between runtimes.
 */
export interface PlaneSecretBindings {
  readonly clusterCert: KongValue;
  readonly clusterCertKey: KongValue;
  /** pki mode only. */
  readonly clusterCaCert?: KongValue;
  /** Present when the control plane has a license. */
  readonly license?: KongValue;
}

/** Validates a data-plane name and version against its control plane; returns the definition's version. */
export function validateDataPlaneDefinition(definition: DataPlaneDefinition, where: string): void {
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(definition.dataPlaneName)) {
    throw new KongFleetError(`${where}.dataPlaneName`, 'is not a DNS label', {
      got: definition.dataPlaneName,
      expected: 'lower-case letters, digits and hyphens, at most 63',
    });
  }
  parseKongVersion(definition.kongVersion, `${where}.kongVersion`);
  checkDataPlaneCompatible(definition.kongVersion, definition.controlPlane.kongVersion, `${where}.kongVersion`);
}

/**
 * The Kong settings of a data plane: the same for every runtime except `bindings`. pki mode sets
 * `cluster_server_name` / `cluster_telemetry_server_name` to the CP's DNS names (the SANs of its
 * certificate); shared mode leaves them to Kong (`kong_clustering`).
 */
export function dataPlaneKongConfig(
  definition: DataPlaneDefinition,
  credentials: ClusterCredentials,
  bindings: PlaneSecretBindings,
  where: string,
): KongHybridConfig {
  const cp = definition.controlPlane;
  const pki = credentials.mode === 'pki';
  if (pki && bindings.clusterCaCert === undefined) {
    throw new KongFleetError(`${where}.clusterCaCert`, 'pki mode needs the CA from the credentials secret', {
      got: undefined,
    });
  }
  return dataPlaneConfig(
    {
      version: definition.kongVersion,
      clusterControlPlane: cp.clusterEndpoint,
      clusterTelemetryEndpoint: cp.telemetryEndpoint,
      clusterMtls: credentials.mode,
      clusterCert: bindings.clusterCert,
      clusterCertKey: bindings.clusterCertKey,
      clusterCaCert: pki ? bindings.clusterCaCert : undefined,
      clusterServerName: pki ? cp.clusterEndpoint.host : undefined,
      clusterTelemetryServerName: pki ? cp.telemetryEndpoint.host : undefined,
      license: bindings.license,
      dpLabels: { dp: definition.dataPlaneName, ...definition.labels },
      extra: definition.kongSettings,
    },
    `${where}.kong`,
  );
}

/**
 * The control plane's license as a data plane in `scope` reads it. Runtimes read Secrets Manager
 * in their own region, so a data plane in another region than the control plane reads a secret of
 * the same name there (create or replicate it; see docs/operations.md).
 */
export function regionalLicenseSecret(
  scope: Construct,
  license: secretsmanager.ISecret | undefined,
): secretsmanager.ISecret | undefined {
  if (!license) return undefined;
  const here = Stack.of(scope).region;
  const there = Stack.of(license).region;
  if (Token.isUnresolved(here) || Token.isUnresolved(there) || here === there) return license;
  if (Token.isUnresolved(license.secretName)) {
    throw new KongFleetError(
      `${scope.node.path}.controlPlane.licenseSecret`,
      'a data plane in another region needs the license secret by name',
      {
        got: 'a secret whose name is only known at deploy time',
        expected: 'the control plane license given as secretsmanager.Secret.fromSecretNameV2(...)',
      },
    );
  }
  return secretsmanager.Secret.fromSecretNameV2(scope, 'License', license.secretName);
}
