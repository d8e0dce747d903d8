/**
 * Access-log shipping constructs on a synthesized app (cdk-nag AwsSolutions on): the FireLens
 * router of a Fargate task, and the Fluent Bit DaemonSet of EKS data planes sharing a cluster. The
 * log destination is a fake (security group + writer role in its own stack), as a data plane sees
 * an OpenSearch domain of its region.
 */
import * as path from 'path';
import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { AWS_FOR_FLUENT_BIT_IMAGE, FIRELENS_PARSE_JSON_CONFIG, addEcsLogRouter } from '../../src/core/ecs-log-router';
import { KongEksCluster } from '../../src/core/kong-eks-cluster';
import { FLUENT_BIT_CHART, KongEksLogShipper, LOG_SHIPPER_RELEASE } from '../../src/core/kong-eks-log-shipper';
import { KongVpc } from '../../src/core/kong-vpc';
import { IKongLogDestination } from '../../src/core/shared-services';
import { cfnLintErrors } from '../support/output-checks';
import { expectKongError } from '../support/errors';
import { helmValues, unitTestApp } from '../support/synth';

const ENDPOINT = 'vpc-kong-logs-abc123.eu-west-1.es.amazonaws.com';

/** A stand-in for the OpenSearch construct: what data planes consume, nothing more. */
function fakeLogDestination(stack: Stack): IKongLogDestination {
  const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', {
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0123456789abcdef0', 'subnet-0123456789abcdef1'],
  });
  return {
    endpoint: ENDPOINT,
    port: 443,
    serviceName: 'OpenSearch',
    securityGroup: new ec2.SecurityGroup(stack, 'LogsSecurityGroup', { vpc, allowAllOutbound: false }),
    writerRole: new iam.Role(stack, 'LogWriter', { assumedBy: new iam.AccountRootPrincipal() }),
  };
}

function logicalId(construct: IConstruct): string {
  return Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);
}

/** IAM policies attached to the role with logical ID `roleId`, plus its own inline and managed ones. */
function policiesOf(template: Template, roleId: string): any[] {
  const role = template.findResources('AWS::IAM::Role')[roleId];
  expect(role).toBeDefined();
  expect(role.Properties.Policies).toBeUndefined();
  expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  return Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) =>
    (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleId),
  );
}

const WRITER_ROLE_IMPORT = { 'Fn::ImportValue': Match.stringLikeRegexp('LogWriter') };
const ONLY_ASSUME_WRITER = [{ Action: 'sts:AssumeRole', Effect: 'Allow', Resource: WRITER_ROLE_IMPORT }];

interface Built {
  readonly app: App;
  readonly templates: Record<string, Template>;
  readonly files: Record<string, string>;
  readonly ecsTask: ecs.FargateTaskDefinition;
  readonly shipper: KongEksLogShipper;
}

let built: Built | undefined;

/** One app for the whole file: logs, an ECS task, a cluster and two EKS data planes on it. */
function build(): Built {
  if (built) return built;
  const app = unitTestApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const destination = fakeLogDestination(new Stack(app, 'Logs'));

  const ecsStack = new Stack(app, 'Ecs');
  const ecsTask = new ecs.FargateTaskDefinition(ecsStack, 'Task', { cpu: 1024, memoryLimitMiB: 2048 });
  ecsTask.addContainer('kong', {
    image: ecs.ContainerImage.fromRegistry('kong/kong-gateway:3.10.0.6'),
    essential: true,
    logging: addEcsLogRouter(ecsStack, {
      taskDefinition: ecsTask,
      logs: destination,
      dataPlaneName: 'dp-ecs',
      routerLogGroup: new logs.LogGroup(ecsStack, 'RouterLogs'),
    }),
  });

  const clusterStack = new Stack(app, 'Cluster');
  const cluster = new KongEksCluster(clusterStack, 'Cluster', { vpc: new KongVpc(clusterStack, 'Vpc').vpc }).cluster;
  const dataPlane = (stackName: string, name: string) => {
    const stack = new Stack(app, stackName);
    const namespace = new eks.KubernetesManifest(stack, 'Namespace', {
      cluster,
      manifest: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `kong-${name}` } }],
    });
    return new KongEksLogShipper(stack, 'AccessLogs', {
      cluster,
      namespace: `kong-${name}`,
      dataPlaneName: name,
      logs: destination,
      dependsOn: [namespace],
    });
  };
  const shipper = dataPlane('Dp1', 'dp1');
  dataPlane('Dp2', 'dp2');

  // Throws on any unacknowledged cdk-nag finding.
  const assembly = app.synth();
  const names = ['Logs', 'Ecs', 'Cluster', 'Dp1', 'Dp2'];
  const templates: Record<string, Template> = {};
  const files: Record<string, string> = {};
  for (const name of names) {
    const artifact = assembly.getStackByName(name);
    templates[name] = Template.fromJSON(artifact.template);
    files[name] = path.join(assembly.directory, artifact.templateFile);
  }
  built = { app, templates, files, ecsTask, shipper };
  return built;
}

describe('ECS Fargate: FireLens log router', () => {
  test('the router is AWS for Fluent Bit (pinned) with FireLens, the bundled parse-json config and its own log', () => {
    const { templates } = build();
    templates.Ecs.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({
          Name: 'log-router',
          Image: AWS_FOR_FLUENT_BIT_IMAGE,
          Essential: true,
          MemoryReservation: 50,
          FirelensConfiguration: {
            Type: 'fluentbit',
            Options: {
              'enable-ecs-log-metadata': 'true',
              'config-file-type': 'file',
              'config-file-value': FIRELENS_PARSE_JSON_CONFIG,
            },
          },
          LogConfiguration: {
            LogDriver: 'awslogs',
            Options: Match.objectLike({ 'awslogs-group': { Ref: Match.stringLikeRegexp('RouterLogs') } }),
          },
        }),
      ]),
    });
    expect(AWS_FOR_FLUENT_BIT_IMAGE).toMatch(/^public\.ecr\.aws\/aws-observability\/aws-for-fluent-bit:\d+\.\d+\.\d+$/);
  });

  test("Kong's container logs through awsfirelens to the opensearch output of its own index", () => {
    const { templates } = build();
    const task = Object.values(templates.Ecs.findResources('AWS::ECS::TaskDefinition'))[0] as any;
    const kong = task.Properties.ContainerDefinitions.find((c: any) => c.Name === 'kong');
    expect(kong.LogConfiguration.LogDriver).toBe('awsfirelens');
    expect(kong.LogConfiguration.Options).toEqual({
      Name: 'opensearch',
      Host: ENDPOINT,
      Port: '443',
      tls: 'On',
      'tls.verify': 'On',
      'tls.verify_hostname': 'On',
      AWS_Auth: 'On',
      AWS_Region: { Ref: 'AWS::Region' },
      AWS_Role_ARN: { 'Fn::ImportValue': expect.stringMatching(/LogWriter/) },
      Logstash_Format: 'On',
      Logstash_Prefix: 'kong-dp-ecs',
      Logstash_DateFormat: '%Y.%m.%d',
      Suppress_Type_Name: 'On',
      Buffer_Size: 'False',
      Trace_Error: 'Off',
      Retry_Limit: '10',
    });
  });

  test('the task role may only assume the writer role', () => {
    const { templates, ecsTask } = build();
    const policies = policiesOf(templates.Ecs, logicalId(ecsTask.taskRole));
    expect(policies).toHaveLength(1);
    expect(policies[0].Properties.PolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Resource: { 'Fn::ImportValue': expect.stringMatching(/LogWriter/) },
      },
    ]);
  });

  test('a second router in the same task is refused', () => {
    const app = unitTestApp();
    const stack = new Stack(app, 'Twice');
    const destination = fakeLogDestination(stack);
    const task = new ecs.FargateTaskDefinition(stack, 'Task');
    const router = (id: string) =>
      addEcsLogRouter(stack, {
        taskDefinition: task,
        logs: destination,
        dataPlaneName: 'dp',
        routerLogGroup: new logs.LogGroup(stack, `${id}Logs`),
      });
    router('First');
    expectKongError(() => router('Second'), /taskDefinition: the task definition already has a FireLens log router/);
  });

  test('cfn-lint finds no error in the task stack', () => {
    const { files } = build();
    expect(cfnLintErrors(files.Ecs)).toEqual({ errors: [], status: 0 });
  });
});

describe('EKS: Fluent Bit DaemonSet per data plane', () => {
  test('the Fluent Bit chart is pinned and released in the data plane namespace', () => {
    const { templates } = build();
    templates.Dp1.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', {
      Chart: FLUENT_BIT_CHART.chart,
      Repository: FLUENT_BIT_CHART.repository,
      Version: FLUENT_BIT_CHART.version,
      Release: LOG_SHIPPER_RELEASE,
      Namespace: 'kong-dp1',
    });
    expect(FLUENT_BIT_CHART.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  test('the values read only this namespace Kong logs, ship to this data plane index, without RBAC', () => {
    const { templates } = build();
    const values = helmValues(templates.Dp1, 'fluent-bit');
    expect(values).toMatchObject({
      kind: 'DaemonSet',
      serviceAccount: { create: false, name: LOG_SHIPPER_RELEASE },
      rbac: { create: false },
      tolerations: [],
      resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
    });
    expect(values.config.inputs).toContain('/var/log/containers/*_kong-dp1_proxy-*.log');
    expect(values.config.outputs).toMatch(/^\s+Logstash_Prefix\s+kong-dp1$/m);
    // The role ARN and host are deploy-time values (the writer role lives in the logs stack).
    expect(values.config.outputs).toMatch(/^\s+AWS_Role_ARN\s+<token>$/m);
    expect(values.config.outputs).toMatch(new RegExp(`^\\s+Host\\s+${ENDPOINT.replace(/\./g, '\\.')}$`, 'm'));
    expect(values.daemonSetVolumeMounts).toContainEqual({ name: 'varlog', mountPath: '/var/log', readOnly: true });
    expect(helmValues(templates.Dp2, 'fluent-bit').config.inputs).toContain(
      '/var/log/containers/*_kong-dp2_proxy-*.log',
    );
  });

  test('the service account role (IRSA) may only assume the writer role; the chart waits for it', () => {
    const { templates, shipper } = build();
    const roleId = logicalId(shipper.serviceAccount.role);
    const policies = policiesOf(templates.Dp1, roleId);
    expect(policies).toHaveLength(1);
    templates.Dp1.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: ONLY_ASSUME_WRITER },
      Roles: [{ Ref: roleId }],
    });
    templates.Dp1.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Action: 'sts:AssumeRoleWithWebIdentity' })],
      },
    });
    const chart = Object.values(templates.Dp1.findResources('Custom::AWSCDK-EKS-HelmChart'))[0] as any;
    const policyId = Object.keys(templates.Dp1.findResources('AWS::IAM::Policy'))[0];
    expect(chart.DependsOn).toEqual(expect.arrayContaining([policyId, expect.stringMatching(/^Namespace/)]));
  });

  test('exactly one ingress rule, cluster security group → logs on 443, in the cluster stack, shared by both data planes', () => {
    const { templates } = build();
    const toLogs = (name: string) =>
      Object.values(templates[name].findResources('AWS::EC2::SecurityGroupIngress')).filter((r: any) =>
        JSON.stringify(r.Properties.GroupId).includes('LogsSecurityGroup'),
      ) as any[];
    expect(toLogs('Cluster')).toHaveLength(1);
    for (const other of ['Logs', 'Ecs', 'Dp1', 'Dp2'])
      expect({ other, rules: toLogs(other) }).toEqual({ other, rules: [] });
    expect(toLogs('Cluster')[0].Properties).toEqual({
      GroupId: { 'Fn::ImportValue': expect.stringMatching(/LogsSecurityGroup/) },
      SourceSecurityGroupId: { 'Fn::GetAtt': [expect.stringMatching(/^Cluster/), 'ClusterSecurityGroupId'] },
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      Description: 'Kong data planes to OpenSearch (tcp/443)',
    });
  });

  test('a namespace or data plane name Kubernetes and OpenSearch cannot take is refused', () => {
    const app = unitTestApp();
    const stack = new Stack(app, 'Bad');
    const cluster = new eks.Cluster(stack, 'Cluster', {
      version: eks.KubernetesVersion.V1_35,
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'ClusterVpc', {
        vpcId: 'vpc-1',
        availabilityZones: ['eu-west-1a', 'eu-west-1b'],
        privateSubnetIds: ['subnet-1', 'subnet-2'],
      }),
      vpcSubnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }],
    });
    const destination = fakeLogDestination(stack);
    expectKongError(
      () =>
        new KongEksLogShipper(stack, 'Ns', { cluster, namespace: 'Kong_DP', dataPlaneName: 'dp', logs: destination }),
      /^Bad\/Ns\.namespace: is not a Kubernetes namespace name/,
    );
    expectKongError(
      () =>
        new KongEksLogShipper(stack, 'Dp', { cluster, namespace: 'kong-dp', dataPlaneName: 'DP', logs: destination }),
      /^Bad\/Dp\.dataPlaneName: is not a DNS label/,
    );
  });

  test('cfn-lint finds no error in the data plane stack', () => {
    const { files } = build();
    for (const name of ['Dp1'])
      expect({ name, ...cfnLintErrors(files[name]) }).toEqual({ name, errors: [], status: 0 });
  });
});
