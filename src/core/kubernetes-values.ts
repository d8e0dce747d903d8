import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { chartSecretVolumePath } from '../kong/chart';
import { SecretRef } from '../kong/config';
import { ClusterCredentials } from './cluster-credentials';
import {
  KONG_KUBERNETES_SECRETS,
  KONG_LICENSE_SECRET_KEY,
  kubernetesClusterSecretKeys,
  kubernetesLicenseRef,
} from '../kong/kubernetes-data-plane';
import { SyncSecretOptions } from './external-secrets';

/** Names of the Kubernetes Secrets kong-fleet syncs into Kong's namespace (one definition, in src/kong). */
export const KUBERNETES_SECRET_NAMES = KONG_KUBERNETES_SECRETS;

/**
 * How often the External Secrets Operator re-reads the cluster certificate: a rotated certificate
 * reaches the Kubernetes Secret within this time (then Reloader rolls the pods). Short, because in
 * shared mode every plane must switch within the same few minutes.
 */
export const CLUSTER_CERTIFICATE_REFRESH_INTERVAL = '5m';

/**
 * The model's cluster-trust fields for a plane whose credentials are mounted by the chart.
 * `clusterCa`: the credentials hold a `ca` (pki with a self-hosted control plane; not Konnect).
 */
export function mountedClusterTrustSettings(
  credentials: ClusterCredentials,
  clusterCa: boolean = credentials.mode === 'pki',
) {
  const secret = KUBERNETES_SECRET_NAMES.clusterCertificate;
  return {
    clusterMtls: credentials.mode,
    clusterCert: chartSecretVolumePath(secret, 'tls.crt'),
    clusterCertKey: chartSecretVolumePath(secret, 'tls.key'),
    clusterCaCert: clusterCa ? chartSecretVolumePath(secret, 'ca.crt') : undefined,
  };
}

/** The `license` setting when a license secret is synced. */
export function syncedLicenseSetting(licenseSecret?: secretsmanager.ISecret): SecretRef | undefined {
  return licenseSecret ? kubernetesLicenseRef() : undefined;
}

/**
 * The Kubernetes Secrets every Kong plane on EKS needs: its cluster certificate and, if any, the
 * license. `clusterCa`: sync the credentials' `ca` too (pki with a self-hosted control plane).
 */
export function planeSecretSyncs(
  credentials: ClusterCredentials,
  licenseSecret?: secretsmanager.ISecret,
  clusterCa: boolean = credentials.mode === 'pki',
): Omit<SyncSecretOptions, 'namespace'>[] {
  return [
    {
      name: KUBERNETES_SECRET_NAMES.clusterCertificate,
      type: 'kubernetes.io/tls',
      source: credentials.secret,
      sourceKey: credentials.encryptionKey,
      keys: kubernetesClusterSecretKeys(credentials.mode, clusterCa),
      dependsOn: [credentials.ready],
      refreshInterval: CLUSTER_CERTIFICATE_REFRESH_INTERVAL,
    },
    ...(licenseSecret
      ? [
          {
            name: KUBERNETES_SECRET_NAMES.license,
            source: licenseSecret,
            keys: [{ secretKey: KONG_LICENSE_SECRET_KEY }],
          },
        ]
      : []),
  ];
}

/** Chart values for running Kong highly available on Kubernetes (defined once, in src/kong). */
export { kongKubernetesReplicaValues as kubernetesReplicaValues } from '../kong/kubernetes-data-plane';
