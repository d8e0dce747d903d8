import { CfnParameter, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import { findings, pathOf, testStack } from './support';

const RULE = 'KongFleet-EKS1';

function l1Cluster(stack: Stack, vpcConfig: Partial<eks.CfnCluster.ResourcesVpcConfigProperty>): eks.CfnCluster {
  return new eks.CfnCluster(stack, 'Cluster', {
    roleArn: 'arn-of-the-cluster-role',
    resourcesVpcConfig: { subnetIds: ['subnet-1', 'subnet-2'], ...vpcConfig },
  });
}

function l2Cluster(stack: Stack, endpointAccess: eks.EndpointAccess, id = 'Cluster'): eks.Cluster {
  const vpc = (stack.node.tryFindChild('Vpc') as ec2.Vpc) ?? new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  return new eks.Cluster(stack, id, {
    version: eks.KubernetesVersion.V1_33,
    vpc,
    defaultCapacityType: eks.DefaultCapacityType.NODEGROUP,
    defaultCapacity: 0,
    endpointAccess,
  });
}

describe(`${RULE}: EKSEndpointPublicAccessRestricted`, () => {
  test('Noncompliance 1: EndpointPublicAccess absent (CloudFormation default: public to 0.0.0.0/0)', () => {
    const stack = testStack();
    const cluster = l1Cluster(stack, {});
    expect(findings(stack, RULE)).toEqual([pathOf(cluster)]);
  });

  test('Noncompliance 2: public with an allow-list that contains 0.0.0.0/0', () => {
    const stack = testStack();
    const cluster = l1Cluster(stack, { endpointPublicAccess: true, publicAccessCidrs: ['10.0.0.0/8', '0.0.0.0/0'] });
    expect(findings(stack, RULE)).toEqual([pathOf(cluster)]);
  });

  test('Noncompliance 3: public with ::/0', () => {
    const stack = testStack();
    const cluster = l1Cluster(stack, { endpointPublicAccess: true, publicAccessCidrs: ['::/0'] });
    expect(findings(stack, RULE)).toEqual([pathOf(cluster)]);
  });

  test('Noncompliance 4: an aws-eks-v2 cluster with EndpointAccess.PUBLIC_AND_PRIVATE (AwsSolutions-EKS1 misses it)', () => {
    const stack = testStack();
    const cluster = l2Cluster(stack, eks.EndpointAccess.PUBLIC_AND_PRIVATE);
    expect(findings(stack, RULE)).toEqual([pathOf(cluster)]);
  });

  test('Noncompliance 5: a private cluster made public by an escape hatch', () => {
    const stack = testStack();
    const cluster = l2Cluster(stack, eks.EndpointAccess.PRIVATE);
    (cluster.node.defaultChild as eks.CfnCluster).addPropertyOverride('ResourcesVpcConfig.EndpointPublicAccess', true);
    expect(findings(stack, RULE)).toEqual([pathOf(cluster)]);
  });

  test('Compliance 1: endpoint private', () => {
    const stack = testStack();
    l1Cluster(stack, { endpointPublicAccess: false, endpointPrivateAccess: true });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 2: public only to listed networks', () => {
    const stack = testStack();
    l1Cluster(stack, { endpointPublicAccess: true, publicAccessCidrs: ['203.0.113.0/24', '2001:db8::/32'] });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 3: aws-eks-v2 PUBLIC_AND_PRIVATE.onlyFrom(...) and PRIVATE', () => {
    const stack = testStack();
    l2Cluster(stack, eks.EndpointAccess.PUBLIC_AND_PRIVATE.onlyFrom('203.0.113.0/24'));
    l2Cluster(stack, eks.EndpointAccess.PRIVATE, 'Private');
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('an allow-list from a parameter cannot be judged: reported as a rule error, like cdk-nag does', () => {
    const stack = testStack();
    const cidr = new CfnParameter(stack, 'AdminCidr', { type: 'String' });
    const cluster = l1Cluster(stack, { endpointPublicAccess: true, publicAccessCidrs: [cidr.valueAsString] });
    expect(findings(stack, RULE)).toEqual([`ERROR ${pathOf(cluster)}`]);
  });
});
