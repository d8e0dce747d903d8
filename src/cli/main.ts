/**
 * `kong-fleet`: validate, synthesize, plan and draw a Kong hybrid-mode fleet from its fleet file.
 * Offline: no AWS credentials, Docker or network.
 *
 * Exit codes: 0 done (plan: safe), 1 the fleet file is invalid (every problem printed, one line
 * each: file:line:column: path: reason), 2 the plan is unsafe (reasons printed), 3 the synthesized
 * fleet fails a security check (cdk-nag AwsSolutions, kong-fleet's rules, the leak scanner; one
 * line per finding), 64 usage error, 70 internal error (set KONG_FLEET_DEBUG=1 for the stack trace).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FleetApp } from '../fleet/fleet-app';
import { renderFleetMermaid, renderFleetSvg } from '../fleet/graph';
import { formatIssue, loadFleetFile } from '../fleet/load';
import type { FleetModel } from '../fleet/model';
import { formatPlan, planFleet, StackTemplates } from '../fleet/plan';
import { StackLimitsGuard } from '../core/stack-limits';
import { KongFleetError } from '../kong/errors';
import { formatLeak, scanForLeaks } from '../security/leak-scanner';
import {
  attachSecurityChecks,
  formatFinding,
  readValidationReport,
  SECURITY_CHECKS,
  withoutConsoleReport,
} from './checks';
import { formatSummary, summarizeAssembly } from './summary';
import { generateTemplates } from '../templates/plane-templates';

const STACK_LIMITS_PLUGIN = new StackLimitsGuard().name;

export const EXIT = { ok: 0, invalid: 1, unsafe: 2, insecure: 3, usage: 64, internal: 70 } as const;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const DEFAULT_FILE = 'fleet.yaml';

const USAGE = `usage: kong-fleet <command> [options]

  validate [file]                 check a fleet file (default ${DEFAULT_FILE})
  synth [file] [--out dir]        synthesize its CloudFormation stacks (default dir cdk.out) and run
                                  the security checks (cdk-nag AwsSolutions, kong-fleet rules, leaks)
  check [file]                    the same checks without keeping the output
  plan <old-file> <new-file>      what changes from one fleet file to the other, and whether it is safe
  graph [file] [--out file.svg]   draw the fleet (SVG, plus Mermaid text next to it; default fleet.svg)
  templates [--out dir]           write standalone, parameterized CloudFormation templates (no CDK
                                  bootstrap) for the control plane (EC2, EKS) and the data planes
                                  (ECS, EC2, EKS), and their Lambda assets (default dir cloudformation)

exit codes: 0 ok / safe, 1 invalid fleet file, 2 unsafe plan, 3 security finding, 64 usage error,
            70 internal error
`;

class UsageError extends Error {}

/** Runs one command; returns the exit code. Never throws for a user mistake. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    const { command, positional, out } = parseArgs(argv);
    switch (command) {
      case 'validate':
        return validate(positional[0] ?? DEFAULT_FILE, io);
      case 'synth':
        return synth(positional[0] ?? DEFAULT_FILE, out ?? 'cdk.out', io);
      case 'check':
        return check(positional[0] ?? DEFAULT_FILE, io);
      case 'plan':
        if (positional.length !== 2) throw new UsageError('plan needs <old-file> and <new-file>');
        return plan(positional[0], positional[1], io);
      case 'graph':
        return graph(positional[0] ?? DEFAULT_FILE, out ?? 'fleet.svg', io);
      case 'templates':
        if (positional.length > 0) throw new UsageError('templates takes no file, only --out');
        return templates(out ?? 'cloudformation', io);
      case 'help':
        io.stdout(USAGE);
        return EXIT.ok;
      default:
        throw new UsageError(command ? `unknown command "${command}"` : 'no command given');
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`kong-fleet: ${error.message}\n${USAGE}`);
      return EXIT.usage;
    }
    if (error instanceof KongFleetError) {
      io.stderr(`error: ${error.message}\n`);
      return EXIT.invalid;
    }
    if ((error as Error)?.name === 'ValidationFailed') {
      // A validation plugin outside synth (they are reported there): its report.
      io.stderr(`error: the synthesized fleet failed validation:\n${(error as Error).message}\n`);
      return EXIT.invalid;
    }
    const err = error as Error;
    io.stderr(`internal error: ${err?.message ?? String(error)}\n`);
    if (process.env.KONG_FLEET_DEBUG) io.stderr(`${err?.stack ?? ''}\n`);
    else io.stderr('(set KONG_FLEET_DEBUG=1 for the stack trace)\n');
    return EXIT.internal;
  }
}

function parseArgs(argv: readonly string[]): { command?: string; positional: string[]; out?: string } {
  const positional: string[] = [];
  let out: string | undefined;
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return { command: 'help', positional };
    if (arg === '--out' || arg === '-o') {
      out = argv[++i];
      if (!out) throw new UsageError(`${arg} needs a value`);
    } else if (arg.startsWith('--out=')) {
      out = arg.slice('--out='.length);
    } else if (arg.startsWith('-')) {
      throw new UsageError(`unknown option "${arg}"`);
    } else if (command === undefined) {
      command = arg;
    } else {
      positional.push(arg);
    }
  }
  return { command, positional, out };
}

/** Loads a fleet file; prints every problem and returns undefined when it is invalid. */
function load(file: string, io: CliIo): FleetModel | undefined {
  const { model, issues } = loadFleetFile(file);
  if (issues.length === 0 && model) return model;
  for (const issue of issues) io.stderr(`${formatIssue(file, issue)}\n`);
  io.stderr(`${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n`);
  return undefined;
}

function validate(file: string, io: CliIo): number {
  const model = load(file, io);
  if (!model) return EXIT.invalid;
  io.stdout(`${file}: valid — ${describeFleet(model)}\n`);
  return EXIT.ok;
}

function describeControlPlane(model: FleetModel): string {
  const cp = model.controlPlane;
  return cp.runtime === 'konnect' && cp.konnect
    ? `control plane in Kong Konnect (${cp.konnect.apiRegion}, ${cp.konnect.controlPlaneId})`
    : `control plane on ${cp.runtime} in ${cp.region}`;
}

/** One line: the fleet at a glance. */
export function describeFleet(model: FleetModel): string {
  const byRuntime = new Map<string, number>();
  for (const dp of model.dataPlanes) byRuntime.set(dp.runtime, (byRuntime.get(dp.runtime) ?? 0) + 1);
  const regions = new Set(model.dataPlanes.map((dp) => dp.region));
  const runtimes = [...byRuntime].map(([runtime, n]) => `${runtime} ${n}`).join(', ');
  return (
    `fleet ${model.name}: ${describeControlPlane(model)}, ` +
    `${model.dataPlanes.length} data plane${model.dataPlanes.length === 1 ? '' : 's'}` +
    (runtimes ? ` (${runtimes})` : '') +
    ` in ${regions.size} region${regions.size === 1 ? '' : 's'}, ${model.certificates.mode} trust, Kong ${model.kong.version}`
  );
}

function synth(file: string, outdir: string, io: CliIo): number {
  const model = load(file, io);
  if (!model) return EXIT.invalid;
  const started = Date.now();
  fs.rmSync(outdir, { recursive: true, force: true });
  io.stderr(`synthesizing fleet ${model.name} from ${file} into ${outdir}\n`);
  const app = new FleetApp(model, { outdir, progress: (message) => io.stderr(`  building ${message}\n`) });
  attachSecurityChecks(app);
  io.stderr(`  writing the cloud assembly and checking it (${SECURITY_CHECKS.join(', ')})…\n`);
  let assembly;
  try {
    assembly = withoutConsoleReport(() => app.synth());
  } catch (error) {
    if ((error as Error)?.name !== 'ValidationFailed') throw error;
    return reportValidationFailure(outdir, io);
  }
  for (const [name, dp] of app.kubernetesDataPlanes) {
    const dir = path.join(outdir, 'kubernetes', name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [fileName, text] of Object.entries(dp.files)) fs.writeFileSync(path.join(dir, fileName), text);
    io.stderr(`  wrote ${dir}/ (helm: ${dp.helmCommand})\n`);
  }
  io.stderr('  scanning the output for secrets…\n');
  const leaks = scanForLeaks([outdir]);
  for (const leak of leaks) io.stderr(`error: ${formatLeak(leak)}: a secret value in the output\n`);
  for (const warning of app.warnings) io.stderr(`warning: ${warning}\n`);
  if (leaks.length > 0) {
    io.stderr(`${outdir}: ${leaks.length} secret value(s) found; nothing kong-fleet writes may hold one\n`);
    return EXIT.insecure;
  }
  io.stdout(formatSummary(summarizeAssembly(assembly, app.fleetStacks), Date.now() - started));
  io.stdout(`checks passed: ${SECURITY_CHECKS.join(', ')}, leak scan — no unacknowledged finding\n`);
  return EXIT.ok;
}

/**
 * Prints the findings of a failed synth-time validation, one line each: stack limits make the
 * fleet invalid (exit 1), security findings make it insecure (exit 3).
 */
function reportValidationFailure(outdir: string, io: CliIo): number {
  const findings = readValidationReport(outdir);
  for (const finding of findings) io.stderr(`error: ${formatFinding(finding)}\n`);
  const limitsOnly = findings.length > 0 && findings.every((f) => f.plugin === STACK_LIMITS_PLUGIN);
  io.stderr(
    `${findings.length} finding(s)` +
      (limitsOnly
        ? ': split the fleet (fewer data planes per stack) or raise the limit\n'
        : '. Fix them, or acknowledge an intended one next to its construct with a specific reason ' +
          '(Validations.of(construct).acknowledge); see docs/nag-rules.md\n'),
  );
  return limitsOnly ? EXIT.invalid : EXIT.insecure;
}

/** `synth` into a temporary directory: the checks alone. */
function check(file: string, io: CliIo): number {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-check-'));
  try {
    let summary = '';
    const code = synth(file, outdir, { stdout: (t) => (summary += t), stderr: io.stderr });
    if (code === EXIT.ok)
      io.stdout(
        summary
          .split('\n')
          .filter((l) => l.startsWith('checks passed'))
          .join('\n') + '\n',
      );
    return code;
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/** Templates of every stack of a fleet, synthesized without staging assets (plan reads templates only). */
export function synthesizeTemplates(model: FleetModel): StackTemplates {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-plan-'));
  try {
    const app = new FleetApp(model, { outdir, context: { 'aws:cdk:disable-asset-staging': true } });
    const assembly = app.synth();
    return Object.fromEntries(
      assembly.stacks.map((s) => [s.stackName, { template: s.template, region: s.environment.region }]),
    );
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

function plan(oldFile: string, newFile: string, io: CliIo): number {
  const oldModel = load(oldFile, io);
  // A data plane newer than its control plane is a refused change, not a broken file.
  const next = loadFleetFile(newFile);
  if (next.issues.length > 0 && next.issues.every((issue) => issue.code === 'version-incompatible')) {
    io.stdout('UNSAFE: the new fleet breaks the data-plane version rule (upgrade the control plane first):\n');
    for (const issue of next.issues) io.stdout(`  - ${formatIssue(newFile, issue)}\n`);
    return EXIT.unsafe;
  }
  const newModel = load(newFile, io);
  if (!oldModel || !newModel) return EXIT.invalid;
  io.stderr(`synthesizing ${oldFile} and ${newFile}…\n`);
  const result = planFleet(oldModel, newModel, synthesizeTemplates(oldModel), synthesizeTemplates(newModel));
  io.stdout(formatPlan(result));
  return result.verdict.safe ? EXIT.ok : EXIT.unsafe;
}

function graph(file: string, out: string, io: CliIo): number {
  const model = load(file, io);
  if (!model) return EXIT.invalid;
  const mermaidFile = out.replace(/\.svg$/i, '') + '.mmd';
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, renderFleetSvg(model));
  fs.writeFileSync(mermaidFile, renderFleetMermaid(model));
  io.stdout(`wrote ${out} and ${mermaidFile} (${describeFleet(model)})\n`);
  return EXIT.ok;
}

function templates(outdir: string, io: CliIo): number {
  io.stderr(`writing CloudFormation templates to ${outdir} ...\n`);
  const result = withoutConsoleReport(() => generateTemplates(outdir));
  const rel = (file: string) => path.relative(process.cwd(), file) || '.';
  const lines = result.templates.map((t) => `  ${rel(t.file)}`);
  const assets = rel(result.assetsDir);
  const template = (kind: string) =>
    rel(result.templates.find((t) => t.kind === kind)?.file ?? `${kind}.template.json`);
  io.stdout(
    [
      `wrote ${result.templates.length} templates and ${result.assets.length} assets (${rel(result.manifestFile)}):`,
      ...lines,
      '',
      "upload the assets (the bucket must be in the stacks' region):",
      `  aws s3 sync ${assets} s3://<bucket>/kong-fleet/ --exclude manifest.json`,
      '',
      'deploy the control plane and its cluster trust first (here on EC2, shared mode; see docs/cloudformation.md):',
      `  aws cloudformation deploy --stack-name kong-cp --template-file ${template('cp-ec2-shared')} \\`,
      '    --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --parameter-overrides \\',
      '    AssetBucket=<bucket> AssetPrefix=kong-fleet/ KongVersion=3.10.0.6 TrustName=<trust name> \\',
      '    ClusterHostname=cluster.kong.example.com TelemetryHostname=telemetry.kong.example.com \\',
      '    HostedZoneId=<zone id> LicenseSecretName=<license secret name>',
      '',
      "then a data plane from the control plane's exports (kong-cp-ClusterEndpoint, -TelemetryEndpoint, -TrustName), e.g. on ECS:",
      `  aws cloudformation deploy --stack-name kong-dp-ecs --template-file ${template('dp-ecs-shared')} \\`,
      '    --capabilities CAPABILITY_IAM CAPABILITY_NAMED_IAM --parameter-overrides \\',
      '    AssetBucket=<bucket> AssetPrefix=kong-fleet/ DataPlaneName=dp-ecs KongVersion=3.10.0.6 \\',
      '    ClusterHostname=cluster.kong.example.com TelemetryHostname=telemetry.kong.example.com \\',
      '    TrustName=<trust name> LicenseSecretName=<license secret name>',
      '',
    ].join('\n'),
  );
  return EXIT.ok;
}

function processIo(): CliIo {
  return { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
}
