/**
 * Real-tool checks on the seed app's full synthesized output (assets staged, as `npm start` and
 * `cdk synth` produce it): cfn-lint, a scan for secret material, and Kong's reference files.
 */
import { execFileSync } from 'child_process';
import { generateKeyPairSync } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { buildSeedApp } from '../../examples/seed-app';
import { cfnLintErrors, filesUnder, secretFindings, unknownKongNames } from '../support/output-checks';

const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-seed-'));
const seed = buildSeedApp(new App({ outdir }));
const assembly = seed.app.synth();
const templates = assembly.stacks.map((s) => path.join(assembly.directory, s.templateFile));

afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

test('the seed synthesizes KongCpEks and KongDpEks', () => {
  expect(assembly.stacks.map((s) => s.stackName).sort()).toEqual(['KongCpEks', 'KongDpEks']);
});

test('cfn-lint reports no errors on any template', () => {
  for (const template of templates) {
    const { errors, status } = cfnLintErrors(template);
    expect({ template: path.basename(template), errors, status }).toEqual({
      template: path.basename(template),
      errors: [],
      status: 0,
    });
  }
});

test('no private key, access key, license or password anywhere in the synthesized output', () => {
  expect(filesUnder(assembly.directory).length).toBeGreaterThan(templates.length);
  expect(secretFindings(assembly.directory)).toEqual([]);
});

test('the scanner catches a planted secret (so the check above can fail)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-plant-'));
  try {
    // Made at run time so no key is committed to git (test/security has every kind of leak).
    const planted = generateKeyPairSync('ec', { namedCurve: 'P-384' })
      .privateKey.export({ type: 'sec1', format: 'pem' })
      .toString();
    fs.writeFileSync(path.join(dir, 'template.json'), JSON.stringify({ cert: planted, pg_password: 'hunter22' }));
    expect(secretFindings(dir)).toEqual([
      'template.json:1: PEM private key',
      'template.json:1: literal password in JSON',
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('every KONG_* name and every env.* key of the Helm values exists in Kong reference files', () => {
  expect(unknownKongNames(templates)).toEqual([]);
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
