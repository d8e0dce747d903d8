import { deepMerge } from '../../src/kong';

describe('deepMerge', () => {
  test('GIVEN nested objects WHEN merged THEN objects merge recursively and b wins on conflicts', () => {
    const a = { proxy: { enabled: true, type: 'ClusterIP', http: { servicePort: 80 } }, replicaCount: 1 };
    const b = { proxy: { type: 'LoadBalancer', annotations: { x: 'y' } }, replicaCount: 3 };
    expect(deepMerge(a, b)).toEqual({
      proxy: { enabled: true, type: 'LoadBalancer', http: { servicePort: 80 }, annotations: { x: 'y' } },
      replicaCount: 3,
    });
  });

  test('GIVEN arrays, null and undefined in b WHEN merged THEN arrays and null replace, undefined keeps a', () => {
    const a = { secretVolumes: ['a', 'b'], tolerations: [{ key: 'k' }], resources: { limits: { cpu: 1 } }, keep: 1 };
    const b = { secretVolumes: ['c'], resources: null, keep: undefined };
    expect(deepMerge(a, b)).toEqual({ secretVolumes: ['c'], tolerations: [{ key: 'k' }], resources: null, keep: 1 });
  });

  test('GIVEN inputs WHEN merged THEN neither is mutated and the result shares no objects with them', () => {
    const a = { env: { role: 'data_plane' }, list: [{ x: 1 }] };
    const b = { env: { database: 'off' } };
    const merged = deepMerge(a, b);
    (merged.env as Record<string, string>).role = 'changed';
    merged.list[0].x = 2;
    expect(a).toEqual({ env: { role: 'data_plane' }, list: [{ x: 1 }] });
    expect(b).toEqual({ env: { database: 'off' } });
  });

  test('GIVEN a parsed __proto__ key WHEN merged THEN it stays data and pollutes nothing', () => {
    const b = JSON.parse('{"__proto__": {"polluted": true}}') as object;
    const merged = deepMerge({}, b) as Record<string, unknown>;
    expect(Object.getOwnPropertyNames(merged)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(merged.polluted).toBeUndefined();
  });
});
