import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { findings, pathOf, testStack } from './support';

const RULE = 'KongFleet-EKS2';

function l1Cluster(stack: Stack, types?: string[]): eks.CfnCluster {
  return new eks.CfnCluster(stack, 'Cluster', {
    roleArn: 'arn-of-the-cluster-role',
    resourcesVpcConfig: { subnetIds: ['subnet-1', 'subnet-2'], endpointPublicAccess: false },
    logging: types && { clusterLogging: { enabledTypes: types.map((type) => ({ type })) } },
  });
}

function l2Cluster(stack: Stack, clusterLogging: eks.ClusterLoggingTypes[]): eks.Cluster {
  return new eks.Cluster(stack, 'Cluster', {
    version: eks.KubernetesVersion.V1_33,
    vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 }),
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    defaultCapacity: 0,
    endpointAccess: eks.EndpointAccess.PRIVATE,
    clusterLogging,
  });
}

describe(`${RULE}: EKSControlPlaneLogging`, () => {
  test('Noncompliance 1: no control-plane logging', () => {
    const stack = testStack();
    const cluster = l1Cluster(stack);
    expect(findings(stack, RULE)).toEqual([pathOf(cluster)]);
  });

  test('Noncompliance 2: api and audit, but not authenticator', () => {
    const stack = testStack();
    const cluster = l1Cluster(stack, ['api', 'audit', 'scheduler']);
    expect(findings(stack, RULE)).toEqual([pathOf(cluster)]);
  });

  test('Noncompliance 3: an aws-eks-v2 cluster logging only the authenticator', () => {
    const stack = testStack();
    const cluster = l2Cluster(stack, [eks.ClusterLoggingTypes.AUTHENTICATOR]);
    expect(findings(stack, RULE)).toEqual([pathOf(cluster)]);
  });

  test('Compliance 1: api, audit and authenticator', () => {
    const stack = testStack();
    l1Cluster(stack, ['authenticator', 'audit', 'api']);
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 2: an aws-eks-v2 cluster with every log type (as KongEksCluster configures)', () => {
    const stack = testStack();
    l2Cluster(stack, [
      eks.ClusterLoggingTypes.API,
      eks.ClusterLoggingTypes.AUDIT,
      eks.ClusterLoggingTypes.AUTHENTICATOR,
      eks.ClusterLoggingTypes.CONTROLLER_MANAGER,
      eks.ClusterLoggingTypes.SCHEDULER,
    ]);
    expect(findings(stack, RULE)).toEqual([]);
  });
});
