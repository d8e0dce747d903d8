import { KongFleetError } from '../../kong/errors';
import { CERTIFICATE_PROPERTY } from './contract';
import { optionalRegion, requiredString, WHERE } from './properties';
import { createSecretsManagerClient, getClusterCredentials } from './secret-store';
import type { CertificateMode, ReconcileContext, StoredValue } from './types';
import { describeCertificate } from './x509';

/**
 * A plane's own copy of the fleet's shared pair: the plane's stack owns a secret (its region, its
 * KMS key) and this mode keeps it equal to the shared secret, which may live in another region.
 * It follows the shared secret's coordinated rotation: at the staged switch time it takes the
 * staged pair, even if the shared secret itself has not switched yet, so every plane switches
 * in the same quarter-hour check.
 */
export const sharedCopyMode: CertificateMode = {
  regenerateOn: [CERTIFICATE_PROPERTY.sourceSecret, CERTIFICATE_PROPERTY.sourceRegion],
  prepare(_common, raw) {
    const source = requiredString(raw, CERTIFICATE_PROPERTY.sourceSecret);
    const region = optionalRegion(raw, CERTIFICATE_PROPERTY.sourceRegion);
    return {
      async reconcile({ stored, now }: ReconcileContext): Promise<StoredValue | undefined> {
        const client = createSecretsManagerClient(region);
        let shared;
        try {
          shared = await getClusterCredentials(client, source, `${WHERE}.${CERTIFICATE_PROPERTY.sourceSecret}`);
        } finally {
          client.destroy();
        }
        if (!shared) {
          throw new KongFleetError(
            `${WHERE}.${CERTIFICATE_PROPERTY.sourceSecret}`,
            'the shared secret has no value yet',
            {
              got: source,
              expected: 'the cluster trust deployed first (it writes the shared pair)',
            },
          );
        }
        const value = shared.credentials;
        const wanted =
          value.next && value.switchAt && Date.parse(value.switchAt) <= now.getTime()
            ? value.next
            : { cert: value.cert, key: value.key };
        if (stored && fingerprint(stored.credentials.cert) === fingerprint(wanted.cert)) return undefined;
        return { cert: wanted.cert, key: wanted.key };
      },
    };
  },
};

function fingerprint(cert: string): string {
  return describeCertificate(cert).fingerprint;
}
