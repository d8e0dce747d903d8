import * as fc from 'fast-check';
import { stringify } from 'yaml';
import { parseFleet } from '../../src/fleet/load';
import type { FleetIssue } from '../../src/fleet/model';

/** A fleet file as plain data (what YAML gives), before it is serialized. */
type FleetData = Record<string, any>;

// ---------------------------------------------------------------------------------------------
// Valid fleets
// ---------------------------------------------------------------------------------------------

const CP_MINOR_MAX = 12;

const labelText = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), fc.stringMatching(/^(-[a-z0-9]{1,5}){0,3}$/))
  .map(([head, tail]) => `${head}${tail}`);
/** A DNS label of at most `max` characters (arbitraries are built once: building stringMatching is slow). */
const label = (max: number) => labelText.map((text) => text.slice(0, max).replace(/-+$/, ''));
const label12 = label(12);
const label20 = label(20);
const label30 = label(30);
const label40 = label(40);
const hostedZoneId = fc.stringMatching(/^Z[A-Z0-9]{10,20}$/);

const region = fc
  .tuple(
    fc.constantFrom('us', 'eu', 'ap', 'sa', 'ca', 'me', 'af', 'il', 'mx', 'cn'),
    fc.constantFrom('', '-gov', '-iso', '-isob'),
    fc.constantFrom('north', 'south', 'east', 'west', 'central', 'northeast', 'southeast', 'southwest'),
    fc.integer({ min: 1, max: 14 }),
  )
  .map(([area, marker, direction, n]) => `${area}${marker}-${direction}-${n}`);

const account = fc.stringMatching(/^[0-9]{12}$/);

const version = (majorMinorMax: number) =>
  fc
    .tuple(fc.integer({ min: 0, max: majorMinorMax }), fc.nat(9), fc.option(fc.nat(20), { nil: undefined }))
    .map(([minor, patch, build]) => `3.${minor}.${patch}${build === undefined ? '' : `.${build}`}`);

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 2 });

const cidr = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.integer({ min: 8, max: 32 })).map(([a, b, bits]) => `10.${a}.${b}.0/${bits}`),
  fc.constant('2001:db8::/32'),
);

const labels = fc.dictionary(
  label20.filter((key) => !/^(kong|konnect|insomnia|mesh|kic)/.test(key)),
  fc.oneof(label20, fc.nat(999)),
  { maxKeys: 4 },
);

const kongSettings = fc.dictionary(
  fc.constantFrom('nginx_worker_processes', 'log_level', 'mem_cache_size', 'anonymous_reports', 'lua_ssl_verify_depth'),
  fc.oneof(fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.nat(64)),
  { maxKeys: 3 },
);

const KONNECT = {
  controlPlaneId: '0f0e1d2c-3b4a-5968-7766-554433221100',
  apiRegion: 'us',
  clusterEndpoint: 'a.us.cp.konghq.com',
  telemetryEndpoint: 'a.us.tp.konghq.com',
  tokenSecret: 'konnect-token',
};

/** A template literal: the lint rule against hard-coded partitions is about CDK code, not fleet files. */
const PCA_ARN = `arn:${'aws'}:acm-pca:us-east-1:111111111111:certificate-authority/0f0e1d2c-3b4a-5968-7766-554433221100`;

function replicasFor(runtime: string) {
  return fc
    .integer({ min: 2, max: 50 })
    .chain((min) =>
      fc.record(
        { min: fc.constant(min), max: fc.integer({ min: runtime === 'ec2' ? min + 1 : min, max: 1000 }) },
        { requiredKeys: [] },
      ),
    );
}

/** One valid data plane: only the fields its runtime accepts; a shared cluster is named after its region. */
function dataPlane(name: string, cpMinor: number, konnect: boolean) {
  return fc
    .record({ runtime: fc.constantFrom('eks', 'ecs', 'ec2', 'kubernetes'), region })
    .chain(({ runtime, region: dpRegion }) => {
      const fields: Record<string, fc.Arbitrary<unknown>> = {
        name: fc.constant(name),
        runtime: fc.constant(runtime),
        region: fc.constant(dpRegion),
        account: optional(account),
        version: optional(version(konnect ? 20 : cpMinor)),
        replicas: optional(replicasFor(runtime)),
        labels: optional(labels),
        kongSettings: optional(kongSettings),
        ...(runtime === 'eks' ? { cluster: optional(fc.constant(`c-${dpRegion}`)) } : {}),
        ...(runtime === 'ec2'
          ? { instanceType: optional(fc.constantFrom('m7g.large', 't4g.medium', 'c7i.xlarge')) }
          : {}),
        ...(runtime === 'ec2' || runtime === 'ecs'
          ? { architecture: optional(fc.constantFrom('arm64', 'x86_64')) }
          : {}),
        ...(runtime === 'kubernetes'
          ? { namespace: optional(label30) }
          : {
              network: optional(fc.constantFrom('shared', 'own')),
              proxy: optional(
                fc.record(
                  { internetFacing: fc.boolean(), allowedCidrs: fc.array(cidr, { minLength: 1, maxLength: 3 }) },
                  { requiredKeys: [] },
                ),
              ),
            }),
      };
      return fc.record(fields, { requiredKeys: ['name', 'runtime', 'region'] });
    })
    .map((dp): FleetData => {
      // A shared cluster must be in one account: the DPs naming one use the CP's account.
      if (dp.cluster !== undefined) delete dp.account;
      return dp;
    });
}

const hostedControlPlane = (runtime: 'eks' | 'ec2') =>
  label20.chain((zoneLabel) => {
    const zone = `${zoneLabel}.example.com`;
    return fc.record(
      {
        runtime: fc.constant(runtime),
        region,
        account: optional(account),
        endpoints: fc.record(
          {
            hostedZone: fc.constant(zone),
            hostedZoneId: optional(hostedZoneId),
            cluster: fc.constantFrom(`cluster.${zone}`, `cp.cluster.${zone}`),
            telemetry: fc.constantFrom(`telemetry.${zone}`, `tp.${zone}`),
            internetFacing: optional(fc.boolean()),
            allowedCidrs: optional(fc.array(cidr, { minLength: 1, maxLength: 3 })),
          },
          { requiredKeys: ['hostedZone', 'cluster', 'telemetry'] },
        ),
        database: optional(
          fc.record(
            {
              instanceType: fc.constantFrom('t4g.medium', 'r7g.large'),
              multiAz: fc.boolean(),
              deletionProtection: fc.boolean(),
            },
            { requiredKeys: [] },
          ),
        ),
        replicas: optional(fc.integer({ min: 2, max: 100 })),
        ...(runtime === 'ec2'
          ? {
              instanceType: optional(fc.constantFrom('m7g.large', 'm7i.large')),
              architecture: optional(fc.constantFrom('arm64', 'x86_64')),
            }
          : {}),
      },
      { requiredKeys: ['runtime', 'region', 'endpoints'] },
    );
  });

const konnectControlPlane = fc.record({
  runtime: fc.constant('konnect'),
  region,
  konnect: fc.record({
    controlPlaneId: fc.uuid(),
    apiRegion: fc.constantFrom('us', 'eu', 'au', 'me', 'in', 'sg'),
    clusterEndpoint: label12.map((prefix) => `${prefix}.us.cp.konghq.com`),
    telemetryEndpoint: label12.map((prefix) => `${prefix}.us.tp.konghq.com`),
    tokenSecret: fc.constantFrom('konnect-token', 'kong/konnect/pat'),
  }),
});

const certificates = (konnect: boolean) =>
  fc
    .record(
      {
        mode: konnect ? fc.constant('pki') : fc.constantFrom('pki', 'shared'),
        validityDays: fc.integer({ min: 2, max: 3650 }),
        rotate: fc.integer({ min: 1, max: 3649 }),
        useValidity: fc.boolean(),
        useRotate: fc.boolean(),
        ca: fc.constantFrom('none', 'certificateAuthorityArn', 'parentCertificateAuthorityArn'),
      },
      {
        requiredKeys: konnect
          ? ['mode', 'validityDays', 'rotate', 'useValidity', 'useRotate', 'ca']
          : ['validityDays', 'rotate', 'useValidity', 'useRotate', 'ca'],
      },
    )
    .map(({ mode, validityDays, rotate, useValidity, useRotate, ca }) => {
      const validity = useValidity ? validityDays : mode === 'pki' ? 365 : 1095;
      const out: FleetData = {};
      if (mode !== undefined) out.mode = mode;
      if (useValidity) out.validityDays = validityDays;
      if (useRotate) out.rotateBeforeDays = Math.min(rotate, validity - 1);
      if (mode === 'pki' && ca !== 'none') out[ca] = PCA_ARN;
      return out;
    });

/** A valid fleet file's data, with its CP minor version. */
const validFleet: fc.Arbitrary<FleetData> = fc
  .record({ cpMinor: fc.integer({ min: 0, max: CP_MINOR_MAX }), runtime: fc.constantFrom('eks', 'ec2', 'konnect') })
  .chain(({ cpMinor, runtime }) => {
    const konnect = runtime === 'konnect';
    return fc.record(
      {
        name: label40,
        kong: fc.record(
          {
            version: version(0).map((v) => v.replace(/^3\.0\./, `3.${cpMinor}.`)),
            licenseSecret: optional(fc.constantFrom('kong-license', 'kong/license')),
          },
          { requiredKeys: ['version'] },
        ),
        controlPlane: konnect ? konnectControlPlane : hostedControlPlane(runtime as 'eks' | 'ec2'),
        certificates: optional(certificates(konnect)),
        dataPlanes: optional(
          fc
            .uniqueArray(label30, { minLength: 0, maxLength: 5 })
            .chain((names) => fc.tuple(...names.map((name) => dataPlane(name, cpMinor, konnect)))),
        ),
        sharedServices: optional(
          fc.record(
            { redis: fc.boolean(), cognito: fc.boolean(), opensearch: fc.boolean(), prometheus: fc.boolean() },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: ['name', 'kong', 'controlPlane'] },
    );
  })
  .map((fleet) => {
    // Konnect needs pki, also when certificates are not given.
    if (fleet.controlPlane.runtime === 'konnect' && fleet.certificates === undefined)
      fleet.certificates = { mode: 'pki' };
    return fleet;
  });

const styles = fc.record({
  collectionStyle: fc.constantFrom('any', 'block', 'flow') as fc.Arbitrary<'any' | 'block' | 'flow'>,
  defaultStringType: fc.constantFrom('PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE') as fc.Arbitrary<
    'PLAIN' | 'QUOTE_DOUBLE' | 'QUOTE_SINGLE'
  >,
});

function toYaml(data: unknown, style: { collectionStyle: 'any' | 'block' | 'flow'; defaultStringType: any }): string {
  return stringify(data, { ...style, lineWidth: 0 });
}

// ---------------------------------------------------------------------------------------------
// Mutations: each makes any valid fleet invalid
// ---------------------------------------------------------------------------------------------

interface Mutation {
  readonly name: string;
  /** Changes `fleet` in place (data mutations) or returns the new text (text mutations). */
  readonly apply: (fleet: FleetData, pick: (n: number) => number) => void | ((text: string) => string);
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
const hosted = (fleet: FleetData) => fleet.controlPlane.runtime !== 'konnect';
const dataPlanes = (fleet: FleetData): FleetData[] => (fleet.dataPlanes ??= []);
/** A data plane of `runtime` to mutate: an existing one, or a new valid one appended. */
function dataPlaneOf(fleet: FleetData, runtime: string, pick: (n: number) => number): FleetData {
  const candidates = dataPlanes(fleet).filter((dp) => dp.runtime === runtime);
  if (candidates.length > 0) return candidates[pick(candidates.length)];
  const dp = { name: 'zz-added', runtime, region: 'us-east-1' };
  dataPlanes(fleet).push(dp);
  return dp;
}
const anyDataPlane = (fleet: FleetData, pick: (n: number) => number) =>
  dataPlaneOf(fleet, ['eks', 'ecs', 'ec2', 'kubernetes'][pick(4)], pick);

const MUTATIONS: readonly Mutation[] = [
  {
    name: 'delete a required key',
    apply: (fleet, pick) => {
      const choices: (() => void)[] = [
        () => delete fleet.name,
        () => delete fleet.kong,
        () => delete fleet.kong.version,
        () => delete fleet.controlPlane,
        () => delete fleet.controlPlane.runtime,
        () => delete fleet.controlPlane.region,
        () => delete anyDataPlane(fleet, pick)[['name', 'runtime', 'region'][pick(3)]],
        () =>
          hosted(fleet) ? delete fleet.controlPlane.endpoints.cluster : delete fleet.controlPlane.konnect.tokenSecret,
      ];
      choices[pick(choices.length)]();
    },
  },
  {
    name: 'add an unknown key',
    apply: (fleet, pick) => {
      const targets = [fleet, fleet.kong, fleet.controlPlane, anyDataPlane(fleet, pick), (fleet.sharedServices ??= {})];
      targets[pick(targets.length)][['extra', 'multiAZ', 'Name', 'replica', 'x-y'][pick(5)]] = 'surprise';
    },
  },
  {
    name: 'wrong type',
    apply: (fleet, pick) => {
      const choices: (() => void)[] = [
        () => (fleet.name = 42),
        () => (fleet.kong = '3.10.0.6'),
        () => (fleet.controlPlane.region = ['us-east-1']),
        () => (fleet.dataPlanes = { first: 'dp' }),
        () => ((fleet.sharedServices ??= {}).redis = 'yes'),
        () => (anyDataPlane(fleet, pick).replicas = 5),
        () => (anyDataPlane(fleet, pick).version = 3.1),
        () => (hosted(fleet) ? (fleet.controlPlane.replicas = 'two') : (fleet.controlPlane.konnect = 'yes')),
      ];
      choices[pick(choices.length)]();
    },
  },
  {
    name: 'bad version',
    apply: (fleet, pick) => {
      const bad = ['3.10', 'v3.10.0', 'latest', '4.0.0.1', '3.10.0.6-rc', '', '2.8.4.1', '3.010.0'][pick(8)];
      if (pick(2) === 0) fleet.kong.version = bad;
      else anyDataPlane(fleet, pick).version = bad;
    },
  },
  {
    name: 'incompatible DP version',
    apply: (fleet, pick) => {
      if (!hosted(fleet)) {
        anyDataPlane(fleet, pick).version = '3.10.0.6.7';
        return;
      }
      const cpMinor = Number(fleet.kong.version.split('.')[1]);
      anyDataPlane(fleet, pick).version = `3.${cpMinor + 1 + pick(5)}.0`;
    },
  },
  {
    name: 'duplicate DP name',
    apply: (fleet, pick) => {
      const dp = anyDataPlane(fleet, pick);
      dataPlanes(fleet).push({ ...clone(dp) });
    },
  },
  {
    name: 'bad region',
    apply: (fleet, pick) => {
      const bad = ['us-east', 'US-EAST-1', 'moon-north-1', 'useast1', 'eu-west-0', 'eu-west-1a', ''][pick(7)];
      if (pick(2) === 0) fleet.controlPlane.region = bad;
      else anyDataPlane(fleet, pick).region = bad;
    },
  },
  {
    name: 'host name outside the zone (or a bad Konnect endpoint)',
    apply: (fleet, pick) => {
      if (hosted(fleet))
        fleet.controlPlane.endpoints[pick(2) === 0 ? 'cluster' : 'telemetry'] = 'cluster.elsewhere.org';
      else fleet.controlPlane.konnect.telemetryEndpoint = fleet.controlPlane.konnect.clusterEndpoint;
    },
  },
  {
    name: 'runtime-specific field on the wrong runtime',
    apply: (fleet, pick) => {
      const choices: (() => void)[] = [
        () => (dataPlaneOf(fleet, 'ecs', pick).cluster = 'edge'),
        () => (dataPlaneOf(fleet, 'eks', pick).instanceType = 'm7g.large'),
        () => (dataPlaneOf(fleet, 'eks', pick).architecture = 'arm64'),
        () => (dataPlaneOf(fleet, 'ec2', pick).namespace = 'kong-ns'),
        () => (dataPlaneOf(fleet, 'kubernetes', pick).proxy = { internetFacing: true }),
        () => (dataPlaneOf(fleet, 'kubernetes', pick).network = 'own'),
        () => {
          const cp = fleet.controlPlane;
          if (cp.runtime === 'eks') cp.instanceType = 'm7g.large';
          else if (cp.runtime === 'ec2') cp.konnect = { ...KONNECT };
          else cp.replicas = 3;
        },
      ];
      choices[pick(choices.length)]();
    },
  },
  {
    name: 'konnect with a database',
    apply: (fleet) => {
      fleet.controlPlane = {
        runtime: 'konnect',
        region: 'us-east-1',
        konnect: { ...KONNECT },
        database: { multiAz: true },
      };
      fleet.certificates = { mode: 'pki' };
    },
  },
  {
    name: 'konnect without pki, or a hosted CP without endpoints',
    apply: (fleet) => {
      if (hosted(fleet)) delete fleet.controlPlane.endpoints;
      else fleet.certificates = { mode: 'shared' };
    },
  },
  {
    name: 'non-DNS name',
    apply: (fleet, pick) => {
      const bad = ['Acme_GW', 'dp 1', '-edge', 'edge-', 'a.b', 'ÄÖ', 'x'.repeat(64)][pick(7)];
      const choices: (() => void)[] = [
        () => (fleet.name = bad),
        () => (anyDataPlane(fleet, pick).name = bad),
        () => (dataPlaneOf(fleet, 'eks', pick).cluster = bad),
        () => (dataPlaneOf(fleet, 'kubernetes', pick).namespace = bad),
        () => (fleet.name = `a${'b'.repeat(40)}`),
      ];
      choices[pick(choices.length)]();
    },
  },
  {
    name: 'unsafe label or owned kong setting',
    apply: (fleet, pick) => {
      const dp = anyDataPlane(fleet, pick);
      const choices: (() => void)[] = [
        () => (dp.labels = { ...dp.labels, 'a:b': 'x' }),
        () => (dp.labels = { ...dp.labels, tier: 'gold,silver' }),
        () => (dp.labels = { ...dp.labels, konnect: 'x' }),
        () => (dp.kongSettings = { ...dp.kongSettings, cluster_mtls: 'pki' }),
        () => (dp.kongSettings = { ...dp.kongSettings, 'Log-Level': 'debug' }),
      ];
      choices[pick(choices.length)]();
    },
  },
  {
    name: 'bad replicas',
    apply: (fleet, pick) => {
      const dp = anyDataPlane(fleet, pick);
      dp.replicas = [{ min: 1 }, { min: 5, max: 4 }, { max: 1001 }, { min: 2.5 }, { min: 0, max: 0 }][pick(5)];
    },
  },
  {
    name: 'bad account',
    apply: (fleet, pick) => {
      const bad = [111111111111, '12345', 'abcdefghijkl', '1111111111111'][pick(4)];
      if (pick(2) === 0) fleet.controlPlane.account = bad;
      else anyDataPlane(fleet, pick).account = bad;
    },
  },
  {
    name: 'bad certificates',
    apply: (fleet, pick) => {
      const mode = fleet.certificates?.mode ?? 'shared';
      const choices: (() => void)[] = [
        () => (fleet.certificates = { ...fleet.certificates, validityDays: [0, 3651, -1, 1.5][pick(4)] }),
        () => (fleet.certificates = { ...fleet.certificates, validityDays: 100, rotateBeforeDays: 100 + pick(50) }),
        () =>
          (fleet.certificates =
            mode === 'shared'
              ? { ...fleet.certificates, certificateAuthorityArn: PCA_ARN }
              : { ...fleet.certificates, certificateAuthorityArn: PCA_ARN, parentCertificateAuthorityArn: PCA_ARN }),
        () => (fleet.certificates = { ...fleet.certificates, mode: 'mtls' }),
      ];
      choices[pick(choices.length)]();
    },
  },
  {
    name: 'EKS cluster shared across regions',
    apply: (fleet) => {
      dataPlanes(fleet).push(
        { name: 'zz-one', runtime: 'eks', region: 'us-east-1', cluster: 'zz-shared' },
        { name: 'zz-two', runtime: 'eks', region: 'eu-west-1', cluster: 'zz-shared' },
      );
    },
  },
  {
    name: 'duplicate YAML key',
    apply: () => (text) => `${text.replace(/\n$/, '')}\nname: again\n`,
  },
  {
    name: 'YAML syntax error',
    apply:
      (_fleet, pick) =>
      (text): string =>
        [`${text}bad: [unclosed\n`, `${text}"unterminated: x\n`, `${text}a: @b\n`, `${text}  - : x\n`][pick(4)],
  },
];

function mutate(fleet: FleetData, mutation: Mutation, seeds: number[], style: Parameters<typeof toYaml>[1]): string {
  let next = 0;
  const pick = (n: number) => seeds[next++ % seeds.length] % n;
  const data = clone(fleet);
  const textEdit = mutation.apply(data, pick);
  const text = toYaml(data, style);
  return typeof textEdit === 'function' ? textEdit(text) : text;
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

function expectWellFormed(issues: readonly FleetIssue[]): void {
  for (const issue of issues) {
    if (issue.path === '') {
      expect(issue.line).toEqual(expect.any(Number));
      expect(issue.column).toEqual(expect.any(Number));
    }
    expect(issue.message.length).toBeGreaterThan(0);
    expect(issue.message).not.toMatch(/\n\s*at /);
    expect(issue.message).not.toMatch(/Error:/);
    expect(issue.message).not.toMatch(/\n/);
  }
}

describe('parseFleet properties', () => {
  test('GIVEN any generated valid fleet WHEN serialized and parsed THEN no issue and the model keeps what was written', () => {
    fc.assert(
      fc.property(validFleet, styles, (fleet, style) => {
        const { model, issues } = parseFleet(toYaml(fleet, style));
        expect(issues).toEqual([]);
        expect(model?.name).toBe(fleet.name);
        expect(model?.dataPlanes.map((dp) => dp.name)).toEqual(
          (fleet.dataPlanes ?? []).map((dp: FleetData) => dp.name),
        );
      }),
      { numRuns: 300 },
    );
  });

  test('GIVEN a valid fleet with one mutation WHEN parsed THEN no model, at least one well-formed issue, no exception', () => {
    const used = new Map<string, number>();
    fc.assert(
      fc.property(
        validFleet,
        fc.constantFrom(...MUTATIONS),
        fc.array(fc.nat(1000), { minLength: 4, maxLength: 4 }),
        styles,
        (fleet, mutation, seeds, style) => {
          used.set(mutation.name, (used.get(mutation.name) ?? 0) + 1);
          const text = mutate(fleet, mutation, seeds, style);
          let result: ReturnType<typeof parseFleet> | undefined;
          expect(() => (result = parseFleet(text))).not.toThrow();
          expect(result!.model).toBeUndefined();
          expect(result!.issues.length).toBeGreaterThanOrEqual(1);
          expectWellFormed(result!.issues);
        },
      ),
      { numRuns: 1000 },
    );
    // Every mutation was exercised, so each kind of mistake was shown to be caught.
    expect([...used.keys()].sort()).toEqual(MUTATIONS.map((m) => m.name).sort());
  });

  test('GIVEN random text WHEN parsed THEN it never throws and issues are well formed', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.string({ unit: fc.constantFrom(...':-[]{}&*!|>\'"%@`#,? \n\t\\abc0'.split('')), maxLength: 200 }),
        ),
        (text) => {
          const result = parseFleet(text);
          expect(result.model).toBeUndefined();
          expectWellFormed(result.issues);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('GIVEN random YAML documents WHEN parsed THEN it never throws and issues are well formed', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), styles, (value, style) => {
        const result = parseFleet(toYaml(value, style));
        expect(result.model).toBeUndefined();
        expectWellFormed(result.issues);
      }),
      { numRuns: 300 },
    );
  });
});
