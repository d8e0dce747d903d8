/**
 * Real-tool checks on the seed app's full synthesized output (assets staged, as `npm start` and
 * `cdk synth` produce it): cfn-lint, a scan for secret material, and Kong's reference files.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildSeedApp } from '../../examples/seed-app';
import { defaultReferenceDir, loadKongReference } from '../../src/kong/reference';
import { helmValues } from '../support/synth';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-seed-'));
const seed = buildSeedApp(new App({ outdir }));
const assembly = seed.app.synth();
const templates = assembly.stacks.map((s) => path.join(assembly.directory, s.templateFile));

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

test('the seed synthesizes KongCpEks and KongDpEks', () => {
  expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['KongCpEks', 'KongDpEks']);
});

test('cfn-lint reports no errors on any template', () => {
  const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (version.error) throw new Error(`cfn-lint is required for this test and was not found: ${version.error.message}`);
  for (const template of templates) {
    // W3005 (redundant DependsOn) is CDK noise; everything else is reported.
    const run = spawnSync('cfn-lint', ['--format', 'parseable', '--ignore-checks', 'W3005', '--', template], {
      encoding: 'utf8',
    });
    // cfn-lint's exit code is a bitmask: 2 = errors, 4 = warnings, 8 = informational.
    const errors = run.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l));
    expect({ template: path.basename(template), errors }).toEqual({ template: path.basename(template), errors: [] });
    expect(run.status! & 2).toBe(0);
    expect(run.status! & 1).toBe(0);
  }
});

const SECRET_PATTERNS: [string, RegExp][] = [
  ['PEM private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['AWS access key id', /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['Kong license payload', /"(license_key|payload)"\s*:\s*"[^"]{16,}"|"signature"\s*:\s*"[0-9a-f]{64,}"/],
  ['literal database password', /"MasterUserPassword"\s*:\s*"(?!\{\{resolve:)/],
  ['literal password value', /"(pg_password|password)"\s*:\s*"(?!\{\{resolve:)[^"]+"/],
];

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

test('no private key, access key, license or password anywhere in the synthesized output', () => {
  const files = filesUnder(assembly.directory);
  expect(files.length).toBeGreaterThan(templates.length);
  const findings: string[] = [];
  for (const file of files) {
    const text = fs.readFileSync(file).toString('latin1');
    for (const [what, pattern] of SECRET_PATTERNS) {
      if (pattern.test(text)) findings.push(`${path.relative(assembly.directory, file)}: ${what}`);
    }
  }
  expect(findings).toEqual([]);
});

test('the scanner catches a planted secret (so the check above can fail)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-plant-'));
  try {
    // Built at run time so no key-shaped text is committed to git.
    const planted = `${'-----BEGIN'} EC PRIVATE KEY-----\nMIG...\n-----END EC PRIVATE KEY-----`;
    fs.writeFileSync(path.join(dir, 'template.json'), JSON.stringify({ cert: planted, pg_password: 'hunter22' }));
    const text = fs.readFileSync(path.join(dir, 'template.json'), 'latin1');
    const hits = SECRET_PATTERNS.filter(([, p]) => p.test(text)).map(([w]) => w);
    expect(hits).toEqual(['PEM private key', 'literal password value']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every KONG_* name and every env.* key of the Helm values exists in Kong reference files', () => {
  const reference = loadKongReference(defaultReferenceDir());
  const unknown: string[] = [];
  for (const file of templates) {
    const text = fs.readFileSync(file, 'utf8');
    for (const name of new Set(text.match(/KONG_[A-Z0-9_]+/g) ?? [])) {
      if (!reference.envNames.has(name)) unknown.push(`${path.basename(file)}: ${name}`);
    }
    const template = Template.fromJSON(JSON.parse(text));
    if (Object.keys(template.findResources('Custom::AWSCDK-EKS-HelmChart')).length === 0) continue;
    const env = helmValues(template, 'kong').env as Record<string, unknown>;
    expect(Object.keys(env).length).toBeGreaterThan(5);
    for (const key of Object.keys(env)) {
      if (!reference.confNames.has(key) && !reference.envNames.has(`KONG_${key.toUpperCase()}`)) {
        unknown.push(`${path.basename(file)}: env.${key}`);
      }
    }
  }
  expect(unknown).toEqual([]);
});

test('npx cdk synth works with the repo cdk.json, offline', () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-cli-'));
  try {
    execFileSync('npx', ['cdk', 'synth', '--no-notices', '--quiet', '-o', out], {
      cwd: path.resolve(__dirname, '..', '..'),
      env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: 'true', CDK_DISABLE_VERSION_CHECK: '1' },
      stdio: 'pipe',
      timeout: 300_000,
    });
    expect(fs.existsSync(path.join(out, 'KongCpEks.template.json'))).toBe(true);
    expect(fs.existsSync(path.join(out, 'KongDpEks.template.json'))).toBe(true);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
