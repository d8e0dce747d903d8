/**
 * KongDatabase with `iamAuthentication`: the IAM-user custom resource and its handler in the
 * database's VPC, the only network path it opens, `grantConnect` in the grantee's stack on exactly
 * the dbuser ARN, and the template checks (no password literal, cfn-lint, cdk-nag). One app with a
 * database stack (IAM mode), a grantee stack and a password-mode database for contrast.
 */
import { Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KongDatabase } from '../../src/core/kong-database';
import { KongVpc } from '../../src/core/kong-vpc';
import { DATABASE_IAM_USER_PROPERTY as P } from '../../src/handlers/database-iam-user/contract';
import { expectKongError } from '../support/errors';
import { cfnLintErrors, secretFindings } from '../support/output-checks';
import { ingressPaths } from '../support/security-group-paths';
import { unitTestApp } from '../support/synth';

function build() {
  const app = unitTestApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const dbStack = new Stack(app, 'KongDb');
  const vpc = new KongVpc(dbStack, 'Vpc').vpc;
  const database = new KongDatabase(dbStack, 'Database', { vpc, iamAuthentication: true });
  const granteeStack = new Stack(app, 'KongGrantee');
  const role = new iam.Role(granteeStack, 'KongRole', { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') });
  const policy = database.grantConnect(granteeStack, 'DatabaseConnect', role);
  const plainStack = new Stack(app, 'KongDbPassword');
  const plain = new KongDatabase(plainStack, 'Database', { vpc: new KongVpc(plainStack, 'Vpc').vpc });
  let nagError: Error | undefined;
  let assembly;
  try {
    assembly = app.synth();
  } catch (error) {
    nagError = error as Error;
  }
  return {
    database,
    plain,
    policy,
    nagError,
    assembly,
    db: Template.fromStack(dbStack),
    grantee: Template.fromStack(granteeStack),
    password: Template.fromStack(plainStack),
  };
}

const fixture = build();

/** Logical ids of `type` resources in a template. */
const idsOf = (template: Template, type: string) => Object.keys(template.findResources(type));

describe('KongDatabase with iamAuthentication', () => {
  test('GIVEN iamAuthentication THEN the instance has IAM database authentication on and TLS forced', () => {
    fixture.db.hasResourceProperties('AWS::RDS::DBInstance', {
      EnableIAMDatabaseAuthentication: true,
      StorageEncrypted: true,
      PubliclyAccessible: false,
    });
    fixture.db.hasResourceProperties('AWS::RDS::DBParameterGroup', { Parameters: { 'rds.force_ssl': '1' } });
  });

  test('GIVEN iamAuthentication THEN the custom resource creates kong_iam with the master secret, the endpoint and the region bundle', () => {
    expect(fixture.database.iamUser).toBe('kong_iam');
    const [instanceId] = idsOf(fixture.db, 'AWS::RDS::DBInstance');
    // The secret attached to the instance (its ARN is the secret's, with host and port filled in).
    const [attachmentId] = idsOf(fixture.db, 'AWS::SecretsManager::SecretTargetAttachment');
    fixture.db.hasResourceProperties('Custom::KongDatabaseIamUser', {
      [P.masterSecretArn]: { Ref: attachmentId },
      [P.host]: { 'Fn::GetAtt': [instanceId, 'Endpoint.Address'] },
      [P.port]: '5432',
      [P.database]: 'kong',
      [P.iamUser]: 'kong_iam',
      [P.caBundleUrl]: {
        'Fn::Join': [
          '',
          [
            'https://truststore.pki.rds.amazonaws.com/',
            { Ref: 'AWS::Region' },
            '/',
            { Ref: 'AWS::Region' },
            '-bundle.pem',
          ],
        ],
      },
    });
    const [resource] = Object.values(fixture.db.findResources('Custom::KongDatabaseIamUser'));
    expect(resource.DependsOn).toEqual(expect.arrayContaining([instanceId]));
  });

  test('GIVEN the handler THEN it runs in the private subnets with its own security group and may read only the master secret', () => {
    const functions = fixture.db.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('IAM-authenticated PostgreSQL role') },
    });
    expect(Object.keys(functions)).toHaveLength(1);
    const handler = Object.values(functions)[0] as any;
    const handlerSg = idsOf(fixture.db, 'AWS::EC2::SecurityGroup').find((id) =>
      id.includes('IamUserHandlerSecurityGroup'),
    )!;
    expect(handler.Properties.VpcConfig.SecurityGroupIds).toEqual([{ 'Fn::GetAtt': [handlerSg, 'GroupId'] }]);
    const privateSubnets = idsOf(fixture.db, 'AWS::EC2::Subnet').filter((id) => /private/i.test(id));
    expect(handler.Properties.VpcConfig.SubnetIds.map((s: any) => s.Ref).sort()).toEqual(privateSubnets.sort());
    const [attachmentId] = idsOf(fixture.db, 'AWS::SecretsManager::SecretTargetAttachment');
    const roleId = handler.Properties.Role['Fn::GetAtt'][0];
    const policies = Object.values(fixture.db.findResources('AWS::IAM::Policy')).filter((p: any) =>
      p.Properties.Roles.some((r: any) => r.Ref === roleId),
    );
    const statements = policies.flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const secretStatements = statements.filter((s: any) =>
      [s.Action].flat().some((a: string) => a.startsWith('secretsmanager:')),
    );
    expect(secretStatements.map((s: any) => s.Resource)).toEqual([{ Ref: attachmentId }]);
  });

  test("GIVEN the handler's security group THEN nothing reaches it and it reaches only PostgreSQL on the database and HTTPS", () => {
    const templates = { KongDb: fixture.db.toJSON() };
    const [dbSg] = idsOf(fixture.db, 'AWS::EC2::SecurityGroup').filter((id) => id.startsWith('DatabaseSecurityGroup'));
    const handlerSg = idsOf(fixture.db, 'AWS::EC2::SecurityGroup').find((id) =>
      id.includes('IamUserHandlerSecurityGroup'),
    )!;
    const paths = ingressPaths(templates);
    expect(paths.filter((p) => p.target === `KongDb/${handlerSg}`)).toEqual([]);
    expect(paths.filter((p) => p.source === `KongDb/${handlerSg}`)).toEqual([
      expect.objectContaining({ target: `KongDb/${dbSg}`, protocol: 'tcp', fromPort: 5432, toPort: 5432 }),
    ]);
    const group = fixture.db.toJSON().Resources[handlerSg].Properties;
    const inline = group.SecurityGroupEgress ?? [];
    const separate = Object.values(fixture.db.findResources('AWS::EC2::SecurityGroupEgress'))
      .map((r: any) => r.Properties)
      .filter((p: any) => p.GroupId['Fn::GetAtt']?.[0] === handlerSg);
    const egress = [...inline, ...separate].map(
      (r: any) => `${r.CidrIp ?? JSON.stringify(r.DestinationSecurityGroupId)}:${r.FromPort}`,
    );
    expect(egress.sort()).toEqual(
      [`${JSON.stringify({ 'Fn::GetAtt': [dbSg, 'GroupId'] })}:5432`, '0.0.0.0/0:443'].sort(),
    );
  });

  test("GIVEN grantConnect THEN the policy lives in the grantee's stack with rds-db:connect on exactly kong_iam's dbuser ARN", () => {
    expect(Stack.of(fixture.policy).stackName).toBe('KongGrantee');
    const [roleId] = idsOf(fixture.grantee, 'AWS::IAM::Role');
    fixture.grantee.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'rds-db:connect',
            Resource: {
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
                  { 'Fn::ImportValue': Match.stringLikeRegexp('DbiResourceId') },
                  '/kong_iam',
                ],
              ],
            },
          },
        ],
      },
    });
    expect(idsOf(fixture.db, 'AWS::IAM::Policy').filter((id) => id.includes('Connect'))).toEqual([]);
    const exported = Object.values(fixture.db.toJSON().Outputs ?? {}).map((o: any) => o.Value);
    expect(exported).toContainEqual({ 'Fn::GetAtt': [idsOf(fixture.db, 'AWS::RDS::DBInstance')[0], 'DbiResourceId'] });
  });

  test('GIVEN a password-mode database THEN no handler, no IAM user and grantConnect is refused', () => {
    expect(idsOf(fixture.password, 'Custom::KongDatabaseIamUser')).toEqual([]);
    expect(idsOf(fixture.password, 'AWS::Lambda::Function')).toEqual([]);
    expect(fixture.plain.iamUser).toBeUndefined();
    const role = new iam.Role(new Stack(), 'R', { assumedBy: new iam.AccountRootPrincipal() });
    expectKongError(
      () => fixture.plain.grantConnect(Stack.of(role), 'Connect', role),
      /^KongDbPassword\/Database\.grantConnect: this database has no IAM database user/,
    );
  });

  test('GIVEN the endpoint accessor THEN it is the instance address and port', () => {
    const stack = Stack.of(fixture.database);
    expect(stack.resolve(fixture.database.endpoint)).toEqual({
      host: { 'Fn::GetAtt': [idsOf(fixture.db, 'AWS::RDS::DBInstance')[0], 'Endpoint.Address'] },
      port: 5432,
    });
  });
});

describe('KongDatabase with iamAuthentication: synthesized output', () => {
  test('GIVEN the app THEN cdk-nag AwsSolutions has no unacknowledged finding', () => {
    expect(fixture.nagError).toBeUndefined();
  });

  test('GIVEN the templates THEN no password or secret literal is in them', () => {
    expect(secretFindings(fixture.assembly!.directory)).toEqual([]);
    expect(JSON.stringify(fixture.db.toJSON())).not.toMatch(/"(Master)?(User)?Password"\s*:\s*"(?!\{\{resolve)/);
  });

  test('GIVEN the database template THEN cfn-lint reports no error', () => {
    const file = fixture.assembly!.getStackByName('KongDb').templateFullPath;
    expect(cfnLintErrors(file).errors).toEqual([]);
  });
});
