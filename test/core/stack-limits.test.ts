/** The synth-time guard: a stack over 450 resources or 900 KB of template fails synthesis, named, with its numbers. */
import { CfnResource, CfnWaitConditionHandle, Stack, Validations } from 'aws-cdk-lib';
import { StackLimitsGuard, STACK_LIMITS } from '../../src/core/stack-limits';
import { FleetApp } from '../../src/fleet/fleet-app';
import { loadFleetFile } from '../../src/fleet/load';
import { unitTestApp } from '../support/synth';

function appWith(resources: number, padBytes = 0) {
  const app = unitTestApp();
  Validations.of(app).addPlugins(new StackLimitsGuard());
  const stack = new Stack(app, 'Big');
  for (let i = 0; i < resources; i++) new CfnWaitConditionHandle(stack, `Handle${i}`);
  if (padBytes > 0) {
    (new CfnWaitConditionHandle(stack, 'Padded') as CfnResource).addMetadata('padding', 'x'.repeat(padBytes));
  }
  return app;
}

test('450 resources synthesize', () => {
  expect(() => appWith(STACK_LIMITS.maxResources).synth()).not.toThrow();
});

test('451 resources fail, naming the stack and the count', () => {
  expect(() => appWith(STACK_LIMITS.maxResources + 1).synth()).toThrow(
    /stack Big has 451 resources, over kong-fleet's limit of 450/,
  );
});

test('a template over 900 KB fails, naming the stack and the size', () => {
  expect(() => appWith(1, 950 * 1024).synth()).toThrow(
    /stack Big has a template of 9\d\d KB, over kong-fleet's limit of 900 KB/,
  );
});

test('FleetApp carries the guard', () => {
  // The large example fleet passes: its largest stack is far below the limits (see docs/benchmarks.md).
  const { model } = loadFleetFile('examples/fleets/large.fleet.yaml');
  if (!model) throw new Error('the large example fleet is invalid');
  const app = new FleetApp(model, { context: { 'aws:cdk:disable-asset-staging': true } });
  const stacks = app.synth().stacks;
  const largest = Math.max(...stacks.map((s) => Object.keys(s.template.Resources).length));
  expect(largest).toBeLessThan(STACK_LIMITS.maxResources);
  // Growing one of its stacks past 450 (CDK itself stops at 500) trips the same guard.
  const tooBig = new FleetApp(model, { context: { 'aws:cdk:disable-asset-staging': true } });
  const cp = tooBig.fleetStacks[0].stack;
  for (let i = 0; i < 400; i++) new CfnWaitConditionHandle(cp, `Extra${i}`);
  expect(() => tooBig.synth()).toThrow(/stack big-cp has \d+ resources, over kong-fleet's limit of 450/);
});
