import { KongFleetError } from './errors';
import { isUnresolvedToken } from './net';

/**
 * Kong's AWS Secrets Manager vault. `aws` is the bundled vault's name, so `{vault://aws/...}`
 * resolves with the node's `vault_aws_*` settings and no Vault entity (which a data plane could
 * not hold anyway: it has no database).
 * Source: https://developer.konghq.com/gateway/entities/vault/aws/
 */
export const KONG_AWS_VAULT_PREFIX = 'aws';

// Characters Secrets Manager allows in a secret name, except `+`: Kong decodes reference paths with
// ngx.unescape_uri, which turns `+` into a space (and `%2B` is decoded twice, so it becomes a space
// too). Source: kong/pdk/vault.lua parse_reference (Kong/kong); lua-nginx-module ngx.unescape_uri.
const SECRET_NAME_CHARS = /^[A-Za-z0-9/_=.@-]+$/;
const SECRET_NAME_MAX_LENGTH = 512;
// A JSON key is the last path segment of a reference: no `/`, and nothing Kong would URL-decode.
const JSON_KEY = /^[A-Za-z0-9_.-]+$/;
const TOKEN = /\$\{Token\[[^\]]*\]\}/g;
// Commercial, GovCloud (us-gov-west-1), China (cn-north-1), ISO partitions (us-iso-east-1).
const AWS_REGION = /^[a-z]{2}(-[a-z]+)+-[0-9]+$/;
// Kong's own test: `{vault://` … `}` (kong/pdk/vault.lua is_reference), plus a non-empty vault and path.
const VAULT_REFERENCE = /^\{vault:\/\/[^/{}\s]+\/[^{}\s]+\}$/;

/** True when `value` is a Kong vault reference (`{vault://<vault>/<path>}`). */
export function isVaultReference(value: unknown): value is string {
  return typeof value === 'string' && VAULT_REFERENCE.test(value);
}

/**
 * Kong's reference to a secret in AWS Secrets Manager: `{vault://aws/<secretName>}` for a
 * plain-string secret, `{vault://aws/<secretName>/<key>}` for one key of a JSON secret.
 *
 * Kong splits the reference path at `/` and takes the last segment as the JSON key, so a name such
 * as `kong-fleet/prod/eu-west-1/redis-auth` written as is would be read as secret
 * `kong-fleet/prod/eu-west-1`, key `redis-auth`. Every `/` of the name is therefore written
 * URL-encoded (`%2F`): Kong decodes each path segment, so the name reaches Secrets Manager intact,
 * on every Kong 3.x (a trailing `/` also marks "no key", but only since 3.8.0.0 Enterprise).
 * Sources: https://developer.konghq.com/gateway/entities/vault/ (FAQ: secret names with `/`),
 * kong/pdk/vault.lua parse_reference and spec/01-unit/23-vaults_spec.lua (Kong/kong).
 *
 * CDK tokens may be part of the name (e.g. `Aws.REGION`); only the literal parts are checked and
 * encoded, so a token must not resolve to text containing `/`.
 */
export function awsVaultReference(secretName: string, key?: string, where = 'awsVaultReference'): string {
  const literal = typeof secretName === 'string' ? secretName.replace(TOKEN, '') : '';
  if (typeof secretName !== 'string' || secretName.length === 0 || !SECRET_NAME_CHARS.test(literal || 'x')) {
    throw new KongFleetError(`${where}.secretName`, 'not a Secrets Manager secret name Kong can reference', {
      got: secretName,
      expected: "letters, digits and / _ = . @ - ('+' is decoded to a space by Kong; no ARNs)",
    });
  }
  if (!isUnresolvedToken(secretName) && secretName.length > SECRET_NAME_MAX_LENGTH) {
    throw new KongFleetError(`${where}.secretName`, 'secret name too long', {
      got: secretName,
      expected: `at most ${SECRET_NAME_MAX_LENGTH} characters`,
    });
  }
  if (key !== undefined && (typeof key !== 'string' || !JSON_KEY.test(key))) {
    throw new KongFleetError(`${where}.key`, 'not a JSON key Kong can reference', {
      got: key,
      expected: 'a non-empty key of letters, digits and _ . -',
    });
  }
  const path = secretName.replace(/\//g, '%2F');
  return key === undefined
    ? `{vault://${KONG_AWS_VAULT_PREFIX}/${path}}`
    : `{vault://${KONG_AWS_VAULT_PREFIX}/${path}/${key}}`;
}

export interface AwsVaultSettingsOptions {
  /**
   * How long a node caches a secret before reading it again (`vault_aws_ttl`), so a rotated
   * secret (Redis AUTH token, client secret) reaches running nodes without a restart. When Secrets
   * Manager cannot be reached, Kong keeps serving the last value (`vault_aws_resurrect_ttl` unset).
   * `0` is Kong's default: cache until restart.
   * @default 300
   */
  readonly ttlSeconds?: number;
}

/**
 * The kong.conf settings a node needs to resolve `{vault://aws/...}` references with its runtime's
 * IAM role: Kong looks for credentials in the environment, the shared profile, the ECS container
 * credentials endpoint (task role), EKS IRSA, then EC2 instance metadata, so no key is configured.
 * The role needs `secretsmanager:GetSecretValue` on the secrets (and `kms:Decrypt` for
 * customer-managed keys). Names checked against kong-conf-ee-3.15.json.
 * Source: https://developer.konghq.com/gateway/entities/vault/aws/
 */
export function awsVaultSettings(
  region: string,
  options: AwsVaultSettingsOptions = {},
  where = 'awsVaultSettings',
): Record<string, string> {
  if (typeof region !== 'string' || (!isUnresolvedToken(region) && !AWS_REGION.test(region))) {
    throw new KongFleetError(`${where}.region`, 'not an AWS region', { got: region, expected: 'e.g. eu-west-1' });
  }
  const ttl = options.ttlSeconds ?? 300;
  if (!Number.isInteger(ttl) || ttl < 0) {
    throw new KongFleetError(`${where}.ttlSeconds`, 'not a cache lifetime', {
      got: ttl,
      expected: 'a whole number of seconds ≥ 0',
    });
  }
  return { vault_aws_region: region, vault_aws_ttl: String(ttl) };
}
