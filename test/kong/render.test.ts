import {
  KONG_PORTS,
  chartSecretVolumePath,
  kongEnvName,
  renderEnvironment,
  renderHelmValues,
  renderKongConf,
  secretRef,
  toKongSettings,
} from '../../src/kong';
import { errorOf, pkiControlPlane, pkiDataPlane, sharedControlPlane, sharedDataPlane } from './fixtures';

const valueFrom = (name: string, key: string) => ({ valueFrom: { secretKeyRef: { name, key } } });

describe('kongEnvName', () => {
  test('GIVEN a kong.conf name WHEN converted THEN it is KONG_ + upper case', () => {
    expect(kongEnvName('cluster_telemetry_listen')).toBe('KONG_CLUSTER_TELEMETRY_LISTEN');
  });

  test('GIVEN something that is not a setting name THEN it throws', () => {
    expect(errorOf(() => kongEnvName('cluster-listen')).message).toMatch(/^kongEnvName: not a Kong setting name/);
  });
});

describe('toKongSettings', () => {
  test('GIVEN a pki data plane WHEN converted THEN settings come in the documented order, extra last and sorted', () => {
    expect([...toKongSettings(pkiDataPlane()).keys()]).toEqual([
      'role',
      'database',
      'cluster_mtls',
      'cluster_cert',
      'cluster_cert_key',
      'cluster_ca_cert',
      'cluster_control_plane',
      'cluster_telemetry_endpoint',
      'cluster_server_name',
      'cluster_telemetry_server_name',
      'cluster_dp_labels',
      'proxy_listen',
      'admin_listen',
      'admin_gui_listen',
      'status_listen',
      'cluster_fallback_config_import',
      'nginx_worker_processes',
    ]);
  });

  test('GIVEN postgres without TLS WHEN converted THEN pg_ssl is off and pg_ssl_required is not set', () => {
    const cp = sharedControlPlane();
    const settings = toKongSettings({ ...cp, postgres: { ...cp.postgres!, ssl: false } });
    expect(settings.get('pg_ssl')).toBe('off');
    expect(settings.has('pg_ssl_required')).toBe(false);
  });

  test('GIVEN an invalid config WHEN converted THEN it is validated first', () => {
    expect(() => toKongSettings({ ...pkiDataPlane(), database: 'postgres' })).toThrow(/kong\.database/);
  });

  test('GIVEN an IPv6 control plane address WHEN converted THEN host:port is bracketed', () => {
    const settings = toKongSettings({ ...sharedDataPlane(), clusterControlPlane: { host: 'fd00::10', port: 8005 } });
    expect(settings.get('cluster_control_plane')).toBe('[fd00::10]:8005');
  });
});

describe('renderEnvironment', () => {
  test('GIVEN a pki control plane WHEN rendered THEN every setting is a KONG_* variable and secrets are separate', () => {
    expect(renderEnvironment(pkiControlPlane())).toEqual({
      environment: {
        KONG_ROLE: 'control_plane',
        KONG_DATABASE: 'postgres',
        KONG_PG_HOST: 'kong-db.abc123.eu-west-1.rds.amazonaws.com',
        KONG_PG_PORT: '5432',
        KONG_PG_DATABASE: 'kong',
        KONG_PG_SSL: 'on',
        KONG_PG_SSL_REQUIRED: 'on',
        KONG_PG_SSL_VERIFY: 'off',
        KONG_CLUSTER_MTLS: 'pki',
        KONG_CLUSTER_CERT: '/etc/secrets/kong-cluster-cert/tls.crt',
        KONG_CLUSTER_CERT_KEY: '/etc/secrets/kong-cluster-cert/tls.key',
        KONG_CLUSTER_CA_CERT: '/etc/secrets/kong-cluster-cert/ca.crt',
        KONG_CLUSTER_LISTEN: '0.0.0.0:8005',
        KONG_CLUSTER_TELEMETRY_LISTEN: '0.0.0.0:8006',
        KONG_PROXY_LISTEN: 'off',
        KONG_ADMIN_LISTEN: '0.0.0.0:8444 ssl http2',
        KONG_ADMIN_GUI_LISTEN: '0.0.0.0:8445 ssl',
        KONG_STATUS_LISTEN: '0.0.0.0:8100',
        KONG_CLUSTER_MAX_PAYLOAD: '16777216',
        KONG_NGINX_WORKER_PROCESSES: 'auto',
      },
      secrets: {
        KONG_PG_USER: { secretName: 'kong-postgres', key: 'username' },
        KONG_PG_PASSWORD: { secretName: 'kong-postgres', key: 'password' },
        KONG_LICENSE_DATA: { secretName: 'kong-license', key: 'license' },
      },
    });
  });

  test('GIVEN a shared data plane with secret certificates WHEN rendered THEN the certificates are secrets', () => {
    expect(renderEnvironment(sharedDataPlane())).toEqual({
      environment: {
        KONG_ROLE: 'data_plane',
        KONG_DATABASE: 'off',
        KONG_CLUSTER_MTLS: 'shared',
        KONG_CLUSTER_CONTROL_PLANE: 'cp.kong.example.com:8005',
        KONG_CLUSTER_TELEMETRY_ENDPOINT: 'cp.kong.example.com:8006',
        KONG_CLUSTER_DP_LABELS: 'deployment:aws',
        KONG_PROXY_LISTEN: '0.0.0.0:8000, 0.0.0.0:8443 ssl http2',
        KONG_ADMIN_LISTEN: 'off',
        KONG_ADMIN_GUI_LISTEN: 'off',
        KONG_STATUS_LISTEN: '0.0.0.0:8100',
        KONG_LOG_LEVEL: 'info',
      },
      secrets: {
        KONG_CLUSTER_CERT: { secretName: 'kong-cluster', key: 'cert' },
        KONG_CLUSTER_CERT_KEY: { secretName: 'kong-cluster', key: 'key' },
        KONG_LICENSE_DATA: { secretName: 'kong-license', key: 'license' },
      },
    });
  });

  test('GIVEN a literal license WHEN rendered THEN it is a plain KONG_LICENSE_DATA variable', () => {
    const { environment, secrets } = renderEnvironment(sharedControlPlane());
    expect(environment.KONG_LICENSE_DATA).toBe('{"license":{"payload":{}}}');
    expect(secrets.KONG_LICENSE_DATA).toBeUndefined();
  });
});

describe('renderKongConf', () => {
  test('GIVEN a pki data plane WHEN rendered THEN the file has a header and one name = value line per setting', () => {
    const conf = renderKongConf(pkiDataPlane());
    expect(conf.text).toBe(
      [
        '# kong.conf for a Kong Gateway 3.10.0.6 data plane, generated by kong-fleet.',
        '# Secret settings are not in this file: they come from KONG_* environment variables.',
        'role = data_plane',
        'database = off',
        'cluster_mtls = pki',
        'cluster_cert = /etc/secrets/kong-cluster-cert/tls.crt',
        'cluster_cert_key = /etc/secrets/kong-cluster-cert/tls.key',
        'cluster_ca_cert = /etc/secrets/kong-cluster-cert/ca.crt',
        'cluster_control_plane = cp.kong.example.com:8005',
        'cluster_telemetry_endpoint = tp.kong.example.com:8006',
        'cluster_server_name = cp.kong.example.com',
        'cluster_telemetry_server_name = tp.kong.example.com',
        'cluster_dp_labels = region:eu-west-1,runtime:ecs',
        'proxy_listen = 0.0.0.0:8000, 0.0.0.0:8443 ssl http2',
        'admin_listen = off',
        'admin_gui_listen = off',
        'status_listen = 0.0.0.0:8100',
        'cluster_fallback_config_import = on',
        'nginx_worker_processes = auto',
        '',
      ].join('\n'),
    );
    expect(conf.environment).toEqual({});
    expect(conf.environmentSecrets).toEqual({ KONG_LICENSE_DATA: { secretName: 'kong-license', key: 'license' } });
  });

  test('GIVEN secretFile WHEN rendered THEN certificate secrets become files and other secrets stay in the environment', () => {
    const conf = renderKongConf(sharedControlPlane(), {
      secretFile: (ref) => `/etc/kong/${ref.secretName}-${ref.key}.pem`,
    });
    expect(conf.text).toContain('\ncluster_cert = /etc/kong/kong-cluster-cert.pem\n');
    expect(conf.text).toContain('\ncluster_cert_key = /etc/kong/kong-cluster-key.pem\n');
    expect(conf.text).not.toMatch(/pg_user|pg_password|license/);
    expect(conf.environment).toEqual({ KONG_LICENSE_DATA: '{"license":{"payload":{}}}' });
    expect(conf.environmentSecrets).toEqual({
      KONG_PG_USER: { secretName: 'kong-postgres', key: 'username' },
      KONG_PG_PASSWORD: { secretName: 'kong-postgres', key: 'password' },
    });
  });

  test('GIVEN no secretFile WHEN rendered THEN certificate secrets are passed through the environment too', () => {
    const conf = renderKongConf(sharedDataPlane());
    expect(conf.text).not.toContain('cluster_cert');
    expect(Object.keys(conf.environmentSecrets)).toEqual([
      'KONG_CLUSTER_CERT',
      'KONG_CLUSTER_CERT_KEY',
      'KONG_LICENSE_DATA',
    ]);
  });

  test('GIVEN a value with # WHEN rendered THEN it is escaped so Kong does not read a comment', () => {
    const conf = renderKongConf({ ...sharedDataPlane(), extra: { headers: 'server_tokens,#x' } });
    expect(conf.text).toContain('\nheaders = server_tokens,\\#x\n');
  });

  test('GIVEN PEM text as a value WHEN rendered THEN kong.conf refuses the multi-line value', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
    const error = errorOf(() => renderKongConf({ ...sharedDataPlane(), clusterCert: pem }));
    expect(error.message).toMatch(/^kong\.conf\.cluster_cert: a multi-line value cannot be written to kong\.conf/);
  });

  test('GIVEN secretFile returning a relative path WHEN rendered THEN it is rejected', () => {
    expect(() => renderKongConf(sharedDataPlane(), { secretFile: () => 'cluster.crt' })).toThrow(
      /kong\.conf\.cluster_cert: secretFile must return an absolute path/,
    );
  });
});

describe('renderHelmValues', () => {
  const volumes = { secretVolumes: ['kong-cluster-cert'] };

  test('GIVEN a control plane WHEN rendered THEN proxy and ingress controller are off and cluster ports come from the listeners', () => {
    const values = renderHelmValues(pkiControlPlane(), { fullnameOverride: 'kong-cp', ...volumes });
    expect(values).toMatchObject({
      image: { repository: 'kong/kong-gateway', tag: '3.10.0.6' },
      fullnameOverride: 'kong-cp',
      ingressController: { enabled: false },
      enterprise: { enabled: true, vitals: { enabled: true } },
      proxy: { enabled: false },
      cluster: { enabled: true, type: 'ClusterIP', tls: { enabled: true, servicePort: 8005, containerPort: 8005 } },
      clustertelemetry: {
        enabled: true,
        type: 'ClusterIP',
        tls: { enabled: true, servicePort: 8006, containerPort: 8006 },
      },
      admin: {
        enabled: true,
        type: 'ClusterIP',
        http: { enabled: false },
        tls: { enabled: true, servicePort: 8444, containerPort: 8444 },
      },
      manager: {
        enabled: true,
        type: 'ClusterIP',
        http: { enabled: false },
        tls: { enabled: true, servicePort: 8445, containerPort: 8445 },
      },
      migrations: { preUpgrade: true, postUpgrade: true },
      status: { enabled: true, http: { enabled: true, containerPort: 8100 }, tls: { enabled: false } },
      portal: { enabled: false },
      portalapi: { enabled: false },
      secretVolumes: ['kong-cluster-cert'],
    });
    const env = values.env as Record<string, unknown>;
    expect(env.role).toBe('control_plane');
    expect(env.database).toBe('postgres');
    expect(env.pg_password).toEqual(valueFrom('kong-postgres', 'password'));
    expect(env.license_data).toEqual(valueFrom('kong-license', 'license'));
    expect(env.cluster_listen).toBe('0.0.0.0:8005');
    expect(env.router_flavor).toBe('traditional_compatible');
    expect(values).not.toHaveProperty('enterprise.license_secret');
  });

  test('GIVEN a data plane WHEN rendered THEN database is off, the CP endpoint is host:port and only the proxy is exposed', () => {
    const values = renderHelmValues(pkiDataPlane(), { fullnameOverride: 'kong-dp', ...volumes });
    const env = values.env as Record<string, unknown>;
    expect(env.database).toBe('off');
    expect(env.cluster_control_plane).toBe('cp.kong.example.com:8005');
    expect(env.cluster_telemetry_endpoint).toBe('tp.kong.example.com:8006');
    expect(env.admin_listen).toBe('off');
    expect(values).toMatchObject({
      admin: { enabled: false },
      manager: { enabled: false },
      cluster: { enabled: false },
      clustertelemetry: { enabled: false },
      proxy: {
        enabled: true,
        type: 'ClusterIP',
        http: { enabled: true, servicePort: 80, containerPort: KONG_PORTS.proxyHttp },
        tls: { enabled: true, servicePort: 443, containerPort: KONG_PORTS.proxyHttps },
      },
    });
    expect(values).not.toHaveProperty('migrations');
  });

  test('GIVEN non-default listener ports WHEN rendered THEN Service and container ports follow the model', () => {
    const dp = pkiDataPlane();
    const values = renderHelmValues(
      { ...dp, proxyListen: [{ port: 9443, ssl: true }], statusListen: { port: 9100 } },
      { fullnameOverride: 'kong-dp', ...volumes },
    );
    expect(values.proxy).toEqual({
      enabled: true,
      type: 'ClusterIP',
      http: { enabled: false },
      tls: { enabled: true, servicePort: 443, containerPort: 9443 },
    });
    expect(values.status).toMatchObject({ http: { containerPort: 9100 } });
    expect((values.env as Record<string, unknown>).proxy_listen).toBe('0.0.0.0:9443 ssl');
  });

  test('GIVEN router_flavor in extra WHEN rendered THEN the model value wins over the chart default fix', () => {
    const values = renderHelmValues(
      { ...sharedDataPlane(), extra: { router_flavor: 'expressions' } },
      { fullnameOverride: 'kong-dp' },
    );
    expect((values.env as Record<string, unknown>).router_flavor).toBe('expressions');
  });

  test('GIVEN a certificate file from a Secret that is not mounted WHEN rendered THEN the error names the Secret', () => {
    const error = errorOf(() => renderHelmValues(pkiDataPlane(), { fullnameOverride: 'kong-dp' }));
    expect(error.message).toBe(
      "helm.env.cluster_cert: reads a file from Secret 'kong-cluster-cert', which is not mounted (got \"/etc/secrets/kong-cluster-cert/tls.crt\"; expected 'kong-cluster-cert' in secretVolumes ([]))",
    );
    expect(chartSecretVolumePath('kong-cluster-cert', 'tls.crt')).toBe('/etc/secrets/kong-cluster-cert/tls.crt');
  });

  test.each([
    [{ fullnameOverride: 'Kong_CP' }, /^helm\.fullnameOverride: not usable as a Kubernetes name prefix/],
    [{ fullnameOverride: 'k'.repeat(47) }, /^helm\.fullnameOverride: /],
    [{ fullnameOverride: 'kong-dp', secretVolumes: ['a.b'] }, /^helm\.secretVolumes\[0\]: not usable/],
    [{ fullnameOverride: 'kong-dp', secretVolumes: ['a', 'a'] }, /^helm\.secretVolumes\[1\]: listed twice/],
    [
      { fullnameOverride: 'kong-dp', imageRepository: 'kong/kong-gateway:3.10' },
      /^helm\.imageRepository: give the repository only/,
    ],
  ])('GIVEN bad options %p WHEN rendered THEN they are rejected', (options, message) => {
    expect(errorOf(() => renderHelmValues(sharedDataPlane(), options)).message).toMatch(message);
  });

  test('GIVEN listeners the chart cannot express WHEN rendered THEN the error says why', () => {
    const dp = sharedDataPlane();
    expect(() =>
      renderHelmValues(
        {
          ...dp,
          proxyListen: [
            { port: 8443, ssl: true },
            { port: 9443, ssl: true },
          ],
        },
        { fullnameOverride: 'kong-dp' },
      ),
    ).toThrow(/^helm\.proxyListen: the chart exposes at most one plain and one TLS listener per service/);
    expect(() =>
      renderHelmValues({ ...dp, statusListen: { port: 8100, ssl: true } }, { fullnameOverride: 'kong-dp' }),
    ).toThrow(/^helm\.statusListen: the chart's probes need a plain-HTTP status listener/);
  });

  test('GIVEN Kong Manager turned off WHEN rendered THEN the manager Service is off and admin_gui_listen is off', () => {
    const cp = sharedControlPlane();
    const values = renderHelmValues({ ...cp, adminGuiListen: [] }, { fullnameOverride: 'kong-cp' });
    expect(values.manager).toEqual({ enabled: false });
    expect((values.env as Record<string, unknown>).admin_gui_listen).toBe('off');
    expect((values.env as Record<string, unknown>).cluster_cert).toEqual(valueFrom('kong-cluster', 'cert'));
  });

  test('GIVEN a SecretRef anywhere WHEN rendered THEN it becomes valueFrom.secretKeyRef', () => {
    const values = renderHelmValues(
      { ...sharedDataPlane(), extra: { vault_aws_region: secretRef('kong-vault', 'region') } },
      { fullnameOverride: 'kong-dp' },
    );
    expect((values.env as Record<string, unknown>).vault_aws_region).toEqual(valueFrom('kong-vault', 'region'));
  });
});
