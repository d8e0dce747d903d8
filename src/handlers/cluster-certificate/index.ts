/**
 * Cluster certificate handler: the `onEvent` handler of an AWS CDK Provider framework custom
 * resource, and the target of the quarter-hourly check that rotates certificates.
 *
 * Fills the Secrets Manager secret `SecretArn` (created by CloudFormation) with the cluster
 * credentials JSON `{"cert", "key"[, "ca"]}` every Kong plane reads (DESIGN.md §4), obtained by
 * the `Mode` module: `shared` (the fleet's one gen_cert pair), `shared-copy` (a plane's copy of
 * it), `pki` (issued by ACM Private CA) or `konnect` (a data plane's own certificate, pinned to a
 * Kong Konnect control plane). Returns public facts about the certificate as `Data`,
 * never key material, and logs only request types, ARNs, fingerprints and rollout targets.
 *
 * `RequestType: "Rotate"` (sent by an EventBridge schedule with the same properties) re-issues or
 * switches the certificate when its mode says so, publishes the days to expiry as a CloudWatch
 * metric and, when the certificate changed, starts the rollouts listed in `RolloutTargets`.
 *
 * A mode computes the whole new value before anything is written, and the handler writes it in
 * one `PutSecretValue`: a failure (an issuance that fails, a certificate that does not match)
 * leaves the secret as it was.
 */
import { KongFleetError } from '../../kong/errors';
import { onCertificateAuthorityActivation } from './ca-activation';
import { CA_ACTIVATION_RESOURCE_TYPE, CERTIFICATE_PROPERTY, ROTATE_REQUEST_TYPE } from './contract';
import { publishCertificateMetrics } from './metrics';
import { modeFor } from './modes';
import { comparable, parseCommonProperties, physicalIdFor, WHERE } from './properties';
import { describeTarget, parseRolloutTargets, triggerRollouts } from './rollout';
import { createSecretsManagerClient, getClusterCredentials, putClusterCredentials } from './secret-store';
import type {
  CertificateData,
  CertificateMode,
  CommonProperties,
  OnEventRequest,
  OnEventResponse,
  Reason,
  StoredValue,
} from './types';
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
  if (event?.ResourceType === CA_ACTIVATION_RESOURCE_TYPE) return onCertificateAuthorityActivation(event);
  const requestType: unknown = event?.RequestType;
  if (requestType === 'Delete') return onDelete(event);
  if (requestType !== 'Create' && requestType !== 'Update' && requestType !== ROTATE_REQUEST_TYPE) {
    throw new KongFleetError(`${WHERE}.RequestType`, 'unknown request type', {
      got: requestType,
      expected: `Create, Update, Delete or ${ROTATE_REQUEST_TYPE}`,
    });
  }
  const reason = requestType as Reason;
  const props = parseCommonProperties(event.ResourceProperties);
  const mode = modeFor(props.mode);
  const operations = mode.prepare(props, event.ResourceProperties);
  const targets = parseRolloutTargets(event.ResourceProperties[CERTIFICATE_PROPERTY.rolloutTargets], WHERE);
  const now = new Date();
  const client = createSecretsManagerClient();
  try {
    const stored = await getClusterCredentials(client, props.secretArn);
    if (stored && !safeKeyMatches(stored.credentials.cert, stored.credentials.key)) {
      throw new KongFleetError(
        `${WHERE}.SecretArn`,
        'the secret holds a certificate and a key that do not belong together; set a new Generation to replace them',
        { got: props.secretArn },
      );
    }
    if (reason === ROTATE_REQUEST_TYPE && !stored) {
      // The scheduled check can fire before CloudFormation's Create has filled the secret: that
      // Create issues the first certificate, the check must not race it with a second one.
      log({ requestType: reason, action: 'skipped: the secret has no value yet', secretArn: props.secretArn });
      return { PhysicalResourceId: physicalIdFor(props.secretArn) };
    }
    const replace = reason === 'Create' || (reason === 'Update' && mustRegenerate(event, props, mode));
    const value = await operations.reconcile({ reason, stored, replace, now });

    let current: { value: StoredValue; versionId: string };
    let certificateChanged = false;
    if (value) {
      const versionId = await putClusterCredentials(client, props.secretArn, value);
      certificateChanged = !stored || fingerprint(stored.credentials.cert) !== fingerprint(value.cert);
      current = { value, versionId };
    } else if (stored) {
      current = { value: stored.credentials, versionId: stored.versionId };
    } else {
      throw new KongFleetError(`${WHERE}.Mode`, 'the mode kept a secret that has no value', { got: props.mode });
    }
    const data = toData(current.value.cert, current.versionId);
    log({
      requestType: reason,
      action: !value ? 'kept' : certificateChanged ? 'issued' : 'staged',
      secretArn: props.secretArn,
      fingerprint: data.Fingerprint,
      ...(value?.switchAt ? { switchAt: value.switchAt } : {}),
    });

    let rolloutFailures: number | undefined;
    if (reason === ROTATE_REQUEST_TYPE && certificateChanged && targets.length > 0) {
      const results = await triggerRollouts(targets);
      for (const result of results) {
        log({ requestType: reason, rollout: describeTarget(result.target), ok: result.ok, detail: result.detail });
      }
      rolloutFailures = results.filter((r) => !r.ok).length;
    }
    if (reason === ROTATE_REQUEST_TYPE || reason === 'Create' || reason === 'Update') {
      await publishCertificateMetrics(props.label, current.value.cert, now, rolloutFailures);
    }
    return { PhysicalResourceId: physicalIdFor(props.secretArn), Data: data };
  } finally {
    client.destroy();
  }
}

/**
 * The secret belongs to CloudFormation, which deletes it after this resource. A mode may retire
 * the certificate first (pki revokes it); that is best effort and never fails the Delete, nor do
 * unreadable properties.
 */
async function onDelete(event: OnEventRequest): Promise<OnEventResponse> {
  const secretArn = event.ResourceProperties?.SecretArn;
  const physicalId =
    event.PhysicalResourceId ?? (typeof secretArn === 'string' ? physicalIdFor(secretArn) : 'cluster-certificate');
  let retired: string | undefined;
  try {
    const props = parseCommonProperties(event.ResourceProperties);
    const operations = modeFor(props.mode).prepare(props, event.ResourceProperties);
    if (operations.retire) {
      const client = createSecretsManagerClient();
      try {
        const stored = await getClusterCredentials(client, props.secretArn);
        if (stored) retired = await operations.retire(stored);
      } finally {
        client.destroy();
      }
    }
  } catch (error) {
    retired = `not retired: ${(error as Error)?.name ?? 'error'}`;
  }
  log({ requestType: 'Delete', secretArn: typeof secretArn === 'string' ? secretArn : undefined, retired });
  return { PhysicalResourceId: physicalId };
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

function fingerprint(cert: string): string {
  return describeCertificate(cert).fingerprint;
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

/** One JSON line; callers pass only non-secret fields (request type, action, ARN, fingerprint, targets). */
function log(fields: Record<string, string | boolean | undefined>): void {
  console.log(JSON.stringify({ handler: 'cluster-certificate', ...fields }));
}
