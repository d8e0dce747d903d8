/**
 * Cluster certificate custom resource: the `onEvent` handler of an AWS CDK Provider framework.
 *
 * Fills the Secrets Manager secret `SecretArn` (created by CloudFormation) with the cluster
 * credentials JSON `{"cert", "key"[, "ca"]}` every Kong plane reads (DESIGN.md §4), issued by
 * the `Mode` module (`shared` today). Returns public facts about the certificate as `Data`,
 * never key material, and logs only the request type, the secret ARN and the fingerprint.
 *
 * Properties (strings): SecretArn, Mode (default shared), CommonName (default kong_clustering),
 * ValidityDays (default 1095), Generation (opaque; a change forces a new certificate).
 */
import { KongFleetError } from '../../kong/errors';
import { modeFor } from './modes';
import { comparable, parseCommonProperties, physicalIdFor, WHERE } from './properties';
import { createSecretsManagerClient, getClusterCredentials, putClusterCredentials } from './secret-store';
import type { CertificateData, CertificateMode, CommonProperties, OnEventRequest, OnEventResponse } from './types';
import { describeCertificate, keyMatchesCertificate } from './x509';

export type { CertificateData, OnEventRequest, OnEventResponse } from './types';

/** Common properties whose change on Update makes a new certificate (SecretArn: a new resource). */
const REGENERATE_ON: ReadonlyArray<[string, keyof CommonProperties]> = [
  ['Mode', 'mode'],
  ['CommonName', 'commonName'],
  ['ValidityDays', 'validityDays'],
  ['Generation', 'generation'],
];

export async function onEvent(event: OnEventRequest): Promise<OnEventResponse> {
  const requestType: unknown = event?.RequestType;
  if (requestType === 'Delete') {
    // The secret belongs to CloudFormation, which deletes it; never fail a Delete on its props.
    const secretArn = event.ResourceProperties?.SecretArn;
    log({ requestType, secretArn: typeof secretArn === 'string' ? secretArn : undefined });
    return {
      PhysicalResourceId:
        event.PhysicalResourceId ?? (typeof secretArn === 'string' ? physicalIdFor(secretArn) : 'cluster-certificate'),
    };
  }
  if (requestType !== 'Create' && requestType !== 'Update') {
    throw new KongFleetError(`${WHERE}.RequestType`, 'unknown custom resource request type', {
      got: requestType,
      expected: 'Create, Update or Delete',
    });
  }

  const props = parseCommonProperties(event.ResourceProperties);
  const mode = modeFor(props.mode);
  const issue = mode.prepare(props, event.ResourceProperties);
  const client = createSecretsManagerClient();
  try {
    let data: CertificateData | undefined;
    if (requestType === 'Update' && !mustRegenerate(event, props, mode)) {
      const stored = await getClusterCredentials(client, props.secretArn);
      if (stored) {
        if (!safeKeyMatches(stored.credentials.cert, stored.credentials.key)) {
          throw new KongFleetError(
            `${WHERE}.SecretArn`,
            'the secret holds a certificate and a key that do not belong together; set a new Generation to replace them',
            { got: props.secretArn },
          );
        }
        data = toData(stored.credentials.cert, stored.versionId);
        log({ requestType, action: 'kept', secretArn: props.secretArn, fingerprint: data.Fingerprint });
      }
    }
    if (!data) {
      const credentials = await issue();
      const versionId = await putClusterCredentials(client, props.secretArn, credentials);
      data = toData(credentials.cert, versionId);
      log({ requestType, action: 'issued', secretArn: props.secretArn, fingerprint: data.Fingerprint });
    }
    return { PhysicalResourceId: physicalIdFor(props.secretArn), Data: data };
  } finally {
    client.destroy();
  }
}

/**
 * On Update: true when the certificate must be replaced — a property of {@link REGENERATE_ON} or
 * of the mode's `regenerateOn` changed, the secret changed (a new resource), or the previous
 * properties cannot be read.
 */
function mustRegenerate(event: OnEventRequest, props: CommonProperties, mode: CertificateMode): boolean {
  let old: CommonProperties;
  try {
    old = parseCommonProperties(event.OldResourceProperties);
  } catch {
    return true;
  }
  if (old.secretArn !== props.secretArn) return true;
  if (REGENERATE_ON.some(([, field]) => old[field] !== props[field])) return true;
  const before = event.OldResourceProperties ?? {};
  return mode.regenerateOn.some((name) => comparable(before[name]) !== comparable(event.ResourceProperties[name]));
}

function safeKeyMatches(cert: string, key: string): boolean {
  try {
    return keyMatchesCertificate(cert, key);
  } catch {
    // The parser's error could quote the key; report a mismatch instead.
    return false;
  }
}

function toData(cert: string, versionId: string): CertificateData {
  const facts = describeCertificate(cert);
  return {
    Fingerprint: facts.fingerprint,
    NotAfter: facts.notAfter,
    SerialNumber: facts.serialNumber,
    SecretVersionId: versionId,
  };
}

/** One JSON line; callers pass only non-secret fields (request type, action, ARN, fingerprint). */
function log(fields: {
  requestType: string;
  action?: 'issued' | 'kept';
  secretArn: string | undefined;
  fingerprint?: string;
}): void {
  console.log(JSON.stringify({ handler: 'cluster-certificate', ...fields }));
}
