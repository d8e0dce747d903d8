/**
 * Kong's fallback configuration on AWS, in one synthesized app (cdk-nag AwsSolutions on): the
 * bucket and its exporter in the control plane's region, and ECS, EC2 and EKS data planes in
 * another region importing it. Checks the bucket's security properties, that every grant lands in
 * the grantee's stack and names only the prefix, that the bucket's stack is the same with or
 * without data planes, the Kong settings each node gets, cfn-lint, and the props refused.
 */
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as eksv2 from 'aws-cdk-lib/aws-eks-v2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ClusterMtlsMode, IKongControlPlaneConnection, KongClusterTrust } from '../../src';
import { KongFallbackConfig } from '../../src/core/kong-fallback-config';
import { KongVpc } from '../../src/core/kong-vpc';
import { KongDataPlaneEc2 } from '../../src/data-plane/kong-data-plane-ec2';
import { KongDataPlaneEcs } from '../../src/data-plane/kong-data-plane-ecs';
import { KongDataPlaneEks } from '../../src/data-plane/kong-data-plane-eks';
import { KongFallbackExporter } from '../../src/data-plane/kong-fallback-exporter';
import { cfnLintErrors } from '../support/output-checks';
import { expectKongError } from '../support/errors';
import { helmValues, unitTestApp } from '../support/synth';

const VERSION = '3.10.0.6';
const ACCOUNT = '111111111111';
const HOME = { account: ACCOUNT, region: 'us-east-1' };
const AWAY = { account: ACCOUNT, region: 'eu-west-1' };
const PREFIX = 'acme';

function zones(region: string): string[] {
  return [`${region}a`, `${region}b`];
}

function connection(stack: Stack, mode: ClusterMtlsMode = 'shared'): IKongControlPlaneConnection {
  return {
    clusterEndpoint: { host: 'cluster.kong.example.com', port: 8005 },
    telemetryEndpoint: { host: 'telemetry.kong.example.com', port: 8006 },
    trust: new KongClusterTrust(stack, 'Trust', { name: 'acme', mode }),
    kongVersion: VERSION,
  };
}

interface Home {
  readonly cp: IKongControlPlaneConnection;
  readonly fallbackStack: Stack;
  readonly fallback: KongFallbackConfig;
  readonly exporter: KongFallbackExporter;
}

/** The control plane's connection and the fallback stack (bucket + exporter), as FleetApp builds them. */
function buildHome(app: App): Home {
  const cp = connection(new Stack(app, 'Cp', { env: HOME }));
  const fallbackStack = new Stack(app, 'Fallback', { env: HOME });
  const fallback = new KongFallbackConfig(fallbackStack, 'FallbackConfig', {
    exporterVersion: VERSION,
    prefix: PREFIX,
    noncurrentVersionExpiration: Duration.days(14),
  });
  const exporter = new KongFallbackExporter(fallbackStack, 'Exporter', {
    controlPlane: cp,
    fallbackConfig: fallback,
    vpc: new KongVpc(fallbackStack, 'Network', { availabilityZones: zones(HOME.region), natGateways: 1 }).vpc,
  });
  return { cp, fallbackStack, fallback, exporter };
}

interface Built extends Home {
  readonly templates: Record<string, Template>;
  readonly files: Record<string, string>;
  readonly ecs: KongDataPlaneEcs;
  readonly ec2: KongDataPlaneEc2;
  readonly eks: KongDataPlaneEks;
  /** The fallback stack's template in an app without any data plane. */
  readonly fallbackAlone: unknown;
}

let built: Built | undefined;

function build(): Built {
  if (built) return built;
  const app = unitTestApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const home = buildHome(app);
  const plane = (name: string) => {
    const stack = new Stack(app, name, { env: AWAY });
    return { stack, vpc: new KongVpc(stack, 'Vpc', { availabilityZones: zones(AWAY.region) }).vpc };
  };
  const ecsPlane = plane('DpEcs');
  const ecs = new KongDataPlaneEcs(ecsPlane.stack, 'DataPlane', {
    controlPlane: home.cp,
    dataPlaneName: 'dp-ecs',
    vpc: ecsPlane.vpc,
    fallbackConfig: home.fallback,
  });
  const ec2Plane = plane('DpEc2');
  const ec2 = new KongDataPlaneEc2(ec2Plane.stack, 'DataPlane', {
    controlPlane: home.cp,
    dataPlaneName: 'dp-ec2',
    vpc: ec2Plane.vpc,
    fallbackConfig: home.fallback,
  });
  const eksPlane = plane('DpEks');
  const eks = new KongDataPlaneEks(eksPlane.stack, 'DataPlane', {
    controlPlane: home.cp,
    dataPlaneName: 'dp-eks',
    vpc: eksPlane.vpc,
    fallbackConfig: home.fallback,
  });
  // Throws on any unacknowledged cdk-nag finding.
  const assembly = app.synth();
  const templates: Record<string, Template> = {};
  const files: Record<string, string> = {};
  for (const artifact of assembly.stacks) {
    templates[artifact.stackName] = Template.fromJSON(artifact.template);
    files[artifact.stackName] = artifact.templateFullPath;
  }
  const alone = unitTestApp();
  buildHome(alone);
  const fallbackAlone = alone.synth().getStackByName('Fallback').template;
  built = { ...home, templates, files, ecs, ec2, eks, fallbackAlone };
  return built;
}

/** The IAM policies of a template attached to the role with logical ID `roleId`. */
function policiesOf(template: Template, roleId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy')).filter((p: any) =>
    (p.Properties.Roles ?? []).some((r: any) => r.Ref === roleId),
  );
}

function logicalId(construct: { node: { defaultChild?: unknown } } & object): string {
  const child = (construct as any).node.defaultChild ?? construct;
  return Stack.of(child).getLogicalId(child);
}

function environment(template: Template): Record<string, string> {
  const [task] = Object.values(template.findResources('AWS::ECS::TaskDefinition')) as any[];
  const kong = task.Properties.ContainerDefinitions.find((c: any) => c.Name === 'kong');
  return Object.fromEntries(kong.Environment.map((e: any) => [e.Name, e.Value]));
}

const bucketName = () => build().fallback.bucketName;
const storageUri = () => `s3://${bucketName()}/${PREFIX}`;

/** The read grant as another stack writes it: literal names, the prefix only, the key through S3. */
function importStatements(): unknown[] {
  const bucketArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${bucketName()}`]] };
  const objects = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${bucketName()}/${PREFIX}/*`]] };
  return [
    { Action: 's3:GetObject', Effect: 'Allow', Resource: objects },
    {
      Action: 's3:ListBucket',
      Effect: 'Allow',
      Resource: bucketArn,
      Condition: { StringLike: { 's3:prefix': [`${PREFIX}/*`] } },
    },
    {
      Action: 'kms:Decrypt',
      Effect: 'Allow',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kms:us-east-1:${ACCOUNT}:key/*`]] },
      Condition: {
        StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' },
        StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, objects] },
      },
    },
  ];
}

describe('the bucket', () => {
  test('has a fixed name of its account and region', () => {
    expect(bucketName()).toMatch(/^kong-fallback-[0-9a-f]{8}-111111111111-us-east-1$/);
    expect(build().fallback.storageUri).toBe(storageUri());
  });

  test('versioned, SSE-KMS with its customer key and a bucket key, public access blocked, access-logged, retained', () => {
    const t = build().templates.Fallback;
    const keyId = logicalId(build().fallback.encryptionKey);
    t.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: {
        BucketName: bucketName(),
        VersioningConfiguration: { Status: 'Enabled' },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] },
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: {
          DestinationBucketName: { Ref: logicalId(build().fallback.serverAccessLogsBucket as any) },
          LogFilePrefix: 'fallback-config/',
        },
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              Id: 'ExpireReplacedConfigurations',
              Status: 'Enabled',
              NoncurrentVersionExpiration: { NoncurrentDays: 14 },
            }),
            Match.objectLike({ Prefix: `${PREFIX}/${VERSION}/election/`, ExpirationInDays: 7 }),
          ]),
        },
      },
    });
    t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', Properties: { EnableKeyRotation: true } });
  });

  test('its policy refuses anything but TLS 1.2+, and grants no principal anything', () => {
    const t = build().templates.Fallback;
    const policies = Object.values(t.findResources('AWS::S3::BucketPolicy')).filter(
      (p: any) => p.Properties.Bucket.Ref === logicalId(build().fallback.bucket),
    ) as any[];
    expect(policies).toHaveLength(1);
    const statements = policies[0].Properties.PolicyDocument.Statement;
    expect(statements.every((s: any) => s.Effect === 'Deny')).toBe(true);
    expect(statements).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      ]),
    );
  });

  test('its stack is the same with or without data planes: no export, no grant in it', () => {
    const { templates, fallbackAlone } = build();
    expect(templates.Fallback.toJSON()).toEqual(fallbackAlone);
    expect(templates.Fallback.toJSON().Outputs ?? {}).toEqual({});
    for (const name of ['DpEcs', 'DpEc2', 'DpEks']) {
      expect(JSON.stringify(templates[name].toJSON())).not.toContain('Fn::ImportValue');
    }
  });
});

describe('the exporter', () => {
  test('one Fargate task of a data plane with the export settings, no load balancer, no inbound rule', () => {
    const t = build().templates.Fallback;
    expect(environment(t)).toMatchObject({
      KONG_ROLE: 'data_plane',
      KONG_DATABASE: 'off',
      KONG_CLUSTER_CONTROL_PLANE: 'cluster.kong.example.com:8005',
      KONG_CLUSTER_FALLBACK_CONFIG_STORAGE: storageUri(),
      KONG_CLUSTER_FALLBACK_CONFIG_EXPORT: 'on',
      KONG_CLUSTER_FALLBACK_CONFIG_EXPORT_DELAY: '60',
    });
    expect(environment(t)).not.toHaveProperty('KONG_CLUSTER_FALLBACK_CONFIG_IMPORT');
    expect(environment(t)).not.toHaveProperty('AWS_REGION');
    t.hasResourceProperties('AWS::ECS::Service', { DesiredCount: 1, LaunchType: 'FARGATE' });
    t.resourceCountIs('AWS::ECS::Service', 1);
    t.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 0);
    t.resourceCountIs('AWS::EC2::SecurityGroupIngress', 0);
    const sg = t.findResources('AWS::EC2::SecurityGroup')[logicalId(build().exporter.securityGroup)];
    expect(sg.Properties.SecurityGroupIngress).toBeUndefined();
    expect(sg.Properties.SecurityGroupEgress.map((e: any) => e.FromPort).sort()).toEqual([443, 8005, 8006]);
    t.hasResourceProperties('AWS::ECS::TaskDefinition', {
      ContainerDefinitions: Match.arrayWith([
        Match.objectLike({ Name: 'kong', Image: `kong/kong-gateway:${VERSION}`, PortMappings: Match.absent() }),
      ]),
    });
  });

  test('its task role may put objects under the prefix, list the prefix, and make data keys of the bucket key via S3', () => {
    const { templates, exporter, fallback } = build();
    const t = templates.Fallback;
    const policies = policiesOf(t, logicalId(exporter.taskDefinition.taskRole as iam.Role));
    expect(policies).toHaveLength(1);
    const bucketArn = { 'Fn::GetAtt': [logicalId(fallback.bucket), 'Arn'] };
    const objects = { 'Fn::Join': ['', [bucketArn, `/${PREFIX}/*`]] };
    expect(policies[0].Properties.PolicyDocument.Statement).toEqual([
      { Action: 's3:PutObject', Effect: 'Allow', Resource: objects },
      {
        Action: 's3:ListBucket',
        Effect: 'Allow',
        Resource: bucketArn,
        Condition: { StringLike: { 's3:prefix': [`${PREFIX}/*`] } },
      },
      {
        Action: 'kms:GenerateDataKey',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(fallback.encryptionKey), 'Arn'] },
        Condition: {
          StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' },
          StringLike: { 'kms:EncryptionContext:aws:s3:arn': [bucketArn, objects] },
        },
      },
    ]);
  });
});

describe('importing data planes (another region)', () => {
  test('ECS: import settings and AWS_REGION of the bucket in the container; the read grant on the task role', () => {
    const { templates, ecs } = build();
    expect(environment(templates.DpEcs)).toMatchObject({
      KONG_CLUSTER_FALLBACK_CONFIG_STORAGE: storageUri(),
      KONG_CLUSTER_FALLBACK_CONFIG_IMPORT: 'on',
      AWS_REGION: 'us-east-1',
    });
    expect(environment(templates.DpEcs)).not.toHaveProperty('KONG_CLUSTER_FALLBACK_CONFIG_EXPORT');
    const policies = policiesOf(templates.DpEcs, logicalId(ecs.taskDefinition.taskRole as iam.Role));
    expect(policies.map((p) => p.Properties.PolicyDocument.Statement)).toEqual([importStatements()]);
  });

  test('EC2: import settings in kong.conf, AWS_REGION in the Kong systemd unit from its first start, the read grant on the instance role', () => {
    const { templates, ec2 } = build();
    expect(ec2.kongConf).toContain(`cluster_fallback_config_storage = ${storageUri()}\n`);
    expect(ec2.kongConf).toContain('cluster_fallback_config_import = on\n');
    const unit = ec2.userData.slice(ec2.userData.indexOf('/etc/systemd/system/kong.service'));
    expect(unit.slice(0, unit.indexOf('\nEOF_UNIT'))).toContain('\nEnvironment=AWS_REGION=us-east-1\n');
    expect(ec2.userData).not.toContain('systemctl restart kong.service');
    const policies = policiesOf(templates.DpEc2, logicalId(ec2.instances.role as iam.Role));
    expect(policies.map((p) => p.Properties.PolicyDocument.Statement)).toContainEqual(importStatements());
  });

  test('EKS: Kong gets an IRSA service account (no vault secret needed), the settings and AWS_REGION', () => {
    const { templates, eks } = build();
    const values = helmValues(templates.DpEks, 'kong');
    expect(values.env).toMatchObject({
      cluster_fallback_config_storage: storageUri(),
      cluster_fallback_config_import: 'on',
    });
    expect(values.customEnv).toEqual({ AWS_REGION: 'us-east-1' });
    expect(values.deployment.serviceAccount).toEqual({ create: false, name: 'kong-dp' });
    const serviceAccount = eks.node.findChild('KongServiceAccount') as eksv2.ServiceAccount;
    const reads = policiesOf(templates.DpEks, logicalId(serviceAccount.role as iam.Role)).map(
      (p) => p.Properties.PolicyDocument.Statement,
    );
    expect(reads).toEqual([importStatements()]);
  });

  test('every template passes cfn-lint with no errors', () => {
    const { files } = build();
    for (const [name, file] of Object.entries(files)) {
      expect({ name, ...cfnLintErrors(file) }).toMatchObject({ errors: [] });
    }
  });
});

describe('refused', () => {
  test('a data plane on another version than the exporter', () => {
    const app = unitTestApp();
    const home = buildHome(app);
    const stack = new Stack(app, 'Dp', { env: HOME });
    expectKongError(
      () =>
        new KongDataPlaneEcs(stack, 'DataPlane', {
          controlPlane: home.cp,
          kongVersion: '3.10.0.5',
          vpc: new KongVpc(stack, 'Vpc', { availabilityZones: zones(HOME.region) }).vpc,
          fallbackConfig: home.fallback,
        }),
      /^Dp\/DataPlane\.kongVersion: Kong requires exactly the same version on the fallback configuration's exporter \(3\.10\.0\.6\)/,
    );
  });

  test('an exporter on another version than its fallback configuration', () => {
    const app = unitTestApp();
    const home = buildHome(app);
    expectKongError(
      () =>
        new KongFallbackExporter(home.fallbackStack, 'Other', {
          controlPlane: home.cp,
          fallbackConfig: home.fallback,
          kongVersion: '3.10.0.5',
          dataPlaneName: 'other-exporter',
          vpc: home.exporter.cluster.vpc,
        }),
      /Other\.kongVersion: Kong requires exactly the same version/,
    );
  });

  test('a fallback configuration before 3.5 or without an Enterprise version', () => {
    const stack = new Stack(unitTestApp(), 'S', { env: HOME });
    expectKongError(
      () => new KongFallbackConfig(stack, 'Old', { exporterVersion: '3.4.3.12' }),
      /Old\.exporterVersion: Kong Gateway has no fallback configuration before 3\.5/,
    );
    expectKongError(
      () => new KongFallbackConfig(stack, 'Oss', { exporterVersion: '3.10.0' }),
      /Oss\.exporterVersion: the fallback configuration is a Kong Gateway Enterprise feature/,
    );
  });

  test('a grantee in another account unless it is one of importerAccounts (then the bucket and key policies name it)', () => {
    const app = unitTestApp();
    const home = buildHome(app);
    const other = new Stack(app, 'Other', { env: { account: '222222222222', region: 'eu-west-1' } });
    const role = new iam.Role(other, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    expectKongError(
      () => home.fallback.grantImport(other, 'Read', role),
      /Other\/Read\.account: a grantee in another account must be one of importerAccounts/,
    );

    const stack = new Stack(app, 'Shared', { env: HOME });
    const shared = new KongFallbackConfig(stack, 'FallbackConfig', {
      exporterVersion: VERSION,
      importerAccounts: ['222222222222'],
    });
    shared.grantImport(other, 'SharedRead', role);
    const t = Template.fromStack(stack);
    const principal = { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:root']] } };
    t.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Allow', Principal: principal, Action: 's3:GetObject' }),
          Match.objectLike({ Effect: 'Allow', Principal: principal, Action: 's3:ListBucket' }),
        ]),
      },
    });
    t.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: principal,
            Action: 'kms:Decrypt',
            Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
          }),
        ]),
      },
    });
  });

  test("a grantee with an explicit region when the bucket's stack has none", () => {
    const app = unitTestApp();
    const agnostic = new KongFallbackConfig(new Stack(app, 'Agnostic'), 'FallbackConfig', { exporterVersion: VERSION });
    const away = new Stack(app, 'Away', { env: AWAY });
    const role = new iam.Role(away, 'Role', { assumedBy: new iam.AccountRootPrincipal() });
    expectKongError(
      () => agnostic.grantImport(away, 'Read', role),
      /Away\/Read\.region: the bucket's stack has no explicit environment/,
    );
  });
});
