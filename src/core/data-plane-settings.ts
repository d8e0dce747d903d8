import { Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { KongHybridConfig, KongValue } from '../kong/config';
import {
  DataPlaneSpec,
  dataPlaneSettings,
  PlaneSecretBindings,
  usesClusterCa,
  validateDataPlaneSpec,
} from '../kong/data-plane';
import { KongFleetError } from '../kong/errors';
import { checkFallbackVersions } from '../kong/fallback-config';
import { jsonAccessLogSettings } from '../kong/log-shipping';
import { awsVaultSettings } from '../kong/vault';
import { ClusterCredentials } from './cluster-credentials';
import { IKongControlPlaneConnection } from './control-plane-connection';
import { KongFallbackConfig } from './kong-fallback-config';
import {
  allowServiceAccess,
  grantVaultRead,
  IKongLogDestination,
  IKongMetricsDestination,
  IKongOidcProvider,
  IKongRedis,
  KongVaultSecret,
} from './shared-services';

/** Props every data-plane construct (EKS, ECS, EC2) takes, whatever its runtime. */
export interface KongDataPlaneBaseProps {
  /** The control plane this data plane joins (endpoints, trust, version, license). */
  readonly controlPlane: IKongControlPlaneConnection;

  /**
   * Name of the data plane in the fleet: a DNS label, used for its certificate (pki mode) and
   * as the `dp` label in `cluster_dp_labels`.
   * @default - the construct ID, lower-cased
   */
  readonly dataPlaneName?: string;

  /**
   * Kong Gateway version (image tag or package version); same major as the CP and not a newer
   * minor.
   * @default - the control plane's version
   */
  readonly kongVersion?: string;

  /**
   * Average CPU utilisation the CPU scaling policy keeps, in percent.
   * @default 70
   */
  readonly targetCpuPercent?: number;

  /**
   * Put the proxy NLB in public subnets.
   * @default false
   */
  readonly proxyInternetFacing?: boolean;

  /**
   * CIDRs allowed to reach the proxy.
   * @default - anywhere when internet-facing, the VPC CIDR when internal
   */
  readonly proxyAllowedCidrs?: string[];

  /**
   * Extra `cluster_dp_labels` (the `dp` label with the data plane name is always set).
   * @default - none
   */
  readonly labels?: Record<string, string>;

  /**
   * Extra kong.conf settings (lower-case names) for the data plane. Not for secrets.
   * @default - none
   */
  readonly kongSettings?: Record<string, string>;

  /**
   * Redis (ElastiCache) of the region for Kong's rate-limiting-advanced and proxy-cache-advanced
   * plugins: the data plane may reach it on its port and read its AUTH token through Kong's AWS
   * vault (`{vault://aws/...}` in the plugin configuration; see KongRedis).
   * @default - no Redis
   */
  readonly redis?: IKongRedis;

  /**
   * Cognito user pool of the region for Kong's openid-connect plugin: the data plane may read the
   * app client's secret through Kong's AWS vault.
   * @default - no OIDC provider
   */
  readonly oidcProvider?: IKongOidcProvider;

  /**
   * OpenSearch domain that receives this data plane's access logs, as JSON, in the index pattern
   * `kong-<dataPlaneName>`; the runtime runs a log shipper for it (ECS FireLens, a Fluent Bit
   * DaemonSet on EKS, Fluent Bit on EC2).
   * @default - access logs stay in the runtime's own logs, in nginx's default format
   */
  readonly accessLogDestination?: IKongLogDestination;

  /**
   * Amazon Managed Prometheus workspace that receives this data plane's Kong metrics (Status API
   * `/metrics`, prometheus plugin), scraped by an OpenTelemetry collector on the runtime and
   * remote-written with SigV4.
   * @default - no metrics collector
   */
  readonly metricsDestination?: IKongMetricsDestination;

  /**
   * Kong's fallback configuration (Kong Gateway Enterprise 3.5+): when this data plane starts and
   * cannot reach its control plane, it loads the configuration last exported to this bucket
   * (`cluster_fallback_config_import`). Its version must be exactly the fallback configuration's
   * `exporterVersion`; its role may read the prefix (a policy in this data plane's stack).
   * @default - no fallback import
   */
  readonly fallbackConfig?: KongFallbackConfig;
}

/** A data-plane construct's base props, resolved and validated. */
export interface ResolvedDataPlane {
  readonly definition: DataPlaneDefinition;
  readonly targetCpuPercent: number;
  /** The license as the data plane's region reads it. */
  readonly licenseSecret?: secretsmanager.ISecret;
  /** Secrets Kong resolves through its AWS vault (Redis AUTH token, OIDC client secret). */
  readonly vaultSecrets: KongVaultSecret[];
  /** The fallback configuration this data plane imports. */
  readonly fallbackConfig?: KongFallbackConfig;
  /**
   * Process environment (not Kong settings) the runtime gives Kong: `AWS_REGION` of a fallback
   * configuration bucket in another region. Empty when nothing is needed.
   */
  readonly environment: Readonly<Record<string, string>>;
}

/** Where a runtime's Kong writes its access log (`/dev/stdout` in containers, a file on EC2). */
export interface DataPlaneRuntimeOptions {
  readonly accessLogTarget: string;
}

/**
 * Fills the defaults of a data-plane construct's base props (name from the construct ID, version
 * from the control plane, 70 % CPU) and validates them before anything is built.
 */
export function resolveDataPlane(
  scope: Construct,
  props: KongDataPlaneBaseProps,
  runtime: DataPlaneRuntimeOptions,
): ResolvedDataPlane {
  const where = scope.node.path;
  const dataPlaneName = props.dataPlaneName ?? scope.node.id.toLowerCase();
  const kongVersion = props.kongVersion ?? props.controlPlane.kongVersion;
  const vaultSecrets = [props.redis?.authToken, props.oidcProvider?.clientSecret].filter(
    (s): s is KongVaultSecret => s !== undefined,
  );
  const fallback = props.fallbackConfig;
  if (fallback) checkFallbackVersions(fallback.exporterVersion, kongVersion, `${where}.kongVersion`);
  const definition: DataPlaneDefinition = {
    controlPlane: props.controlPlane,
    dataPlaneName,
    kongVersion,
    labels: props.labels,
    kongSettings: {
      // What the shared services need from Kong; the user's own settings win.
      ...(vaultSecrets.length > 0 ? awsVaultSettings(Stack.of(scope).region) : {}),
      ...(props.accessLogDestination
        ? jsonAccessLogSettings(runtime.accessLogTarget, dataPlaneName, kongVersion, `${where}.accessLogDestination`)
        : {}),
      ...(fallback ? fallback.importSettings() : {}),
      ...props.kongSettings,
    },
  };
  validateDataPlaneDefinition(definition, where);
  const targetCpuPercent = props.targetCpuPercent ?? 70;
  if (
    !Token.isUnresolved(targetCpuPercent) &&
    (!Number.isInteger(targetCpuPercent) || targetCpuPercent < 10 || targetCpuPercent > 95)
  ) {
    throw new KongFleetError(`${where}.targetCpuPercent`, 'is out of range', {
      got: targetCpuPercent,
      expected: 'an integer 10-95',
    });
  }
  return {
    definition,
    targetCpuPercent,
    licenseSecret: regionalLicenseSecret(scope, props.controlPlane.licenseSecret),
    vaultSecrets,
    fallbackConfig: fallback,
    environment: fallback ? fallback.storageEnvironment(scope) : {},
  };
}

/**
 * The network paths and grants every runtime gives its data plane to the region's shared
 * services: `peer` (tasks, instances or cluster nodes) may reach Redis and OpenSearch on their one
 * port, and `role` (task role, instance role, Kong's service-account role) may read the secrets
 * Kong resolves through its vault and the fallback configuration. Log and metrics shippers get
 * their own grants where they run.
 */
export function connectSharedServices(
  scope: Construct,
  props: KongDataPlaneBaseProps,
  resolved: ResolvedDataPlane,
  access: { readonly role?: iam.IRole; readonly peer: ec2.ISecurityGroup },
): void {
  if (access.role) grantVaultRead(scope, 'VaultSecretsRead', access.role, resolved.vaultSecrets);
  if (resolved.fallbackConfig) {
    if (!access.role) {
      throw new KongFleetError(
        `${scope.node.path}.fallbackConfig`,
        'Kong needs an IAM role to read the fallback configuration',
        {
          expected: 'a runtime that gives Kong a role (task role, instance role, IRSA service account)',
        },
      );
    }
    resolved.fallbackConfig.grantImport(scope, 'FallbackConfigRead', access.role);
  }
  if (props.redis) allowServiceAccess(props.redis, access.peer);
  if (props.accessLogDestination) allowServiceAccess(props.accessLogDestination, access.peer);
}

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
    ...(cp.konnect === true ? { konnect: true } : {}),
  };
}

/**
 * Whether a data plane's runtime binds the `ca` of its credentials (`cluster_ca_cert`): pki mode
 * with a self-hosted control plane. Konnect credentials hold only `cert` and `key`.
 */
export function dataPlaneUsesClusterCa(
  controlPlane: IKongControlPlaneConnection,
  credentials: ClusterCredentials,
): boolean {
  return usesClusterCa({ clusterMtls: credentials.mode, konnect: controlPlane.konnect });
}

/** Validates a data-plane name and version against its control plane, before anything is built. */
export function validateDataPlaneDefinition(definition: DataPlaneDefinition, where: string): void {
  validateDataPlaneSpec(
    {
      name: definition.dataPlaneName,
      version: definition.kongVersion,
      controlPlaneVersion: definition.controlPlane.kongVersion,
      konnect: definition.controlPlane.konnect,
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
