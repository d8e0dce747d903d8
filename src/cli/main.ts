/**
 * `kong-fleet`: validate, synthesize, plan and draw a Kong hybrid-mode fleet from its fleet file.
 * Offline: no AWS credentials, Docker or network.
 *
 * Exit codes: 0 done (plan: safe), 1 the fleet file is invalid (every problem printed, one line
 * each: file:line:column: path: reason), 2 the plan is unsafe (reasons printed), 64 usage error,
 * 70 internal error (set KONG_FLEET_DEBUG=1 for the stack trace).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FleetApp } from '../fleet/fleet-app';
import { renderFleetMermaid, renderFleetSvg } from '../fleet/graph';
import { formatIssue, loadFleetFile } from '../fleet/load';
import type { FleetModel } from '../fleet/model';
import { formatPlan, planFleet, StackTemplates } from '../fleet/plan';
import { KongFleetError } from '../kong/errors';
import { formatSummary, summarizeAssembly } from './summary';

export const EXIT = { ok: 0, invalid: 1, unsafe: 2, usage: 64, internal: 70 } as const;

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const DEFAULT_FILE = 'fleet.yaml';

const USAGE = `usage: kong-fleet <command> [options]

  validate [file]                 check a fleet file (default ${DEFAULT_FILE})
  synth [file] [--out dir]        synthesize its CloudFormation stacks (default dir cdk.out)
  plan <old-file> <new-file>      what changes from one fleet file to the other, and whether it is safe
  graph [file] [--out file.svg]   draw the fleet (SVG, plus Mermaid text next to it; default fleet.svg)

exit codes: 0 ok / safe, 1 invalid fleet file, 2 unsafe plan, 64 usage error, 70 internal error
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
      case 'plan':
        if (positional.length !== 2) throw new UsageError('plan needs <old-file> and <new-file>');
        return plan(positional[0], positional[1], io);
      case 'graph':
        return graph(positional[0] ?? DEFAULT_FILE, out ?? 'fleet.svg', io);
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
      // A synth-time check refused the fleet (stack limits, cdk-nag when enabled): its report.
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

/** One line: the fleet at a glance. */
export function describeFleet(model: FleetModel): string {
  const byRuntime = new Map<string, number>();
  for (const dp of model.dataPlanes) byRuntime.set(dp.runtime, (byRuntime.get(dp.runtime) ?? 0) + 1);
  const regions = new Set(model.dataPlanes.map((dp) => dp.region));
  const runtimes = [...byRuntime].map(([runtime, n]) => `${runtime} ${n}`).join(', ');
  return (
    `fleet ${model.name}: control plane on ${model.controlPlane.runtime} in ${model.controlPlane.region}, ` +
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
  io.stderr('  writing the cloud assembly (templates and assets)…\n');
  const assembly = app.synth();
  for (const [name, dp] of app.kubernetesDataPlanes) {
    const dir = path.join(outdir, 'kubernetes', name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [fileName, text] of Object.entries(dp.files)) fs.writeFileSync(path.join(dir, fileName), text);
    io.stderr(`  wrote ${dir}/ (helm: ${dp.helmCommand})\n`);
  }
  for (const warning of app.warnings) io.stderr(`warning: ${warning}\n`);
  io.stdout(formatSummary(summarizeAssembly(assembly, app.fleetStacks), Date.now() - started));
  return EXIT.ok;
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

function processIo(): CliIo {
  return { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) };
}
