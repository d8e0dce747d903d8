import {
  KONG_SHARED_CERT_PROFILE,
  KONG_SHARED_SERVER_NAME,
  rotationDue,
  sharedSwitchTime,
} from '../../kong/certificate-profile';
import type { CertificateMode, CommonProperties, ReconcileContext, StoredValue } from './types';
import { certificateNotAfter, createSelfSignedCertificate } from './x509';

/**
 * `cluster_mtls = shared`: the fleet's one self-signed pair, equivalent to `kong hybrid gen_cert`
 * (EC P-384, CN from the props, default kong_clustering), presented by the control plane and every
 * data plane.
 *
 * The certificate also names `kong_clustering` as a DNS subject alternative name: a shared-mode
 * data plane always sends and verifies that server name whatever the CN is, so a custom CN
 * still passes its host check.
 *
 * Rotation is coordinated because the CP accepts exactly one digest: when the pair is due, the
 * check stages the next pair in the same secret with a switch time (see `sharedSwitchTime`); at
 * the first check at or after it, this secret and every plane's copy switch to the staged pair.
 * A pair that has already expired is replaced at once: there is nothing left to keep working.
 */
export const sharedMode: CertificateMode = {
  regenerateOn: [],
  prepare(common) {
    const generate = () => generatePair(common);
    return {
      async reconcile({ reason, stored, replace, now }: ReconcileContext): Promise<StoredValue | undefined> {
        if (replace || !stored) return generate();
        const current = stored.credentials;
        if (current.next && current.switchAt && Date.parse(current.switchAt) <= now.getTime()) {
          return { cert: current.next.cert, key: current.next.key };
        }
        if (reason !== 'Rotate' || current.next) return undefined;
        const notAfter = certificateNotAfter(current.cert);
        if (notAfter.getTime() <= now.getTime()) return generate();
        if (!rotationDue(notAfter, now, common.rotateBeforeDays)) return undefined;
        const next = await generate();
        return { cert: current.cert, key: current.key, next, switchAt: sharedSwitchTime(now).toISOString() };
      },
    };
  },
};

function generatePair(common: CommonProperties) {
  return createSelfSignedCertificate({
    commonName: common.commonName,
    curve: KONG_SHARED_CERT_PROFILE.curve,
    validityDays: common.validityDays,
    dnsNames: [KONG_SHARED_SERVER_NAME],
  });
}
