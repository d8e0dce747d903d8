import * as fs from 'fs';
import * as path from 'path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { FleetStack } from '../fleet/fleet-app';

/** One synthesized stack of a fleet, as `kong-fleet synth` reports it. */
export interface StackSummary {
  readonly name: string;
  readonly kind: string;
  readonly region: string;
  readonly runtime: string;
  readonly resources: number;
  readonly templateBytes: number;
  readonly endpoint: string;
}

export interface AssemblySummary {
  readonly outdir: string;
  readonly stacks: StackSummary[];
  readonly assemblyBytes: number;
}

/** Reads resource counts and template sizes from a synthesized fleet. */
export function summarizeAssembly(assembly: CloudAssembly, fleetStacks: readonly FleetStack[]): AssemblySummary {
  const byName = new Map(fleetStacks.map((s) => [s.stack.stackName, s]));
  const stacks = assembly.stacks.map((s) => {
    const info = byName.get(s.stackName);
    return {
      name: s.stackName,
      kind: info?.kind ?? '',
      region: info?.region ?? s.environment.region,
      runtime: info?.runtime ?? '',
      resources: Object.keys(s.template.Resources ?? {}).length,
      templateBytes: fs.statSync(path.join(assembly.directory, s.templateFile)).size,
      endpoint: info?.endpoint ?? '',
    };
  });
  return { outdir: assembly.directory, stacks, assemblyBytes: directorySize(assembly.directory) };
}

/** A table (stack, region, runtime, resources, template KB, endpoint) and a closing line. */
export function formatSummary(summary: AssemblySummary, elapsedMs: number): string {
  const header = ['stack', 'region', 'runtime', 'resources', 'template', 'endpoint'];
  const rows = summary.stacks.map((s) => [
    s.name,
    s.region,
    s.runtime,
    String(s.resources),
    `${(s.templateBytes / 1024).toFixed(1)} KB`,
    s.endpoint,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const numeric = new Set([3, 4]);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.map(line), ''];
  lines.push(
    `${summary.stacks.length} stacks synthesized into ${path.relative(process.cwd(), summary.outdir) || '.'} ` +
      `(${formatBytes(summary.assemblyBytes)} with assets) in ${(elapsedMs / 1000).toFixed(1)} s`,
  );
  return lines.join('\n') + '\n';
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function directorySize(dir: string): number {
  let total = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    total += entry.isDirectory() ? directorySize(p) : fs.statSync(p).size;
  }
  return total;
}
