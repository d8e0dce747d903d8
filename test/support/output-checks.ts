/**
 * Real-tool checks on synthesized output, shared by the integration tests of every example app:
 * cfn-lint, a scan for secret material, and Kong's reference files.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import {
  defaultReferenceDir,
  isKnownKongEnvName,
  isKnownKongSetting,
  loadKongReference,
} from '../../src/kong/reference';
import { filesUnder, formatLeak, scanForLeaks } from '../../src/security/leak-scanner';

export { filesUnder };
import { helmValues } from './synth';

/** `<file>:<line>: <what>` for every secret the leak scanner finds under `dir`. */
export function secretFindings(dir: string): string[] {
  return scanForLeaks([dir]).map((finding) => formatLeak(finding, dir));
}

/** cfn-lint's errors (E-rules) on one template; W3005 (redundant DependsOn) is CDK noise. Throws without cfn-lint. */
export function cfnLintErrors(template: string): { errors: string[]; status: number } {
  const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
  if (version.error) throw new Error(`cfn-lint is required for this test and was not found: ${version.error.message}`);
  const run = spawnSync('cfn-lint', ['--format', 'parseable', '--ignore-checks', 'W3005', '--', template], {
    encoding: 'utf8',
  });
  // cfn-lint's exit code is a bitmask: 1 = crash, 2 = errors, 4 = warnings, 8 = informational.
  return { errors: run.stdout.split('\n').filter((l) => /:E\d{4}:/.test(l)), status: (run.status ?? 1) & 3 };
}

/** KONG_* names and Helm `env.*` keys in the templates that Kong's reference files do not know. */
export function unknownKongNames(templates: string[]): string[] {
  const reference = loadKongReference(defaultReferenceDir());
  const unknown: string[] = [];
  for (const file of templates) {
    const text = fs.readFileSync(file, 'utf8');
    for (const name of new Set(text.match(/KONG_[A-Z0-9_]+/g) ?? [])) {
      if (!isKnownKongEnvName(reference, name)) unknown.push(`${path.basename(file)}: ${name}`);
    }
    const template = Template.fromJSON(JSON.parse(text));
    const kongCharts = template.findResources('Custom::AWSCDK-EKS-HelmChart', { Properties: { Chart: 'kong' } });
    if (Object.keys(kongCharts).length === 0) continue;
    const env = helmValues(template, 'kong').env as Record<string, unknown>;
    if (Object.keys(env).length <= 5) unknown.push(`${path.basename(file)}: only ${Object.keys(env).length} env keys`);
    for (const key of Object.keys(env)) {
      if (!isKnownKongSetting(reference, key)) {
        unknown.push(`${path.basename(file)}: env.${key}`);
      }
    }
  }
  return unknown;
}

/**
 * Synthesizes an example app the way a user does — `npx cdk synth --app "npx tsx <app>" -o <outdir>`,
 * offline — and returns the templates of `stacks` by stack name.
 */
export function cdkSynthExample(app: string, outdir: string, stacks: readonly string[]): Record<string, Template> {
  execFileSync('npx', ['cdk', 'synth', '--no-notices', '--quiet', '--app', `npx tsx ${app}`, '-o', outdir], {
    cwd: path.resolve(__dirname, '..', '..'),
    env: {
      ...process.env,
      JSII_DEPRECATED: 'quiet',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      CDK_DISABLE_VERSION_CHECK: '1',
    },
    stdio: 'pipe',
    timeout: 300_000,
  });
  return Object.fromEntries(
    stacks.map((s) => [
      s,
      Template.fromJSON(JSON.parse(fs.readFileSync(path.join(outdir, `${s}.template.json`), 'utf8'))),
    ]),
  );
}
