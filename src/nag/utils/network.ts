/**
 * Security-group rules and Elastic Load Balancing resources, read from rendered CloudFormation:
 * which rules admit the whole internet on which ports, and which ports a load balancer's target
 * groups send traffic to.
 */
import { CfnResource } from 'aws-cdk-lib';
import {
  cfnGet,
  cfnList,
  cfnNumber,
  CfnObject,
  cfnPrimitive,
  cfnProperties,
  CfnValue,
  isCfnObject,
  referencedResource,
  refersTo,
  resourcesOfType,
} from './cfn';

export const ELBV2_LOAD_BALANCER = 'AWS::ElasticLoadBalancingV2::LoadBalancer';
export const ELBV2_LISTENER = 'AWS::ElasticLoadBalancingV2::Listener';
export const ELBV2_LISTENER_RULE = 'AWS::ElasticLoadBalancingV2::ListenerRule';
export const ELBV2_TARGET_GROUP = 'AWS::ElasticLoadBalancingV2::TargetGroup';
export const CLASSIC_LOAD_BALANCER = 'AWS::ElasticLoadBalancing::LoadBalancer';
export const SECURITY_GROUP = 'AWS::EC2::SecurityGroup';
export const SECURITY_GROUP_INGRESS = 'AWS::EC2::SecurityGroupIngress';

/** Protocols that pass a TCP connection through untouched (no TLS termination, no HTTP parsing). */
export const TCP_PASSTHROUGH_PROTOCOLS: readonly string[] = ['TCP', 'TCP_UDP'];

/** True when `cidr` is a literal /0 (0.0.0.0/0, ::/0): the whole internet. Tokens are not. */
export function isWorldCidr(cidr: CfnValue): boolean {
  return typeof cidr === 'string' && /\/0$/.test(cidr.trim());
}

/**
 * The ports of an ingress rule (inline or AWS::EC2::SecurityGroupIngress) that admits the whole
 * internet over TCP, as [from, to]; undefined when it does not (another source, another protocol).
 * IpProtocol -1 (all traffic), and an absent or -1 port, cover every port.
 */
export function worldTcpIngressRange(node: CfnResource, rule: CfnValue): [number, number] | undefined {
  if (!isCfnObject(rule)) return undefined;
  if (!isWorldCidr(rule.CidrIp) && !isWorldCidr(rule.CidrIpv6)) return undefined;
  const protocol = String(cfnPrimitive(node, rule.IpProtocol) ?? '').toLowerCase();
  if (protocol === '-1' || protocol === 'all') return [0, 65535];
  if (protocol !== 'tcp' && protocol !== '6') return undefined;
  const from = cfnNumber(node, rule.FromPort);
  const to = cfnNumber(node, rule.ToPort);
  if (from === undefined || from === -1) return [0, 65535];
  return [from, to === undefined || to === -1 ? 65535 : to];
}

/** The ingress rules of a security group or the single rule of an ingress resource. */
export function ingressRules(node: CfnResource): CfnValue[] {
  if (node.cfnResourceType === SECURITY_GROUP) return cfnList(cfnProperties(node).SecurityGroupIngress) ?? [];
  if (node.cfnResourceType === SECURITY_GROUP_INGRESS) return [cfnProperties(node)];
  return [];
}

/** The `ports` that some ingress rule of `node` opens to the whole internet (sorted, unique). */
export function worldOpenPorts(node: CfnResource, ports: readonly number[]): number[] {
  const open = new Set<number>();
  for (const rule of ingressRules(node)) {
    const range = worldTcpIngressRange(node, rule);
    if (range) for (const port of ports) if (port >= range[0] && port <= range[1]) open.add(port);
  }
  return [...open].sort((a, b) => a - b);
}

/**
 * The ports a target group sends traffic to: its own port, the ports of targets registered in the
 * template, and the container ports ECS services register into it (ECS overrides the group's port).
 * Tokens are skipped.
 */
export function targetGroupPorts(targetGroup: CfnResource): number[] {
  const ports = new Set<number>();
  const add = (value: CfnValue) => {
    const n = typeof value === 'number' || typeof value === 'string' ? Number(value) : NaN;
    if (Number.isInteger(n)) ports.add(n);
  };
  const props = cfnProperties(targetGroup);
  add(props.Port);
  for (const target of cfnList(props.Targets) ?? []) add(cfnGet(target, 'Port'));
  for (const service of resourcesOfType(targetGroup, 'AWS::ECS::Service')) {
    for (const lb of cfnList(cfnProperties(service).LoadBalancers) ?? []) {
      if (refersTo(cfnGet(lb, 'TargetGroupArn'), targetGroup)) add(cfnGet(lb, 'ContainerPort'));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** The target groups of this stack that the listener or listener rule actions forward to. */
export function forwardedTargetGroups(node: CfnResource): CfnResource[] {
  const props = cfnProperties(node);
  const actions = cfnList(node.cfnResourceType === ELBV2_LISTENER ? props.DefaultActions : props.Actions) ?? [];
  const arns: CfnValue[] = [];
  for (const action of actions) {
    arns.push(cfnGet(action, 'TargetGroupArn'));
    for (const tg of cfnList(cfnGet(action, 'ForwardConfig', 'TargetGroups')) ?? [])
      arns.push(cfnGet(tg, 'TargetGroupArn'));
  }
  const groups = arns
    .map((arn) => referencedResource(node, arn, ELBV2_TARGET_GROUP))
    .filter((tg): tg is CfnResource => tg !== undefined);
  return [...new Set(groups)];
}

/** The listener a listener rule belongs to, when it is in the same stack. */
export function listenerOfRule(rule: CfnResource): CfnResource | undefined {
  return referencedResource(rule, cfnProperties(rule).ListenerArn, ELBV2_LISTENER);
}

/** The load balancer of a listener, when it is in the same stack. */
export function loadBalancerOfListener(listener: CfnResource): CfnResource | undefined {
  return referencedResource(listener, cfnProperties(listener).LoadBalancerArn, ELBV2_LOAD_BALANCER);
}

/** `internet-facing` unless the load balancer says `internal` (CloudFormation's default). */
export function isInternetFacing(node: CfnResource, loadBalancerProps: CfnObject): boolean {
  const scheme = cfnPrimitive(node, loadBalancerProps.Scheme);
  return scheme === undefined || scheme === 'internet-facing';
}

/** An ELBv2 load balancer's type; CloudFormation's default is `application`. */
export function loadBalancerType(loadBalancerProps: CfnObject): string {
  const type = cfnGet(loadBalancerProps, 'Type');
  return typeof type === 'string' ? type : 'application';
}
