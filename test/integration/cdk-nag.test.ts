import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildAwsDiagramApp } from '../../examples/aws-diagram-app';
import { buildPkiApp } from '../../examples/pki-app';
import { buildSeedApp } from '../../examples/seed-app';
import { KongFleetChecks } from '../../src/nag';
import { unitTestApp } from '../support/synth';

function nagged(app: App): App {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new KongFleetChecks(app));
  return app;
}

test('the seed app has no unacknowledged cdk-nag AwsSolutions or KongFleet findings', () => {
  const app = nagged(unitTestApp());
  buildSeedApp(app);
  expect(() => app.synth()).not.toThrow();
});

test('the pki app (ACM Private CA, a data plane in another region) has no unacknowledged findings', () => {
  const app = nagged(unitTestApp());
  buildPkiApp(app);
  expect(() => app.synth()).not.toThrow();
});

test.each(['shared', 'pki'])(
  'the AWS diagram app (CP on EC2, DPs on ECS and EKS, %s trust) has no unacknowledged findings',
  (mode) => {
    const app = nagged(unitTestApp());
    app.node.setContext('kong-fleet:trustMode', mode);
    buildAwsDiagramApp(app);
    expect(() => app.synth()).not.toThrow();
  },
);

test('an unacknowledged finding fails synthesis (so the check above can fail)', () => {
  const app = nagged(unitTestApp());
  const stack = new Stack(app, 'Bad');
  new sqs.Queue(stack, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
  expect(() => app.synth()).toThrow(/AwsSolutions-SQS3/);
});
