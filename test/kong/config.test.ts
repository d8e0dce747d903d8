import {
  KongHybridConfig,
  ListenAddress,
  controlPlaneConfig,
  dataPlaneConfig,
  endpoint,
  isSecretRef,
  renderListen,
  renderListenList,
  secretRef,
  validateKongConfig,
} from '../../src/kong';
import { CERT_FILES, POSTGRES, errorOf, pkiControlPlane, pkiDataPlane, sharedDataPlane } from './fixtures';

function without<T extends object, K extends keyof T>(value: T, key: K): Omit<T, K> {
  const copy = { ...value };
  delete copy[key];
  return copy;
}

/** The message of the KongFleetError that validating `config` throws. */
function problem(config: unknown): string {
  return errorOf(() => validateKongConfig(config as KongHybridConfig)).message;
}

describe('controlPlaneConfig', () => {
  test('GIVEN only the required props WHEN built THEN Kong and library defaults are filled in', () => {
    const config = controlPlaneConfig({ postgres: POSTGRES, clusterCert: '/c.crt', clusterCertKey: '/c.key' });
    expect(config).toEqual({
      role: 'control_plane',
      version: '3.10.0.6',
      database: 'postgres',
      postgres: POSTGRES,
      clusterMtls: 'shared',
      clusterCert: '/c.crt',
      clusterCertKey: '/c.key',
      clusterListen: { address: '0.0.0.0', port: 8005 },
      clusterTelemetryListen: { address: '0.0.0.0', port: 8006 },
      adminListen: [{ address: '0.0.0.0', port: 8444, ssl: true, http2: true }],
      adminGuiListen: [{ address: '0.0.0.0', port: 8445, ssl: true }],
      statusListen: { address: '0.0.0.0', port: 8100 },
    });
  });

  test('GIVEN invalid props WHEN built THEN the error is reported under the given path', () => {
    const error = errorOf(() =>
      controlPlaneConfig(
        { postgres: POSTGRES, clusterCert: '/c.crt', clusterCertKey: '/c.key', clusterMtls: 'pki' },
        'Cp/kong',
      ),
    );
    expect(error.message).toMatch(/^Cp\/kong\.clusterCaCert: required when clusterMtls is 'pki'/);
  });
});

describe('dataPlaneConfig', () => {
  test('GIVEN only the required props WHEN built THEN the telemetry endpoint defaults to the CP host on 8006', () => {
    const config = dataPlaneConfig({
      clusterCert: '/c.crt',
      clusterCertKey: '/c.key',
      clusterControlPlane: endpoint('cp.example.com', 8005),
    });
    expect(config).toEqual({
      role: 'data_plane',
      version: '3.10.0.6',
      database: 'off',
      clusterMtls: 'shared',
      clusterCert: '/c.crt',
      clusterCertKey: '/c.key',
      clusterControlPlane: { host: 'cp.example.com', port: 8005 },
      clusterTelemetryEndpoint: { host: 'cp.example.com', port: 8006 },
      proxyListen: [
        { address: '0.0.0.0', port: 8000 },
        { address: '0.0.0.0', port: 8443, ssl: true, http2: true },
      ],
      statusListen: { address: '0.0.0.0', port: 8100 },
    });
  });

  test('GIVEN a CDK token as host WHEN built THEN syntax checks wait for deploy time', () => {
    const host = '${Token[TOKEN.123]}';
    const config = dataPlaneConfig({
      clusterMtls: 'pki',
      ...CERT_FILES,
      clusterControlPlane: endpoint(host, 8005),
      clusterServerName: host,
      dpLabels: { region: '${Token[AWS.Region.9]}' },
    });
    expect(config.clusterTelemetryEndpoint).toEqual({ host, port: 8006 });
  });
});

describe('validateKongConfig', () => {
  const cp = pkiControlPlane();
  const dp = pkiDataPlane();

  test('GIVEN the fixtures WHEN validated THEN they pass', () => {
    expect(() => validateKongConfig(cp)).not.toThrow();
    expect(() => validateKongConfig(dp)).not.toThrow();
    expect(() => validateKongConfig(sharedDataPlane())).not.toThrow();
  });

  test('GIVEN a data plane with a database THEN the error names database and the value', () => {
    expect(problem({ ...dp, database: 'postgres' })).toBe(
      'kong.database: a data plane runs without a database (Kong: only in-memory storage) (got "postgres"; expected \'off\')',
    );
  });

  test('GIVEN a control plane with database off THEN the error names database and the value', () => {
    expect(problem({ ...cp, database: 'off' })).toBe(
      'kong.database: a control plane needs a database (Kong refuses in-memory storage on a CP) (got "off"; expected \'postgres\')',
    );
  });

  test('GIVEN pki without a CA certificate THEN the error names clusterCaCert', () => {
    for (const config of [cp, dp]) {
      expect(problem(without(config, 'clusterCaCert'))).toBe(
        "kong.clusterCaCert: required when clusterMtls is 'pki' (peers are verified against it) (got nothing; expected a CA certificate path, PEM text or SecretRef)",
      );
    }
  });

  test('GIVEN a control plane without a cluster listener THEN the error names clusterListen', () => {
    expect(problem(without(cp, 'clusterListen'))).toBe(
      'kong.clusterListen: a control plane needs cluster_listen (got nothing; expected a ListenAddress such as { port: 8005 })',
    );
  });

  test('GIVEN a control plane without a telemetry listener THEN the error names clusterTelemetryListen', () => {
    expect(problem(without(cp, 'clusterTelemetryListen'))).toMatch(
      /^kong\.clusterTelemetryListen: a control plane needs cluster_telemetry_listen/,
    );
  });

  test('GIVEN a data plane without clusterControlPlane THEN the error names the field', () => {
    expect(problem(without(dp, 'clusterControlPlane'))).toBe(
      "kong.clusterControlPlane: a data plane needs this endpoint of the control plane (got nothing; expected an Endpoint such as endpoint('cp.example.com', 8005))",
    );
  });

  test('GIVEN a data plane with clusterListen THEN the error says it is CP-only and shows the value', () => {
    expect(problem({ ...dp, clusterListen: { port: 8005 } })).toBe(
      'kong.clusterListen: applies to control planes only; remove it from this data plane (got {"port":8005})',
    );
  });

  test('GIVEN a control plane with dpLabels THEN the error says it is DP-only', () => {
    expect(problem({ ...cp, dpLabels: { a: 'b' } })).toMatch(/^kong\.dpLabels: applies to data planes only/);
  });

  test('GIVEN port 70000 THEN the error names the listener port and the value', () => {
    expect(problem({ ...dp, proxyListen: [{ port: 8000 }, { port: 70000, ssl: true }] })).toBe(
      'kong.proxyListen[1].port: not a TCP port (got 70000; expected an integer from 1 to 65535)',
    );
    expect(problem({ ...dp, clusterControlPlane: { host: 'cp.example.com', port: 8005.5 } })).toMatch(
      /^kong\.clusterControlPlane\.port: not a TCP port \(got 8005\.5;/,
    );
  });

  test('GIVEN an endpoint host with a scheme THEN the error names the host and the value', () => {
    expect(problem({ ...dp, clusterControlPlane: endpoint('https://cp.example.com', 8005) })).toBe(
      'kong.clusterControlPlane.host: host must not include a scheme (got "https://cp.example.com"; expected a DNS name or IP address such as cp.example.com (no scheme, port or path))',
    );
  });

  test.each([
    ['cp.example.com:8005', 'host must not include a port; give it in port'],
    ['cp.example.com/cluster', 'host must not include a path'],
    ['cp_example.com', 'not a valid host name'],
    ['300.1.1.1', 'not a valid host name'],
  ])('GIVEN endpoint host %p THEN it is rejected: %s', (host, why) => {
    expect(problem({ ...dp, clusterTelemetryEndpoint: endpoint(host, 8006) })).toContain(
      `kong.clusterTelemetryEndpoint.host: ${why} (got ${JSON.stringify(host)}`,
    );
  });

  test.each(['10.0.1.20', '::1', '[fd00::1]'])('GIVEN IP endpoint host %p THEN it is accepted', (host) => {
    expect(() => validateKongConfig({ ...dp, clusterControlPlane: endpoint(host, 8005) })).not.toThrow();
  });

  test('GIVEN extra overriding role THEN the error names the setting and says to use the typed field', () => {
    expect(problem({ ...cp, extra: { role: 'traditional' } })).toBe(
      'kong.extra.role: this setting is owned by the typed configuration; use its field instead (got "role"; expected a setting the model does not render)',
    );
  });

  test('GIVEN extra settings the model does not own (fallback config, IAM auth) THEN they are allowed', () => {
    const extra = {
      cluster_fallback_config_export: 'on',
      cluster_fallback_config_storage: 's3://b/p',
      pg_iam_auth: 'on',
    };
    expect(() => validateKongConfig({ ...cp, postgres: without(cp.postgres!, 'password'), extra })).not.toThrow();
  });

  test('GIVEN extra with an upper-case name or the license env name THEN it is rejected', () => {
    expect(problem({ ...cp, extra: { Log_Level: 'debug' } })).toMatch(
      /^kong\.extra\.Log_Level: not a kong\.conf setting name/,
    );
    expect(problem({ ...cp, extra: { license_data: '{}' } })).toMatch(
      /^kong\.extra\.license_data: this setting is owned/,
    );
  });

  test.each<[Record<string, string>, string, string, string]>([
    [{ 'kong-team': 'x' }, 'kong-team', 'invalid data plane label key', 'kong-team'],
    [{ 'a:b': 'x' }, 'a:b', 'invalid data plane label key', 'a:b'],
    [{ region: 'eu,west' }, 'region', 'invalid data plane label value', 'eu,west'],
    [{ region: '-eu' }, 'region', 'invalid data plane label value', '-eu'],
    [{ region: 'x'.repeat(64) }, 'region', 'invalid data plane label value', 'x'.repeat(64)],
  ])('GIVEN bad dp labels %p THEN the error names the label and the bad part', (dpLabels, key, why, got) => {
    expect(problem({ ...dp, dpLabels })).toMatch(
      new RegExp(`^kong\\.dpLabels\\.${key}: ${why} \\(got ${JSON.stringify(got)};`),
    );
  });

  test('GIVEN more than 10 dp labels THEN Kong would refuse them', () => {
    const dpLabels = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`k${i}`, 'v']));
    expect(problem({ ...dp, dpLabels })).toBe(
      'kong.dpLabels: too many data plane labels (got 11; expected at most 10)',
    );
  });

  test('GIVEN shared mode with clusterServerName cp.example.com THEN the error explains Kong sends kong_clustering', () => {
    expect(problem({ ...sharedDataPlane(), clusterServerName: 'cp.example.com' })).toBe(
      "kong.clusterServerName: in shared mode Kong ignores this and always sends SNI kong_clustering; use clusterMtls 'pki' to send a server name (got \"cp.example.com\"; expected nothing, or 'kong_clustering')",
    );
    expect(() => validateKongConfig({ ...sharedDataPlane(), clusterServerName: 'kong_clustering' })).not.toThrow();
  });

  test('GIVEN pki with an IP as server name THEN it is rejected', () => {
    expect(problem({ ...dp, clusterTelemetryServerName: '10.0.0.1' })).toMatch(
      /^kong\.clusterTelemetryServerName: not a TLS server name \(got "10\.0\.0\.1"/,
    );
  });

  test('GIVEN an unknown role or mTLS mode THEN the error lists the allowed values', () => {
    expect(problem({ ...cp, role: 'traditional' })).toBe(
      "kong.role: unknown hybrid-mode role (got \"traditional\"; expected 'control_plane' or 'data_plane')",
    );
    expect(problem({ ...cp, clusterMtls: 'pki_check_cn' })).toBe(
      "kong.clusterMtls: unknown cluster mTLS mode (got \"pki_check_cn\"; expected 'shared' or 'pki')",
    );
  });

  test('GIVEN a misspelt field THEN it is reported rather than ignored', () => {
    expect(problem({ ...cp, clusterListener: { port: 8005 } })).toMatch(
      /^kong\.clusterListener: unknown field \(got "clusterListener"; expected role, version, /,
    );
  });

  test('GIVEN a bad version THEN the error names the version field', () => {
    expect(problem({ ...dp, version: 'latest' })).toMatch(/^kong\.version: not a Kong Gateway version \(got "latest"/);
  });

  test('GIVEN a control plane without postgres or a password THEN the error names the field', () => {
    expect(problem(without(cp, 'postgres'))).toMatch(/^kong\.postgres: required when database is 'postgres'/);
    expect(problem({ ...cp, postgres: without(cp.postgres!, 'password') })).toMatch(
      /^kong\.postgres\.password: required unless extra\.pg_iam_auth is 'on'/,
    );
    expect(problem({ ...cp, postgres: { ...cp.postgres!, ssl: false }, extra: { pg_iam_auth: 'on' } })).toMatch(
      /^kong\.postgres\.ssl: RDS IAM authentication \(pg_iam_auth\) needs TLS/,
    );
  });

  test('GIVEN listeners sharing a port THEN the clash is reported', () => {
    expect(problem({ ...cp, statusListen: { port: 8444 } })).toBe(
      'kong.statusListen.port: port already used by kong.adminListen[0] on this node (got 8444; expected a distinct port per listener)',
    );
    const distinct: ListenAddress[] = [
      { address: '127.0.0.1', port: 8001 },
      { address: '10.0.0.5', port: 8001 },
    ];
    expect(() => validateKongConfig({ ...cp, adminListen: distinct })).not.toThrow();
  });

  test('GIVEN a bad listen address or flag THEN the error names it', () => {
    expect(problem({ ...cp, statusListen: { address: 'localhost', port: 8100 } })).toMatch(
      /^kong\.statusListen\.address: not an IP address to bind \(got "localhost"/,
    );
    expect(problem({ ...dp, proxyListen: [{ port: 8000, parameters: ['ssl'] }] })).toMatch(
      /^kong\.proxyListen\[0\]\.parameters\[0\]: use the typed flag ssl: true instead/,
    );
    expect(problem({ ...dp, proxyListen: [{ port: 8000, parameters: ['backlog=x'] }] })).toMatch(
      /^kong\.proxyListen\[0\]\.parameters\[0\]: not a listen flag Kong accepts \(got "backlog=x"/,
    );
  });

  test('GIVEN a data plane with no proxy listener THEN Kong would refuse proxy_listen=off', () => {
    expect(problem({ ...dp, proxyListen: [] })).toMatch(/^kong\.proxyListen: at least one listener is required/);
  });

  test('GIVEN empty secrets or license THEN the error names the field', () => {
    expect(problem({ ...dp, license: '' })).toMatch(/^kong\.license: missing or empty value \(got ""/);
    expect(problem({ ...dp, clusterCert: secretRef('', 'cert') })).toMatch(
      /^kong\.clusterCert\.secretName: empty secret name/,
    );
  });
});

describe('listen rendering and SecretRef', () => {
  test('GIVEN listeners WHEN rendered THEN Kong syntax is used: ssl before http2, then flags; IPv6 bracketed', () => {
    expect(renderListen({ port: 8443, ssl: true, http2: true, parameters: ['reuseport', 'backlog=16384'] })).toBe(
      '0.0.0.0:8443 ssl http2 reuseport backlog=16384',
    );
    expect(renderListen({ address: '::', port: 8100 })).toBe('[::]:8100');
    expect(renderListenList([{ port: 8000 }, { port: 8443, ssl: true }])).toBe('0.0.0.0:8000, 0.0.0.0:8443 ssl');
    expect(renderListenList([])).toBe('off');
  });

  test('GIVEN values WHEN checked THEN only { secretName, key } objects are SecretRefs', () => {
    expect(isSecretRef(secretRef('s', 'k'))).toBe(true);
    expect(isSecretRef('s')).toBe(false);
    expect(isSecretRef({ secretName: 's' })).toBe(false);
    expect(isSecretRef(null)).toBe(false);
  });
});
