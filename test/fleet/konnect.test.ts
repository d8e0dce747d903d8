/**
 * examples/konnect.fleet.yaml as a user synthesizes it (`kong-fleet synth`, offline, in-process):
 * no control-plane stack, every data plane with Konnect's settings and its own registered
 * certificate, clean checks, cfn-lint, no secret in the output, only keys Kong knows.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { parse as parseYaml } from 'yaml';
import { EXIT, main } from '../../src/cli/main';
import { KongKonnectControlPlane } from '../../src/control-plane/kong-konnect-control-plane';
import { IKongClusterTrust } from '../../src/core/cluster-credentials';
import { IKongControlPlaneConnection } from '../../src/core/control-plane-connection';
import { parseFleet } from '../../src/fleet/load';
import { cfnLintErrors, secretFindings, unknownKongNames } from '../support/output-checks';
import { expectKongError } from '../support/errors';
import { helmValues } from '../support/synth';

const REPO = path.resolve(__dirname, '..', '..');
const EXAMPLE = path.join(REPO, 'examples', 'konnect.fleet.yaml');
const CP = '0123456789.us.cp0.konghq.com';
const TP = '0123456789.us.tp0.konghq.com';
const EXPECTED = {
  role: 'data_plane',
  database: 'off',
  konnect_mode: 'on',
  cluster_mtls: 'pki',
  lua_ssl_trusted_certificate: 'system',
  cluster_control_plane: `${CP}:443`,
  cluster_server_name: CP,
  cluster_telemetry_endpoint: `${TP}:443`,
  cluster_telemetry_server_name: TP,
};
const DATA_PLANES = ['dp-eks-use1', 'dp-ecs-use1', 'dp-ec2-euw1', 'dp-k8s-usw2'];

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-konnect-'));
const out = path.join(tmp, 'cdk.out');
let result: { code: number; stdout: string; stderr: string };
const template = (stack: string) => path.join(out, `${stack}.template.json`);
const templateOf = (stack: string) => Template.fromJSON(JSON.parse(fs.readFileSync(template(stack), 'utf8')));

beforeAll(async () => {
  let stdout = '';
  let stderr = '';
  const code = await main(['synth', EXAMPLE, '--out', out], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  result = { code, stdout, stderr };
}, 240_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** kong.conf-style settings of one data plane, read back from what its runtime is given. */
function settingsOf(dp: string): Record<string, string> {
  const stack = `konnect-dp-${dp}`;
  if (dp === 'dp-k8s-usw2') {
    const values = parseYaml(fs.readFileSync(path.join(out, 'kubernetes', dp, 'values.yaml'), 'utf8'));
    return values.env;
  }
  const t = templateOf(stack);
  if (dp === 'dp-eks-use1') return helmValues(t, 'kong').env;
  if (dp === 'dp-ecs-use1') {
    const [task] = Object.values(t.findResources('AWS::ECS::TaskDefinition')) as any[];
    const kong = task.Properties.ContainerDefinitions.find((c: any) => c.Name === 'kong');
    const env: Record<string, string> = {};
    for (const e of kong.Environment) env[e.Name.replace(/^KONG_/, '').toLowerCase()] = e.Value;
    for (const s of kong.Secrets) env[s.Name.replace(/^KONG_/, '').toLowerCase()] = '(secret)';
    return env;
  }
  // EC2: kong.conf, written by the user data (lines `name = value` inside the template's strings).
  const text = fs.readFileSync(template(stack), 'utf8');
  const conf: Record<string, string> = {};
  for (const m of text.matchAll(/\\n([a-z_]+) = ([^\\"]*)/g)) conf[m[1]] = m[2];
  return conf;
}

test('synth succeeds offline with clean checks; no control-plane stack', () => {
  expect({ code: result.code, stdout: result.stdout }).toEqual({
    code: EXIT.ok,
    stdout: expect.stringContaining('checks passed'),
  });
  const stacks = fs.readdirSync(out).filter((f) => f.endsWith('.template.json'));
  expect(stacks.sort()).toEqual(
    [
      ...DATA_PLANES.map((dp) => `konnect-dp-${dp}.template.json`),
      'konnect-net-eu-west-1.template.json',
      'konnect-net-us-east-1.template.json',
    ].sort(),
  );
  expect(result.stdout).toContain(`konnect-dp-dp-ecs-use1  us-east-1  ecs`);
  expect(result.stdout).toContain(`${CP}:443`);
});

test.each(DATA_PLANES)('%s: Konnect settings, port 443 endpoints, matching server names, no CA', (dp) => {
  const settings = settingsOf(dp);
  expect(settings).toEqual(expect.objectContaining(EXPECTED));
  expect(Object.keys(settings)).not.toContain('cluster_ca_cert');
  expect(Object.keys(settings)).not.toContain('license_data');
});

test.each(DATA_PLANES)(
  '%s: its own certificate, pinned to the Konnect control plane with the token read by name',
  (dp) => {
    templateOf(`konnect-dp-${dp}`).hasResourceProperties('Custom::KongClusterCertificate', {
      Mode: 'konnect',
      CommonName: dp,
      KonnectControlPlaneId: '00000000-0000-4000-8000-000000000000',
      KonnectApiUrl: 'https://us.api.konghq.com',
      KonnectTokenSecret: 'kong-fleet/konnect/token',
    });
  },
);

test('cfn-lint: no errors in any template', () => {
  for (const file of fs.readdirSync(out).filter((f) => f.endsWith('.template.json'))) {
    const lint = cfnLintErrors(path.join(out, file));
    expect([file, lint.errors]).toEqual([file, []]);
  }
}, 120_000);

test('no token, key or other secret anywhere in the output; every KONG_* and env key known to Kong', () => {
  expect(secretFindings(out)).toEqual([]);
  const templates = fs
    .readdirSync(out)
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => path.join(out, f));
  expect(unknownKongNames(templates)).toEqual([]);
});

test('validate refuses a Konnect control plane with certificates.mode shared', () => {
  const text = fs.readFileSync(EXAMPLE, 'utf8').replace('mode: pki', 'mode: shared');
  expect(parseFleet(text).issues).toEqual([
    expect.objectContaining({
      path: 'certificates.mode',
      message: 'must be pki for a konnect control plane (got "shared")',
    }),
  ]);
});

test('validate refuses endpoints that are not Konnect host names of one region, and an unknown region', () => {
  const text = fs
    .readFileSync(EXAMPLE, 'utf8')
    .replace(`telemetryEndpoint: ${TP}`, 'telemetryEndpoint: 0123456789.eu.tp0.konghq.com')
    .replace(`clusterEndpoint: ${CP}`, `clusterEndpoint: ${CP}`)
    .replace('apiRegion: us', 'apiRegion: xx');
  const messages = parseFleet(text).issues.map((i) => `${i.path}: ${i.message}`);
  expect(messages).toEqual(
    expect.arrayContaining([
      expect.stringMatching(/^controlPlane\.konnect\.apiRegion: is not a Konnect region/),
      expect.stringMatching(/^controlPlane\.konnect\.telemetryEndpoint: is in Konnect region eu/),
    ]),
  );
  const bad = fs.readFileSync(EXAMPLE, 'utf8').replace(`clusterEndpoint: ${CP}`, 'clusterEndpoint: cp.example.com');
  expect(parseFleet(bad).issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
    expect.stringMatching(/^controlPlane\.konnect\.clusterEndpoint: is not a Konnect cluster host name/),
  ]);
});

describe('KongKonnectControlPlane', () => {
  const props = {
    controlPlaneId: '00000000-0000-4000-8000-000000000000',
    clusterEndpoint: CP,
    telemetryEndpoint: TP,
    tokenSecretName: 'kong-fleet/konnect/token',
  };

  test('endpoints on 443, the Konnect marker, no license, no resources; the trust has no CP credentials', () => {
    const stack = new Stack(new App(), 'S');
    const cp = new KongKonnectControlPlane(stack, 'Konnect', props);
    expect(cp.clusterEndpoint).toEqual({ host: CP, port: 443 });
    expect(cp.telemetryEndpoint).toEqual({ host: TP, port: 443 });
    expect(cp.konnect).toBe(true);
    expect((cp as IKongControlPlaneConnection).licenseSecret).toBeUndefined();
    expect(cp.trust.mode).toBe('pki');
    expect(cp.trust.apiBaseUrl).toBe('https://us.api.konghq.com');
    expect(stack.node.findAll().filter((c) => c instanceof CfnResource)).toEqual([]);
    expectKongError(
      () => (cp.trust as IKongClusterTrust).controlPlaneCredentials(cp, { serverNames: [CP] }),
      /Konnect\.trust: a Konnect trust has no control-plane credentials/,
    );
  });

  test.each([
    ['a bad id', { controlPlaneId: 'abc' }, /Konnect\/Trust\.controlPlaneId: is not a Konnect control plane id/],
    [
      'a self-hosted endpoint',
      { clusterEndpoint: 'cp.example.com' },
      /Konnect\.clusterEndpoint: is not a Konnect cluster host/,
    ],
    ['another API region', { apiRegion: 'eu' }, /Konnect\.apiRegion: differs from the region of the cluster endpoint/],
    [
      'an API of another region',
      { apiBaseUrl: 'https://eu.api.konghq.com' },
      /Konnect\.apiBaseUrl: is the API of another region/,
    ],
    [
      'a token ARN',
      { tokenSecretName: `arn:${'aws'}:secretsmanager:us-east-1:111111111111:secret:t` },
      /tokenSecretName: is not a Secrets Manager secret name/,
    ],
    ['a bad version', { kongVersion: 'latest' }, /Konnect\.kongVersion/],
  ])('refuses %s', (_what, change, pattern) => {
    expectKongError(
      () => new KongKonnectControlPlane(new Stack(new App(), 'S'), 'Konnect', { ...props, ...change }),
      pattern,
    );
  });
});
