/**
 * KongFleetChecks over what kong-fleet itself builds: the example fleet with every shared service
 * (data planes on ECS, EKS and EC2, an EKS control plane with RDS), the default fleet (fleet.yaml)
 * and the AWS diagram app (an EC2 control plane). Each is synthesized once with the pack registered
 * as a validation plugin; synthesis throws on any unacknowledged finding.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Validations } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { buildAwsDiagramApp } from '../../examples/aws-diagram-app';
import { FleetApp } from '../../src/fleet/fleet-app';
import { loadFleetFile } from '../../src/fleet/load';
import { KongFleetChecks, rules } from '../../src/nag';
import { UNIT_TEST_CONTEXT } from '../support/synth';

const ROOT = path.join(__dirname, '..', '..');
const outdirs: string[] = [];
afterAll(() => outdirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function appProps() {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-nag-fleet-'));
  outdirs.push(outdir);
  return { outdir, context: UNIT_TEST_CONTEXT };
}

function fleetApp(file: string): FleetApp {
  const { model, issues } = loadFleetFile(path.join(ROOT, file));
  if (!model) throw new Error(`${file} invalid: ${JSON.stringify(issues)}`);
  return new FleetApp(model, appProps());
}

/** How many resources of the app each rule judged compliant (not "not applicable"). */
function judged(app: App): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(Object.keys(rules).map((name) => [name, 0]));
  for (const node of app.node.findAll().filter(CfnResource.isCfnResource)) {
    for (const [name, rule] of Object.entries(rules)) {
      if (rule(node) === NagRuleCompliance.COMPLIANT) counts[name]++;
    }
  }
  return counts;
}

test('examples/shared-services.fleet.yaml: no unacknowledged finding, and every rule judged some of it', () => {
  const app = fleetApp('examples/shared-services.fleet.yaml');
  Validations.of(app).addPlugins(new KongFleetChecks(app));
  expect(() => app.synth()).not.toThrow();
  // Zero findings mean something only if the rules looked at the fleet's resources.
  const counts = judged(app);
  expect(counts.KongAdminNotInternetReachable).toBeGreaterThan(20); // security groups, ingress rules, listeners
  expect(counts).toEqual({
    EKSControlPlaneLogging: 2, // the control plane's cluster and the edge-use1 data-plane cluster
    EKSEndpointPublicAccessRestricted: 2,
    KongAdminNotInternetReachable: counts.KongAdminNotInternetReachable,
    KongClusterBehindTcpNlb: 4, // cluster and telemetry listeners and target groups
    KongControlPlaneDatabaseTls: 1, // the control plane's kong chart
    KongDataPlaneHighlyAvailable: 4, // 2 ECS services, 1 Auto Scaling group, 1 kong chart
    KongSecretsNotInPlainText: 5, // 2 task definitions, 1 launch template, 2 kong charts
    RDSPostgresForceSsl: 1,
  });
});

test('the default fleet (fleet.yaml): no unacknowledged finding', () => {
  const app = fleetApp('fleet.yaml');
  Validations.of(app).addPlugins(new KongFleetChecks(app));
  expect(() => app.synth()).not.toThrow();
});

test('the AWS diagram app (control plane on EC2 with RDS, data planes on ECS and EKS): no unacknowledged finding', () => {
  const app = new App(appProps());
  Validations.of(app).addPlugins(new KongFleetChecks(app));
  buildAwsDiagramApp(app);
  expect(() => app.synth()).not.toThrow();
  const counts = judged(app);
  // The EC2 control plane's boot script was read: pg_ssl and pg_ssl_required on.
  expect(counts.KongControlPlaneDatabaseTls).toBe(1);
  expect(counts.KongSecretsNotInPlainText).toBe(3);
});
