import { CfnResource, Stack } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { findings, pathOf, testStack } from './support';

const RULE = 'KongFleet-KONG3';

function vpcOf(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
}

/** A Fargate service running Kong with KONG_ROLE=`role`. */
function kongService(
  stack: Stack,
  role: string,
  props: Partial<ecs.FargateServiceProps> = {},
): { service: ecs.FargateService; vpc: ec2.Vpc } {
  const vpc = vpcOf(stack);
  const taskDefinition = new ecs.FargateTaskDefinition(stack, 'Task');
  taskDefinition.addContainer('kong', {
    image: ecs.ContainerImage.fromRegistry('kong/kong-gateway:3.10.0.6'),
    environment: { KONG_ROLE: role, KONG_DATABASE: role === 'data_plane' ? 'off' : 'postgres' },
  });
  const cluster = new ecs.Cluster(stack, 'Cluster', { vpc });
  const service = new ecs.FargateService(stack, 'Service', { cluster, taskDefinition, ...props });
  return { service, vpc };
}

/** An Auto Scaling group booting `script` from a launch template. */
function kongGroup(stack: Stack, script: string, props: Partial<autoscaling.AutoScalingGroupProps> = {}) {
  const vpc = vpcOf(stack);
  const launchTemplate = new ec2.LaunchTemplate(stack, 'Template', {
    machineImage: ec2.MachineImage.latestAmazonLinux2023(),
    instanceType: new ec2.InstanceType('m7g.large'),
    userData: ec2.UserData.custom(script),
  });
  return new autoscaling.AutoScalingGroup(stack, 'Group', { vpc, launchTemplate, ...props });
}

const DATA_PLANE_SCRIPT = [
  '#!/bin/bash',
  "cat > /etc/kong/kong.conf <<'EOF'",
  'role = data_plane',
  'database = off',
  'EOF',
].join('\n');

/** A release of Kong's chart as aws-eks-v2 HelmChart writes it. */
function kongChart(stack: Stack, values: Record<string, unknown>): CfnResource {
  return new CfnResource(stack, 'KongChart', {
    type: 'Custom::AWSCDK-EKS-HelmChart',
    properties: {
      ServiceToken: 'kubectl-provider',
      ClusterName: 'edge',
      Release: 'kong-dp',
      Chart: 'kong',
      Repository: 'https://charts.konghq.com',
      Values: stack.toJsonString(values),
    },
  });
}

describe(`${RULE}: KongDataPlaneHighlyAvailable`, () => {
  test('Noncompliance 1: an ECS data plane with one task', () => {
    const stack = testStack();
    const { service } = kongService(stack, 'data_plane', { desiredCount: 1 });
    expect(findings(stack, RULE)).toEqual([pathOf(service)]);
  });

  test('Noncompliance 2: the scaling minimum (1) wins over the desired count (3)', () => {
    const stack = testStack();
    const { service } = kongService(stack, 'data_plane', { desiredCount: 3 });
    service.autoScaleTaskCount({ minCapacity: 1, maxCapacity: 4 });
    expect(findings(stack, RULE)).toEqual([pathOf(service)]);
  });

  test('Noncompliance 3: no desired count and no scaling (CloudFormation starts 1 task)', () => {
    const stack = testStack();
    const { service } = kongService(stack, 'data_plane');
    expect(stack.resolve((service.node.defaultChild as ecs.CfnService).desiredCount)).toBeUndefined();
    expect(findings(stack, RULE)).toEqual([pathOf(service)]);
  });

  test('Noncompliance 4: 2 tasks in a single subnet', () => {
    const stack = testStack();
    const { service } = kongService(stack, 'data_plane', {
      desiredCount: 2,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, availabilityZones: [stack.availabilityZones[0]] },
    });
    expect(findings(stack, RULE)).toEqual([pathOf(service)]);
  });

  test('Noncompliance 5: an EC2 data plane (kong.conf role = data_plane) with MinSize 1', () => {
    const stack = testStack();
    const group = kongGroup(stack, DATA_PLANE_SCRIPT, { minCapacity: 1, maxCapacity: 3 });
    expect(findings(stack, RULE)).toEqual([pathOf(group)]);
  });

  test('Noncompliance 6: an EC2 data plane (KONG_ROLE=data_plane) with 2 instances in one subnet', () => {
    const stack = testStack();
    const group = kongGroup(stack, '#!/bin/bash\ndocker run -e KONG_ROLE=data_plane -e KONG_DATABASE=off kong', {
      minCapacity: 2,
      maxCapacity: 3,
      vpcSubnets: {
        subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS,
        onePerAz: true,
        availabilityZones: [stack.availabilityZones[0]],
      },
    });
    expect(findings(stack, RULE)).toEqual([pathOf(group)]);
  });

  test('Noncompliance 7: a kong chart data plane with replicaCount 1', () => {
    const stack = testStack();
    const chart = kongChart(stack, { env: { role: 'data_plane', database: 'off' }, replicaCount: 1 });
    expect(findings(stack, RULE)).toEqual([pathOf(chart)]);
  });

  test("Noncompliance 8: a kong chart data plane with the chart's defaults (replicaCount 1, no autoscaling)", () => {
    const stack = testStack();
    const chart = kongChart(stack, { env: { role: 'data_plane', database: 'off' } });
    expect(findings(stack, RULE)).toEqual([pathOf(chart)]);
  });

  test('Noncompliance 9: a kong chart data plane autoscaling from 1', () => {
    const stack = testStack();
    const chart = kongChart(stack, {
      env: { role: 'data_plane' },
      replicaCount: 3,
      autoscaling: { enabled: true, minReplicas: 1, maxReplicas: 5 },
    });
    expect(findings(stack, RULE)).toEqual([pathOf(chart)]);
  });

  test('Compliance 1: an ECS data plane scaling from 2 tasks in 2 subnets', () => {
    const stack = testStack();
    const { service } = kongService(stack, 'data_plane');
    service.autoScaleTaskCount({ minCapacity: 2, maxCapacity: 6 });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 2: an ECS control plane with one task (not a data plane)', () => {
    const stack = testStack();
    kongService(stack, 'control_plane', { desiredCount: 1 });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 3: an EC2 data plane with 2 instances in 2 subnets', () => {
    const stack = testStack();
    kongGroup(stack, DATA_PLANE_SCRIPT, { minCapacity: 2, maxCapacity: 4 });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 4: an Auto Scaling group of one instance that is no Kong data plane', () => {
    const stack = testStack();
    kongGroup(stack, '#!/bin/bash\nrole = control_plane', { minCapacity: 1, maxCapacity: 1 });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 5: kong chart data planes with autoscaling from the default 2, or 3 replicas, values with tokens', () => {
    const stack = testStack();
    kongChart(stack, {
      env: { role: 'data_plane', cluster_control_plane: `${stack.stackName}.example.com:8005` },
      autoscaling: { enabled: true },
    });
    new CfnResource(stack, 'Second', {
      type: 'Custom::AWSCDK-EKS-HelmChart',
      properties: { Chart: 'kong', Values: stack.toJsonString({ env: { role: 'data_plane' }, replicaCount: 3 }) },
    });
    expect(findings(stack, RULE)).toEqual([]);
  });
});
