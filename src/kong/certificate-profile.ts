import { KongFleetError } from './errors';

/**
 * Kong's cluster certificate profiles, as data. Pure Kong knowledge: no CDK, no AWS SDK.
 *
 * Used by the constructs (to validate props and fill defaults) and by the cluster-certificate
 * custom-resource handler (to generate the pair), so both sides agree on one definition.
 */

/** Named elliptic curves the handlers know how to generate keys on (WebCrypto names). */
export type ClusterKeyCurve = 'P-384';

/** `cluster_mtls` values of Kong. */
export type ClusterMtlsMode = 'shared' | 'pki';

export interface ClusterCertProfile {
  /** Subject CN (and issuer CN for self-signed certificates). */
  readonly commonName: string;
  /** Curve of the EC key pair (WebCrypto name; `P-384` is OpenSSL's `secp384r1`). */
  readonly curve: ClusterKeyCurve;
  /** Days between notBefore and notAfter. */
  readonly validityDays: number;
}

/**
 * What `kong hybrid gen_cert` makes (kong/cmd/hybrid.lua): an EC secp384r1 key, a self-signed
 * certificate with CN=kong_clustering, valid 1095 days (3 years).
 */
export const KONG_SHARED_CERT_PROFILE: ClusterCertProfile = Object.freeze({
  commonName: 'kong_clustering',
  curve: 'P-384',
  validityDays: 1095,
});

/**
 * The server name a data plane sends (SNI) and verifies in `cluster_mtls = shared`; fixed in
 * Kong's code whatever the certificate's CN is. A shared certificate must match it.
 */
export const KONG_SHARED_SERVER_NAME = 'kong_clustering';

/**
 * The JSON keys of the one Secrets Manager secret every plane reads its cluster credentials from
 * (DESIGN.md §4): `{"cert": "<PEM>", "key": "<PEM PKCS#8>", "ca": "<PEM>"}` — `ca` in pki mode only.
 */
export const CLUSTER_SECRET_KEYS = { cert: 'cert', key: 'key', ca: 'ca' } as const;

/** The value of a cluster credentials secret (see {@link CLUSTER_SECRET_KEYS}). */
export interface ClusterSecretValue {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string;
}

export const MIN_VALIDITY_DAYS = 1;
export const MAX_VALIDITY_DAYS = 3650;

/**
 * Validates a certificate validity in days: an integer from 1 to 3650. Accepts a number or a
 * string of decimal digits (CloudFormation passes custom-resource properties as strings) and
 * returns the number. Throws a {@link KongFleetError} naming `where` otherwise.
 */
export function validateValidityDays(days: unknown, where: string): number {
  const expected = `an integer from ${MIN_VALIDITY_DAYS} to ${MAX_VALIDITY_DAYS} (days)`;
  let value: number;
  if (typeof days === 'number') {
    value = days;
  } else if (typeof days === 'string' && /^[0-9]{1,6}$/.test(days)) {
    value = Number(days);
  } else {
    throw new KongFleetError(where, 'certificate validity is not a whole number of days', { got: days, expected });
  }
  if (!Number.isInteger(value) || value < MIN_VALIDITY_DAYS || value > MAX_VALIDITY_DAYS) {
    throw new KongFleetError(where, 'certificate validity is out of range', { got: days, expected });
  }
  return value;
}

/** Which side of the cluster connection a pki-mode certificate authenticates. */
export type ClusterCertificateRole = 'control-plane' | 'data-plane';

/** Extended key usages Kong checks in pki mode (DESIGN.md §3): the CP serves, DPs are clients. */
export const PKI_EXTENDED_KEY_USAGE: Readonly<Record<ClusterCertificateRole, 'serverAuth' | 'clientAuth'>> =
  Object.freeze({ 'control-plane': 'serverAuth', 'data-plane': 'clientAuth' });

/**
 * kong-fleet's pki-mode profile: leaf keys are EC P-384 like gen_cert's; leaves live one year and
 * are re-issued automatically; the CA it creates lives ten years. Kong verifies DP chains with
 * OpenSSL verify depth 4: at most four intermediates between a leaf and the root.
 */
export const KONG_PKI_PROFILE = Object.freeze({
  curve: 'P-384' as ClusterKeyCurve,
  validityDays: 365,
  certificateAuthorityValidityYears: 10,
  verifyDepth: 4,
});

/** Days before expiry at which rotation re-issues (pki) or regenerates (shared) a certificate. */
export const DEFAULT_ROTATE_BEFORE_DAYS = 30;

/** Days before expiry at which the expiry alarm fires: rotation has failed for about two weeks. */
export const DEFAULT_EXPIRY_ALARM_DAYS = 14;

/**
 * Shared mode has one digest for the whole fleet, so planes must switch pairs together. Rotation
 * stages the next pair in the shared secret and sets a switch time this many minutes later,
 * rounded up to a quarter hour; every plane's checker runs on the same quarter-hour schedule and
 * switches at the first run at or after it.
 */
export const SHARED_SWITCH_DELAY_MINUTES = 60;

/** Minutes between two runs of a certificate checker (EventBridge `cron(0/15 * * * ? *)`). */
export const CERTIFICATE_CHECK_INTERVAL_MINUTES = 15;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Validates `rotateBeforeDays` against the certificate's validity: an integer of at least 1 and
 * below the validity (else every check would rotate). Accepts digit strings like
 * {@link validateValidityDays}.
 */
export function validateRotateBeforeDays(days: unknown, validityDays: number, where: string): number {
  const expected = `an integer from 1 to ${validityDays - 1} (days before expiry, below the validity)`;
  let value: number;
  if (typeof days === 'number') value = days;
  else if (typeof days === 'string' && /^[0-9]{1,6}$/.test(days)) value = Number(days);
  else throw new KongFleetError(where, 'rotation lead time is not a whole number of days', { got: days, expected });
  if (!Number.isInteger(value) || value < 1 || value >= validityDays) {
    throw new KongFleetError(where, 'rotation lead time is out of range', { got: days, expected });
  }
  return value;
}

/** Days from `now` until `notAfter` (fractional; negative once expired). */
export function daysToExpiry(notAfter: Date, now: Date): number {
  return (notAfter.getTime() - now.getTime()) / DAY_MS;
}

/** True when a certificate expiring at `notAfter` is due for rotation at `now`. */
export function rotationDue(notAfter: Date, now: Date, rotateBeforeDays: number): boolean {
  return daysToExpiry(notAfter, now) <= rotateBeforeDays;
}

/**
 * The time at which planes switch to a staged shared pair: `now` plus
 * {@link SHARED_SWITCH_DELAY_MINUTES}, rounded up to the next quarter hour (UTC), so that every
 * plane's quarter-hourly checker reaches it in the same run.
 */
export function sharedSwitchTime(now: Date): Date {
  const step = CERTIFICATE_CHECK_INTERVAL_MINUTES * 60 * 1000;
  const earliest = now.getTime() + SHARED_SWITCH_DELAY_MINUTES * 60 * 1000;
  return new Date(Math.ceil(earliest / step) * step);
}

/**
 * A data plane of a Kong Konnect control plane authenticates with a client certificate pinned to
 * that control plane (control plane `auth_type: pinned_client_certs`). Konnect compares the presented certificate with
 * the pinned ones, not with a CA, so kong-fleet makes a self-signed one per data plane: EC P-384
 * like gen_cert, EKU clientAuth only (it never serves), one year, re-issued 30 days before expiry.
 * Kong trusts Konnect's endpoints through the system store (`lua_ssl_trusted_certificate=system`),
 * so the plane's secret has no `ca`.
 * Source: Konnect Control Planes API v2, `/v2/control-planes/{controlPlaneId}/dp-client-certificates`
 * (https://docs.konghq.com/konnect/api/control-planes/v2; Kong/sdk-konnect-go docs/sdks/dpcertificates).
 */
export const KONNECT_DP_CERT_PROFILE = Object.freeze({
  curve: 'P-384' as ClusterKeyCurve,
  extendedKeyUsage: 'clientAuth' as const,
  validityDays: 365,
  rotateBeforeDays: DEFAULT_ROTATE_BEFORE_DAYS,
});

/**
 * Hours a replaced Konnect certificate stays pinned after its successor is registered: Konnect
 * drops the connections of data planes whose certificate is unpinned, so the old one must outlive
 * every runtime's rollout (ECS deployments, EC2 instance refreshes, EKS secret sync + restart).
 * Keeping a still-valid certificate pinned a little longer costs nothing.
 */
export const KONNECT_UNPIN_AFTER_HOURS = 24;

/** A Konnect control plane id: a UUID. */
export function isKonnectControlPlaneId(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/**
 * A Konnect regional API base URL, `https://<region>.api.konghq.com` (us, eu, au, me, in, sg, …),
 * without a path. Control planes live in a region: `global.api.konghq.com` does not serve them.
 */
export function isKonnectApiBaseUrl(value: string): boolean {
  const match = /^https:\/\/([a-z]{2,10})\.api\.konghq\.com$/.exec(value);
  return match !== null && match[1] !== 'global';
}

/** Expectation text for {@link isKonnectApiBaseUrl} in error messages. */
export const KONNECT_API_BASE_URL_RULE = 'https://<region>.api.konghq.com, e.g. https://eu.api.konghq.com';
