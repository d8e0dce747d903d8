/**
 * KongMetricsWorkspace (AMP) and KongGrafanaWorkspace (AMG + the dashboard custom resource) as a
 * library user meets them: encryption, the remote-write URL, what the Grafana role may do, the
 * custom resource's properties and permissions, validation, and real-tool checks (cfn-lint,
 * cdk-nag, secret scan) on the synthesized template.
 */
import * as path from 'path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import { grantMetricsWrite, IKongMetricsDestination } from '../../src/core/shared-services';
import { GRAFANA_DASHBOARD_RESOURCE_TYPE } from '../../src/handlers/grafana-dashboard/contract';
import { KONG_DATA_PLANE_METRIC_LABEL } from '../../src/kong/metrics-collection';
import {
  AMP_QUERY_ACTIONS,
  KongGrafanaAuthentication,
  KongGrafanaWorkspace,
  KongGrafanaWorkspaceProps,
} from '../../src/services/kong-grafana-workspace';
import { KongMetricsWorkspace, KongMetricsWorkspaceProps } from '../../src/services/kong-metrics-workspace';
import { expectKongError } from '../support/errors';
import { cfnLintErrors, secretFindings } from '../support/output-checks';
import { unitTestApp } from '../support/synth';

/** One stack with both constructs, as a fleet's shared-services stack would hold them. */
function build(app: App, id = 'KongMetrics') {
  const stack = new Stack(app, id);
  const metrics = new KongMetricsWorkspace(stack, 'Metrics');
  const grafana = new KongGrafanaWorkspace(stack, 'Grafana', { metrics });
  return { stack, metrics, grafana };
}

const app = unitTestApp();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const { stack, metrics, grafana } = build(app);
const assembly = app.synth(); // throws on any unacknowledged cdk-nag finding
const template = Template.fromStack(stack);
const ampLogicalId = stack.getLogicalId(metrics.workspace);

function only(type: string): [string, any] {
  const found = Object.entries(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

/** The workspace's key (the stack also holds the dashboard handler's log key). */
function workspaceKey(): [string, any] {
  const keyId = template.findResources('AWS::APS::Workspace')[ampLogicalId].Properties.KmsKeyArn['Fn::GetAtt'][0];
  return [keyId, template.findResources('AWS::KMS::Key')[keyId]];
}

describe('KongMetricsWorkspace', () => {
  test('the workspace is encrypted with a customer-managed key that rotates and outlives the stack', () => {
    const [keyId, key] = workspaceKey();
    expect(stack.resolve(metrics.encryptionKey.keyArn)).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.DeletionPolicy).toBe('Retain');
    template.hasResourceProperties('AWS::APS::Workspace', { KmsKeyArn: { 'Fn::GetAtt': [keyId, 'Arn'] } });
    expect(template.findResources('AWS::APS::Workspace')[ampLogicalId].DeletionPolicy).toBe('Retain');
  });

  test('rules and alert manager logs go to a log group encrypted with that key, kept one year', () => {
    const [keyId, key] = workspaceKey();
    const logGroups = template.findResources('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: { 'Fn::GetAtt': [keyId, 'Arn'] } },
    });
    const [logGroupId, logGroup] = Object.entries(logGroups)[0];
    expect(logGroup.Properties.RetentionInDays).toBe(365);
    template.hasResourceProperties('AWS::APS::Workspace', {
      LoggingConfiguration: { LogGroupArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } },
    });
    // The key lets CloudWatch Logs use it (else the encrypted log group cannot be created).
    expect(key.Properties.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
      }),
    );
  });

  test('the alias defaults to a name from the construct path', () => {
    template.hasResourceProperties('AWS::APS::Workspace', {
      Alias: Match.stringLikeRegexp('^KongMetrics-[0-9A-F]{8}$'),
    });
  });

  test('remote-write URL = the Prometheus endpoint (which ends in /workspaces/<id>/) + api/v1/remote_write', () => {
    expect(stack.resolve(metrics.remoteWriteUrl)).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [ampLogicalId, 'PrometheusEndpoint'] }, 'api/v1/remote_write']],
    });
    // With the endpoint AMP returns, that is exactly the URL IKongMetricsDestination documents.
    const endpoint =
      'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d/';
    const [, parts] = stack.resolve(metrics.remoteWriteUrl)['Fn::Join'];
    const url = parts.map((p: unknown) => (typeof p === 'string' ? p : endpoint)).join('');
    expect(url).toMatch(
      /^https:\/\/aps-workspaces\.[a-z0-9-]+\.amazonaws\.com\/workspaces\/ws-[0-9a-f-]+\/api\/v1\/remote_write$/,
    );
    expect(stack.resolve(metrics.queryUrl)).toEqual({ 'Fn::GetAtt': [ampLogicalId, 'PrometheusEndpoint'] });
    expect(stack.resolve(metrics.workspaceArn)).toEqual({ 'Fn::GetAtt': [ampLogicalId, 'Arn'] });
    expect(stack.resolve(metrics.region)).toEqual({ Ref: 'AWS::Region' });
  });

  test('grantMetricsWrite gives a data plane aps:RemoteWrite on this workspace only', () => {
    const app2 = unitTestApp();
    const { stack: s2, metrics: m2 } = build(app2);
    const role = new iam.Role(s2, 'DataPlaneRole', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    grantMetricsWrite(s2, 'Write', role, m2);
    Template.fromStack(s2).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'aps:RemoteWrite',
            Effect: 'Allow',
            Resource: { 'Fn::GetAtt': [s2.getLogicalId(m2.workspace), 'Arn'] },
          },
        ],
      },
    });
  });

  test('a given key, alias, retention and removal policy are used', () => {
    const s2 = new Stack(unitTestApp(), 'Own');
    const key = new kms.Key(s2, 'OwnKey', { enableKeyRotation: true });
    const m2 = new KongMetricsWorkspace(s2, 'Metrics', {
      encryptionKey: key,
      alias: 'kong-prod',
      retentionPeriodInDays: 400,
    });
    expect(m2.encryptionKey).toBe(key);
    const t2 = Template.fromStack(s2);
    t2.resourceCountIs('AWS::KMS::Key', 1);
    t2.hasResourceProperties('AWS::APS::Workspace', {
      Alias: 'kong-prod',
      KmsKeyArn: { 'Fn::GetAtt': [s2.getLogicalId(key.node.defaultChild as kms.CfnKey), 'Arn'] },
      WorkspaceConfiguration: { RetentionPeriodInDays: 400 },
    });
  });

  test.each<[KongMetricsWorkspaceProps, RegExp]>([
    [{ alias: 'x'.repeat(101) }, /Metrics\.alias: not a usable workspace alias/],
    [{ alias: ' ' }, /Metrics\.alias/],
    [{ retentionPeriodInDays: 0 }, /Metrics\.retentionPeriodInDays: not a whole number of days/],
    [{ retentionPeriodInDays: 1.5 }, /retentionPeriodInDays/],
  ])('refuses %j', (props, message) => {
    expectKongError(() => new KongMetricsWorkspace(new Stack(unitTestApp(), 'Bad'), 'Metrics', props), message);
  });
});

describe('KongGrafanaWorkspace', () => {
  test('this account only, Identity Center sign-in, customer-managed role, Prometheus, a pinned Grafana version', () => {
    const [, workspace] = only('AWS::Grafana::Workspace');
    expect(workspace.DeletionPolicy).toBe('Retain');
    expect(workspace.Properties).toEqual({
      Name: expect.stringMatching(/^KongMetrics-Grafana-[0-9A-F]{8}$/),
      Description: expect.any(String),
      AccountAccessType: 'CURRENT_ACCOUNT',
      AuthenticationProviders: ['AWS_SSO'],
      PermissionType: 'CUSTOMER_MANAGED',
      RoleArn: { 'Fn::GetAtt': [stack.getLogicalId(grafana.role.node.defaultChild as iam.CfnRole), 'Arn'] },
      DataSources: ['PROMETHEUS'],
      GrafanaVersion: '10.4',
      PluginAdminEnabled: false,
    });
  });

  test('the workspace role may only query the given AMP workspace, and only Grafana of this account assumes it', () => {
    const roleId = stack.getLogicalId(grafana.role.node.defaultChild as iam.CfnRole);
    const role = template.findResources('AWS::IAM::Role')[roleId];
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    expect(role.Properties.Policies).toEqual([
      {
        PolicyName: 'QueryKongMetrics',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Action: AMP_QUERY_ACTIONS, Resource: { 'Fn::GetAtt': [ampLogicalId, 'Arn'] } },
          ],
        },
      },
    ]);
    expect(AMP_QUERY_ACTIONS.every((a) => /^aps:(Query|Get)/.test(a))).toBe(true);
    // No separate policy is attached to the role either.
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      expect(policy.Properties.Roles).not.toContainEqual({ Ref: roleId });
    }
    expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'sts:AssumeRole',
        Principal: { Service: 'grafana.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':grafana:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':/workspaces/*',
                ],
              ],
            },
          },
        },
      },
    ]);
  });

  test('the dashboard custom resource gets the workspace, the AMP query root and a dashboard on the installed data source', () => {
    const [, resource] = only(GRAFANA_DASHBOARD_RESOURCE_TYPE);
    const workspaceId = stack.getLogicalId(grafana.workspace);
    expect(resource.Properties).toMatchObject({
      WorkspaceId: { 'Fn::GetAtt': [workspaceId, 'Id'] },
      GrafanaUrl: { 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [workspaceId, 'Endpoint'] }]] },
      DatasourceUid: 'kong-fleet-amp',
      PrometheusUrl: { 'Fn::GetAtt': [ampLogicalId, 'PrometheusEndpoint'] },
      PrometheusRegion: { Ref: 'AWS::Region' },
    });
    const dashboard = JSON.parse(resource.Properties.Dashboard);
    expect(dashboard.uid).toBe(grafana.dashboardUid);
    expect(JSON.stringify(dashboard)).toContain(KONG_DATA_PLANE_METRIC_LABEL);
    for (const panel of dashboard.panels.filter((p: any) => p.type !== 'row')) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: 'kong-fleet-amp' });
    }
  });

  test('the handler may manage service accounts and tokens of this Grafana workspace only', () => {
    const workspaceId = stack.getLogicalId(grafana.workspace);
    const grafanaStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('grafana:')));
    expect(grafanaStatements).toEqual([
      {
        Effect: 'Allow',
        Action: [
          'grafana:ListWorkspaceServiceAccounts',
          'grafana:CreateWorkspaceServiceAccount',
          'grafana:DeleteWorkspaceServiceAccount',
          'grafana:CreateWorkspaceServiceAccountToken',
          'grafana:DeleteWorkspaceServiceAccountToken',
        ],
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':grafana:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':/workspaces/',
              { 'Fn::GetAtt': [workspaceId, 'Id'] },
            ],
          ],
        },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Description: Match.stringLikeRegexp('Kong dashboard'),
    });
  });

  test('SAML sign-in, no dashboard: no custom resource and no handler', () => {
    const s2 = new Stack(unitTestApp(), 'Saml');
    const m2 = new KongMetricsWorkspace(s2, 'Metrics');
    const g2 = new KongGrafanaWorkspace(s2, 'Grafana', {
      metrics: m2,
      authenticationProviders: [KongGrafanaAuthentication.SAML],
      installDashboard: false,
      grafanaVersion: '9.4',
    });
    expect(g2.dashboard).toBeUndefined();
    const t2 = Template.fromStack(s2);
    t2.hasResourceProperties('AWS::Grafana::Workspace', { AuthenticationProviders: ['SAML'], GrafanaVersion: '9.4' });
    t2.resourceCountIs(GRAFANA_DASHBOARD_RESOURCE_TYPE, 0);
    t2.resourceCountIs('AWS::Lambda::Function', 0);
  });

  test('any IKongMetricsDestination works: the query root is its remote-write URL without api/v1/remote_write', () => {
    const s2 = new Stack(unitTestApp(), 'Foreign');
    const foreign: IKongMetricsDestination = {
      remoteWriteUrl: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/api/v1/remote_write',
      workspaceArn: s2.formatArn({ service: 'aps', region: 'eu-west-1', resource: 'workspace', resourceName: 'ws-1' }),
      region: 'eu-west-1',
    };
    new KongGrafanaWorkspace(s2, 'Grafana', { metrics: foreign });
    const t2 = Template.fromStack(s2);
    t2.hasResourceProperties(GRAFANA_DASHBOARD_RESOURCE_TYPE, {
      PrometheusUrl: 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-1/',
      PrometheusRegion: 'eu-west-1',
    });
  });

  test('two Grafana workspaces in one stack share one handler, each granted its own workspace', () => {
    const s2 = new Stack(unitTestApp(), 'Two');
    const m2 = new KongMetricsWorkspace(s2, 'Metrics');
    new KongGrafanaWorkspace(s2, 'GrafanaA', { metrics: m2 });
    new KongGrafanaWorkspace(s2, 'GrafanaB', { metrics: m2 });
    const t2 = Template.fromStack(s2);
    t2.resourceCountIs(GRAFANA_DASHBOARD_RESOURCE_TYPE, 2);
    t2.resourceCountIs('AWS::Lambda::Function', 2); // the handler and the Provider framework's onEvent
    const grafanaResources = Object.values(t2.findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('grafana:')))
      .map((s: any) => JSON.stringify(s.Resource));
    expect(grafanaResources).toHaveLength(2);
    expect(grafanaResources[0]).toContain('GrafanaA');
    expect(grafanaResources[1]).toContain('GrafanaB');
  });

  test.each<[Partial<KongGrafanaWorkspaceProps>, RegExp]>([
    [{ authenticationProviders: [] }, /Grafana\.authenticationProviders: needs at least one provider/],
    [
      { authenticationProviders: [KongGrafanaAuthentication.AWS_SSO, KongGrafanaAuthentication.AWS_SSO] },
      /authenticationProviders/,
    ],
    [{ grafanaVersion: 'latest' }, /Grafana\.grafanaVersion: not a Grafana version/],
    [{ grafanaVersion: '9.4' }, /10 or newer/],
    [{ workspaceName: 'kong fleet' }, /Grafana\.workspaceName: not a valid Grafana workspace name/],
    [{ dashboardTitle: '' }, /kongGrafanaDashboard\.title/],
  ])('refuses %j', (props, message) => {
    const s2 = new Stack(unitTestApp(), 'Bad');
    const m2 = new KongMetricsWorkspace(s2, 'Metrics');
    expectKongError(() => new KongGrafanaWorkspace(s2, 'Grafana', { metrics: m2, ...props }), message);
  });
});

describe('synthesized output', () => {
  const templateFile = assembly.getStackByName(stack.stackName).templateFullPath;

  test('cfn-lint reports no errors', () => {
    const { errors, status } = cfnLintErrors(templateFile);
    expect(errors).toEqual([]);
    expect(status & 2).toBe(0);
  });

  test('cdk-nag AwsSolutions has no unacknowledged finding (the shared app above synthesized with it)', () => {
    expect(path.basename(templateFile)).toBe('KongMetrics.template.json');
    const bad = unitTestApp();
    Validations.of(bad).addPlugins(new AwsSolutionsChecks(bad));
    const s2 = new Stack(bad, 'Bad');
    new iam.Role(s2, 'Wild', {
      assumedBy: new iam.ServicePrincipal('grafana.amazonaws.com'),
      inlinePolicies: {
        All: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({ actions: ['aps:*'], resources: ['*'] })],
        }),
      },
    });
    expect(() => bad.synth()).toThrow(/AwsSolutions-IAM5/);
  });

  test('no secret material in the output: no token, key or password', () => {
    expect(secretFindings(assembly.directory)).toEqual([]);
    const text = JSON.stringify(template.toJSON());
    expect(text).not.toMatch(/glsa_|Bearer |"key"\s*:/i);
  });
});
