/**
 * Data planes of a Kong Konnect control plane: the endpoint rules, the settings every runtime
 * binding renders (keys checked against Kong's Enterprise 3.15 reference), and what is refused.
 */
import { dataPlaneConfig, KongHybridConfig, toKongSettings, validateKongConfig } from '../../src/kong/config';
import { dataPlaneSettings, DataPlaneSpec, PlaneSecretBindings, usesClusterCa } from '../../src/kong/data-plane';
import { clusterCredentialRef } from '../../src/kong/ec2-user-data';
import {
  checkKonnectControlPlaneId,
  KONNECT_API_REGIONS,
  konnectApiBaseUrl,
  konnectEndpoints,
  parseKonnectApiBaseUrl,
  parseKonnectHost,
} from '../../src/kong/konnect';
import {
  kubernetesClusterSecretKeys,
  kubernetesSecretBindings,
  renderKubernetesDataPlane,
} from '../../src/kong/kubernetes-data-plane';
import { defaultReferenceDir, isKnownKongSetting, loadKongReference } from '../../src/kong/reference';
import { renderEnvironment, renderKongConf } from '../../src/kong/render';
import { expectKongError } from '../support/errors';

const CP = 'abc123def4.us.cp0.konghq.com';
const TP = 'abc123def4.us.tp0.konghq.com';

const SPEC: DataPlaneSpec = {
  name: 'dp-konnect',
  version: '3.10.0.6',
  // Konnect's CP runs the newest version: an older "CP version" must not matter.
  controlPlaneVersion: '3.4.0.0',
  clusterEndpoint: { host: CP, port: 443 },
  telemetryEndpoint: { host: TP, port: 443 },
  clusterMtls: 'pki',
  konnect: true,
};

/** The bindings each runtime hands Kong (as the runtimes build them for a Konnect control plane). */
const BINDINGS: Record<string, PlaneSecretBindings> = {
  ecs: {
    clusterCert: { secretName: 'cluster-credentials', key: 'cert' },
    clusterCertKey: { secretName: 'cluster-credentials', key: 'key' },
  },
  ec2: { clusterCert: clusterCredentialRef('cert'), clusterCertKey: clusterCredentialRef('key') },
  kubernetes: kubernetesSecretBindings('pki', false, usesClusterCa(SPEC)),
};

const KONNECT_SETTINGS = {
  role: 'data_plane',
  database: 'off',
  konnect_mode: 'on',
  cluster_mtls: 'pki',
  lua_ssl_trusted_certificate: 'system',
  cluster_control_plane: `${CP}:443`,
  cluster_server_name: CP,
  cluster_telemetry_endpoint: `${TP}:443`,
  cluster_telemetry_server_name: TP,
};

describe('Konnect endpoints and API', () => {
  test('cluster and telemetry hosts (cp0/tp0 and the unnumbered form) become endpoints on 443', () => {
    expect(konnectEndpoints(CP, TP)).toEqual({
      clusterEndpoint: { host: CP, port: 443 },
      telemetryEndpoint: { host: TP, port: 443 },
      region: 'us',
    });
    expect(parseKonnectHost('abc.eu.cp.konghq.com', 'cluster', 'x')).toEqual({ prefix: 'abc', region: 'eu' });
  });

  test.each([
    ['a scheme', `https://${CP}`, TP, /clusterEndpoint: is not a Konnect cluster host name/],
    ['a port', `${CP}:443`, TP, /clusterEndpoint: is not a Konnect cluster host name/],
    ['another domain', 'cp.example.com', TP, /clusterEndpoint: is not a Konnect cluster host name/],
    ['a telemetry host as cluster', TP, TP, /clusterEndpoint: is not a Konnect cluster host name/],
    ['a cluster host as telemetry', CP, CP, /telemetryEndpoint: is not a Konnect telemetry host name/],
    ['an unknown region', 'abc.xx.cp0.konghq.com', 'abc.xx.tp0.konghq.com', /names a region Konnect does not have/],
    ['two regions', CP, 'abc123def4.eu.tp0.konghq.com', /telemetryEndpoint: is in another Konnect region/],
  ])('refuses %s', (_what, cluster, telemetry, pattern) => {
    expectKongError(() => konnectEndpoints(cluster, telemetry), pattern);
  });

  test('API base URLs of every region; others refused', () => {
    expect(KONNECT_API_REGIONS).toEqual(['us', 'eu', 'au', 'me', 'in', 'sg']);
    expect(konnectApiBaseUrl('eu')).toBe('https://eu.api.konghq.com');
    expect(parseKonnectApiBaseUrl('https://au.api.konghq.com/')).toEqual({
      apiBaseUrl: 'https://au.api.konghq.com',
      region: 'au',
    });
    expectKongError(() => konnectApiBaseUrl('global'), /is not a Konnect region \(got "global"/);
    expectKongError(() => parseKonnectApiBaseUrl('http://us.api.konghq.com'), /is not a Konnect API base URL/);
    expectKongError(() => parseKonnectApiBaseUrl('https://us.api.konghq.com/v2'), /is not a Konnect API base URL/);
    expectKongError(
      () => checkKonnectControlPlaneId('not-a-uuid', 'cp.id'),
      /cp\.id: is not a Konnect control plane id/,
    );
  });
});

describe('Konnect data-plane settings', () => {
  const reference = loadKongReference(defaultReferenceDir());

  test.each(Object.keys(BINDINGS))('%s binding: Konnect settings, no CA, every key in the EE reference', (runtime) => {
    const config = dataPlaneSettings(SPEC, BINDINGS[runtime], `dp.${runtime}`);
    const settings = toKongSettings(config);
    expect(Object.fromEntries(settings)).toEqual(expect.objectContaining(KONNECT_SETTINGS));
    expect(settings.has('cluster_ca_cert')).toBe(false);
    for (const name of settings.keys()) expect([name, isKnownKongSetting(reference, name)]).toEqual([name, true]);
  });

  test('the EE 3.15 reference has konnect_mode, and the environment renders it as KONG_KONNECT_MODE', () => {
    expect(isKnownKongSetting(reference, 'konnect_mode')).toBe(true);
    const env = renderEnvironment(dataPlaneSettings(SPEC, BINDINGS.ecs, 'dp')).environment;
    expect(env).toEqual(
      expect.objectContaining({ KONG_KONNECT_MODE: 'on', KONG_LUA_SSL_TRUSTED_CERTIFICATE: 'system' }),
    );
    expect(Object.keys(env).some((k) => k.includes('CA_CERT'))).toBe(false);
    const conf = renderKongConf(dataPlaneSettings(SPEC, BINDINGS.ec2, 'dp'), {
      secretFile: (r) => `/etc/kong/${r.key}`,
    });
    expect(conf.text).toContain('konnect_mode = on\n');
    expect(conf.text).not.toContain('cluster_ca_cert');
  });

  test('a user lua_ssl_trusted_certificate that keeps system is kept; one without system is refused', () => {
    const keeps = dataPlaneSettings(
      { ...SPEC, kongSettings: { lua_ssl_trusted_certificate: 'system,/etc/ssl/upstream-ca.pem' } },
      BINDINGS.ecs,
      'dp',
    );
    expect(toKongSettings(keeps).get('lua_ssl_trusted_certificate')).toBe('system,/etc/ssl/upstream-ca.pem');
    expectKongError(
      () =>
        dataPlaneSettings(
          { ...SPEC, kongSettings: { lua_ssl_trusted_certificate: '/etc/ssl/ca.pem' } },
          BINDINGS.ecs,
          'dp',
        ),
      /extra\.lua_ssl_trusted_certificate: must keep system/,
    );
    expectKongError(
      () => dataPlaneSettings({ ...SPEC, kongSettings: { konnect_mode: 'off' } }, BINDINGS.ecs, 'dp'),
      /extra\.konnect_mode: this setting is owned by the typed configuration/,
    );
  });

  test('Kubernetes: no ca.crt in the Secret, a Konnect guide, and the same settings as the other runtimes', () => {
    expect(kubernetesClusterSecretKeys('pki', usesClusterCa(SPEC)).map((k) => k.secretKey)).toEqual([
      'tls.crt',
      'tls.key',
    ]);
    const rendered = renderKubernetesDataPlane({ spec: SPEC });
    expect(rendered.values.env).toEqual(expect.objectContaining(KONNECT_SETTINGS));
    expect(rendered.secrets[0].keys.map((k) => k.key)).toEqual(['tls.crt', 'tls.key']);
    expect(rendered.files['secrets.md']).toContain('registered with the Konnect control plane');
    expect(rendered.files['secrets.md']).not.toContain('ca.crt');
    expect(rendered.files['values.yaml']).toContain('konnect_mode: "on"');
  });

  test('a self-hosted pki data plane still needs and renders its CA; the version rule still applies there', () => {
    const hosted: DataPlaneSpec = { ...SPEC, konnect: undefined, controlPlaneVersion: '3.10.0.6' };
    expect(usesClusterCa(hosted)).toBe(true);
    expectKongError(() => dataPlaneSettings(hosted, BINDINGS.ecs, 'dp'), /dp\.clusterCaCert: pki mode needs the CA/);
    expectKongError(
      () => dataPlaneSettings({ ...hosted, controlPlaneVersion: '3.4.0.0' }, BINDINGS.ecs, 'dp'),
      /dp\.kongVersion/,
    );
  });
});

describe('Konnect rules of the configuration model', () => {
  const base = dataPlaneConfig({
    clusterMtls: 'pki',
    konnectMode: true,
    clusterCert: '/c.crt',
    clusterCertKey: '/c.key',
    clusterControlPlane: { host: CP, port: 443 },
    clusterTelemetryEndpoint: { host: TP, port: 443 },
    clusterServerName: CP,
    clusterTelemetryServerName: TP,
  });

  test.each<[string, Partial<KongHybridConfig>, RegExp]>([
    [
      'shared mode',
      { clusterMtls: 'shared', clusterServerName: undefined, clusterTelemetryServerName: undefined },
      /clusterMtls: Konnect data planes authenticate with their own certificate/,
    ],
    ['a cluster CA', { clusterCaCert: '/ca.crt' }, /clusterCaCert: Konnect's certificate chains to a public CA/],
    [
      'port 8005',
      { clusterControlPlane: { host: CP, port: 8005 } },
      /clusterControlPlane\.port: Konnect takes cluster connections on 443 only/,
    ],
    [
      'a self-hosted endpoint',
      { clusterControlPlane: { host: 'cp.example.com', port: 443 } },
      /clusterControlPlane\.host: is not a Konnect cluster host name/,
    ],
    [
      'another server name',
      { clusterServerName: 'other.us.cp0.konghq.com' },
      /clusterServerName: must be the Konnect host/,
    ],
  ])('refuses %s', (_what, change, pattern) => {
    expectKongError(() => validateKongConfig({ ...base, ...change } as KongHybridConfig, 'dp'), pattern);
  });

  test('pki without a CA is refused outside Konnect mode', () => {
    const hosted = { ...base, konnectMode: undefined };
    expectKongError(
      () => validateKongConfig(hosted as KongHybridConfig, 'dp'),
      /dp\.clusterCaCert: required when clusterMtls is 'pki'/,
    );
  });
});
