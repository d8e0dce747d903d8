/**
 * Kong's JSON access log and the Fluent Bit configurations that ship it: what Kong's reference
 * documents, what survives env vars, kong.conf and Helm, valid JSON for any request, the required
 * opensearch output options, and a boot script whose values are never shell-expanded.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  KONG_REFERENCE_FILES,
  defaultReferenceDir,
  kongEnvName,
  loadKongReference,
  renderKongConf,
  renderEnvironment,
  renderHelmValues,
} from '../../src/kong';
import {
  ACCESS_LOG_FIELDS,
  CONTAINER_ACCESS_LOG_TARGET,
  EC2_ACCESS_LOG_TARGET,
  FLUENT_BIT_AL2023_REPOSITORY,
  FLUENT_BIT_EC2_VERSION,
  KONG_JSON_LOG_FORMAT,
  OpenSearchShippingOptions,
  ec2FluentBitConfig,
  ec2LogShippingScript,
  eksFluentBitConfig,
  fireLensOpenSearchOptions,
  jsonAccessLogSettings,
  kongLogIndexPrefix,
} from '../../src/kong/log-shipping';
import { KONG_EC2_PATHS } from '../../src/kong/ec2-user-data';
import { expectKongError } from '../support/errors';
import { sharedDataPlane } from './fixtures';

const ROLE_ARN = `arn:${'aws'}:iam::111111111111:role/kong-log-writer`;
const SHIPPING: OpenSearchShippingOptions = {
  host: 'vpc-kong-logs-abc123.eu-west-1.es.amazonaws.com',
  region: 'eu-west-1',
  roleArn: ROLE_ARN,
  dataPlaneName: 'payments-eu',
};
// How CDK tokens look before synthesis: the values the constructs really pass.
const TOKENS = {
  host: '${Token[TOKEN.101]}',
  region: '${Token[AWS.Region.7]}',
  roleArn: '${Token[TOKEN.102]}',
};

const settings = jsonAccessLogSettings(CONTAINER_ACCESS_LOG_TARGET, 'payments-eu');
const reference = loadKongReference(defaultReferenceDir());
const kongConfDefault = fs.readFileSync(path.join(defaultReferenceDir(), KONG_REFERENCE_FILES.conf), 'utf8');

/** The JSON template inside `log_format kong_json escape=json '<template>'`. */
function template(value: string): string {
  const match = new RegExp(`^${KONG_JSON_LOG_FORMAT} escape=json '([^']*)'$`).exec(value);
  if (!match) throw new Error(`not a single-quoted escape=json log_format: ${value}`);
  return match[1];
}

/** What nginx writes for one request: each variable's value JSON-escaped (escape=json). */
function logLine(format: string, values: Record<string, string>): string {
  return format.replace(/\$([a-z_0-9]+)/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no sample value for $${name}`);
    return JSON.stringify(values[name]).slice(1, -1);
  });
}

const SAMPLE: Record<string, string> = {
  time_iso8601: '2026-11-03T10:15:00+00:00',
  remote_addr: '10.0.3.17',
  request_method: 'GET',
  uri: '/orders/42',
  status: '200',
  bytes_sent: '512',
  request_time: '0.012',
  upstream_addr: '10.0.7.9:8080',
  upstream_status: '200',
  upstream_response_time: '0.010',
  host: 'api.example.com',
  http_user_agent: 'curl/8.5.0',
};

/** pl.config (Penlight) as Kong reads kong.conf, then Kong's comment stripping (conf_loader). */
function readKongConf(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!/\S/.test(line) || /^\s*[;#]/.test(line)) continue;
    if (/\\\s*$/.test(line)) throw new Error(`line continues: ${line}`);
    const i = line.search(/\s*=\s*/);
    const key = line.slice(0, i).trim();
    const value = line
      .slice(i)
      .replace(/^\s*=\s*/, '')
      .trim();
    out[key] = value.replace(/\s*(?<!\\)#.*$/, '').replace(/\\#/g, '#');
  }
  return out;
}

/** `[SECTION]` blocks of a classic Fluent Bit file: name and key → value. */
function sections(text: string): { name: string; entries: Record<string, string> }[] {
  const result: { name: string; entries: Record<string, string> }[] = [];
  for (const line of text.split('\n')) {
    const header = /^\[([A-Z]+)\]$/.exec(line);
    if (header) result.push({ name: header[1], entries: {} });
    else if (/^\s+\S/.test(line)) {
      const [, key, value] = /^\s+(\S+)\s+(.*)$/.exec(line)!;
      result[result.length - 1].entries[key] = value;
    }
  }
  return result;
}

const REQUIRED_OUTPUT = {
  Name: 'opensearch',
  Port: '443',
  tls: 'On',
  'tls.verify': 'On',
  'tls.verify_hostname': 'On',
  AWS_Auth: 'On',
  Logstash_Format: 'On',
  Suppress_Type_Name: 'On',
  Trace_Error: 'Off',
};

describe('Kong settings of the JSON access log', () => {
  test('proxy_access_log is a Kong property; nginx_http_log_format follows the documented injection pattern', () => {
    expect(Object.keys(settings).sort()).toEqual(['nginx_http_log_format', 'proxy_access_log']);
    expect(reference.confNames.has('proxy_access_log')).toBe(true);
    // kong.conf.default, "NGINX injected directives": `nginx_http_<directive>` injects into `http {}`.
    expect(kongConfDefault).toContain("- `nginx_http_<directive>`: Injects `<directive>` in Kong's `http {}` block.");
    const namespaces = [...kongConfDefault.matchAll(/^# - `nginx_([a-z]+)_<directive>`/gm)].map((m) => m[1]);
    expect(namespaces).toContain('http');
    // Not a declared property that would mean something else.
    expect(reference.confNames.has('nginx_http_log_format')).toBe(false);
  });

  test('proxy_access_log is `<path> <format>` naming the injected format (as prefix_handler reads it)', () => {
    expect(settings.proxy_access_log).toBe(`/dev/stdout ${KONG_JSON_LOG_FORMAT}`);
    const [, , format] = /^(\S+)\s(\S+)$/.exec(settings.proxy_access_log)!;
    expect(settings.nginx_http_log_format.startsWith(`${format} escape=json '`)).toBe(true);
    expect(jsonAccessLogSettings(EC2_ACCESS_LOG_TARGET, 'payments-eu').proxy_access_log).toBe(
      `${KONG_EC2_PATHS.prefix}/logs/access.json.log ${KONG_JSON_LOG_FORMAT}`,
    );
  });

  test('the log line is valid JSON for ordinary and hostile requests (nginx escapes values for JSON)', () => {
    const format = template(settings.nginx_http_log_format);
    const record = JSON.parse(logLine(format, SAMPLE));
    expect(record).toEqual({
      data_plane: 'payments-eu',
      timestamp: SAMPLE.time_iso8601,
      remote_addr: '10.0.3.17',
      request_method: 'GET',
      uri: '/orders/42',
      status: '200',
      bytes_sent: 512,
      request_time: 0.012,
      upstream_addr: '10.0.7.9:8080',
      upstream_status: '200',
      upstream_response_time: '0.010',
      host: 'api.example.com',
      http_user_agent: 'curl/8.5.0',
    });
    // No response sent (status 000), no upstream (empty), quotes, backslashes, control and non-ASCII characters.
    const hostile = {
      ...SAMPLE,
      status: '000',
      upstream_addr: '',
      upstream_status: '',
      upstream_response_time: '',
      uri: '/a"b\\c\u0001',
      http_user_agent: 'x", "status": "999 \u00e9\n',
    };
    const parsed = JSON.parse(logLine(format, hostile));
    expect(parsed.status).toBe('000');
    expect(parsed.http_user_agent).toBe(hostile.http_user_agent);
    expect(Object.keys(parsed)).toHaveLength(ACCESS_LOG_FIELDS.length + 1);
  });

  test('the JSON check can fail: an unquoted string field is not JSON', () => {
    const broken = template(settings.nginx_http_log_format).replace('"$request_method"', '$request_method');
    expect(() => JSON.parse(logLine(broken, SAMPLE))).toThrow();
  });

  test('the values survive env vars, kong.conf and Helm: no #, newline, trailing backslash, $( or $$', () => {
    for (const value of Object.values(settings)) {
      expect(value).not.toMatch(/#|[\r\n]|\\$|\$\(|\$\$|valueFrom/);
    }
    // As KONG_* variables (ECS).
    const config = { ...sharedDataPlane(), extra: settings };
    expect(renderEnvironment(config).environment).toMatchObject({
      [kongEnvName('nginx_http_log_format')]: settings.nginx_http_log_format,
      [kongEnvName('proxy_access_log')]: settings.proxy_access_log,
    });
    // In kong.conf (EC2), read back the way Kong reads it.
    const read = readKongConf(renderKongConf(config).text);
    expect(read.nginx_http_log_format).toBe(settings.nginx_http_log_format);
    expect(read.proxy_access_log).toBe(settings.proxy_access_log);
    // As Helm env (EKS).
    const values = renderHelmValues(config, { fullnameOverride: 'kong-dp', secretVolumes: [] }) as any;
    expect(values.env.nginx_http_log_format).toBe(settings.nginx_http_log_format);
  });

  test('the kong.conf round trip can fail: a # would cut the value', () => {
    expect(readKongConf('x = a # b').x).toBe('a');
  });

  test('Kong 3.5 is refused (it appends kong_log_format to proxy_access_log); 3.4 and 3.6+ are fine', () => {
    expectKongError(
      () => jsonAccessLogSettings(CONTAINER_ACCESS_LOG_TARGET, 'dp', '3.5.0.2'),
      /kongVersion: Kong 3\.5 cannot use a custom proxy_access_log format/,
    );
    for (const version of ['3.4.3.12', '3.6.1', '3.10.0.6', '3.15.0.0']) {
      expect(jsonAccessLogSettings(CONTAINER_ACCESS_LOG_TARGET, 'dp', version)).toEqual(
        jsonAccessLogSettings(CONTAINER_ACCESS_LOG_TARGET, 'dp'),
      );
    }
  });

  test('a data plane name outside a DNS label is refused (it is a JSON literal and an index name)', () => {
    for (const name of ['Payments', 'payments_eu', 'dp"x', 'a'.repeat(64), '-dp', '${Token[TOKEN.1]}']) {
      expectKongError(
        () => jsonAccessLogSettings(CONTAINER_ACCESS_LOG_TARGET, name),
        /^kong\.accessLog\.dataPlaneName: is not a DNS label/,
      );
    }
    expect(kongLogIndexPrefix('payments-eu')).toBe('kong-payments-eu');
  });

  test('a target that is not a plain absolute path is refused', () => {
    for (const target of ['logs/access.log', '/var/log/kong access.log', '/tmp/#x', '/a/../b', 'off']) {
      expectKongError(() => jsonAccessLogSettings(target, 'dp'), /^kong\.accessLog\.target: is not a plain absolute/);
    }
  });
});

describe('Fluent Bit configurations', () => {
  test('FireLens options: the opensearch output with the writer role and the data plane index', () => {
    expect(fireLensOpenSearchOptions(SHIPPING)).toEqual({
      ...REQUIRED_OUTPUT,
      Host: SHIPPING.host,
      AWS_Region: 'eu-west-1',
      AWS_Role_ARN: ROLE_ARN,
      Logstash_Prefix: 'kong-payments-eu',
      Logstash_DateFormat: '%Y.%m.%d',
      Buffer_Size: 'False',
      Retry_Limit: '10',
    });
  });

  test('EKS: tail only the namespace Kong proxy logs, stdout only, JSON parsed, this data plane only', () => {
    const config = eksFluentBitConfig({ ...SHIPPING, namespace: 'kong-payments-eu' });
    const all = sections(
      [config.service, config.inputs, config.filters, config.outputs, config.customParsers].join('\n'),
    );
    const input = all.find((s) => s.name === 'INPUT')!.entries;
    expect(input).toMatchObject({
      Name: 'tail',
      Path: '/var/log/containers/*_kong-payments-eu_proxy-*.log',
      'multiline.parser': 'cri',
    });
    const filters = all.filter((s) => s.name === 'FILTER').map((s) => s.entries);
    expect(filters).toEqual([
      expect.objectContaining({ Name: 'grep', Regex: 'stream ^stdout$' }),
      expect.objectContaining({ Name: 'parser', Key_Name: 'log', Parser: 'kong_json' }),
      expect.objectContaining({ Name: 'grep', Regex: 'data_plane ^payments-eu$' }),
    ]);
    const outputs = all.filter((s) => s.name === 'OUTPUT').map((s) => s.entries);
    expect(outputs).toHaveLength(1);
    expect(outputs[0]).toMatchObject({
      ...REQUIRED_OUTPUT,
      Match: input.Tag,
      AWS_Role_ARN: ROLE_ARN,
      Logstash_Prefix: 'kong-payments-eu',
      Retry_Limit: '10',
    });
    expect(all.find((s) => s.name === 'PARSER')!.entries).toMatchObject({
      Name: 'kong_json',
      Format: 'json',
      Time_Key: 'timestamp',
    });
    // Every filter and the output see the input's records.
    for (const s of all.filter((x) => x.entries.Match !== undefined)) expect(s.entries.Match).toBe(input.Tag);
    // Helm renders config.* through `tpl`: no template delimiters may appear.
    expect(Object.values(config).join('\n')).not.toContain('{{');
  });

  test('EC2: tail the JSON access-log file with the JSON parser, same output', () => {
    const { conf, parsers } = ec2FluentBitConfig({ ...SHIPPING, accessLogPath: EC2_ACCESS_LOG_TARGET });
    const all = sections(conf);
    expect(all.map((s) => s.name)).toEqual(['SERVICE', 'INPUT', 'OUTPUT']);
    expect(all[0].entries.Parsers_File).toBe('/etc/fluent-bit/kong-parsers.conf');
    expect(all[1].entries).toMatchObject({ Name: 'tail', Path: EC2_ACCESS_LOG_TARGET, Parser: 'kong_json' });
    expect(all[2].entries).toMatchObject({ ...REQUIRED_OUTPUT, Match: all[1].entries.Tag, AWS_Role_ARN: ROLE_ARN });
    expect(sections(parsers)[0].entries.Name).toBe('kong_json');
  });

  test('the parser reads the timestamp Kong writes', () => {
    const parser = sections(eksFluentBitConfig({ ...SHIPPING, namespace: 'ns' }).customParsers)[0].entries;
    // $time_iso8601 → Fluent Bit strptime: %Y-%m-%dT%H:%M:%S then %z (accepts ±hh:mm).
    expect(SAMPLE.time_iso8601).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
    expect(parser.Time_Format).toBe('%Y-%m-%dT%H:%M:%S%z');
  });

  test('CDK tokens pass as opaque values; malformed literals and unsafe values are refused', () => {
    expect(fireLensOpenSearchOptions({ ...SHIPPING, ...TOKENS })).toMatchObject({
      Host: TOKENS.host,
      AWS_Role_ARN: TOKENS.roleArn,
    });
    expectKongError(() => fireLensOpenSearchOptions({ ...SHIPPING, host: 'https://x.example.com' }), /\.host: /);
    expectKongError(
      () => fireLensOpenSearchOptions({ ...SHIPPING, region: 'Europe' }),
      /\.region: is not an AWS region/,
    );
    expectKongError(
      () => fireLensOpenSearchOptions({ ...SHIPPING, roleArn: 'kong-writer' }),
      /\.roleArn: is not an IAM role/,
    );
    expectKongError(
      () => fireLensOpenSearchOptions({ ...SHIPPING, roleArn: `${ROLE_ARN}\nx` }),
      /\.roleArn: cannot be written/,
    );
    expectKongError(() => fireLensOpenSearchOptions({ ...SHIPPING, host: '${HOME}' }), /\.host: cannot be written/);
    expectKongError(
      () => eksFluentBitConfig({ ...SHIPPING, namespace: 'Kong_DP' }),
      /\.namespace: is not a Kubernetes/,
    );
    expectKongError(
      () => fireLensOpenSearchOptions({ ...SHIPPING, dataPlaneName: 'Payments' }),
      /dataPlaneName: is not a DNS label/,
    );
  });
});

describe('EC2 boot step', () => {
  const options = {
    ...TOKENS,
    dataPlaneName: 'payments-eu',
    accessLogPath: EC2_ACCESS_LOG_TARGET,
    architecture: 'arm64' as const,
  };
  const script = ec2LogShippingScript(options);

  /** Lines of `text` holding one of `values` outside a quoted here-document (`<<'EOF_X'` … `EOF_X`). */
  function unquotedOccurrences(text: string, values: string[]): string[] {
    const found: string[] = [];
    let end: string | undefined;
    for (const line of text.split('\n')) {
      if (end !== undefined) {
        if (line === end) end = undefined;
        continue;
      }
      if (values.some((v) => line.includes(v))) found.push(line);
      const open = /<<'([A-Z_]+)'$/.exec(line);
      if (open) end = open[1];
    }
    if (end !== undefined) found.push(`unterminated here-document ${end}`);
    return found;
  }

  test('it is valid bash', () => {
    const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  test('token values appear only inside quoted here-documents, never where the shell expands them', () => {
    const values = Object.values(TOKENS);
    for (const v of values) expect(script).toContain(v);
    expect(unquotedOccurrences(script, values)).toEqual([]);
    // Every here-document is quoted (no unquoted <<EOF anywhere).
    expect(script).not.toMatch(/<<-?\s*[A-Za-z_"]/);
  });

  test('the quoting check can fail: a value on a command line is caught', () => {
    expect(unquotedOccurrences(`${script}\necho ${TOKENS.host}`, [TOKENS.host])).toEqual([`echo ${TOKENS.host}`]);
  });

  test('Fluent Bit comes from its signed AL2023 repository, at exactly one version, key fingerprint checked', () => {
    const repo = script.slice(script.indexOf('[fluent-bit]'), script.indexOf('EOF_FLUENT_BIT_REPO\n'));
    expect(repo).toContain(`baseurl=${FLUENT_BIT_AL2023_REPOSITORY.baseUrl}`);
    expect(repo).toMatch(/^gpgcheck=1$/m);
    expect(repo).toMatch(/^repo_gpgcheck=1$/m);
    expect(repo).toContain(`gpgkey=file://${FLUENT_BIT_AL2023_REPOSITORY.gpgKeyFile}`);
    expect(script).toContain(`grep -q '^fpr:::::::::${FLUENT_BIT_AL2023_REPOSITORY.gpgKeyFingerprint}:'`);
    expect(script).toContain(`dnf install -y -q --setopt=retries=10 logrotate fluent-bit-${FLUENT_BIT_EC2_VERSION}\n`);
    expect(script).toContain(`= '${FLUENT_BIT_EC2_VERSION} aarch64' ]`);
    expect(script).toContain(`[ "$(uname -m)" = aarch64 ]`);
    expect(script).toMatch(/\nsystemctl enable --now fluent-bit\n/);
  });

  test('it writes the configuration, parsers and log rotation; x86_64 instances are checked as such', () => {
    const conf = ec2FluentBitConfig({ ...TOKENS, dataPlaneName: 'payments-eu', accessLogPath: EC2_ACCESS_LOG_TARGET });
    expect(script).toContain(
      `cat > /etc/fluent-bit/fluent-bit.conf <<'EOF_FLUENT_BIT_CONF'\n${conf.conf}EOF_FLUENT_BIT_CONF`,
    );
    expect(script).toContain(`cat > /etc/fluent-bit/kong-parsers.conf <<'EOF_FLUENT_BIT_PARSERS'\n${conf.parsers}`);
    expect(script).toContain(`${EC2_ACCESS_LOG_TARGET} {\n    su kong kong`);
    expect(ec2LogShippingScript({ ...options, architecture: 'x86_64' })).toContain(`[ "$(uname -m)" = x86_64 ]`);
  });

  test('bad options are refused', () => {
    expectKongError(() => ec2LogShippingScript({ ...options, fluentBitVersion: 'latest' }), /fluentBitVersion: /);
    expectKongError(() => ec2LogShippingScript({ ...options, architecture: 'mips' as never }), /architecture: /);
    expectKongError(() => ec2LogShippingScript({ ...options, accessLogPath: '/tmp/a b' }), /accessLogPath: /);
    expectKongError(() => ec2LogShippingScript({ ...options, dataPlaneName: 'DP 1' }), /dataPlaneName: /);
  });
});
