/**
 * KongDataPlaneEcs as a library user meets it: one synthesized stack per cluster_mtls mode (with
 * cdk-nag AwsSolutions, so the synth itself proves there is no unacknowledged finding), Template
 * assertions on what Kong and ECS need, cfn-lint on the written template, and the props it refuses.
 */
import * as path from 'path';
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { ClusterMtlsMode, IKongControlPlaneConnection, KongClusterTrust, kongEnvName } from '../../src';
import { KongDataPlaneEcs, KongDataPlaneEcsProps } from '../../src/data-plane/kong-data-plane-ecs';
import { cfnLintErrors, secretFindings } from '../support/output-checks';
import { unitTestApp } from '../support/synth';
import { expectKongError } from '../support/errors';

const CP_VERSION = '3.10.0.6';
const CLUSTER_HOST = 'cluster.kong.example.com';
const TELEMETRY_HOST = 'telemetry.kong.example.com';
const LICENSE_ARN = `arn:${'aws'}:secretsmanager:us-east-1:111111111111:secret:kong-fleet/license-AbCdEf`;
const env = (setting: string) => kongEnvName(setting);

/** A hand-written connection, as for a control plane deployed elsewhere. */
function connection(stack: Stack, mode: ClusterMtlsMode = 'shared', withLicense = true): IKongControlPlaneConnection {
  return {
    clusterEndpoint: { host: CLUSTER_HOST, port: 8005 },
    telemetryEndpoint: { host: TELEMETRY_HOST, port: 8006 },
    trust: new KongClusterTrust(stack, 'Trust', { name: 'fleet', mode }),
    kongVersion: CP_VERSION,
    licenseSecret: withLicense
      ? secretsmanager.Secret.fromSecretCompleteArn(stack, 'LicenseSecret', LICENSE_ARN)
      : undefined,
  };
}

interface Synthesized {
  readonly stack: Stack;
  readonly dp: KongDataPlaneEcs;
  readonly template: Template;
  readonly templateFile: string;
  readonly outdir: string;
}

const synthesized = new Map<ClusterMtlsMode, Synthesized>();

/** The data plane with every default, synthesized once per mode with cdk-nag AwsSolutions on. */
function synth(mode: ClusterMtlsMode): Synthesized {
  const cached = synthesized.get(mode);
  if (cached) return cached;
  const app = unitTestApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'Test');
  const dp = new KongDataPlaneEcs(stack, 'Dp', { controlPlane: connection(stack, mode) });
  // Throws when cdk-nag reports an unacknowledged finding.
  const assembly = app.synth();
  const artifact = assembly.getStackByName(stack.stackName);
  const result = {
    stack,
    dp,
    template: Template.fromJSON(artifact.template),
    templateFile: path.join(assembly.directory, artifact.templateFile),
    outdir: assembly.directory,
  };
  synthesized.set(mode, result);
  return result;
}

function kongContainer(template: Template): Record<string, any> {
  const taskDefinitions = Object.values(template.findResources('AWS::ECS::TaskDefinition'));
  expect(taskDefinitions).toHaveLength(1);
  const containers = (taskDefinitions[0] as any).Properties.ContainerDefinitions;
  expect(containers).toHaveLength(1);
  return containers[0];
}

function plainEnvironment(template: Template): Record<string, string> {
  return Object.fromEntries(kongContainer(template).Environment.map((e: any) => [e.Name, e.Value]));
}

function secretValueFrom(template: Template): Record<string, unknown> {
  return Object.fromEntries(kongContainer(template).Secrets.map((s: any) => [s.Name, s.ValueFrom]));
}

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Logical ids `from` reaches through Ref, Fn::GetAtt and DependsOn. */
function reachable(template: Template, from: string): Set<string> {
  const resources = template.toJSON().Resources as Record<string, any>;
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length > 0) {
    const id = stack.pop()!;
    const resource = resources[id];
    if (!resource) continue;
    const text = JSON.stringify({ p: resource.Properties, d: resource.DependsOn });
    for (const other of Object.keys(resources)) {
      if (seen.has(other)) continue;
      if (text.includes(`"${other}"`)) {
        seen.add(other);
        stack.push(other);
      }
    }
  }
  return seen;
}

describe.each<ClusterMtlsMode>(['shared', 'pki'])('%s mode, every default', (mode) => {
  test('cdk-nag AwsSolutions has no unacknowledged finding', () => {
    expect(() => synth(mode)).not.toThrow();
  });

  test('cfn-lint finds no error in the written template', () => {
    const { templateFile } = synth(mode);
    const { errors, status } = cfnLintErrors(templateFile);
    expect(errors).toEqual([]);
    expect(status & 2).toBe(0);
  });

  test('the cluster certificate, key (and CA in pki mode) and license are container secrets', () => {
    const { stack, dp, template } = synth(mode);
    const certificateSecret = logicalId(stack, dp.clusterCredentials.secret);
    const fromKey = (key: string) => ({ 'Fn::Join': ['', [{ Ref: certificateSecret }, `:${key}::`]] });
    const expected: Record<string, unknown> = {
      [env('cluster_cert')]: fromKey('cert'),
      [env('cluster_cert_key')]: fromKey('key'),
      [env('license_data')]: LICENSE_ARN,
    };
    if (mode === 'pki') expected[env('cluster_ca_cert')] = fromKey('ca');
    expect(secretValueFrom(template)).toEqual(expected);
    expect(dp.kongSecretNames).toEqual(Object.keys(expected).sort());
    // Read by the execution role when a task starts.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'] }),
        ]),
      },
      Roles: [{ Ref: Match.stringLikeRegexp('^DpTaskDefinitionExecutionRole') }],
    });
  });

  test('the plain environment holds the Kong settings and no secret', () => {
    const { dp, template, outdir } = synth(mode);
    const environment = plainEnvironment(template);
    expect(environment).toEqual(dp.kongEnvironment);
    expect(environment).toMatchObject({
      [env('role')]: 'data_plane',
      [env('database')]: 'off',
      [env('cluster_mtls')]: mode,
      [env('cluster_control_plane')]: `${CLUSTER_HOST}:8005`,
      [env('cluster_telemetry_endpoint')]: `${TELEMETRY_HOST}:8006`,
      [env('cluster_dp_labels')]: 'dp:dp',
      [env('status_listen')]: '0.0.0.0:8100',
    });
    expect(dp.clusterControlPlane).toBe(`${CLUSTER_HOST}:8005`);
    expect(dp.clusterTelemetryEndpoint).toBe(`${TELEMETRY_HOST}:8006`);
    if (mode === 'pki') {
      expect(environment[env('cluster_server_name')]).toBe(CLUSTER_HOST);
      expect(environment[env('cluster_telemetry_server_name')]).toBe(TELEMETRY_HOST);
    } else {
      // Shared mode: Kong sends SNI kong_clustering itself.
      expect(environment).not.toHaveProperty(env('cluster_server_name'));
    }
    for (const name of ['cluster_cert', 'cluster_cert_key', 'cluster_ca_cert', 'license_data']) {
      expect(environment).not.toHaveProperty(env(name));
    }
    for (const value of Object.values(environment)) {
      expect(value).not.toMatch(/BEGIN|PRIVATE KEY|license|payload|signature/i);
    }
    expect(secretFindings(outdir)).toEqual([]);
  });

  test('the service rolls on certificate rotation', () => {
    const { stack, dp, template } = synth(mode);
    const service = logicalId(stack, dp.service);
    const rules = Object.values(template.findResources('AWS::Events::Rule')).map((r: any) =>
      JSON.stringify(r.Properties.Targets[0].Input),
    );
    const check = rules.find((input) => input.includes('RolloutTargets'));
    expect(check).toContain('ecs-service');
    expect(check).toContain(service);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Action: 'ecs:UpdateService', Resource: { Ref: service } })]),
      },
    });
  });

  // The rollout grant lives in its own policy, so the certificate never waits for the service.
  test('the service starts only after its certificate exists, and the certificate does not wait for it', () => {
    const { stack, dp, template } = synth(mode);
    const service = logicalId(stack, dp.service);
    const certificates = Object.keys(template.findResources('Custom::KongClusterCertificate'));
    expect(certificates).toHaveLength(1);
    expect(reachable(template, certificates[0]).has(service)).toBe(false);
    expect(reachable(template, service).has(certificates[0])).toBe(true);
  });
});

describe('shared mode, every default: ECS, load balancer, scaling, logs', () => {
  test('a Fargate service with at least 2 tasks in private subnets, no public IP, circuit breaker rollback', () => {
    const { stack, dp, template } = synth('shared');
    const privateSubnets = dp.cluster.vpc.privateSubnets.map((s) => stack.resolve(s.subnetId));
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
      NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'DISABLED', Subnets: privateSubnets } },
      EnableExecuteCommand: false,
      AvailabilityZoneRebalancing: 'ENABLED',
    });
    expect(privateSubnets).toHaveLength(2);
    // No DesiredCount: CloudFormation would reset the autoscaled count to it on every update; the
    // scalable target's minimum (2) applies from its registration on.
    const service = Object.values(template.findResources('AWS::ECS::Service'))[0] as any;
    expect(service.Properties).not.toHaveProperty('DesiredCount');
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 10,
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceId: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([{ 'Fn::GetAtt': [Match.anyValue(), 'Name'] }])],
      }),
    });
  });

  test('the container: pinned image, proxy and status ports, liveness check, drain timings, logs', () => {
    const { template } = synth('shared');
    const container = kongContainer(template);
    expect(container.Image).toBe(`kong/kong-gateway:${CP_VERSION}`);
    expect(container.PortMappings.map((p: any) => p.ContainerPort)).toEqual([8000, 8443, 8100]);
    expect(container.HealthCheck.Command).toEqual(['CMD-SHELL', 'kong health']);
    expect(container.StopTimeout).toBe(120);
    expect(container).not.toHaveProperty('User'); // the image's own non-root user (kong)
    expect(container.LogConfiguration).toMatchObject({ LogDriver: 'awslogs', Options: { mode: 'non-blocking' } });
    const delays = Object.values(template.findResources('AWS::ElasticLoadBalancingV2::TargetGroup')).map((tg: any) =>
      Number(
        tg.Properties.TargetGroupAttributes.find((a: any) => a.Key === 'deregistration_delay.timeout_seconds').Value,
      ),
    );
    expect(delays).toEqual([30, 30]);
    expect(Math.max(...delays)).toBeLessThan(container.StopTimeout);
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '1024',
      Memory: '2048',
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
    });
  });

  test('an internal NLB: TCP 80/443 to 8000/8443, readiness on /status/ready:8100, both attached to the service', () => {
    const { template } = synth('shared');
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Type: 'network',
      Scheme: 'internal',
    });
    for (const port of [80, 443]) {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: port, Protocol: 'TCP' });
    }
    for (const port of [8000, 8443]) {
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        Port: port,
        Protocol: 'TCP',
        TargetType: 'ip',
        HealthCheckProtocol: 'HTTP',
        HealthCheckPath: '/status/ready',
        HealthCheckPort: '8100',
      });
    }
    template.hasResourceProperties('AWS::ECS::Service', {
      LoadBalancers: [
        { ContainerName: 'kong', ContainerPort: 8000, TargetGroupArn: Match.anyValue() },
        { ContainerName: 'kong', ContainerPort: 8443, TargetGroupArn: Match.anyValue() },
      ],
    });
    template.hasOutput('*', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DpProxy'), 'DNSName'] } });
  });

  test('tasks admit only the NLB on 8000/8443/8100', () => {
    const { stack, dp, template } = synth('shared');
    const taskGroup = { 'Fn::GetAtt': [logicalId(stack, dp.securityGroup), 'GroupId'] };
    const nlbGroup = { 'Fn::GetAtt': [logicalId(stack, dp.proxyLoadBalancer.securityGroup), 'GroupId'] };
    const ingress = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))
      .map((r: any) => r.Properties)
      .filter((p: any) => JSON.stringify(p.GroupId) === JSON.stringify(taskGroup));
    expect(ingress.map((p: any) => [p.FromPort, p.ToPort, p.SourceSecurityGroupId])).toEqual([
      [8000, 8000, nlbGroup],
      [8443, 8443, nlbGroup],
      [8100, 8100, nlbGroup],
    ]);
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Kong data plane dp'),
      SecurityGroupIngress: Match.absent(),
    });
  });

  test('target tracking on CPU and on NLB active flows per healthy task', () => {
    const { template } = synth('shared');
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
        TargetValue: 70,
      },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 1000,
        CustomizedMetricSpecification: {
          Metrics: [
            Match.objectLike({
              Id: 'flows',
              ReturnData: false,
              MetricStat: {
                Metric: Match.objectLike({ Namespace: 'AWS/NetworkELB', MetricName: 'ActiveFlowCount' }),
                Stat: 'Average',
              },
            }),
            Match.objectLike({
              Id: 'tasks',
              ReturnData: false,
              MetricStat: {
                Metric: Match.objectLike({ Namespace: 'AWS/NetworkELB', MetricName: 'HealthyHostCount' }),
                Stat: 'Average',
              },
            }),
            Match.objectLike({ Expression: 'flows / tasks', ReturnData: true }),
          ],
        },
      },
    });
  });

  test('a new cluster has Container Insights; logs are KMS-encrypted and kept a year', () => {
    const { template } = synth('shared');
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      RetentionInDays: 365,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DpLogKey'), 'Arn'] },
    });
  });
});

describe('options', () => {
  test('an existing cluster, ARM64, an internet-facing proxy and egress limited to HTTPS and the CP ports', () => {
    // GIVEN
    const app = unitTestApp();
    const stack = new Stack(app, 'Test');
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
    const cluster = new ecs.Cluster(stack, 'Existing', { vpc });
    // WHEN
    const dp = new KongDataPlaneEcs(stack, 'Dp', {
      controlPlane: connection(stack, 'shared', false),
      cluster,
      cpu: 2048,
      memoryMiB: 4096,
      cpuArchitecture: ecs.CpuArchitecture.ARM64,
      minTasks: 3,
      maxTasks: 6,
      proxyInternetFacing: true,
      proxyAllowedCidrs: ['203.0.113.0/24'],
      allowAllOutbound: false,
      labels: { team: 'payments' },
    });
    // THEN
    const template = Template.fromStack(stack);
    expect(dp.cluster).toBe(cluster);
    template.resourceCountIs('AWS::ECS::Cluster', 1);
    expect(dp.kongSecretNames).toEqual([env('cluster_cert'), env('cluster_cert_key')]);
    expect(dp.kongEnvironment[env('cluster_dp_labels')]).toBe('dp:dp,team:payments');
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Cpu: '2048',
      Memory: '4096',
      RuntimePlatform: { CpuArchitecture: 'ARM64' },
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 3, MaxCapacity: 6 });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internet-facing' });
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: Match.stringLikeRegexp('^Kong load balancer'),
      SecurityGroupIngress: Match.arrayWith([Match.objectLike({ CidrIp: '203.0.113.0/24', FromPort: 443 })]),
    });
    const egress = (
      template.findResources('AWS::EC2::SecurityGroup', {
        Properties: { GroupDescription: Match.stringLikeRegexp('^Kong data plane') },
      }) as any
    )[logicalId(stack, dp.securityGroup)].Properties.SecurityGroupEgress;
    expect(egress.map((e: any) => [e.CidrIp, e.FromPort])).toEqual([
      ['0.0.0.0/0', 443],
      ['0.0.0.0/0', 8005],
      ['0.0.0.0/0', 8006],
    ]);
  });
});

describe('refused props', () => {
  function build(props: Partial<KongDataPlaneEcsProps> = {}, cpVersion = CP_VERSION) {
    const stack = new Stack(unitTestApp(), 'Test');
    const controlPlane = { ...connection(stack, 'shared', false), kongVersion: cpVersion };
    return new KongDataPlaneEcs(stack, 'Dp', { controlPlane, ...props });
  }

  test('one task', () => {
    expectKongError(() => build({ minTasks: 1 }), /^Test\/Dp\.minTasks: .*\(got 1; expected an integer ≥ 2\)/);
  });

  test('a maximum below the minimum', () => {
    expectKongError(
      () => build({ minTasks: 4, maxTasks: 3 }),
      /^Test\/Dp\.maxTasks: .*\(got 3; expected an integer ≥ 4\)/,
    );
  });

  test('a CPU and memory combination Fargate does not offer', () => {
    expectKongError(() => build({ cpu: 1024, memoryMiB: 1024 }), /^Test\/Dp\.memoryMiB: .*cpu 1024 \(got 1024;/);
    expectKongError(() => build({ cpu: 1000 }), /^Test\/Dp\.cpu: is not a Fargate task size \(got 1000;/);
  });

  test('a data plane name that is not a DNS label', () => {
    expectKongError(
      () => build({ dataPlaneName: 'DP_1' }),
      /^Test\/Dp\.dataPlaneName: is not a DNS label \(got "DP_1"/,
    );
  });

  test('a data plane newer than its control plane', () => {
    expectKongError(
      () => build({ kongVersion: '3.11.0.3' }, '3.10.0.6'),
      /^Test\/Dp\.kongVersion: data plane is newer than the control plane .*\(got "3\.11\.0\.3"/,
    );
  });

  test('a proxy CIDR that is not one', () => {
    expectKongError(
      () => build({ proxyAllowedCidrs: ['10.0.0.0/8', '10.0.0.300/32'] }),
      /^Test\/Dp\.proxyAllowedCidrs\[1\]: is not an IPv4 CIDR \(got "10\.0\.0\.300\/32"/,
    );
  });

  test('a VPC other than the given cluster’s', () => {
    const stack = new Stack(unitTestApp(), 'Test');
    const cluster = new ecs.Cluster(stack, 'Existing', { vpc: new ec2.Vpc(stack, 'A', { maxAzs: 2 }) });
    const vpc = new ec2.Vpc(stack, 'B', { maxAzs: 2 });
    expectKongError(
      () => new KongDataPlaneEcs(stack, 'Dp', { controlPlane: connection(stack), cluster, vpc }),
      /^Test\/Dp\.vpc: differs from the VPC of the given cluster/,
    );
  });
});
