import { stringify } from 'yaml';
import { KongFleetError } from './errors';
import { isPlainObject } from './merge';
import { isDnsName, isIpLiteral, isUnresolvedToken, isValidPort } from './net';
import { isVaultReference } from './vault';

/*
 * Global Kong plugins in decK / declarative-config shape. Every field below was checked against
 * Kong's published plugin schemas for Kong Gateway Enterprise 3.4, 3.7–3.15
 * (https://developer.konghq.com/plugins/<name>/reference/, generated from
 * app/_schemas/gateway/plugins/<version>/*.json in Kong/developer.konghq.com) and, for prometheus,
 * against kong/plugins/prometheus/schema.lua in Kong/kong. Fields whose default changed across 3.x
 * (Redis `ssl_verify`, openid-connect `ssl_verify`: false before 3.14) are set explicitly.
 */

/** A plugin entry of a decK file (global: no service, route or consumer). */
export interface KongPlugin {
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly enabled?: boolean;
  readonly tags?: string[];
}

/** Options every builder takes. */
export interface KongPluginCommonOptions {
  /** @default - Kong's default (enabled) */
  readonly enabled?: boolean;
  /** Kong tags (printable text without `,` or `/`). @default - no tags */
  readonly tags?: string[];
}

/**
 * The Redis (ElastiCache) a plugin connects to: always over TLS with certificate verification
 * (the node's `lua_ssl_trusted_certificate` must include the system CAs, Kong's default `system`).
 */
export interface KongRedisConnection {
  /** Primary endpoint address; also the TLS server name. */
  readonly host: string;
  readonly port: number;
  /** The AUTH token as a Kong vault reference (`{vault://aws/...}`, see awsVaultReference). Never a literal. */
  readonly passwordReference: string;
}

/** An `identifier` of rate-limiting-advanced that needs no further settings. */
export type RateLimitIdentifier = 'consumer' | 'credential' | 'ip' | 'service';

export interface RateLimitingAdvancedOptions extends KongPluginCommonOptions {
  readonly redis: KongRedisConnection;
  /** Requests allowed per window, one per entry of `windowSizes` (`config.limit`). */
  readonly limits: number[];
  /** Window lengths in seconds, one per entry of `limits` (`config.window_size`). */
  readonly windowSizes: number[];
  /**
   * Seconds between counter syncs with Redis (`config.sync_rate`). `0` counts synchronously
   * (exact, one Redis round trip per request); `n` lets each node batch counts for `n` seconds, so
   * the fleet may overshoot by up to `n` seconds of traffic. Kong's minimum above 0 is 0.02.
   * @default 1
   */
  readonly syncRateSeconds?: number;
  /**
   * What is counted: `credential` counts per OAuth client when openid-connect maps no consumer
   * (its `credential_claim`, `sub` by default, is the client id in Cognito client-credentials tokens).
   * @default 'consumer'
   */
  readonly identifier?: RateLimitIdentifier;
  /** @default 'sliding' */
  readonly windowType?: 'sliding' | 'fixed';
  /**
   * Counter namespace. Set explicitly because decK would otherwise regenerate it on every sync
   * (required up to 3.9). Plugin instances sharing a namespace must share the Redis settings.
   * @default 'kong-fleet'
   */
  readonly namespace?: string;
}

// Source: https://developer.konghq.com/plugins/rate-limiting-advanced/reference/
/**
 * Enterprise `rate-limiting-advanced` with counters in Redis (`strategy: redis`, the strategy for
 * hybrid mode: `cluster` is not supported there). Fields valid from Kong 3.4; the Redis record
 * used here (`host`, `port`, `password`, `ssl`, `ssl_verify`, `server_name`) is unchanged 3.4–3.15.
 */
export function rateLimitingAdvancedPlugin(
  options: RateLimitingAdvancedOptions,
  where = 'rateLimitingAdvancedPlugin',
): KongPlugin {
  const { limits, windowSizes } = options;
  if (!Array.isArray(limits) || limits.length === 0 || !limits.every((n) => Number.isInteger(n) && n > 0)) {
    throw new KongFleetError(`${where}.limits`, 'not a list of request limits', {
      got: limits,
      expected: 'one or more whole numbers > 0',
    });
  }
  if (
    !Array.isArray(windowSizes) ||
    windowSizes.length !== limits.length ||
    !windowSizes.every((n) => Number.isInteger(n) && n > 0)
  ) {
    throw new KongFleetError(`${where}.windowSizes`, 'needs one window per limit', {
      got: windowSizes,
      expected: `${limits.length} whole number(s) of seconds > 0`,
    });
  }
  const syncRate = options.syncRateSeconds ?? 1;
  if (typeof syncRate !== 'number' || !Number.isFinite(syncRate) || !(syncRate === 0 || syncRate >= 0.02)) {
    throw new KongFleetError(`${where}.syncRateSeconds`, 'not a sync interval Kong accepts with Redis', {
      got: syncRate,
      expected: '0 (synchronous) or a number of seconds ≥ 0.02',
    });
  }
  const identifier = options.identifier ?? 'consumer';
  if (!['consumer', 'credential', 'ip', 'service'].includes(identifier)) {
    throw new KongFleetError(`${where}.identifier`, 'not a supported identifier', {
      got: identifier,
      expected: 'consumer, credential, ip or service',
    });
  }
  const windowType = options.windowType ?? 'sliding';
  if (windowType !== 'sliding' && windowType !== 'fixed') {
    throw new KongFleetError(`${where}.windowType`, 'not a window type', {
      got: windowType,
      expected: 'sliding or fixed',
    });
  }
  const namespace = options.namespace ?? 'kong-fleet';
  if (typeof namespace !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(namespace)) {
    throw new KongFleetError(`${where}.namespace`, 'not a namespace', {
      got: namespace,
      expected: 'letters, digits and . _ - (at most 64)',
    });
  }
  return plugin(
    'rate-limiting-advanced',
    {
      strategy: 'redis',
      redis: redisRecord(options.redis, `${where}.redis`),
      sync_rate: syncRate,
      limit: [...limits],
      window_size: [...windowSizes],
      window_type: windowType,
      identifier,
      namespace,
    },
    options,
    where,
  );
}

export interface ProxyCacheAdvancedOptions extends KongPluginCommonOptions {
  readonly redis: KongRedisConnection;
  /** Seconds a cached response is served (`config.cache_ttl`). @default 300 */
  readonly cacheTtlSeconds?: number;
  /**
   * Request headers that are part of the cache key (`config.vary_headers`). Kong's key holds the
   * consumer but not the credential, so with token authentication and no consumer mapping every
   * caller would share entries: the default keeps entries per bearer token. `[]` shares them.
   * Source: https://developer.konghq.com/plugins/proxy-cache-advanced/#cache-key
   * @default ['authorization']
   */
  readonly varyHeaders?: string[];
  /** Cacheable response content types, exact match (`config.content_type`). @default ['application/json'] */
  readonly contentTypes?: string[];
  /**
   * Serve from upstream when Redis fails instead of failing the request (`config.bypass_on_err`):
   * the cache is an optimisation, not a dependency.
   * @default true
   */
  readonly bypassOnError?: boolean;
}

// Source: https://developer.konghq.com/plugins/proxy-cache-advanced/reference/
/**
 * Enterprise `proxy-cache-advanced` with entries in Redis (`strategy: redis`). Fields valid from
 * Kong 3.4; the Redis record is the same as rate-limiting-advanced's.
 */
export function proxyCacheAdvancedPlugin(
  options: ProxyCacheAdvancedOptions,
  where = 'proxyCacheAdvancedPlugin',
): KongPlugin {
  const ttl = options.cacheTtlSeconds ?? 300;
  if (!Number.isInteger(ttl) || ttl <= 0) {
    throw new KongFleetError(`${where}.cacheTtlSeconds`, 'not a cache lifetime', {
      got: ttl,
      expected: 'a whole number of seconds > 0',
    });
  }
  const varyHeaders = options.varyHeaders ?? ['authorization'];
  if (
    !Array.isArray(varyHeaders) ||
    !varyHeaders.every((h) => typeof h === 'string' && /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h))
  ) {
    throw new KongFleetError(`${where}.varyHeaders`, 'not a list of header names', { got: varyHeaders });
  }
  const contentTypes = options.contentTypes ?? ['application/json'];
  if (
    !Array.isArray(contentTypes) ||
    contentTypes.length === 0 ||
    !contentTypes.every((t) => typeof t === 'string' && t.includes('/'))
  ) {
    throw new KongFleetError(`${where}.contentTypes`, 'not a list of content types', {
      got: contentTypes,
      expected: 'one or more media types such as application/json',
    });
  }
  return plugin(
    'proxy-cache-advanced',
    {
      strategy: 'redis',
      redis: redisRecord(options.redis, `${where}.redis`),
      cache_ttl: ttl,
      content_type: [...contentTypes],
      vary_headers: varyHeaders.map((h) => h.toLowerCase()),
      bypass_on_err: options.bypassOnError ?? true,
    },
    options,
    where,
  );
}

export interface OpenidConnectOptions extends KongPluginCommonOptions {
  /** OIDC issuer, `https://cognito-idp.<region>.amazonaws.com/<user pool id>` (discovery is read from it). */
  readonly issuer: string;
  /**
   * Scopes a token must carry (`config.scopes_required`, read from the `scope` claim): any one
   * entry suffices; scopes in one entry separated by a space are all required. Required because
   * with no `aud` check, the scope is what tells access tokens for this API apart (Cognito ID
   * tokens of the same pool carry no `scope`).
   */
  readonly scopesRequired: string[];
  /**
   * App clients whose tokens are accepted, matched against the token's `client_id` claim
   * (`audience_claim: [client_id]` + `audience_required`).
   * @default - any client of the user pool holding a required scope
   */
  readonly allowedClientIds?: string[];
  /**
   * Kong's own OAuth client (`config.client_id[0]`), literal id or vault reference. Verifying
   * bearer JWTs needs no client; set it only for features that call the token or introspection
   * endpoint. @default - none
   */
  readonly clientId?: string;
  /** The client's secret as a vault reference (`config.client_secret[0]`); needs `clientId`. @default - none */
  readonly clientSecretReference?: string;
}

// Source: https://developer.konghq.com/plugins/openid-connect/reference/
/**
 * Enterprise `openid-connect` as an OAuth 2.0 resource server for machine-to-machine callers of a
 * Cognito user pool: callers obtain tokens from Cognito's token endpoint (client-credentials grant)
 * and send them as `Authorization: Bearer`; Kong verifies signature (JWKS from discovery), `iss`,
 * `exp`, `nbf`/`iat` when present, and the required scopes. Fields valid from Kong 3.4.
 *
 * - `auth_methods: [bearer]` only. Kong's `client_credentials` method would make callers send
 *   their client id and secret to the gateway for Kong to exchange — a second holder of every
 *   secret and a token-endpoint call on each cache miss — and it cannot serve several clients
 *   (https://developer.konghq.com/plugins/openid-connect/#multiple-clients).
 * - Bearer tokens are read from the header only, never from query strings or bodies (logs).
 * - Cognito access tokens have no `aud` (they carry `client_id`). Kong verifies `aud` only for ID
 *   tokens: for access tokens `verify_claims` checks `iss`, `exp`, `nbf`, `iat`, and audience is
 *   enforced only through `audience_required`, read from `audience_claim` — here `client_id`.
 *   Sources: reference above (`audience_claim`, `audience_required`, `verify_claims`); Kong's
 *   openid-connect library, kong/openid-connect/token.lua `token:verify` (default claim list per
 *   token type).
 */
export function openidConnectPlugin(options: OpenidConnectOptions, where = 'openidConnectPlugin'): KongPlugin {
  const { issuer, scopesRequired, allowedClientIds, clientId, clientSecretReference } = options;
  if (typeof issuer !== 'string' || (!isUnresolvedToken(issuer) && !/^https:\/\/[^\s/]+(\/\S*)?$/.test(issuer))) {
    throw new KongFleetError(`${where}.issuer`, 'not an https issuer URL', {
      got: issuer,
      expected: 'https://cognito-idp.<region>.amazonaws.com/<user pool id>',
    });
  }
  const SCOPE_SET = /^[\x21-\x7e]+( [\x21-\x7e]+)*$/;
  if (
    !Array.isArray(scopesRequired) ||
    scopesRequired.length === 0 ||
    !scopesRequired.every((s) => typeof s === 'string' && SCOPE_SET.test(s))
  ) {
    throw new KongFleetError(`${where}.scopesRequired`, 'needs at least one scope', {
      got: scopesRequired,
      expected: "entries like 'orders/read' or 'orders/read orders/write' (space = all of)",
    });
  }
  if (
    allowedClientIds !== undefined &&
    (!Array.isArray(allowedClientIds) ||
      allowedClientIds.length === 0 ||
      !allowedClientIds.every((c) => typeof c === 'string' && /^[\x21-\x7e]+$/.test(c)))
  ) {
    throw new KongFleetError(`${where}.allowedClientIds`, 'not a list of app client ids', { got: allowedClientIds });
  }
  if (clientId !== undefined && (typeof clientId !== 'string' || !/^[\x21-\x7e]+$/.test(clientId))) {
    throw new KongFleetError(`${where}.clientId`, 'not a client id', { got: clientId });
  }
  if (clientSecretReference !== undefined) {
    requireVaultReference(clientSecretReference, `${where}.clientSecretReference`);
    if (clientId === undefined) {
      throw new KongFleetError(`${where}.clientId`, 'required with clientSecretReference', {
        got: clientId,
        expected: "the app client's id (or a vault reference to it)",
      });
    }
  }
  return plugin(
    'openid-connect',
    {
      issuer,
      auth_methods: ['bearer'],
      bearer_token_param_type: ['header'],
      scopes_claim: ['scope'],
      scopes_required: [...scopesRequired],
      ...(allowedClientIds ? { audience_claim: ['client_id'], audience_required: [...allowedClientIds] } : {}),
      ...(clientId !== undefined ? { client_id: [clientId] } : {}),
      ...(clientSecretReference !== undefined ? { client_secret: [clientSecretReference] } : {}),
      verify_signature: true,
      verify_claims: true,
      ssl_verify: true,
    },
    options,
    where,
  );
}

export interface PrometheusOptions extends KongPluginCommonOptions {
  /** `config.status_code_metrics` (`kong_http_requests_total`). @default true */
  readonly statusCodeMetrics?: boolean;
  /** `config.latency_metrics` (`kong_kong_latency_ms`, `kong_upstream_latency_ms`, `kong_request_latency_ms`). @default true */
  readonly latencyMetrics?: boolean;
  /** `config.bandwidth_metrics` (`kong_bandwidth_bytes`). @default true */
  readonly bandwidthMetrics?: boolean;
  /** `config.upstream_health_metrics` (`kong_upstream_target_health`). @default true */
  readonly upstreamHealthMetrics?: boolean;
  /** `config.per_consumer`: a consumer label on request and bandwidth metrics (one series per consumer). @default false */
  readonly perConsumer?: boolean;
}

// Source: https://github.com/Kong/kong/blob/master/kong/plugins/prometheus/schema.lua
// and https://developer.konghq.com/plugins/prometheus/reference/
/**
 * `prometheus` with the per-request metric switches (all five exist since Kong 3.0; each defaults
 * to false in Kong). Metrics are served on the Status API's `/metrics`.
 */
export function prometheusPlugin(options: PrometheusOptions = {}, where = 'prometheusPlugin'): KongPlugin {
  const switches: Array<[keyof PrometheusOptions, string, boolean]> = [
    ['perConsumer', 'per_consumer', false],
    ['statusCodeMetrics', 'status_code_metrics', true],
    ['latencyMetrics', 'latency_metrics', true],
    ['bandwidthMetrics', 'bandwidth_metrics', true],
    ['upstreamHealthMetrics', 'upstream_health_metrics', true],
  ];
  const config: Record<string, boolean> = {};
  for (const [option, field, fallback] of switches) {
    const value = options[option] ?? fallback;
    if (typeof value !== 'boolean') {
      throw new KongFleetError(`${where}.${option}`, 'not a boolean', { got: value });
    }
    config[field] = value;
  }
  return plugin('prometheus', config, options, where);
}

export interface DeckFileOptions {
  /** Lines written as `# ` comments at the top (what the file is, how it was made). */
  readonly comment: string[];
  /**
   * decK select tags (`_info.select_tags`): decK then manages only entities carrying all of them.
   * They are also added to every plugin's tags.
   * @default - none: the file owns the whole configuration
   */
  readonly selectTags?: string[];
}

/**
 * A decK file (`_format_version: "3.0"`) with the given global plugins. Refuses a plugin name given
 * twice (Kong allows one global instance per plugin) and any literal value in a field whose name
 * says it holds a secret (`*password`, `*secret`): those must be vault references.
 */
export function renderDeckFile(plugins: KongPlugin[], options: DeckFileOptions, where = 'renderDeckFile'): string {
  if (!Array.isArray(options.comment) || options.comment.some((l) => typeof l !== 'string' || /[\r\n]/.test(l))) {
    throw new KongFleetError(`${where}.comment`, 'not a list of single lines', { got: options.comment });
  }
  const selectTags = options.selectTags;
  if (selectTags !== undefined) {
    checkTags(selectTags, `${where}.selectTags`);
    if (selectTags.length === 0 || selectTags.length > 5) {
      throw new KongFleetError(`${where}.selectTags`, 'decK takes 1 to 5 select tags', { got: selectTags });
    }
  }
  const seen = new Set<string>();
  const entries = plugins.map((p, i) => {
    if (seen.has(p.name)) {
      throw new KongFleetError(
        `${where}.plugins[${i}]`,
        `plugin ${p.name} given twice (one global instance per plugin)`,
        {
          got: p.name,
        },
      );
    }
    seen.add(p.name);
    assertNoLiteralSecrets(p.config, `${where}.plugins[${i}].config`);
    const tags = [...new Set([...(p.tags ?? []), ...(selectTags ?? [])])];
    return {
      name: p.name,
      ...(p.enabled !== undefined ? { enabled: p.enabled } : {}),
      ...(tags.length > 0 ? { tags } : {}),
      config: p.config,
    };
  });
  const document = {
    _format_version: '3.0',
    ...(selectTags ? { _info: { select_tags: [...selectTags] } } : {}),
    plugins: entries,
  };
  const header = options.comment.map((line) => (line.length > 0 ? `# ${line}` : '#')).join('\n');
  const body = stringify(document, { lineWidth: 0 });
  return header.length > 0 ? `${header}\n${body}` : body;
}

function plugin(
  name: string,
  config: Record<string, unknown>,
  common: KongPluginCommonOptions,
  where: string,
): KongPlugin {
  if (common.enabled !== undefined && typeof common.enabled !== 'boolean') {
    throw new KongFleetError(`${where}.enabled`, 'not a boolean', { got: common.enabled });
  }
  if (common.tags !== undefined) checkTags(common.tags, `${where}.tags`);
  return {
    name,
    config,
    ...(common.enabled !== undefined ? { enabled: common.enabled } : {}),
    ...(common.tags !== undefined ? { tags: [...common.tags] } : {}),
  };
}

function redisRecord(redis: KongRedisConnection, where: string): Record<string, unknown> {
  if (!isPlainObject(redis)) {
    throw new KongFleetError(where, 'Redis connection missing', { expected: '{ host, port, passwordReference }' });
  }
  const { host, port, passwordReference } = redis;
  if (typeof host !== 'string' || (!isUnresolvedToken(host) && !isDnsName(host) && !isIpLiteral(host))) {
    throw new KongFleetError(`${where}.host`, 'not a host name', {
      got: host,
      expected: 'the primary endpoint address',
    });
  }
  if (!isValidPort(port)) {
    throw new KongFleetError(`${where}.port`, 'not a TCP port', { got: port, expected: '1-65535' });
  }
  requireVaultReference(passwordReference, `${where}.passwordReference`);
  return {
    host,
    port,
    password: passwordReference,
    ssl: true,
    ssl_verify: true,
    server_name: host,
  };
}

function requireVaultReference(value: unknown, where: string): void {
  if (!isVaultReference(value)) {
    throw new KongFleetError(where, 'must be a Kong vault reference, never a literal secret', {
      got: typeof value === 'string' ? `${value.length} characters, not shown` : value,
      expected: '{vault://aws/<secret name>[/<key>]} (see awsVaultReference)',
    });
  }
}

function checkTags(tags: unknown, where: string): void {
  // Kong's typedefs.tag: printable ASCII except `,` and `/`, or UTF-8 (kong/db/schema/typedefs.lua).
  if (!Array.isArray(tags) || !tags.every((t) => typeof t === 'string' && /^[^\x00-\x1f\x7f,/]+$/.test(t))) {
    throw new KongFleetError(where, 'not a list of Kong tags', {
      got: tags,
      expected: 'printable text without , or /',
    });
  }
}

// Field names Kong uses for secrets: password, sentinel_password, client_secret, session_secret…
const SECRET_FIELD = /(password|secret)$/i;

function assertNoLiteralSecrets(value: unknown, where: string, field = ''): void {
  if (typeof value === 'string') {
    if (SECRET_FIELD.test(field) && !isVaultReference(value)) requireVaultReference(value, where);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => assertNoLiteralSecrets(item, `${where}[${i}]`, field));
  } else if (isPlainObject(value)) {
    for (const [key, child] of Object.entries(value)) assertNoLiteralSecrets(child, `${where}.${key}`, key);
  }
}
