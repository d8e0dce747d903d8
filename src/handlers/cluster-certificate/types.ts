import type { ClusterSecretValue } from '../../kong/certificate-profile';

/**
 * The request the AWS CDK custom-resource Provider framework passes to an `onEvent` handler
 * (a CloudFormation custom-resource event without the response URL). Only the fields this
 * handler reads are typed; CloudFormation passes every property value as a string.
 */
export interface OnEventRequest {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly ResourceProperties: RawProperties;
  readonly OldResourceProperties?: RawProperties;
  readonly PhysicalResourceId?: string;
  readonly [other: string]: unknown;
}

export type RawProperties = Readonly<Record<string, unknown>>;

/** What the handler returns to the Provider framework; `Data` becomes `Fn::GetAtt` attributes. */
export interface OnEventResponse {
  readonly PhysicalResourceId: string;
  readonly Data?: CertificateData;
}

/** Public facts about the certificate in the secret. Never contains key material. */
export interface CertificateData {
  /** SHA-256 of the certificate's DER, lowercase hex without colons. */
  readonly Fingerprint: string;
  /** notAfter, ISO 8601 (UTC). */
  readonly NotAfter: string;
  /** Serial number, lowercase hex. */
  readonly SerialNumber: string;
  /** Secrets Manager version id of the secret value that holds this certificate. */
  readonly SecretVersionId: string;
}

/** The properties every mode shares, parsed, validated and with defaults filled. */
export interface CommonProperties {
  readonly secretArn: string;
  readonly mode: string;
  readonly commonName: string;
  readonly validityDays: number;
  readonly generation: string;
}

/** The credentials a mode issues; written to the secret as JSON (DESIGN.md §4). */
export type ClusterCredentials = ClusterSecretValue;

/**
 * One way of obtaining cluster credentials (`cluster_mtls` mode). A mode is a module registered
 * in `modes.ts`; the event handling, the secret I/O and the returned data are shared by all.
 */
export interface CertificateMode {
  /**
   * Names of resource properties, besides the common `Mode`, `CommonName`, `ValidityDays` and
   * `Generation`, whose change on Update makes a new certificate.
   */
  readonly regenerateOn: readonly string[];
  /**
   * Validates the mode's own properties (throwing a KongFleetError) before any AWS call and
   * returns the step that issues new credentials.
   */
  prepare(common: CommonProperties, raw: RawProperties): () => Promise<ClusterCredentials>;
}
