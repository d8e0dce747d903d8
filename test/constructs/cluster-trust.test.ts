/**
 * KongClusterTrust as a library user meets it: both modes, the CA variants, where each plane's
 * certificate is created, cross-account sharing, rotation targets, and the props it refuses.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import { Construct } from 'constructs';
import { KongClusterTrust, KongClusterTrustProps, KongVpc } from '../../src';
import { unitTestApp } from '../support/synth';
import { expectKongError } from '../support/errors';

const PARENT_CA = `arn:${'aws'}:acm-pca:us-east-1:222222222222:certificate-authority/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0`;
const SERVER_NAMES = ['cluster.kong.example.com', 'telemetry.kong.example.com'];

function trustIn(props: KongClusterTrustProps = {}) {
  const app = unitTestApp();
  const stack = new Stack(app, 'Trust');
  const trust = new KongClusterTrust(stack, 'ClusterTrust', { name: 'fleet', ...props });
  return { app, stack, trust };
}

/** A stand-in for a plane construct in another stack (region/account from `env`). */
function planeIn(app: App, id: string, env?: { account: string; region: string }): Construct {
  return new Construct(new Stack(app, id, env ? { env } : {}), 'Plane');
}

describe('shared mode', () => {
  test('one named, KMS-encrypted secret filled with a gen_cert pair; planes in the same stack read it', () => {
    const { stack, trust } = trustIn();
    const plane = new Construct(stack, 'Plane');
    const cp = trust.controlPlaneCredentials(plane, { serverNames: SERVER_NAMES });
    const dp = trust.dataPlaneCredentials(plane, 'dp-1');
    expect(dp.secret).toBe(cp.secret);
    expect(cp.mode).toBe('shared');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SecretsManager::Secret', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'kong-fleet/fleet/cluster-shared',
      KmsKeyId: Match.anyValue(),
    });
    template.hasResourceProperties('Custom::KongClusterCertificate', {
      Mode: 'shared',
      CommonName: 'kong_clustering',
      ValidityDays: '1095',
      RotateBeforeDays: '30',
      Label: 'fleet/shared',
    });
    template.resourceCountIs('AWS::ACMPCA::CertificateAuthority', 0);
  });

  test('a data plane in another region copies the pair into its own stack, found by name', () => {
    const app = unitTestApp();
    const home = new Stack(app, 'Home', { env: { account: '111111111111', region: 'us-east-1' } });
    const trust = new KongClusterTrust(home, 'ClusterTrust', { name: 'fleet' });
    const plane = planeIn(app, 'Away', { account: '111111111111', region: 'eu-west-1' });
    const credentials = trust.dataPlaneCredentials(plane, 'dp-away');
    expect(credentials.mode).toBe('shared');
    const away = Template.fromStack(Stack.of(plane));
    away.hasResourceProperties('Custom::KongClusterCertificate', {
      Mode: 'shared-copy',
      SourceSecret: 'kong-fleet/fleet/cluster-shared',
      SourceRegion: 'us-east-1',
      Label: 'fleet/dp-away',
    });
    // Read access to exactly that secret name (any suffix), decryption only through Secrets Manager.
    away.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':secretsmanager:us-east-1:111111111111:secret:kong-fleet/fleet/cluster-shared-??????',
                ],
              ],
            },
          }),
          Match.objectLike({
            Action: 'kms:Decrypt',
            Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.us-east-1.amazonaws.com' } },
          }),
        ]),
      },
    });
    expect(JSON.stringify(away.toJSON())).not.toContain('Fn::ImportValue');
    expect(Stack.of(plane).dependencies.map((s) => s.stackName)).toEqual(['Home']);
  });

  test('trustedAccounts may read the shared secret and decrypt it through Secrets Manager only', () => {
    const { stack } = trustIn({ trustedAccounts: ['333333333333'] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SecretsManager::ResourcePolicy', {
      ResourcePolicy: {
        Statement: [
          Match.objectLike({
            Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
            Principal: { AWS: Match.anyValue() },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'kms:Decrypt',
            Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } },
          }),
        ]),
      },
    });
  });
});

describe('pki mode', () => {
  test('creates an activated EC P-384 root CA and names it in an SSM parameter', () => {
    const { stack } = trustIn({ mode: 'pki' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ACMPCA::CertificateAuthority', { Type: 'ROOT', KeyAlgorithm: 'EC_secp384r1' });
    template.hasResourceProperties('AWS::ACMPCA::CertificateAuthorityActivation', { Status: 'ACTIVE' });
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/kong-fleet/fleet/certificate-authority-arn' });
    template.resourceCountIs('Custom::KongClusterCertificate', 0);
  });

  test('each plane gets its own certificate under its own construct; asking twice returns the same', () => {
    const { stack, trust } = trustIn({ mode: 'pki', validityDays: 90, rotateBeforeDays: 20, expiryAlarmDays: 7 });
    const cpScope = new Construct(stack, 'Cp');
    const dpScope = new Construct(stack, 'Dp');
    const cp = trust.controlPlaneCredentials(cpScope, { serverNames: SERVER_NAMES });
    const dp = trust.dataPlaneCredentials(dpScope, 'dp-1');
    expect(trust.dataPlaneCredentials(dpScope, 'dp-1').secret).toBe(dp.secret);
    expect(cp.secret).not.toBe(dp.secret);
    expect(cp.mode).toBe('pki');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('Custom::KongClusterCertificate', {
      Role: 'control-plane',
      DnsNames: SERVER_NAMES.join(','),
      CommonName: SERVER_NAMES[0],
      ValidityDays: '90',
      RotateBeforeDays: '20',
    });
    template.hasResourceProperties('Custom::KongClusterCertificate', { Role: 'data-plane', CommonName: 'dp-1' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 7,
      Dimensions: [{ Name: 'Certificate', Value: 'fleet/dp-1' }],
    });
    // One handler per stack, however many certificates.
    template.resourceCountIs('AWS::Lambda::Function', 2); // the handler and the Provider framework's
  });

  test('a subordinate under a parent CA: issued with the PathLen0 template and activated with the parent chain', () => {
    const { stack } = trustIn({ mode: 'pki', parentCertificateAuthorityArn: PARENT_CA });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ACMPCA::CertificateAuthority', { Type: 'SUBORDINATE' });
    template.hasResourceProperties('AWS::ACMPCA::Certificate', {
      CertificateAuthorityArn: PARENT_CA,
      TemplateArn: {
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('SubordinateCACertificate_PathLen0/V1')])],
      },
    });
    template.resourceCountIs('AWS::ACMPCA::CertificateAuthorityActivation', 0);
    template.hasResourceProperties('Custom::KongCertificateAuthorityActivation', {
      ParentCertificateAuthorityArn: PARENT_CA,
      Certificate: { 'Fn::GetAtt': [Match.anyValue(), 'Certificate'] },
    });
  });

  test('an existing CA: nothing is created, the parameter names it', () => {
    const { stack } = trustIn({ mode: 'pki', certificateAuthorityArn: PARENT_CA });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ACMPCA::CertificateAuthority', 0);
    template.hasResourceProperties('AWS::SSM::Parameter', { Value: PARENT_CA });
  });

  test('trustedAccounts: the CA and its (advanced) parameter are shared through AWS RAM', () => {
    const { stack } = trustIn({ mode: 'pki', trustedAccounts: ['333333333333'] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SSM::Parameter', { Tier: 'Advanced' });
    template.hasResourceProperties('AWS::RAM::ResourceShare', {
      Principals: ['333333333333'],
      AllowExternalPrincipals: false,
      ResourceArns: [{ 'Fn::GetAtt': [Match.anyValue(), 'Arn'] }, Match.anyValue()],
    });
  });

  test('a data plane in another account reads the CA parameter by ARN', () => {
    const app = unitTestApp();
    const home = new Stack(app, 'Home', { env: { account: '111111111111', region: 'us-east-1' } });
    const trust = new KongClusterTrust(home, 'ClusterTrust', {
      name: 'fleet',
      mode: 'pki',
      trustedAccounts: ['333333333333'],
    });
    const plane = planeIn(app, 'Other', { account: '333333333333', region: 'us-east-1' });
    trust.dataPlaneCredentials(plane, 'dp-other');
    Template.fromStack(Stack.of(plane)).hasResourceProperties('Custom::KongClusterCertificate', {
      TrustParameter: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':ssm:us-east-1:111111111111:parameter/kong-fleet/fleet/certificate-authority-arn',
          ],
        ],
      },
    });
  });
});

describe('rollouts after a rotation', () => {
  test('ECS services and Auto Scaling groups registered with a certificate are in its check and its IAM', () => {
    const { stack, trust } = trustIn({ mode: 'pki' });
    const vpc = new KongVpc(stack, 'Vpc').vpc;
    const cluster = new ecs.Cluster(stack, 'Ecs', { vpc });
    const task = new ecs.FargateTaskDefinition(stack, 'Task');
    task.addContainer('kong', { image: ecs.ContainerImage.fromRegistry('kong/kong-gateway:3.10.0.6') });
    const service = new ecs.FargateService(stack, 'Service', { cluster, taskDefinition: task });
    const group = new autoscaling.AutoScalingGroup(stack, 'Asg', {
      vpc,
      instanceType: new ec2.InstanceType('t4g.small'),
      machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }),
    });
    const credentials = trust.dataPlaneCredentials(new Construct(stack, 'Dp'), 'dp-1');
    credentials.certificate.addEcsServiceRollout(service);
    credentials.certificate.addAutoScalingGroupRollout(group);
    const template = Template.fromStack(stack);
    const rule = Object.values(template.findResources('AWS::Events::Rule')).find((r: any) =>
      JSON.stringify(r.Properties.Targets).includes('fleet/dp-1'),
    ) as any;
    const input = JSON.stringify(rule.Properties.Targets[0].Input);
    expect(input).toContain('RolloutTargets');
    expect(input).toContain('ecs-service');
    expect(input).toContain('auto-scaling-group');
    // Rollout grants are policies of their own: the certificate must not wait for the service or group.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Action: 'ecs:UpdateService', Resource: { Ref: Match.anyValue() } })],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({ Action: ['autoscaling:StartInstanceRefresh', 'autoscaling:CancelInstanceRefresh'] }),
          Match.objectLike({ Action: 'autoscaling:DescribeInstanceRefreshes', Resource: '*' }),
        ],
      },
    });
  });
});

describe('refused props name the construct path and the bad value', () => {
  test.each<[string, KongClusterTrustProps, RegExp]>([
    [
      'an unknown mode',
      { mode: 'mtls' as never },
      /Trust\/ClusterTrust\.mode: is not a Kong cluster_mtls mode \(got "mtls"/,
    ],
    [
      'a CA in shared mode',
      { certificateAuthorityArn: PARENT_CA },
      /\.certificateAuthorityArn: applies to pki mode only/,
    ],
    [
      'both an issuing CA and a parent',
      { mode: 'pki', certificateAuthorityArn: PARENT_CA, parentCertificateAuthorityArn: PARENT_CA },
      /cannot be combined with a parent CA/,
    ],
    [
      'a parent that is not a CA ARN',
      { mode: 'pki', parentCertificateAuthorityArn: 'my-root' },
      /parentCertificateAuthorityArn: is not an ACM Private CA ARN \(got "my-root"/,
    ],
    [
      'a rotation lead time at the validity',
      { validityDays: 30, rotateBeforeDays: 30 },
      /Trust\/ClusterTrust\.rotateBeforeDays: rotation lead time is out of range \(got 30/,
    ],
    [
      'an alarm before rotation',
      { rotateBeforeDays: 10, expiryAlarmDays: 20 },
      /expiryAlarmDays: alarms before rotation has even been tried \(got 20/,
    ],
    [
      'a bad account',
      { trustedAccounts: ['12345'] },
      /trustedAccounts: contains something that is not an AWS account id \(got "12345"/,
    ],
    ['a bad name', { name: 'Fleet_1' }, /\.name: is not a trust name \(got "Fleet_1"/],
    ['a zero validity', { validityDays: 0 }, /\.validityDays: certificate validity is out of range/],
  ])('%s', (_what, props, pattern) => {
    expectKongError(() => trustIn(props), pattern);
  });

  test('a data-plane name that is not a DNS label', () => {
    const { stack, trust } = trustIn({ mode: 'pki' });
    expectKongError(
      () => trust.dataPlaneCredentials(new Construct(stack, 'Dp'), 'DP_1'),
      /Trust\/Dp\.dataPlaneName: is not a data-plane name \(got "DP_1"/,
    );
  });

  test('a control plane without server names, or with one that is not a DNS name', () => {
    const { stack, trust } = trustIn({ mode: 'pki' });
    expectKongError(
      () => trust.controlPlaneCredentials(new Construct(stack, 'Cp'), { serverNames: [] }),
      /gave no server names/,
    );
    expectKongError(
      () => trust.controlPlaneCredentials(new Construct(stack, 'Cp2'), { serverNames: ['cluster..example.com'] }),
      /Trust\/Cp2\.trust: a control-plane server name is not a DNS name \(got "cluster\.\.example\.com"/,
    );
  });

  test('a VPC with fewer than two zones', () => {
    const app = unitTestApp();
    const stack = new Stack(app, 'Net', { env: { account: '111111111111', region: 'us-east-1' } });
    expectKongError(
      () => new KongVpc(stack, 'Vpc', { availabilityZones: ['us-east-1a'] }),
      /Net\/Vpc\.availabilityZones: Kong planes need at least two zones/,
    );
  });
});
