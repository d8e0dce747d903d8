import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { parse as parseYaml } from 'yaml';
import { ClusterCredentials } from '../../src/core/cluster-credentials';
import { KongClusterTrust } from '../../src/core/kong-cluster-trust';
import { mountedClusterTrustSettings, syncedLicenseSetting } from '../../src/core/kubernetes-values';
import { KongDataPlaneEks } from '../../src/data-plane/kong-data-plane-eks';
import {
  ClusterMtlsMode,
  DataPlaneSpec,
  KONG_HELM_CHART,
  KONG_REFERENCE_FILES,
  dataPlaneSettings,
  defaultReferenceDir,
  endpoint,
  findUnknownHelmValues,
  kongEnvName,
  loadKongReference,
} from '../../src/kong';
import {
  KubernetesDataPlane,
  KubernetesDataPlaneOptions,
  renderKubernetesDataPlane,
} from '../../src/kong/kubernetes-data-plane';
import { unitTestApp } from '../support/synth';
import { errorOf } from './fixtures';

const CLUSTER = endpoint('cluster.kong.example.com', 8005);
const TELEMETRY = endpoint('telemetry.kong.example.com', 8006);
const MOUNT = '/etc/secrets/kong-cluster-cert';

function spec(mode: ClusterMtlsMode, overrides: Partial<DataPlaneSpec> = {}): DataPlaneSpec {
  return {
    name: 'onprem-1',
    version: '3.10.0.6',
    controlPlaneVersion: '3.10.0.6',
    clusterEndpoint: CLUSTER,
    telemetryEndpoint: TELEMETRY,
    clusterMtls: mode,
    ...overrides,
  };
}

function render(mode: ClusterMtlsMode, options: Partial<KubernetesDataPlaneOptions> = {}): KubernetesDataPlane {
  return renderKubernetesDataPlane({ spec: spec(mode), ...options });
}

const env = (dp: KubernetesDataPlane) => dp.values.env as Record<string, unknown>;
const v = (dp: KubernetesDataPlane) => dp.values as any;

describe('renderKubernetesDataPlane: Kong settings as Helm values', () => {
  test('GIVEN shared mode without a license THEN a data plane that reads the mounted shared pair', () => {
    const dp = render('shared');
    expect(env(dp)).toMatchObject({
      role: 'data_plane',
      database: 'off',
      cluster_mtls: 'shared',
      cluster_control_plane: 'cluster.kong.example.com:8005',
      cluster_telemetry_endpoint: 'telemetry.kong.example.com:8006',
      cluster_cert: `${MOUNT}/tls.crt`,
      cluster_cert_key: `${MOUNT}/tls.key`,
      cluster_dp_labels: 'dp:onprem-1',
    });
    for (const absent of ['cluster_ca_cert', 'cluster_server_name', 'cluster_telemetry_server_name', 'license_data']) {
      expect(env(dp)).not.toHaveProperty(absent);
    }
    expect(v(dp).secretVolumes).toEqual(['kong-cluster-cert']);
  });

  test('GIVEN pki mode with a license THEN the CA, the CP names and the license Secret are read', () => {
    const dp = render('pki', { license: true });
    expect(env(dp)).toMatchObject({
      role: 'data_plane',
      database: 'off',
      cluster_mtls: 'pki',
      cluster_control_plane: 'cluster.kong.example.com:8005',
      cluster_telemetry_endpoint: 'telemetry.kong.example.com:8006',
      cluster_cert: `${MOUNT}/tls.crt`,
      cluster_cert_key: `${MOUNT}/tls.key`,
      cluster_ca_cert: `${MOUNT}/ca.crt`,
      cluster_server_name: 'cluster.kong.example.com',
      cluster_telemetry_server_name: 'telemetry.kong.example.com',
      license_data: { valueFrom: { secretKeyRef: { name: 'kong-license', key: 'license' } } },
    });
    expect(v(dp).secretVolumes).toEqual(['kong-cluster-cert']);
  });

  test('GIVEN defaults THEN pinned image, HPA 2–10 at 70 %, PDB, spreading, LoadBalancer proxy, no ingress controller', () => {
    const dp = render('shared');
    expect(dp.namespace).toBe('kong-onprem-1');
    expect(dp.release).toBe('kong-dp');
    expect(v(dp).image).toEqual({ repository: 'kong/kong-gateway', tag: '3.10.0.6' });
    expect(v(dp).fullnameOverride).toBe('kong-dp');
    expect(v(dp).ingressController).toEqual({ enabled: false });
    expect(v(dp).autoscaling).toMatchObject({ enabled: true, minReplicas: 2, maxReplicas: 10 });
    expect(v(dp).autoscaling.metrics[0].resource.target.averageUtilization).toBe(70);
    expect(v(dp).podDisruptionBudget).toEqual({ enabled: true, maxUnavailable: 1 });
    expect(v(dp).proxy).toMatchObject({ enabled: true, type: 'LoadBalancer' });
    expect(v(dp).updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(v(dp).deploymentAnnotations).toEqual({
      'secret.reloader.stakater.com/reload': 'kong-cluster-cert,kong-license',
    });
    expect(v(dp).terminationGracePeriodSeconds).toBe(60);
    expect(v(dp).resources.requests).toEqual({ cpu: '500m', memory: '1Gi' });
    expect(v(dp).topologySpreadConstraints).toEqual([
      expect.objectContaining({ topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }),
      expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' }),
    ]);
    expect(v(dp).topologySpreadConstraints[0].labelSelector).toEqual({
      matchLabels: { 'app.kubernetes.io/instance': 'kong-dp' },
    });
  });

  test('GIVEN replicas, service type, zone spreading, namespace and release THEN they are used', () => {
    const dp = render('pki', {
      replicas: { min: 3, max: 20, targetCpuPercent: 60 },
      proxyServiceType: 'NodePort',
      zoneSpread: 'required',
      namespace: 'edge',
      release: 'gateway',
    });
    expect(v(dp).autoscaling).toMatchObject({ minReplicas: 3, maxReplicas: 20 });
    expect(v(dp).autoscaling.metrics[0].resource.target.averageUtilization).toBe(60);
    expect(v(dp).proxy.type).toBe('NodePort');
    expect(v(dp).topologySpreadConstraints[0].whenUnsatisfiable).toBe('DoNotSchedule');
    expect(v(dp).topologySpreadConstraints[0].labelSelector.matchLabels['app.kubernetes.io/instance']).toBe('gateway');
    expect(v(dp).fullnameOverride).toBe('gateway');
    expect(dp.helmCommand).toContain('helm upgrade --install gateway kong ');
    expect(dp.helmCommand).toContain('--namespace edge ');
  });

  test('GIVEN labels, extra settings and an older DP minor THEN they reach env like on every runtime', () => {
    const dp = renderKubernetesDataPlane({
      spec: spec('pki', {
        version: '3.10.0.6',
        controlPlaneVersion: '3.11.0.3',
        labels: { site: 'dc1' },
        kongSettings: { nginx_worker_processes: 'auto' },
      }),
    });
    expect(env(dp).cluster_dp_labels).toBe('dp:onprem-1,site:dc1');
    expect(env(dp).nginx_worker_processes).toBe('auto');
    expect(v(dp).image.tag).toBe('3.10.0.6');
  });
});

/**
 * Keys chart 3.4.1 reads (templates/pdb.yaml) that its values.yaml documents only as comments
 * (`# maxUnavailable: "50%"`), so findUnknownHelmValues, which reads the parsed YAML, reports them.
 */
const COMMENTED_CHART_KEYS = ['podDisruptionBudget.maxUnavailable'];

/** The commented-out keys of a top-level section of the chart's values.yaml. */
function commentedKeys(section: string): string[] {
  const text = fs.readFileSync(path.join(defaultReferenceDir(), KONG_REFERENCE_FILES.chartValues), 'utf8');
  const start = text.indexOf(`\n${section}:\n`);
  const rest = text.slice(start + section.length + 3);
  const block = rest.slice(0, rest.search(/^\S/m));
  return [...block.matchAll(/^ {2}# ?([A-Za-z]+):/gm)].map((m) => `${section}.${m[1]}`);
}

describe("renderKubernetesDataPlane: checked against Kong's reference files", () => {
  const reference = loadKongReference(defaultReferenceDir());

  test('GIVEN the keys allowed beyond the parsed values.yaml THEN each is documented there as a comment', () => {
    for (const key of COMMENTED_CHART_KEYS) expect(commentedKeys(key.split('.')[0])).toContain(key);
  });

  test.each([
    ['shared', false],
    ['pki', true],
  ] as const)(
    'GIVEN %s mode (license %s) THEN every env key is a Kong setting and every value a chart value',
    (mode, license) => {
      const dp = render(mode, { license });
      const unknown = Object.keys(env(dp)).filter(
        (name) => !reference.confNames.has(name) && !reference.envNames.has(kongEnvName(name)),
      );
      expect(unknown).toEqual([]);
      const problems = findUnknownHelmValues(reference, dp.values);
      expect(problems.filter((p) => !COMMENTED_CHART_KEYS.includes(p))).toEqual([]);
    },
  );

  test('GIVEN a misspelt value THEN the reference check would catch it (so the check above can fail)', () => {
    const dp = render('shared');
    expect(
      findUnknownHelmValues(reference, { ...dp.values, autoscalling: {}, env: { ...env(dp), cluster_listn: 'x' } }),
    ).toEqual(expect.arrayContaining(['env.cluster_listn']));
    expect(findUnknownHelmValues(reference, { ...dp.values, autoscalling: {} }).length).toBeGreaterThan(0);
  });
});

describe('renderKubernetesDataPlane: files', () => {
  test.each(['shared', 'pki'] as const)('GIVEN %s mode THEN values.yaml parses back to exactly the values', (mode) => {
    const dp = render(mode, { license: true });
    expect(dp.files['values.yaml']).toBe(dp.valuesYaml);
    expect(parseYaml(dp.valuesYaml)).toEqual(dp.values);
  });

  test('GIVEN values with on/off strings THEN a YAML 1.1 reader (as Helm) reads them back as strings, not booleans', () => {
    const dp = render('pki', { license: true });
    expect(env(dp).database).toBe('off');
    expect(dp.valuesYaml).toMatch(/^ {2}database: "off"$/m);
    expect(parseYaml(dp.valuesYaml, { version: '1.1' })).toEqual(dp.values);
  });

  test('GIVEN the same input twice THEN the YAML is byte-identical, and the header names generator, version and endpoints', () => {
    const yaml = render('pki').valuesYaml;
    expect(render('pki').valuesYaml).toBe(yaml);
    const header = yaml.split('\n').filter((line) => line.startsWith('#'));
    expect(yaml.startsWith('# ')).toBe(true);
    const text = header.join('\n');
    expect(text).toContain('kong-fleet');
    expect(text).toContain('renderKubernetesDataPlane');
    expect(text).toContain('Kong Gateway 3.10.0.6');
    expect(text).toContain('cluster.kong.example.com:8005');
    expect(text).toContain('telemetry.kong.example.com:8006');
    expect(text).toContain(`${KONG_HELM_CHART.chart} ${KONG_HELM_CHART.version}`);
  });

  test('GIVEN defaults THEN the Helm command installs the pinned chart into the namespace from values.yaml', () => {
    expect(render('shared').helmCommand).toBe(
      `helm upgrade --install kong-dp kong --repo ${KONG_HELM_CHART.repository} --version ${KONG_HELM_CHART.version} ` +
        '--namespace kong-onprem-1 --create-namespace --values values.yaml',
    );
  });

  test.each([
    ['shared', false],
    ['shared', true],
    ['pki', false],
    ['pki', true],
  ] as const)('GIVEN %s mode (license %s) THEN no file holds a certificate, a key or a license', (mode, license) => {
    const dp = render(mode, { license });
    expect(Object.keys(dp.files).sort()).toEqual(['secrets.md', 'values.yaml']);
    for (const [name, text] of Object.entries(dp.files)) {
      const where = `${name}: `;
      expect(where + (/-----BEGIN/.test(text) ? 'PEM block' : 'ok')).toBe(`${where}ok`);
      expect(where + (/PRIVATE KEY/.test(text) ? 'private key' : 'ok')).toBe(`${where}ok`);
      expect(where + (/\bMI[IGH][A-Za-z0-9+/]{20,}/.test(text) ? 'base64 DER' : 'ok')).toBe(`${where}ok`);
      expect(where + (/"(signature|payload|license_key)"\s*:|\{\s*"license"\s*:/.test(text) ? 'license' : 'ok')).toBe(
        `${where}ok`,
      );
    }
  });

  test('GIVEN pki mode THEN secrets.md explains the source, a kubectl command with placeholder files, ESO and Reloader', () => {
    const guide = render('pki', { license: true }).files['secrets.md'];
    expect(guide).toContain('KongClusterTrust.dataPlaneCredentials');
    expect(guide).toContain('ACM Private CA');
    expect(guide).toContain(
      'kubectl create secret generic kong-cluster-cert --namespace kong-onprem-1 --type=kubernetes.io/tls',
    );
    expect(guide).toContain('--from-file=ca.crt=ca.crt');
    expect(guide).toContain('kubectl create secret generic kong-license --namespace kong-onprem-1');
    expect(guide).toContain('kind: ExternalSecret');
    expect(guide).toContain('property: ca');
    expect(guide).toContain('Stakater Reloader');
    expect(guide).toContain(render('pki', { license: true }).helmCommand);
    // The ESO manifests in the guide are valid YAML naming the same Secret and keys.
    const blocks = [...guide.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parseYaml(m[1]));
    expect(blocks.map((b) => [b.metadata.name, b.spec.target.template.type])).toEqual([
      ['kong-cluster-cert', 'kubernetes.io/tls'],
      ['kong-license', 'Opaque'],
    ]);
    expect(blocks[0].spec.data.map((d: any) => [d.secretKey, d.remoteRef.property])).toEqual([
      ['tls.crt', 'cert'],
      ['tls.key', 'key'],
      ['ca.crt', 'ca'],
    ]);
  });

  test('GIVEN shared mode without a license THEN secrets.md uses kubectl create secret tls and names the shared pair', () => {
    const guide = render('shared').files['secrets.md'];
    expect(guide).toContain(
      'kubectl create secret tls kong-cluster-cert --namespace kong-onprem-1 --cert=tls.crt --key=tls.key',
    );
    expect(guide).toContain('cluster-shared');
    expect(guide).not.toContain('ca.crt');
    expect(guide).not.toContain('kong-license');
  });
});

describe('renderKubernetesDataPlane: Secret shapes', () => {
  const keysOf = (dp: KubernetesDataPlane) => dp.secrets.map((s) => [s.name, s.type, s.keys.map((k) => k.key)]);

  test('GIVEN pki mode THEN the cluster Secret has tls.crt, tls.key and ca.crt, from the DP certificate', () => {
    const dp = render('pki');
    expect(keysOf(dp)).toEqual([['kong-cluster-cert', 'kubernetes.io/tls', ['tls.crt', 'tls.key', 'ca.crt']]]);
    expect(dp.secrets[0].source).toMatch(/\{"cert","key","ca"\} JSON: cert → tls\.crt, key → tls\.key, ca → ca\.crt/);
    expect(dp.secrets[0].source).toContain("dataPlaneCredentials(scope, 'onprem-1')");
  });

  test('GIVEN shared mode THEN the cluster Secret has tls.crt and tls.key only, from the shared pair', () => {
    const dp = render('shared');
    expect(keysOf(dp)).toEqual([['kong-cluster-cert', 'kubernetes.io/tls', ['tls.crt', 'tls.key']]]);
    expect(dp.secrets[0].source).toMatch(/\{"cert","key"\} JSON: cert → tls\.crt, key → tls\.key\./);
    expect(dp.secrets[0].source).toContain('shared');
  });

  test('GIVEN a license THEN the license Secret is listed, and only then', () => {
    expect(keysOf(render('shared', { license: true }))).toEqual([
      ['kong-cluster-cert', 'kubernetes.io/tls', ['tls.crt', 'tls.key']],
      ['kong-license', 'Opaque', ['license']],
    ]);
    expect(render('pki', { license: false }).secrets.map((s) => s.name)).toEqual(['kong-cluster-cert']);
    for (const secret of render('pki', { license: true }).secrets) {
      for (const key of secret.keys) expect(key.description).not.toBe('');
      expect(secret.source).not.toBe('');
    }
  });
});

describe('renderKubernetesDataPlane: refused inputs', () => {
  test.each<[string, Partial<KubernetesDataPlaneOptions>, RegExp]>([
    [
      'one replica',
      { replicas: { min: 1, max: 3 } },
      /^kubernetesDataPlane\.replicas\.min: .*got 1; expected an integer ≥ 2/,
    ],
    ['max below min', { replicas: { min: 4, max: 3 } }, /^kubernetesDataPlane\.replicas\.max: .*got 3/],
    [
      'a CPU target out of range',
      { replicas: { min: 2, max: 3, targetCpuPercent: 100 } },
      /^kubernetesDataPlane\.replicas\.targetCpuPercent: /,
    ],
    [
      'a namespace that is not a DNS label',
      { namespace: 'Kong_DP' },
      /^kubernetesDataPlane\.namespace: .*got "Kong_DP"/,
    ],
    ['an empty release', { release: '' }, /^kubernetesDataPlane\.release: .*got ""/],
    ['a release starting with a digit', { release: '1kong' }, /^kubernetesDataPlane\.release: /],
    ['a release too long for Service names', { release: `k${'o'.repeat(46)}` }, /^kubernetesDataPlane\.release: /],
    [
      'an unknown proxy Service type',
      { proxyServiceType: 'Ingress' as never },
      /^kubernetesDataPlane\.proxyServiceType: .*got "Ingress"/,
    ],
    ['an unknown zone spreading', { zoneSpread: 'always' as never }, /^kubernetesDataPlane\.zoneSpread: /],
  ])('GIVEN %s THEN a KongFleetError names the option', (_, options, pattern) => {
    expect(errorOf(() => render('shared', options)).message).toMatch(pattern);
  });

  test('GIVEN a data plane newer than its control plane THEN the version is refused', () => {
    const error = errorOf(() =>
      renderKubernetesDataPlane({ spec: spec('pki', { version: '3.11.0.0', controlPlaneVersion: '3.10.0.6' }) }),
    );
    expect(error.where).toBe('kubernetesDataPlane.kongVersion');
    expect(error.message).toMatch(/newer than the control plane/);
  });

  test('GIVEN a name that is not a DNS label THEN the name is refused', () => {
    const error = errorOf(() => renderKubernetesDataPlane({ spec: spec('shared', { name: 'Edge_1' }) }));
    expect(error.where).toBe('kubernetesDataPlane.dataPlaneName');
  });

  test('GIVEN a long name THEN the default namespace kong-<name> is refused, and a given namespace is accepted', () => {
    const name = 'n'.repeat(60);
    expect(errorOf(() => renderKubernetesDataPlane({ spec: spec('shared', { name }) })).message).toMatch(
      /^kubernetesDataPlane\.namespace: the default kong-<name>/,
    );
    expect(renderKubernetesDataPlane({ spec: spec('shared', { name }), namespace: 'kong' }).namespace).toBe('kong');
  });

  test('GIVEN a CDK token as an endpoint THEN it is refused: helm cannot resolve it', () => {
    const error = errorOf(() =>
      renderKubernetesDataPlane({ spec: spec('shared', { clusterEndpoint: endpoint('${Token[TOKEN.123]}', 8005) }) }),
    );
    expect(error.where).toBe('kubernetesDataPlane.spec');
  });

  test('GIVEN a where THEN errors name it', () => {
    expect(errorOf(() => renderKubernetesDataPlane({ spec: spec('shared'), release: '' }, 'fleet.yaml:3')).where).toBe(
      'fleet.yaml:3.release',
    );
  });
});

describe('renderKubernetesDataPlane: one model, every runtime (equal to the EKS data plane)', () => {
  test.each([
    ['shared', false],
    ['shared', true],
    ['pki', false],
    ['pki', true],
  ] as const)('GIVEN %s mode (license %s) THEN the Kong settings equal those of the EKS bindings', (mode, license) => {
    const eksBindings = {
      ...mountedClusterTrustSettings({ mode } as ClusterCredentials),
      license: syncedLicenseSetting(license ? ({} as secretsmanager.ISecret) : undefined),
    };
    const s = spec(mode, { labels: { site: 'dc1' }, kongSettings: { nginx_worker_processes: 'auto' } });
    expect(renderKubernetesDataPlane({ spec: s, license }).config).toEqual(
      dataPlaneSettings(s, eksBindings, 'kubernetesDataPlane'),
    );
  });

  test.each(['shared', 'pki'] as const)(
    'GIVEN %s mode THEN the Helm values equal a KongDataPlaneEks’s, except the proxy Service type and zone spreading',
    (mode) => {
      const app = unitTestApp();
      const stack = new Stack(app, 'Dp');
      const eks = new KongDataPlaneEks(stack, 'Dp', {
        controlPlane: {
          clusterEndpoint: CLUSTER,
          telemetryEndpoint: TELEMETRY,
          trust: new KongClusterTrust(stack, 'Trust', { mode }),
          kongVersion: '3.10.0.6',
          licenseSecret: new secretsmanager.Secret(stack, 'License'),
        },
        dataPlaneName: 'onprem-1',
        vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 }),
        labels: { site: 'dc1' },
      });
      const dp = renderKubernetesDataPlane({
        spec: spec(mode, { labels: { site: 'dc1' } }),
        license: true,
        proxyServiceType: 'ClusterIP',
        zoneSpread: 'required',
      });
      // Keys an EKS-only concern may add later (service accounts, node selectors) are not compared.
      const eksValues = eks.helmValues;
      const shared = Object.fromEntries(Object.keys(dp.values).map((key) => [key, eksValues[key]]));
      expect(shared).toEqual(dp.values);
      expect(dp.namespace).toBe(`kong-${eks.dataPlaneName}`);
    },
  );
});
