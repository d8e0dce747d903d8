import { KONG_SHARED_CERT_PROFILE, KONG_SHARED_SERVER_NAME } from '../../kong/certificate-profile';
import type { CertificateMode } from './types';
import { createSelfSignedCertificate } from './x509';

/**
 * `cluster_mtls = shared`: one self-signed pair equivalent to `kong hybrid gen_cert` (EC P-384,
 * CN from the props, default kong_clustering), presented by the control plane and every data plane.
 *
 * The certificate also names `kong_clustering` as a DNS subject alternative name: a shared-mode
 * data plane always sends and verifies that server name whatever the CN is, so a custom CN
 * still passes its host check.
 */
export const sharedMode: CertificateMode = {
  regenerateOn: [],
  prepare(common) {
    return () =>
      createSelfSignedCertificate({
        commonName: common.commonName,
        curve: KONG_SHARED_CERT_PROFILE.curve,
        validityDays: common.validityDays,
        dnsNames: [KONG_SHARED_SERVER_NAME],
      });
  },
};
