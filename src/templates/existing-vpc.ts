import { CfnResource, Stack } from 'aws-cdk-lib';
import { KongFleetError } from '../kong/errors';
import { KongVpc } from '../core/kong-vpc';
import type { ParameterSpec } from './template-parameters';

/** The condition every resource of the template's own VPC carries: true when `VpcId` is empty. */
export const CREATE_VPC_CONDITION = 'CreateVpc';

/** Logical ids of the existing-network parameters. */
export const VPC_ID_PARAMETER = 'VpcId';
export const VPC_CIDR_PARAMETER = 'VpcCidr';
export const PRIVATE_SUBNETS_PARAMETER = 'PrivateSubnetIds';
export const PUBLIC_SUBNETS_PARAMETER = 'PublicSubnetIds';

const NETWORK = 'Network (leave VpcId empty to create a VPC)';
const SUBNET_ID = 'subnet-[0-9a-f]{8}([0-9a-f]{9})?';

/**
 * The parameters that choose between the template's own VPC and an existing one. Plain `String`
 * and `CommaDelimitedList`, not `AWS::EC2::VPC::Id`/`List<AWS::EC2::Subnet::Id>`: AWS-specific
 * types refuse an empty value, and empty is how the user asks for a new VPC. The subnet lists
 * default to `,` (two empty ids) so that `Fn::Select [1, …]` is defined whichever way `Fn::If`
 * goes; the `ExistingVpcInputs` rule refuses empty ids once `VpcId` is set.
 */
export const EXISTING_VPC_PARAMETERS: ParameterSpec[] = [
  {
    id: VPC_ID_PARAMETER,
    label: 'Existing VPC id',
    group: NETWORK,
    props: {
      type: 'String',
      description:
        'Id of an existing VPC to deploy into; leave empty to create a VPC (2 AZs, NAT gateways, flow logs). When set, also set VpcCidr, PrivateSubnetIds and PublicSubnetIds',
      default: '',
      allowedPattern: '^(vpc-[0-9a-f]{8}([0-9a-f]{9})?)?$',
      constraintDescription: 'empty, or a VPC id such as vpc-0123456789abcdef0',
    },
  },
  {
    id: VPC_CIDR_PARAMETER,
    label: 'Existing VPC CIDR',
    group: NETWORK,
    props: {
      type: 'String',
      description:
        'Primary IPv4 CIDR of the existing VPC (security groups admit the VPC range on the Kong ports); only used when VpcId is set',
      default: '',
      // Dotted quad / 16 to 28: the VPC sizes EC2 accepts.
      allowedPattern:
        '^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])/(1[6-9]|2[0-8])$|^$',
      constraintDescription: 'empty, or an IPv4 CIDR block from /16 to /28 such as 10.0.0.0/16',
    },
  },
  {
    id: PRIVATE_SUBNETS_PARAMETER,
    label: 'Existing private subnets',
    group: NETWORK,
    props: {
      type: 'CommaDelimitedList',
      description:
        'Exactly two private subnets of the existing VPC, in two Availability Zones, with outbound internet access (NAT): nodes, tasks, instances, database and Lambda handlers run there; only used when VpcId is set',
      default: ',',
      allowedPattern: `^(${SUBNET_ID})?$`,
      constraintDescription: 'two subnet ids separated by a comma, such as subnet-0aaa…,subnet-0bbb…',
    },
  },
  {
    id: PUBLIC_SUBNETS_PARAMETER,
    label: 'Existing public subnets',
    group: NETWORK,
    props: {
      type: 'CommaDelimitedList',
      description:
        'Exactly two public subnets of the existing VPC (route to an internet gateway), in two Availability Zones, for internet-facing load balancers; only used when VpcId is set',
      default: ',',
      allowedPattern: `^(${SUBNET_ID})?$`,
      constraintDescription: 'two subnet ids separated by a comma, such as subnet-0ccc…,subnet-0ddd…',
    },
  },
];

/** The resources of a plane's {@link KongVpc}, by logical id. */
export interface VpcSubtree {
  /** Every resource of the KongVpc construct (VPC, subnets, routes, NAT, flow logs, their key and role). */
  readonly resources: readonly string[];
  /** The `AWS::EC2::VPC`. */
  readonly vpc: string;
  /** The private (with egress) subnets, in the construct's order. */
  readonly privateSubnets: readonly string[];
  /** The public subnets, in the construct's order. */
  readonly publicSubnets: readonly string[];
}

function logicalIdOf(stack: Stack, token: string): string {
  const resolved = stack.resolve(token) as { Ref?: unknown };
  if (typeof resolved?.Ref !== 'string') {
    throw new KongFleetError(`${stack.node.path}.vpc`, 'is not a VPC resource of this stack', {
      got: JSON.stringify(resolved),
      expected: '{ Ref: <logical id> }',
    });
  }
  return resolved.Ref;
}

/** The one {@link KongVpc} a template stack creates, as logical ids (call after the plane is built). */
export function vpcSubtree(stack: Stack): VpcSubtree {
  const vpcs = stack.node.findAll().filter((c): c is KongVpc => c instanceof KongVpc);
  if (vpcs.length !== 1) {
    throw new KongFleetError(`${stack.node.path}`, 'must create exactly one KongVpc to offer an existing VPC', {
      got: vpcs.map((v) => v.node.path),
      expected: 'one KongVpc',
    });
  }
  const [network] = vpcs;
  return {
    resources: network.node
      .findAll()
      .filter(CfnResource.isCfnResource)
      .map((r) => stack.resolve(r.logicalId) as string),
    vpc: logicalIdOf(stack, network.vpc.vpcId),
    privateSubnets: network.vpc.privateSubnets.map((s) => logicalIdOf(stack, s.subnetId)),
    publicSubnets: network.vpc.publicSubnets.map((s) => logicalIdOf(stack, s.subnetId)),
  };
}

/** A CloudFormation template as JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- templates are free-form JSON
type Template = Record<string, any>;

const onCreate = (created: unknown, existing: unknown) => ({ 'Fn::If': [CREATE_VPC_CONDITION, created, existing] });

/** CloudFormation JSON of a parameter spec. */
function parameterJson(spec: ParameterSpec): Record<string, unknown> {
  const p = spec.props;
  return {
    Type: p.type,
    Description: p.description,
    ...(p.default !== undefined ? { Default: p.default } : {}),
    ...(p.allowedPattern !== undefined ? { AllowedPattern: p.allowedPattern } : {}),
    ConstraintDescription: p.constraintDescription,
  };
}

/**
 * Makes the template's own VPC optional: adds the {@link EXISTING_VPC_PARAMETERS}, the
 * `CreateVpc` condition and a rule requiring the existing-network inputs once `VpcId` is set;
 * puts `Condition: CreateVpc` on every resource of `vpc.resources`; and, outside them, replaces
 * each reference to one by `Fn::If [CreateVpc, <reference>, <parameter>]`: `Ref` of the VPC →
 * `VpcId`, `GetAtt <VPC>.CidrBlock` → `VpcCidr`, `Ref` of subnet i → item i of
 * `PrivateSubnetIds`/`PublicSubnetIds`. Any other reference to a VPC resource (another
 * attribute, a route table, the flow-log key, a name inside `Fn::Sub` text) has no parameter to
 * stand for it and fails the generation.
 *
 * `DependsOn` may not name a resource whose condition can be false (CloudFormation and cfn-lint
 * E3005 refuse it), yet the order matters when the VPC is created: an internet-facing load balancer
 * needs its subnets' internet routes, Lambda handlers in the VPC and the EKS cluster need the NAT
 * routes (and EKS is deleted before the VPC it leaves ENIs in). Such entries move to the resource's
 * `Metadata` as `Fn::If [CreateVpc, [Ref …], AWS::NoValue]`: a `Ref` anywhere in a resource orders
 * it after the target, and only when the VPC is created. With an existing VPC the network is
 * already there, so nothing is lost.
 */
export function withExistingVpcOption(template: Template, vpc: VpcSubtree, where: string): Template {
  const conditional = new Set(vpc.resources);
  const resources: Record<string, Template> = template.Resources ?? {};
  for (const id of [vpc.vpc, ...vpc.privateSubnets, ...vpc.publicSubnets]) {
    if (!conditional.has(id)) {
      throw new KongFleetError(where, 'VPC or subnet is not a resource of the VPC construct', { got: id });
    }
  }
  for (const [kind, list, parameter] of [
    ['private', vpc.privateSubnets, PRIVATE_SUBNETS_PARAMETER],
    ['public', vpc.publicSubnets, PUBLIC_SUBNETS_PARAMETER],
  ] as const) {
    if (list.length !== 2) {
      throw new KongFleetError(where, `the VPC must have two ${kind} subnets (${parameter} takes two)`, {
        got: `${list.length} subnets`,
        expected: '2',
      });
    }
  }
  for (const id of conditional) {
    const resource = resources[id];
    if (!resource) throw new KongFleetError(where, 'a VPC resource is missing from the template', { got: id });
    if (resource.Condition !== undefined) {
      throw new KongFleetError(where, 'a VPC resource already has a condition', {
        got: `${id}: ${resource.Condition}`,
      });
    }
  }
  const subnetParameter = new Map<string, unknown>();
  vpc.privateSubnets.forEach((id, i) =>
    subnetParameter.set(id, { 'Fn::Select': [i, { Ref: PRIVATE_SUBNETS_PARAMETER }] }),
  );
  vpc.publicSubnets.forEach((id, i) =>
    subnetParameter.set(id, { 'Fn::Select': [i, { Ref: PUBLIC_SUBNETS_PARAMETER }] }),
  );

  const refuse = (at: string, reference: string): never => {
    throw new KongFleetError(where, 'references a resource of the VPC construct that an existing VPC cannot replace', {
      got: `${reference} at ${at}`,
      expected: `Ref of the VPC or a subnet, or GetAtt ${vpc.vpc}.CidrBlock`,
    });
  };
  const subReferences = (text: string, at: string) => {
    for (const [, name] of text.matchAll(/\$\{([^}!][^}]*)\}/g)) {
      if (conditional.has(name.split('.')[0])) refuse(at, `\${${name}} in Fn::Sub`);
    }
  };
  const visit = (node: unknown, at: string): unknown => {
    if (Array.isArray(node)) return node.map((n, i) => visit(n, `${at}[${i}]`));
    if (!node || typeof node !== 'object') return node;
    const entries = Object.entries(node);
    if (entries.length === 1) {
      const [[fn, arg]] = entries;
      if (fn === 'Ref' && typeof arg === 'string' && conditional.has(arg)) {
        if (arg === vpc.vpc) return onCreate(node, { Ref: VPC_ID_PARAMETER });
        if (subnetParameter.has(arg)) return onCreate(node, subnetParameter.get(arg));
        return refuse(at, `Ref ${arg}`);
      }
      if (fn === 'Fn::GetAtt') {
        const [target, attribute] = Array.isArray(arg) ? arg : String(arg).split(/\.(.*)/);
        if (conditional.has(target)) {
          if (target === vpc.vpc && attribute === 'CidrBlock') return onCreate(node, { Ref: VPC_CIDR_PARAMETER });
          return refuse(at, `GetAtt ${target}.${attribute}`);
        }
      }
      if (fn === 'Fn::Sub') {
        subReferences(Array.isArray(arg) ? String(arg[0]) : String(arg), at);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, visit(v, `${at}.${k}`)]));
  };

  const out: Record<string, Template> = {};
  for (const [id, resource] of Object.entries(resources)) {
    if (conditional.has(id)) {
      out[id] = { ...resource, Condition: CREATE_VPC_CONDITION };
      continue;
    }
    const rewritten = visit(resource, `Resources.${id}`) as Template;
    const dependsOn: string[] =
      rewritten.DependsOn === undefined ? [] : ([] as string[]).concat(rewritten.DependsOn as string | string[]);
    const onVpc = dependsOn.filter((d) => conditional.has(d));
    if (onVpc.length > 0) {
      const kept = dependsOn.filter((d) => !conditional.has(d));
      const rest = { ...rewritten };
      delete rest.DependsOn;
      out[id] = {
        ...rest,
        ...(kept.length > 0 ? { DependsOn: kept } : {}),
        Metadata: {
          ...(rest.Metadata ?? {}),
          KongFleetCreatedVpcDependsOn: onCreate(
            onVpc.map((d) => ({ Ref: d })),
            { Ref: 'AWS::NoValue' },
          ),
        },
      };
    } else out[id] = rewritten;
  }

  if (template.Conditions?.[CREATE_VPC_CONDITION] !== undefined) {
    throw new KongFleetError(where, 'already has a condition named like the VPC one', { got: CREATE_VPC_CONDITION });
  }
  const parameters = { ...(template.Parameters ?? {}) };
  for (const spec of EXISTING_VPC_PARAMETERS) {
    if (parameters[spec.id])
      throw new KongFleetError(where, 'already has a parameter named like a VPC one', { got: spec.id });
    parameters[spec.id] = parameterJson(spec);
  }
  const notEmpty = (value: unknown) => ({ 'Fn::Not': [{ 'Fn::Equals': [value, ''] }] });
  const noEmptyItem = (list: string) => ({ 'Fn::Not': [{ 'Fn::Contains': [{ Ref: list }, ''] }] });
  return {
    ...template,
    Parameters: parameters,
    Rules: {
      ...(template.Rules ?? {}),
      ExistingVpcInputs: {
        RuleCondition: notEmpty({ Ref: VPC_ID_PARAMETER }),
        Assertions: [
          { Assert: notEmpty({ Ref: VPC_CIDR_PARAMETER }), AssertDescription: 'VpcCidr is required with VpcId' },
          {
            Assert: noEmptyItem(PRIVATE_SUBNETS_PARAMETER),
            AssertDescription: 'PrivateSubnetIds must list two subnet ids with VpcId',
          },
          {
            Assert: noEmptyItem(PUBLIC_SUBNETS_PARAMETER),
            AssertDescription: 'PublicSubnetIds must list two subnet ids with VpcId',
          },
        ],
      },
    },
    Conditions: {
      ...(template.Conditions ?? {}),
      [CREATE_VPC_CONDITION]: { 'Fn::Equals': [{ Ref: VPC_ID_PARAMETER }, ''] },
    },
    Resources: out,
    ...(template.Outputs ? { Outputs: visit(template.Outputs, 'Outputs') } : {}),
  };
}
