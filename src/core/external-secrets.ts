import { Duration, Stack } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IDependable } from 'constructs';

/** External Secrets Operator chart, pinned. */
export const EXTERNAL_SECRETS_CHART = {
  repository: 'https://charts.external-secrets.io',
  chart: 'external-secrets',
  version: '0.19.2',
} as const;

const ESO_NAMESPACE = 'external-secrets';
const ESO_SERVICE_ACCOUNT = 'external-secrets';
const STORE_NAME = 'aws-secrets-manager';

/** Properties of {@link ExternalSecretsOperator}. */
export interface ExternalSecretsOperatorProps {
  /** The cluster to install the operator into. */
  readonly cluster: eks.Cluster;
}

/** One key of a Kubernetes Secret filled from a Secrets Manager secret. */
export interface SyncedKey {
  /** Key in the Kubernetes Secret (e.g. `tls.crt`). */
  readonly secretKey: string;
  /**
   * JSON property of the Secrets Manager secret.
   * @default - the whole secret string
   */
  readonly property?: string;
}

/** A Kubernetes Secret kept in sync with a Secrets Manager secret. */
export interface SyncSecretOptions {
  /** Namespace of the Kubernetes Secret. */
  readonly namespace: string;
  /** Name of the Kubernetes Secret. */
  readonly name: string;
  /** The Secrets Manager secret to read. */
  readonly source: secretsmanager.ISecret;
  /** KMS key of the source secret, if customer-managed. */
  readonly sourceKey?: kms.IKey;
  /** Keys to fill. */
  readonly keys: SyncedKey[];
  /**
   * Kubernetes Secret type.
   * @default 'Opaque'
   */
  readonly type?: string;
  /** Resources that must exist first (namespace, the resource that fills the source). */
  readonly dependsOn?: IDependable[];
  /**
   * How often the operator re-reads the source (a Go duration).
   * @default '1h'
   */
  readonly refreshInterval?: string;
}

/**
 * External Secrets Operator with a ClusterSecretStore for this region's Secrets Manager,
 * authenticated through IRSA. Secrets reach pods at run time and never pass through the
 * CloudFormation template; the operator's role may read exactly the secrets that were synced.
 */
export class ExternalSecretsOperator extends Construct {
  private readonly cluster: eks.Cluster;
  private readonly serviceAccount: eks.ServiceAccount;
  private readonly store: eks.KubernetesManifest;

  constructor(scope: Construct, id: string, props: ExternalSecretsOperatorProps) {
    super(scope, id);
    this.cluster = props.cluster;
    const namespace = new eks.KubernetesManifest(this, 'Namespace', {
      cluster: this.cluster,
      manifest: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ESO_NAMESPACE } }],
    });
    this.serviceAccount = new eks.ServiceAccount(this, 'ServiceAccount', {
      cluster: this.cluster,
      name: ESO_SERVICE_ACCOUNT,
      namespace: ESO_NAMESPACE,
    });
    this.serviceAccount.node.addDependency(namespace);
    const chart = new eks.HelmChart(this, 'Chart', {
      cluster: this.cluster,
      ...EXTERNAL_SECRETS_CHART,
      release: 'external-secrets',
      namespace: ESO_NAMESPACE,
      wait: true,
      timeout: Duration.minutes(10),
      values: {
        installCRDs: true,
        serviceAccount: { create: false, name: ESO_SERVICE_ACCOUNT },
      },
    });
    chart.node.addDependency(this.serviceAccount);
    this.store = new eks.KubernetesManifest(this, 'Store', {
      cluster: this.cluster,
      manifest: [
        {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ClusterSecretStore',
          metadata: { name: STORE_NAME },
          spec: { provider: { aws: { service: 'SecretsManager', region: Stack.of(this).region } } },
        },
      ],
    });
    this.store.node.addDependency(chart);
  }

  /**
   * Read access for the operator to one secret, as a policy on the operator's role created in
   * `scope` (the release that needs it). The secret and its key may live in another stack (a data
   * plane's certificate, the license) and the cluster in a third (a shared cluster): the policy
   * lives with the consumer, so neither the secret's nor the cluster's stack depends on it. The
   * key's default policy delegates to IAM in its account; `kms:ViaService` limits decryption to
   * reads through Secrets Manager.
   */
  private grantRead(scope: Construct, id: string, secret: secretsmanager.ISecret, key?: kms.IKey): void {
    const statements = [
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
        resources: [secret.secretArn],
      }),
    ];
    if (key) {
      statements.push(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
        }),
      );
    }
    new iam.Policy(scope, id, { roles: [this.serviceAccount.role], statements });
  }

  /**
   * Keeps a Kubernetes Secret in sync with a Secrets Manager secret; grants the operator read access.
   * The ExternalSecret is created under `scope` (the Kong release that uses it, possibly in another
   * stack than the cluster), so a release's secrets live and die with the release.
   */
  public syncSecret(scope: Construct, id: string, options: SyncSecretOptions): eks.KubernetesManifest {
    this.grantRead(scope, `${id}ReadAccess`, options.source, options.sourceKey);
    // A secret imported by name has only a partial ARN: address it by name instead.
    const remoteKey = options.source.secretFullArn ?? options.source.secretName;
    const manifest = new eks.KubernetesManifest(scope, id, {
      cluster: this.cluster,
      manifest: [
        {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          metadata: { name: options.name, namespace: options.namespace },
          spec: {
            refreshInterval: options.refreshInterval ?? '1h',
            secretStoreRef: { kind: 'ClusterSecretStore', name: STORE_NAME },
            target: {
              name: options.name,
              creationPolicy: 'Owner',
              template: { type: options.type ?? 'Opaque' },
            },
            data: options.keys.map((k) => ({
              secretKey: k.secretKey,
              remoteRef: { key: remoteKey, ...(k.property ? { property: k.property } : {}) },
            })),
          },
        },
      ],
    });
    manifest.node.addDependency(this.store);
    for (const d of options.dependsOn ?? []) manifest.node.addDependency(d);
    return manifest;
  }
}
