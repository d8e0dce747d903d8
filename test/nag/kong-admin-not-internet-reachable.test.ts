import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elb from 'aws-cdk-lib/aws-elasticloadbalancing';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import { findings, pathOf, testStack } from './support';

const RULE = 'KongFleet-KONG1';

function network(stack: Stack): { vpc: ec2.Vpc; sg: ec2.SecurityGroup } {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  return { vpc, sg: new ec2.SecurityGroup(stack, 'Kong', { vpc, allowAllOutbound: false }) };
}

/** A load balancer forwarding listener port 443 to Kong's `targetPort`. */
function nlbTo(stack: Stack, internetFacing: boolean, targetPort: number): elbv2.NetworkListener {
  const { vpc } = network(stack);
  const nlb = new elbv2.NetworkLoadBalancer(stack, 'Nlb', { vpc, internetFacing });
  const listener = nlb.addListener('Listener', { port: 443 });
  listener.addTargets('Kong', { port: targetPort, targets: [new targets.IpTarget('10.0.1.10')] });
  return listener;
}

describe(`${RULE}: KongAdminNotInternetReachable`, () => {
  test('Noncompliance 1: a security group admits 0.0.0.0/0 on the Admin API https port', () => {
    const stack = testStack();
    const { sg } = network(stack);
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(8444), 'admin');
    expect(findings(stack, RULE)).toEqual([pathOf(sg)]);
  });

  test('Noncompliance 2: a port range from ::/0 that covers 8001 and 8002', () => {
    const stack = testStack();
    const { sg } = network(stack);
    sg.addIngressRule(ec2.Peer.anyIpv6(), ec2.Port.tcpRange(8000, 8010), 'proxy and more');
    expect(findings(stack, RULE)).toEqual([pathOf(sg)]);
  });

  test('Noncompliance 3: all traffic (IpProtocol -1) from anywhere', () => {
    const stack = testStack();
    const { sg } = network(stack);
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.allTraffic(), 'everything');
    expect(findings(stack, RULE)).toEqual([pathOf(sg)]);
  });

  test('Noncompliance 4: a separate AWS::EC2::SecurityGroupIngress to Kong Manager (8445)', () => {
    const stack = testStack();
    const { sg } = network(stack);
    const ingress = new ec2.CfnSecurityGroupIngress(stack, 'Manager', {
      groupId: sg.securityGroupId,
      ipProtocol: 'tcp',
      fromPort: 8445,
      toPort: 8445,
      cidrIp: '0.0.0.0/0',
    });
    expect(findings(stack, RULE)).toEqual([pathOf(ingress)]);
  });

  test('Noncompliance 5: an internet-facing NLB forwards to the Admin API', () => {
    const stack = testStack();
    const listener = nlbTo(stack, true, 8444);
    expect(findings(stack, RULE)).toEqual([pathOf(listener)]);
  });

  test('Noncompliance 6: an internet-facing ALB listener rule forwards to Kong Manager', () => {
    const stack = testStack();
    const { vpc } = network(stack);
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Alb', { vpc, internetFacing: true });
    const listener = alb.addListener('Http', { port: 80, open: false });
    listener.addTargets('Proxy', {
      port: 8000,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [new targets.IpTarget('10.0.1.10')],
    });
    listener.addTargets('Manager', {
      port: 8002,
      protocol: elbv2.ApplicationProtocol.HTTP,
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/manager/*'])],
      targets: [new targets.IpTarget('10.0.1.10')],
    });
    const rule = listener.node.findChild('ManagerRule');
    expect(findings(stack, RULE)).toEqual([pathOf(rule)]);
  });

  test('Noncompliance 7: an ECS service registers its Admin API container port in an internet-facing target group', () => {
    const stack = testStack();
    const listener = nlbTo(stack, true, 8000);
    const targetGroup = listener.node.findChild('KongGroup') as elbv2.NetworkTargetGroup;
    new ecs.CfnService(stack, 'Service', {
      taskDefinition: 'kong-cp:1',
      loadBalancers: [{ targetGroupArn: targetGroup.targetGroupArn, containerName: 'kong', containerPort: 8444 }],
    });
    expect(findings(stack, RULE)).toEqual([pathOf(listener)]);
  });

  test('Noncompliance 8: an internet-facing Classic Load Balancer in front of the Admin API', () => {
    const stack = testStack();
    const clb = new elb.CfnLoadBalancer(stack, 'Clb', {
      listeners: [{ loadBalancerPort: '443', instancePort: '8001', protocol: 'TCP' }],
      availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    });
    expect(findings(stack, RULE)).toEqual([pathOf(clb)]);
  });

  test('Compliance 1: the proxy ports open to the internet, the Admin API to the VPC only', () => {
    const stack = testStack();
    const { vpc, sg } = network(stack);
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(8000), 'proxy');
    sg.addIngressRule(ec2.Peer.anyIpv6(), ec2.Port.tcp(8443), 'proxy tls');
    sg.addIngressRule(ec2.Peer.ipv4(vpc.vpcCidrBlock), ec2.Port.tcp(8444), 'admin from the VPC (a token CIDR)');
    sg.addIngressRule(ec2.Peer.ipv4('10.20.0.0/16'), ec2.Port.allTraffic(), 'a peered network');
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 2: UDP from anywhere on 8001 (the Admin API is TCP)', () => {
    const stack = testStack();
    const { sg } = network(stack);
    sg.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.udp(8001), 'not the admin API');
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 3: an internal NLB in front of the Admin API', () => {
    const stack = testStack();
    nlbTo(stack, false, 8444);
    expect(findings(stack, RULE)).toEqual([]);
  });

  test('Compliance 4: an internet-facing NLB in front of the proxy', () => {
    const stack = testStack();
    nlbTo(stack, true, 8443);
    expect(findings(stack, RULE)).toEqual([]);
  });
});
