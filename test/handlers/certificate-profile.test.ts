import {
  CLUSTER_SECRET_KEYS,
  KONG_SHARED_CERT_PROFILE,
  KONG_SHARED_SERVER_NAME,
  validateValidityDays,
} from '../../src/kong/certificate-profile';
import { KongFleetError } from '../../src/kong/errors';

describe('certificate profiles', () => {
  test('the shared profile is what kong hybrid gen_cert makes', () => {
    expect(KONG_SHARED_CERT_PROFILE).toEqual({ commonName: 'kong_clustering', curve: 'P-384', validityDays: 1095 });
    expect(Object.isFrozen(KONG_SHARED_CERT_PROFILE)).toBe(true);
    expect(KONG_SHARED_SERVER_NAME).toBe('kong_clustering');
    expect(CLUSTER_SECRET_KEYS).toEqual({ cert: 'cert', key: 'key', ca: 'ca' });
  });

  test.each([
    [1, 1],
    [1095, 1095],
    [3650, 3650],
    ['1', 1],
    ['0030', 30],
    ['3650', 3650],
  ])('validateValidityDays(%p) is %p', (input, expected) => {
    expect(validateValidityDays(input, 'x')).toBe(expected);
  });

  test.each([0, -1, 3651, 1.5, NaN, Infinity, '0', '3651', 'abc', '', ' 5', '1e3', '1.0', '-3', undefined, null, true])(
    'validateValidityDays(%p) throws a KongFleetError',
    (input) => {
      expect(() => validateValidityDays(input, 'KongCp/Cert.validityDays')).toThrow(KongFleetError);
      expect(() => validateValidityDays(input, 'KongCp/Cert.validityDays')).toThrow(
        /^KongCp\/Cert\.validityDays: certificate validity .*expected an integer from 1 to 3650 \(days\)\)$/,
      );
    },
  );
});
