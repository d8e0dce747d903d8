import { parse as parseYaml } from 'yaml';
import {
  KongPlugin,
  KongRedisConnection,
  openidConnectPlugin,
  prometheusPlugin,
  proxyCacheAdvancedPlugin,
  rateLimitingAdvancedPlugin,
  renderDeckFile,
} from '../../src/kong/plugins';
import { defaultReferenceDir, loadKongReference } from '../../src/kong/reference';
import { KONG_AWS_VAULT_PREFIX, awsVaultReference, awsVaultSettings, isVaultReference } from '../../src/kong/vault';
import { expectKongError } from '../support/errors';
import { errorOf } from './fixtures';

const REDIS_HOST = 'master.kong-fleet.abc123.euw1.cache.amazonaws.com';
const REDIS_AUTH = awsVaultReference('kong-fleet/prod/eu-west-1/redis-auth');
const OIDC_SECRET = awsVaultReference('kong-fleet/prod/eu-west-1/oidc-client', 'client_secret');
const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123';
const redis: KongRedisConnection = { host: REDIS_HOST, port: 6379, passwordReference: REDIS_AUTH };

/**
 * How Kong splits a reference into secret and JSON key (kong/pdk/vault.lua parse_reference with
 * luasocket's parse_path: empty segments dropped, each segment %-decoded; the last segment is the
 * key unless the path ends with `/`, 3.8+). Kept to prove the references we build reach the right
 * secret.
 */
function kongParse(reference: string): { vault: string; resource: string; key?: string } {
  const match = /^\{vault:\/\/([^/]+)\/(.*)\}$/.exec(reference);
  if (!match) throw new Error(`not a reference: ${reference}`);
  const parts = match[2]
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => decodeURIComponent(s));
  if (parts.length === 1 || match[2].endsWith('/')) return { vault: match[1], resource: parts.join('/') };
  return { vault: match[1], resource: parts.slice(0, -1).join('/'), key: parts[parts.length - 1] };
}

describe('awsVaultReference', () => {
  test('GIVEN a plain-string secret with / in its name WHEN referenced THEN Kong reads the whole name and no key', () => {
    expect(REDIS_AUTH).toBe('{vault://aws/kong-fleet%2Fprod%2Feu-west-1%2Fredis-auth}');
    expect(kongParse(REDIS_AUTH)).toEqual({ vault: 'aws', resource: 'kong-fleet/prod/eu-west-1/redis-auth' });
    // Written as is, Kong would look for secret "kong-fleet/prod/eu-west-1" and key "redis-auth".
    expect(kongParse('{vault://aws/kong-fleet/prod/eu-west-1/redis-auth}').key).toBe('redis-auth');
  });

  test('GIVEN a JSON secret WHEN one key is referenced THEN Kong reads that key of the whole name', () => {
    expect(OIDC_SECRET).toBe('{vault://aws/kong-fleet%2Fprod%2Feu-west-1%2Foidc-client/client_secret}');
    expect(kongParse(OIDC_SECRET)).toEqual({
      vault: 'aws',
      resource: 'kong-fleet/prod/eu-west-1/oidc-client',
      key: 'client_secret',
    });
    expect(awsVaultReference('redis-auth')).toBe(`{vault://${KONG_AWS_VAULT_PREFIX}/redis-auth}`);
  });

  test('GIVEN a name with a CDK token WHEN referenced THEN the literal slashes are encoded and the token kept', () => {
    expect(awsVaultReference('kong-fleet/prod/${Token[AWS.Region.12]}/redis-auth')).toBe(
      '{vault://aws/kong-fleet%2Fprod%2F${Token[AWS.Region.12]}%2Fredis-auth}',
    );
  });

  test.each([
    ['an empty name', ''],
    ['an ARN', 'arn:aws-us-gov:secretsmanager:us-gov-west-1:111122223333:secret:kong-fleet/x-AbCdEf'],
    ["a '+' (Kong decodes it to a space)", 'kong-fleet/a+b'],
    ['a space', 'kong fleet'],
    ['a name over 512 characters', 'a'.repeat(513)],
  ])('GIVEN %s WHEN referenced THEN it is refused', (_, name) => {
    expectKongError(() => awsVaultReference(name), /^awsVaultReference\.secretName: /);
  });

  test.each([
    ['empty', ''],
    ['with a slash', 'a/b'],
    ['with a space', 'client secret'],
  ])('GIVEN a key %s WHEN referenced THEN it is refused', (_, key) => {
    expectKongError(() => awsVaultReference('kong-fleet/oidc', key), /^awsVaultReference\.key: /);
  });
});

describe('awsVaultSettings', () => {
  test('GIVEN a region WHEN rendered THEN every setting is an Enterprise kong.conf property', () => {
    const ref = loadKongReference(defaultReferenceDir());
    const settings = awsVaultSettings('eu-west-1');
    expect(settings).toEqual({ vault_aws_region: 'eu-west-1', vault_aws_ttl: '300' });
    for (const name of Object.keys(settings)) expect(ref.confNames).toContain(name);
  });

  test('GIVEN a TTL or a token region WHEN rendered THEN both are passed through', () => {
    expect(awsVaultSettings('${Token[AWS.Region.12]}', { ttlSeconds: 0 })).toEqual({
      vault_aws_region: '${Token[AWS.Region.12]}',
      vault_aws_ttl: '0',
    });
  });

  test('GIVEN a bad region or TTL WHEN rendered THEN they are refused', () => {
    expectKongError(() => awsVaultSettings('Ireland'), /^awsVaultSettings\.region: not an AWS region/);
    expectKongError(() => awsVaultSettings('eu-west-1', { ttlSeconds: -1 }), /^awsVaultSettings\.ttlSeconds: /);
  });
});

describe('rateLimitingAdvancedPlugin', () => {
  test('GIVEN limits and Redis WHEN built THEN counters go to Redis over verified TLS with a vault password', () => {
    expect(rateLimitingAdvancedPlugin({ redis, limits: [100, 5000], windowSizes: [60, 3600] })).toEqual({
      name: 'rate-limiting-advanced',
      config: {
        strategy: 'redis',
        redis: {
          host: REDIS_HOST,
          port: 6379,
          password: REDIS_AUTH,
          ssl: true,
          ssl_verify: true,
          server_name: REDIS_HOST,
        },
        sync_rate: 1,
        limit: [100, 5000],
        window_size: [60, 3600],
        window_type: 'sliding',
        identifier: 'consumer',
        namespace: 'kong-fleet',
      },
    });
  });

  test('GIVEN a literal password WHEN built THEN it is refused without echoing it', () => {
    const error = errorOf(() =>
      rateLimitingAdvancedPlugin({
        redis: { ...redis, passwordReference: 'hunter2-literal' },
        limits: [1],
        windowSizes: [1],
      }),
    );
    expect(error.message).toMatch(
      /^rateLimitingAdvancedPlugin\.redis\.passwordReference: must be a Kong vault reference/,
    );
    expect(error.message).not.toContain('hunter2');
  });

  test('GIVEN mismatched windows, a bad sync rate or a bad host WHEN built THEN they are refused', () => {
    expectKongError(
      () => rateLimitingAdvancedPlugin({ redis, limits: [1, 2], windowSizes: [60] }),
      /\.windowSizes: needs one window per limit/,
    );
    expectKongError(
      () => rateLimitingAdvancedPlugin({ redis, limits: [1], windowSizes: [60], syncRateSeconds: 0.01 }),
      /\.syncRateSeconds: /,
    );
    expectKongError(
      () => rateLimitingAdvancedPlugin({ redis: { ...redis, host: 'redis://x' }, limits: [1], windowSizes: [60] }),
      /\.redis\.host: not a host name/,
    );
  });
});

describe('proxyCacheAdvancedPlugin', () => {
  test('GIVEN Redis WHEN built THEN entries go to Redis, vary per bearer token and bypass on Redis errors', () => {
    expect(proxyCacheAdvancedPlugin({ redis, tags: ['kong-fleet'] })).toEqual({
      name: 'proxy-cache-advanced',
      tags: ['kong-fleet'],
      config: {
        strategy: 'redis',
        redis: {
          host: REDIS_HOST,
          port: 6379,
          password: REDIS_AUTH,
          ssl: true,
          ssl_verify: true,
          server_name: REDIS_HOST,
        },
        cache_ttl: 300,
        content_type: ['application/json'],
        vary_headers: ['authorization'],
        bypass_on_err: true,
      },
    });
  });

  test('GIVEN a literal password or a bad tag WHEN built THEN it is refused', () => {
    expectKongError(
      () => proxyCacheAdvancedPlugin({ redis: { ...redis, passwordReference: 's3cret' } }),
      /^proxyCacheAdvancedPlugin\.redis\.passwordReference: /,
    );
    expectKongError(() => proxyCacheAdvancedPlugin({ redis, tags: ['a,b'] }), /\.tags: not a list of Kong tags/);
  });
});

describe('openidConnectPlugin', () => {
  test('GIVEN a Cognito pool WHEN built THEN only header bearer JWTs with the scope are accepted, no aud check', () => {
    expect(openidConnectPlugin({ issuer: ISSUER, scopesRequired: ['orders/read'] })).toEqual({
      name: 'openid-connect',
      config: {
        issuer: ISSUER,
        auth_methods: ['bearer'],
        bearer_token_param_type: ['header'],
        scopes_claim: ['scope'],
        scopes_required: ['orders/read'],
        verify_signature: true,
        verify_claims: true,
        ssl_verify: true,
      },
    });
  });

  test('GIVEN allowed clients and a client secret WHEN built THEN client_id is the audience claim and arrays hold the client', () => {
    const { config } = openidConnectPlugin({
      issuer: ISSUER,
      scopesRequired: ['orders/read orders/write'],
      allowedClientIds: ['4abc', '5def'],
      clientId: '4abc',
      clientSecretReference: OIDC_SECRET,
    });
    expect(config).toMatchObject({
      audience_claim: ['client_id'],
      audience_required: ['4abc', '5def'],
      client_id: ['4abc'],
      client_secret: [OIDC_SECRET],
    });
    expect(config.auth_methods).toEqual(['bearer']);
  });

  test('GIVEN a literal secret, no scopes, a secret without client or an http issuer WHEN built THEN each is refused', () => {
    expectKongError(
      () => openidConnectPlugin({ issuer: ISSUER, scopesRequired: ['a'], clientId: 'x', clientSecretReference: 'abc' }),
      /\.clientSecretReference: must be a Kong vault reference/,
    );
    expectKongError(() => openidConnectPlugin({ issuer: ISSUER, scopesRequired: [] }), /\.scopesRequired: /);
    expectKongError(
      () => openidConnectPlugin({ issuer: ISSUER, scopesRequired: ['a'], clientSecretReference: OIDC_SECRET }),
      /\.clientId: required with clientSecretReference/,
    );
    expectKongError(
      () => openidConnectPlugin({ issuer: 'http://cognito.example', scopesRequired: ['a'] }),
      /\.issuer: not an https issuer URL/,
    );
  });
});

describe('prometheusPlugin', () => {
  test('GIVEN no options WHEN built THEN the per-request metrics are on and per-consumer labels off', () => {
    expect(prometheusPlugin()).toEqual({
      name: 'prometheus',
      config: {
        per_consumer: false,
        status_code_metrics: true,
        latency_metrics: true,
        bandwidth_metrics: true,
        upstream_health_metrics: true,
      },
    });
    expect(prometheusPlugin({ perConsumer: true, bandwidthMetrics: false, enabled: false })).toMatchObject({
      enabled: false,
      config: { per_consumer: true, bandwidth_metrics: false },
    });
  });
});

describe('renderDeckFile', () => {
  const plugins = (): KongPlugin[] => [
    rateLimitingAdvancedPlugin({ redis, limits: [100], windowSizes: [60], identifier: 'credential' }),
    proxyCacheAdvancedPlugin({ redis }),
    openidConnectPlugin({
      issuer: ISSUER,
      scopesRequired: ['orders/read'],
      clientId: '4abc',
      clientSecretReference: OIDC_SECRET,
    }),
    prometheusPlugin({ tags: ['metrics'] }),
  ];
  const text = renderDeckFile(plugins(), {
    comment: ['Generated by kong-fleet for fleet prod, eu-west-1.', '', 'deck gateway sync kong-fleet-plugins.yaml'],
    selectTags: ['kong-fleet-prod'],
  });
  const parsed = parseYaml(text) as any;

  test('GIVEN plugins WHEN rendered THEN the comment heads a decK 3.0 file with select tags on every plugin', () => {
    expect(text.split('\n').slice(0, 3)).toEqual([
      '# Generated by kong-fleet for fleet prod, eu-west-1.',
      '#',
      '# deck gateway sync kong-fleet-plugins.yaml',
    ]);
    expect(parsed._format_version).toBe('3.0');
    expect(parsed._info).toEqual({ select_tags: ['kong-fleet-prod'] });
    expect(parsed.plugins.map((p: any) => p.name)).toEqual([
      'rate-limiting-advanced',
      'proxy-cache-advanced',
      'openid-connect',
      'prometheus',
    ]);
    expect(parsed.plugins[3].tags).toEqual(['metrics', 'kong-fleet-prod']);
    for (const p of parsed.plugins) expect(p).not.toHaveProperty('service');
    expect(parsed.plugins[2].config).toEqual(plugins()[2].config);
  });

  test('GIVEN the rendered file WHEN every secret field is read back THEN each is an AWS vault reference', () => {
    const secrets: string[] = [];
    const walk = (value: unknown, field: string): void => {
      if (typeof value === 'string' && /password|secret/i.test(field)) secrets.push(value);
      else if (Array.isArray(value)) value.forEach((v) => walk(v, field));
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, k);
    };
    walk(parsed, '');
    expect(secrets).toEqual([REDIS_AUTH, REDIS_AUTH, OIDC_SECRET]);
    for (const s of secrets) expect(s).toMatch(/^\{vault:\/\/aws\/[^{}]+\}$/);
    expect(secrets.every(isVaultReference)).toBe(true);
  });

  test('GIVEN a hand-made plugin with a literal secret or a duplicate WHEN rendered THEN it is refused', () => {
    const leaky: KongPlugin = { name: 'openid-connect', config: { issuer: ISSUER, client_secret: ['plain-text'] } };
    expectKongError(
      () => renderDeckFile([leaky], { comment: [] }),
      /^renderDeckFile\.plugins\[0\]\.config\.client_secret\[0\]: must be a Kong vault reference/,
    );
    expectKongError(
      () => renderDeckFile([prometheusPlugin(), prometheusPlugin()], { comment: [] }),
      /plugin prometheus given twice/,
    );
    expectKongError(() => renderDeckFile([], { comment: ['two\nlines'] }), /\.comment: not a list of single lines/);
  });
});
