import { Stack, Validations } from 'aws-cdk-lib';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { acknowledgeKongFleetNag, KongFleetChecks, rules } from '../../src/nag';
import { nagTestApp } from './support';

/** An app with the pack registered and an EKS cluster that breaks EKS1 and EKS2. */
function naggedApp() {
  const app = nagTestApp();
  Validations.of(app).addPlugins(new KongFleetChecks(app));
  const stack = new Stack(app, 'Test');
  const cluster = new eks.CfnCluster(stack, 'Cluster', {
    roleArn: 'arn-of-the-cluster-role',
    resourcesVpcConfig: { subnetIds: ['subnet-1', 'subnet-2'], endpointPublicAccess: true },
  });
  return { app, stack, cluster };
}

test('the pack is a cdk-nag NagPack named KongFleet with the documented rule ids', () => {
  const pack = new KongFleetChecks();
  expect(pack.name).toBe('KongFleet');
  expect(pack.readPackName).toBe('KongFleet');
  expect(pack.ruleIds).toEqual([
    'KongFleet-EKS1',
    'KongFleet-EKS2',
    'KongFleet-KONG1',
    'KongFleet-KONG2',
    'KongFleet-KONG3',
    'KongFleet-KONG4',
    'KongFleet-KONG5',
    'KongFleet-RDS1',
  ]);
  // Rules are named after their files, as cdk-nag's are.
  expect(Object.entries(rules).every(([name, rule]) => rule.name === name)).toBe(true);
});

test('registered with Validations.of(app).addPlugins, an unacknowledged finding fails synthesis with its id', () => {
  const { app } = naggedApp();
  expect(() => app.synth()).toThrow(/KongFleet-EKS1[\s\S]*KongFleet-EKS2|KongFleet-EKS2[\s\S]*KongFleet-EKS1/);
});

test('a finding acknowledged next to the construct (Validations.acknowledge, KongFleet::<id>) no longer fails', () => {
  const { app, cluster } = naggedApp();
  Validations.of(cluster).acknowledge({ id: 'KongFleet::KongFleet-EKS1', reason: 'test: public on purpose' });
  expect(() => app.synth()).toThrow(/KongFleet-EKS2/);
  expect(() => app.synth()).not.toThrow(/KongFleet-EKS1/);
});

test('acknowledgeKongFleetNag on a parent construct acknowledges its resources, rule by rule', () => {
  const { app, stack } = naggedApp();
  acknowledgeKongFleetNag(stack, 'EKS1', 'test: public on purpose');
  acknowledgeKongFleetNag(stack, 'EKS2', 'test: logs shipped elsewhere');
  expect(() => app.synth()).not.toThrow();
});

test('the id without the plugin prefix also works (Validations treats it as an annotation id)', () => {
  const { app, cluster } = naggedApp();
  Validations.of(cluster).acknowledge(
    { id: 'KongFleet-EKS1', reason: 'test' },
    { id: 'KongFleet-EKS2', reason: 'test' },
  );
  expect(() => app.synth()).not.toThrow();
});

test('it runs next to AwsSolutionsChecks and reports what that pack misses on aws-eks-v2 clusters', () => {
  const { app, stack, cluster } = naggedApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
  acknowledgeKongFleetNag(cluster, 'EKS2', 'test');
  let message = '';
  try {
    app.synth();
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).toMatch(/AwsSolutions-SQS3/);
  expect(message).toMatch(/KongFleet-EKS1/);
  expect(message).not.toMatch(/KongFleet-EKS2/);
  // The gap this pack closes: AwsSolutions-EKS1/EKS2 check aws-eks (v1) classes only.
  expect(message).not.toMatch(/AwsSolutions-EKS[12]/);
});
