import * as path from 'path';
import {
  KongHybridConfig,
  KongReference,
  MODEL_OWNED_SETTINGS,
  confNamesFromKongConf,
  defaultReferenceDir,
  findUnknownEnvNames,
  findUnknownHelmValues,
  isInjectedNginxDirective,
  isKnownKongSetting,
  kongEnvName,
  loadKongReference,
  renderEnvironment,
  renderHelmValues,
  renderKongConf,
} from '../../src/kong';
import { errorOf, pkiControlPlane, pkiDataPlane, sharedControlPlane, sharedDataPlane } from './fixtures';

// Kong's reference files live in ../shared/reference (present in CI). A missing directory
// fails every test here with loadKongReference's message: conformance is never skipped.
let ref: KongReference;
beforeAll(() => {
  ref = loadKongReference(defaultReferenceDir());
});

const CONFIGS: Array<[string, () => KongHybridConfig]> = [
  ['pki control plane', pkiControlPlane],
  ['pki data plane', pkiDataPlane],
  ['shared control plane', sharedControlPlane],
  ['shared data plane', sharedDataPlane],
];

function helmValues(config: KongHybridConfig): Record<string, unknown> {
  return renderHelmValues(config, {
    fullnameOverride: config.role === 'control_plane' ? 'kong-cp' : 'kong-dp',
    secretVolumes: ['kong-cluster-cert'],
  });
}

describe('loading the reference', () => {
  test('GIVEN the repository layout WHEN resolved THEN the default directory is ../shared/reference', () => {
    expect(defaultReferenceDir()).toBe(path.resolve(__dirname, '../../../shared/reference'));
  });

  test('GIVEN KONG_FLEET_REFERENCE_DIR WHEN resolved THEN it overrides the default', () => {
    const saved = process.env.KONG_FLEET_REFERENCE_DIR;
    process.env.KONG_FLEET_REFERENCE_DIR = '/opt/kong-reference';
    try {
      expect(defaultReferenceDir()).toBe('/opt/kong-reference');
    } finally {
      if (saved === undefined) delete process.env.KONG_FLEET_REFERENCE_DIR;
      else process.env.KONG_FLEET_REFERENCE_DIR = saved;
    }
  });

  test('GIVEN a directory without the files WHEN loaded THEN a KongFleetError names the missing file', () => {
    const error = errorOf(() => loadKongReference('/nonexistent/reference'));
    expect(error.message).toBe(
      'kongReference: Kong reference file kong.conf.default not found (got "/nonexistent/reference/kong.conf.default"; expected Kong\'s reference files in /nonexistent/reference (set KONG_FLEET_REFERENCE_DIR to their directory))',
    );
  });

  test('GIVEN kong.conf text WHEN names are read THEN only line-start properties count, not indented examples', () => {
    const text = [
      '#log_level = notice              # Log level.',
      '#ssl_cert =',
      '                                 # stream_listen = 127.0.0.1:7000',
      '# Example: `KONG_LOG_LEVEL`',
      '#------------------------------------------',
    ].join('\n');
    expect([...confNamesFromKongConf(text)]).toEqual(['log_level', 'ssl_cert']);
  });

  test('GIVEN the reference WHEN loaded THEN OSS, Enterprise and env-only names are all known', () => {
    for (const name of ['cluster_listen', 'status_listen', 'pg_ssl_required']) expect(ref.confNames).toContain(name);
    // Enterprise-only properties come from the 3.15 JSON.
    for (const name of ['cluster_telemetry_listen', 'cluster_telemetry_endpoint', 'cluster_fallback_config_import']) {
      expect(ref.confNames).toContain(name);
    }
    expect(ref.envNames).toContain('KONG_LICENSE_DATA');
    expect(ref.envNames).toContain('KONG_CLUSTER_DP_LABELS');
    expect(ref.confNames).not.toContain('license_data');
  });

  test('GIVEN the settings the model owns WHEN looked up THEN Kong knows every one of them', () => {
    expect(findUnknownEnvNames(ref, [...MODEL_OWNED_SETTINGS].map(kongEnvName))).toEqual([]);
  });
});

describe.each(CONFIGS)('conformance of a %s', (_name, build) => {
  test('GIVEN its environment WHEN checked THEN every KONG_* name (plain and secret) is one Kong reads', () => {
    const { environment, secrets } = renderEnvironment(build());
    const names = [...Object.keys(environment), ...Object.keys(secrets)];
    expect(names.length).toBeGreaterThan(10);
    expect(findUnknownEnvNames(ref, names)).toEqual([]);
  });

  test('GIVEN its kong.conf WHEN checked THEN every property is a kong.conf property and env extras are known', () => {
    const conf = renderKongConf(build(), { secretFile: (s) => `/etc/kong/${s.secretName}/${s.key}` });
    const names = conf.text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => line.split(' = ')[0]);
    expect(names.filter((name) => !ref.confNames.has(name))).toEqual([]);
    const envNames = [...Object.keys(conf.environment), ...Object.keys(conf.environmentSecrets)];
    expect(findUnknownEnvNames(ref, envNames)).toEqual([]);
  });

  test("GIVEN its Helm values WHEN checked THEN every env key and every section key exists in Kong's chart", () => {
    const values = helmValues(build());
    expect(findUnknownHelmValues(ref, values)).toEqual([]);
    // license_data is not a kong.conf property: it is admitted through its env name.
    const env = values.env as Record<string, unknown>;
    for (const name of Object.keys(env)) {
      expect(ref.confNames.has(name) || ref.envNames.has(kongEnvName(name))).toBe(true);
    }
  });
});

describe('the conformance checker itself', () => {
  test('GIVEN a made-up env name WHEN checked THEN it is reported', () => {
    expect(findUnknownEnvNames(ref, ['KONG_CLUSTER_LISTEN', 'KONG_CLUSTER_LISTN'])).toEqual(['KONG_CLUSTER_LISTN']);
  });

  test('GIVEN a typo in extra WHEN the environment is checked THEN the typo is reported', () => {
    const config = { ...sharedDataPlane(), extra: { nginx_worker_procesess: '2' } };
    const { environment } = renderEnvironment(config);
    expect(findUnknownEnvNames(ref, Object.keys(environment))).toEqual(['KONG_NGINX_WORKER_PROCESESS']);
  });

  test('GIVEN made-up Helm keys WHEN checked THEN top-level, section and env typos are all reported', () => {
    const values = {
      ...helmValues(pkiControlPlane()),
      clusterTelemetry: { enabled: true },
      cluster: { enabled: true, tls: { enabled: true, containerPrt: 8005 } },
      env: { role: 'control_plane', cluster_listn: '0.0.0.0:8005' },
    };
    expect(findUnknownHelmValues(ref, values).sort()).toEqual([
      'cluster.tls.containerPrt',
      'clusterTelemetry',
      'env.cluster_listn',
    ]);
  });

  test('GIVEN free-form maps and chart keys read by templates only WHEN checked THEN they are accepted', () => {
    const values = {
      fullnameOverride: 'kong-dp',
      affinity: { podAntiAffinity: {} },
      proxy: { annotations: { 'service.beta.kubernetes.io/aws-load-balancer-type': 'external' } },
      podAnnotations: { 'example.com/any': 'x' },
      migrations: { annotations: { 'example.com/job': 'x' } },
    };
    expect(findUnknownHelmValues(ref, values)).toEqual([]);
  });
});

describe('injected Nginx directives', () => {
  const ref = loadKongReference(defaultReferenceDir());

  test.each(['nginx_http_log_format', 'nginx_proxy_large_client_header_buffers', 'nginx_main_worker_rlimit_nofile'])(
    '%s is known by the documented nginx_<namespace>_<directive> pattern',
    (name) => {
      expect(isInjectedNginxDirective(name)).toBe(true);
      expect(isKnownKongSetting(ref, name)).toBe(true);
      expect(findUnknownEnvNames(ref, [kongEnvName(name)])).toEqual([]);
    },
  );

  test.each(['nginx_htp_log_format', 'nginx_http_', 'nginx_server_tokens', 'cluster_listn'])(
    '%s is not (unknown namespace, no directive, or a typo)',
    (name) => {
      expect(isKnownKongSetting(ref, name)).toBe(false);
      expect(findUnknownEnvNames(ref, [kongEnvName(name)])).toEqual([kongEnvName(name)]);
    },
  );
});
