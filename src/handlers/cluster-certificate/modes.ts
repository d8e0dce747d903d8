import { KongFleetError } from '../../kong/errors';
import { WHERE } from './properties';
import { sharedMode } from './shared';
import type { CertificateMode } from './types';

/** The modes this handler knows, by `Mode` property value. A new mode is one module and one line here. */
const MODES: Readonly<Record<string, CertificateMode>> = {
  shared: sharedMode,
};

export function modeFor(name: string): CertificateMode {
  if (!Object.hasOwn(MODES, name)) {
    throw new KongFleetError(`${WHERE}.Mode`, 'unsupported cluster certificate mode', {
      got: name,
      expected: `one of ${Object.keys(MODES).join(', ')}`,
    });
  }
  return MODES[name];
}
