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
