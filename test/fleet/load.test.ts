import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { formatIssue, loadFleetFile, MAX_FLEET_FILE_SIZE, parseFleet } from '../../src/fleet/load';
import type { FleetIssue, FleetModel } from '../../src/fleet/model';
import { FLEET_DEFAULTS, fleetSchema } from '../../src/fleet/schema';

/** The reference fleet file of the issue, verbatim (line numbers below refer to it). */
const REFERENCE = `name: acme-gateway
kong:
  version: "3.11.0.3"                # Kong Gateway image/package version
  licenseSecret: kong-license        # Secrets Manager secret name; optional
controlPlane:
  runtime: eks                       # eks | ec2 | konnect
  region: us-east-1
  account: "111111111111"            # optional
  endpoints:
    hostedZone: kong.example.com
    cluster: cluster.kong.example.com
    telemetry: telemetry.kong.example.com
  database:
    instanceType: t4g.medium
    multiAz: true
certificates:
  mode: pki                          # pki | shared
dataPlanes:
  - name: dp-eks-use1
    runtime: eks                     # eks | ecs | ec2 | kubernetes
    region: us-east-1
    replicas: { min: 2, max: 10 }
  - name: dp-ecs-euw1
    runtime: ecs
    region: eu-west-1
    version: "3.10.0.6"              # optional; defaults to kong.version
sharedServices:
  redis: true
  cognito: true
  opensearch: true
  prometheus: true
`;

/** `text` with `from` (which must occur exactly once) replaced by `to`. */
function edit(text: string, from: string, to: string): string {
  const at = text.indexOf(from);
  expect(at).toBeGreaterThanOrEqual(0);
  expect(text.indexOf(from, at + 1)).toBe(-1);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** The reference file with a data plane appended to `dataPlanes` (its first line is line 27). */
function withDataPlane(lines: string[]): string {
  return edit(REFERENCE, 'sharedServices:\n', `${lines.map((line) => `  ${line}`).join('\n')}\nsharedServices:\n`);
}

/** Parses `text`, expecting no model and exactly one issue, and returns it. */
function onlyIssue(text: string): FleetIssue {
  const result = parseFleet(text);
  expect(result.model).toBeUndefined();
  expect(result.issues).toHaveLength(1);
  return result.issues[0];
}

function validModel(text: string): FleetModel {
  const result = parseFleet(text);
  expect(result.issues).toEqual([]);
  expect(result.model).toBeDefined();
  return result.model!;
}

const KONNECT_BLOCK = `  konnect:
    controlPlaneId: 0f0e1d2c-3b4a-5968-7766-554433221100
    apiRegion: us
    clusterEndpoint: abc123.us.cp.konghq.com
    telemetryEndpoint: abc123.us.tp.konghq.com
    tokenSecret: konnect-token
`;

/** The reference file with a konnect control plane (no endpoints, no database; the konnect block at lines 8-13). */
const KONNECT = edit(
  edit(REFERENCE, '  runtime: eks                       # eks | ec2 | konnect\n', '  runtime: konnect\n'),
  `  account: "111111111111"            # optional
  endpoints:
    hostedZone: kong.example.com
    cluster: cluster.kong.example.com
    telemetry: telemetry.kong.example.com
  database:
    instanceType: t4g.medium
    multiAz: true
`,
  KONNECT_BLOCK,
);

describe('parseFleet: the reference file', () => {
  test('GIVEN the reference file of the issue WHEN parsed THEN it is the expected model with every default filled', () => {
    expect(validModel(REFERENCE)).toEqual({
      name: 'acme-gateway',
      kong: { version: '3.11.0.3', licenseSecret: 'kong-license' },
      controlPlane: {
        runtime: 'eks',
        region: 'us-east-1',
        account: '111111111111',
        endpoints: {
          hostedZone: 'kong.example.com',
          cluster: 'cluster.kong.example.com',
          telemetry: 'telemetry.kong.example.com',
          internetFacing: true,
        },
        database: { instanceType: 't4g.medium', multiAz: true, deletionProtection: true, iamAuthentication: false },
        replicas: 2,
      },
      certificates: { mode: 'pki' },
      dataPlanes: [
        {
          name: 'dp-eks-use1',
          runtime: 'eks',
          region: 'us-east-1',
          version: '3.11.0.3',
          replicas: { min: 2, max: 10 },
          network: 'shared',
          proxy: { internetFacing: false },
        },
        {
          name: 'dp-ecs-euw1',
          runtime: 'ecs',
          region: 'eu-west-1',
          version: '3.10.0.6',
          replicas: { min: 2, max: 10 },
          network: 'shared',
          proxy: { internetFacing: false },
        },
      ],
      // `true`: every region with an eks/ecs/ec2 data plane.
      sharedServices: {
        redis: { regions: ['eu-west-1', 'us-east-1'] },
        cognito: { regions: ['eu-west-1', 'us-east-1'] },
        opensearch: { regions: ['eu-west-1', 'us-east-1'] },
        prometheus: { regions: ['eu-west-1', 'us-east-1'], grafana: false },
      },
    });
  });

  test('GIVEN the reference file WHEN parsed THEN optional fields that were not given are absent, not undefined', () => {
    const model = validModel(REFERENCE);
    expect(Object.keys(model.controlPlane).sort()).toEqual(
      ['account', 'database', 'endpoints', 'region', 'replicas', 'runtime'].sort(),
    );
    expect('account' in model.dataPlanes[0]).toBe(false);
    expect('hostedZoneId' in model.controlPlane.endpoints!).toBe(false);
  });

  test('GIVEN a minimal file WHEN parsed THEN the documented defaults are filled', () => {
    const model = validModel(`name: mini
kong: { version: "3.10.0.6" }
controlPlane:
  runtime: ec2
  region: eu-west-3
  endpoints: { hostedZone: k.example.com, cluster: c.k.example.com, telemetry: t.k.example.com }
`);
    expect(model.controlPlane.endpoints!.internetFacing).toBe(FLEET_DEFAULTS.endpointsInternetFacing);
    expect(model.controlPlane.database).toEqual({
      instanceType: 't4g.medium',
      multiAz: true,
      deletionProtection: true,
      iamAuthentication: false,
    });
    expect(model.controlPlane.replicas).toBe(2);
    expect(model.certificates).toEqual({ mode: 'shared' });
    expect(model.dataPlanes).toEqual([]);
    expect(model.sharedServices).toEqual({});
    expect(model.kong).toEqual({ version: '3.10.0.6' });
  });

  test('GIVEN data planes without optional fields WHEN parsed THEN version, replicas, network and proxy are defaulted', () => {
    const model = validModel(
      withDataPlane(['- { name: dp-ec2, runtime: ec2, region: us-east-1, replicas: { min: 12 } }']) + '',
    );
    expect(model.dataPlanes[2]).toEqual({
      name: 'dp-ec2',
      runtime: 'ec2',
      region: 'us-east-1',
      version: '3.11.0.3',
      // max defaults to 10, raised above min for ec2 (a rolling update needs room).
      replicas: { min: 12, max: 13 },
      network: 'shared',
      proxy: { internetFacing: false },
    });
  });

  test('GIVEN every optional field WHEN parsed THEN each is kept', () => {
    const model = validModel(
      edit(
        withDataPlane([
          '- name: dp-k8s',
          '  runtime: kubernetes',
          '  region: us-west-2',
          '  account: "222222222222"',
          '  namespace: kong-edge',
          '  labels: { tier: gold, region.zone: a-1 }',
          '  kongSettings: { nginx_worker_processes: 4, log_level: debug }',
          '- name: dp-ec2',
          '  runtime: ec2',
          '  region: us-west-2',
          '  instanceType: m7g.large',
          '  architecture: arm64',
          '  network: own',
          '  proxy: { internetFacing: true, allowedCidrs: [10.0.0.0/8, "2001:db8::/32"] }',
        ]),
        'certificates:\n  mode: pki',
        'certificates:\n  mode: pki\n  validityDays: 400\n  rotateBeforeDays: 45\n  certificateAuthorityArn: arn:aws-us-gov:acm-pca:us-gov-west-1:111111111111:certificate-authority/0f0e1d2c-3b4a-5968-7766-554433221100',
      ),
    );
    expect(model.certificates).toEqual({
      mode: 'pki',
      validityDays: 400,
      rotateBeforeDays: 45,
      certificateAuthorityArn:
        'arn:aws-us-gov:acm-pca:us-gov-west-1:111111111111:certificate-authority/0f0e1d2c-3b4a-5968-7766-554433221100',
    });
    expect(model.dataPlanes[2]).toMatchObject({
      account: '222222222222',
      namespace: 'kong-edge',
      labels: { tier: 'gold', 'region.zone': 'a-1' },
      kongSettings: { nginx_worker_processes: '4', log_level: 'debug' },
    });
    expect(model.dataPlanes[3]).toMatchObject({
      instanceType: 'm7g.large',
      architecture: 'arm64',
      network: 'own',
      proxy: { internetFacing: true, allowedCidrs: ['10.0.0.0/8', '2001:db8::/32'] },
    });
  });

  test('GIVEN a konnect control plane WHEN parsed THEN it has its konnect settings and no database', () => {
    const model = validModel(KONNECT);
    expect(model.controlPlane.konnect).toEqual({
      controlPlaneId: '0f0e1d2c-3b4a-5968-7766-554433221100',
      apiRegion: 'us',
      clusterEndpoint: 'abc123.us.cp.konghq.com',
      telemetryEndpoint: 'abc123.us.tp.konghq.com',
      tokenSecret: 'konnect-token',
    });
    expect(model.controlPlane.database).toBeUndefined();
    expect(model.controlPlane.endpoints).toBeUndefined();
  });

  test('GIVEN the model WHEN parsed by the zod schema alone THEN it is the same model (the schema carries the defaults)', () => {
    const data = {
      name: 'x',
      kong: { version: '3.10.0.6' },
      controlPlane: { runtime: 'konnect', region: 'us-east-1' },
    };
    expect(fleetSchema.parse(data)).toMatchObject({ certificates: { mode: 'shared' }, dataPlanes: [] });
  });
});

describe('parseFleet: schema rules', () => {
  test.each([
    [
      'an unknown top-level key',
      edit(REFERENCE, 'sharedServices:\n', 'extras: 1\nsharedServices:\n'),
      'extras',
      27,
      1,
      'unknown key "extras"',
    ],
    [
      'a misspelt key',
      edit(REFERENCE, '    multiAz: true', '    multiAZ: true'),
      'controlPlane.database.multiAZ',
      15,
      5,
      'did you mean multiAz?',
    ],
    [
      'a wrong type',
      edit(REFERENCE, '    multiAz: true', '    multiAz: "yes"'),
      'controlPlane.database.multiAz',
      15,
      14,
      'must be true or false (got "yes")',
    ],
    [
      'an unknown runtime',
      edit(REFERENCE, '  runtime: eks                       # eks | ec2 | konnect', '  runtime: k8s'),
      'controlPlane.runtime',
      6,
      12,
      'must be one of eks, ec2, konnect (got "k8s")',
    ],
    [
      'a missing required key',
      edit(REFERENCE, '  region: us-east-1\n  account', '  account'),
      'controlPlane.region',
      5,
      1,
      'is required',
    ],
    [
      'a missing key in a data plane',
      edit(REFERENCE, '    region: eu-west-1\n', ''),
      'dataPlanes[1].region',
      23,
      5,
      'is required',
    ],
    [
      'an unquoted account',
      edit(REFERENCE, '"111111111111"', '011111111111'),
      'controlPlane.account',
      8,
      12,
      'must be quoted',
    ],
    [
      'a short account',
      edit(REFERENCE, '"111111111111"', '"1111"'),
      'controlPlane.account',
      8,
      12,
      'must be a 12-digit AWS account id (got "1111")',
    ],
    ['an unquoted two-part version', edit(REFERENCE, '"3.11.0.3"', '3.11'), 'kong.version', 3, 12, 'must be quoted'],
    [
      'a malformed CP version',
      edit(REFERENCE, '"3.11.0.3"', '"3.11.0.3-ubuntu"'),
      'kong.version',
      3,
      12,
      'not a Kong Gateway version (got "3.11.0.3-ubuntu"',
    ],
    [
      'a malformed DP version',
      edit(REFERENCE, '"3.10.0.6"', '"latest"'),
      'dataPlanes[1].version',
      26,
      14,
      'not a Kong Gateway version (got "latest"',
    ],
    [
      'an unsupported major',
      edit(REFERENCE, '"3.10.0.6"', '"2.8.4.1"'),
      'dataPlanes[1].version',
      26,
      14,
      'Kong Gateway 2.x is not supported',
    ],
    [
      'a bad region',
      edit(REFERENCE, 'region: eu-west-1', 'region: europe-west1'),
      'dataPlanes[1].region',
      25,
      13,
      'must be an AWS region name such as us-east-1 (got "europe-west1")',
    ],
    [
      'a fleet name that is not a DNS label',
      edit(REFERENCE, 'name: acme-gateway', 'name: Acme_Gateway'),
      'name',
      1,
      7,
      'must be a DNS label',
    ],
    [
      'a fleet name too long for stack names',
      edit(REFERENCE, 'name: acme-gateway', `name: ${'a'.repeat(41)}`),
      'name',
      1,
      7,
      'at most 40 characters',
    ],
    [
      'a DP name that is not a DNS label',
      edit(REFERENCE, 'dp-ecs-euw1', 'dp_ecs'),
      'dataPlanes[1].name',
      23,
      11,
      'must be a DNS label',
    ],
    [
      'a host name with upper case',
      edit(REFERENCE, 'cluster: cluster.kong', 'cluster: Cluster.kong'),
      'controlPlane.endpoints.cluster',
      11,
      14,
      'lower-case DNS name',
    ],
    [
      'too few DP replicas',
      edit(REFERENCE, '{ min: 2, max: 10 }', '{ min: 1, max: 10 }'),
      'dataPlanes[0].replicas.min',
      22,
      22,
      'must be at least 2 (got 1)',
    ],
    [
      'too many DP replicas',
      edit(REFERENCE, '{ min: 2, max: 10 }', '{ min: 2, max: 1001 }'),
      'dataPlanes[0].replicas.max',
      22,
      30,
      'must be at most 1000 (got 1001)',
    ],
    [
      'a fractional replica count',
      edit(REFERENCE, '{ min: 2, max: 10 }', '{ min: 2.5, max: 10 }'),
      'dataPlanes[0].replicas.min',
      22,
      22,
      'must be a whole number (got 2.5)',
    ],
    [
      'an RDS-style database instance type',
      edit(REFERENCE, 'instanceType: t4g.medium', 'instanceType: db.t4g.medium'),
      'controlPlane.database.instanceType',
      14,
      19,
      "without RDS's db. prefix",
    ],
    [
      'an empty dataPlanes',
      edit(REFERENCE, /dataPlanes:[\s\S]*?sharedServices/.exec(REFERENCE)![0], 'dataPlanes:\nsharedServices'),
      'dataPlanes',
      18,
      1,
      'must be a list (got an empty value)',
    ],
  ])('GIVEN %s WHEN parsed THEN one issue at the field', (_what, text, path, line, column, message) => {
    expect(onlyIssue(text)).toEqual({ path, line, column, message: expect.stringContaining(message) });
  });

  test('GIVEN AWS region names of every shape WHEN parsed THEN each is accepted', () => {
    for (const region of [
      'us-east-1',
      'eu-west-3',
      'ap-southeast-2',
      'us-gov-west-1',
      'cn-north-1',
      'il-central-1',
      'mx-central-1',
      'ca-west-1',
      'us-isob-east-1',
    ]) {
      expect(parseFleet(edit(REFERENCE, 'region: eu-west-1', `region: ${region}`)).issues).toEqual([]);
    }
  });

  test.each(['us-east', 'US-EAST-1', 'us-middle-1', 'useast1', 'us-east-01', 'us-east-1a', 'europe-west-1'])(
    'GIVEN the region %p WHEN parsed THEN it is rejected',
    (region) => {
      expect(onlyIssue(edit(REFERENCE, 'region: eu-west-1', `region: ${region}`)).path).toBe('dataPlanes[1].region');
    },
  );

  test('GIVEN labels unsafe for cluster_dp_labels WHEN parsed THEN each bad key or value is an issue at it', () => {
    const text = withDataPlane([
      '- name: dp-labels',
      '  runtime: ecs',
      '  region: us-east-1',
      '  labels:',
      '    "a:b": x',
      '    tier: "gold,silver"',
      '    kong-zone: a',
      '    ok: "c:d"',
    ]);
    expect(parseFleet(text).issues).toEqual([
      {
        path: 'dataPlanes[2].labels["a:b"]',
        line: 31,
        column: 7,
        message: expect.stringContaining('label key must be'),
      },
      {
        path: 'dataPlanes[2].labels.tier',
        line: 32,
        column: 13,
        message: expect.stringContaining('label value must be'),
      },
      {
        path: 'dataPlanes[2].labels.kong-zone',
        line: 33,
        column: 7,
        message: expect.stringContaining('must not start with kong'),
      },
      { path: 'dataPlanes[2].labels.ok', line: 34, column: 11, message: expect.stringContaining('(got "c:d")') },
    ]);
  });

  test('GIVEN kongSettings with a bad name and a setting the model owns WHEN parsed THEN both are issues at their keys', () => {
    const text = withDataPlane([
      '- name: dp-settings',
      '  runtime: ecs',
      '  region: us-east-1',
      '  kongSettings:',
      '    Nginx_Worker_Processes: 4',
      '    cluster_mtls: shared',
    ]);
    expect(parseFleet(text).issues).toEqual([
      {
        path: 'dataPlanes[2].kongSettings.Nginx_Worker_Processes',
        line: 31,
        column: 7,
        message: expect.stringContaining('lower-case kong.conf setting name'),
      },
      {
        path: 'dataPlanes[2].kongSettings.cluster_mtls',
        line: 32,
        column: 7,
        message: expect.stringContaining('is set by kong-fleet'),
      },
    ]);
  });

  test('GIVEN certificate days out of range WHEN parsed THEN the certificate-profile rules name the field', () => {
    const validity = onlyIssue(edit(REFERENCE, '  mode: pki ', '  validityDays: 0\n  mode: pki '));
    expect(validity).toEqual({
      path: 'certificates.validityDays',
      line: 17,
      column: 17,
      message: expect.stringContaining('certificate validity is out of range (got 0'),
    });
    // pki certificates live 365 days unless validityDays says otherwise.
    const rotate = onlyIssue(edit(REFERENCE, '  mode: pki ', '  rotateBeforeDays: 400\n  mode: pki '));
    expect(rotate).toEqual({
      path: 'certificates.rotateBeforeDays',
      line: 17,
      column: 21,
      message: expect.stringContaining('an integer from 1 to 364'),
    });
    expect(
      parseFleet(edit(REFERENCE, '  mode: pki ', '  validityDays: 1000\n  rotateBeforeDays: 400\n  mode: pki ')).issues,
    ).toEqual([]);
  });
});

describe('parseFleet: cross-field rules', () => {
  test('GIVEN two data planes with one name WHEN parsed THEN the second is an issue naming the first', () => {
    expect(onlyIssue(edit(REFERENCE, 'name: dp-ecs-euw1', 'name: dp-eks-use1'))).toEqual({
      path: 'dataPlanes[1].name',
      line: 23,
      column: 11,
      message: 'duplicate data plane name "dp-eks-use1": already used by dataPlanes[0]',
    });
  });

  test('GIVEN a DP minor newer than the CP WHEN parsed THEN the version is an issue saying which rule failed', () => {
    expect(onlyIssue(edit(REFERENCE, '"3.10.0.6"', '"3.12.0.0"'))).toEqual({
      path: 'dataPlanes[1].version',
      line: 26,
      column: 14,
      message: expect.stringContaining(
        'data plane is newer than the control plane (3.11.0.3); upgrade the control plane first',
      ),
      code: 'version-incompatible',
    });
  });

  test('GIVEN DP versions with an older minor or a newer patch WHEN parsed THEN they are compatible', () => {
    expect(parseFleet(edit(REFERENCE, '"3.10.0.6"', '"3.4.0"')).issues).toEqual([]);
    expect(parseFleet(edit(REFERENCE, '"3.10.0.6"', '"3.11.2.0"')).issues).toEqual([]);
  });

  test('GIVEN a konnect CP WHEN a DP is newer than kong.version THEN it is accepted (Konnect runs the newest CP)', () => {
    expect(parseFleet(edit(KONNECT, '"3.10.0.6"', '"3.12.0.0"')).issues).toEqual([]);
  });

  test.each([
    ['cluster: edge', 'ecs', 'applies only to eks data planes (this one runs on ecs)'],
    ['instanceType: m7g.large', 'eks', 'applies only to ec2 data planes'],
    ['architecture: arm64', 'eks', 'applies only to ec2 and ecs data planes'],
    ['architecture: arm64', 'kubernetes', 'applies only to ec2 and ecs data planes'],
    ['namespace: kong-x', 'ecs', 'applies only to kubernetes data planes'],
    ['proxy: { internetFacing: true }', 'kubernetes', 'applies only to eks, ecs and ec2 data planes'],
    ['network: own', 'kubernetes', 'applies only to eks, ecs and ec2 data planes (this one runs on kubernetes)'],
  ])('GIVEN %p on a %s data plane WHEN parsed THEN it is an issue at the key', (field, runtime, message) => {
    const text = withDataPlane(['- name: dp-extra', `  runtime: ${runtime}`, '  region: us-east-1', `  ${field}`]);
    const key = field.split(':')[0];
    expect(onlyIssue(text)).toEqual({
      path: `dataPlanes[2].${key}`,
      line: 30,
      column: 5,
      message: expect.stringContaining(message),
    });
  });

  test.each([
    ['replicas: 3', 'konnect', 'applies only to eks and ec2 control planes (this one runs on konnect)'],
    ['instanceType: m7g.large', 'eks', 'applies only to ec2 control planes (this one runs on eks)'],
    ['architecture: arm64', 'eks', 'applies only to ec2 control planes'],
  ])('GIVEN %p on a %s control plane WHEN parsed THEN it is an issue at the key', (field, runtime, message) => {
    const base = runtime === 'konnect' ? KONNECT : REFERENCE;
    const text = edit(base, '\n  region: us-east-1\n', `\n  region: us-east-1\n  ${field}\n`);
    expect(onlyIssue(text)).toEqual({
      path: `controlPlane.${field.split(':')[0]}`,
      line: 8,
      column: 3,
      message: expect.stringContaining(message),
    });
  });

  test('GIVEN instanceType and architecture on an ec2 CP and DP WHEN parsed THEN they are accepted', () => {
    const text = withDataPlane([
      '- { name: dp-ec2, runtime: ec2, region: us-east-1, instanceType: m7i.large, architecture: x86_64 }',
    ]);
    const ec2 = edit(
      edit(text, 'runtime: eks                       #', 'runtime: ec2 #'),
      '\n  region: us-east-1\n',
      '\n  region: us-east-1\n  instanceType: m7g.large\n  architecture: arm64\n',
    );
    expect(validModel(ec2).controlPlane).toMatchObject({
      runtime: 'ec2',
      instanceType: 'm7g.large',
      architecture: 'arm64',
    });
  });

  test('GIVEN an endpoint outside the hosted zone WHEN parsed THEN that endpoint is the issue', () => {
    expect(onlyIssue(edit(REFERENCE, 'cluster: cluster.kong.example.com', 'cluster: cluster.example.org'))).toEqual({
      path: 'controlPlane.endpoints.cluster',
      line: 11,
      column: 14,
      message: 'must be a name inside the hosted zone kong.example.com (got "cluster.example.org")',
    });
    // The zone apex and a look-alike suffix are not inside it either.
    expect(
      onlyIssue(edit(REFERENCE, 'telemetry: telemetry.kong.example.com', 'telemetry: kong.example.com')).path,
    ).toBe('controlPlane.endpoints.telemetry');
    expect(
      onlyIssue(edit(REFERENCE, 'telemetry: telemetry.kong.example.com', 'telemetry: t.notkong.example.com')).path,
    ).toBe('controlPlane.endpoints.telemetry');
  });

  test('GIVEN the same name for cluster and telemetry WHEN parsed THEN telemetry is the issue', () => {
    expect(
      onlyIssue(edit(REFERENCE, 'telemetry: telemetry.kong.example.com', 'telemetry: cluster.kong.example.com')),
    ).toEqual({
      path: 'controlPlane.endpoints.telemetry',
      line: 12,
      column: 16,
      message: expect.stringContaining('must differ from endpoints.cluster'),
    });
  });

  test('GIVEN a konnect CP with endpoints and a database but no konnect block WHEN parsed THEN each is an issue', () => {
    const text = edit(REFERENCE, '  runtime: eks                       # eks | ec2 | konnect', '  runtime: konnect');
    expect(parseFleet(text).issues).toEqual([
      { path: 'controlPlane.konnect', line: 5, column: 1, message: 'is required for a konnect control plane' },
      {
        path: 'controlPlane.endpoints',
        line: 9,
        column: 3,
        message: expect.stringContaining('applies only to eks and ec2 control planes'),
      },
      {
        path: 'controlPlane.database',
        line: 13,
        column: 3,
        message: expect.stringContaining('applies only to eks and ec2 control planes'),
      },
    ]);
  });

  test('GIVEN a konnect CP in shared mode WHEN parsed THEN certificates.mode is the issue', () => {
    expect(onlyIssue(edit(KONNECT, '  mode: pki  ', '  mode: shared  '))).toEqual({
      path: 'certificates.mode',
      line: 15,
      column: 9,
      message: 'must be pki for a konnect control plane (got "shared")',
    });
    // The default mode (shared) does not do either: the issue points at certificates.
    expect(
      onlyIssue(edit(KONNECT, 'certificates:\n  mode: pki                          # pki | shared\n', '')),
    ).toEqual({
      path: 'certificates.mode',
      line: 1,
      column: 1,
      message: 'must be pki for a konnect control plane (got "shared", the default)',
    });
  });

  test('GIVEN an eks CP with a konnect block and no endpoints WHEN parsed THEN both are issues', () => {
    const text = edit(
      edit(KONNECT, '  runtime: konnect', '  runtime: eks'),
      KONNECT_BLOCK,
      `${KONNECT_BLOCK}  database: { multiAz: false }\n`,
    );
    expect(parseFleet(text).issues).toEqual([
      { path: 'controlPlane.endpoints', line: 5, column: 1, message: 'is required for an eks control plane' },
      {
        path: 'controlPlane.konnect',
        line: 8,
        column: 3,
        message: expect.stringContaining('applies only to konnect control planes'),
      },
    ]);
  });

  test('GIVEN DPs sharing an EKS cluster across regions or accounts WHEN parsed THEN the later DP is the issue', () => {
    const regions = withDataPlane([
      '- { name: a, runtime: eks, region: us-east-1, cluster: edge }',
      '- { name: b, runtime: eks, region: eu-west-1, cluster: edge }',
    ]);
    expect(onlyIssue(regions)).toEqual({
      path: 'dataPlanes[3].cluster',
      line: 28,
      column: 58,
      message: expect.stringContaining(
        'cluster "edge" is in "us-east-1" in account "111111111111" (dataPlanes[2]); data planes sharing a cluster must be in its region and account (got "eu-west-1" in account "111111111111")',
      ),
    });
    const accounts = withDataPlane([
      '- { name: a, runtime: eks, region: us-east-1, cluster: edge }',
      '- { name: b, runtime: eks, region: us-east-1, cluster: edge, account: "222222222222" }',
    ]);
    expect(onlyIssue(accounts).message).toContain('in account "111111111111"');
    const same = withDataPlane([
      '- { name: a, runtime: eks, region: us-east-1, cluster: edge }',
      '- { name: b, runtime: eks, region: us-east-1, cluster: edge, account: "111111111111" }',
    ]);
    expect(parseFleet(same).issues).toEqual([]);
  });

  test('GIVEN replicas.max below min (or not above it on ec2) WHEN parsed THEN max is the issue', () => {
    expect(onlyIssue(edit(REFERENCE, '{ min: 2, max: 10 }', '{ min: 5, max: 4 }'))).toEqual({
      path: 'dataPlanes[0].replicas.max',
      line: 22,
      column: 30,
      message: 'must be at least replicas.min (5) (got 4)',
    });
    const ec2 = withDataPlane(['- { name: dp-ec2, runtime: ec2, region: us-east-1, replicas: { min: 3, max: 3 } }']);
    expect(onlyIssue(ec2)).toMatchObject({ path: 'dataPlanes[2].replicas.max', line: 27, column: 79 });
  });

  test('GIVEN CA ARNs in shared mode, or both in pki mode WHEN parsed THEN the ARN is the issue', () => {
    const arn = `arn:${'aws'}:acm-pca:us-east-1:111111111111:certificate-authority/0f0e1d2c-3b4a-5968-7766-554433221100`;
    expect(
      onlyIssue(edit(REFERENCE, '  mode: pki  ', `  parentCertificateAuthorityArn: ${arn}\n  mode: shared  `)),
    ).toEqual({
      path: 'certificates.parentCertificateAuthorityArn',
      line: 17,
      column: 3,
      message: 'applies only to certificates.mode pki (got "shared")',
    });
    const both = `  certificateAuthorityArn: ${arn}\n  parentCertificateAuthorityArn: ${arn}\n  mode: pki  `;
    expect(onlyIssue(edit(REFERENCE, '  mode: pki  ', both))).toEqual({
      path: 'certificates.certificateAuthorityArn',
      line: 17,
      column: 3,
      message: expect.stringContaining('not both'),
    });
  });

  test('GIVEN a kubernetes DP whose default namespace would be too long WHEN parsed THEN the name is the issue', () => {
    const name = `k${'8'.repeat(59)}`;
    expect(onlyIssue(withDataPlane([`- { name: ${name}, runtime: kubernetes, region: us-east-1 }`]))).toMatchObject({
      path: 'dataPlanes[2].name',
      message: expect.stringContaining('set namespace'),
    });
    expect(
      parseFleet(withDataPlane([`- { name: ${name}, runtime: kubernetes, region: us-east-1, namespace: kong }`]))
        .issues,
    ).toEqual([]);
  });
});

describe('parseFleet: every issue at once', () => {
  test('GIVEN a file with 5 different mistakes WHEN parsed THEN 5 issues, sorted by line', () => {
    let text = edit(REFERENCE, 'name: acme-gateway', 'name: Acme');
    text = edit(text, '"111111111111"', '111111111111');
    text = edit(text, 'cluster: cluster.kong.example.com', 'cluster: cluster.example.org');
    text = edit(text, 'name: dp-ecs-euw1', 'name: dp-eks-use1');
    text = edit(text, '  redis: true', '  redis: true\n  memcached: true');
    const { model, issues } = parseFleet(text, 'fleet.yaml');
    expect(model).toBeUndefined();
    expect(issues.map((issue) => `${issue.line}:${issue.column} ${issue.path}`)).toEqual([
      '1:7 name',
      '8:12 controlPlane.account',
      '11:14 controlPlane.endpoints.cluster',
      '23:11 dataPlanes[1].name',
      '29:3 sharedServices.memcached',
    ]);
  });
});

describe('parseFleet: YAML problems', () => {
  test('GIVEN a YAML syntax error WHEN parsed THEN it is a document-level issue with its position, and nothing else', () => {
    expect(onlyIssue(edit(REFERENCE, 'licenseSecret: kong-license', 'licenseSecret: @kong-license'))).toEqual({
      path: '',
      line: 4,
      column: 18,
      message: 'Plain value cannot start with reserved character @',
    });
    expect(onlyIssue(edit(REFERENCE, '  mode: pki ', '\tmode: pki '))).toMatchObject({ path: '', line: 17, column: 1 });
  });

  test('GIVEN an unclosed flow mapping WHEN parsed THEN every YAML error is reported with a position', () => {
    const { model, issues } = parseFleet(edit(REFERENCE, '{ min: 2, max: 10 }', '{ min: 2, max: 10'));
    expect(model).toBeUndefined();
    expect(issues[0]).toEqual({ path: '', line: 23, column: 3, message: expect.stringContaining('end with a }') });
    for (const issue of issues)
      expect(issue).toMatchObject({ path: '', line: expect.any(Number), column: expect.any(Number) });
  });

  test('GIVEN a mis-indented line WHEN parsed THEN the issue is where YAML sees the multi-line key', () => {
    const issues = parseFleet(edit(REFERENCE, '    multiAz: true', '      multiAz: true')).issues;
    expect(issues[0]).toEqual({
      path: '',
      line: 14,
      column: 19,
      message: 'Nested mappings are not allowed in compact mappings',
    });
  });

  test('GIVEN a duplicate key WHEN parsed THEN it is an issue at the second key, naming the first line', () => {
    const text = edit(REFERENCE, '    region: eu-west-1\n', '    region: eu-west-1\n    region: eu-west-2\n');
    expect(onlyIssue(text)).toEqual({
      path: 'dataPlanes[1].region',
      line: 26,
      column: 5,
      message: 'duplicate key "region" (first at line 25)',
    });
  });

  test('GIVEN several documents WHEN parsed THEN it is an issue at the second', () => {
    expect(onlyIssue(`${REFERENCE}---\nname: other\n`)).toMatchObject({ path: '', line: 32, column: 1 });
  });

  test('GIVEN an unresolved tag WHEN parsed THEN it is an issue', () => {
    expect(parseFleet(edit(REFERENCE, 'licenseSecret: kong-license', 'licenseSecret: !Ref License')).issues).toEqual([
      expect.objectContaining({ path: '', line: 4, message: expect.stringContaining('!Ref') }),
    ]);
  });

  test('GIVEN anchors and aliases WHEN parsed THEN they resolve; a billion laughs stops at a bound', () => {
    const aliased = edit(
      edit(REFERENCE, '  region: us-east-1\n  account', '  region: &home us-east-1\n  account'),
      '    region: us-east-1\n    replicas',
      '    region: *home\n    replicas',
    );
    expect(validModel(aliased).dataPlanes[0].region).toBe('us-east-1');
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 7; i++)
      laughs.push(
        `${'abcdefg'[i]}: &${'abcdefg'[i]} [${Array(10)
          .fill(`*${'abcdefg'[i - 1]}`)
          .join(', ')}]`,
      );
    expect(onlyIssue(laughs.join('\n'))).toMatchObject({
      path: '',
      message: expect.stringContaining('more than 100000 values'),
    });
  });

  test.each([
    ['an empty file', ''],
    ['only a comment', '# nothing\n'],
    ['a scalar', '42'],
    ['a list', '- a\n- b'],
    ['binary garbage', '\u0000\u00ff\u0001\ufffd\u0007{[\t'],
    ['a __proto__ key', '__proto__: { polluted: true }\n'],
  ])('GIVEN %s WHEN parsed THEN issues, no model, no exception', (_what, text) => {
    const result = parseFleet(text);
    expect(result.model).toBeUndefined();
    expect(result.issues.length).toBeGreaterThan(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('GIVEN a 10 MB string WHEN parsed THEN one issue about the size, quickly', () => {
    const started = Date.now();
    expect(onlyIssue('a: b\n'.repeat(2 * 1024 * 1024))).toEqual({
      path: '',
      line: 1,
      column: 1,
      message: `file is too large (${10 * 1024 * 1024} characters; at most ${MAX_FLEET_FILE_SIZE})`,
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('loadFleetFile and formatIssue', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kong-fleet-load-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('GIVEN the reference file on disk WHEN loaded THEN the model and the file name are returned', () => {
    const file = join(dir, 'fleet.yaml');
    writeFileSync(file, REFERENCE);
    const result = loadFleetFile(file);
    expect(result.issues).toEqual([]);
    expect(result.file).toBe(file);
    expect(result.model?.name).toBe('acme-gateway');
  });

  test('GIVEN a missing file WHEN loaded THEN one issue with an empty path', () => {
    const file = join(dir, 'missing.yaml');
    expect(loadFleetFile(file)).toEqual({
      file,
      issues: [{ path: '', message: 'cannot read the file: no such file' }],
    });
  });

  test('GIVEN a directory WHEN loaded THEN one issue with an empty path', () => {
    expect(loadFleetFile(dir).issues).toEqual([{ path: '', message: 'is not a file' }]);
  });

  test('GIVEN an issue with and without a position WHEN formatted THEN one line each', () => {
    expect(formatIssue('fleet.yaml', { path: 'dataPlanes[1].version', message: 'bad', line: 12, column: 7 })).toBe(
      'fleet.yaml:12:7: dataPlanes[1].version: bad',
    );
    expect(formatIssue('fleet.yaml', { path: 'kong', message: 'bad' })).toBe('fleet.yaml: kong: bad');
    expect(formatIssue('fleet.yaml', { path: '', message: 'cannot read the file: no such file' })).toBe(
      'fleet.yaml: cannot read the file: no such file',
    );
    expect(formatIssue('fleet.yaml', { path: '', message: 'Unexpected end', line: 3, column: 1 })).toBe(
      'fleet.yaml:3:1: Unexpected end',
    );
  });
});

describe('parseFleet: shared services', () => {
  const SERVICES = 'sharedServices:\n  redis: true\n  cognito: true\n  opensearch: true\n  prometheus: true\n';

  test('GIVEN per-region services and grafana WHEN parsed THEN the model lists the regions of each', () => {
    const model = validModel(
      edit(
        REFERENCE,
        SERVICES,
        'sharedServices:\n  redis: { regions: [eu-west-1] }\n  cognito: false\n  opensearch: true\n  prometheus: { grafana: true }\n',
      ),
    );
    expect(model.sharedServices).toEqual({
      redis: { regions: ['eu-west-1'] },
      opensearch: { regions: ['eu-west-1', 'us-east-1'] },
      prometheus: { regions: ['eu-west-1', 'us-east-1'], grafana: true },
    });
  });

  test('GIVEN only kubernetes data planes WHEN a service is on THEN it runs in no region', () => {
    const text = edit(
      edit(REFERENCE, 'runtime: eks                     # eks | ecs | ec2 | kubernetes', 'runtime: kubernetes'),
      '    runtime: ecs\n',
      '    runtime: kubernetes\n',
    );
    expect(validModel(text).sharedServices.redis).toEqual({ regions: [] });
  });

  test('GIVEN a region without an AWS data plane WHEN listed THEN it is an issue at that list item', () => {
    const issue = onlyIssue(edit(REFERENCE, '  redis: true\n', '  redis: { regions: [us-east-1, ap-south-1] }\n'));
    expect(issue.path).toBe('sharedServices.redis.regions[1]');
    expect(issue.message).toMatch(/no eks, ecs or ec2 data plane runs in "ap-south-1"/);
  });

  test('GIVEN a service that is neither a switch nor a mapping WHEN parsed THEN the message says what is allowed', () => {
    const issue = onlyIssue(edit(REFERENCE, '  redis: true\n', '  redis: yes please\n'));
    expect(issue.path).toBe('sharedServices.redis');
    expect(issue.message).toMatch(/must be true, false or a mapping/);
  });

  test('GIVEN grafana on a service other than prometheus WHEN parsed THEN it is an unknown key', () => {
    const issue = onlyIssue(edit(REFERENCE, '  redis: true\n', '  redis: { grafana: true }\n'));
    expect(issue.path).toBe('sharedServices.redis.grafana');
  });
});

test('GIVEN database.iamAuthentication WHEN parsed THEN the model carries it; anything but a boolean is refused', () => {
  const model = validModel(edit(REFERENCE, '    multiAz: true\n', '    multiAz: true\n    iamAuthentication: true\n'));
  expect(model.controlPlane.database).toMatchObject({ iamAuthentication: true });
  expect(
    onlyIssue(edit(REFERENCE, '    multiAz: true\n', '    multiAz: true\n    iamAuthentication: yes\n')).path,
  ).toBe('controlPlane.database.iamAuthentication');
});
