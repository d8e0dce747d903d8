import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CLUSTER_SECRET_KEYS } from '../../kong/certificate-profile';
import { KongFleetError } from '../../kong/errors';
import { WHERE } from './properties';
import type { KonnectPin, KonnectRegistration, StoredValue } from './types';

/** Keys of the shared secret's staged rotation (read by shared-copy planes, ignored by Kong). */
const NEXT_KEY = 'next';
const SWITCH_AT_KEY = 'switchAt';

/** Keys of konnect mode's registration state (ignored by Kong and by the runtimes). */
const KONNECT_KEYS = {
  certificateId: 'certificate_id',
  controlPlaneId: 'control_plane_id',
  apiUrl: 'api_url',
  issuedFor: 'issued_for',
  previous: 'previous_certificates',
  unpinAfter: 'unpin_after',
} as const;

/**
 * A Secrets Manager client configured from the environment only: region from `AWS_REGION` (or
 * `region`, for a secret in another region), endpoint override from `AWS_ENDPOINT_URL` /
 * `AWS_ENDPOINT_URL_SECRETS_MANAGER` (SDK v3 reads both by itself), credentials from the role.
 */
export function createSecretsManagerClient(region?: string): SecretsManagerClient {
  return new SecretsManagerClient(region ? { region } : {});
}

/** Writes the value as a new AWSCURRENT version of the secret; returns its version id. */
export async function putClusterCredentials(
  client: SecretsManagerClient,
  secretArn: string,
  credentials: StoredValue,
): Promise<string> {
  const value: Record<string, unknown> = {
    [CLUSTER_SECRET_KEYS.cert]: credentials.cert,
    [CLUSTER_SECRET_KEYS.key]: credentials.key,
  };
  if (credentials.ca !== undefined) value[CLUSTER_SECRET_KEYS.ca] = credentials.ca;
  if (credentials.next !== undefined) value[NEXT_KEY] = { cert: credentials.next.cert, key: credentials.next.key };
  if (credentials.switchAt !== undefined) value[SWITCH_AT_KEY] = credentials.switchAt;
  if (credentials.konnect !== undefined) Object.assign(value, konnectToJson(credentials.konnect));
  const out = await client.send(
    new PutSecretValueCommand({ SecretId: secretArn, SecretString: JSON.stringify(value) }),
  );
  if (!out.VersionId) {
    throw new KongFleetError(`${WHERE}.SecretArn`, 'Secrets Manager returned no version id', { got: secretArn });
  }
  return out.VersionId;
}

export interface StoredCredentials {
  readonly credentials: StoredValue;
  readonly versionId: string;
}

/**
 * Reads the AWSCURRENT credentials of the secret; `undefined` when the secret has no value yet.
 * A value that is not the cluster credentials JSON is an error whose message never contains the
 * value itself.
 */
export async function getClusterCredentials(
  client: SecretsManagerClient,
  secretId: string,
  where = `${WHERE}.SecretArn`,
): Promise<StoredCredentials | undefined> {
  let out;
  try {
    out = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  } catch (error) {
    // Also thrown when the secret exists but has no AWSCURRENT value; a missing secret fails
    // again, with the SDK's own message, when the handler writes a new value.
    if (error instanceof ResourceNotFoundException || (error as Error)?.name === 'ResourceNotFoundException') {
      return undefined;
    }
    throw error;
  }
  const malformed = (problem: string) =>
    new KongFleetError(where, `${problem}; set a new Generation to replace it`, {
      got: secretId,
      expected: `a JSON object with string "${CLUSTER_SECRET_KEYS.cert}" and "${CLUSTER_SECRET_KEYS.key}" members`,
    });
  if (out.SecretString === undefined) throw malformed('the secret value is not a string');
  let parsed: unknown;
  try {
    parsed = JSON.parse(out.SecretString);
  } catch {
    // Deliberately drop the parser's message: it quotes part of the secret value.
    throw malformed('the secret value is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw malformed('the secret value is not a JSON object');
  const record = parsed as Record<string, unknown>;
  const cert = record[CLUSTER_SECRET_KEYS.cert];
  const key = record[CLUSTER_SECRET_KEYS.key];
  const ca = record[CLUSTER_SECRET_KEYS.ca];
  if (typeof cert !== 'string' || typeof key !== 'string' || (ca !== undefined && typeof ca !== 'string')) {
    throw malformed('the secret value lacks the cluster credentials');
  }
  const next = record[NEXT_KEY] as Record<string, unknown> | undefined;
  const switchAt = record[SWITCH_AT_KEY];
  const staged =
    next !== undefined &&
    typeof next === 'object' &&
    next !== null &&
    typeof next.cert === 'string' &&
    typeof next.key === 'string' &&
    typeof switchAt === 'string' &&
    !Number.isNaN(Date.parse(switchAt))
      ? { next: { cert: next.cert, key: next.key }, switchAt }
      : {};
  const konnect = konnectFromJson(record);
  return {
    credentials: { cert, key, ...(ca === undefined ? {} : { ca }), ...staged, ...(konnect ? { konnect } : {}) },
    versionId: out.VersionId ?? '',
  };
}

function pinToJson(pin: KonnectPin): Record<string, string> {
  return {
    [KONNECT_KEYS.certificateId]: pin.certificateId,
    [KONNECT_KEYS.controlPlaneId]: pin.controlPlaneId,
    [KONNECT_KEYS.apiUrl]: pin.apiUrl,
  };
}

function konnectToJson(registration: KonnectRegistration): Record<string, unknown> {
  return {
    ...pinToJson(registration),
    [KONNECT_KEYS.issuedFor]: registration.issuedFor,
    [KONNECT_KEYS.previous]: registration.previous.map((pin) => ({
      ...pinToJson(pin),
      [KONNECT_KEYS.unpinAfter]: pin.unpinAfter,
    })),
  };
}

function pinFromJson(record: Record<string, unknown>): KonnectPin | undefined {
  const certificateId = record[KONNECT_KEYS.certificateId];
  const controlPlaneId = record[KONNECT_KEYS.controlPlaneId];
  const apiUrl = record[KONNECT_KEYS.apiUrl];
  if (typeof certificateId !== 'string' || typeof controlPlaneId !== 'string' || typeof apiUrl !== 'string') {
    return undefined;
  }
  return { certificateId, controlPlaneId, apiUrl };
}

/** The konnect state, or undefined when the value has none (another mode's value, or incomplete). */
function konnectFromJson(record: Record<string, unknown>): KonnectRegistration | undefined {
  const pin = pinFromJson(record);
  const issuedFor = record[KONNECT_KEYS.issuedFor];
  if (!pin || typeof issuedFor !== 'string') return undefined;
  const list = Array.isArray(record[KONNECT_KEYS.previous]) ? (record[KONNECT_KEYS.previous] as unknown[]) : [];
  const previous = list.flatMap((entry) => {
    if (typeof entry !== 'object' || entry === null) return [];
    const item = entry as Record<string, unknown>;
    const old = pinFromJson(item);
    const unpinAfter = item[KONNECT_KEYS.unpinAfter];
    return old && typeof unpinAfter === 'string' && !Number.isNaN(Date.parse(unpinAfter))
      ? [{ ...old, unpinAfter }]
      : [];
  });
  return { ...pin, issuedFor, previous };
}
