/**
 * The control planes with `databaseIamAuthentication`: KongControlPlaneEks (IRSA service account for
 * Kong and its migration Jobs, the RDS CA bundle fetched by an init container) and KongControlPlaneEc2
 * (instance role, the bundle fetched at boot). No database password anywhere Kong reads, `pg_iam_auth`
 * on, and `rds-db:connect` on exactly Kong's IAM database user for the identity Kong runs as. One app
 * (cdk-nag attached): an EKS and an EC2 control plane in IAM mode, and an EC2 one with a password.
 */
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { AwsSolutionsChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import {
  KONG_CP_IAM_SERVICE_ACCOUNT,
  KUBERNETES_POSTGRES_CA_PATH,
  KongControlPlaneEks,
} from '../../src/control-plane/kong-control-plane-eks';
import { KongControlPlaneEc2 } from '../../src/control-plane/kong-control-plane-ec2';
import { KongClusterTrust } from '../../src/core/kong-cluster-trust';
import { KONG_EC2_PATHS } from '../../src/kong/ec2-user-data';
import { helmValues } from '../support/synth';
import { secretFindings } from '../support/output-checks';
import { unitTestApp } from '../support/synth';

const ZONE = 'kong.example.com';

function build() {
  const app = unitTestApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const plane = (id: string) => {
    const stack = new Stack(app, id);
    const hostedZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
      hostedZoneId: 'Z0000000000000000000',
      zoneName: ZONE,
    });
    const common = {
      trust: new KongClusterTrust(stack, 'ClusterTrust'),
      hostedZone,
      clusterHostname: `cluster.${ZONE}`,
      telemetryHostname: `telemetry.${ZONE}`,
    };
    return { stack, common };
  };
  const eks = plane('KongCpEksIam');
  const eksCp = new KongControlPlaneEks(eks.stack, 'ControlPlane', { ...eks.common, databaseIamAuthentication: true });
  const ec2 = plane('KongCpEc2Iam');
  const ec2Cp = new KongControlPlaneEc2(ec2.stack, 'ControlPlane', { ...ec2.common, databaseIamAuthentication: true });
  const pw = plane('KongCpEc2Password');
  const pwCp = new KongControlPlaneEc2(pw.stack, 'ControlPlane', pw.common);
  let nagError: Error | undefined;
  let outdir = app.outdir;
  try {
    outdir = app.synth().directory;
  } catch (error) {
    nagError = error as Error;
  }
  return {
    eksCp,
    ec2Cp,
    pwCp,
    nagError,
    outdir,
    eks: Template.fromStack(eks.stack),
    ec2: Template.fromStack(ec2.stack),
    pw: Template.fromStack(pw.stack),
  };
}

const f = build();

/** Logical id of a construct's CloudFormation resource (or of the element itself). */
function logicalId(construct: IConstruct): string {
  const element = construct instanceof CfnElement ? construct : construct.node.defaultChild;
  return Stack.of(construct).getLogicalId(element as CfnElement);
}

/** The `rds-db:connect` statements of the policies attached to role `roleId`. */
function connectStatements(template: Template, roleId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => p.Properties.Roles?.some((r: any) => r.Ref === roleId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
    .filter((s: any) => [s.Action].flat().includes('rds-db:connect'));
}

/** The dbuser ARN of Kong's IAM user in the plane's own stack. */
function dbuserArn(template: Template) {
  const [instanceId] = Object.keys(template.findResources('AWS::RDS::DBInstance'));
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':rds-db:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ':dbuser:',
        { 'Fn::GetAtt': [instanceId, 'DbiResourceId'] },
        '/kong_iam',
      ],
    ],
  };
}

/** Every Kubernetes manifest the stack applies, parsed (tokens as `<token>`). */
function manifests(template: Template): any[] {
  return Object.values(template.findResources('Custom::AWSCDK-EKS-KubernetesResource')).flatMap((r: any) => {
    const m = r.Properties.Manifest;
    const text =
      typeof m === 'string'
        ? m
        : m['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : '<token>')).join('');
    return JSON.parse(text);
  });
}

describe('KongControlPlaneEks with databaseIamAuthentication', () => {
  const values = helmValues(f.eks, 'kong');

  test('GIVEN IAM mode THEN Kong signs in as kong_iam with pg_iam_auth, verified TLS, and no password anywhere', () => {
    expect(values.env).toMatchObject({
      pg_iam_auth: 'on',
      pg_user: 'kong_iam',
      pg_ssl: 'on',
      pg_ssl_required: 'on',
      pg_ssl_verify: 'on',
      lua_ssl_trusted_certificate: `system,${KUBERNETES_POSTGRES_CA_PATH}`,
    });
    expect(JSON.stringify(values)).not.toMatch(/pg_password|kong-postgres/);
    expect(JSON.stringify(f.eksCp.helmValues)).not.toMatch(/pg_password/);
  });

  test('GIVEN IAM mode THEN no database secret is synced into the cluster', () => {
    const synced = manifests(f.eks)
      .filter((m) => m.kind === 'ExternalSecret')
      .map((m) => m.metadata.name);
    expect(synced).toContain('kong-cluster-cert');
    expect(synced).not.toContain('kong-postgres');
  });

  test('GIVEN IAM mode THEN the Deployment and the migration Jobs run as the IRSA service account, with AWS_REGION', () => {
    expect(values.deployment.serviceAccount).toEqual({ create: false, name: KONG_CP_IAM_SERVICE_ACCOUNT });
    expect(values.customEnv).toEqual({ AWS_REGION: '<token>' });
    const account = manifests(f.eks).find(
      (m) => m.kind === 'ServiceAccount' && m.metadata.name === KONG_CP_IAM_SERVICE_ACCOUNT,
    );
    expect(account.metadata).toMatchObject({
      name: KONG_CP_IAM_SERVICE_ACCOUNT,
      namespace: 'kong',
      annotations: { 'eks.amazonaws.com/role-arn': '<token>' },
    });
  });

  test("GIVEN IAM mode THEN the service account's role may rds-db:connect as exactly kong_iam", () => {
    const roleId = logicalId(f.eksCp.serviceAccount!.role);
    // IRSA trust: only this service account of this namespace may assume the role.
    const trust = f.eks.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument.Statement;
    expect(trust).toEqual([expect.objectContaining({ Action: 'sts:AssumeRoleWithWebIdentity' })]);
    const conditionId = trust[0].Condition.StringEquals['Fn::GetAtt'][0];
    expect(JSON.stringify(f.eks.toJSON().Resources[conditionId].Properties.Value)).toContain(
      `:sub\\":\\"system:serviceaccount:kong:${KONG_CP_IAM_SERVICE_ACCOUNT}\\"`,
    );
    expect(connectStatements(f.eks, roleId)).toEqual([
      { Action: 'rds-db:connect', Effect: 'Allow', Resource: dbuserArn(f.eks) },
    ]);
  });

  test('GIVEN IAM mode THEN an init container fetches the region bundle for Kong and its migrations', () => {
    const [init] = values.deployment.initContainers;
    expect(init.env).toEqual([
      { name: 'CA_BUNDLE_URL', value: 'https://truststore.pki.rds.amazonaws.com/<token>/<token>-bundle.pem' },
    ]);
    expect(values.deployment.userDefinedVolumeMounts).toEqual([
      { name: 'postgres-ca', mountPath: '/etc/kong-fleet/postgres-ca', readOnly: true },
    ]);
    const chart = Object.values(
      f.eks.findResources('Custom::AWSCDK-EKS-HelmChart', { Properties: { Chart: 'kong' } }),
    )[0] as any;
    const url = JSON.stringify(chart.Properties.Values);
    expect(url).toContain('https://truststore.pki.rds.amazonaws.com/');
    expect(url).toContain('-bundle.pem');
  });

  test('GIVEN IAM mode THEN the chart waits for the IAM user, the grant and the service account', () => {
    const [chartId] = Object.keys(
      f.eks.findResources('Custom::AWSCDK-EKS-HelmChart', { Properties: { Chart: 'kong' } }),
    );
    const dependsOn: string[] = (f.eks.toJSON().Resources[chartId].DependsOn ?? []) as string[];
    expect(dependsOn).toContain(logicalId(f.eksCp.database.iamUserResource!.node.defaultChild as CfnElement));
    expect(dependsOn.some((id) => id.includes('DatabaseConnect'))).toBe(true);
    expect(dependsOn.some((id) => id.includes('ServiceAccount'))).toBe(true);
  });
});

describe('KongControlPlaneEc2 with databaseIamAuthentication', () => {
  test('GIVEN IAM mode THEN kong.conf has pg_iam_auth and the bundle, and nothing Kong reads holds a password', () => {
    expect(f.ec2Cp.kongConf).toMatch(/^pg_iam_auth = on$/m);
    expect(f.ec2Cp.kongConf).toMatch(/^pg_user = kong_iam$/m);
    expect(f.ec2Cp.kongConf).toMatch(/^pg_ssl_verify = on$/m);
    expect(f.ec2Cp.kongConf).toContain(`lua_ssl_trusted_certificate = system,${KONG_EC2_PATHS.postgresCaBundle}`);
    expect(f.ec2Cp.instances.userData.environmentSecrets).toEqual({});
    expect(f.ec2Cp.userData).not.toMatch(/pg_password|PG_PASSWORD|\[database\]=/i);
    expect(f.ec2Cp.userData).toMatch(
      /curl -sSf --retry 5 --proto '=https' --tlsv1\.2 -o '\/etc\/kong\/postgres-ca\/ca-bundle\.pem\.download' 'https:\/\/truststore\.pki\.rds\.amazonaws\.com\//,
    );
  });

  test('GIVEN a password-mode EC2 plane THEN the password is read at boot (so the checks above can fail)', () => {
    expect(f.pwCp.kongConf).not.toMatch(/pg_iam_auth/);
    expect(Object.keys(f.pwCp.instances.userData.environmentSecrets)).toContain('KONG_PG_PASSWORD');
    expect(f.pwCp.userData).toMatch(/\[database\]=/);
  });

  test('GIVEN IAM mode THEN the instance role may rds-db:connect as kong_iam and may not read the master secret', () => {
    const roleId = logicalId(f.ec2Cp.instances.role);
    expect(connectStatements(f.ec2, roleId)).toEqual([
      { Action: 'rds-db:connect', Effect: 'Allow', Resource: dbuserArn(f.ec2) },
    ]);
    const [attachment] = Object.keys(f.ec2.findResources('AWS::SecretsManager::SecretTargetAttachment'));
    const readable = Object.values(f.ec2.findResources('AWS::IAM::Policy'))
      .filter((p: any) => p.Properties.Roles?.some((r: any) => r.Ref === roleId))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: any) => [s.Resource].flat());
    expect(readable).not.toContainEqual({ Ref: attachment });
    const pwRole = logicalId(f.pwCp.instances.role);
    expect(connectStatements(f.pw, pwRole)).toEqual([]);
  });

  test('GIVEN IAM mode THEN instances launch only after the IAM user and the grant exist', () => {
    const asgId = logicalId(f.ec2Cp.autoScalingGroup);
    const dependsOn: string[] = (f.ec2.toJSON().Resources[asgId].DependsOn ?? []) as string[];
    expect(dependsOn).toContain(logicalId(f.ec2Cp.database.iamUserResource!.node.defaultChild as CfnElement));
    expect(dependsOn.some((id) => id.includes('DatabaseConnect'))).toBe(true);
  });
});

describe('control planes with databaseIamAuthentication: synthesized output', () => {
  test('GIVEN the app THEN cdk-nag AwsSolutions has no unacknowledged finding', () => {
    expect(f.nagError).toBeUndefined();
  });

  test('GIVEN the templates THEN no secret literal is in them', () => {
    expect(secretFindings(f.outdir)).toEqual([]);
  });
});
