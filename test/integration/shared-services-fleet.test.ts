/**
 * examples/shared-services.fleet.yaml end to end: every shared service on, data planes on ECS,
 * EKS and EC2 in two regions. Synthesized once (asset staging off) with cdk-nag attached; the
 * templates are linted, scanned for secrets and Kong names, and the security groups of Redis and
 * OpenSearch are proved to admit exactly the region's data planes on exactly one port.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { KongDataPlaneEc2 } from '../../src/data-plane/kong-data-plane-ec2';
import { KongDataPlaneEcs } from '../../src/data-plane/kong-data-plane-ecs';
import { KongDataPlaneEks } from '../../src/data-plane/kong-data-plane-eks';
import { FleetApp } from '../../src/fleet/fleet-app';
import { loadFleetFile } from '../../src/fleet/load';
import { EXIT, main } from '../../src/cli/main';
import { awsVaultReference } from '../../src/kong/vault';
import { cfnLintErrors, secretFindings, unknownKongNames } from '../support/output-checks';
import { ingressPaths } from '../support/security-group-paths';
import { UNIT_TEST_CONTEXT } from '../support/synth';

const FLEET_FILE = path.join(__dirname, '..', '..', 'examples', 'shared-services.fleet.yaml');
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-services-'));
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));

const { model, issues } = loadFleetFile(FLEET_FILE);
if (!model) throw new Error(`example fleet invalid: ${JSON.stringify(issues)}`);
const app = new FleetApp(model, { outdir, context: UNIT_TEST_CONTEXT });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
const assembly = app.synth();
const templates = Object.fromEntries(assembly.stacks.map((s) => [s.stackName, s.template]));
const templateFiles = assembly.stacks.map((s) => s.templateFullPath);
const stackOf = (name: string) => app.fleetStacks.find((s) => s.stack.stackName === name)!.stack;

function sgRef(sg: ec2.ISecurityGroup | IConstruct, attribute?: string): string {
  const construct = 'node' in sg && (sg.node.defaultChild as IConstruct | undefined);
  const stack = Stack.of(sg);
  return `${stack.stackName}/${stack.getLogicalId((construct || sg) as any)}${attribute ? `.${attribute}` : ''}`;
}

function clusterSgRef(plane: KongDataPlaneEks): string {
  const stack = Stack.of(plane.cluster);
  return `${stack.stackName}/${stack.getLogicalId(plane.cluster.node.defaultChild as any)}.ClusterSecurityGroupId`;
}

const planes = app.node.findAll();
const ecsPlanes = planes.filter((c): c is KongDataPlaneEcs => c instanceof KongDataPlaneEcs);
const ec2Planes = planes.filter((c): c is KongDataPlaneEc2 => c instanceof KongDataPlaneEc2);
const eksPlanes = planes.filter((c): c is KongDataPlaneEks => c instanceof KongDataPlaneEks);

test('the example fleet builds one services stack per region with every service', () => {
  expect([...app.regionServices.keys()].sort()).toEqual(['kong-services-svc-eu-west-1', 'kong-services-svc-us-east-1']);
  for (const services of app.regionServices.values()) {
    expect(services.redis && services.cognito && services.logs && services.metrics && services.grafana).toBeTruthy();
  }
  expect(app.warnings).toEqual([]);
  expect([ecsPlanes.length, ec2Planes.length, eksPlanes.length]).toEqual([2, 1, 1]);
});

test('synthesis with cdk-nag AwsSolutions attached succeeded (no unacknowledged finding)', () => {
  // app.synth() above throws on an unacknowledged finding; this records that it ran with the pack.
  expect(assembly.stacks).toHaveLength(10);
});

test('every template passes cfn-lint with no errors', () => {
  for (const file of templateFiles)
    expect({ file: path.basename(file), ...cfnLintErrors(file) }).toMatchObject({ errors: [] });
});

test('no secret in any template or generated file, and every Kong setting is known to Kong', () => {
  expect(secretFindings(outdir)).toEqual([]);
  expect(unknownKongNames(templateFiles)).toEqual([]);
});

describe.each(['us-east-1', 'eu-west-1'])('security groups in %s', (region) => {
  const services = app.regionServices.get(`kong-services-svc-${region}`)!;
  const paths = ingressPaths(templates);
  const inRegion = <T extends IConstruct>(list: T[]) => list.filter((p) => Stack.of(p).region === region);
  const dataPlaneSources = [
    ...inRegion(ecsPlanes).map((p) => sgRef(p.securityGroup)),
    ...inRegion(ec2Planes).map((p) => sgRef(p.securityGroup)),
    ...inRegion(eksPlanes).map(clusterSgRef),
  ].sort();

  test('Redis admits exactly the region’s data planes, on its port only', () => {
    const redis = services.redis!;
    const into = paths.filter((p) => p.target === sgRef(redis.securityGroup));
    expect(into.map((p) => p.source).sort()).toEqual(dataPlaneSources);
    for (const p of into) expect(p).toMatchObject({ protocol: 'tcp', fromPort: redis.port, toPort: redis.port });
    expect(dataPlaneSources.length).toBeGreaterThan(0);
  });

  test('OpenSearch admits exactly the region’s data planes and its own security handler, on 443 only', () => {
    const logs = services.logs!;
    const into = paths.filter((p) => p.target === sgRef(logs.securityGroup));
    const handler = sgRef(logs.securityHandler.connections.securityGroups[0]);
    expect(into.map((p) => p.source).sort()).toEqual([...dataPlaneSources, handler].sort());
    for (const p of into) expect(p).toMatchObject({ protocol: 'tcp', fromPort: 443, toPort: 443 });
  });

  test('no rule into a service group lives in the services stack except the handler’s', () => {
    const targets = [sgRef(services.redis!.securityGroup), sgRef(services.logs!.securityGroup)];
    const own = paths.filter((p) => targets.includes(p.target) && p.ruleStack === services.stack.stackName);
    expect(own.map((p) => p.source)).toEqual([sgRef(services.logs!.securityHandler.connections.securityGroups[0])]);
  });
});

test('the ingress reader sees CIDR rules and imports, so the checks above can fail', () => {
  const paths = ingressPaths({
    a: {
      Resources: { Sg: { Type: 'AWS::EC2::SecurityGroup', Properties: {} } },
      Outputs: { X: { Value: { 'Fn::GetAtt': ['Sg', 'GroupId'] }, Export: { Name: 'a:sg' } } },
    },
    b: {
      Resources: {
        Wide: {
          Type: 'AWS::EC2::SecurityGroupIngress',
          Properties: { GroupId: { 'Fn::ImportValue': 'a:sg' }, CidrIp: '0.0.0.0/0', IpProtocol: '-1' },
        },
      },
    },
  });
  expect(paths).toEqual([{ ruleStack: 'b', target: 'a/Sg', source: 'cidr:"0.0.0.0/0"', protocol: '-1' }]);
});

describe('data planes are wired to their region’s services', () => {
  const ecs = ecsPlanes.find((p) => p.dataPlaneName === 'dp-ecs-use1')!;
  const ecsTemplate = Template.fromStack(Stack.of(ecs));

  test('ECS: Kong logs through FireLens to OpenSearch, an ADOT sidecar writes to AMP, vault settings set', () => {
    const containers = Object.values(ecsTemplate.findResources('AWS::ECS::TaskDefinition')).flatMap(
      (r: any) => r.Properties.ContainerDefinitions,
    );
    expect(containers.filter((c: any) => c.FirelensConfiguration)).toHaveLength(1);
    const kong = containers.find((c: any) => c.Name === 'kong');
    expect(kong.LogConfiguration.LogDriver).toBe('awsfirelens');
    const env = Object.fromEntries(kong.Environment.map((e: any) => [e.Name, e.Value]));
    expect(env).toMatchObject({
      KONG_VAULT_AWS_REGION: 'us-east-1',
      KONG_PROXY_ACCESS_LOG: '/dev/stdout kong_json',
      KONG_NGINX_HTTP_LOG_FORMAT: expect.stringMatching(/^kong_json escape=json '\{/),
    });
    const collector = containers.find((c: any) =>
      (c.Environment ?? []).some((e: any) => e.Name === 'AOT_CONFIG_CONTENT'),
    );
    expect(collector).toBeDefined();
  });

  test('ECS: the task role reads exactly the Redis token and the Cognito client secret', () => {
    const policies = ecsTemplate.findResources('AWS::IAM::Policy', {
      Properties: { PolicyName: Match.stringLikeRegexp('VaultSecretsRead') },
    });
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const reads = statements.filter((s: any) => s.Action === 'secretsmanager:GetSecretValue');
    expect(reads).toHaveLength(1);
    expect(reads[0].Resource).toHaveLength(2);
  });

  test('EKS: Kong runs with its own IRSA service account; Fluent Bit and the collector run per data plane', () => {
    const eks = Template.fromStack(Stack.of(eksPlanes[0]));
    const charts = Object.values(eks.findResources('Custom::AWSCDK-EKS-HelmChart')).map((r: any) => r.Properties.Chart);
    expect(charts.sort()).toEqual(['fluent-bit', 'kong', 'opentelemetry-collector']);
    const kongValues = JSON.stringify(
      Object.values(eks.findResources('Custom::AWSCDK-EKS-HelmChart')).find((r: any) => r.Properties.Chart === 'kong'),
    );
    expect(kongValues).toContain('\\"serviceAccount\\":{\\"create\\":false,\\"name\\":\\"kong-dp\\"');
  });

  test('EC2: the boot script installs Fluent Bit and the ADOT collector; the instance role may assume the log writer', () => {
    const plane = ec2Planes[0];
    expect(plane.userData).toContain('fluent-bit');
    expect(plane.userData).toContain('aws-otel-collector');
    expect(plane.kongConf).toMatch(/^proxy_access_log = \/usr\/local\/kong\/logs\/access\.json\.log kong_json$/m);
    Template.fromStack(Stack.of(plane)).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'sts:AssumeRole' })] },
    });
  });

  test('the plugin configuration parameter holds vault references, never the token', () => {
    const services = app.regionServices.get('kong-services-svc-eu-west-1')!;
    const deck = services.pluginConfiguration!.deckFile;
    for (const plugin of ['rate-limiting-advanced', 'proxy-cache-advanced', 'openid-connect', 'prometheus']) {
      expect(deck).toContain(`name: ${plugin}`);
    }
    expect(deck).toContain(awsVaultReference('kong-fleet/kong-services/eu-west-1/redis-auth'));
    expect(deck).toContain(awsVaultReference('kong-fleet/kong-services/eu-west-1/cognito-client', 'client_secret'));
    Template.fromStack(stackOf('kong-services-svc-eu-west-1')).hasResourceProperties('AWS::SSM::Parameter', {
      Name: '/kong-fleet/kong-services/eu-west-1/kong-plugins',
    });
  });
});

test('kong-fleet synth examples/shared-services.fleet.yaml succeeds offline', async () => {
  let stdout = '';
  let stderr = '';
  const out = path.join(outdir, 'cli');
  const code = await main(['synth', FLEET_FILE, '-o', out], {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
  });
  expect({ code, warnings: stderr.split('\n').filter((l) => l.startsWith('warning')) }).toEqual({
    code: EXIT.ok,
    warnings: [],
  });
  expect(stdout).toMatch(/kong-services-svc-eu-west-1\s+eu-west-1\s+services/);
  expect(secretFindings(out)).toEqual([]);
});
