/**
 * `npm run bench`: synthesis cost of kong-fleet against the floor — an empty one-stack CDK app —
 * measured the same way in the same run (a fresh Node process each, tsx included, median of RUNS).
 * Prints a table of ratios to the floor and writes it, with the machine's description, to
 * docs/benchmarks.md. A benchmark, not a test: it asserts nothing.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { STACK_LIMITS } from '../src/core/stack-limits';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const REPO = path.resolve(__dirname, '..');
const TSX = path.join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-bench-'));

const REGIONS = [
  'us-east-1',
  'us-west-2',
  'eu-west-1',
  'eu-central-1',
  'eu-north-1',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-northeast-1',
  'ca-central-1',
  'sa-east-1',
];
const RUNTIMES = ['ecs', 'ec2', 'kubernetes', 'eks'] as const;

/** A fleet of `n` data planes, spread over up to 10 regions, runtimes mixed (EKS ones share a cluster per region). */
function fleetFile(n: number): string {
  const regions = REGIONS.slice(0, Math.min(10, Math.max(1, Math.ceil(n / 10))));
  const dataPlanes = Array.from({ length: n }, (_, i) => {
    const region = regions[i % regions.length];
    const runtime = RUNTIMES[Math.floor(i / regions.length) % RUNTIMES.length];
    return {
      name: `dp-${i + 1}`,
      runtime,
      region,
      ...(runtime === 'eks' ? { cluster: `eks-${region}` } : {}),
    };
  });
  const file = path.join(work, `fleet-${n}.yaml`);
  fs.writeFileSync(
    file,
    stringify({
      name: `bench${n}`,
      kong: { version: '3.10.0.6', licenseSecret: 'kong-license' },
      controlPlane: {
        runtime: 'eks',
        region: 'us-east-1',
        endpoints: {
          hostedZone: 'kong.example.com',
          cluster: 'cluster.kong.example.com',
          telemetry: 'telemetry.kong.example.com',
        },
      },
      certificates: { mode: 'pki' },
      dataPlanes,
    }),
  );
  return file;
}

interface Sample {
  readonly ms: number;
  readonly maxRssKb: number;
  readonly outBytes: number;
  readonly stacks: number;
  readonly largestResources: number;
  readonly largestBytes: number;
}

function measure(kind: string, arg = ''): Sample {
  const outdir = fs.mkdtempSync(path.join(work, 'out-'));
  const started = process.hrtime.bigint();
  const run = spawnSync(process.execPath, [TSX, path.join(REPO, 'scripts', 'bench-synth.ts'), kind, arg, outdir], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, JSII_DEPRECATED: 'quiet' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (run.status !== 0) throw new Error(`${kind} ${arg} failed:\n${run.stderr}`);
  const { maxRssKb } = JSON.parse(run.stdout.trim().split('\n').pop()!);
  const templates = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  let largestResources = 0;
  let largestBytes = 0;
  for (const t of templates) {
    const text = fs.readFileSync(path.join(outdir, t), 'utf8');
    largestResources = Math.max(largestResources, Object.keys(JSON.parse(text).Resources ?? {}).length);
    largestBytes = Math.max(largestBytes, Buffer.byteLength(text));
  }
  const outBytes = Number(execFileSync('du', ['-sb', outdir], { encoding: 'utf8' }).split('\t')[0]);
  fs.rmSync(outdir, { recursive: true, force: true });
  return { ms, maxRssKb, outBytes, stacks: templates.length, largestResources, largestBytes };
}

function median(kind: string, arg?: string): Sample {
  const samples = Array.from({ length: RUNS }, () => measure(kind, arg));
  const sorted = [...samples].sort((a, b) => a.ms - b.ms);
  const mid = sorted[Math.floor(sorted.length / 2)];
  return { ...mid, maxRssKb: Math.max(...samples.map((s) => s.maxRssKb)) };
}

function main(): void {
  const cases: [string, string, string?][] = [
    ['empty one-stack CDK app (floor)', 'empty'],
    ['hand-written seed app (CP + DP on EKS)', 'seed'],
    ['default fleet.yaml (CP + 2 DPs)', 'fleet', path.join(REPO, 'fleet.yaml')],
    ...[1, 10, 50, 100].map((n): [string, string, string] => [
      `fleet of ${n} DP${n === 1 ? '' : 's'}`,
      'fleet',
      fleetFile(n),
    ]),
  ];
  const rows: [string, Sample][] = [];
  for (const [label, kind, arg] of cases) {
    process.stderr.write(`measuring ${label} (${RUNS} runs)…\n`);
    rows.push([label, median(kind, arg)]);
  }
  const floor = rows[0][1];
  const one = rows.find(([l]) => l === 'fleet of 1 DP')![1];
  const hundred = rows.find(([l]) => l === 'fleet of 100 DPs')![1];
  const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
  const header =
    '| case | stacks | wall (median) | × floor | peak RSS | cdk.out | largest stack |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |';
  const table = rows
    .map(
      ([label, s]) =>
        `| ${label} | ${s.stacks} | ${(s.ms / 1000).toFixed(2)} s | ${(s.ms / floor.ms).toFixed(2)} | ${mb(s.maxRssKb * 1024)} MiB | ${mb(s.outBytes)} MiB | ${s.largestResources} res, ${(s.largestBytes / 1024).toFixed(0)} KB |`,
    )
    .join('\n');
  const targets = [
    `- default fleet: ${(rows[2][1].ms / floor.ms).toFixed(2)} × the floor (target ≤ 1.2)`,
    `- 100 DPs: ${(hundred.ms / one.ms).toFixed(2)} × the time of 1 DP (target ≤ 3); peak memory ${mb(hundred.maxRssKb * 1024)} MiB (target ≤ 2048)`,
    `- cdk.out for 100 DPs: ${(hundred.outBytes / one.outBytes).toFixed(2)} × its size for 1 DP (target ≤ 1.2)`,
    `- largest stack anywhere: ${Math.max(...rows.map(([, s]) => s.largestResources))} resources, ${(Math.max(...rows.map(([, s]) => s.largestBytes)) / 1024).toFixed(0)} KB (guard: ${STACK_LIMITS.maxResources} / ${STACK_LIMITS.maxTemplateBytes / 1024} KB)`,
  ].join('\n');
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${mb(os.totalmem())} MiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
  const text = `${header}\n${table}\n\n${targets}\n`;
  process.stdout.write(`\n${text}\nmachine: ${machine}\n`);
  const doc = path.join(REPO, 'docs', 'benchmarks.md');
  const prose = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8').split('<!-- results -->')[0] : '# Benchmarks\n\n';
  fs.writeFileSync(
    doc,
    `${prose}<!-- results -->\n\nLast run: ${new Date().toISOString().slice(0, 10)} on ${machine}; median of ${RUNS} runs each, every run a fresh process (tsx start-up included, as for the floor).\n\n${text}`,
  );
  fs.rmSync(work, { recursive: true, force: true });
}

main();
