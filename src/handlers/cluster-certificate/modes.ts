import { KongFleetError } from '../../kong/errors';
import type { CertificateModeName } from './contract';
import { konnectMode } from './konnect';
import { pkiMode } from './pki';
import { WHERE } from './properties';
import { sharedMode } from './shared';
import { sharedCopyMode } from './shared-copy';
import type { CertificateMode } from './types';

/** The modes this handler knows, by `Mode` property value. A new mode is one module and one line here. */
const MODES: Readonly<Record<CertificateModeName, CertificateMode>> = {
  shared: sharedMode,
  'shared-copy': sharedCopyMode,
  pki: pkiMode,
  konnect: konnectMode,
};

export function modeFor(name: string): CertificateMode {
  if (!Object.hasOwn(MODES, name)) {
    throw new KongFleetError(`${WHERE}.Mode`, 'unsupported cluster certificate mode', {
      got: name,
      expected: `one of ${Object.keys(MODES).join(', ')}`,
    });
  }
  return MODES[name as CertificateModeName];
}
