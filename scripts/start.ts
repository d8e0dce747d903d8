/**
 * `npm start`: synthesizes the default app (the seed's two-stack app) offline into `cdk.out`
 * and prints what was made. Needs no AWS credentials, Docker or network.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { buildSeedApp } from '../examples/seed-app';
import { KongFleetError } from '../src/kong/errors';
import { summarizeAssembly, formatSummary } from '../src/cli/summary';

function main(): number {
  const outdir = path.resolve(process.argv[2] ?? 'cdk.out');
  fs.rmSync(outdir, { recursive: true, force: true });
  const started = Date.now();
  process.stderr.write(`synthesizing the seed app into ${path.relative(process.cwd(), outdir) || '.'} …\n`);
  const { app, dataPlane } = buildSeedApp(new App({ outdir }));
  const assembly = app.synth();
  const summary = summarizeAssembly(assembly, [
    {
      name: dataPlane.dataPlaneName,
      stack: 'KongDpEks',
      clusterControlPlane: dataPlane.clusterControlPlane,
      clusterTelemetryEndpoint: dataPlane.clusterTelemetryEndpoint,
    },
  ]);
  process.stdout.write(formatSummary(summary, Date.now() - started));
  return 0;
}

try {
  process.exitCode = main();
} catch (e) {
  if (e instanceof KongFleetError) {
    process.stderr.write(`error: ${e.message}\n`);
    process.exitCode = 2;
  } else {
    throw e;
  }
}
