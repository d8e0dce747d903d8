import { Stack, Token } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { KongHybridConfig, KongValue } from '../kong/config';
import { DataPlaneSpec, dataPlaneSettings, PlaneSecretBindings, validateDataPlaneSpec } from '../kong/data-plane';
import { KongFleetError } from '../kong/errors';
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

/** The runtime-independent Kong spec of a data plane definition. */
export function dataPlaneSpec(definition: DataPlaneDefinition, credentials: ClusterCredentials): DataPlaneSpec {
  const cp = definition.controlPlane;
  return {
    name: definition.dataPlaneName,
    version: definition.kongVersion,
    controlPlaneVersion: cp.kongVersion,
    clusterEndpoint: cp.clusterEndpoint,
    telemetryEndpoint: cp.telemetryEndpoint,
    clusterMtls: credentials.mode,
    labels: definition.labels,
    kongSettings: definition.kongSettings,
  };
}

/** Validates a data-plane name and version against its control plane, before anything is built. */
export function validateDataPlaneDefinition(definition: DataPlaneDefinition, where: string): void {
  validateDataPlaneSpec(
    {
      name: definition.dataPlaneName,
      version: definition.kongVersion,
      controlPlaneVersion: definition.controlPlane.kongVersion,
    },
    where,
  );
}

/** The Kong settings of a data plane on any AWS runtime: {@link dataPlaneSettings} of its definition. */
export function dataPlaneKongConfig(
  definition: DataPlaneDefinition,
  credentials: ClusterCredentials,
  bindings: PlaneSecretBindings,
  where: string,
): KongHybridConfig {
  return dataPlaneSettings(dataPlaneSpec(definition, credentials), bindings, where);
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
