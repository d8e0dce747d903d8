/**
 * `fallbackConfig` in the fleet file: `kong-fleet validate` refuses importing data planes on
 * another version than the exporter (and accepts them when they opt out), the defaults and rules
 * of the section, and FleetApp's `<fleet>-fallback` stack with the importers' settings and grants.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { EXIT, main } from '../../src/cli/main';
import { KongDataPlaneEc2 } from '../../src/data-plane/kong-data-plane-ec2';
import { KongDataPlaneEcs } from '../../src/data-plane/kong-data-plane-ecs';
import { FleetApp, fleetStackNames } from '../../src/fleet/fleet-app';
import { parseFleet } from '../../src/fleet/load';
import { FleetModel } from '../../src/fleet/model';
import { classifyStack } from '../../src/fleet/plan';
import { UNIT_TEST_CONTEXT } from '../support/synth';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-fallback-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function validate(text: string) {
  const file = path.join(tmp, `fleet-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(file, text);
  let stdout = '';
  let stderr = '';
  const code = await main(['validate', file], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr, file };
}

/** A fleet file: ec2 control plane in us-east-1, then `fallback` and `dataPlanes` as YAML lines. */
function fleetFile(options: { kongVersion?: string; fallback?: string[]; dataPlanes: string[] }): string {
  return [
    'name: acme',
    'kong:',
    `  version: "${options.kongVersion ?? '3.10.0.6'}"`,
    'controlPlane:',
    '  runtime: ec2',
    '  region: us-east-1',
    '  endpoints:',
    '    hostedZone: kong.example.com',
    '    hostedZoneId: Z0123456789ABC',
    '    cluster: cluster.kong.example.com',
    '    telemetry: telemetry.kong.example.com',
    ...(options.fallback ?? ['fallbackConfig:', '  enabled: true']),
    'dataPlanes:',
    ...options.dataPlanes,
    '',
  ].join('\n');
}

const ECS_EUW1 = ['  - name: dp-ecs', '    runtime: ecs', '    region: eu-west-1'];
const EC2_OLD = ['  - name: dp-ec2', '    runtime: ec2', '    region: us-east-1', '    version: "3.10.0.5"'];
const K8S_OLD = ['  - name: dp-k8s', '    runtime: kubernetes', '    region: us-east-1', '    version: "3.10.0.5"'];

describe('kong-fleet validate', () => {
  test('refuses an importing data plane on another version than the exporter, at its version, exit 1', async () => {
    const { code, stdout, stderr, file } = await validate(fleetFile({ dataPlanes: [...ECS_EUW1, ...EC2_OLD] }));
    expect({ code, stdout }).toEqual({ code: EXIT.invalid, stdout: '' });
    const line = fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('3.10.0.5'));
    expect(stderr).toContain(
      `${file}:${line + 1}:14: dataPlanes[1].version: Kong's fallback configuration needs exporter and importers on ` +
        'exactly the same version: exporter 3.10.0.6, this data plane 3.10.0.5; set fallbackConfig: false on it or ' +
        'align the versions\n',
    );
    expect(stderr.trim().split('\n')).toHaveLength(2); // the problem and the count
  });

  test('the exporter version is fallbackConfig.version when given: then data planes on kong.version are refused', async () => {
    const { code, stderr } = await validate(
      fleetFile({ fallback: ['fallbackConfig:', '  version: "3.10.0.5"'], dataPlanes: [...ECS_EUW1, ...EC2_OLD] }),
    );
    expect(code).toBe(EXIT.invalid);
    expect(stderr).toMatch(/dataPlanes\[0\]\.version: .*exporter 3\.10\.0\.5, this data plane 3\.10\.0\.6;/);
    expect(stderr).not.toMatch(/dataPlanes\[1\]/);
  });

  test('accepts the mismatch when the data plane opts out, or does not import (kubernetes), or the section is off', async () => {
    const optOut = await validate(
      fleetFile({ dataPlanes: [...ECS_EUW1, ...EC2_OLD, '    fallbackConfig: false', ...K8S_OLD] }),
    );
    expect({ code: optOut.code, stderr: optOut.stderr }).toEqual({ code: EXIT.ok, stderr: '' });
    const off = await validate(
      fleetFile({ fallback: ['fallbackConfig:', '  enabled: false'], dataPlanes: [...ECS_EUW1, ...EC2_OLD] }),
    );
    expect({ code: off.code, stderr: off.stderr }).toEqual({ code: EXIT.ok, stderr: '' });
  });

  test.each([
    [
      'a Kong version before 3.5 (the default of fallbackConfig.version)',
      { kongVersion: '3.4.3.12', dataPlanes: ECS_EUW1 },
      /fallbackConfig: Kong Gateway has no fallback configuration before 3\.5 here \(got "3\.4\.3\.12"; expected 3\.5\.0\.0 or later\) \(the default: kong\.version\)/,
    ],
    [
      'fallbackConfig.version before 3.5',
      { fallback: ['fallbackConfig:', '  version: "3.4.3.12"'], dataPlanes: [] },
      /fallbackConfig\.version: Kong Gateway has no fallback configuration before 3\.5/,
    ],
    [
      'an OSS (three-part) version',
      { fallback: ['fallbackConfig:', '  version: "3.10.0"'], dataPlanes: [] },
      /fallbackConfig\.version: the fallback configuration is a Kong Gateway Enterprise feature/,
    ],
    [
      'an exporter newer than the control plane',
      { fallback: ['fallbackConfig:', '  version: "3.11.0.3"'], dataPlanes: [] },
      /fallbackConfig\.version: the fallback exporter is a data plane: data plane is newer than the control plane/,
    ],
    [
      'a data plane named like the exporter',
      { dataPlanes: ['  - name: fallback-exporter', '    runtime: ecs', '    region: us-east-1'] },
      /dataPlanes\[0\]\.name: is the name of the fallback exporter/,
    ],
    [
      'fallbackConfig on a kubernetes data plane',
      { dataPlanes: [...K8S_OLD, '    fallbackConfig: false'] },
      /dataPlanes\[0\]\.fallbackConfig: applies only to eks, ecs and ec2 data planes/,
    ],
    [
      'fallbackConfig: true without the section',
      { fallback: [], dataPlanes: [...ECS_EUW1, '    fallbackConfig: true'] },
      /dataPlanes\[0\]\.fallbackConfig: the fleet has no fallbackConfig to import/,
    ],
    [
      'an importer in its own account while the control plane has none',
      { dataPlanes: [...ECS_EUW1, '    account: "222222222222"'] },
      /dataPlanes\[0\]\.account: a data plane with its own account imports the fallback configuration only when controlPlane\.account is set/,
    ],
    [
      'an unknown key',
      { fallback: ['fallbackConfig:', '  bucket: mine'], dataPlanes: [] },
      /fallbackConfig\.bucket: unknown key "bucket"/,
    ],
  ])('refuses %s', async (_what, options, pattern) => {
    const { code, stderr } = await validate(fleetFile(options));
    expect(code).toBe(EXIT.invalid);
    expect(stderr).toMatch(pattern);
  });
});

describe('the model', () => {
  test('fills the defaults: version = kong.version, export every 60 s, keep replaced configurations 30 days', () => {
    const { model, issues } = parseFleet(fleetFile({ dataPlanes: ECS_EUW1 }));
    expect(issues).toEqual([]);
    expect(model!.fallbackConfig).toEqual({ version: '3.10.0.6', exportDelaySeconds: 60, noncurrentVersionDays: 30 });
  });

  test('enabled: false and no section both mean off', () => {
    const off = parseFleet(fleetFile({ fallback: ['fallbackConfig:', '  enabled: false'], dataPlanes: ECS_EUW1 }));
    const absent = parseFleet(fleetFile({ fallback: [], dataPlanes: ECS_EUW1 }));
    expect([off.issues, absent.issues]).toEqual([[], []]);
    expect(off.model).not.toHaveProperty('fallbackConfig');
    expect(absent.model).not.toHaveProperty('fallbackConfig');
  });
});

describe('FleetApp', () => {
  const text = fleetFile({
    fallback: ['fallbackConfig:', '  exportDelaySeconds: 30'],
    dataPlanes: [...ECS_EUW1, ...EC2_OLD, '    fallbackConfig: false', ...K8S_OLD],
  });
  const { model, issues } = parseFleet(text);
  if (!model) throw new Error(JSON.stringify(issues));
  const app = new FleetApp(model as FleetModel, {
    outdir: fs.mkdtempSync(path.join(tmp, 'out-')),
    context: UNIT_TEST_CONTEXT,
  });
  const stack = (name: string): Stack => app.fleetStacks.find((s) => s.stack.stackName === name)!.stack;
  const plane = <T>(type: new (...args: any[]) => T, name: string): T =>
    stack(fleetStackNames.dataPlane('acme', name))
      .node.findAll()
      .find((c) => c instanceof type) as T;

  test('builds <fleet>-fallback in the control plane region: the bucket and one exporter', () => {
    const entry = app.fleetStacks.find((s) => s.stack.stackName === 'acme-fallback');
    expect(entry).toMatchObject({ kind: 'fallback', region: 'us-east-1' });
    expect(fleetStackNames.fallback('acme')).toBe('acme-fallback');
    expect(classifyStack('acme-fallback', 'acme')).toEqual({ kind: 'fallback' });
    const t = Template.fromStack(stack('acme-fallback'));
    t.resourceCountIs('AWS::ECS::Service', 1);
    t.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 1 });
    t.hasResourceProperties('AWS::S3::Bucket', {
      // No controlPlane.account: the name carries the deployment account (AWS::AccountId).
      BucketName: stack('acme-fallback').resolve(app.fallbackConfig!.bucketName),
      VersioningConfiguration: { Status: 'Enabled' },
    });
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({
          Environment: Match.arrayWith([
            { Name: 'KONG_CLUSTER_FALLBACK_CONFIG_EXPORT', Value: 'on' },
            { Name: 'KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY', Value: '30' },
            {
              Name: 'KONG_CLUSTER_FALLBACK_CONFIG_STORAGE',
              Value: stack('acme-fallback').resolve(app.fallbackConfig!.storageUri),
            },
          ]),
        }),
      ]),
    });
    expect(app.fallbackConfig!.storageUri).toMatch(/^s3:\/\/kong-fallback-[0-9a-f]{8}-/);
    expect(app.fallbackConfig!.storageUri).toMatch(/\/acme$/);
  });

  test('importing data planes get the fallback configuration; an opted-out one and a kubernetes one do not', () => {
    const ecs = plane(KongDataPlaneEcs, 'dp-ecs');
    expect(ecs.kongEnvironment).toMatchObject({
      KONG_CLUSTER_FALLBACK_CONFIG_IMPORT: 'on',
      KONG_CLUSTER_FALLBACK_CONFIG_STORAGE: app.fallbackConfig!.storageUri,
    });
    const ec2 = plane(KongDataPlaneEc2, 'dp-ec2');
    expect(ec2.kongConf).not.toContain('cluster_fallback');
    expect(JSON.stringify(app.kubernetesDataPlanes.get('dp-k8s'))).not.toContain('cluster_fallback');
  });

  test('kong-fleet check: cdk-nag AwsSolutions, the KongFleet rules and the leak scan pass, exit 0', async () => {
    const file = path.join(tmp, 'check.fleet.yaml');
    fs.writeFileSync(file, text);
    let output = '';
    const code = await main(['check', file], { stdout: (t) => (output += t), stderr: (t) => (output += t) });
    expect({ code, findings: output.match(/^error: .*$/gm) }).toEqual({ code: EXIT.ok, findings: null });
    expect(output).toContain('building acme-fallback (fallback ecs, us-east-1)');
    expect(output).toMatch(/checks passed: .*no unacknowledged finding/);
  }, 120_000);

  test('the control-plane stack does not refer to the fallback configuration', () => {
    const cp = JSON.stringify(Template.fromStack(stack('acme-cp')).toJSON());
    expect(cp).not.toContain('fallback');
  });
});
