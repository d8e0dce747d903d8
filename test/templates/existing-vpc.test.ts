import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { KongVpc } from '../../src/core/kong-vpc';
import {
  CREATE_VPC_CONDITION,
  EXISTING_VPC_PARAMETERS,
  vpcSubtree,
  VpcSubtree,
  withExistingVpcOption,
} from '../../src/templates/existing-vpc';
import { expectKongError } from '../support/errors';
import { unitTestApp } from '../support/synth';
import { unguardedReferences } from './conditional-references';

/** A VPC with two subnets of each kind, a route, and the resources that use them. */
function tinyTemplate(): Record<string, any> {
  return {
    Resources: {
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
      Priv1: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.0.0.0/20' } },
      Priv2: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.0.16.0/20' } },
      Pub1: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.0.32.0/24' } },
      Pub2: { Type: 'AWS::EC2::Subnet', Properties: { VpcId: { Ref: 'Vpc' }, CidrBlock: '10.0.33.0/24' } },
      Pub1Route: { Type: 'AWS::EC2::Route', Properties: { RouteTableId: 'rtb-1', GatewayId: 'igw-1' } },
      Group: {
        Type: 'AWS::EC2::SecurityGroup',
        Properties: {
          GroupDescription: 'kong',
          VpcId: { Ref: 'Vpc' },
          SecurityGroupIngress: [
            { IpProtocol: 'tcp', FromPort: 8000, ToPort: 8000, CidrIp: { 'Fn::GetAtt': ['Vpc', 'CidrBlock'] } },
          ],
        },
      },
      Nlb: {
        Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer',
        DependsOn: ['Group', 'Pub1Route'],
        Properties: { Type: 'network', Subnets: [{ Ref: 'Pub1' }, { Ref: 'Pub2' }] },
      },
      Db: {
        Type: 'AWS::RDS::DBSubnetGroup',
        Properties: { DBSubnetGroupDescription: 'd', SubnetIds: [{ Ref: 'Priv2' }] },
      },
    },
    Outputs: { Network: { Value: { 'Fn::Join': [':', [{ Ref: 'Vpc' }, 'x']] } } },
  };
}

const TINY: VpcSubtree = {
  resources: ['Vpc', 'Priv1', 'Priv2', 'Pub1', 'Pub2', 'Pub1Route'],
  vpc: 'Vpc',
  privateSubnets: ['Priv1', 'Priv2'],
  publicSubnets: ['Pub1', 'Pub2'],
};

describe('withExistingVpcOption', () => {
  const out = withExistingVpcOption(tinyTemplate(), TINY, 'tiny');

  test('puts the VPC resources, and only them, under CreateVpc', () => {
    const conditional = Object.keys(out.Resources).filter((id) => out.Resources[id].Condition === CREATE_VPC_CONDITION);
    expect(conditional.sort()).toEqual([...TINY.resources].sort());
    expect(out.Conditions[CREATE_VPC_CONDITION]).toEqual({ 'Fn::Equals': [{ Ref: 'VpcId' }, ''] });
    expect(unguardedReferences(out, CREATE_VPC_CONDITION)).toEqual([]);
    // The checker itself sees the references of the untransformed template.
    const before = { ...tinyTemplate() };
    for (const id of TINY.resources) before.Resources[id].Condition = CREATE_VPC_CONDITION;
    expect(unguardedReferences(before, CREATE_VPC_CONDITION)).toEqual(
      expect.arrayContaining(['Resources.Nlb: DependsOn Pub1Route', 'Resources.Group.Properties.VpcId: Ref Vpc']),
    );
  });

  test('replaces references by Fn::If on the parameters', () => {
    const group = out.Resources.Group.Properties;
    expect(group.VpcId).toEqual({ 'Fn::If': ['CreateVpc', { Ref: 'Vpc' }, { Ref: 'VpcId' }] });
    expect(group.SecurityGroupIngress[0].CidrIp).toEqual({
      'Fn::If': ['CreateVpc', { 'Fn::GetAtt': ['Vpc', 'CidrBlock'] }, { Ref: 'VpcCidr' }],
    });
    expect(out.Resources.Nlb.Properties.Subnets[1]).toEqual({
      'Fn::If': ['CreateVpc', { Ref: 'Pub2' }, { 'Fn::Select': [1, { Ref: 'PublicSubnetIds' }] }],
    });
    expect(out.Resources.Db.Properties.SubnetIds[0]).toEqual({
      'Fn::If': ['CreateVpc', { Ref: 'Priv2' }, { 'Fn::Select': [1, { Ref: 'PrivateSubnetIds' }] }],
    });
    expect(out.Outputs.Network.Value['Fn::Join'][1][0]).toEqual({
      'Fn::If': ['CreateVpc', { Ref: 'Vpc' }, { Ref: 'VpcId' }],
    });
  });

  test('moves a DependsOn on a VPC resource to a conditional Ref in Metadata', () => {
    const nlb = out.Resources.Nlb;
    expect(nlb.DependsOn).toEqual(['Group']);
    expect(nlb.Metadata.KongFleetCreatedVpcDependsOn).toEqual({
      'Fn::If': ['CreateVpc', [{ Ref: 'Pub1Route' }], { Ref: 'AWS::NoValue' }],
    });
  });

  test('adds the constrained parameters and the rule that requires them with VpcId', () => {
    expect(Object.keys(out.Parameters)).toEqual(EXISTING_VPC_PARAMETERS.map((p) => p.id));
    expect(out.Parameters.PrivateSubnetIds).toMatchObject({ Type: 'CommaDelimitedList', Default: ',' });
    for (const p of Object.values<any>(out.Parameters)) {
      expect(p).toEqual(
        expect.objectContaining({
          Description: expect.any(String),
          AllowedPattern: expect.any(String),
          ConstraintDescription: expect.any(String),
        }),
      );
    }
    expect(out.Rules.ExistingVpcInputs.RuleCondition).toEqual({
      'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'VpcId' }, ''] }],
    });
    expect(out.Rules.ExistingVpcInputs.Assertions).toHaveLength(3);
  });

  test('parameter patterns accept ids and empty values and refuse the rest', () => {
    const pattern = (id: string) => new RegExp(EXISTING_VPC_PARAMETERS.find((p) => p.id === id)!.props.allowedPattern!);
    expect(['', 'vpc-0123456789abcdef0', 'vpc-01234567'].every((v) => pattern('VpcId').test(v))).toBe(true);
    expect(['vpc-xyz', 'subnet-01234567', ' vpc-01234567'].some((v) => pattern('VpcId').test(v))).toBe(false);
    expect(['', '10.0.0.0/16', '172.31.0.0/16', '10.1.2.0/24'].every((v) => pattern('VpcCidr').test(v))).toBe(true);
    expect(['10.0.0.0', '10.0.0.0/8', '256.0.0.0/16', '10.0.0.0/29'].some((v) => pattern('VpcCidr').test(v))).toBe(
      false,
    );
    // CommaDelimitedList patterns apply to each item.
    expect(['', 'subnet-0123456789abcdef0'].every((v) => pattern('PrivateSubnetIds').test(v))).toBe(true);
    expect(pattern('PublicSubnetIds').test('subnet-1,subnet-2')).toBe(false);
  });

  test.each([
    [
      'another attribute of the VPC',
      { 'Fn::GetAtt': ['Vpc', 'DefaultSecurityGroup'] },
      /GetAtt Vpc.DefaultSecurityGroup/,
    ],
    ['a route', { Ref: 'Pub1Route' }, /Ref Pub1Route/],
    ['a VPC name inside Fn::Sub text', { 'Fn::Sub': 'vpc ${Vpc}' }, /\$\{Vpc\} in Fn::Sub/],
    ['a subnet attribute', { 'Fn::GetAtt': 'Priv1.AvailabilityZone' }, /GetAtt Priv1.AvailabilityZone/],
  ])('refuses a reference it has no parameter for: %s', (_what, reference, message) => {
    const template = tinyTemplate();
    template.Resources.Group.Properties.Tags = [{ Key: 'x', Value: reference }];
    expectKongError(() => withExistingVpcOption(template, TINY, 'tiny'), message);
    expectKongError(() => withExistingVpcOption(template, TINY, 'tiny'), /cannot replace/);
  });

  test('refuses a VPC without two subnets of a kind, and a VPC resource missing from the template', () => {
    expectKongError(
      () => withExistingVpcOption(tinyTemplate(), { ...TINY, publicSubnets: ['Pub1'] }, 'tiny'),
      /two public subnets/,
    );
    expectKongError(
      () => withExistingVpcOption(tinyTemplate(), { ...TINY, resources: [...TINY.resources, 'Gone'] }, 'tiny'),
      /missing from the template.*Gone/,
    );
  });
});

describe('vpcSubtree', () => {
  test('lists the KongVpc resources by logical id, subnets by kind in order', () => {
    const stack = new Stack(unitTestApp(), 'Net');
    const network = new KongVpc(stack, 'Vpc', { availabilityZones: ['us-east-1a', 'us-east-1b'] });
    new ec2.SecurityGroup(stack, 'Outside', { vpc: network.vpc });
    const subtree = vpcSubtree(stack);
    const resources = Template.fromStack(stack).toJSON().Resources;
    expect(resources[subtree.vpc].Type).toBe('AWS::EC2::VPC');
    expect(subtree.privateSubnets.map((id) => resources[id].Properties.CidrBlock)).toEqual([
      '10.0.16.0/20',
      '10.0.32.0/20',
    ]);
    expect(subtree.publicSubnets.map((id) => resources[id].Properties.MapPublicIpOnLaunch)).toEqual([true, true]);
    const types = new Set(subtree.resources.map((id) => resources[id].Type));
    expect(types).toEqual(
      new Set([
        'AWS::EC2::VPC',
        'AWS::EC2::Subnet',
        'AWS::EC2::RouteTable',
        'AWS::EC2::SubnetRouteTableAssociation',
        'AWS::EC2::Route',
        'AWS::EC2::EIP',
        'AWS::EC2::NatGateway',
        'AWS::EC2::InternetGateway',
        'AWS::EC2::VPCGatewayAttachment',
        'AWS::EC2::FlowLog',
        'AWS::IAM::Role',
        'AWS::IAM::Policy',
        'AWS::Logs::LogGroup',
        'AWS::KMS::Key',
      ]),
    );
    expect(subtree.resources.map((id) => resources[id].Type)).not.toContain('AWS::EC2::SecurityGroup');
  });

  test('refuses a stack without exactly one KongVpc', () => {
    expectKongError(() => vpcSubtree(new Stack(unitTestApp(), 'NoNet')), /exactly one KongVpc/);
  });
});
