import { Aws, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elb from 'aws-cdk-lib/aws-elasticloadbalancing';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import { findings, pathOf, testStack } from './support';

const RULE = 'KongFleet-KONG2';
const KONG_IP = new targets.IpTarget('10.0.1.10');

function vpcOf(stack: Stack): ec2.Vpc {
  return new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
}

function certificate(stack: Stack): elbv2.IListenerCertificate {
  return elbv2.ListenerCertificate.fromArn(
    `arn:${Aws.PARTITION}:acm:eu-west-1:${Stack.of(stack).account}:certificate/x`,
  );
}

describe(`${RULE}: KongClusterBehindTcpNlb`, () => {
  test('Noncompliance 1: an NLB terminates TLS in front of the cluster port', () => {
    const stack = testStack();
    const nlb = new elbv2.NetworkLoadBalancer(stack, 'Nlb', { vpc: vpcOf(stack) });
    const listener = nlb.addListener('Cluster', {
      port: 8005,
      protocol: elbv2.Protocol.TLS,
      certificates: [certificate(stack)],
    });
    listener.addTargets('Kong', { port: 8005, protocol: elbv2.Protocol.TCP, targets: [KONG_IP] });
    expect(findings(stack, RULE)).toEqual([pathOf(listener)]);
  });

  test('Noncompliance 2: a TLS target group on the telemetry port', () => {
    const stack = testStack();
    const group = new elbv2.NetworkTargetGroup(stack, 'Telemetry', {
      vpc: vpcOf(stack),
      port: 8006,
      protocol: elbv2.Protocol.TLS,
      targets: [KONG_IP],
    });
    expect(findings(stack, RULE)).toEqual([pathOf(group)]);
  });

  test('Noncompliance 3: an Application Load Balancer in front of the cluster port', () => {
    const stack = testStack();
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc: vpcOf(stack) });
    const listener = alb.addListener('Https', { port: 443, certificates: [certificate(stack)], open: false });
    listener.addTargets('Kong', { port: 8005, protocol: elbv2.ApplicationProtocol.HTTPS, targets: [KONG_IP] });
    const group = listener.node.findChild('KongGroup');
    expect(findings(stack, RULE).sort()).toEqual([pathOf(group), pathOf(listener)].sort());
  });

  test('Noncompliance 4: an ECS service registers the cluster container port in an HTTP target group', () => {
    const stack = testStack();
    const group = new elbv2.ApplicationTargetGroup(stack, 'Http', {
      vpc: vpcOf(stack),
      port: 80,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targetType: elbv2.TargetType.IP,
    });
    new ecs.CfnService(stack, 'Service', {
      taskDefinition: 'kong-cp:1',
      loadBalancers: [{ targetGroupArn: group.targetGroupArn, containerName: 'kong', containerPort: 8005 }],
    });
    expect(findings(stack, RULE)).toEqual([pathOf(group)]);
  });

  test('Noncompliance 5: a Classic Load Balancer in front of the cluster port (even in TCP mode)', () => {
    const stack = testStack();
    const clb = new elb.CfnLoadBalancer(stack, 'Clb', {
      listeners: [{ loadBalancerPort: '8005', instancePort: '8005', protocol: 'TCP' }],
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
      scheme: 'internal',
    });
    expect(findings(stack, RULE)).toEqual([pathOf(clb)]);
  });

  test('Compliance 1: TCP listeners and TCP target groups of an NLB on 8005 and 8006', () => {
    const stack = testStack();
    const nlb = new elbv2.NetworkLoadBalancer(stack, 'Nlb', { vpc: vpcOf(stack), internetFacing: true });
    for (const port of [8005, 8006]) {
      nlb
        .addListener(`L${port}`, { port, protocol: elbv2.Protocol.TCP })
        .addTargets(`T${port}`, { port, protocol: elbv2.Protocol.TCP, targets: [KONG_IP] });
    }
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 2: a TCP listener on 443 forwarding to the cluster port (one public port)', () => {
    const stack = testStack();
    const nlb = new elbv2.NetworkLoadBalancer(stack, 'Nlb', { vpc: vpcOf(stack) });
    nlb.addListener('Cluster', { port: 443 }).addTargets('Kong', { port: 8005, targets: [KONG_IP] });
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 3: an ALB in front of the proxy port only', () => {
    const stack = testStack();
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc: vpcOf(stack) });
    alb
      .addListener('Https', { port: 443, certificates: [certificate(stack)], open: false })
      .addTargets('Proxy', { port: 8443, protocol: elbv2.ApplicationProtocol.HTTPS, targets: [KONG_IP] });
    expect(findings(stack, RULE)).toEqual([]);
  });
});
