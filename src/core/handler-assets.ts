import * as fs from 'fs';
import * as path from 'path';
import { KongFleetError } from '../kong/errors';

/**
 * Directory of a bundled Lambda handler (`dist/handlers/<name>`), built by
 * `scripts/bundle-handlers.mjs` (run by `npm start`, `npm test` and `npm run build`).
 * Works from `src/` (tsx, ts-jest) and from the compiled `lib/`.
 */
export function handlerAssetPath(name: string): string {
  const dir = path.resolve(__dirname, '..', '..', 'dist', 'handlers', name);
  if (!fs.existsSync(path.join(dir, 'index.js'))) {
    throw new KongFleetError(`handler ${name}`, 'the bundled Lambda handler is missing', {
      got: dir,
      expected: 'run `npm run bundle` first',
    });
  }
  return dir;
}
