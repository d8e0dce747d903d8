import { KONG_SHARED_CERT_PROFILE, validateValidityDays } from '../../kong/certificate-profile';
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
  return {
    secretArn: parseSecretArn(props.SecretArn),
    mode: parseMode(props.Mode),
    commonName: parseCommonName(props.CommonName),
    validityDays:
      props.ValidityDays === undefined
        ? KONG_SHARED_CERT_PROFILE.validityDays
        : validateValidityDays(props.ValidityDays, `${WHERE}.ValidityDays`),
    generation: parseGeneration(props.Generation),
  };
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
