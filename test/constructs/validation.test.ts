import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import {
  KongClusterTrust,
  KongControlPlaneEks,
  KongControlPlaneEksProps,
  KongDataPlaneEks,
  KongDatabase,
  KongLoadBalancer,
  IKongControlPlaneConnection,
} from '../../src';
import { unitTestApp } from '../support/synth';
import { expectKongError } from '../support/errors';

function fixture() {
  const app = unitTestApp();
  const stack = new Stack(app, 'Test');
  const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
    hostedZoneId: 'Z0000000000000000000',
    zoneName: 'kong.example.com',
  });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
  return { app, stack, zone, vpc };
}

/** A hand-written connection, as for a control plane deployed elsewhere. */
function connection(stack: Stack, kongVersion: string): IKongControlPlaneConnection {
  return {
    clusterEndpoint: { host: 'cluster.kong.example.com', port: 8005 },
    telemetryEndpoint: { host: 'telemetry.kong.example.com', port: 8006 },
    trust: new KongClusterTrust(stack, 'Trust'),
    kongVersion,
  };
}

/** A control plane in the fixture stack; `overrides` replace the valid defaults. */
function controlPlane(f: ReturnType<typeof fixture>, overrides: Partial<KongControlPlaneEksProps> = {}) {
  return new KongControlPlaneEks(f.stack, 'Cp', {
    trust: new KongClusterTrust(f.stack, 'Trust'),
    hostedZone: f.zone,
    clusterHostname: 'cluster.kong.example.com',
    telemetryHostname: 'telemetry.kong.example.com',
    ...overrides,
  });
}

describe('KongControlPlaneEks validation', () => {
  test('a cluster hostname outside the hosted zone is rejected with the construct path', () => {
    expectKongError(
      () => controlPlane(fixture(), { clusterHostname: 'cluster.other.example.org' }),
      /^Test\/Cp\.clusterHostname: is outside the hosted zone \(got "cluster\.other\.example\.org"; expected a name under kong\.example\.com\)/,
    );
  });

  test('a cluster hostname that is not a lower-case DNS name is rejected', () => {
    expectKongError(
      () => controlPlane(fixture(), { clusterHostname: 'Cluster_1.kong.example.com' }),
      /^Test\/Cp\.clusterHostname: is not a DNS name \(got "Cluster_1\.kong\.example\.com"/,
    );
  });

  test('a malformed Kong version is rejected', () => {
    expectKongError(() => controlPlane(fixture(), { kongVersion: 'latest' }), /Test\/Cp\.kongVersion.*latest/);
  });

  test('one replica is refused', () => {
    expectKongError(() => controlPlane(fixture(), { replicas: 1 }), /Test\/Cp\.replicas: .*got 1/);
  });

  test('an internal cluster endpoint admits only the given CIDRs', () => {
    const f = fixture();
    const { stack } = f;
    controlPlane(f, {
      vpc: f.vpc,
      clusterEndpointInternetFacing: false,
      dataPlaneCidrs: ['10.20.0.0/16'],
      databaseMultiAz: false,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
    template.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: false });
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroup'))
      .flatMap((sg: any) => sg.Properties.SecurityGroupIngress ?? [])
      .filter((r: any) => r.FromPort === 8005 || r.FromPort === 8006);
    expect(ingress.map((r: any) => r.CidrIp)).toEqual(['10.20.0.0/16', '10.20.0.0/16']);
  });
});

describe('KongDataPlaneEks validation', () => {
  test('a DP newer than its CP is refused (Kong closes such connections)', () => {
    const { stack } = fixture();
    expectKongError(
      () => new KongDataPlaneEks(stack, 'Dp', { controlPlane: connection(stack, '3.10.0.6'), kongVersion: '3.11.0.3' }),
      /Test\/Dp\.kongVersion/,
    );
  });

  test('an older DP minor is accepted and labelled', () => {
    const { stack, vpc } = fixture();
    const dp = new KongDataPlaneEks(stack, 'Dp', {
      controlPlane: connection(stack, '3.11.0.3'),
      kongVersion: '3.10.0.6',
      vpc,
      labels: { team: 'payments' },
    });
    expect(dp.kongVersion).toBe('3.10.0.6');
    expect((dp.helmValues as any).env.cluster_dp_labels).toBe('dp:dp,team:payments');
    expect((dp.helmValues as any).image.tag).toBe('3.10.0.6');
  });

  test('fewer than 2 replicas are refused', () => {
    const { stack } = fixture();
    expectKongError(
      () => new KongDataPlaneEks(stack, 'Dp', { controlPlane: connection(stack, '3.10.0.6'), minReplicas: 1 }),
      /Test\/Dp\.minReplicas: .*got 1; expected an integer ≥ 2/,
    );
  });

  test('a data plane name that is not a DNS label is refused', () => {
    const { stack } = fixture();
    expectKongError(
      () => new KongDataPlaneEks(stack, 'Dp', { controlPlane: connection(stack, '3.10.0.6'), dataPlaneName: 'DP_1' }),
      /Test\/Dp\.dataPlaneName: is not a DNS label \(got "DP_1"/,
    );
  });

  test('two data planes share an existing cluster: one set of add-ons, one namespace each', () => {
    const { stack } = fixture();
    const controlPlane = connection(stack, '3.10.0.6');
    const first = new KongDataPlaneEks(stack, 'DpA', { controlPlane });
    new KongDataPlaneEks(stack, 'DpB', { controlPlane, cluster: first.cluster });
    const template = Template.fromStack(stack);
    expect(Object.keys(template.findResources('AWS::EKS::Cluster'))).toHaveLength(1);
    const charts = Object.values(template.findResources('Custom::AWSCDK-EKS-HelmChart')).map(
      (r: any) => `${r.Properties.Chart}@${r.Properties.Namespace}`,
    );
    expect(charts.sort()).toEqual([
      'aws-load-balancer-controller@kube-system',
      'external-secrets@external-secrets',
      'kong@kong-dpa',
      'kong@kong-dpb',
      'reloader@reloader',
    ]);
  });
});

describe('building blocks', () => {
  test('KongDatabase refuses backups switched off', () => {
    const { stack, vpc } = fixture();
    expectKongError(
      () => new KongDatabase(stack, 'Db', { vpc, backupRetentionDays: 0 }),
      /Test\/Db\.backupRetentionDays/,
    );
  });

  test('KongLoadBalancer refuses a port out of range', () => {
    const { stack, vpc } = fixture();
    expectKongError(
      () =>
        new KongLoadBalancer(stack, 'Lb', {
          vpc,
          healthCheckPort: 8100,
          healthCheckPath: '/status/ready',
          ports: [{ name: 'Cluster', listenerPort: 70000, targetPort: 8005 }],
        }),
      /Test\/Lb\.ports\.Cluster\.listenerPort: is not a TCP port \(got 70000/,
    );
  });

  test('KongClusterTrust refuses a validity out of range', () => {
    const { stack } = fixture();
    expectKongError(() => new KongClusterTrust(stack, 'Trust', { validityDays: 0 }), /Test\/Trust\.validityDays/);
  });

  test('KongClusterTrust: KMS-encrypted secret filled by a custom resource, no key material in the template', () => {
    const { stack } = fixture();
    new KongClusterTrust(stack, 'Trust', { generation: '7' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      KmsKeyId: Match.objectLike({ 'Fn::GetAtt': Match.anyValue() }),
    });
    template.hasResourceProperties('Custom::KongClusterCertificate', {
      Mode: 'shared',
      CommonName: 'kong_clustering',
      ValidityDays: '1095',
      Generation: '7',
    });
    template.hasResourceProperties('AWS::Lambda::Function', { Runtime: 'nodejs22.x', Handler: 'index.onEvent' });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/PRIVATE KEY/);
  });
});
