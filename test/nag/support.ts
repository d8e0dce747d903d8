/**
 * Helpers for the KongFleetChecks rule tests: one tiny app per case, synthesized, then checked with
 * the pack. A finding the rule could not judge (it threw) is reported as `ERROR <path>`, so a
 * Noncompliance case cannot pass for the wrong reason.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, AppProps, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { KongFleetChecks } from '../../src/nag';
import { UNIT_TEST_CONTEXT } from '../support/synth';

/**
 * A unit-test app (asset staging off) without CDK's built-in CloudFormation validation: these tests
 * are about the KongFleet pack, and the tiny stacks use placeholder ARNs it would warn about.
 */
export function nagTestApp(props: AppProps = {}): App {
  return new App({
    context: UNIT_TEST_CONTEXT,
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-nag-')),
    builtinCloudFormationValidation: false,
    ...props,
  });
}

/** A fresh app with one stack `Test`. */
export function testStack(): Stack {
  return new Stack(nagTestApp(), 'Test');
}

/** The construct paths `ruleId` (e.g. `KongFleet-EKS1`) reports in the app of `scope`. */
export function findings(scope: IConstruct, ruleId: string): string[] {
  const app = scope.node.root as App;
  app.synth();
  const { violations } = new KongFleetChecks(app).validateScope(app);
  return violations
    .filter((v) => v.ruleName === ruleId)
    .flatMap((v) =>
      v.violatingResources.map((r) => `${v.description.startsWith('Rule threw') ? 'ERROR ' : ''}${r.constructPath}`),
    );
}

/** The path cdk-nag reports for a construct: its CfnResource's path. */
export function pathOf(construct: IConstruct): string {
  const resource = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  if (!resource) throw new Error(`${construct.node.path} has no CfnResource`);
  return resource.node.path;
}
