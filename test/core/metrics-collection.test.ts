import { Fn, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as eks from 'aws-cdk-lib/aws-eks-v2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { parse as parseYaml } from 'yaml';
import { addEcsMetricsCollector, ECS_METRICS_COLLECTOR_CONTAINER } from '../../src/core/ecs-metrics-collector';
import { KongEksCluster } from '../../src/core/kong-eks-cluster';
import { KongEksMetricsCollector } from '../../src/core/kong-eks-metrics-collector';
import { IKongMetricsDestination } from '../../src/core/shared-services';
import { kongMetricsCollectorConfig } from '../../src/kong/metrics-collection';
import { expectKongError } from '../support/errors';
import { cfnLintErrors } from '../support/output-checks';
import { flattenJoin, helmValues, unitTestApp } from '../support/synth';

// A stand-in for the AMP workspace construct: plain strings are all a data plane sees.
const PARTITION = 'aws';
const METRICS: IKongMetricsDestination = {
  remoteWriteUrl: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123/api/v1/remote_write',
  workspaceArn: `arn:${PARTITION}:aps:eu-west-1:111122223333:workspace/ws-0123`,
  region: 'eu-west-1',
};

function ecsDataPlane(stack: Stack, metrics: IKongMetricsDestination) {
  const scope = new Construct(stack, 'Dp');
  const taskDefinition = new ecs.FargateTaskDefinition(scope, 'TaskDefinition', { cpu: 1024, memoryLimitMiB: 2048 });
  taskDefinition.addContainer('kong', { image: ecs.ContainerImage.fromRegistry('kong/kong-gateway:3.10.0.6') });
  const logGroup = new logs.LogGroup(scope, 'Logs');
  const container = addEcsMetricsCollector(scope, { taskDefinition, metrics, dataPlaneName: 'dp-ecs', logGroup });
  return { taskDefinition, container };
}

// One app for the file: an ECS data plane, one whose workspace comes from another stack (tokens),
// and an EKS cluster with the collector in a data plane's namespace.
const app = unitTestApp();
const ecsStack = new Stack(app, 'Ecs');
const ecsDp = ecsDataPlane(ecsStack, METRICS);
const importedStack = new Stack(app, 'EcsImported');
ecsDataPlane(importedStack, {
  remoteWriteUrl: Fn.importValue('amp-remote-write-url'),
  workspaceArn: Fn.importValue('amp-workspace-arn'),
  region: Fn.importValue('amp-region'),
});
const eksStack = new Stack(app, 'Eks');
const cluster = new KongEksCluster(eksStack, 'Cluster', { vpc: new ec2.Vpc(eksStack, 'Vpc', { maxAzs: 2 }) }).cluster;
const namespace = new eks.KubernetesManifest(eksStack, 'Namespace', {
  cluster,
  manifest: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kong-dp-eks' } }],
});
const collector = new KongEksMetricsCollector(eksStack, 'Metrics', {
  cluster,
  namespace: 'kong-dp-eks',
  dataPlaneName: 'dp-eks',
  metrics: METRICS,
  dependsOn: [namespace],
});
const assembly = app.synth();
const ecsTemplate = Template.fromStack(ecsStack);
const importedTemplate = Template.fromStack(importedStack);
const eksTemplate = Template.fromStack(eksStack);

function collectorContainer(template: Template): any {
  const [taskDefinition] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as any[];
  return taskDefinition.Properties.ContainerDefinitions.find((c: any) => c.Name === ECS_METRICS_COLLECTOR_CONTAINER);
}

/** Policies attached to the role with this logical id. */
function policiesOf(template: Template, roleLogicalId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) =>
    (p.Properties.Roles as any[]).some((r) => r.Ref === roleLogicalId),
  );
}

function logicalIdOf(template: Template, type: string, pathFragment: RegExp): string {
  const ids = Object.keys(template.findResources(type)).filter((id) => pathFragment.test(id));
  if (ids.length !== 1) throw new Error(`expected one ${type} matching ${pathFragment}, found ${ids.join(', ')}`);
  return ids[0];
}

describe('addEcsMetricsCollector', () => {
  test('GIVEN a Fargate data plane THEN an ADOT sidecar, pinned, not essential, configured through AOT_CONFIG_CONTENT', () => {
    const container = collectorContainer(ecsTemplate);
    expect(container).toMatchObject({
      Image: 'public.ecr.aws/aws-observability/aws-otel-collector:v0.50.0',
      Essential: false,
      MemoryReservation: 128,
      Memory: 256,
      ReadonlyRootFilesystem: true,
      RestartPolicy: { Enabled: true },
      HealthCheck: { Command: ['CMD', '/healthcheck'] },
      LogConfiguration: {
        LogDriver: 'awslogs',
        Options: { 'awslogs-stream-prefix': 'dp-ecs-metrics', mode: 'non-blocking' },
      },
    });
    expect(container.Environment).toEqual([{ Name: 'AOT_CONFIG_CONTENT', Value: expect.any(String) }]);
    const config = parseYaml(container.Environment[0].Value);
    expect(config).toEqual(
      kongMetricsCollectorConfig({
        remoteWriteUrl: METRICS.remoteWriteUrl,
        region: 'eu-west-1',
        dataPlaneName: 'dp-ecs',
        runtime: 'ecs',
      }).config,
    );
    expect(config.receivers.prometheus.config.scrape_configs[0].static_configs).toEqual([
      { targets: ['localhost:8100'] },
    ]);
    // Kong stays the only essential container.
    expect(ecsDp.taskDefinition.defaultContainer?.containerName).toBe('kong');
  });

  test('THEN the task role may only remote-write, and only to the workspace', () => {
    const [taskDefinition] = Object.values(ecsTemplate.findResources('AWS::ECS::TaskDefinition')) as any[];
    const taskRole = taskDefinition.Properties.TaskRoleArn['Fn::GetAtt'][0];
    const policies = policiesOf(ecsTemplate, taskRole);
    expect(policies.map((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      [{ Action: 'aps:RemoteWrite', Effect: 'Allow', Resource: METRICS.workspaceArn }],
    ]);
    // The execution role (image pull, logs) gets nothing of AMP.
    const executionRole = taskDefinition.Properties.ExecutionRoleArn['Fn::GetAtt'][0];
    expect(JSON.stringify(policiesOf(ecsTemplate, executionRole))).not.toContain('aps:');
  });

  test('GIVEN a workspace from another stack THEN its values reach the configuration at deploy time', () => {
    const container = collectorContainer(importedTemplate);
    const value = container.Environment[0].Value;
    expect(value['Fn::Join'][1]).toEqual(
      expect.arrayContaining([{ 'Fn::ImportValue': 'amp-remote-write-url' }, { 'Fn::ImportValue': 'amp-region' }]),
    );
    const config = parseYaml(flattenJoin(value));
    expect(config.exporters.prometheus_remote_write.endpoint).toBe('<token>');
    importedTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: 'aps:RemoteWrite', Effect: 'Allow', Resource: { 'Fn::ImportValue': 'amp-workspace-arn' } },
        ],
      },
    });
  });

  test('GIVEN a plain-HTTP remote-write URL THEN a KongFleetError naming the scope', () => {
    const stack = new Stack(unitTestApp(), 'Bad');
    expectKongError(
      () => ecsDataPlane(stack, { ...METRICS, remoteWriteUrl: 'http://aps.example.com/api/v1/remote_write' }),
      /^Bad\/Dp\.metrics\.remoteWriteUrl: must be an https URL/,
    );
  });
});

describe('KongEksMetricsCollector', () => {
  test('THEN the OpenTelemetry Collector chart, pinned, one replica in the namespace, with the ADOT image', () => {
    eksTemplate.hasResourceProperties('Custom::AWSCDK-EKS-HelmChart', {
      Chart: 'opentelemetry-collector',
      Repository: 'https://open-telemetry.github.io/opentelemetry-helm-charts',
      Version: '0.170.0',
      Release: 'kong-metrics',
      Namespace: 'kong-dp-eks',
      Wait: true,
    });
    const values = helmValues(eksTemplate, 'opentelemetry-collector');
    expect(values).toMatchObject({
      mode: 'deployment',
      replicaCount: 1,
      image: { repository: 'public.ecr.aws/aws-observability/aws-otel-collector', tag: 'v0.50.0' },
      command: { name: 'awscollector' },
      serviceAccount: { create: false, name: 'kong-metrics' },
      clusterRole: { create: false },
      service: { enabled: false },
      resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { memory: '512Mi' } },
      securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
    });
    expect(Object.values(values.ports as Record<string, { enabled: boolean }>).every((p) => !p.enabled)).toBe(true);
    // The whole collector configuration, not merged with the chart's default pipelines.
    expect(values.alternateConfig).toEqual(collector.collectorConfig);
    expect(values.alternateConfig.receivers.prometheus.config.scrape_configs[0].kubernetes_sd_configs[0]).toMatchObject(
      { role: 'pod', namespaces: { names: ['kong-dp-eks'] } },
    );
    expect(values.alternateConfig.extensions.sigv4auth).toEqual({ region: 'eu-west-1', service: 'aps' });
  });

  test('THEN the service account is IRSA for exactly kong-dp-eks/kong-metrics, allowed only aps:RemoteWrite', () => {
    const condition = Object.values(eksTemplate.findResources('Custom::AWSCDKCfnJson')).map((r: any) =>
      flattenJoin(r.Properties.Value),
    );
    expect(condition).toEqual(
      expect.arrayContaining([expect.stringContaining('"system:serviceaccount:kong-dp-eks:kong-metrics"')]),
    );
    const role = logicalIdOf(eksTemplate, 'AWS::IAM::Role', /^MetricsServiceAccountRole/);
    expect(policiesOf(eksTemplate, role).map((p) => p.Properties.PolicyDocument.Statement)).toEqual([
      [{ Action: 'aps:RemoteWrite', Effect: 'Allow', Resource: METRICS.workspaceArn }],
    ]);
    const manifests = Object.values(eksTemplate.findResources('Custom::AWSCDK-EKS-KubernetesResource')).map((r: any) =>
      JSON.parse(flattenJoin(r.Properties.Manifest)),
    );
    const serviceAccount = manifests.flat().find((m: any) => m.kind === 'ServiceAccount');
    expect(serviceAccount.metadata).toMatchObject({
      name: 'kong-metrics',
      namespace: 'kong-dp-eks',
      annotations: { 'eks.amazonaws.com/role-arn': '<token>' },
    });
  });

  test('THEN pod discovery is allowed by a namespaced Role only: get/list/watch pods', () => {
    const manifests = Object.values(eksTemplate.findResources('Custom::AWSCDK-EKS-KubernetesResource'))
      .map((r: any) => JSON.parse(flattenJoin(r.Properties.Manifest)))
      .flat();
    const role = manifests.find((m: any) => m.kind === 'Role');
    expect(role).toMatchObject({
      metadata: { name: 'kong-metrics', namespace: 'kong-dp-eks' },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });
    expect(manifests.find((m: any) => m.kind === 'RoleBinding')).toMatchObject({
      metadata: { namespace: 'kong-dp-eks' },
      roleRef: { kind: 'Role', name: 'kong-metrics' },
      subjects: [{ kind: 'ServiceAccount', name: 'kong-metrics', namespace: 'kong-dp-eks' }],
    });
    expect(manifests.filter((m: any) => /^Cluster(Role|RoleBinding)$/.test(m.kind))).toEqual([]);
  });

  test('THEN the chart waits for its service account and Role, and those for the namespace', () => {
    const chart = logicalIdOf(eksTemplate, 'Custom::AWSCDK-EKS-HelmChart', /^MetricsChart/);
    const rbac = logicalIdOf(eksTemplate, 'Custom::AWSCDK-EKS-KubernetesResource', /^MetricsPodDiscovery/);
    const account = logicalIdOf(eksTemplate, 'Custom::AWSCDK-EKS-KubernetesResource', /^MetricsServiceAccount/);
    const ns = logicalIdOf(eksTemplate, 'Custom::AWSCDK-EKS-KubernetesResource', /^Namespace/);
    const dependsOn = (id: string) => eksTemplate.toJSON().Resources[id].DependsOn as string[];
    expect(dependsOn(chart)).toEqual(expect.arrayContaining([rbac, account]));
    expect(dependsOn(rbac)).toContain(ns);
    expect(dependsOn(account)).toContain(ns);
  });

  test('GIVEN a bad namespace THEN a KongFleetError naming the construct', () => {
    expectKongError(
      () =>
        new KongEksMetricsCollector(eksStack, 'Bad', {
          cluster,
          namespace: 'Kong_DP',
          dataPlaneName: 'x',
          metrics: METRICS,
        }),
      /^Eks\/Bad\.namespace: is not a namespace name/,
    );
  });
});

test.each(['Ecs', 'Eks'])('cfn-lint finds no errors in the %s template', (name) => {
  const { errors } = cfnLintErrors(assembly.getStackByName(name).templateFullPath);
  expect(errors).toEqual([]);
});
