/**
 * KongRedis and KongCognito in one service stack, synthesized once with cdk-nag AwsSolutions on (the
 * synth itself proves there is no unacknowledged finding), a data-plane stack that is let in with
 * allowServiceAccess, Template assertions, cfn-lint on the written template, and the props refused.
 */
import * as fs from 'fs';
import { App, CfnElement, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KongVpc } from '../../src/core/kong-vpc';
import { allowServiceAccess } from '../../src/core/shared-services';
import { KongCognito } from '../../src/services/kong-cognito';
import { KongRedis, KongRedisEngine } from '../../src/services/kong-redis';
import { expectKongError } from '../support/errors';
import { cfnLintErrors } from '../support/output-checks';
import { unitTestApp } from '../support/synth';

interface Synthesized {
  readonly services: Stack;
  readonly redis: KongRedis;
  readonly cognito: KongCognito;
  readonly template: Template;
  readonly dp: Stack;
  readonly tasks: ec2.SecurityGroup;
  readonly dpTemplate: Template;
  readonly templateFile: string;
}

let cached: Synthesized | undefined;

function synth(): Synthesized {
  if (cached) return cached;
  const app = unitTestApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const services = new Stack(app, 'Services');
  const vpc = new KongVpc(services, 'Vpc').vpc;
  const redis = new KongRedis(services, 'Redis', { vpc });
  const cognito = new KongCognito(services, 'Oidc');
  // A data plane in its own stack: the rule must land there, and only once per (service, peer).
  const dp = new Stack(app, 'DataPlane');
  const tasks = new ec2.SecurityGroup(dp, 'Tasks', { vpc, allowAllOutbound: false });
  allowServiceAccess(redis, tasks);
  allowServiceAccess(redis, tasks);
  // Throws when cdk-nag reports an unacknowledged finding.
  const assembly = app.synth();
  cached = {
    services,
    redis,
    cognito,
    template: Template.fromStack(services),
    dp,
    tasks,
    dpTemplate: Template.fromStack(dp),
    templateFile: assembly.getStackByName(services.stackName).templateFullPath,
  };
  return cached;
}

function stackWithVpc(): { app: App; stack: Stack; vpc: ec2.IVpc } {
  const app = unitTestApp();
  const stack = new Stack(app, 'Refused');
  return { app, stack, vpc: new KongVpc(stack, 'Vpc').vpc };
}

describe('KongRedis', () => {
  test('a Multi-AZ Valkey replication group with failover, TLS required, KMS at rest and AUTH', () => {
    const { template, redis, services } = synth();
    const rg = template.findResources('AWS::ElastiCache::ReplicationGroup');
    expect(Object.keys(rg)).toHaveLength(1);
    template.hasResourceProperties('AWS::ElastiCache::ReplicationGroup', {
      Engine: 'valkey',
      EngineVersion: '8.2',
      CacheNodeType: 'cache.t4g.medium',
      NumCacheClusters: 2,
      MultiAZEnabled: true,
      AutomaticFailoverEnabled: true,
      TransitEncryptionEnabled: true,
      TransitEncryptionMode: 'required',
      AtRestEncryptionEnabled: true,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RedisKey'), 'Arn'] },
      Port: 6379,
      SnapshotRetentionLimit: 7,
      CacheSubnetGroupName: { Ref: Match.stringLikeRegexp('^RedisSubnetGroup') },
      SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^RedisSecurityGroup'), 'GroupId'] }],
      LogDeliveryConfigurations: Match.arrayWith([
        Match.objectLike({ LogType: 'slow-log', DestinationType: 'cloudwatch-logs' }),
        Match.objectLike({ LogType: 'engine-log', DestinationType: 'cloudwatch-logs' }),
      ]),
    });
    const [resource] = Object.values(rg) as any[];
    expect(resource.DeletionPolicy).toBe('Snapshot');
    expect(resource.UpdateReplacePolicy).toBe('Snapshot');
    // The AUTH token is a dynamic reference to the generated secret, nothing else.
    const authToken = resource.Properties.AuthToken;
    expect(authToken['Fn::Join'][1][0]).toBe('{{resolve:secretsmanager:');
    expect(authToken['Fn::Join'][1][1]).toEqual({
      Ref: services.getLogicalId(redis.authToken.secret.node.defaultChild as any),
    });
    expect(authToken['Fn::Join'][1][2]).toBe(':SecretString:::}}');
  });

  test('the subnet group uses the private subnets of the VPC', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::ElastiCache::SubnetGroup', {
      SubnetIds: [
        { Ref: Match.stringLikeRegexp('^VpcprivateSubnet1') },
        { Ref: Match.stringLikeRegexp('^VpcprivateSubnet2') },
      ],
    });
  });

  test('the AUTH token secret is a KMS-encrypted plain string without characters ElastiCache refuses', () => {
    const { template, redis } = synth();
    expect(redis.authTokenSecretName).toMatch(/^kong-fleet\/[A-Za-z0-9]+\/redis-auth$/);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: redis.authTokenSecretName,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RedisKey'), 'Arn'] },
      GenerateSecretString: Match.objectEquals({ PasswordLength: 64, ExcludePunctuation: true, IncludeSpace: false }),
    });
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ Name: redis.authTokenSecretName }),
      DeletionPolicy: 'Delete',
    });
    // Kong would read the last segment of an unescaped name as a JSON key.
    expect(redis.authTokenVaultReference).toBe(`{vault://aws/${redis.authTokenSecretName.replace(/\//g, '%2F')}}`);
  });

  test('slow and engine logs go to a KMS-encrypted log group with retention', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^RedisKey'), 'Arn'] },
      RetentionInDays: 365,
    });
  });

  test('the security group admits nothing and sends nowhere until a data plane is allowed in', () => {
    const { template } = synth();
    const groups = template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: Match.stringLikeRegexp('^Kong Redis') },
    });
    expect(Object.keys(groups)).toHaveLength(1);
    const [group] = Object.values(groups) as any[];
    expect(group.Properties.SecurityGroupIngress).toBeUndefined();
    for (const rule of group.Properties.SecurityGroupEgress ?? []) {
      expect(rule.CidrIp).not.toBe('0.0.0.0/0');
      expect(rule.CidrIpv6).not.toBe('::/0');
    }
    expect(template.findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
    expect(template.findResources('AWS::EC2::SecurityGroupEgress')).toEqual({});
  });

  test('allowServiceAccess creates exactly one ingress rule, in the data plane stack', () => {
    const { dpTemplate, redis, dp, tasks } = synth();
    const rules = dpTemplate.findResources('AWS::EC2::SecurityGroupIngress');
    expect(Object.values(rules)).toHaveLength(1);
    dpTemplate.hasResourceProperties(
      'AWS::EC2::SecurityGroupIngress',
      Match.objectEquals({
        GroupId: { 'Fn::ImportValue': Match.stringLikeRegexp('^Services:.*RedisSecurityGroup.*GroupId') },
        SourceSecurityGroupId: { 'Fn::GetAtt': [dp.getLogicalId(tasks.node.defaultChild as CfnElement), 'GroupId'] },
        IpProtocol: 'tcp',
        FromPort: redis.port,
        ToPort: redis.port,
        Description: 'Kong data planes to Redis (tcp/6379)',
      }),
    );
  });

  test('exposes the endpoints and the contract of IKongRedis', () => {
    const { services, redis } = synth();
    const group = services.getLogicalId(redis.replicationGroup);
    expect(services.resolve(redis.host)).toEqual({ 'Fn::GetAtt': [group, 'PrimaryEndPoint.Address'] });
    expect(services.resolve(redis.readerHost)).toEqual({ 'Fn::GetAtt': [group, 'ReaderEndPoint.Address'] });
    expect(redis.port).toBe(6379);
    expect(redis.serviceName).toBe('Redis');
    expect(redis.authToken.encryptionKey).toBe(redis.encryptionKey);
  });
});

describe('KongCognito', () => {
  test('a machine-to-machine user pool: no sign-up, strong passwords, MFA, deletion protection, retained', () => {
    const { template } = synth();
    const pools = template.findResources('AWS::Cognito::UserPool');
    expect(Object.keys(pools)).toHaveLength(1);
    const [pool] = Object.values(pools) as any[];
    expect(pool.DeletionPolicy).toBe('Retain');
    expect(pool.Properties).toMatchObject({
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      DeletionProtection: 'ACTIVE',
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'ESSENTIALS',
      Policies: {
        PasswordPolicy: {
          MinimumLength: 14,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
    });
    // No SMS role: nothing here sends text messages.
    expect(
      template.findResources('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: Match.objectLike({
            Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cognito-idp.amazonaws.com' } })]),
          }),
        },
      }),
    ).toEqual({});
  });

  test('one resource server with read and write, one client with only client_credentials and those scopes', () => {
    const { template, cognito } = synth();
    template.hasResourceProperties('AWS::Cognito::UserPoolResourceServer', {
      Identifier: 'kong',
      Scopes: [
        { ScopeName: 'read', ScopeDescription: Match.anyValue() },
        { ScopeName: 'write', ScopeDescription: Match.anyValue() },
      ],
    });
    const clients = template.findResources('AWS::Cognito::UserPoolClient');
    expect(Object.keys(clients)).toHaveLength(1);
    const [client] = Object.values(clients) as any[];
    expect(client.Properties).toMatchObject({
      GenerateSecret: true,
      AllowedOAuthFlows: ['client_credentials'],
      AllowedOAuthFlowsUserPoolClient: true,
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      SupportedIdentityProviders: ['COGNITO'],
    });
    expect(client.Properties.CallbackURLs).toBeUndefined();
    const server = Object.keys(template.findResources('AWS::Cognito::UserPoolResourceServer'))[0];
    expect(client.Properties.AllowedOAuthScopes).toEqual([
      { 'Fn::Join': ['', [{ Ref: server }, '/read']] },
      { 'Fn::Join': ['', [{ Ref: server }, '/write']] },
    ]);
    expect(cognito.scopes).toEqual(['kong/read', 'kong/write']);
  });

  test('the client secret reaches Secrets Manager through Fn::GetAtt ClientSecret, never as a value', () => {
    const { template, services, cognito } = synth();
    const clientId = services.getLogicalId(cognito.userPoolClient.node.defaultChild as any);
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: cognito.clientSecretName,
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OidcKey'), 'Arn'] },
      SecretString: {
        'Fn::Join': [
          '',
          [
            '{"client_id":"',
            { Ref: clientId },
            '","client_secret":"',
            { 'Fn::GetAtt': [clientId, 'ClientSecret'] },
            '"}',
          ],
        ],
      },
    });
    expect(template.findResources('Custom::DescribeCognitoUserPoolClient')).toEqual({});
    expect(cognito.clientSecretName).toMatch(/^kong-fleet\/[A-Za-z0-9]+\/cognito-client$/);
    expect(cognito.clientSecretVaultReference).toMatch(
      /^\{vault:\/\/aws\/kong-fleet%2F[A-Za-z0-9]+%2Fcognito-client\/client_secret\}$/,
    );
  });

  test('issuer and token endpoint follow the pool and its Cognito domain', () => {
    const { template, services, cognito } = synth();
    const poolId = services.getLogicalId(cognito.userPool.node.defaultChild as any);
    const domainId = services.getLogicalId(cognito.domain.node.defaultChild as any);
    expect(services.resolve(cognito.issuer)).toEqual({
      'Fn::Join': [
        '',
        ['https://cognito-idp.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: poolId }],
      ],
    });
    expect(services.resolve(cognito.tokenEndpoint)).toEqual({
      'Fn::Join': [
        '',
        ['https://', { Ref: domainId }, '.auth.', { Ref: 'AWS::Region' }, '.amazoncognito.com/oauth2/token'],
      ],
    });
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: {
        'Fn::Join': ['', ['kong-fleet-', { Ref: 'AWS::AccountId' }, Match.stringLikeRegexp('^-[0-9a-f]{8}$')]],
      },
    });
  });
});

describe('the service stack as a whole', () => {
  test('holds no secret value: every secret is generated, resolved or read by GetAtt', () => {
    const { templateFile } = synth();
    const text = fs.readFileSync(templateFile, 'utf8');
    const template = JSON.parse(text);
    for (const [id, resource] of Object.entries<any>(template.Resources)) {
      if (resource.Type === 'AWS::SecretsManager::Secret' && resource.Properties.SecretString !== undefined) {
        // The only SecretString is the Cognito one, built from Ref and GetAtt, not literals.
        const literals = resource.Properties.SecretString['Fn::Join'][1].filter((p: unknown) => typeof p === 'string');
        expect({ id, literals }).toEqual({ id, literals: ['{"client_id":"', '","client_secret":"', '"}'] });
      }
    }
    expect(text).not.toMatch(/"AuthToken"\s*:\s*"/);
    expect(text).not.toMatch(/"ClientSecret"\s*:\s*"/);
    expect(text).not.toMatch(/"SecretString"\s*:\s*"/);
  });

  test('cfn-lint reports no error on the template', () => {
    const { templateFile } = synth();
    const { errors, status } = cfnLintErrors(templateFile);
    expect(errors).toEqual([]);
    expect(status & 2).toBe(0);
  });
});

describe('validation', () => {
  test('replicasPerPrimary 0 is refused: Multi-AZ failover needs a replica', () => {
    const { stack, vpc } = stackWithVpc();
    expectKongError(
      () => new KongRedis(stack, 'Redis', { vpc, replicasPerPrimary: 0 }),
      /^Refused\/Redis\.replicasPerPrimary: .*\(got 0; expected an integer 1-5\)$/,
    );
  });

  test('a Redis OSS version without TLS-required mode, a bad node type and a one-AZ subnet set are refused', () => {
    const { stack, vpc } = stackWithVpc();
    expectKongError(
      () => new KongRedis(stack, 'Old', { vpc, engine: KongRedisEngine.REDIS_OSS, engineVersion: '6.2' }),
      /Old\.engineVersion: .*7\.0\.5/,
    );
    expectKongError(() => new KongRedis(stack, 'Node', { vpc, nodeType: 't4g.medium' }), /Node\.nodeType/);
    expectKongError(
      () => new KongRedis(stack, 'OneAz', { vpc, subnets: { subnets: [vpc.privateSubnets[0]] } }),
      /OneAz\.subnets: Multi-AZ/,
    );
    expectKongError(
      () => new KongRedis(stack, 'Snap', { vpc, snapshotRetentionDays: 0 }),
      /Snap\.snapshotRetentionDays/,
    );
    // Kong decodes `+` in a reference path to a space.
    expectKongError(
      () => new KongRedis(stack, 'Plus', { vpc, secretName: 'kong+fleet/redis-auth' }),
      /Plus\.secretName/,
    );
  });

  test.each(['my-aws-pool', 'amazon-kong', 'kong-cognito', 'Kong', '-kong', 'kong-', 'kong_fleet', 'x'.repeat(64)])(
    'the domain prefix %s is refused',
    (prefix) => {
      const app = unitTestApp();
      const stack = new Stack(app, 'Refused');
      expectKongError(() => new KongCognito(stack, 'Oidc', { domainPrefix: prefix }), /^Refused\/Oidc\.domainPrefix: /);
    },
  );

  test('a literal domain prefix, Redis OSS on 6379 and RETAIN are accepted, cdk-nag clean', () => {
    const { app, stack, vpc } = stackWithVpc();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    new KongCognito(stack, 'Oidc', { domainPrefix: 'kong-fleet-prod-eu' });
    new KongRedis(stack, 'Redis', { vpc, engine: KongRedisEngine.REDIS_OSS, removalPolicy: RemovalPolicy.RETAIN });
    // cdk-nag's AEC5 (default port) fires for engine redis, not valkey: acknowledged either way.
    expect(() => app.synth()).not.toThrow();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'kong-fleet-prod-eu' });
    template.hasResource('AWS::ElastiCache::ReplicationGroup', {
      Properties: Match.objectLike({ Engine: 'redis', EngineVersion: '7.1', Port: 6379 }),
      DeletionPolicy: 'Retain',
    });
    // A retained replication group keeps the token that opens it.
    template.hasResource('AWS::SecretsManager::Secret', {
      Properties: Match.objectLike({ Name: Match.stringLikeRegexp('/redis-auth$') }),
      DeletionPolicy: 'Retain',
    });
  });

  test('a scope-less client and a token secret name are refused', () => {
    const app = unitTestApp();
    const stack = new Stack(app, 'Refused');
    expectKongError(() => new KongCognito(stack, 'NoScopes', { scopes: [] }), /NoScopes\.scopes/);
    expectKongError(
      () => new KongCognito(stack, 'BadName', { clientSecretName: 'kong fleet' }),
      /BadName\.clientSecretName/,
    );
  });
});
