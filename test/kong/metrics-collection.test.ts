import { spawnSync } from 'child_process';
import { parse as parseYaml } from 'yaml';
import {
  ADOT_COLLECTOR,
  adotCollectorRpmUrl,
  ec2MetricsCollectorScript,
  KONG_DATA_PLANE_METRIC_LABEL,
  KONG_FLEET_RUNTIME_METRIC_LABEL,
  KongMetricsCollectorOptions,
  kongMetricsCollectorConfig,
  KongMetricsRuntime,
  OtelCollectorConfig,
  PrometheusScrapeConfig,
} from '../../src/kong/metrics-collection';
import { expectKongError } from '../support/errors';

const URL = 'https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-0123/api/v1/remote_write';
// The shape of a CDK token in a string (src/kong never imports CDK).
const TOKEN = '${Token[TOKEN.123]}';

function options(runtime: KongMetricsRuntime, overrides: Partial<KongMetricsCollectorOptions> = {}) {
  return {
    remoteWriteUrl: URL,
    region: 'eu-west-1',
    dataPlaneName: 'dp-1',
    runtime,
    ...(runtime === 'eks' ? { namespace: 'kong-dp-1' } : {}),
    ...overrides,
  };
}

const scrapeOf = (config: OtelCollectorConfig): PrometheusScrapeConfig =>
  config.receivers.prometheus.config.scrape_configs[0];

/** Every component a pipeline names is defined, and every defined one is used. */
function expectWired(config: OtelCollectorConfig): void {
  const pipeline = config.service.pipelines.metrics;
  expect(Object.keys(config.receivers).sort()).toEqual([...pipeline.receivers].sort());
  expect(Object.keys(config.processors).sort()).toEqual([...pipeline.processors].sort());
  expect(Object.keys(config.exporters).sort()).toEqual([...pipeline.exporters].sort());
  expect(Object.keys(config.extensions).sort()).toEqual([...config.service.extensions].sort());
}

describe.each(['ecs', 'ec2', 'eks'] as const)('kongMetricsCollectorConfig on %s', (runtime) => {
  const { config, yaml } = kongMetricsCollectorConfig(options(runtime));

  test('THEN the YAML parses back to the configuration object', () => {
    expect(parseYaml(yaml)).toEqual(config);
  });

  test('THEN Kong is scraped every 30 s on /metrics over plain HTTP', () => {
    expect(scrapeOf(config)).toMatchObject({ job_name: 'kong', scrape_interval: '30s', metrics_path: '/metrics' });
  });

  test('THEN metrics are signed with SigV4 for aps in the workspace region and written to the workspace', () => {
    expect(config.extensions.sigv4auth).toEqual({ region: 'eu-west-1', service: 'aps' });
    expect(config.exporters.prometheus_remote_write).toEqual({
      endpoint: URL,
      auth: { authenticator: 'sigv4auth' },
    });
    expect(config.service.pipelines.metrics.exporters).toEqual(['prometheus_remote_write']);
  });

  test('THEN the pipeline is wired, memory-limited first and batched last', () => {
    expectWired(config);
    const processors = config.service.pipelines.metrics.processors;
    expect(processors[0]).toBe('memory_limiter');
    expect(processors[processors.length - 1]).toBe('batch');
    expect(config.processors.memory_limiter).toMatchObject({ check_interval: '1s' });
  });

  test('THEN every series gets the data plane and runtime labels by relabelling', () => {
    expect(scrapeOf(config).relabel_configs).toEqual(
      expect.arrayContaining([
        { target_label: 'kong_data_plane', replacement: 'dp-1', action: 'replace' },
        { target_label: 'kong_fleet_runtime', replacement: runtime, action: 'replace' },
      ]),
    );
  });
});

describe('targets per runtime', () => {
  test('GIVEN ecs THEN the task-local Kong on localhost:8100, the task id as instance', () => {
    const { config } = kongMetricsCollectorConfig(options('ecs'));
    expect(scrapeOf(config).static_configs).toEqual([{ targets: ['localhost:8100'] }]);
    expect(scrapeOf(config).kubernetes_sd_configs).toBeUndefined();
    expect(config.processors['resource_detection/ecs']).toMatchObject({ detectors: ['ecs'] });
    expect(config.processors['resource/instance']).toEqual({
      attributes: [{ key: 'service.instance.id', from_attribute: 'aws.ecs.task.id', action: 'upsert' }],
    });
    expect(config.extensions.health_check).toEqual({ endpoint: '127.0.0.1:13133' });
  });

  test('GIVEN ec2 THEN 127.0.0.1:8100 (status_listen is IPv4), the instance id as instance', () => {
    const { config } = kongMetricsCollectorConfig(options('ec2'));
    expect(scrapeOf(config).static_configs).toEqual([{ targets: ['127.0.0.1:8100'] }]);
    expect(config.processors['resource_detection/ec2']).toMatchObject({ detectors: ['ec2'] });
    expect((config.processors['resource/instance'] as any).attributes[0].from_attribute).toBe('host.id');
  });

  test("GIVEN eks THEN pods of Kong's release in one namespace, its proxy container's status port only", () => {
    const { config } = kongMetricsCollectorConfig(options('eks'));
    const scrape = scrapeOf(config);
    expect(scrape.static_configs).toBeUndefined();
    expect(scrape.kubernetes_sd_configs).toEqual([
      {
        role: 'pod',
        namespaces: { names: ['kong-dp-1'] },
        selectors: [
          {
            role: 'pod',
            label: 'app.kubernetes.io/name=kong,app.kubernetes.io/component=app,app.kubernetes.io/instance=kong-dp',
          },
        ],
      },
    ]);
    expect(scrape.relabel_configs[0]).toEqual({
      source_labels: ['__meta_kubernetes_pod_container_name', '__meta_kubernetes_pod_container_port_number'],
      separator: ';',
      regex: 'proxy;8100',
      action: 'keep',
    });
    expect(scrape.relabel_configs).toEqual(
      expect.arrayContaining([
        { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod', action: 'replace' },
      ]),
    );
    // Pod addresses are unique: no instance rewriting, and the chart's probes reach the pod IP.
    expect(config.processors['resource/instance']).toBeUndefined();
    expect(config.extensions.health_check).toEqual({ endpoint: '${env:MY_POD_IP}:13133' });
  });

  test('GIVEN eks and another release THEN its pods are selected', () => {
    const { config } = kongMetricsCollectorConfig(options('eks', { release: 'kong-edge' }));
    expect(scrapeOf(config).kubernetes_sd_configs![0].selectors[0].label).toContain(
      'app.kubernetes.io/instance=kong-edge',
    );
  });

  test('the memory limit follows the runtime unless given', () => {
    const limit = (o: KongMetricsCollectorOptions) => kongMetricsCollectorConfig(o).config.processors.memory_limiter;
    expect(limit(options('ecs'))).toMatchObject({ limit_mib: 200, spike_limit_mib: 50 });
    expect(limit(options('eks'))).toMatchObject({ limit_mib: 400, spike_limit_mib: 100 });
    expect(limit(options('ec2', { memoryLimitMiB: 128 }))).toMatchObject({ limit_mib: 128, spike_limit_mib: 32 });
  });

  test('the label names are the exported constants', () => {
    expect(KONG_DATA_PLANE_METRIC_LABEL).toBe('kong_data_plane');
    expect(KONG_FLEET_RUNTIME_METRIC_LABEL).toBe('kong_fleet_runtime');
  });
});

describe('CDK tokens and expansion', () => {
  test('GIVEN tokens in the URL and region THEN they stay whole, quoted strings in the YAML', () => {
    const url = `https://aps-workspaces.${TOKEN}.amazonaws.com/workspaces/${TOKEN}/api/v1/remote_write`;
    const { config, yaml } = kongMetricsCollectorConfig(options('ecs', { remoteWriteUrl: url, region: TOKEN }));
    expect(yaml).toContain(`endpoint: "${url}"`);
    expect(yaml).toContain(`region: "${TOKEN}"`);
    expect(parseYaml(yaml)).toEqual(config);
  });

  test('GIVEN a URL that is one token (an imported value) THEN it is accepted as is', () => {
    const { config } = kongMetricsCollectorConfig(options('ec2', { remoteWriteUrl: TOKEN }));
    expect(config.exporters.prometheus_remote_write.endpoint).toBe(TOKEN);
  });

  test.each(['ecs', 'ec2'] as const)('GIVEN %s THEN the YAML has no ${…} the collector would expand', (runtime) => {
    expect(kongMetricsCollectorConfig(options(runtime)).yaml).not.toContain('$');
  });

  test('GIVEN eks THEN only MY_POD_IP is expanded and nothing looks like a Helm template to the chart', () => {
    const { yaml } = kongMetricsCollectorConfig(options('eks'));
    expect(yaml.match(/\$\{[^}]*\}/g)).toEqual(['${env:MY_POD_IP}']);
    expect(yaml).not.toContain('{{');
  });
});

describe('validation', () => {
  test.each([
    [{ dataPlaneName: 'Bad_Name' }, /kong\.metricsCollector\.dataPlaneName: is not a DNS label \(got "Bad_Name"/],
    [{ remoteWriteUrl: 'http://aps.example.com/api/v1/remote_write' }, /remoteWriteUrl: must be an https URL/],
    [{ remoteWriteUrl: 'https://user:pw@aps.example.com/' }, /remoteWriteUrl: must not carry credentials/],
    [{ remoteWriteUrl: 'https://aps.example.com/a b' }, /remoteWriteUrl: contains characters/],
    [{ region: 'Europe' }, /region: is not an AWS Region name/],
    [{ memoryLimitMiB: 8 }, /memoryLimitMiB: is too small/],
    [{ namespace: 'kong' }, /namespace: only Kubernetes pod discovery \(eks\) takes a namespace/],
    [{ runtime: 'lambda' as KongMetricsRuntime }, /runtime: is not a data-plane runtime/],
  ])('GIVEN %j on ecs THEN a KongFleetError', (overrides, pattern) => {
    expectKongError(() => kongMetricsCollectorConfig(options('ecs', overrides)), pattern);
  });

  test('GIVEN eks without a namespace THEN a KongFleetError', () => {
    expectKongError(
      () => kongMetricsCollectorConfig({ ...options('eks'), namespace: undefined }),
      /namespace: Kubernetes pod discovery needs the namespace/,
    );
  });

  test('GIVEN a construct path THEN errors name it', () => {
    expectKongError(
      () => kongMetricsCollectorConfig(options('eks', { namespace: 'Kong!', where: 'Stack/Dp/Metrics' })),
      /^Stack\/Dp\/Metrics\.namespace: is not a namespace name/,
    );
  });
});

describe('ec2MetricsCollectorScript', () => {
  const base = { remoteWriteUrl: URL, region: 'eu-west-1', dataPlaneName: 'dp-1' };
  const arm = ec2MetricsCollectorScript({ ...base, architecture: 'arm64' });
  const x86 = ec2MetricsCollectorScript({ ...base, architecture: 'x86_64' });

  test('THEN the pinned RPM for the architecture, from ADOT’s download location', () => {
    const armRpm = 'https://aws-otel-collector.s3.amazonaws.com/amazon_linux/arm64/v0.50.0/aws-otel-collector.rpm';
    const x86Rpm = 'https://aws-otel-collector.s3.amazonaws.com/amazon_linux/amd64/v0.50.0/aws-otel-collector.rpm';
    expect(adotCollectorRpmUrl('arm64')).toBe(armRpm);
    expect(arm).toContain(`'${armRpm}'`);
    expect(arm).not.toContain('amd64');
    expect(x86).toContain(`'${x86Rpm}'`);
    expect(arm).not.toMatch(/\/latest\//);
  });

  test('THEN the package is installed only after its signature checks out against ADOT’s key', () => {
    const lines = arm.split('\n');
    const at = (fragment: string) => lines.findIndex((l) => l.includes(fragment));
    expect(at(`'${ADOT_COLLECTOR.signingKeyUrl}'`)).toBeGreaterThan(-1);
    expect(at("*'aws-otel-collector@amazon.com'*")).toBeGreaterThan(at('gpg --batch --show-keys'));
    expect(at('rpm --import')).toBeGreaterThan(at("*'aws-otel-collector@amazon.com'*"));
    expect(at("*'signatures OK'*")).toBeGreaterThan(at('rpm --checksig'));
    expect(at('rpm -U --quiet')).toBeGreaterThan(at("*'signatures OK'*"));
    expect(at('systemctl enable --now aws-otel-collector.service')).toBeGreaterThan(at('rpm -U --quiet'));
  });

  test('THEN the config it writes is the ec2 collector configuration', () => {
    const yaml = arm.split("<<'EOF_ADOT_CONFIG' || return 1\n")[1].split('\nEOF_ADOT_CONFIG\n')[0];
    expect(parseYaml(yaml)).toEqual(kongMetricsCollectorConfig({ ...base, runtime: 'ec2' }).config);
  });

  test('THEN a failure is logged and the boot goes on (metrics are not essential)', () => {
    expect(arm).toMatch(/\ninstall_kong_metrics_collector \|\| echo '[^']+'\n/);
  });

  test('THEN bash accepts the script', () => {
    const run = spawnSync('bash', ['-n'], { input: `set -euo pipefail\n${arm}`, encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  test('GIVEN tokens THEN they are single-quoted in shell words and whole in the config', () => {
    const script = ec2MetricsCollectorScript({ ...base, remoteWriteUrl: TOKEN, region: TOKEN, architecture: 'arm64' });
    expect(script).toContain(`'are remote-written to' '${TOKEN}'`);
    expect(script).toContain(`endpoint: "${TOKEN}"`);
    expect(script).toContain(`region: "${TOKEN}"`);
  });

  test('GIVEN an unknown architecture or a bad name THEN a KongFleetError', () => {
    expectKongError(
      () => ec2MetricsCollectorScript({ ...base, architecture: 'i386' as 'arm64' }),
      /architecture: is not an architecture ADOT publishes RPMs for/,
    );
    expectKongError(
      () => ec2MetricsCollectorScript({ ...base, dataPlaneName: "dp'; rm -rf /", architecture: 'arm64' }),
      /dataPlaneName: is not a DNS label/,
    );
  });
});
