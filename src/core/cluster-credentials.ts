import type { IDependable } from 'constructs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';

/**
 * What a Kong plane needs to join the cluster (DESIGN.md §4): one Secrets Manager secret whose
 * value is JSON `{"cert": PEM, "key": PEM[, "ca": PEM]}`. Every runtime reads it natively —
 * EKS syncs it into a `kubernetes.io/tls` Secret, ECS passes its keys as container secrets,
 * EC2 fetches it at boot with the instance role.
 */
export interface ClusterCredentials {
  /** Kong's `cluster_mtls` for this credential. */
  readonly mode: 'shared' | 'pki';
  /** The secret holding `cert`, `key` and, in pki mode, `ca`. */
  readonly secret: secretsmanager.ISecret;
  /** The KMS key that encrypts the secret; readers need `kms:Decrypt` on it. */
  readonly encryptionKey?: kms.IKey;
  /**
   * `cluster_server_name` a data plane must send (pki mode: a SAN of the CP certificate).
   * Undefined in shared mode, where Kong always sends `kong_clustering`.
   */
  readonly serverName?: string;
  /**
   * The resource that fills the secret. Consumers in the same stack depend on it so nothing reads
   * the secret before it holds a certificate.
   */
  readonly ready: IDependable;
}

/**
 * The trust contract every control-plane and data-plane construct accepts. Shared mode hands
 * every plane the same credentials; PKI mode issues one certificate per plane. Planes only see
 * this interface, so a new mode plugs in without changing them.
 */
export interface IKongClusterTrust {
  /** Kong's `cluster_mtls` mode. */
  readonly mode: 'shared' | 'pki';
  /** Credentials of the control plane. */
  controlPlaneCredentials(): ClusterCredentials;
  /**
   * Credentials of one data plane.
   * @param dataPlaneName a name unique in the fleet (used to name per-DP certificates)
   */
  dataPlaneCredentials(dataPlaneName: string): ClusterCredentials;
}
