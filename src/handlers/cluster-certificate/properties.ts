import {
  DEFAULT_ROTATE_BEFORE_DAYS,
  isKonnectApiBaseUrl,
  isKonnectControlPlaneId,
  KONG_SHARED_CERT_PROFILE,
  KONNECT_API_BASE_URL_RULE,
  validateRotateBeforeDays,
  validateValidityDays,
} from '../../kong/certificate-profile';
import { KongFleetError } from '../../kong/errors';
import type { CommonProperties, RawProperties } from './types';

/** Prefix of every `where` in this handler's errors: the resource's property path. */
export const WHERE = 'ClusterCertificate';

export const DEFAULT_MODE = 'shared';

/** X.520 upper bound of a common name. */
const MAX_COMMON_NAME_LENGTH = 64;

/** The physical id of the resource: stable for one secret, so Updates never replace it. */
export function physicalIdFor(secretArn: string): string {
  return `${secretArn}#cluster-certificate`;
}

/** Parses and validates the properties every mode shares; fills defaults. */
export function parseCommonProperties(raw: RawProperties | undefined): CommonProperties {
  const props = raw ?? {};
  const secretArn = parseSecretArn(props.SecretArn);
  const validityDays =
    props.ValidityDays === undefined
      ? KONG_SHARED_CERT_PROFILE.validityDays
      : validateValidityDays(props.ValidityDays, `${WHERE}.ValidityDays`);
  return {
    secretArn,
    mode: parseMode(props.Mode),
    commonName: parseCommonName(props.CommonName),
    validityDays,
    generation: parseGeneration(props.Generation),
    rotateBeforeDays:
      props.RotateBeforeDays === undefined
        ? Math.min(DEFAULT_ROTATE_BEFORE_DAYS, Math.floor(validityDays / 2))
        : validateRotateBeforeDays(props.RotateBeforeDays, validityDays, `${WHERE}.RotateBeforeDays`),
    label: parseLabel(props.Label, secretArn),
  };
}

/** The secret's name (its ARN without the random suffix) when no label is given. */
function parseLabel(value: unknown, secretArn: string): string {
  if (value === undefined || value === '') return secretArn.split(':secret:')[1].replace(/-[A-Za-z0-9]{6}$/, '');
  if (typeof value !== 'string' || !/^[A-Za-z0-9._/-]{1,255}$/.test(value)) {
    throw new KongFleetError(`${WHERE}.Label`, 'is not a metric dimension value', {
      got: value,
      expected: '1 to 255 characters of A-Z a-z 0-9 . _ / -',
    });
  }
  return value;
}

/** A required non-empty string property. */
export function requiredString(raw: Readonly<Record<string, unknown>>, name: string): string {
  const value = raw[name];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new KongFleetError(`${WHERE}.${name}`, 'is required', { got: value, expected: 'a non-empty string' });
  }
  return value;
}

/** An AWS region name, or undefined for "this Lambda's region". */
export function optionalRegion(raw: Readonly<Record<string, unknown>>, name: string): string | undefined {
  const value = raw[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || !/^[a-z]{2}(-[a-z]+)+-[0-9]$/.test(value)) {
    throw new KongFleetError(`${WHERE}.${name}`, 'is not an AWS region', { got: value, expected: 'e.g. eu-west-1' });
  }
  return value;
}

function parseSecretArn(value: unknown): string {
  if (typeof value !== 'string' || !/^arn:[a-z0-9-]+:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^\s]+$/.test(value)) {
    throw new KongFleetError(`${WHERE}.SecretArn`, 'not a Secrets Manager secret ARN', {
      got: value,
      expected: 'arn:<partition>:secretsmanager:<region>:<account>:secret:<name>',
    });
  }
  return value;
}

function parseMode(value: unknown): string {
  if (value === undefined) return DEFAULT_MODE;
  if (typeof value !== 'string' || value === '') {
    throw new KongFleetError(`${WHERE}.Mode`, 'not a cluster_mtls mode', { got: value, expected: 'a mode name' });
  }
  return value;
}

function parseCommonName(value: unknown): string {
  if (value === undefined) return KONG_SHARED_CERT_PROFILE.commonName;
  // Printable ASCII only: the name ends up in an X.509 subject and in log lines.
  if (typeof value !== 'string' || !/^[\x20-\x7e]+$/.test(value) || value.length > MAX_COMMON_NAME_LENGTH) {
    throw new KongFleetError(`${WHERE}.CommonName`, 'not a valid certificate common name', {
      got: value,
      expected: `1 to ${MAX_COMMON_NAME_LENGTH} printable ASCII characters`,
    });
  }
  return value;
}

function parseGeneration(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new KongFleetError(`${WHERE}.Generation`, 'not an opaque string', { got: value, expected: 'a string' });
}

/** A property value as a comparable string (CloudFormation may pass lists or maps to a mode). */
export function comparable(value: unknown): string {
  return value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Set to `1` by the handler tests only (never by the constructs) to let `KonnectApiUrl` name a
 * local fake of the Konnect API, `http://127.0.0.1:<port>`. Without it only Konnect's regional
 * https endpoints are accepted, so the access token can only ever be sent to Konnect.
 */
export const KONNECT_LOOPBACK_ENV = 'KONG_FLEET_TEST_KONNECT_LOOPBACK';

/** konnect: the control plane id, a UUID (lowercased: Konnect's ids are lowercase). */
export function parseKonnectControlPlaneId(raw: Readonly<Record<string, unknown>>, name: string): string {
  const value = raw[name];
  if (typeof value !== 'string' || !isKonnectControlPlaneId(value)) {
    throw new KongFleetError(`${WHERE}.${name}`, 'is not a Konnect control plane id', {
      got: value,
      expected: 'a UUID, e.g. 9524ec7d-36d9-465d-a8c5-83a3c9390458',
    });
  }
  return value.toLowerCase();
}

/** konnect: the regional API base URL, without a trailing slash. */
export function parseKonnectApiUrl(raw: Readonly<Record<string, unknown>>, name: string): string {
  const value = raw[name];
  const url = typeof value === 'string' ? value.replace(/\/+$/, '') : value;
  if (typeof url === 'string') {
    if (isKonnectApiBaseUrl(url)) return url;
    if (process.env[KONNECT_LOOPBACK_ENV] === '1' && /^http:\/\/127\.0\.0\.1:[0-9]{1,5}$/.test(url)) return url;
  }
  throw new KongFleetError(`${WHERE}.${name}`, 'is not a Konnect regional API URL', {
    got: value,
    expected: KONNECT_API_BASE_URL_RULE,
  });
}
