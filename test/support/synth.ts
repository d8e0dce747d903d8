import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildSeedApp, SeedApp } from '../../examples/seed-app';

/**
 * Context for unit-test apps: asset staging off (the kubectl layer alone is 37 MB) and no
 * metadata noise. Safe wherever a test reads templates, not asset contents.
 */
export const UNIT_TEST_CONTEXT = {
  'aws:cdk:disable-asset-staging': true,
  'aws:cdk:enable-path-metadata': false,
};

export function unitTestApp(outdir?: string): App {
  return new App({
    context: UNIT_TEST_CONTEXT,
    outdir: outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-')),
  });
}

let cached: { seed: SeedApp; cp: Template; dp: Template; outdir: string } | undefined;

/** The seed app, synthesized once per test file. */
export function seedApp(): { seed: SeedApp; cp: Template; dp: Template; outdir: string } {
  if (!cached) {
    const app = unitTestApp();
    const seed = buildSeedApp(app);
    const assembly = app.synth();
    cached = {
      seed,
      cp: Template.fromStack(seed.cpStack),
      dp: Template.fromStack(seed.dpStack),
      outdir: assembly.directory,
    };
  }
  return cached;
}

/**
 * The chart values of a Helm chart resource, with CloudFormation tokens (Ref, Fn::GetAtt…)
 * replaced by `<token>` so the JSON can be read.
 */
export function helmValues(template: Template, chart: string): Record<string, any> {
  const charts = Object.values(template.findResources('Custom::AWSCDK-EKS-HelmChart')).filter(
    (r: any) => r.Properties.Chart === chart,
  );
  if (charts.length !== 1) throw new Error(`expected one Helm chart ${chart}, found ${charts.length}`);
  return JSON.parse(flattenJoin(charts[0].Properties.Values));
}

export function flattenJoin(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v && v['Fn::Join']) {
    const [sep, parts] = v['Fn::Join'];
    return (parts as unknown[]).map((p) => (typeof p === 'string' ? p : '<token>')).join(sep);
  }
  return '<token>';
}
