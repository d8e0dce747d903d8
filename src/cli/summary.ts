import * as fs from 'fs';
import * as path from 'path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';

/** A data plane as the summary shows it. */
export interface DataPlaneSummary {
  readonly name: string;
  readonly stack: string;
  readonly clusterControlPlane: string;
  readonly clusterTelemetryEndpoint: string;
}

/** One synthesized stack. */
export interface StackSummary {
  readonly name: string;
  readonly resources: number;
  readonly templateBytes: number;
  readonly templateFile: string;
}

export interface AssemblySummary {
  readonly outdir: string;
  readonly stacks: StackSummary[];
  readonly dataPlanes: DataPlaneSummary[];
  readonly assemblyBytes: number;
}

/** Reads resource counts and template sizes from a synthesized cloud assembly. */
export function summarizeAssembly(assembly: CloudAssembly, dataPlanes: DataPlaneSummary[]): AssemblySummary {
  const stacks = assembly.stacks.map((s) => {
    const file = path.join(assembly.directory, s.templateFile);
    return {
      name: s.stackName,
      resources: Object.keys(s.template.Resources ?? {}).length,
      templateBytes: fs.statSync(file).size,
      templateFile: path.relative(process.cwd(), file),
    };
  });
  return { outdir: assembly.directory, stacks, dataPlanes, assemblyBytes: directorySize(assembly.directory) };
}

export function formatSummary(summary: AssemblySummary, elapsedMs: number): string {
  const lines: string[] = [];
  const nameWidth = Math.max(5, ...summary.stacks.map((s) => s.name.length));
  lines.push(`${'stack'.padEnd(nameWidth)}  resources  template`);
  for (const s of summary.stacks) {
    lines.push(
      `${s.name.padEnd(nameWidth)}  ${String(s.resources).padStart(9)}  ${formatBytes(s.templateBytes).padStart(8)}`,
    );
  }
  lines.push('');
  for (const dp of summary.dataPlanes) {
    lines.push(`data plane ${dp.name} (${dp.stack})`);
    lines.push(`  cluster_control_plane      = ${dp.clusterControlPlane}`);
    lines.push(`  cluster_telemetry_endpoint = ${dp.clusterTelemetryEndpoint}`);
  }
  lines.push('');
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
