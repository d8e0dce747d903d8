import { ClusterMtlsMode, KONG_SHARED_SERVER_NAME } from './certificate-profile';
import { KongFleetError } from './errors';
import { checkKonnectEndpoints, KONNECT_TRUSTED_CERTIFICATE } from './konnect';
import { isPlainObject } from './merge';
import { formatHostPort, isDnsName, isIpLiteral, isUnresolvedToken, isValidPort } from './net';
import { KONG_PORTS } from './ports';
import { DEFAULT_KONG_VERSION, parseKongVersion } from './version';

/** A value Kong reads that is secret: resolved by each runtime (k8s secretKeyRef, ECS secret, file fetched at boot). */
export interface SecretRef {
  /** Name of the secret in the runtime's store (Kubernetes Secret, Secrets Manager secret). */
  readonly secretName: string;
  /** Key inside the secret (JSON key, Kubernetes data key). */
  readonly key: string;
}

/** A setting's value: literal text, or a reference to a secret. */
export type KongValue = string | SecretRef;

export function isSecretRef(v: unknown): v is SecretRef {
  return isPlainObject(v) && typeof v.secretName === 'string' && typeof v.key === 'string';
}

/** Shorthand for a SecretRef. */
export function secretRef(secretName: string, key: string): SecretRef {
  return { secretName, key };
}

/** One entry of a `*_listen` setting. */
export interface ListenAddress {
  /**
   * IPv4 or IPv6 literal to bind.
   * @default '0.0.0.0'
   */
  readonly address?: string;
  readonly port: number;
  /** @default false */
  readonly ssl?: boolean;
  /** @default false */
  readonly http2?: boolean;
  /** Further nginx listen flags Kong accepts: `proxy_protocol`, `reuseport`, `backlog=16384`, `deferred`, `bind`, `ipv6only=on|off`, `so_keepalive=…`. */
  readonly parameters?: string[];
}

/** A host and port a data plane connects to. */
export interface Endpoint {
  /** DNS name or IP address, without scheme, port or path. */
  readonly host: string;
  readonly port: number;
}

export function endpoint(host: string, port: number): Endpoint {
  return { host, port };
}

/**
 * A CA bundle Kong trusts for its database connection. Runtimes fetch it from `url` before Kong or
 * its migrations start (EKS: an init container into an emptyDir; EC2: the boot script) and Kong
 * reads it from `path` (`lua_ssl_trusted_certificate`, after `system`).
 */
export interface TrustedCaBundle {
  /** Absolute path of the PEM bundle on the node, in a directory of its own (EKS mounts the directory). */
  readonly path: string;
  /** `https://` URL of the PEM bundle, e.g. {@link rdsCaBundleUrl} of the database's region. */
  readonly url: string;
}

/**
 * The region's Amazon RDS CA bundle (root and intermediate CAs of every RDS CA in the region). RDS
 * server certificates do not chain to the system trust store, so verifying them needs this bundle.
 * Commercial partition only: GovCloud and China publish their bundles under other hosts.
 * Source: https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/UsingWithRDS.SSL.html
 * ("Certificate bundles for specific AWS Regions").
 */
export function rdsCaBundleUrl(region: string): string {
  return `https://truststore.pki.rds.amazonaws.com/${region}/${region}-bundle.pem`;
}

/** First Kong Gateway (Enterprise) version with `pg_iam_auth` (developer.konghq.com/gateway/amazon-rds-authentication-with-aws-iam, min_version 3.3). */
export const PG_IAM_AUTH_MIN_VERSION = { major: 3, minor: 3 } as const;
/** `pg_iam_auth_assume_role_arn`, `_role_session_name`, `_sts_endpoint_url` came with 3.8 (same page, "new in 3.8"). */
const PG_IAM_AUTH_ASSUME_ROLE_MIN_VERSION = { major: 3, minor: 8 } as const;
const PG_IAM_AUTH_ASSUME_ROLE_SETTINGS = [
  'pg_iam_auth_assume_role_arn',
  'pg_iam_auth_role_session_name',
  'pg_iam_auth_sts_endpoint_url',
] as const;

export interface PostgresSettings {
  /** With `iamAuth`, the RDS endpoint itself: Kong signs for the region it reads from `<region>.rds.amazonaws.com`. */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** @default 'kong' */
  readonly database?: string;
  /** With `iamAuth`, the database user granted `rds_iam`. */
  readonly user: KongValue;
  /** Required unless `iamAuth` (or the older `extra.pg_iam_auth: 'on'`); refused with `iamAuth`. */
  readonly password?: KongValue;
  /** TLS to the database (`pg_ssl` + `pg_ssl_required`). @default true */
  readonly ssl?: boolean;
  /**
   * Verify the server certificate against `lua_ssl_trusted_certificate` (see `trustedCa`).
   * @default false, true with `iamAuth`
   */
  readonly sslVerify?: boolean;
  /**
   * Amazon RDS IAM authentication (Kong Gateway Enterprise 3.3+ `pg_iam_auth`): Kong signs a
   * 15-minute token with the node's AWS credentials (IRSA, task role or instance role) instead of
   * sending a password, so no password is configured anywhere. Needs TLS; the read-only connection
   * (`pg_ro_iam_auth`) follows `pg_iam_auth` by default.
   * @default false
   */
  readonly iamAuth?: boolean;
  /**
   * CA bundle of the database's server certificate (for RDS: {@link rdsCaBundleUrl}), added to
   * `lua_ssl_trusted_certificate` after `system` (or after `extra.lua_ssl_trusted_certificate`).
   * @default - none: Kong verifies against `lua_ssl_trusted_certificate` as configured
   */
  readonly trustedCa?: TrustedCaBundle;
}

export type KongRole = 'control_plane' | 'data_plane';
export type KongDatabaseMode = 'postgres' | 'off';

export interface KongHybridConfig {
  readonly role: KongRole;
  /** Kong Gateway version, validated with parseKongVersion. */
  readonly version: string;
  readonly database: KongDatabaseMode;
  /** Required iff database === 'postgres'. */
  readonly postgres?: PostgresSettings;
  readonly clusterMtls: ClusterMtlsMode;
  /** Path, PEM text (or base64 PEM), or SecretRef. */
  readonly clusterCert: KongValue;
  readonly clusterCertKey: KongValue;
  /** Required for pki. */
  readonly clusterCaCert?: KongValue;
  /** CP only; required on CP. */
  readonly clusterListen?: ListenAddress;
  /** CP only; required on CP (Enterprise). */
  readonly clusterTelemetryListen?: ListenAddress;
  /** DP only; required on DP. */
  readonly clusterControlPlane?: Endpoint;
  /** DP only; required on DP. */
  readonly clusterTelemetryEndpoint?: Endpoint;
  /** DP only. */
  readonly clusterServerName?: string;
  /** DP only. */
  readonly clusterTelemetryServerName?: string;
  /** DP only; CP renders proxy_listen=off. */
  readonly proxyListen?: ListenAddress[];
  /** CP only; DP renders admin_listen=off. */
  readonly adminListen?: ListenAddress[];
  /** CP only (Kong Manager); DP renders admin_gui_listen=off. */
  readonly adminGuiListen?: ListenAddress[];
  /** Both. */
  readonly statusListen?: ListenAddress;
  /** Enterprise license JSON (normally a SecretRef). Passed as env KONG_LICENSE_DATA, not kong.conf. */
  readonly license?: KongValue;
  /** DP only → cluster_dp_labels "k:v,k2:v2". */
  readonly dpLabels?: Record<string, string>;
  /**
   * DP only: the control plane is hosted by Kong Konnect (`konnect_mode = on`). Needs pki mode
   * without a `cluster_ca_cert` (Konnect's certificate chains to a public CA, verified through
   * `lua_ssl_trusted_certificate = system`) and Konnect endpoints on 443.
   */
  readonly konnectMode?: boolean;
  /** Free-form kong.conf settings (lower-case names). */
  readonly extra?: Record<string, KongValue>;
}

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

interface CommonConfigProps {
  /** Kong Gateway version. @default DEFAULT_KONG_VERSION */
  readonly version?: string;
  /** @default 'shared' (Kong's default) */
  readonly clusterMtls?: ClusterMtlsMode;
  /** Cluster certificate: path, PEM text (or base64 PEM), or SecretRef. */
  readonly clusterCert: KongValue;
  readonly clusterCertKey: KongValue;
  /** CA that issued the cluster certificates. @default none — required when clusterMtls is 'pki' */
  readonly clusterCaCert?: KongValue;
  /** @default 0.0.0.0:8100 */
  readonly statusListen?: ListenAddress;
  /** Enterprise license JSON. @default none — Kong runs in free mode */
  readonly license?: KongValue;
  /** Further kong.conf settings (lower-case names). @default none */
  readonly extra?: Record<string, KongValue>;
}

export interface ControlPlaneConfigProps extends CommonConfigProps {
  readonly postgres: PostgresSettings;
  /** @default 0.0.0.0:8005 */
  readonly clusterListen?: ListenAddress;
  /** @default 0.0.0.0:8006 */
  readonly clusterTelemetryListen?: ListenAddress;
  /** @default [0.0.0.0:8444 ssl http2] */
  readonly adminListen?: ListenAddress[];
  /** Kong Manager; `[]` turns it off. @default [0.0.0.0:8445 ssl] */
  readonly adminGuiListen?: ListenAddress[];
}

export interface DataPlaneConfigProps extends CommonConfigProps {
  /** Where the CP's cluster listener is reached (Kong's default port: 8005). */
  readonly clusterControlPlane: Endpoint;
  /** @default the clusterControlPlane host on port 8006 */
  readonly clusterTelemetryEndpoint?: Endpoint;
  /** pki only: SNI sent to the CP; must match a CN/SAN of the CP certificate. @default Kong uses the clusterControlPlane host */
  readonly clusterServerName?: string;
  /** pki only: SNI sent to the telemetry endpoint. @default Kong uses the clusterTelemetryEndpoint host */
  readonly clusterTelemetryServerName?: string;
  /** @default [0.0.0.0:8000, 0.0.0.0:8443 ssl http2] */
  readonly proxyListen?: ListenAddress[];
  /** @default none */
  readonly dpLabels?: Record<string, string>;
  /**
   * The control plane is hosted by Kong Konnect: `konnect_mode = on`, the system trust store, no CA.
   * @default false
   */
  readonly konnectMode?: boolean;
}

/** A control plane configuration with Kong's and this library's defaults filled in; validated. */
export function controlPlaneConfig(props: ControlPlaneConfigProps, where = 'controlPlane'): KongHybridConfig {
  const config: KongHybridConfig = withoutUndefined({
    role: 'control_plane',
    version: props.version ?? DEFAULT_KONG_VERSION,
    database: 'postgres',
    postgres: props.postgres,
    clusterMtls: props.clusterMtls ?? 'shared',
    clusterCert: props.clusterCert,
    clusterCertKey: props.clusterCertKey,
    clusterCaCert: props.clusterCaCert,
    clusterListen: props.clusterListen ?? { address: '0.0.0.0', port: KONG_PORTS.cluster },
    clusterTelemetryListen: props.clusterTelemetryListen ?? { address: '0.0.0.0', port: KONG_PORTS.clusterTelemetry },
    adminListen: props.adminListen ?? [{ address: '0.0.0.0', port: KONG_PORTS.adminHttps, ssl: true, http2: true }],
    adminGuiListen: props.adminGuiListen ?? [{ address: '0.0.0.0', port: KONG_PORTS.managerHttps, ssl: true }],
    statusListen: props.statusListen ?? { address: '0.0.0.0', port: KONG_PORTS.status },
    license: props.license,
    extra: props.extra,
  });
  validateKongConfig(config, where);
  return config;
}

/** A data plane configuration with Kong's and this library's defaults filled in; validated. */
export function dataPlaneConfig(props: DataPlaneConfigProps, where = 'dataPlane'): KongHybridConfig {
  const cp = props.clusterControlPlane;
  const config: KongHybridConfig = withoutUndefined({
    role: 'data_plane',
    version: props.version ?? DEFAULT_KONG_VERSION,
    database: 'off',
    clusterMtls: props.clusterMtls ?? 'shared',
    clusterCert: props.clusterCert,
    clusterCertKey: props.clusterCertKey,
    clusterCaCert: props.clusterCaCert,
    clusterControlPlane: cp,
    clusterTelemetryEndpoint:
      props.clusterTelemetryEndpoint ?? (cp ? { host: cp.host, port: KONG_PORTS.clusterTelemetry } : undefined),
    clusterServerName: props.clusterServerName,
    clusterTelemetryServerName: props.clusterTelemetryServerName,
    proxyListen: props.proxyListen ?? [
      { address: '0.0.0.0', port: KONG_PORTS.proxyHttp },
      { address: '0.0.0.0', port: KONG_PORTS.proxyHttps, ssl: true, http2: true },
    ],
    statusListen: props.statusListen ?? { address: '0.0.0.0', port: KONG_PORTS.status },
    license: props.license,
    dpLabels: props.dpLabels,
    konnectMode: props.konnectMode === undefined || props.konnectMode === false ? undefined : props.konnectMode,
    extra: props.extra,
  });
  validateKongConfig(config, where);
  return config;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/** kong.conf settings the model renders itself; `extra` must not set them. */
export const MODEL_OWNED_SETTINGS: ReadonlySet<string> = new Set([
  'role',
  'database',
  'pg_host',
  'pg_port',
  'pg_database',
  'pg_user',
  'pg_password',
  'pg_ssl',
  'pg_ssl_required',
  'pg_ssl_verify',
  'cluster_mtls',
  'cluster_cert',
  'cluster_cert_key',
  'cluster_ca_cert',
  'cluster_listen',
  'cluster_telemetry_listen',
  'cluster_control_plane',
  'cluster_telemetry_endpoint',
  'cluster_server_name',
  'cluster_telemetry_server_name',
  'cluster_dp_labels',
  'konnect_mode',
  'proxy_listen',
  'admin_listen',
  'admin_gui_listen',
  'status_listen',
  // Not kong.conf properties but KONG_* env names the license is passed through.
  'license_data',
  'license_path',
]);

/**
 * kong.conf settings the model renders when a field asks for them and `extra` may also set, as long
 * as the two agree: `pg_iam_auth` (`postgres.iamAuth`; `extra.pg_iam_auth: 'on'` is the older way to
 * ask for it) and `lua_ssl_trusted_certificate` (`postgres.trustedCa` is appended to the extra list).
 */
export const MODEL_MERGED_SETTINGS: ReadonlySet<string> = new Set(['pg_iam_auth', 'lua_ssl_trusted_certificate']);

const CP_ONLY_FIELDS = [
  'postgres',
  'clusterListen',
  'clusterTelemetryListen',
  'adminListen',
  'adminGuiListen',
] as const;
const DP_ONLY_FIELDS = [
  'clusterControlPlane',
  'clusterTelemetryEndpoint',
  'clusterServerName',
  'clusterTelemetryServerName',
  'proxyListen',
  'dpLabels',
  'konnectMode',
] as const;

const KNOWN_FIELDS: ReadonlySet<string> = new Set([
  'role',
  'version',
  'database',
  'postgres',
  'clusterMtls',
  'clusterCert',
  'clusterCertKey',
  'clusterCaCert',
  ...CP_ONLY_FIELDS,
  ...DP_ONLY_FIELDS,
  'statusListen',
  'license',
  'extra',
]);

const SETTING_NAME = /^[a-z][a-z0-9_]*$/;
// Kong's labels (conf_loader/parse.lua, AIP-129), matched case-insensitively there too.
const LABEL_PATTERN = /^[a-z0-9](?:[\w.:-]*[a-z0-9])?$/i;
const LABEL_RESERVED_PREFIX = /^(kong|konnect|insomnia|mesh|kic)/i;
const LABEL_MAX_LENGTH = 63;
const LABEL_MAX_COUNT = 10;
// Listen flags Kong accepts for http listeners (conf_loader/listeners.lua), besides ssl/http2.
const LISTEN_PARAMETER =
  /^(proxy_protocol|deferred|bind|reuseport|backlog=\d+|ipv6only=(on|off)|so_keepalive=(on|off|\w*:\w*:\d*))$/;

/** Throws a KongFleetError naming the field (`${where}.field`) for the first rule the config breaks. */
export function validateKongConfig(config: KongHybridConfig, where = 'kong'): void {
  const at = (field: string) => `${where}.${field}`;
  if (!isPlainObject(config)) {
    throw new KongFleetError(where, 'Kong configuration must be an object', { got: config });
  }
  const role = config.role;
  if (role !== 'control_plane' && role !== 'data_plane') {
    throw new KongFleetError(at('role'), 'unknown hybrid-mode role', {
      got: role,
      expected: "'control_plane' or 'data_plane'",
    });
  }
  const isCp = role === 'control_plane';
  for (const field of Object.keys(config)) {
    if (!KNOWN_FIELDS.has(field)) {
      throw new KongFleetError(at(field), 'unknown field', { got: field, expected: [...KNOWN_FIELDS].join(', ') });
    }
  }
  parseKongVersion(config.version, at('version'));

  const database = config.database;
  if (database !== 'postgres' && database !== 'off') {
    throw new KongFleetError(at('database'), 'unknown database', { got: database, expected: "'postgres' or 'off'" });
  }
  if (isCp && database === 'off') {
    throw new KongFleetError(
      at('database'),
      'a control plane needs a database (Kong refuses in-memory storage on a CP)',
      {
        got: database,
        expected: "'postgres'",
      },
    );
  }
  if (!isCp && database !== 'off') {
    throw new KongFleetError(at('database'), 'a data plane runs without a database (Kong: only in-memory storage)', {
      got: database,
      expected: "'off'",
    });
  }

  for (const field of isCp ? DP_ONLY_FIELDS : CP_ONLY_FIELDS) {
    if (config[field] !== undefined) {
      const [owner, other] = isCp ? ['data planes', 'control plane'] : ['control planes', 'data plane'];
      throw new KongFleetError(at(field), `applies to ${owner} only; remove it from this ${other}`, {
        got: config[field],
      });
    }
  }

  if (database === 'postgres') {
    if (config.postgres === undefined) {
      throw new KongFleetError(at('postgres'), "required when database is 'postgres'", {
        got: undefined,
        expected: 'PostgresSettings with host, user and password',
      });
    }
    checkPostgres(config.postgres, at('postgres'), config.extra, config.version);
  }

  const mtls = config.clusterMtls;
  if (mtls !== 'shared' && mtls !== 'pki') {
    throw new KongFleetError(at('clusterMtls'), 'unknown cluster mTLS mode', {
      got: mtls,
      expected: "'shared' or 'pki'",
    });
  }
  checkValue(config.clusterCert, at('clusterCert'), 'a certificate path, PEM text or SecretRef');
  checkValue(config.clusterCertKey, at('clusterCertKey'), 'a key path, PEM text or SecretRef');
  const konnect = config.konnectMode;
  if (konnect !== undefined && typeof konnect !== 'boolean') {
    throw new KongFleetError(at('konnectMode'), 'must be true or false', { got: konnect });
  }
  if (konnect === true) {
    checkKonnect(config, where);
  } else if (config.clusterCaCert !== undefined) {
    checkValue(config.clusterCaCert, at('clusterCaCert'), 'a CA certificate path, PEM text or SecretRef');
  } else if (mtls === 'pki') {
    throw new KongFleetError(
      at('clusterCaCert'),
      "required when clusterMtls is 'pki' (peers are verified against it)",
      {
        got: undefined,
        expected: 'a CA certificate path, PEM text or SecretRef',
      },
    );
  }

  const listeners: Array<[string, ListenAddress]> = [];
  if (isCp) {
    listeners.push([at('clusterListen'), requireListen(config.clusterListen, at('clusterListen'), 'cluster_listen')]);
    listeners.push([
      at('clusterTelemetryListen'),
      requireListen(config.clusterTelemetryListen, at('clusterTelemetryListen'), 'cluster_telemetry_listen'),
    ]);
    listeners.push(...listenList(config.adminListen, at('adminListen'), true));
    listeners.push(...listenList(config.adminGuiListen, at('adminGuiListen'), false));
  } else {
    listeners.push(...listenList(config.proxyListen, at('proxyListen'), true));
    checkEndpoint(config.clusterControlPlane, at('clusterControlPlane'));
    checkEndpoint(config.clusterTelemetryEndpoint, at('clusterTelemetryEndpoint'));
    checkServerName(config.clusterServerName, at('clusterServerName'), mtls);
    checkServerName(config.clusterTelemetryServerName, at('clusterTelemetryServerName'), mtls);
    if (config.dpLabels !== undefined) checkLabels(config.dpLabels, at('dpLabels'));
    if (konnect === true) checkKonnectNames(config, where);
  }
  if (config.statusListen !== undefined) {
    checkListen(config.statusListen, at('statusListen'));
    listeners.push([at('statusListen'), config.statusListen]);
  }
  checkPortClashes(listeners);

  if (config.license !== undefined) {
    checkValue(config.license, at('license'), 'the license JSON or a SecretRef to it');
  }
  if (config.extra !== undefined) checkExtra(config.extra, at('extra'));
}

/**
 * Konnect mode (DP only, checked before the role-specific fields): pki without a CA of our own —
 * Konnect's certificate chains to a public CA, which Kong finds in the system trust store — and a
 * `lua_ssl_trusted_certificate` that keeps `system`.
 */
function checkKonnect(config: KongHybridConfig, where: string): void {
  const at = (field: string) => `${where}.${field}`;
  if (config.role !== 'data_plane') {
    throw new KongFleetError(at('konnectMode'), 'applies to data planes only; Konnect hosts the control plane', {
      got: true,
    });
  }
  if (config.clusterMtls !== 'pki') {
    throw new KongFleetError(at('clusterMtls'), 'Konnect data planes authenticate with their own certificate (pki)', {
      got: config.clusterMtls,
      expected: "'pki'",
    });
  }
  if (config.clusterCaCert !== undefined) {
    throw new KongFleetError(
      at('clusterCaCert'),
      "Konnect's certificate chains to a public CA (lua_ssl_trusted_certificate = system); a cluster_ca_cert would make the data plane refuse it",
      {
        got: isSecretRef(config.clusterCaCert) ? `SecretRef ${config.clusterCaCert.secretName}` : 'a CA',
        expected: 'no CA',
      },
    );
  }
  const listed = config.extra?.lua_ssl_trusted_certificate;
  if (listed !== undefined) {
    const entries = typeof listed === 'string' ? listed.split(',').map((e) => e.trim()) : [];
    if (!entries.includes(KONNECT_TRUSTED_CERTIFICATE)) {
      throw new KongFleetError(
        at('extra.lua_ssl_trusted_certificate'),
        `must keep ${KONNECT_TRUSTED_CERTIFICATE}: it verifies Konnect's certificate`,
        {
          got: typeof listed === 'string' ? listed : 'a SecretRef',
          expected: `a comma-separated list that includes ${KONNECT_TRUSTED_CERTIFICATE}`,
        },
      );
    }
  }
}

/** Konnect endpoints on 443, and server names (when given) equal to their hosts. */
function checkKonnectNames(config: KongHybridConfig, where: string): void {
  const cp = config.clusterControlPlane!;
  const tp = config.clusterTelemetryEndpoint!;
  checkKonnectEndpoints(cp, tp, where);
  const pairs: Array<[string | undefined, string, string]> = [
    [config.clusterServerName, cp.host, 'clusterServerName'],
    [config.clusterTelemetryServerName, tp.host, 'clusterTelemetryServerName'],
  ];
  for (const [name, host, field] of pairs) {
    if (name !== undefined && !isUnresolvedToken(name) && !isUnresolvedToken(host) && name !== host) {
      throw new KongFleetError(
        `${where}.${field}`,
        "must be the Konnect host it connects to (the name in Konnect's certificate)",
        {
          got: name,
          expected: host,
        },
      );
    }
  }
}

function checkPostgres(
  pg: PostgresSettings,
  where: string,
  extra: Record<string, KongValue> | undefined,
  version: string,
): void {
  if (!isPlainObject(pg)) throw new KongFleetError(where, 'must be an object', { got: pg });
  checkHost(pg.host, `${where}.host`);
  if (pg.port !== undefined) checkPort(pg.port, `${where}.port`);
  const dbName = pg.database;
  if (
    dbName !== undefined &&
    !(typeof dbName === 'string' && (isUnresolvedToken(dbName) || /^[A-Za-z_][A-Za-z0-9_$]*$/.test(dbName)))
  ) {
    throw new KongFleetError(`${where}.database`, 'not a PostgreSQL database name', {
      got: pg.database,
      expected: 'letters, digits, _ and $, not starting with a digit',
    });
  }
  checkValue(pg.user, `${where}.user`, 'a user name or SecretRef');
  for (const flag of ['ssl', 'sslVerify', 'iamAuth'] as const) {
    if (pg[flag] !== undefined && typeof pg[flag] !== 'boolean') {
      throw new KongFleetError(`${where}.${flag}`, 'must be true or false', { got: pg[flag] });
    }
  }
  if (pg.iamAuth === true) {
    checkIamAuth(pg, where, extra, version);
  } else {
    const iamAuth = extra?.pg_iam_auth === 'on';
    if (pg.password !== undefined) {
      checkValue(pg.password, `${where}.password`, 'a password SecretRef (or text)');
    } else if (!iamAuth) {
      throw new KongFleetError(`${where}.password`, "required unless extra.pg_iam_auth is 'on' (or iamAuth is true)", {
        got: undefined,
        expected: 'a SecretRef to the database password',
      });
    }
    if (iamAuth && pg.ssl === false) {
      throw new KongFleetError(`${where}.ssl`, 'RDS IAM authentication (pg_iam_auth) needs TLS to the database', {
        got: false,
        expected: 'true',
      });
    }
    const assumeRole = PG_IAM_AUTH_ASSUME_ROLE_SETTINGS.find((name) => extra?.[name] !== undefined);
    if (assumeRole !== undefined && !iamAuth) {
      throw new KongFleetError(
        `${where.replace(/postgres$/, 'extra')}.${assumeRole}`,
        'Kong reads it only with RDS IAM authentication',
        {
          got: assumeRole,
          expected: 'postgres.iamAuth: true',
        },
      );
    }
  }
  if (pg.trustedCa !== undefined) checkTrustedCa(pg.trustedCa, `${where}.trustedCa`, extra);
}

/** The rules of `iamAuth: true`; the older `extra.pg_iam_auth` path keeps its own, looser ones. */
function checkIamAuth(
  pg: PostgresSettings,
  where: string,
  extra: Record<string, KongValue> | undefined,
  version: string,
): void {
  const extraWhere = where.replace(/postgres$/, 'extra');
  const v = parseKongVersion(version, `${where}.iamAuth`);
  if (!atLeast(v, PG_IAM_AUTH_MIN_VERSION)) {
    throw new KongFleetError(
      `${where}.iamAuth`,
      'RDS IAM authentication (pg_iam_auth) came with Kong Gateway Enterprise 3.3',
      {
        got: version,
        expected: `a version ≥ ${PG_IAM_AUTH_MIN_VERSION.major}.${PG_IAM_AUTH_MIN_VERSION.minor}`,
      },
    );
  }
  if (pg.password !== undefined) {
    // Never echo the value: it may be a literal password.
    throw new KongFleetError(
      `${where}.password`,
      'RDS IAM authentication signs a token instead of a password (Kong ignores pg_password); leave it out so no password is configured',
      {
        got: isSecretRef(pg.password) ? `SecretRef ${pg.password.secretName}` : '(a password)',
        expected: 'no password',
      },
    );
  }
  if (pg.ssl === false) {
    throw new KongFleetError(`${where}.ssl`, 'RDS IAM authentication (pg_iam_auth) needs TLS to the database', {
      got: false,
      expected: 'true',
    });
  }
  const extraFlag = extra?.pg_iam_auth;
  if (extraFlag !== undefined && extraFlag !== 'on') {
    throw new KongFleetError(`${extraWhere}.pg_iam_auth`, 'contradicts postgres.iamAuth', {
      got: extraFlag,
      expected: "'on' or nothing",
    });
  }
  for (const name of PG_IAM_AUTH_ASSUME_ROLE_SETTINGS) {
    if (extra?.[name] !== undefined && !atLeast(v, PG_IAM_AUTH_ASSUME_ROLE_MIN_VERSION)) {
      throw new KongFleetError(
        `${extraWhere}.${name}`,
        'assuming a role for RDS IAM authentication came with Kong 3.8',
        {
          got: version,
          expected: 'a version ≥ 3.8',
        },
      );
    }
  }
  // Kong derives the signing region from pg_host (iam_token_handler.lua matches
  // `<region>.rds.amazonaws.com` and the other partitions' suffixes): a CNAME in front of RDS fails.
  if (typeof pg.host === 'string' && !isUnresolvedToken(pg.host) && !RDS_ENDPOINT.test(pg.host)) {
    throw new KongFleetError(`${where}.host`, 'Kong signs IAM tokens for the region in the RDS endpoint name', {
      got: pg.host,
      expected: 'the RDS endpoint, <name>.<id>.<region>.rds.amazonaws.com',
    });
  }
  const verify = pg.sslVerify ?? true;
  if (verify && pg.trustedCa === undefined && extra?.lua_ssl_trusted_certificate === undefined) {
    throw new KongFleetError(
      `${where}.trustedCa`,
      'Amazon RDS certificates do not chain to the system trust store: Kong could not verify the database (pg_ssl_verify)',
      { got: undefined, expected: "the region's RDS CA bundle (rdsCaBundleUrl) or extra.lua_ssl_trusted_certificate" },
    );
  }
}

// RDS endpoints in every partition Kong knows (commercial, China, GovCloud, ISO, ISO-B).
const RDS_ENDPOINT = /\.[a-z]{2}(-[a-z]+)+-\d+\.rds\.(amazonaws\.com(\.cn)?|c2s\.ic\.gov|sc2s\.sgov\.gov)$/;

function atLeast(v: { major: number; minor: number }, min: { major: number; minor: number }): boolean {
  return v.major > min.major || (v.major === min.major && v.minor >= min.minor);
}

function checkTrustedCa(ca: TrustedCaBundle, where: string, extra: Record<string, KongValue> | undefined): void {
  if (!isPlainObject(ca)) throw new KongFleetError(where, 'must be { path, url }', { got: ca });
  const path = ca.path;
  if (typeof path !== 'string' || !/^(\/[A-Za-z0-9._-]+){2,}$/.test(path) || path.split('/').includes('..')) {
    throw new KongFleetError(`${where}.path`, 'not an absolute file path in a directory of its own', {
      got: path,
      expected: 'e.g. /etc/kong-fleet/postgres-ca/ca-bundle.pem (letters, digits, ., _ and -)',
    });
  }
  const url = ca.url;
  if (typeof url !== 'string' || !/^https:\/\/[^\s'"`$\\]+$/.test(url.replace(/\$\{Token\[[^\]]+\]\}/g, 'token'))) {
    throw new KongFleetError(`${where}.url`, 'the CA bundle must be fetched over HTTPS', {
      got: url,
      expected: 'an https:// URL such as rdsCaBundleUrl(region)',
    });
  }
  const listed = extra?.lua_ssl_trusted_certificate;
  if (listed !== undefined && typeof listed !== 'string') {
    throw new KongFleetError(
      `${where.replace(/postgres\.trustedCa$/, 'extra')}.lua_ssl_trusted_certificate`,
      'cannot add postgres.trustedCa to a value read from a secret',
      { got: listed, expected: 'a comma-separated list of CA files (or `system`)' },
    );
  }
}

function checkValue(value: unknown, where: string, expected: string): void {
  if (isSecretRef(value)) {
    if (value.secretName.trim() === '') {
      throw new KongFleetError(`${where}.secretName`, 'empty secret name', {
        got: value.secretName,
        expected: 'a name',
      });
    }
    if (value.key.trim() === '') {
      throw new KongFleetError(`${where}.key`, 'empty secret key', { got: value.key, expected: 'a key' });
    }
    return;
  }
  if (typeof value !== 'string' || value.trim() === '') {
    throw new KongFleetError(where, 'missing or empty value', { got: value, expected });
  }
}

function checkPort(port: unknown, where: string): void {
  if (!isValidPort(port)) {
    throw new KongFleetError(where, 'not a TCP port', { got: port, expected: 'an integer from 1 to 65535' });
  }
}

function requireListen(listen: ListenAddress | undefined, where: string, setting: string): ListenAddress {
  if (listen === undefined) {
    throw new KongFleetError(where, `a control plane needs ${setting}`, {
      got: undefined,
      expected: 'a ListenAddress such as { port: 8005 }',
    });
  }
  checkListen(listen, where);
  return listen;
}

function listenList(
  list: ListenAddress[] | undefined,
  where: string,
  required: boolean,
): Array<[string, ListenAddress]> {
  if (list === undefined || (Array.isArray(list) && list.length === 0)) {
    if (!required) return [];
    throw new KongFleetError(where, 'at least one listener is required for this role (Kong refuses "off" here)', {
      got: list,
      expected: 'a non-empty list of ListenAddress',
    });
  }
  if (!Array.isArray(list)) throw new KongFleetError(where, 'must be a list', { got: list });
  return list.map((listen, i) => {
    checkListen(listen, `${where}[${i}]`);
    return [`${where}[${i}]`, listen];
  });
}

function checkListen(listen: ListenAddress, where: string): void {
  if (!isPlainObject(listen)) throw new KongFleetError(where, 'must be a ListenAddress object', { got: listen });
  checkPort(listen.port, `${where}.port`);
  const address = listen.address;
  if (address !== undefined && !(typeof address === 'string' && (isUnresolvedToken(address) || isIpLiteral(address)))) {
    throw new KongFleetError(`${where}.address`, 'not an IP address to bind', {
      got: address,
      expected: "an IPv4/IPv6 literal such as '0.0.0.0', '127.0.0.1' or '::'",
    });
  }
  const seen = new Set<string>();
  (listen.parameters ?? []).forEach((parameter, i) => {
    const path = `${where}.parameters[${i}]`;
    if (parameter === 'ssl' || parameter === 'http2') {
      throw new KongFleetError(path, `use the typed flag ${parameter}: true instead`, { got: parameter });
    }
    if (typeof parameter !== 'string' || !LISTEN_PARAMETER.test(parameter)) {
      throw new KongFleetError(path, 'not a listen flag Kong accepts', {
        got: parameter,
        expected: 'proxy_protocol, deferred, bind, reuseport, backlog=<n>, ipv6only=on|off or so_keepalive=…',
      });
    }
    if (seen.has(parameter)) throw new KongFleetError(path, 'duplicate listen flag', { got: parameter });
    seen.add(parameter);
  });
}

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

function checkPortClashes(listeners: Array<[string, ListenAddress]>): void {
  for (let i = 0; i < listeners.length; i++) {
    for (let j = 0; j < i; j++) {
      const [path, a] = listeners[i];
      const [otherPath, b] = listeners[j];
      const addrA = a.address ?? '0.0.0.0';
      const addrB = b.address ?? '0.0.0.0';
      const overlap = addrA === addrB || WILDCARDS.has(addrA) || WILDCARDS.has(addrB);
      if (a.port === b.port && overlap) {
        throw new KongFleetError(`${path}.port`, `port already used by ${otherPath} on this node`, {
          got: a.port,
          expected: 'a distinct port per listener',
        });
      }
    }
  }
}

function checkHost(host: unknown, where: string): void {
  const expected = 'a DNS name or IP address such as cp.example.com (no scheme, port or path)';
  if (typeof host !== 'string' || host === '') throw new KongFleetError(where, 'missing host', { got: host, expected });
  if (isUnresolvedToken(host)) return;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) {
    throw new KongFleetError(where, 'host must not include a scheme', { got: host, expected });
  }
  if (host.includes('/')) throw new KongFleetError(where, 'host must not include a path', { got: host, expected });
  if (isIpLiteral(host)) return;
  if (/:\d+$/.test(host)) {
    throw new KongFleetError(where, 'host must not include a port; give it in port', { got: host, expected });
  }
  if (!isDnsName(host)) throw new KongFleetError(where, 'not a valid host name', { got: host, expected });
}

function checkEndpoint(ep: Endpoint | undefined, where: string): void {
  if (ep === undefined) {
    throw new KongFleetError(where, 'a data plane needs this endpoint of the control plane', {
      got: undefined,
      expected: "an Endpoint such as endpoint('cp.example.com', 8005)",
    });
  }
  if (!isPlainObject(ep)) throw new KongFleetError(where, 'must be an Endpoint { host, port }', { got: ep });
  checkHost(ep.host, `${where}.host`);
  checkPort(ep.port, `${where}.port`);
}

function checkServerName(name: string | undefined, where: string, mtls: ClusterMtlsMode): void {
  if (name === undefined) return;
  if (typeof name === 'string' && isUnresolvedToken(name)) return;
  if (mtls === 'shared') {
    if (name !== KONG_SHARED_SERVER_NAME) {
      throw new KongFleetError(
        where,
        `in shared mode Kong ignores this and always sends SNI ${KONG_SHARED_SERVER_NAME}; use clusterMtls 'pki' to send a server name`,
        { got: name, expected: `nothing, or '${KONG_SHARED_SERVER_NAME}'` },
      );
    }
    return;
  }
  if (typeof name !== 'string' || isIpLiteral(name) || !isDnsName(name)) {
    throw new KongFleetError(where, 'not a TLS server name', {
      got: name,
      expected: 'a DNS name matching a CN/SAN of the control plane certificate',
    });
  }
}

function checkLabels(labels: Record<string, string>, where: string): void {
  if (!isPlainObject(labels)) throw new KongFleetError(where, 'must be an object of key: value', { got: labels });
  const entries = Object.entries(labels);
  if (entries.length > LABEL_MAX_COUNT) {
    throw new KongFleetError(where, 'too many data plane labels', {
      got: entries.length,
      expected: `at most ${LABEL_MAX_COUNT}`,
    });
  }
  const rule = `1–${LABEL_MAX_LENGTH} characters: letters, digits, '_', '.', '-' and ':' inside, starting and ending with a letter or digit`;
  for (const [key, value] of entries) {
    const path = `${where}.${key}`;
    if (
      key.length === 0 ||
      key.length > LABEL_MAX_LENGTH ||
      key.includes(':') ||
      !LABEL_PATTERN.test(key) ||
      LABEL_RESERVED_PREFIX.test(key)
    ) {
      throw new KongFleetError(path, 'invalid data plane label key', {
        got: key,
        expected: `${rule.replace(" and ':'", '')}; not starting with kong, konnect, insomnia, mesh or kic`,
      });
    }
    if (typeof value === 'string' && isUnresolvedToken(value)) continue;
    if (typeof value !== 'string' || value.length > LABEL_MAX_LENGTH || !LABEL_PATTERN.test(value)) {
      throw new KongFleetError(path, 'invalid data plane label value', { got: value, expected: rule });
    }
  }
}

function checkExtra(extra: Record<string, KongValue>, where: string): void {
  if (!isPlainObject(extra)) throw new KongFleetError(where, 'must be an object of setting: value', { got: extra });
  for (const [name, value] of Object.entries(extra)) {
    const path = `${where}.${name}`;
    if (!SETTING_NAME.test(name)) {
      throw new KongFleetError(path, 'not a kong.conf setting name', {
        got: name,
        expected: 'a lower-case kong.conf name such as nginx_worker_processes',
      });
    }
    if (MODEL_OWNED_SETTINGS.has(name)) {
      throw new KongFleetError(path, 'this setting is owned by the typed configuration; use its field instead', {
        got: name,
        expected: 'a setting the model does not render',
      });
    }
    if (!isSecretRef(value) && typeof value !== 'string') {
      throw new KongFleetError(path, 'value must be a string or a SecretRef', { got: value });
    }
    if (isSecretRef(value)) checkValue(value, path, 'a SecretRef');
  }
}

// ---------------------------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------------------------

/** Kong's `*_listen` syntax: `0.0.0.0:8443 ssl http2 reuseport`. */
export function renderListen(listen: ListenAddress): string {
  const flags = [listen.ssl ? 'ssl' : '', listen.http2 ? 'http2' : '', ...(listen.parameters ?? [])].filter(Boolean);
  return [formatHostPort(listen.address ?? '0.0.0.0', listen.port), ...flags].join(' ');
}

/** A comma-separated listen list, or `off` when empty. */
export function renderListenList(list: readonly ListenAddress[] | undefined): string {
  return list && list.length > 0 ? list.map(renderListen).join(', ') : 'off';
}

const onOff = (flag: boolean): string => (flag ? 'on' : 'off');

/**
 * The configuration as kong.conf settings (lower-case names, stable order). The license is not
 * a kong.conf property (Kong reads env KONG_LICENSE_DATA) and is left out; renderers add it.
 */
export function toKongSettings(config: KongHybridConfig, where = 'kong'): Map<string, KongValue> {
  validateKongConfig(config, where);
  const s = new Map<string, KongValue>();
  const isCp = config.role === 'control_plane';
  s.set('role', config.role);
  s.set('database', config.database);
  const pg = config.postgres;
  const merged = new Set<string>();
  if (pg) {
    const iamAuth = pg.iamAuth === true;
    const ssl = pg.ssl ?? true;
    s.set('pg_host', pg.host);
    s.set('pg_port', String(pg.port ?? 5432));
    s.set('pg_database', pg.database ?? 'kong');
    s.set('pg_user', pg.user);
    if (pg.password !== undefined) s.set('pg_password', pg.password);
    if (iamAuth) {
      s.set('pg_iam_auth', 'on');
      merged.add('pg_iam_auth');
    }
    s.set('pg_ssl', onOff(ssl));
    if (ssl) s.set('pg_ssl_required', 'on');
    s.set('pg_ssl_verify', onOff(pg.sslVerify ?? iamAuth));
    if (pg.trustedCa !== undefined) {
      s.set(
        'lua_ssl_trusted_certificate',
        trustedCertificates(pg.trustedCa, config.extra?.lua_ssl_trusted_certificate),
      );
      merged.add('lua_ssl_trusted_certificate');
    }
  }
  s.set('cluster_mtls', config.clusterMtls);
  if (config.konnectMode === true) {
    s.set('konnect_mode', 'on');
    // Konnect's certificate is verified against the system trust store; the user's list (which
    // validation made sure keeps `system`) wins.
    const listed = config.extra?.lua_ssl_trusted_certificate;
    s.set('lua_ssl_trusted_certificate', typeof listed === 'string' ? listed : KONNECT_TRUSTED_CERTIFICATE);
    merged.add('lua_ssl_trusted_certificate');
  }
  s.set('cluster_cert', config.clusterCert);
  s.set('cluster_cert_key', config.clusterCertKey);
  if (config.clusterCaCert !== undefined) s.set('cluster_ca_cert', config.clusterCaCert);
  if (isCp) {
    s.set('cluster_listen', renderListen(config.clusterListen!));
    s.set('cluster_telemetry_listen', renderListen(config.clusterTelemetryListen!));
  } else {
    const cp = config.clusterControlPlane!;
    const tp = config.clusterTelemetryEndpoint!;
    s.set('cluster_control_plane', formatHostPort(cp.host, cp.port));
    s.set('cluster_telemetry_endpoint', formatHostPort(tp.host, tp.port));
    if (config.clusterServerName !== undefined) s.set('cluster_server_name', config.clusterServerName);
    if (config.clusterTelemetryServerName !== undefined) {
      s.set('cluster_telemetry_server_name', config.clusterTelemetryServerName);
    }
    const labels = Object.entries(config.dpLabels ?? {});
    if (labels.length > 0) s.set('cluster_dp_labels', labels.map(([k, v]) => `${k}:${v}`).join(','));
  }
  s.set('proxy_listen', isCp ? 'off' : renderListenList(config.proxyListen));
  s.set('admin_listen', isCp ? renderListenList(config.adminListen) : 'off');
  s.set('admin_gui_listen', isCp ? renderListenList(config.adminGuiListen) : 'off');
  if (config.statusListen !== undefined) s.set('status_listen', renderListen(config.statusListen));
  const extra = config.extra ?? {};
  for (const name of Object.keys(extra).sort()) {
    if (!merged.has(name)) s.set(name, extra[name]);
  }
  return s;
}

/** `lua_ssl_trusted_certificate`: the listed CAs (Kong's default `system`) and the bundle, once. */
function trustedCertificates(ca: TrustedCaBundle, listed: KongValue | undefined): string {
  const entries = (typeof listed === 'string' ? listed : 'system')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (!entries.includes(ca.path)) entries.push(ca.path);
  return entries.join(',');
}

/** kong.conf settings that accept a file path (besides PEM text), so a secret can be a mounted file. */
export const PATH_SETTINGS: ReadonlySet<string> = new Set(['cluster_cert', 'cluster_cert_key', 'cluster_ca_cert']);
