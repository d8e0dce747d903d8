/**
 * KongPluginConfiguration: the decK file of a region's shared services, in an SSM parameter.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { parse } from 'yaml';
import { IKongOidcProvider, IKongRedis } from '../../src/core/shared-services';
import { KongPluginConfiguration } from '../../src/services/kong-plugin-configuration';
import { awsVaultReference } from '../../src/kong/vault';
import { expectKongError } from '../support/errors';
import { unitTestApp } from '../support/synth';

function fixtures() {
  const stack = new Stack(unitTestApp(), 'Services', { env: { region: 'eu-west-1', account: '111111111111' } });
  const redis: IKongRedis = {
    serviceName: 'Redis',
    port: 6379,
    securityGroup: ec2.SecurityGroup.fromSecurityGroupId(stack, 'RedisSg', 'sg-1'),
    host: 'master.redis.example.cache.amazonaws.com',
    readerHost: 'replica.redis.example.cache.amazonaws.com',
    authToken: { secret: secretsmanager.Secret.fromSecretNameV2(stack, 'Token', 'kong-fleet/f/eu-west-1/redis-auth') },
    authTokenVaultReference: awsVaultReference('kong-fleet/f/eu-west-1/redis-auth'),
  };
  const oidc: IKongOidcProvider = {
    issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc',
    tokenEndpoint: 'https://x.auth.eu-west-1.amazoncognito.com/oauth2/token',
    clientId: 'client123',
    clientSecret: { secret: secretsmanager.Secret.fromSecretNameV2(stack, 'Client', 'kong-fleet/f/eu-west-1/cognito') },
    clientSecretVaultReference: awsVaultReference('kong-fleet/f/eu-west-1/cognito', 'client_secret'),
    scopes: ['kong/read'],
  };
  return { stack, redis, oidc };
}

test('GIVEN Redis, Cognito and Prometheus WHEN configured THEN the decK file has the four plugins with vault references', () => {
  const { stack, redis, oidc } = fixtures();
  const config = new KongPluginConfiguration(stack, 'Plugins', {
    parameterName: '/kong-fleet/f/eu-west-1/kong-plugins',
    redis,
    oidcProvider: oidc,
    prometheus: true,
    requestsPerMinute: 120,
  });
  const deck = parse(config.deckFile);
  expect(deck._format_version).toBe('3.0');
  expect(deck._info.select_tags).toEqual(['kong-fleet']);
  expect(deck.plugins.map((p: any) => p.name)).toEqual([
    'rate-limiting-advanced',
    'proxy-cache-advanced',
    'openid-connect',
    'prometheus',
  ]);
  const [rla, pca, oidcPlugin] = deck.plugins;
  expect(rla.config).toMatchObject({ limit: [120], window_size: [60], strategy: 'redis' });
  for (const p of [rla, pca]) {
    expect(p.config.redis).toEqual({
      host: redis.host,
      port: 6379,
      password: '{vault://aws/kong-fleet%2Ff%2Feu-west-1%2Fredis-auth}',
      ssl: true,
      ssl_verify: true,
      server_name: redis.host,
    });
  }
  expect(oidcPlugin.config).toMatchObject({
    issuer: oidc.issuer,
    client_id: ['client123'],
    client_secret: ['{vault://aws/kong-fleet%2Ff%2Feu-west-1%2Fcognito/client_secret}'],
    scopes_required: ['kong/read'],
  });
  Template.fromStack(stack).hasResourceProperties('AWS::SSM::Parameter', {
    Name: '/kong-fleet/f/eu-west-1/kong-plugins',
    Type: 'String',
    Value: config.deckFile,
  });
});

test('GIVEN only Prometheus WHEN configured THEN no Redis or OIDC plugin is written', () => {
  const { stack } = fixtures();
  const config = new KongPluginConfiguration(stack, 'Plugins', { parameterName: '/p', prometheus: true });
  expect(parse(config.deckFile).plugins.map((p: any) => p.name)).toEqual(['prometheus']);
});

test('GIVEN nothing to configure, a bad parameter name or a bad limit WHEN built THEN a KongFleetError names the prop', () => {
  const { stack, redis } = fixtures();
  expectKongError(
    () => new KongPluginConfiguration(stack, 'Empty', { parameterName: '/p' }),
    /^Services\/Empty: .*no plugin/,
  );
  expectKongError(
    () => new KongPluginConfiguration(stack, 'Name', { parameterName: 'no-slash', prometheus: true }),
    /^Services\/Name\.parameterName: is not an SSM parameter path/,
  );
  expectKongError(
    () => new KongPluginConfiguration(stack, 'Limit', { parameterName: '/p', redis, requestsPerMinute: 0 }),
    /^Services\/Limit\.requestsPerMinute: is not a positive whole number/,
  );
});
