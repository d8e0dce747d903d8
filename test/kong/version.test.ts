import {
  DEFAULT_KONG_VERSION,
  KongFleetError,
  checkDataPlaneCompatible,
  isDataPlaneCompatible,
  parseKongVersion,
} from '../../src/kong';
import { errorOf } from './fixtures';

describe('parseKongVersion', () => {
  test('GIVEN an Enterprise 4-part version WHEN parsed THEN every part is read', () => {
    expect(parseKongVersion('3.10.0.6')).toEqual({ major: 3, minor: 10, patch: 0, build: 6, text: '3.10.0.6' });
  });

  test('GIVEN a 3-part version WHEN parsed THEN there is no build part', () => {
    const version = parseKongVersion('3.9.1');
    expect(version).toEqual({ major: 3, minor: 9, patch: 1, text: '3.9.1' });
    expect('build' in version).toBe(false);
  });

  test('GIVEN the default version WHEN parsed THEN it is a supported 3.x version', () => {
    expect(parseKongVersion(DEFAULT_KONG_VERSION).major).toBe(3);
  });

  test.each(['3.10', 'v3.10.0', 'latest', '3.10.0.6-rc', '3.10.0.6-ubuntu', '', '3.10.0.6.1', '3.010.0', ' 3.10.0'])(
    'GIVEN malformed %p WHEN parsed THEN a KongFleetError names the field and the value',
    (text) => {
      const error = errorOf(() => parseKongVersion(text, 'controlPlane.version'));
      expect(error.message).toContain('controlPlane.version: not a Kong Gateway version');
      expect(error.message).toContain(`got ${JSON.stringify(text)}`);
    },
  );

  test('GIVEN a 2.x version WHEN parsed THEN it is rejected as unsupported', () => {
    const error = errorOf(() => parseKongVersion('2.8.4.1'));
    expect(error.message).toBe(
      'version: Kong Gateway 2.x is not supported (got "2.8.4.1"; expected a 3.x version (hybrid-mode features used here are 3.x))',
    );
  });
});

describe('data plane / control plane compatibility', () => {
  test.each([
    ['3.10.0.6', '3.11.0.0', true],
    ['3.10.0.6', '3.10.0.1', true], // patch/build ignored
    ['3.10.1', '3.10.0', true],
    ['3.9.1', '3.10.0.6', true],
    ['3.11.0.0', '3.10.0.6', false],
    ['4.0.0', '3.10.0.6', false],
    ['3.10.0', '4.0.0', false],
  ])('GIVEN DP %s and CP %s THEN compatible is %s', (dp, cp, ok) => {
    expect(isDataPlaneCompatible(dp, cp)).toBe(ok);
    if (ok) expect(() => checkDataPlaneCompatible(dp, cp, 'dp.version')).not.toThrow();
    else expect(() => checkDataPlaneCompatible(dp, cp, 'dp.version')).toThrow(KongFleetError);
  });

  test('GIVEN a DP newer than its CP WHEN checked THEN the error says to upgrade the CP first', () => {
    const error = errorOf(() => checkDataPlaneCompatible('3.11.0.0', '3.10.0.6', 'dataPlanes[0].version'));
    expect(error.message).toBe(
      'dataPlanes[0].version: data plane is newer than the control plane (3.10.0.6); upgrade the control plane first (got "3.11.0.0"; expected a 3.x version with minor ≤ 10)',
    );
  });

  test('GIVEN different majors WHEN checked THEN the error names the major mismatch', () => {
    const error = errorOf(() => checkDataPlaneCompatible('4.0.0', '3.10.0', 'dp.version'));
    expect(error.message).toContain("dp.version: data plane major version differs from the control plane's (3.10.0)");
  });

  test('GIVEN a malformed version WHEN compared THEN it throws rather than answering', () => {
    expect(() => isDataPlaneCompatible('latest', '3.10.0')).toThrow(KongFleetError);
  });
});
