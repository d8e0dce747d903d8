/**
 * One measured synthesis, run by scripts/bench.ts in a fresh process: `empty` (a one-stack CDK app
 * with nothing in it: the floor), `seed` (the hand-written two-stack seed app), or `fleet <file>`
 * (kong-fleet synth of a fleet file, in-process as the CLI does it). Prints one JSON line with the
 * process's peak memory.
 */
import { App, Stack } from 'aws-cdk-lib';
import { buildSeedApp } from '../examples/seed-app';
import { FleetApp } from '../src/fleet/fleet-app';
import { loadFleetFile } from '../src/fleet/load';

const [kind, arg, outdir] = process.argv.slice(2);
if (kind === 'empty') {
  const app = new App({ outdir });
  new Stack(app, 'Empty');
  app.synth();
} else if (kind === 'seed') {
  buildSeedApp(new App({ outdir })).app.synth();
} else if (kind === 'fleet') {
  const { model, issues } = loadFleetFile(arg);
  if (!model) throw new Error(`${arg}: ${JSON.stringify(issues)}`);
  new FleetApp(model, { outdir }).synth();
} else {
  throw new Error(`unknown kind ${kind}`);
}
process.stdout.write(`${JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS })}\n`);
