/**
 * The contract between the cluster-certificate constructs (src/core) and this handler: resource
 * type, property names, the scheduled `Rotate` request and the CloudWatch metrics. Plain data with
 * no AWS SDK import, so the constructs can import it without pulling handler code into synth.
 */

/** CloudFormation type of the cluster-certificate custom resource. */
export const CLUSTER_CERTIFICATE_RESOURCE_TYPE = 'Custom::KongClusterCertificate';

/** Property names the handler reads (CloudFormation passes every value as a string). */
export const CERTIFICATE_PROPERTY = {
  secretArn: 'SecretArn',
  mode: 'Mode',
  commonName: 'CommonName',
  validityDays: 'ValidityDays',
  generation: 'Generation',
  rotateBeforeDays: 'RotateBeforeDays',
  label: 'Label',
  rolloutTargets: 'RolloutTargets',
  /** shared-copy: the shared secret's name or ARN, and its region. */
  sourceSecret: 'SourceSecret',
  sourceRegion: 'SourceRegion',
  /** pki: `control-plane` or `data-plane`. */
  role: 'Role',
  /** pki: comma-separated DNS names (the CP's cluster and telemetry names). */
  dnsNames: 'DnsNames',
  /** pki: the SSM parameter (name or ARN) holding the issuing CA's ARN, and its region. */
  trustParameter: 'TrustParameter',
  trustRegion: 'TrustRegion',
  /** konnect: the Konnect control plane's id (a UUID). */
  konnectControlPlaneId: 'KonnectControlPlaneId',
  /** konnect: the regional Konnect API, `https://<region>.api.konghq.com`. */
  konnectApiUrl: 'KonnectApiUrl',
  /**
   * konnect: name or ARN of the Secrets Manager secret (in the handler's region) holding the
   * Konnect access token; the handler reads it at run time and never returns or logs it.
   */
  konnectTokenSecret: 'KonnectTokenSecret',
} as const;

/**
 * Handler modes. `shared` makes the fleet's one pair; `shared-copy` keeps a plane's own secret
 * (its stack, region, KMS key) in step with it; `pki` has a CA issue this plane's certificate;
 * `konnect` makes a data plane's client certificate and pins it to a Kong Konnect control plane.
 */
export type CertificateModeName = 'shared' | 'shared-copy' | 'pki' | 'konnect';

/** `RequestType` of the scheduled check that rotates certificates and publishes their expiry. */
export const ROTATE_REQUEST_TYPE = 'Rotate';

/** CloudWatch namespace and metrics the handler publishes. */
export const CERTIFICATE_METRICS = {
  namespace: 'KongFleet',
  /** Days until the current certificate of a plane expires; dimension {@link CERTIFICATE_METRICS.dimension}. */
  daysToExpiry: 'ClusterCertificateDaysToExpiry',
  /** Rollouts that failed to start after a rotation. */
  rolloutFailures: 'ClusterCertificateRolloutFailures',
  dimension: 'Certificate',
} as const;

/** The template for pki leaves: CA:FALSE enforced, subject, SANs, key usages and EKU from the CSR. */
export const PKI_LEAF_TEMPLATE = 'template/BlankEndEntityCertificate_APICSRPassthrough/V1';

/** CloudFormation type of the resource that activates a subordinate CA under a parent CA. */
export const CA_ACTIVATION_RESOURCE_TYPE = 'Custom::KongCertificateAuthorityActivation';

export const CA_ACTIVATION_PROPERTY = {
  certificateAuthorityArn: 'CertificateAuthorityArn',
  parentCertificateAuthorityArn: 'ParentCertificateAuthorityArn',
  /** The subordinate CA's certificate, issued by the parent. */
  certificate: 'Certificate',
} as const;
