/**
 * The boot script of a Kong Gateway instance on Amazon Linux 2023, shared by the EC2 control and
 * data planes: the script is rendered here as text; the Auto Scaling group that runs it is
 * `KongEc2Instances` (kong-ec2-instances.ts).
 */
import { KongHybridConfig, SecretRef } from './config';
import { KongFleetError } from './errors';
import { isUnresolvedToken } from './net';
import { KONG_PORTS, STATUS_READY_PATH } from './ports';
import { kongEnvName, renderKongConf } from './render';
import { parseKongVersion } from './version';

// ---------------------------------------------------------------------------------------------
// Facts the script relies on
// ---------------------------------------------------------------------------------------------

/** Kong Gateway Enterprise's RPM (it runs unlicensed in free mode). */
export const KONG_PACKAGE_NAME = 'kong-enterprise-edition';

/** Where the boot script puts things on the instance. */
export const KONG_EC2_PATHS = {
  /** kong.conf: non-secret settings only. */
  conf: '/etc/kong/kong.conf',
  /** Cluster certificate, key and CA (0600, owned by `kong`). */
  clusterDirectory: '/etc/kong/cluster',
  /** systemd EnvironmentFile with the secret Kong environment variables (0600, root). */
  environmentFile: '/etc/kong/kong-secrets.env',
  /** Kong's prefix (nginx.conf, logs, pids), owned by `kong` by the package. */
  prefix: '/usr/local/kong',
  /** The control plane's migration script. */
  migrations: '/usr/local/libexec/kong-fleet/kong-migrations',
  /** The database's CA bundle (`postgres.trustedCa`), fetched at boot; public, 0644. */
  postgresCaBundle: '/etc/kong/postgres-ca/ca-bundle.pem',
} as const;

/**
 * Logical names of the Secrets Manager secrets the Kong settings refer to (`SecretRef.secretName`);
 * {@link KongUserDataOptions.secretArns} maps them to ARNs.
 */
export const KONG_EC2_SECRETS = {
  /** JSON `{cert, key[, ca]}` (DESIGN.md §4). */
  clusterCredentials: 'cluster-credentials',
  /** The license JSON, as the whole secret string. */
  license: 'license',
  /** RDS credentials JSON (`username`, `password`, …). */
  database: 'database',
} as const;

/** A `SecretRef.key` meaning "the secret's whole string" (the license). */
export const WHOLE_SECRET = '*';

/** The files the cluster credentials' JSON keys are written to. */
export const CLUSTER_CREDENTIAL_FILES: Readonly<Record<string, string>> = {
  cert: `${KONG_EC2_PATHS.clusterDirectory}/tls.crt`,
  key: `${KONG_EC2_PATHS.clusterDirectory}/tls.key`,
  ca: `${KONG_EC2_PATHS.clusterDirectory}/ca.crt`,
};

/** Instance tag holding the Kong version the instance runs (read by the migration guard). */
export const KONG_VERSION_TAG = 'kong-fleet:kong-version';

/** systemd unit that runs Kong. */
export const KONG_SERVICE = 'kong.service';

/** The `SecretRef` of a key of the cluster credentials. */
export function clusterCredentialRef(key: 'cert' | 'key' | 'ca'): SecretRef {
  return { secretName: KONG_EC2_SECRETS.clusterCredentials, key };
}

/** Kong's package repository for the version's major.minor on Amazon Linux 2023 (Cloudsmith). */
export interface KongPackageRepository {
  /** Repository id (`kong-gateway-310`), also the `.repo` file name. */
  readonly id: string;
  /** Kong's documented repository definition for `amzn/2023`. */
  readonly configUrl: string;
  /** Prefix of the repository's `baseurl` (followed by `$basearch`). */
  readonly baseUrl: string;
  /** What `dnf install` installs: exactly this version. */
  readonly packageSpec: string;
}

/**
 * `https://packages.konghq.com/public/gateway-<MAJOR><MINOR>/…`: one Cloudsmith repository per
 * major.minor, RPMs for `amzn/2023` under `rpm/amzn/2023/<arch>` (x86_64 and aarch64), installed with
 * `kong-enterprise-edition-<version>` (Kong's install guide for Amazon Linux).
 */
export function kongPackageRepository(version: string, where = 'kongVersion'): KongPackageRepository {
  const v = parseKongVersion(version, where);
  const line = `gateway-${v.major}${v.minor}`;
  const root = `https://packages.konghq.com/public/${line}`;
  return {
    id: `kong-${line}`,
    configUrl: `${root}/config.rpm.txt?distro=amzn&codename=2023`,
    baseUrl: `${root}/rpm/amzn/2023/`,
    packageSpec: `${KONG_PACKAGE_NAME}-${v.text}`,
  };
}

// ---------------------------------------------------------------------------------------------
// The boot script
// ---------------------------------------------------------------------------------------------

/** The CloudFormation resource an instance signals once Kong is ready. */
export interface KongBootSignal {
  readonly stackName: string;
  /** Logical ID of the Auto Scaling group. */
  readonly logicalId: string;
  readonly region: string;
}

export interface KongUserDataOptions {
  /** The plane's Kong settings; every secret a SecretRef naming a key of `secretArns`. */
  readonly config: KongHybridConfig;
  /** Secrets Manager ARNs (or tokens) by the `secretName` the SecretRefs use ({@link KONG_EC2_SECRETS}). */
  readonly secretArns: Readonly<Record<string, string>>;
  /** What to signal when Kong is ready (success) or the boot failed. */
  readonly signal: KongBootSignal;
  /**
   * Seconds the script waits for `/status/ready` once Kong runs.
   * @default 600
   */
  readonly readyTimeoutSeconds?: number;
  /**
   * Seconds the control plane's migration step may take (it may wait for other nodes).
   * @default 1500
   */
  readonly migrationsTimeoutSeconds?: number;
  /**
   * Further boot steps (bash lines) run once Kong is started and before readiness is awaited,
   * e.g. installing a log shipper or a metrics collector; a failing step fails the boot.
   * @default - none
   */
  readonly extraSteps?: readonly string[];
  /**
   * Plain (non-secret) environment variables of Kong's process, e.g. `AWS_REGION` for its S3
   * client; written into the systemd unit, so they are there from Kong's first start.
   * @default - none
   */
  readonly processEnvironment?: Readonly<Record<string, string>>;
}

export interface KongUserData {
  /** The script (CDK tokens unresolved). */
  readonly script: string;
  /** The kong.conf it writes. */
  readonly kongConf: string;
  /** Files written from secrets: path → secret and key. */
  readonly secretFiles: Readonly<Record<string, SecretRef>>;
  /** Kong environment variables of the root-only EnvironmentFile (by name), read from secrets at boot. */
  readonly environmentSecrets: Readonly<Record<string, SecretRef>>;
}

/** Single-quotes a value for bash (CDK tokens contain no quote, so they survive intact). */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The boot script of a Kong plane on Amazon Linux 2023 (x86_64 or aarch64):
 *
 * 1. Adds Kong's repository for the version's major.minor (Kong's own definition, checked to point
 *    at `packages.konghq.com` with signature checks on) and installs exactly
 *    `kong-enterprise-edition-<version>` and jq with dnf.
 * 2. Reads each secret once with the instance role (`aws secretsmanager get-secret-value`; retried
 *    while a new certificate secret is still empty), writes the cluster certificate, key and CA as
 *    0600 files owned by `kong`, and the secret Kong environment variables (license, database credentials)
 *    into a root-only systemd EnvironmentFile. No value is ever in the script or the template.
 *    With `postgres.trustedCa` (RDS IAM authentication), fetches the database's CA bundle over HTTPS.
 * 3. Writes kong.conf (non-secret settings; certificates by path) and the systemd units, then starts
 *    Kong — on a control plane after the migration unit (see {@link migrationScript}).
 * 4. Waits for `/status/ready` on the status port and signals the Auto Scaling group to
 *    CloudFormation (failure as soon as any step fails: `set -euo pipefail`).
 */
export function renderKongUserData(options: KongUserDataOptions): KongUserData {
  const { config } = options;
  const where = 'kong.userData';
  const isCp = config.role === 'control_plane';
  const version = parseKongVersion(config.version, `${where}.version`).text;
  const repository = kongPackageRepository(version, `${where}.version`);

  const secretFiles: Record<string, SecretRef> = {};
  const conf = renderKongConf(config, {
    secretFile: (ref) => {
      const path =
        ref.secretName === KONG_EC2_SECRETS.clusterCredentials ? CLUSTER_CREDENTIAL_FILES[ref.key] : undefined;
      if (path === undefined) {
        throw new KongFleetError(`${where}.secretFile`, 'no file is defined for this secret key', {
          got: ref,
          expected: `a key of ${KONG_EC2_SECRETS.clusterCredentials}: ${Object.keys(CLUSTER_CREDENTIAL_FILES).join(', ')}`,
        });
      }
      secretFiles[path] = ref;
      return path;
    },
  });
  if (Object.keys(conf.environment).length > 0) {
    throw new KongFleetError(`${where}.environment`, 'a literal secret would be written into the user data', {
      got: Object.keys(conf.environment),
      expected: 'every license or password as a SecretRef read at boot',
    });
  }
  const environmentSecrets = Object.fromEntries(
    Object.entries(conf.environmentSecrets).sort(([a], [b]) => a.localeCompare(b)),
  );
  const usedSecrets = new Set(
    [...Object.values(secretFiles), ...Object.values(environmentSecrets)].map((r) => r.secretName),
  );
  for (const name of usedSecrets) {
    if (options.secretArns[name] === undefined) {
      throw new KongFleetError(`${where}.secretArns.${name}`, 'a Kong setting refers to a secret without an ARN', {
        got: Object.keys(options.secretArns),
        expected: `an ARN for ${name}`,
      });
    }
  }
  const status = config.statusListen;
  if (status === undefined || status.ssl) {
    throw new KongFleetError(`${where}.statusListen`, 'the readiness wait needs a plain-HTTP status listener', {
      got: status,
      expected: `{ port: ${KONG_PORTS.status} } without ssl`,
    });
  }
  const readyUrl = `http://127.0.0.1:${status.port}${STATUS_READY_PATH}`;
  const readyTimeout = options.readyTimeoutSeconds ?? 600;
  const signal = options.signal;

  const lines: string[] = [
    '#!/bin/bash',
    `# Kong Gateway ${version} ${isCp ? 'control plane' : 'data plane'} on Amazon Linux 2023, written by kong-fleet.`,
    '# No secret is in this script: the instance role reads them from Secrets Manager at boot.',
    'set -euo pipefail',
    'shopt -s inherit_errexit',
    'log() { echo "kong-fleet: $*"; }',
    IMDS_FUNCTION,
    'INSTANCE_ID=$(imds instance-id)',
    `readonly STACK=${shellQuote(signal.stackName)} SIGNAL_RESOURCE=${shellQuote(signal.logicalId)} STACK_REGION=${shellQuote(signal.region)}`,
    '# CloudFormation waits for this signal on creation and rolling updates; instances started by scaling',
    '# or an instance refresh find no operation waiting, which is fine.',
    'signal() {',
    '  aws cloudformation signal-resource --region "$STACK_REGION" --stack-name "$STACK" \\',
    '    --logical-resource-id "$SIGNAL_RESOURCE" --unique-id "$INSTANCE_ID" --status "$1" \\',
    '    || log "no CloudFormation operation waits for a signal from $INSTANCE_ID"',
    '}',
    `trap 'rc=$?; if [ "$rc" -ne 0 ]; then log "boot failed (exit $rc)"; signal FAILURE; fi' EXIT`,
    '',
    `log ${shellQuote(`installing ${repository.packageSpec} from ${repository.baseUrl}`)}`,
    `readonly REPO_FILE=/etc/yum.repos.d/${repository.id}.repo`,
    `curl -sSf --retry 5 --proto '=https' --tlsv1.2 -o "$REPO_FILE" ${shellQuote(repository.configUrl)}`,
    `grep -q ${shellQuote(`^baseurl=${repository.baseUrl}`)} "$REPO_FILE" || { log "unexpected repository definition"; exit 1; }`,
    `grep -q '^gpgcheck=1' "$REPO_FILE" || { log "the repository definition does not verify package signatures"; exit 1; }`,
    `dnf install -y -q --setopt=retries=10 jq ${repository.packageSpec}`,
    `rpm -q ${repository.packageSpec}`,
    '',
    '# From here on, nothing this script writes is readable by other users unless it says so.',
    'umask 027',
    'log "reading secrets from Secrets Manager"',
    '# Prints the SecretString of ARN $1 (never into argv, environment or logs); retries while a new',
    '# certificate secret is still empty or the role is not yet effective.',
    'secret_string() {',
    '  local attempt',
    '  for attempt in $(seq 1 40); do',
    '    if aws secretsmanager get-secret-value --region "$(cut -d: -f4 <<<"$1")" --secret-id "$1" \\',
    '      --query SecretString --output text; then return 0; fi',
    '    sleep 15',
    '  done',
    '  return 1',
    '}',
    // Secret names are sorted for a stable script.
    `declare -A SECRET_ARN=(${[...usedSecrets]
      .sort()
      .map((name) => `[${name}]=${shellQuote(options.secretArns[name])}`)
      .join(' ')})`,
    'declare -A SECRET=()',
    'for name in "${!SECRET_ARN[@]}"; do',
    '  SECRET[$name]=$(secret_string "${SECRET_ARN[$name]}") || { log "cannot read secret $name (${SECRET_ARN[$name]})"; exit 1; }',
    'done',
    `# $1 secret, $2 JSON key or '${WHOLE_SECRET}' for the whole string.`,
    'secret_field() {',
    `  if [ "$2" = '${WHOLE_SECRET}' ]; then printf '%s' "\${SECRET[$1]}"; return; fi`,
    `  printf '%s' "\${SECRET[$1]}" | jq -er --arg key "$2" '.[$key] | strings'`,
    '}',
    '# $1 path, $2 secret, $3 key: created 0600 and owned by kong before anything is written to it.',
    'secret_file() {',
    '  install -m 0600 -o kong -g kong /dev/null "$1"',
    '  secret_field "$2" "$3" > "$1"',
    '}',
    '# $1 variable, $2 secret, $3 key: one NAME="value" line, escaped for systemd\'s EnvironmentFile.',
    'env_secret() {',
    '  local value',
    '  value=$(secret_field "$2" "$3")',
    '  [ -n "$value" ] || { log "secret $2 has no value for $3"; return 1; }',
    '  value=${value//\\\\/\\\\\\\\}; value=${value//\\"/\\\\\\"}; value=${value//\\`/\\\\\\`}; value=${value//\\$/\\\\\\$}',
    `  printf '%s="%s"\\n' "$1" "$value" >> ${KONG_EC2_PATHS.environmentFile}`,
    '}',
    `install -d -m 0700 -o kong -g kong ${KONG_EC2_PATHS.clusterDirectory}`,
    ...Object.entries(secretFiles).map(
      ([path, ref]) => `secret_file ${path} ${shellQuote(ref.secretName)} ${shellQuote(ref.key)}`,
    ),
    `install -m 0600 -o root -g root /dev/null ${KONG_EC2_PATHS.environmentFile}`,
    ...Object.entries(environmentSecrets).map(
      ([name, ref]) => `env_secret ${name} ${shellQuote(ref.secretName)} ${shellQuote(ref.key)}`,
    ),
    'unset SECRET',
    '',
    ...trustedCaSteps(config),
    `cat > ${KONG_EC2_PATHS.conf} <<'EOF_CONF'`,
    conf.text.trimEnd(),
    'EOF_CONF',
    `chown root:kong ${KONG_EC2_PATHS.conf}`,
    '',
    ...(isCp ? controlPlaneMigrationFiles(version, options.migrationsTimeoutSeconds ?? 1500) : []),
    `cat > /etc/systemd/system/${KONG_SERVICE} <<'EOF_UNIT'`,
    kongServiceUnit(version, isCp, options.processEnvironment ?? {}),
    'EOF_UNIT',
    'systemctl daemon-reload',
    ...(isCp ? ['systemctl enable kong-migrations-finish.timer'] : []),
    `systemctl enable --now ${KONG_SERVICE}`,
    ...(isCp ? ['systemctl start kong-migrations-finish.timer'] : []),
    '',
    ...(options.extraSteps ?? []).flatMap((step) => [step, '']),
    `log "waiting for ${STATUS_READY_PATH}"`,
    'ready() {',
    '  local response',
    `  response=$(curl -s --max-time 5 -w '\\n%{http_code}' ${shellQuote(readyUrl)}) || return 1`,
    '  [ "${response##*$\'\\n\'}" = 200 ] && return 0',
    ...(isCp
      ? ['  return 1']
      : [
          '  # A data plane of a fleet without any configuration yet: connected and synced, nothing to serve.',
          '  [[ "$response" == *\'empty configuration present\'* ]]',
        ]),
    '}',
    `deadline=$((SECONDS + ${readyTimeout}))`,
    'until ready; do',
    '  [ "$SECONDS" -lt "$deadline" ] || { log "Kong did not become ready"; exit 1; }',
    '  sleep 5',
    'done',
    'log "Kong is ready"',
    'signal SUCCESS',
    'trap - EXIT',
    '',
  ];
  return {
    script: lines.join('\n'),
    kongConf: conf.text,
    secretFiles,
    environmentSecrets,
  };
}

/**
 * Fetches `postgres.trustedCa` (e.g. the region's Amazon RDS CA bundle) before kong.conf names it and
 * before migrations or Kong start: HTTPS only, failing the boot on any error or a file that holds no
 * certificate. Fetched at every boot, so new instances pick up the CAs RDS publishes.
 */
function trustedCaSteps(config: KongHybridConfig): string[] {
  const ca = config.postgres?.trustedCa;
  if (ca === undefined) return [];
  const partial = `${ca.path}.download`;
  return [
    `log ${shellQuote(`fetching the database CA bundle ${ca.url}`)}`,
    `install -d -m 0755 ${shellQuote(ca.path.slice(0, ca.path.lastIndexOf('/')))}`,
    `curl -sSf --retry 5 --proto '=https' --tlsv1.2 -o ${shellQuote(partial)} ${shellQuote(ca.url)}`,
    `grep -q -- '-----BEGIN CERTIFICATE-----' ${shellQuote(partial)} || { log "the database CA bundle holds no certificate"; exit 1; }`,
    `install -m 0644 -o root -g kong ${shellQuote(partial)} ${shellQuote(ca.path)}`,
    `rm -f ${shellQuote(partial)}`,
    '',
  ];
}

const IMDS_FUNCTION = [
  'imds() {',
  '  local token',
  "  token=$(curl -sSf --retry 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' http://169.254.169.254/latest/api/token)",
  '  curl -sSf --retry 5 -H "X-aws-ec2-metadata-token: $token" "http://169.254.169.254/latest/meta-data/$1"',
  '}',
].join('\n');

/**
 * The unit that runs Kong: `kong prepare` then nginx in the foreground (`nginx_daemon=off`), as
 * Kong's own package unit does, so systemd supervises the real master process and restarts it when
 * it dies; stop is SIGQUIT (graceful, like `kong quit`). Unlike the package unit it runs as `kong`,
 * not root, and reads the secret variables from the root-only EnvironmentFile (systemd reads it
 * before dropping privileges).
 */
/** `Environment=NAME=value` lines; refuses what systemd would read differently (quotes, spaces, `$`, `%`). */
function processEnvironmentLines(environment: Readonly<Record<string, string>>): string[] {
  return Object.entries(environment).map(([name, value]) => {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name) || (!isUnresolvedToken(value) && !/^[A-Za-z0-9._/:-]+$/.test(value))) {
      throw new KongFleetError(
        `kong.userData.processEnvironment.${name}`,
        'not a plain environment variable for systemd',
        {
          got: value,
          expected: 'an upper-case name and a value of letters, digits and . _ / : -',
        },
      );
    }
    return `Environment=${name}=${value}`;
  });
}

function kongServiceUnit(version: string, isCp: boolean, environment: Readonly<Record<string, string>>): string {
  const conf = KONG_EC2_PATHS.conf;
  const prefix = KONG_EC2_PATHS.prefix;
  return [
    '[Unit]',
    `Description=Kong Gateway ${version} ${isCp ? 'control plane' : 'data plane'} (kong-fleet)`,
    'Documentation=https://developer.konghq.com/gateway/',
    'Wants=network-online.target',
    `After=network-online.target${isCp ? ' kong-migrations.service' : ''}`,
    ...(isCp ? ['Requires=kong-migrations.service'] : []),
    'StartLimitIntervalSec=0',
    '',
    '[Service]',
    'Type=simple',
    'User=kong',
    'Group=kong',
    `EnvironmentFile=${KONG_EC2_PATHS.environmentFile}`,
    `Environment=${kongEnvName('nginx_daemon')}=off`,
    ...processEnvironmentLines(environment),
    `ExecStartPre=/usr/local/bin/kong prepare -p ${prefix} -c ${conf}`,
    `ExecStart=/usr/local/openresty/nginx/sbin/nginx -p ${prefix} -c nginx.conf`,
    `ExecReload=/usr/local/bin/kong prepare -p ${prefix} -c ${conf}`,
    `ExecReload=/usr/local/openresty/nginx/sbin/nginx -p ${prefix} -c nginx.conf -s reload`,
    'ExecStop=/bin/kill -s QUIT $MAINPID',
    'TimeoutStopSec=60',
    'Restart=on-failure',
    'RestartSec=5',
    'LimitNOFILE=65536',
    'PrivateTmp=true',
    'NoNewPrivileges=true',
    'ProtectSystem=full',
    `ReadWritePaths=${prefix}`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n');
}

/** The migration script, its boot unit and the finish timer of a control-plane instance. */
function controlPlaneMigrationFiles(version: string, timeoutSeconds: number): string[] {
  const script = KONG_EC2_PATHS.migrations;
  const unit = (description: string, argument: string, extra: string[]) =>
    [
      '[Unit]',
      `Description=${description} (kong-fleet)`,
      'Wants=network-online.target',
      'After=network-online.target',
      '',
      '[Service]',
      'Type=oneshot',
      'User=kong',
      'Group=kong',
      `EnvironmentFile=${KONG_EC2_PATHS.environmentFile}`,
      `ExecStart=${script} ${argument}`,
      ...extra,
    ].join('\n');
  return [
    `install -d -m 0755 ${script.slice(0, script.lastIndexOf('/'))}`,
    `cat > ${script} <<'EOF_SCRIPT'`,
    migrationScript(version, timeoutSeconds),
    'EOF_SCRIPT',
    `chmod 0755 ${script}`,
    "cat > /etc/systemd/system/kong-migrations.service <<'EOF_UNIT'",
    unit('Kong database migrations before Kong starts', 'boot', [
      'RemainAfterExit=yes',
      `TimeoutStartSec=${timeoutSeconds + 60}`,
    ]),
    'EOF_UNIT',
    "cat > /etc/systemd/system/kong-migrations-finish.service <<'EOF_UNIT'",
    unit('Kong "migrations finish" once every node runs this version', 'finish', []),
    'EOF_UNIT',
    "cat > /etc/systemd/system/kong-migrations-finish.timer <<'EOF_UNIT'",
    [
      '[Unit]',
      'Description=Finish pending Kong migrations after a rolling upgrade (kong-fleet)',
      '',
      '[Timer]',
      'OnBootSec=10min',
      'OnUnitActiveSec=5min',
      'RandomizedDelaySec=60',
      '',
      '[Install]',
      'WantedBy=timers.target',
    ].join('\n'),
    'EOF_UNIT',
  ];
}

/**
 * Kong's database migrations on a control-plane instance, run before Kong starts (`boot`) and every
 * five minutes (`finish`). Every migration runs once: Kong takes a cluster-wide lock in PostgreSQL for
 * `bootstrap`, `up` and `finish` (a node that finds the lock taken gives up, the work is not repeated),
 * and the script reads the schema state again (`kong migrations status`) after every step:
 *
 * - empty database → `kong migrations bootstrap` (concurrent first boots: one bootstraps, the others
 *   wait until the schema is current);
 * - new migrations → `kong migrations up` (non-destructive: older nodes keep working);
 * - pending migrations (after `up`) → Kong starts; `kong migrations finish` (destructive for older
 *   versions) runs only once every running instance of the group is tagged with this version or a
 *   newer one, i.e. after the rolling update has replaced every old node — never during it;
 * - pending migrations of the previous upgrade plus new ones → the old nodes' timer finishes the
 *   former (they all run at least that version), then this node runs `up`.
 */
export function migrationScript(version: string, timeoutSeconds: number): string {
  const conf = KONG_EC2_PATHS.conf;
  return [
    '#!/bin/bash',
    '# Kong database migrations on a kong-fleet control-plane instance; see KongControlPlaneEc2.',
    'set -euo pipefail',
    `readonly THIS_VERSION=${shellQuote(version)} VERSION_TAG=${shellQuote(KONG_VERSION_TAG)}`,
    `readonly KONG=/usr/local/bin/kong CONF=${conf}`,
    'log() { echo "kong-migrations: $*"; }',
    IMDS_FUNCTION,
    '# bootstrap | up | finish-then-up | pending | current',
    'state() {',
    '  local json',
    '  json=$("$KONG" migrations status -q -c "$CONF" | tail -n 1) || return 1',
    "  jq -er 'def n(f): (f // []) | length;",
    '    if .needs_bootstrap then "bootstrap"',
    '    elif n(.pending_migrations) > 0 and n(.new_migrations) > 0 then "finish-then-up"',
    '    elif n(.new_migrations) > 0 then "up"',
    '    elif n(.pending_migrations) > 0 then "pending"',
    '    else "current" end\' <<<"$json"',
    '}',
    '# True when every running instance of this Auto Scaling group runs this Kong version or a newer',
    '# one: then no node needs what `finish` removes.',
    'all_nodes_current() {',
    '  local region me group rows id version',
    '  region=$(imds placement/region) && me=$(imds instance-id) || return 1',
    '  group=$(aws ec2 describe-instances --region "$region" --instance-ids "$me" --output text \\',
    '    --query "Reservations[0].Instances[0].Tags[?Key==\'aws:autoscaling:groupName\'].Value | [0]") || return 1',
    '  [ -n "$group" ] && [ "$group" != None ] || return 1',
    '  rows=$(aws ec2 describe-instances --region "$region" --output text \\',
    '    --filters "Name=tag:aws:autoscaling:groupName,Values=$group" Name=instance-state-name,Values=pending,running \\',
    '    --query "Reservations[].Instances[].[InstanceId, Tags[?Key==\'$VERSION_TAG\'].Value | [0]]") || return 1',
    '  [ -n "$rows" ] || return 1',
    '  while read -r id version; do',
    '    if [ "$version" = None ] || [ "$(printf \'%s\\n%s\\n\' "$THIS_VERSION" "$version" | sort -V | head -n 1)" != "$THIS_VERSION" ]; then',
    '      log "$id runs Kong $version: finish waits until every node runs $THIS_VERSION or newer"',
    '      return 1',
    '    fi',
    '  done <<<"$rows"',
    '}',
    'finish_if_safe() { all_nodes_current && "$KONG" migrations finish -c "$CONF"; }',
    'case "${1:-boot}" in',
    '  boot)',
    `    deadline=$((SECONDS + ${timeoutSeconds}))`,
    '    while :; do',
    '      s=$(state) || s=unavailable',
    '      log "database schema: $s"',
    '      case "$s" in',
    '        bootstrap) "$KONG" migrations bootstrap -c "$CONF" || true ;;',
    '        up) "$KONG" migrations up -c "$CONF" || true ;;',
    '        finish-then-up) finish_if_safe || true ;;',
    '        pending) finish_if_safe || true; exit 0 ;;',
    '        current) exit 0 ;;',
    '      esac',
    '      [ "$SECONDS" -lt "$deadline" ] || { log "gave up (schema: $s)"; exit 1; }',
    '      sleep 15',
    '    done',
    '    ;;',
    '  finish)',
    '    s=$(state)',
    '    case "$s" in pending | finish-then-up) finish_if_safe || true ;; esac',
    '    ;;',
    '  *) log "usage: $0 boot|finish"; exit 2 ;;',
    'esac',
  ].join('\n');
}
