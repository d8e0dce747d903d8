import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createHash } from 'node:crypto';
import { KONNECT_DP_CERT_PROFILE, KONNECT_UNPIN_AFTER_HOURS, rotationDue } from '../../kong/certificate-profile';
import { KongFleetError } from '../../kong/errors';
import { CERTIFICATE_PROPERTY } from './contract';
import { KonnectDpCertificates } from './konnect-api';
import { parseKonnectApiUrl, parseKonnectControlPlaneId, requiredString, WHERE } from './properties';
import { createSecretsManagerClient } from './secret-store';
import type { CertificateMode, KonnectPin, KonnectRegistration, ReconcileContext, StoredValue } from './types';
import { certificateNotAfter, createSelfSignedCertificate, describeCertificate } from './x509';

/** How long a replaced certificate stays pinned; tests shorten it. */
export const konnectRotation = { unpinAfterMs: KONNECT_UNPIN_AFTER_HOURS * 60 * 60 * 1000 };

/**
 * A data plane of a Kong Konnect control plane (`konnect_mode=on`, `cluster_mtls=pki`): its own
 * self-signed client certificate (EC P-384, EKU clientAuth, CN from the props), pinned to the
 * control plane through Konnect's API. The secret holds `{cert, key}` plus the pin's public facts
 * (`certificate_id`, `control_plane_id`, `api_url`, `issued_for`, `previous_certificates`); no `ca`:
 * Konnect's endpoints have public certificates, trusted through `lua_ssl_trusted_certificate=system`.
 *
 * - Create/Update: a secret that already holds the certificate these properties ask for (a retried
 *   request) keeps it; it is pinned again only if Konnect no longer has it.
 * - Rotation (due, expired, or new properties): the new certificate is pinned first and written
 *   after (by the handler), so no data plane ever holds a certificate Konnect does not accept; the
 *   replaced one stays pinned for {@link KONNECT_UNPIN_AFTER_HOURS} hours while the runtimes roll,
 *   and a later run unpins it.
 * - Delete: unpins every certificate the secret names, best effort.
 *
 * The access token is read from Secrets Manager when needed, only in this module and the API
 * client, and never logged, returned or put in an error.
 */
export const konnectMode: CertificateMode = {
  regenerateOn: [CERTIFICATE_PROPERTY.konnectControlPlaneId, CERTIFICATE_PROPERTY.konnectApiUrl],
  prepare(common, raw) {
    const controlPlaneId = parseKonnectControlPlaneId(raw, CERTIFICATE_PROPERTY.konnectControlPlaneId);
    const apiUrl = parseKonnectApiUrl(raw, CERTIFICATE_PROPERTY.konnectApiUrl);
    const tokenSecret = requiredString(raw, CERTIFICATE_PROPERTY.konnectTokenSecret);
    const here = { controlPlaneId, apiUrl };
    // What the certificate is made for: equal digests mean a retry, not a change.
    const issuedFor = createHash('sha256')
      .update(JSON.stringify([controlPlaneId, apiUrl, common.commonName, common.validityDays, common.generation]))
      .digest('hex')
      .slice(0, 32);

    let token: Promise<string> | undefined;
    const konnect = async (pin: { controlPlaneId: string; apiUrl: string }) =>
      new KonnectDpCertificates({ ...pin, tokenSecret, token: await (token ??= readKonnectToken(tokenSecret)) });

    /** Unpins the replaced certificates whose time has come; returns those still pinned. */
    const unpinDue = async (previous: KonnectRegistration['previous'], now: Date) => {
      const kept: Array<KonnectRegistration['previous'][number]> = [];
      for (const pin of previous) {
        if (Date.parse(pin.unpinAfter) > now.getTime()) {
          kept.push(pin);
          continue;
        }
        try {
          const result = await (await konnect(pin)).unpin(pin.certificateId);
          log({ konnect: result, ...describePin(pin) });
        } catch (error) {
          // Kept for the next run; the current certificate is not affected.
          log({ konnect: 'unpin failed, retried at the next check', ...describePin(pin), error: errorText(error) });
          kept.push(pin);
        }
      }
      return kept;
    };

    return {
      async reconcile({ reason, stored, now }: ReconcileContext): Promise<StoredValue | undefined> {
        const current = stored?.credentials;
        const registration = current?.konnect;
        const previous = registration ? await unpinDue(registration.previous, now) : [];
        const unpinned = registration !== undefined && previous.length !== registration.previous.length;

        if (
          current &&
          registration &&
          registration.issuedFor === issuedFor &&
          !rotationDue(certificateNotAfter(current.cert), now, common.rotateBeforeDays)
        ) {
          // The certificate these properties ask for is already in the secret. A deployment (a
          // retried Create, an Update) makes sure Konnect still has it; the scheduled check does not
          // call Konnect for it.
          let pin: KonnectPin = registration;
          if (reason !== 'Rotate') {
            const client = await konnect(here);
            const pinned = await client.get(registration.certificateId);
            if (!pinned || fingerprint(pinned.cert) !== fingerprint(current.cert)) {
              const { certificate, alreadyPinned } = await client.pin(current.cert);
              pin = { ...here, certificateId: certificate.id };
              log({ konnect: alreadyPinned ? 'found pinned' : 're-pinned', ...describePin(pin) });
            }
          }
          if (pin === registration && !unpinned) return undefined;
          return { cert: current.cert, key: current.key, konnect: { ...pin, issuedFor, previous } };
        }

        const pair = await createSelfSignedCertificate({
          commonName: common.commonName,
          curve: KONNECT_DP_CERT_PROFILE.curve,
          validityDays: common.validityDays,
          extendedKeyUsage: [KONNECT_DP_CERT_PROFILE.extendedKeyUsage],
        });
        // Pinned before the handler writes the secret: a plane never reads an unpinned certificate.
        const { certificate, alreadyPinned } = await (await konnect(here)).pin(pair.cert);
        const pin: KonnectPin = { ...here, certificateId: certificate.id };
        log({ konnect: alreadyPinned ? 'found pinned' : 'pinned', ...describePin(pin) });
        const unpinAfter = new Date(now.getTime() + konnectRotation.unpinAfterMs).toISOString();
        const replaced = registration
          ? [
              {
                certificateId: registration.certificateId,
                controlPlaneId: registration.controlPlaneId,
                apiUrl: registration.apiUrl,
                unpinAfter,
              },
            ]
          : [];
        return { cert: pair.cert, key: pair.key, konnect: { ...pin, issuedFor, previous: [...previous, ...replaced] } };
      },

      async retire(stored): Promise<string> {
        const registration = stored.credentials.konnect;
        if (!registration) return 'no Konnect pin in the secret';
        const results: string[] = [];
        for (const pin of [registration, ...registration.previous]) {
          try {
            const result = await (await konnect(pin)).unpin(pin.certificateId);
            results.push(`${pin.certificateId} ${result}`);
          } catch (error) {
            // A stack delete never waits for Konnect: report it, the operator unpins by hand.
            results.push(
              `${pin.certificateId} not unpinned from control plane ${pin.controlPlaneId}: ${errorText(error)}`,
            );
          }
        }
        return results.join('; ');
      },
    };
  },
};

async function readKonnectToken(secret: string): Promise<string> {
  const where = `${WHERE}.${CERTIFICATE_PROPERTY.konnectTokenSecret}`;
  const client = createSecretsManagerClient();
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secret }))).SecretString;
  } catch (error) {
    throw new KongFleetError(where, `cannot read the Konnect access token secret ${secret}`, {
      got: (error as Error)?.name ?? 'error',
      expected: "a secret in the handler's region that the handler may read",
    });
  } finally {
    client.destroy();
  }
  let token = text?.trim() ?? '';
  if (token.startsWith('{')) {
    try {
      const parsed = JSON.parse(token) as { token?: unknown };
      token = typeof parsed.token === 'string' ? parsed.token.trim() : '';
    } catch {
      // The parser's message would quote the value.
      token = '';
    }
  }
  // Visible ASCII only: anything else could not go into an HTTP header (and fetch's error would quote it).
  if (!/^[\x21-\x7e]{8,}$/.test(token)) {
    throw new KongFleetError(where, `the secret ${secret} does not hold a Konnect access token`, {
      expected: 'the token as plain text (kpat_… or spat_…) or JSON {"token": "…"}',
    });
  }
  return token;
}

function describePin(pin: KonnectPin): Record<string, string> {
  return { certificateId: pin.certificateId, controlPlaneId: pin.controlPlaneId, apiUrl: pin.apiUrl };
}

function fingerprint(cert: string): string | undefined {
  try {
    return describeCertificate(cert).fingerprint;
  } catch {
    return undefined;
  }
}

/** Error text safe to log: kong-fleet's own messages never hold the token; others only by name. */
function errorText(error: unknown): string {
  return error instanceof KongFleetError ? error.message : ((error as Error)?.name ?? 'error');
}

/** One JSON line of public facts (ids, URLs, fingerprints). */
function log(fields: Record<string, string | undefined>): void {
  console.log(JSON.stringify({ handler: 'cluster-certificate', ...fields }));
}
