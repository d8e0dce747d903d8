import type { Construct, IDependable } from 'constructs';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { ClusterCertificate } from './cluster-certificate';

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
   * The resource that fills the secret. Consumers in the same stack depend on it so nothing reads
   * the secret before it holds a certificate.
   */
  readonly ready: IDependable;
  /**
   * The certificate behind the secret: register the plane's ECS service or Auto Scaling group
   * with it so a rotation rolls them (EKS planes reload by themselves, see docs/operations.md).
   */
  readonly certificate: ClusterCertificate;
}

/** What a control plane tells the trust about itself. */
export interface ControlPlaneCertificateRequest {
  /**
   * The DNS names data planes reach the CP by: its cluster and telemetry host names. In pki mode
   * they become the SANs of the CP's server certificate (`cluster_server_name` and
   * `cluster_telemetry_server_name` of the data planes).
   */
  readonly serverNames: string[];
}

/**
 * The trust contract every control-plane and data-plane construct accepts. Planes only see this
 * interface, so a mode plugs in without changing them. Each call makes what the plane needs in
 * the plane's own scope (its stack, region, account): adding or removing a data plane never
 * changes the control plane's stack.
 */
export interface IKongClusterTrust {
  /** Kong's `cluster_mtls` mode. */
  readonly mode: 'shared' | 'pki';
  /**
   * Credentials of the control plane.
   * @param scope the control-plane construct (certificate resources are created under it)
   */
  controlPlaneCredentials(scope: Construct, request: ControlPlaneCertificateRequest): ClusterCredentials;
  /**
   * Credentials of one data plane.
   * @param scope the data-plane construct (certificate resources are created under it)
   * @param dataPlaneName a name unique in the fleet (names the certificate and its metric)
   */
  dataPlaneCredentials(scope: Construct, dataPlaneName: string): ClusterCredentials;
}
