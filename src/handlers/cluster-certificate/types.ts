import type { ClusterSecretValue } from '../../kong/certificate-profile';
import type { StoredCredentials } from './secret-store';
import type { ProviderEvent, ProviderResponse } from '../provider-event';

/** The Provider framework's request, or the scheduled check's `Rotate` request. */
export type OnEventRequest = ProviderEvent<'Create' | 'Update' | 'Delete' | 'Rotate'>;

export type RawProperties = Readonly<Record<string, unknown>>;

/** What the handler returns to the Provider framework; `Data` becomes `Fn::GetAtt` attributes. */
export type OnEventResponse = ProviderResponse<CertificateData>;

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
  readonly rotateBeforeDays: number;
  /** Names this certificate in metrics and logs (a plane name). */
  readonly label: string;
}

/** The credentials a mode issues; written to the secret as JSON (DESIGN.md §4). */
export type ClusterCredentials = ClusterSecretValue;

/** Why the handler runs: a CloudFormation event or the scheduled check. */
export type Reason = 'Create' | 'Update' | 'Rotate';

export interface ReconcileContext {
  readonly reason: Reason;
  /** The secret's current value, if it has one. */
  readonly stored?: StoredCredentials;
  /** True when properties changed so that the certificate must be replaced (or on Create). */
  readonly replace: boolean;
  readonly now: Date;
}

/**
 * One way of obtaining cluster credentials. A mode is a module registered in `modes.ts`; the
 * event handling, the secret I/O, metrics, rollouts and the returned data are shared by all.
 */
export interface CertificateMode {
  /**
   * Names of resource properties, besides the common `Mode`, `CommonName`, `ValidityDays` and
   * `Generation`, whose change on Update replaces the certificate.
   */
  readonly regenerateOn: readonly string[];
  /**
   * Validates the mode's own properties (throwing a KongFleetError) before any AWS call and
   * returns its operations.
   */
  prepare(common: CommonProperties, raw: RawProperties): ModeOperations;
}

export interface ModeOperations {
  /**
   * The value to write to the secret now, or `undefined` to keep the stored one. Must not write
   * anything itself: the handler writes once, after the mode has checked what it issued.
   */
  reconcile(context: ReconcileContext): Promise<StoredValue | undefined>;
  /** Best-effort clean-up when the resource is deleted (e.g. revoke a pki certificate). */
  retire?(stored: StoredCredentials): Promise<string>;
}

/**
 * What the handler stores: the plane credentials and, in the shared secret during a coordinated
 * rotation, the staged next pair and the time every plane switches to it.
 */
export interface StoredValue extends ClusterCredentials {
  readonly next?: { readonly cert: string; readonly key: string };
  /** ISO 8601. */
  readonly switchAt?: string;
  /** konnect: where the certificate is pinned, and the replaced ones still pinned for a while. */
  readonly konnect?: KonnectRegistration;
}

/** A certificate pinned to a Konnect control plane (public facts only). */
export interface KonnectPin {
  /** Konnect's id of the pinned certificate. */
  readonly certificateId: string;
  readonly controlPlaneId: string;
  /** `https://<region>.api.konghq.com` */
  readonly apiUrl: string;
}

/** konnect mode's state, kept in the secret next to `cert` and `key` (Kong reads only those). */
export interface KonnectRegistration extends KonnectPin {
  /** Digest of the properties the certificate was made for: tells a retry from a change. */
  readonly issuedFor: string;
  /** Replaced certificates, unpinned once `unpinAfter` (ISO 8601) has passed. */
  readonly previous: ReadonlyArray<KonnectPin & { readonly unpinAfter: string }>;
}
