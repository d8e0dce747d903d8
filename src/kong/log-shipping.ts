/**
 * Kong's proxy access log as JSON, and the Fluent Bit configurations that ship it to an OpenSearch
 * domain from every data-plane runtime: FireLens options (ECS Fargate), a per-namespace tail
 * pipeline (EKS DaemonSet), a boot step (EC2). Each data plane writes to its own daily indices
 * `kong-<dataPlaneName>-YYYY.MM.DD`, inside the writer role's `kong-*` permission.
 */
import { KONG_EC2_PATHS, shellQuote } from './ec2-user-data';
import { KongFleetError } from './errors';
import { isDnsName, isUnresolvedToken, isValidPort } from './net';
import { parseKongVersion } from './version';

// ---------------------------------------------------------------------------------------------
// Kong: the JSON access log
// ---------------------------------------------------------------------------------------------

/** Name of the nginx `log_format` kong-fleet injects. */
export const KONG_JSON_LOG_FORMAT = 'kong_json';

/** Where a containerised Kong writes its access log: the log driver / container runtime reads stdout. */
export const CONTAINER_ACCESS_LOG_TARGET = '/dev/stdout';

/** Where Kong on EC2 writes its JSON access log (under Kong's prefix, writable by the `kong` user). */
export const EC2_ACCESS_LOG_TARGET = `${KONG_EC2_PATHS.prefix}/logs/access.json.log`;

/** Every index of every data plane starts with this (the writer role may write `kong-*`). */
export const KONG_LOG_INDEX_PREFIX = 'kong-';

/** The record field that carries the data plane's name. */
export const DATA_PLANE_FIELD = 'data_plane';

/** One field of the JSON access log. */
export interface AccessLogField {
  /** JSON key. */
  readonly name: string;
  /** The nginx variable it holds. */
  readonly variable: string;
  /** `number` only where nginx always prints a JSON number. */
  readonly type: 'string' | 'number';
}

/**
 * The access-log fields besides {@link DATA_PLANE_FIELD}. Choices:
 * - `$uri` (path only), not `$request_uri`: query strings carry credentials (key-auth reads
 *   `?apikey=` by default, `key_in_query`).
 * - `$status` is a string: nginx prints `000` when no response was sent, which is not a JSON number.
 * - No request id: `$kong_request_id` exists only from Kong 3.5 (templates/nginx_kong.lua), and an
 *   unknown variable stops nginx from starting.
 * - The time is `timestamp`, not `time`: the `json` parser of the AWS for Fluent Bit image reads
 *   `time` as `%d/%b/%Y:%H:%M:%S %z` and would warn on every record.
 */
export const ACCESS_LOG_FIELDS: readonly AccessLogField[] = [
  { name: 'timestamp', variable: '$time_iso8601', type: 'string' },
  { name: 'remote_addr', variable: '$remote_addr', type: 'string' },
  { name: 'request_method', variable: '$request_method', type: 'string' },
  { name: 'uri', variable: '$uri', type: 'string' },
  { name: 'status', variable: '$status', type: 'string' },
  { name: 'bytes_sent', variable: '$bytes_sent', type: 'number' },
  { name: 'request_time', variable: '$request_time', type: 'number' },
  { name: 'upstream_addr', variable: '$upstream_addr', type: 'string' },
  { name: 'upstream_status', variable: '$upstream_status', type: 'string' },
  { name: 'upstream_response_time', variable: '$upstream_response_time', type: 'string' },
  { name: 'host', variable: '$host', type: 'string' },
  { name: 'http_user_agent', variable: '$http_user_agent', type: 'string' },
];

// Kong's data-plane names are DNS labels (src/kong/data-plane.ts); index names must be lower case.
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// An absolute path nginx, kong.conf, a shell and Fluent Bit all read the same way.
const LOG_PATH = /^\/[A-Za-z0-9._/-]+$/;

function checkDataPlaneName(dataPlaneName: string, where: string): void {
  if (typeof dataPlaneName !== 'string' || !DNS_LABEL.test(dataPlaneName)) {
    throw new KongFleetError(`${where}.dataPlaneName`, 'is not a DNS label', {
      got: dataPlaneName,
      expected: 'lower-case letters, digits and hyphens, at most 63 (it becomes part of the index name)',
    });
  }
}

function checkLogPath(path: string, where: string): void {
  if (typeof path !== 'string' || !LOG_PATH.test(path) || path.split('/').includes('..')) {
    throw new KongFleetError(where, 'is not a plain absolute file path', {
      got: path,
      expected: `e.g. ${CONTAINER_ACCESS_LOG_TARGET} or ${EC2_ACCESS_LOG_TARGET} (letters, digits, '.', '_', '-', '/')`,
    });
  }
}

/** `kong-<dataPlaneName>`: the index prefix of one data plane (Fluent Bit adds `-YYYY.MM.DD`). */
export function kongLogIndexPrefix(dataPlaneName: string, where = 'kong.accessLog'): string {
  checkDataPlaneName(dataPlaneName, where);
  return `${KONG_LOG_INDEX_PREFIX}${dataPlaneName}`;
}

/**
 * The JSON template of the access log: one object per request, string values quoted, the data
 * plane's name as a literal. It holds no `'` or `\` (the nginx string around it is single-quoted),
 * no `#` (kong.conf comment), no `$(` or `$$` (Kubernetes expands those in env values).
 */
export function jsonAccessLogFormat(dataPlaneName: string, where = 'kong.accessLog'): string {
  checkDataPlaneName(dataPlaneName, where);
  const fields = [
    `"${DATA_PLANE_FIELD}":"${dataPlaneName}"`,
    ...ACCESS_LOG_FIELDS.map((f) =>
      f.type === 'number' ? `"${f.name}":${f.variable}` : `"${f.name}":"${f.variable}"`,
    ),
  ];
  return `{${fields.join(',')}}`;
}

/**
 * kong.conf settings that make Kong's proxy access log JSON, one line per request, written to
 * `target` (`/dev/stdout` in containers, a file on EC2):
 *
 * - `nginx_http_log_format`: Kong's injected-directive mechanism (`nginx_http_<directive>` injects
 *   `<directive> <value>;` into the `http {}` block, before the proxy server; kong.conf.default,
 *   "NGINX injected directives") defines `log_format kong_json escape=json '{…}'` — nginx escapes
 *   each variable's value for JSON (quotes, backslashes, control characters).
 * - `proxy_access_log = <target> kong_json`: `<path> <format>`; Kong 3.6+ detects the format name
 *   (`^(%S+)%s(%S+)`, cmd/utils/prefix_handler.lua) and 3.0–3.4 pass the value to `access_log` as is.
 *   Kong 3.5 appends its own `kong_log_format` after the value, which nginx refuses: pass
 *   `kongVersion` to have 3.5 refused here rather than at boot.
 *
 * The values survive every path to Kong: an environment variable (ECS, Helm `env.*`), and kong.conf
 * read by Penlight's `pl.config` (split at the first `=`, spaces trimmed, quotes kept) after Kong strips
 * `#…` comments (conf_loader) — the values hold no `#`, no newline and no trailing backslash.
 */
export function jsonAccessLogSettings(
  target: string,
  dataPlaneName: string,
  kongVersion?: string,
  where = 'kong.accessLog',
): Record<string, string> {
  checkLogPath(target, `${where}.target`);
  const format = jsonAccessLogFormat(dataPlaneName, where);
  if (kongVersion !== undefined) {
    const v = parseKongVersion(kongVersion, `${where}.kongVersion`);
    if (v.major === 3 && v.minor === 5) {
      throw new KongFleetError(`${where}.kongVersion`, 'Kong 3.5 cannot use a custom proxy_access_log format', {
        got: kongVersion,
        expected:
          'Kong 3.0–3.4 or 3.6 and later (3.5 appends kong_log_format to proxy_access_log; fixed in 3.6, Kong/kong#12073)',
      });
    }
  }
  return {
    nginx_http_log_format: `${KONG_JSON_LOG_FORMAT} escape=json '${format}'`,
    proxy_access_log: `${target} ${KONG_JSON_LOG_FORMAT}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Fluent Bit: the opensearch output and the per-runtime pipelines
// ---------------------------------------------------------------------------------------------

/** HTTPS port of an OpenSearch Service domain endpoint. */
export const OPENSEARCH_HTTPS_PORT = 443;

/** Retries of a failed flush before Fluent Bit drops the chunk (bounded: memory is bounded too). */
export const FLUENT_BIT_RETRY_LIMIT = 10;

/** Name of the Fluent Bit parser that reads one JSON access-log line. */
export const KONG_JSON_PARSER = 'kong_json';

/** Where the OpenSearch output sends one data plane's records. */
export interface OpenSearchShippingOptions {
  /** Domain endpoint host, no scheme (may be a CDK token). */
  readonly host: string;
  /**
   * HTTPS port of the endpoint.
   * @default 443
   */
  readonly port?: number;
  /** Region of the domain: the SigV4 signing region (may be a CDK token). */
  readonly region: string;
  /** The writer role Fluent Bit assumes (may be a CDK token). */
  readonly roleArn: string;
  /** The data plane: its records go to `kong-<dataPlaneName>-YYYY.MM.DD`. */
  readonly dataPlaneName: string;
  /**
   * Retries of a failed flush.
   * @default FLUENT_BIT_RETRY_LIMIT
   */
  readonly retryLimit?: number;
}

type Entries = readonly (readonly [string, string])[];

// Every value lands in a Fluent Bit file, a Helm value (rendered through `tpl`) or a log option:
// one line, no Helm template, no Fluent Bit `${VAR}` reference.
function checkConfigValue(value: string, where: string): void {
  if (typeof value !== 'string' || value.length === 0 || /[\s#]|\{\{|\$\{(?!Token\[)/.test(value)) {
    throw new KongFleetError(where, 'cannot be written into a Fluent Bit configuration', {
      got: value,
      expected: 'one word without spaces, `#`, `{{` or `${`',
    });
  }
}

const REGION = /^[a-z]{2,3}(-[a-z]+)+-\d{1,2}$/;
// Built without the literal partition prefix (no hard-coded partition in the code).
const ROLE_ARN = new RegExp(`^${'arn'}:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$`);

function checkShipping(options: OpenSearchShippingOptions, where: string): void {
  for (const key of ['host', 'region', 'roleArn'] as const) checkConfigValue(options[key], `${where}.${key}`);
  const literal = (v: string) => !isUnresolvedToken(v);
  if (literal(options.host) && !isDnsName(options.host)) {
    throw new KongFleetError(`${where}.host`, 'is not a host name', {
      got: options.host,
      expected: 'the domain endpoint without scheme or port, e.g. vpc-logs-abc123.eu-west-1.es.amazonaws.com',
    });
  }
  if (literal(options.region) && !REGION.test(options.region)) {
    throw new KongFleetError(`${where}.region`, 'is not an AWS region', {
      got: options.region,
      expected: 'e.g. eu-west-1',
    });
  }
  if (literal(options.roleArn) && !ROLE_ARN.test(options.roleArn)) {
    throw new KongFleetError(`${where}.roleArn`, 'is not an IAM role ARN', {
      got: options.roleArn,
      expected: 'arn:<partition>:iam::<account>:role/<name>',
    });
  }
  const port = options.port ?? OPENSEARCH_HTTPS_PORT;
  if (!isValidPort(port)) {
    throw new KongFleetError(`${where}.port`, 'is not a TCP port', { got: options.port, expected: '1–65535' });
  }
  const retries = options.retryLimit ?? FLUENT_BIT_RETRY_LIMIT;
  if (!Number.isInteger(retries) || retries < 1 || retries > 100) {
    throw new KongFleetError(`${where}.retryLimit`, 'is out of range', { got: options.retryLimit, expected: '1–100' });
  }
}

/**
 * The `opensearch` output (keys as in https://docs.fluentbit.io/manual/pipeline/outputs/opensearch,
 * checked against plugins/out_opensearch/opensearch.c of fluent/fluent-bit v1.9.10 and v5.1):
 * SigV4 with the assumed writer role (`AWS_Role_ARN`: the base credentials are the task role, the
 * IRSA role or the instance role), TLS with certificate and host-name verification
 * (`tls.verify_hostname`, Fluent Bit ≥ 3.1, defaults to off), daily indices, no mapping type
 * (OpenSearch 2 has none), whole bulk responses read (`Buffer_Size False`: a truncated response is
 * taken for an error and the batch resent), no response bodies in Fluent Bit's own log.
 */
function openSearchOutputEntries(options: OpenSearchShippingOptions, where: string): Entries {
  checkShipping(options, where);
  return [
    ['Name', 'opensearch'],
    ['Host', options.host],
    ['Port', String(options.port ?? OPENSEARCH_HTTPS_PORT)],
    ['tls', 'On'],
    ['tls.verify', 'On'],
    ['tls.verify_hostname', 'On'],
    ['AWS_Auth', 'On'],
    ['AWS_Region', options.region],
    ['AWS_Role_ARN', options.roleArn],
    ['Logstash_Format', 'On'],
    ['Logstash_Prefix', kongLogIndexPrefix(options.dataPlaneName, where)],
    ['Logstash_DateFormat', '%Y.%m.%d'],
    ['Suppress_Type_Name', 'On'],
    ['Buffer_Size', 'False'],
    ['Trace_Error', 'Off'],
    ['Retry_Limit', String(options.retryLimit ?? FLUENT_BIT_RETRY_LIMIT)],
  ];
}

/**
 * The `awsfirelens` log-driver options of Kong's container (ECS): the opensearch output. FireLens
 * writes them as the output's `[OUTPUT]` section and adds the `Match` of the container.
 */
export function fireLensOpenSearchOptions(
  options: OpenSearchShippingOptions,
  where = 'fluentBit.fireLens',
): Record<string, string> {
  return Object.fromEntries(openSearchOutputEntries(options, where));
}

/** A classic-mode section: `[NAME]` then indented `Key Value` lines. */
function section(name: string, entries: Entries): string {
  const width = Math.max(...entries.map(([k]) => k.length));
  return [`[${name}]`, ...entries.map(([k, v]) => `    ${k.padEnd(width)} ${v}`)].join('\n');
}

/** The parser of one JSON access-log line; the record time is the request's `timestamp`. */
function kongJsonParser(): string {
  return section('PARSER', [
    ['Name', KONG_JSON_PARSER],
    ['Format', 'json'],
    ['Time_Key', 'timestamp'],
    // $time_iso8601 is 2026-11-03T10:15:00+00:00; %z takes ±hh:mm (src/flb_strptime.c).
    ['Time_Format', '%Y-%m-%dT%H:%M:%S%z'],
    ['Time_Keep', 'On'],
  ]);
}

/** The output, matching `match`. */
function outputSection(options: OpenSearchShippingOptions, match: string, where: string): string {
  const [name, ...rest] = openSearchOutputEntries(options, where);
  return section('OUTPUT', [name, ['Match', match], ...rest]);
}

/** Kong's proxy container in Kong's chart is named `proxy` (chart 3.4.1, templates/deployment.yaml). */
export const KONG_CHART_PROXY_CONTAINER = 'proxy';

/** Host directory of the EKS shippers' tail positions (one database per namespace). */
export const KUBERNETES_FLUENT_BIT_STATE_DIR = '/var/fluent-bit/state';

/** HTTP port of Fluent Bit's health and metrics endpoint in the Fluent Bit chart. */
export const FLUENT_BIT_HTTP_PORT = 2020;

/** Options of {@link eksFluentBitConfig}. */
export interface EksFluentBitOptions extends OpenSearchShippingOptions {
  /** Namespace of the data plane's Kong release: only its `proxy` containers are read. */
  readonly namespace: string;
}

/** The `config.*` values of the Fluent Bit Helm chart (classic-mode sections). */
export interface FluentBitChartConfig {
  readonly service: string;
  readonly inputs: string;
  readonly filters: string;
  readonly outputs: string;
  readonly customParsers: string;
}

/**
 * One data plane's pipeline on a Kubernetes node: tail the container logs of Kong's `proxy`
 * containers in the namespace (`/var/log/containers/<pod>_<namespace>_<container>-<id>.log`,
 * CRI format, partial lines joined by the built-in `cri` multiline parser), keep stdout (the access
 * log; stderr is Kong's error log), parse the JSON line, keep only this data plane's records, send
 * them to OpenSearch. No Kubernetes API lookups, so the chart needs no RBAC.
 */
export function eksFluentBitConfig(options: EksFluentBitOptions, where = 'fluentBit.eks'): FluentBitChartConfig {
  if (typeof options.namespace !== 'string' || !DNS_LABEL.test(options.namespace)) {
    throw new KongFleetError(`${where}.namespace`, 'is not a Kubernetes namespace name', {
      got: options.namespace,
      expected: 'a DNS label: lower-case letters, digits and hyphens, at most 63',
    });
  }
  checkDataPlaneName(options.dataPlaneName, where);
  const tag = 'kong.proxy.*';
  return {
    service: section('SERVICE', [
      ['Daemon', 'Off'],
      ['Flush', '1'],
      ['Log_Level', 'info'],
      ['Parsers_File', '/fluent-bit/etc/conf/custom_parsers.conf'],
      // The chart's probes read /api/v2/health on this port.
      ['HTTP_Server', 'On'],
      ['HTTP_Listen', '0.0.0.0'],
      ['HTTP_Port', String(FLUENT_BIT_HTTP_PORT)],
      ['Health_Check', 'On'],
    ]),
    inputs: section('INPUT', [
      ['Name', 'tail'],
      ['Tag', tag],
      ['Path', `/var/log/containers/*_${options.namespace}_${KONG_CHART_PROXY_CONTAINER}-*.log`],
      ['multiline.parser', 'cri'],
      ['DB', `${KUBERNETES_FLUENT_BIT_STATE_DIR}/${options.namespace}-${KONG_CHART_PROXY_CONTAINER}.db`],
      ['DB.locking', 'true'],
      // The position database makes restarts resume; a first start reads what Kong already wrote.
      ['Read_from_Head', 'On'],
      ['Mem_Buf_Limit', '16MB'],
      ['Skip_Long_Lines', 'On'],
      ['Refresh_Interval', '10'],
    ]),
    filters: [
      section('FILTER', [
        ['Name', 'grep'],
        ['Match', tag],
        ['Regex', 'stream ^stdout$'],
      ]),
      section('FILTER', [
        ['Name', 'parser'],
        ['Match', tag],
        ['Key_Name', 'log'],
        ['Parser', KONG_JSON_PARSER],
        ['Reserve_Data', 'Off'],
      ]),
      // Lines that are not this data plane's JSON access log (startup messages) keep their raw `log`.
      section('FILTER', [
        ['Name', 'grep'],
        ['Match', tag],
        ['Regex', `${DATA_PLANE_FIELD} ^${options.dataPlaneName}$`],
      ]),
    ].join('\n\n'),
    outputs: outputSection(options, tag, where),
    customParsers: kongJsonParser(),
  };
}

/** Where the EC2 boot step puts Fluent Bit's files. */
export const FLUENT_BIT_EC2_PATHS = {
  /** The package's service reads this file (`fluent-bit.service`). */
  conf: '/etc/fluent-bit/fluent-bit.conf',
  parsers: '/etc/fluent-bit/kong-parsers.conf',
  /** Tail position database. */
  stateDirectory: '/var/lib/fluent-bit',
  /** Binary of the package (installed under /opt/fluent-bit). */
  binary: '/opt/fluent-bit/bin/fluent-bit',
} as const;

/** Options of {@link ec2FluentBitConfig}. */
export interface Ec2FluentBitOptions extends OpenSearchShippingOptions {
  /** The JSON access-log file Kong writes ({@link EC2_ACCESS_LOG_TARGET}). */
  readonly accessLogPath: string;
}

/** fluent-bit.conf and its parsers file on an EC2 instance: tail Kong's JSON access log, ship it. */
export function ec2FluentBitConfig(
  options: Ec2FluentBitOptions,
  where = 'fluentBit.ec2',
): { readonly conf: string; readonly parsers: string } {
  checkLogPath(options.accessLogPath, `${where}.accessLogPath`);
  const tag = 'kong.access';
  const conf = [
    section('SERVICE', [
      ['Daemon', 'Off'],
      ['Flush', '1'],
      ['Log_Level', 'info'],
      ['Parsers_File', FLUENT_BIT_EC2_PATHS.parsers],
      ['HTTP_Server', 'Off'],
    ]),
    section('INPUT', [
      ['Name', 'tail'],
      ['Tag', tag],
      ['Path', options.accessLogPath],
      ['Parser', KONG_JSON_PARSER],
      ['DB', `${FLUENT_BIT_EC2_PATHS.stateDirectory}/kong-access.db`],
      ['DB.locking', 'true'],
      ['Read_from_Head', 'On'],
      ['Mem_Buf_Limit', '16MB'],
      ['Skip_Long_Lines', 'On'],
      ['Refresh_Interval', '10'],
    ]),
    outputSection(options, tag, where),
  ].join('\n\n');
  return { conf: `${conf}\n`, parsers: `${kongJsonParser()}\n` };
}

// ---------------------------------------------------------------------------------------------
// EC2: installing Fluent Bit at boot
// ---------------------------------------------------------------------------------------------

/**
 * Fluent Bit's package repository for Amazon Linux 2023 (one repository for x86_64 and aarch64:
 * https://docs.fluentbit.io/manual/installation/downloads/linux/amazon-linux), signed packages and
 * signed repository metadata (packaging/update-yum-repo.sh), and the fingerprint of the release
 * signing key (installation/downloads/linux.md, "GPG key updates"): the key is checked before it is
 * trusted instead of being trusted on first download.
 */
export const FLUENT_BIT_AL2023_REPOSITORY = {
  baseUrl: 'https://packages.fluentbit.io/amazonlinux/2023/',
  gpgKeyUrl: 'https://packages.fluentbit.io/fluentbit.key',
  gpgKeyFingerprint: 'C3C0A28534B9293EAF51FABD9F9DDC083888C1CD',
  /** Where the checked key is kept (the repository definition points at this file). */
  gpgKeyFile: '/etc/pki/rpm-gpg/RPM-GPG-KEY-fluentbit',
} as const;

/**
 * Fluent Bit version installed on EC2: the newest 4.x patch release at the time of writing
 * (fluent/fluent-bit tag v4.2.8, 2026-08-04, whose packaging/build-config.json builds
 * amazonlinux/2023 and amazonlinux/2023.arm64v8).
 */
export const FLUENT_BIT_EC2_VERSION = '4.2.8';

/** Options of {@link ec2LogShippingScript}. */
export interface Ec2LogShippingOptions {
  /** Domain endpoint host, no scheme (may be a CDK token). */
  readonly host: string;
  /** Region of the domain (may be a CDK token). */
  readonly region: string;
  /** The writer role Fluent Bit assumes with the instance role (may be a CDK token). */
  readonly roleArn: string;
  readonly dataPlaneName: string;
  /** Kong's JSON access-log file ({@link EC2_ACCESS_LOG_TARGET}). */
  readonly accessLogPath: string;
  /** Architecture of the instances (checked against `uname -m` at boot). */
  readonly architecture: 'arm64' | 'x86_64';
  /**
   * Fluent Bit package version.
   * @default FLUENT_BIT_EC2_VERSION
   */
  readonly fluentBitVersion?: string;
}

const RPM_VERSION = /^\d+\.\d+\.\d+$/;

/**
 * Bash lines (Amazon Linux 2023 user data, run as root) that install Fluent Bit from its signed
 * repository at exactly one version, write its configuration, rotate Kong's access log and start
 * the service. The values are written into files through quoted here-documents, never expanded by
 * the shell, so CDK tokens are opaque strings here; anything shown in a command is shell-quoted.
 * Every failure exits non-zero (the boot script fails the instance).
 */
export function ec2LogShippingScript(options: Ec2LogShippingOptions): string {
  const where = 'fluentBit.ec2Script';
  const version = options.fluentBitVersion ?? FLUENT_BIT_EC2_VERSION;
  if (typeof version !== 'string' || !RPM_VERSION.test(version)) {
    throw new KongFleetError(`${where}.fluentBitVersion`, 'is not a Fluent Bit release version', {
      got: version,
      expected: `e.g. ${FLUENT_BIT_EC2_VERSION}`,
    });
  }
  if (options.architecture !== 'arm64' && options.architecture !== 'x86_64') {
    throw new KongFleetError(`${where}.architecture`, 'is not an instance architecture', {
      got: options.architecture,
      expected: 'arm64 or x86_64',
    });
  }
  const { conf, parsers } = ec2FluentBitConfig(
    {
      host: options.host,
      region: options.region,
      roleArn: options.roleArn,
      dataPlaneName: options.dataPlaneName,
      accessLogPath: options.accessLogPath,
    },
    where,
  );
  const machine = options.architecture === 'arm64' ? 'aarch64' : 'x86_64';
  const repo = FLUENT_BIT_AL2023_REPOSITORY;
  const pkg = `fluent-bit-${version}`;
  const paths = FLUENT_BIT_EC2_PATHS;
  const fail = (message: string) => `{ echo ${shellQuote(`kong-fleet: ${message}`)} >&2; exit 1; }`;
  return [
    `# Kong's JSON access log → OpenSearch (${kongLogIndexPrefix(options.dataPlaneName, where)}-YYYY.MM.DD), Fluent Bit ${version}.`,
    `echo ${shellQuote(`kong-fleet: installing Fluent Bit ${version} to ship the access log of data plane ${options.dataPlaneName}`)}`,
    `[ "$(uname -m)" = ${machine} ] || ${fail(`this script was written for ${machine} instances`)}`,
    `install -d -m 0755 ${repo.gpgKeyFile.slice(0, repo.gpgKeyFile.lastIndexOf('/'))}`,
    `curl -sSf --retry 5 --proto '=https' --tlsv1.2 -o ${repo.gpgKeyFile} ${shellQuote(repo.gpgKeyUrl)}`,
    `gpg --show-keys --with-colons ${repo.gpgKeyFile} | grep -q ${shellQuote(`^fpr:::::::::${repo.gpgKeyFingerprint}:`)} \\`,
    `  || ${fail(`${repo.gpgKeyUrl} is not the Fluent Bit release key ${repo.gpgKeyFingerprint}`)}`,
    `rpm --import ${repo.gpgKeyFile}`,
    "cat > /etc/yum.repos.d/fluent-bit.repo <<'EOF_FLUENT_BIT_REPO'",
    '[fluent-bit]',
    'name=Fluent Bit',
    `baseurl=${repo.baseUrl}`,
    'enabled=1',
    'gpgcheck=1',
    'repo_gpgcheck=1',
    `gpgkey=file://${repo.gpgKeyFile}`,
    'EOF_FLUENT_BIT_REPO',
    `dnf install -y -q --setopt=retries=10 logrotate ${pkg}`,
    `[ "$(rpm -q --qf '%{VERSION} %{ARCH}' fluent-bit)" = ${shellQuote(`${version} ${machine}`)} ] || ${fail(`${pkg} (${machine}) is not what was installed`)}`,
    `install -d -m 0755 ${paths.stateDirectory}`,
    `cat > ${paths.conf} <<'EOF_FLUENT_BIT_CONF'`,
    conf.trimEnd(),
    'EOF_FLUENT_BIT_CONF',
    `cat > ${paths.parsers} <<'EOF_FLUENT_BIT_PARSERS'`,
    parsers.trimEnd(),
    'EOF_FLUENT_BIT_PARSERS',
    '# Kong never reopens its log: copy and truncate (Fluent Bit follows the truncation).',
    "cat > /etc/logrotate.d/kong-access-log <<'EOF_LOGROTATE'",
    `${options.accessLogPath} {`,
    '    su kong kong',
    '    daily',
    '    maxsize 256M',
    '    rotate 2',
    '    missingok',
    '    notifempty',
    '    copytruncate',
    '    compress',
    '    delaycompress',
    '}',
    'EOF_LOGROTATE',
    `${paths.binary} --dry-run -c ${paths.conf} >/dev/null || ${fail('the Fluent Bit configuration does not load')}`,
    'systemctl enable --now fluent-bit',
    `systemctl is-active --quiet fluent-bit || ${fail('Fluent Bit did not start')}`,
  ].join('\n');
}
