/**
 * `kong-fleet` as a user runs it: through bin/kong-fleet.js for exit codes and output, in-process
 * (`main`) where speed matters. The large fleet (26 data planes, 6 regions, all four DP runtimes)
 * is synthesized with staged assets and every template is linted.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXIT, main } from '../../src/cli/main';
import { secretFindings } from '../support/output-checks';

const REPO = path.resolve(__dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-cli-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function bin(...args: string[]) {
  const run = spawnSync(process.execPath, [path.join(REPO, 'bin', 'kong-fleet.js'), ...args], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

async function inProcess(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

test('validate: the default fleet.yaml is valid, one summary line, exit 0', () => {
  const { code, stdout, stderr } = bin('validate');
  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  expect(stdout.trim().split('\n')).toHaveLength(1);
  expect(stdout).toMatch(/^fleet\.yaml: valid — fleet kong-fleet: control plane on eks in us-east-1, 2 data planes/);
});

test('validate: the reference fleet from the issue is accepted as is', async () => {
  const { code } = await inProcess('validate', 'examples/fleets/reference.fleet.yaml');
  expect(code).toBe(EXIT.ok);
});

test('validate: every problem at once, file:line:column: path: reason, exit 1, no stack trace', () => {
  const file = path.join(tmp, 'bad.yaml');
  fs.writeFileSync(
    file,
    [
      'name: acme',
      'kong:',
      '  version: "3.10.0.6"',
      'controlPlane:',
      '  runtime: eks',
      '  region: us-east-1',
      '  endpoints:',
      '    hostedZone: kong.example.com',
      '    cluster: cluster.other.com',
      '    telemetry: telemetry.kong.example.com',
      'dataPlanes:',
      '  - name: dp-a',
      '    runtime: ecs',
      '    region: moon-1',
      '  - name: dp-a',
      '    runtime: eks',
      '    region: us-east-1',
      '    version: "3.11.0.3"',
      '    colour: blue',
      '',
    ].join('\n'),
  );
  const { code, stdout, stderr } = bin('validate', file);
  expect(code).toBe(1);
  expect(stdout).toBe('');
  const lines = stderr.trim().split('\n');
  expect(lines[lines.length - 1]).toMatch(new RegExp(`${file}: \\d+ problems`));
  const problems = lines.slice(0, -1);
  expect(problems.length).toBeGreaterThanOrEqual(5);
  for (const line of problems) expect(line).toMatch(new RegExp(`^${file}:\\d+:\\d+: \\S+: .+`));
  const text = problems.join('\n');
  expect(text).toMatch(/:9:\d+: controlPlane\.endpoints\.cluster: /);
  expect(text).toMatch(/:14:\d+: dataPlanes\[0\]\.region: /);
  expect(text).toMatch(/:15:\d+: dataPlanes\[1\]\.name: /);
  expect(text).toMatch(/:18:\d+: dataPlanes\[1\]\.version: /);
  expect(text).toMatch(/:19:\d+: dataPlanes\[1\](\.colour)?: /);
  expect(stderr).not.toMatch(/\n\s+at /);
});

test('usage errors exit 64; a missing file is an invalid fleet (exit 1)', async () => {
  expect((await inProcess('deploy')).code).toBe(EXIT.usage);
  expect((await inProcess('synth', '--out')).code).toBe(EXIT.usage);
  expect((await inProcess('plan', 'one.yaml')).code).toBe(EXIT.usage);
  const missing = await inProcess('validate', path.join(tmp, 'nope.yaml'));
  expect(missing.code).toBe(EXIT.invalid);
  expect(missing.stderr).toContain('nope.yaml');
  expect((await inProcess('--help')).stdout).toContain('usage: kong-fleet');
});

test('graph writes an SVG and the Mermaid text next to it', async () => {
  const out = path.join(tmp, 'graph', 'fleet.svg');
  const { code, stdout } = await inProcess('graph', 'examples/fleets/large.fleet.yaml', '--out', out);
  expect(code).toBe(EXIT.ok);
  expect(stdout).toContain('fleet.mmd');
  expect(fs.readFileSync(out, 'utf8')).toMatch(/^<\?xml|^<svg/);
  expect(fs.readFileSync(out.replace(/svg$/, 'mmd'), 'utf8')).toMatch(/^flowchart LR/);
});

describe('synth of the large fleet (26 DPs, 6 regions, eks/ecs/ec2/kubernetes)', () => {
  const out = path.join(tmp, 'large.out');
  let result: { code: number | null; stdout: string; stderr: string };
  beforeAll(() => {
    result = bin('synth', 'examples/fleets/large.fleet.yaml', '--out', out);
  }, 300_000);

  test('exit 0, progress per stack, a summary row per stack', () => {
    expect(result.code).toBe(0);
    const templates = fs.readdirSync(out).filter((f) => f.endsWith('.template.json'));
    expect(templates.length).toBeGreaterThanOrEqual(26 + 6 + 1);
    for (const t of templates) {
      const stack = t.replace('.template.json', '');
      expect(result.stderr).toContain(`building ${stack} (`);
      expect(result.stdout).toMatch(new RegExp(`^${stack}\\s+\\S+-\\d\\s+\\S+\\s+\\d+\\s+[\\d.]+ KB`, 'm'));
    }
  });

  test('every template passes cfn-lint with no errors', () => {
    const templates = fs
      .readdirSync(out)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => path.join(out, f));
    const run = spawnSync('cfn-lint', ['--format', 'parseable', '--ignore-checks', 'W3005', '--', ...templates], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (run.error) throw new Error(`cfn-lint is required: ${run.error.message}`);
    expect(run.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l))).toEqual([]);
    expect((run.status ?? 1) & 3).toBe(0);
  }, 600_000);

  test('kubernetes data planes get values.yaml and secrets.md; no secret anywhere in the output', () => {
    const dir = path.join(out, 'kubernetes', 'dp-kub-useast1');
    expect(fs.readdirSync(dir).sort()).toEqual(['secrets.md', 'values.yaml']);
    expect(secretFindings(out)).toEqual([]);
  });
});

describe('security checks on synth and check (cdk-nag AwsSolutions, KongFleet rules, leak scan)', () => {
  /** The default fleet with `extra` lines added to its second data plane (ECS) or a new one. */
  function fleetWith(name: string, edit: (text: string) => string): string {
    const file = path.join(tmp, `${name}.fleet.yaml`);
    fs.writeFileSync(file, edit(fs.readFileSync(path.join(REPO, 'fleet.yaml'), 'utf8')));
    return file;
  }
  // Key-shaped text made at run time (none is committed); one line, as a fleet file needs.
  const keyLine = `${'-----BEGIN'} PRIVATE KEY----- ${'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49'.repeat(2)}`;

  test('check: the default fleet passes every check, exit 0', async () => {
    const { code, stdout } = await inProcess('check');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/^checks passed: AwsSolutions \(cdk-nag\), KongFleet .*leak scan/m);
  }, 120_000);

  test('a key in an ECS data plane setting: a KongFleet finding, one line with its construct path, exit 3', async () => {
    const file = fleetWith('plain-key', (text) =>
      text.replace(
        '    replicas: { min: 2, max: 6 }',
        `    replicas: { min: 2, max: 6 }\n    kongSettings:\n      ssl_cert_key: "${keyLine}"`,
      ),
    );
    const { code, stderr } = await inProcess('synth', file, '--out', path.join(tmp, 'plain-key.out'));
    expect(code).toBe(EXIT.insecure);
    expect(stderr).toMatch(
      /^error: kong-fleet-dp-dp-ecs-euw1\/DataPlane\/TaskDefinition\/Resource: KongFleet-KONG4: .*plain text/m,
    );
    expect(stderr).not.toContain('MIGHAgEA');
    expect(stderr).not.toMatch(/at .*\.ts:\d+/);
  }, 120_000);

  test('a key in a kubernetes data plane setting: caught by the leak scan of the generated values, exit 3', async () => {
    const file = fleetWith('k8s-key', (text) =>
      text.concat(
        `  - name: dp-k8s\n    runtime: kubernetes\n    region: eu-west-1\n    kongSettings:\n      ssl_cert_key: "${keyLine}"\n`,
      ),
    );
    const { code, stderr } = await inProcess('check', file);
    expect(code).toBe(EXIT.insecure);
    expect(stderr).toMatch(
      /^error: .*kubernetes\/dp-k8s\/values\.yaml:\d+: PEM private key: a secret value in the output$/m,
    );
  }, 120_000);
});
