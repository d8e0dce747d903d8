import { KongFleetError } from '../../src/kong/errors';

/** Runs `fn` and expects it to throw a KongFleetError whose message matches `pattern`. */
export function expectKongError(fn: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(KongFleetError);
  expect((caught as Error).message).toMatch(pattern);
}
