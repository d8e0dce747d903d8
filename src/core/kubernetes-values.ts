import { Token } from 'aws-cdk-lib';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { KongFleetError } from '../kong/errors';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { chartSecretVolumePath } from '../kong/chart';
import { SecretRef } from '../kong/config';
import { isDnsName } from '../kong/net';
import { ClusterCredentials } from './cluster-credentials';
import { SyncedKey, SyncSecretOptions } from './external-secrets';

/** Names of the Kubernetes Secrets kong-fleet syncs into Kong's namespace. */
export const KUBERNETES_SECRET_NAMES = {
  clusterCertificate: 'kong-cluster-cert',
  license: 'kong-license',
  postgres: 'kong-postgres',
} as const;

/**
 * How often the External Secrets Operator re-reads the cluster certificate: a rotated certificate
 * reaches the Kubernetes Secret within this time (then Reloader rolls the pods). Short, because in
 * shared mode every plane must switch within the same few minutes.
 */
export const CLUSTER_CERTIFICATE_REFRESH_INTERVAL = '5m';

/** Keys of the cluster-credential secret (DESIGN.md §4) mapped onto a `kubernetes.io/tls` Secret. */
export function clusterCertificateSecretKeys(mode: 'shared' | 'pki'): SyncedKey[] {
  const keys: SyncedKey[] = [
    { secretKey: 'tls.crt', property: 'cert' },
    { secretKey: 'tls.key', property: 'key' },
  ];
  if (mode === 'pki') keys.push({ secretKey: 'ca.crt', property: 'ca' });
  return keys;
}

/** The model's cluster-trust fields for a plane whose credentials are mounted by the chart. */
export function mountedClusterTrustSettings(credentials: ClusterCredentials) {
  const secret = KUBERNETES_SECRET_NAMES.clusterCertificate;
  return {
    clusterMtls: credentials.mode,
    clusterCert: chartSecretVolumePath(secret, 'tls.crt'),
    clusterCertKey: chartSecretVolumePath(secret, 'tls.key'),
    clusterCaCert: credentials.mode === 'pki' ? chartSecretVolumePath(secret, 'ca.crt') : undefined,
  };
}

/** The `license` setting when a license secret is synced. */
export function syncedLicenseSetting(licenseSecret?: secretsmanager.ISecret): SecretRef | undefined {
  return licenseSecret ? { secretName: KUBERNETES_SECRET_NAMES.license, key: 'license' } : undefined;
}

/** The Kubernetes Secrets every Kong plane on EKS needs: its cluster certificate and, if any, the license. */
export function planeSecretSyncs(
  credentials: ClusterCredentials,
  licenseSecret?: secretsmanager.ISecret,
): Omit<SyncSecretOptions, 'namespace'>[] {
  return [
    {
      name: KUBERNETES_SECRET_NAMES.clusterCertificate,
      type: 'kubernetes.io/tls',
      source: credentials.secret,
      sourceKey: credentials.encryptionKey,
      keys: clusterCertificateSecretKeys(credentials.mode),
      dependsOn: [credentials.ready],
      refreshInterval: CLUSTER_CERTIFICATE_REFRESH_INTERVAL,
    },
    ...(licenseSecret
      ? [{ name: KUBERNETES_SECRET_NAMES.license, source: licenseSecret, keys: [{ secretKey: 'license' }] }]
      : []),
  ];
}

/**
 * Chart values that roll Kong's pods when the certificate or license Secret changes (Kong reads
 * both only at start): Stakater Reloader watches the annotated Deployment and triggers a rolling
 * update that starts a new pod before stopping an old one, so capacity never drops.
 */
export function rolloutOnSecretChangeValues(): Record<string, unknown> {
  return {
    deploymentAnnotations: {
      'secret.reloader.stakater.com/reload': [
        KUBERNETES_SECRET_NAMES.clusterCertificate,
        KUBERNETES_SECRET_NAMES.license,
      ].join(','),
    },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
  };
}

/** Scaling props of a Kong Deployment. */
export interface KubernetesReplicaOptions {
  /** Helm release name (the chart's fullname) — selects the pods for spreading. */
  readonly release: string;
  /** Fixed replica count, when not autoscaling. */
  readonly replicas?: number;
  /** Autoscaling bounds, when autoscaling. */
  readonly autoscaling?: {
    readonly minReplicas: number;
    readonly maxReplicas: number;
    readonly targetCpuPercent: number;
  };
}

/**
 * Chart values for running Kong highly available: replicas or an HPA, a PodDisruptionBudget
 * (the chart refuses one with a single replica, and so do we), pods spread across zones and
 * nodes, resource requests (the HPA needs them), a drain long enough for `kong quit`, and rolling
 * restarts when the certificate or license Secret changes.
 */
export function kubernetesReplicaValues(options: KubernetesReplicaOptions): Record<string, unknown> {
  const selector = { matchLabels: { 'app.kubernetes.io/instance': options.release } };
  return {
    ...(options.autoscaling
      ? {
          autoscaling: {
            enabled: true,
            minReplicas: options.autoscaling.minReplicas,
            maxReplicas: options.autoscaling.maxReplicas,
            metrics: [
              {
                type: 'Resource',
                resource: {
                  name: 'cpu',
                  target: { type: 'Utilization', averageUtilization: options.autoscaling.targetCpuPercent },
                },
              },
            ],
          },
        }
      : { replicaCount: options.replicas }),
    podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
    topologySpreadConstraints: [
      {
        maxSkew: 1,
        topologyKey: 'topology.kubernetes.io/zone',
        whenUnsatisfiable: 'DoNotSchedule',
        labelSelector: selector,
      },
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: selector,
      },
    ],
    resources: { requests: { cpu: '500m', memory: '1Gi' }, limits: { memory: '2Gi' } },
    terminationGracePeriodSeconds: 60,
    ...rolloutOnSecretChangeValues(),
  };
}

/** A DNS name for a record in `zone`: lower-case, valid, and inside the zone. */
export function validateHostname(hostname: string, zone: route53.IHostedZone, where: string): void {
  if (Token.isUnresolved(hostname)) return;
  // A record name: lower-case (Route 53 stores it so) with at least two labels.
  if (hostname !== hostname.toLowerCase() || !hostname.includes('.') || !isDnsName(hostname)) {
    throw new KongFleetError(where, 'is not a DNS name', { got: hostname, expected: 'e.g. cluster.kong.example.com' });
  }
  if (Token.isUnresolved(zone.zoneName)) return;
  const zoneName = zone.zoneName.replace(/\.$/, '');
  if (!hostname.endsWith(`.${zoneName}`)) {
    throw new KongFleetError(where, 'is outside the hosted zone', {
      got: hostname,
      expected: `a name under ${zoneName}`,
    });
  }
}
