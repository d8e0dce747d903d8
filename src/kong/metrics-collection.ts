/**
 * Collecting Kong's Prometheus metrics on every data-plane runtime and remote-writing them, signed
 * with SigV4, to an Amazon Managed Service for Prometheus workspace: the OpenTelemetry Collector
 * configuration (ADOT distribution) and the EC2 boot lines that install it. Pure data, no CDK.
 *
 * Kong serves `/metrics` on its Status API (`status_listen`, 0.0.0.0:8100 on every kong-fleet
 * runtime) through the bundled prometheus plugin (kong/plugins/prometheus/status_api.lua; Kong's
 * docs: developer.konghq.com/gateway/monitoring and /plugins/prometheus). Node-level metrics
 * (connections, memory, `data_plane_cluster_cert_expiry_timestamp`) are there as soon as the
 * plugin is loaded; per-service request, latency and bandwidth metrics appear only once a
 * prometheus plugin instance is configured on the control plane (it reaches the data planes with
 * the rest of the configuration).
 */
import { stringify } from 'yaml';
import { shellQuote } from './ec2-user-data';
import { KongFleetError } from './errors';
import { isUnresolvedToken } from './net';
import { KONG_PORTS } from './ports';

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/** Label on every series: the data plane's name in the fleet. */
export const KONG_DATA_PLANE_METRIC_LABEL = 'kong_data_plane';

/** Label on every series: the runtime the data plane runs on (`ecs`, `eks`, `ec2`). */
export const KONG_FLEET_RUNTIME_METRIC_LABEL = 'kong_fleet_runtime';

/** Where the prometheus plugin serves Kong's metrics on the Status API. */
export const KONG_METRICS_PATH = '/metrics';

/** How often Kong is scraped. */
export const KONG_METRICS_SCRAPE_INTERVAL = '30s';

/** The runtimes a data plane runs on. */
export type KongMetricsRuntime = 'ecs' | 'eks' | 'ec2';

const RUNTIMES: readonly KongMetricsRuntime[] = ['ecs', 'eks', 'ec2'];

/**
 * AWS Distro for OpenTelemetry Collector, pinned. v0.50.0 (2026-08-31, OpenTelemetry Collector and
 * contrib v0.158.0) is the newest release (github.com/aws-observability/aws-otel-collector/releases);
 * its components include the prometheus receiver, the sigv4auth extension, the prometheusremotewrite
 * exporter, the memory_limiter, batch, resourcedetection and resource processors and the
 * health_check extension (pkg/defaultcomponents/defaults.go).
 */
export const ADOT_COLLECTOR = {
  version: 'v0.50.0',
  /** Amazon ECR Public; the same tag is on Docker Hub as `amazon/aws-otel-collector`. */
  image: 'public.ecr.aws/aws-observability/aws-otel-collector',
  /** RPMs: `<downloadUrl>/amazon_linux/<amd64|arm64>/<version>/aws-otel-collector.rpm` (release notes). */
  downloadUrl: 'https://aws-otel-collector.s3.amazonaws.com',
  /**
   * Public half of the key the release pipeline signs the RPMs with (`rpmsign --addsign`, key
   * `aws-otel-collector@amazon.com`, .github/workflows/CI.yml); verification as in ADOT's RPM guide
   * (aws-otel.github.io/docs/setup/build-collector-as-rpm): `rpm --import`, then `rpm --checksig`.
   * ADOT publishes neither a key fingerprint nor checksums.
   */
  signingKeyUrl: 'https://aws-otel-collector.s3.amazonaws.com/aws-otel-collector.gpg',
  signingKeyUserId: 'aws-otel-collector@amazon.com',
  /**
   * The collector reads its whole configuration from this variable when it is set
   * (pkg/config/config_factory.go; ADOT's ECS guide, aws-otel.github.io/docs/setup/ecs).
   */
  configEnvironmentVariable: 'AOT_CONFIG_CONTENT',
  /** health_check extension port; the image's `/healthcheck` probes 127.0.0.1 on it (cmd/healthcheck). */
  healthCheckPort: 13133,
  /** The image's non-root user `aoc` (cmd/awscollector/Dockerfile). */
  imageUserId: 4317,
  /** Entry point of the image. */
  imageCommand: 'awscollector',
} as const;

/** The pinned ADOT collector image. */
export function adotCollectorImage(): string {
  return `${ADOT_COLLECTOR.image}:${ADOT_COLLECTOR.version}`;
}

/** The pinned ADOT collector RPM for Amazon Linux on `architecture`. */
export function adotCollectorRpmUrl(architecture: 'arm64' | 'x86_64'): string {
  const arch = architecture === 'arm64' ? 'arm64' : 'amd64';
  return `${ADOT_COLLECTOR.downloadUrl}/amazon_linux/${arch}/${ADOT_COLLECTOR.version}/aws-otel-collector.rpm`;
}

/** The OpenTelemetry Collector Helm chart, pinned (newest release, appVersion 0.158.0). */
export const OTEL_COLLECTOR_CHART = {
  repository: 'https://open-telemetry.github.io/opentelemetry-helm-charts',
  chart: 'opentelemetry-collector',
  version: '0.170.0',
} as const;

/**
 * How Kong's chart (3.4.1) names its pods: selector labels `app.kubernetes.io/{name,component,instance}`
 * (`kong`, `app`, the release; templates/_helpers.tpl `kong.selectorLabels`), the gateway container
 * `proxy`, and the status port `status.http.containerPort` (8100) on it (templates/deployment.yaml).
 */
export const KONG_CHART_POD = {
  container: 'proxy',
  selectorLabels(release: string): Record<string, string> {
    return {
      'app.kubernetes.io/name': 'kong',
      'app.kubernetes.io/component': 'app',
      'app.kubernetes.io/instance': release,
    };
  },
} as const;

/** The release name of Kong's data planes on EKS (KongDataPlaneEks). */
export const KONG_DATA_PLANE_RELEASE = 'kong-dp';

/** memory_limiter hard limit by runtime, under the memory each runtime gives the collector. */
const DEFAULT_MEMORY_LIMIT_MIB: Readonly<Record<KongMetricsRuntime, number>> = {
  // ECS sidecar: hard container limit 256 MiB.
  ecs: 200,
  // EKS: pod memory limit 512Mi.
  eks: 400,
  // EC2: shares the instance with Kong; one target.
  ec2: 256,
};

// ---------------------------------------------------------------------------------------------
// The collector configuration
// ---------------------------------------------------------------------------------------------

/** One Prometheus `relabel_config`. */
export interface PrometheusRelabelConfig {
  readonly source_labels?: string[];
  readonly separator?: string;
  readonly regex?: string;
  readonly target_label?: string;
  readonly replacement?: string;
  readonly action: 'replace' | 'keep' | 'drop';
}

/** One Prometheus `scrape_config` (the fields used here). */
export interface PrometheusScrapeConfig {
  readonly job_name: string;
  readonly scrape_interval: string;
  readonly metrics_path: string;
  readonly scheme: 'http';
  readonly static_configs?: { readonly targets: string[] }[];
  readonly kubernetes_sd_configs?: {
    readonly role: 'pod';
    readonly namespaces: { readonly names: string[] };
    readonly selectors: { readonly role: 'pod'; readonly label: string }[];
  }[];
  readonly relabel_configs: PrometheusRelabelConfig[];
}

/**
 * An OpenTelemetry Collector configuration (the parts written here; field names as in
 * opentelemetry-collector-contrib: receiver/prometheusreceiver, extension/sigv4authextension,
 * exporter/prometheusremotewriteexporter, processor/resourcedetectionprocessor and resourceprocessor;
 * core: processor/memorylimiterprocessor, batchprocessor, config/confighttp `endpoint` + `auth.authenticator`).
 * Component ids use the current type names: contrib renamed `prometheusremotewrite` to
 * `prometheus_remote_write` and `resourcedetection` to `resource_detection` (v0.156.0 and later keep
 * the old names only as deprecated aliases; internal/metadata/generated_status.go).
 */
export interface OtelCollectorConfig {
  readonly extensions: {
    readonly health_check: { readonly endpoint: string };
    readonly sigv4auth: { readonly region: string; readonly service: 'aps' };
  };
  readonly receivers: {
    readonly prometheus: { readonly config: { readonly scrape_configs: PrometheusScrapeConfig[] } };
  };
  readonly processors: Record<string, Record<string, unknown>>;
  readonly exporters: {
    readonly prometheus_remote_write: {
      readonly endpoint: string;
      readonly auth: { readonly authenticator: 'sigv4auth' };
    };
  };
  readonly service: {
    readonly extensions: string[];
    readonly pipelines: {
      readonly metrics: { readonly receivers: string[]; readonly processors: string[]; readonly exporters: string[] };
    };
  };
}

/** What the collector scrapes and where it writes. */
export interface KongMetricsCollectorOptions {
  /** AMP remote-write URL (`https://…/api/v1/remote_write`); may be a CDK token. */
  readonly remoteWriteUrl: string;
  /** Region of the workspace (SigV4 signing region); may be a CDK token. */
  readonly region: string;
  /** The data plane's name (a DNS label): value of {@link KONG_DATA_PLANE_METRIC_LABEL}. */
  readonly dataPlaneName: string;
  /** Runtime: a static target on `ecs` and `ec2`, Kubernetes pod discovery on `eks`. */
  readonly runtime: KongMetricsRuntime;
  /** `eks` only, required there: the namespace of the Kong release (the only one watched). */
  readonly namespace?: string;
  /**
   * `eks` only: Kong's Helm release whose pods are scraped.
   * @default 'kong-dp'
   */
  readonly release?: string;
  /**
   * memory_limiter hard limit in MiB (the soft limit is 25 % lower).
   * @default 200 on ecs, 400 on eks, 256 on ec2
   */
  readonly memoryLimitMiB?: number;
  /**
   * Where errors say the options came from (a construct path).
   * @default 'kong.metricsCollector'
   */
  readonly where?: string;
}

/** The configuration, as an object and as the YAML the collector reads. */
export interface KongMetricsCollectorConfig {
  readonly config: OtelCollectorConfig;
  /** YAML with every string double-quoted, so resolved CDK tokens stay strings. */
  readonly yaml: string;
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const JOB_NAME = 'kong';

/**
 * The OpenTelemetry Collector configuration that scrapes one data plane's Kong every 30 s on the
 * Status API and remote-writes to AMP with SigV4 (service `aps`):
 *
 * - `ecs`: `localhost:8100` (the task's own Kong, same network namespace). The ECS resource
 *   detector and the resource processor make the task id the `instance` label, so the tasks of a
 *   service write distinct series instead of colliding on `localhost:8100`.
 * - `ec2`: `127.0.0.1:8100` (status_listen is IPv4); the instance id becomes `instance`.
 * - `eks`: pods of Kong's release in one namespace only (server-side label selector; the Role may
 *   be namespaced), the `proxy` container's status port; `instance` is the pod address and `pod`,
 *   `namespace` name it.
 *
 * Every series gets {@link KONG_DATA_PLANE_METRIC_LABEL} and {@link KONG_FLEET_RUNTIME_METRIC_LABEL}
 * by relabelling. The configuration holds no `$` of its own outside `${env:MY_POD_IP}` on EKS: the
 * collector expands `${…}` in every string.
 */
export function kongMetricsCollectorConfig(options: KongMetricsCollectorOptions): KongMetricsCollectorConfig {
  const where = options.where ?? 'kong.metricsCollector';
  const runtime = checkRuntime(options.runtime, where);
  const dataPlaneName = checkDataPlaneName(options.dataPlaneName, where);
  const remoteWriteUrl = checkRemoteWriteUrl(options.remoteWriteUrl, where);
  const region = checkRegion(options.region, where);
  const memoryLimitMiB = checkMemoryLimit(options.memoryLimitMiB ?? DEFAULT_MEMORY_LIMIT_MIB[runtime], where);

  const labels: PrometheusRelabelConfig[] = [
    { target_label: KONG_DATA_PLANE_METRIC_LABEL, replacement: dataPlaneName, action: 'replace' },
    { target_label: KONG_FLEET_RUNTIME_METRIC_LABEL, replacement: runtime, action: 'replace' },
  ];
  const base = {
    job_name: JOB_NAME,
    scrape_interval: KONG_METRICS_SCRAPE_INTERVAL,
    metrics_path: KONG_METRICS_PATH,
    scheme: 'http' as const,
  };

  let scrape: PrometheusScrapeConfig;
  const processors: Record<string, Record<string, unknown>> = {
    memory_limiter: {
      check_interval: '1s',
      limit_mib: memoryLimitMiB,
      spike_limit_mib: Math.max(1, Math.floor(memoryLimitMiB / 4)),
    },
  };
  const pipelineProcessors = ['memory_limiter'];
  if (runtime === 'eks') {
    const namespace = checkKubernetesName(options.namespace, `${where}.namespace`, 'namespace');
    const release = checkKubernetesName(options.release ?? KONG_DATA_PLANE_RELEASE, `${where}.release`, 'release');
    const selector = Object.entries(KONG_CHART_POD.selectorLabels(release))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    scrape = {
      ...base,
      kubernetes_sd_configs: [
        { role: 'pod', namespaces: { names: [namespace] }, selectors: [{ role: 'pod', label: selector }] },
      ],
      relabel_configs: [
        // Pod discovery makes one target per declared container port: keep Kong's status port only.
        {
          source_labels: ['__meta_kubernetes_pod_container_name', '__meta_kubernetes_pod_container_port_number'],
          separator: ';',
          regex: `${KONG_CHART_POD.container};${KONG_PORTS.status}`,
          action: 'keep',
        },
        { source_labels: ['__meta_kubernetes_pod_phase'], regex: 'Running', action: 'keep' },
        { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace', action: 'replace' },
        { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod', action: 'replace' },
        ...labels,
      ],
    };
  } else {
    if (options.namespace !== undefined || options.release !== undefined) {
      throw new KongFleetError(
        `${where}.namespace`,
        'only Kubernetes pod discovery (eks) takes a namespace or release',
        {
          got: { runtime, namespace: options.namespace, release: options.release },
          expected: 'no namespace or release on ecs and ec2',
        },
      );
    }
    const host = runtime === 'ecs' ? 'localhost' : '127.0.0.1';
    scrape = { ...base, static_configs: [{ targets: [`${host}:${KONG_PORTS.status}`] }], relabel_configs: labels };
    // service.instance.id is what the exporter writes as `instance`.
    const detector = runtime === 'ecs' ? 'ecs' : 'ec2';
    const instanceAttribute = runtime === 'ecs' ? 'aws.ecs.task.id' : 'host.id';
    processors[`resource_detection/${detector}`] = { detectors: [detector], override: false, timeout: '5s' };
    processors['resource/instance'] = {
      attributes: [{ key: 'service.instance.id', from_attribute: instanceAttribute, action: 'upsert' }],
    };
    pipelineProcessors.push(`resource_detection/${detector}`, 'resource/instance');
  }
  // One remote-write request per scrape rather than many small ones.
  processors.batch = { timeout: '10s' };
  pipelineProcessors.push('batch');

  const healthHost = runtime === 'eks' ? '${env:MY_POD_IP}' : '127.0.0.1';
  const config: OtelCollectorConfig = {
    extensions: {
      health_check: { endpoint: `${healthHost}:${ADOT_COLLECTOR.healthCheckPort}` },
      sigv4auth: { region, service: 'aps' },
    },
    receivers: { prometheus: { config: { scrape_configs: [scrape] } } },
    processors,
    exporters: { prometheus_remote_write: { endpoint: remoteWriteUrl, auth: { authenticator: 'sigv4auth' } } },
    service: {
      extensions: ['health_check', 'sigv4auth'],
      pipelines: {
        metrics: { receivers: ['prometheus'], processors: pipelineProcessors, exporters: ['prometheus_remote_write'] },
      },
    },
  };
  return { config, yaml: renderCollectorYaml(config) };
}

/** The collector's YAML: every string double-quoted (resolved tokens stay strings), no line folding. */
export function renderCollectorYaml(config: OtelCollectorConfig): string {
  return stringify(config, { lineWidth: 0, defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });
}

// ---------------------------------------------------------------------------------------------
// EC2: boot lines
// ---------------------------------------------------------------------------------------------

/** Where the RPM installs the collector; its systemd unit reads `etc/.env`, which names `etc/config.yaml`. */
export const ADOT_EC2_PATHS = {
  config: '/opt/aws/aws-otel-collector/etc/config.yaml',
  environmentFile: '/opt/aws/aws-otel-collector/etc/.env',
  service: 'aws-otel-collector.service',
} as const;

/** What {@link ec2MetricsCollectorScript} needs. */
export interface Ec2MetricsCollectorScriptOptions {
  /** AMP remote-write URL; may be a CDK token. */
  readonly remoteWriteUrl: string;
  /** Region of the workspace; may be a CDK token. */
  readonly region: string;
  /** The data plane's name. */
  readonly dataPlaneName: string;
  /** CPU architecture of the instances. */
  readonly architecture: 'arm64' | 'x86_64';
}

/**
 * Bash lines for a Kong data plane's Amazon Linux 2023 user data (run as root, under the boot
 * script's `set -euo pipefail`) that install the pinned ADOT collector RPM, verify its signature,
 * write {@link kongMetricsCollectorConfig} (`ec2`) and start it with systemd. The instance role
 * needs `aps:RemoteWrite` (grantMetricsWrite). Metrics are not essential: any failure is logged and
 * the boot goes on, so a metrics outage never stops a data plane from serving.
 *
 * Checks: the signing key must carry ADOT's release user id, and `rpm --checksig` must report
 * `signatures OK` (an unsigned package reports only `digests OK`) before the package is installed.
 */
export function ec2MetricsCollectorScript(options: Ec2MetricsCollectorScriptOptions): string {
  const where = 'kong.ec2MetricsCollector';
  if (options.architecture !== 'arm64' && options.architecture !== 'x86_64') {
    throw new KongFleetError(`${where}.architecture`, 'is not an architecture ADOT publishes RPMs for', {
      got: options.architecture,
      expected: "'arm64' or 'x86_64'",
    });
  }
  const { yaml } = kongMetricsCollectorConfig({
    remoteWriteUrl: options.remoteWriteUrl,
    region: options.region,
    dataPlaneName: options.dataPlaneName,
    runtime: 'ec2',
    where,
  });
  const rpm = adotCollectorRpmUrl(options.architecture);
  const curl = `curl -sSf --retry 5 --proto '=https' --tlsv1.2`;
  const lines = [
    '',
    `# Kong metrics: ADOT collector ${ADOT_COLLECTOR.version} scrapes ${KONG_METRICS_PATH} on the status API and`,
    '# remote-writes to Amazon Managed Service for Prometheus. Not essential: a failure is logged, Kong serves on.',
    '# errexit does not apply inside a function called with ||, hence "|| return 1" on every step.',
    'install_kong_metrics_collector() {',
    '  local dir uids sig attempt',
    '  dir=$(mktemp -d) || return 1',
    `  ${curl} -o "$dir/aws-otel-collector.rpm" ${shellQuote(rpm)} || return 1`,
    `  ${curl} -o "$dir/aws-otel-collector.gpg" ${shellQuote(ADOT_COLLECTOR.signingKeyUrl)} || return 1`,
    '  # Trust the key only if it is the one ADOT signs its releases with.',
    '  install -d -m 0700 "$dir/gnupg" || return 1',
    '  uids=$(GNUPGHOME="$dir/gnupg" gpg --batch --show-keys --with-colons "$dir/aws-otel-collector.gpg") || return 1',
    `  [[ "$uids" == *${shellQuote(ADOT_COLLECTOR.signingKeyUserId)}* ]] || { echo "kong-fleet: unexpected ADOT signing key"; return 1; }`,
    '  rpm --import "$dir/aws-otel-collector.gpg" || return 1',
    '  sig=$(rpm --checksig "$dir/aws-otel-collector.rpm") || { echo "kong-fleet: $sig"; return 1; }',
    `  [[ "$sig" == *'signatures OK'* ]] || { echo "kong-fleet: ADOT collector RPM is not signed: $sig"; return 1; }`,
    '  rpm -U --quiet "$dir/aws-otel-collector.rpm" || return 1',
    `  grep -q ${shellQuote(`^config=.*${ADOT_EC2_PATHS.config}`)} ${ADOT_EC2_PATHS.environmentFile} || { echo "kong-fleet: unexpected ${ADOT_EC2_PATHS.environmentFile}"; return 1; }`,
    `  install -m 0640 -o aoc -g aoc /dev/null ${ADOT_EC2_PATHS.config} || return 1`,
    `  cat > ${ADOT_EC2_PATHS.config} <<'EOF_ADOT_CONFIG' || return 1`,
    yaml.trimEnd(),
    'EOF_ADOT_CONFIG',
    '  systemctl daemon-reload || return 1',
    `  systemctl enable --now ${ADOT_EC2_PATHS.service} || return 1`,
    '  for attempt in $(seq 1 30); do',
    `    curl -sf --max-time 2 -o /dev/null http://127.0.0.1:${ADOT_COLLECTOR.healthCheckPort}/ && { rm -rf "$dir"; return 0; }`,
    '    sleep 2',
    '  done',
    '  echo "kong-fleet: the ADOT collector did not report healthy (attempt $attempt)"',
    '  return 1',
    '}',
    `echo 'kong-fleet: Kong metrics of data plane' ${shellQuote(options.dataPlaneName)} 'are remote-written to' ${shellQuote(options.remoteWriteUrl)}`,
    `install_kong_metrics_collector || echo 'kong-fleet: Kong metrics are not collected on this instance (see above); Kong is unaffected'`,
    '',
  ];
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

function checkRuntime(runtime: KongMetricsRuntime, where: string): KongMetricsRuntime {
  if (!RUNTIMES.includes(runtime)) {
    throw new KongFleetError(`${where}.runtime`, 'is not a data-plane runtime', {
      got: runtime,
      expected: RUNTIMES.join(', '),
    });
  }
  return runtime;
}

function checkDataPlaneName(name: string, where: string): string {
  if (typeof name !== 'string' || !DNS_LABEL.test(name)) {
    throw new KongFleetError(`${where}.dataPlaneName`, 'is not a DNS label', {
      got: name,
      expected: 'lower-case letters, digits and hyphens, at most 63',
    });
  }
  return name;
}

function checkRemoteWriteUrl(url: string, where: string): string {
  // A URL that is one token (an imported value) is only known at deploy time.
  if (typeof url === 'string' && isUnresolvedToken(url) && url.startsWith('${Token[')) return url;
  const fail = (problem: string) =>
    new KongFleetError(`${where}.remoteWriteUrl`, problem, {
      got: url,
      expected: 'https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>/api/v1/remote_write',
    });
  if (typeof url !== 'string' || !url.startsWith('https://')) {
    throw fail('must be an https URL: SigV4-signed metrics never travel in clear text');
  }
  if (/[\s"'\\]/.test(url)) throw fail('contains characters no URL has');
  if (!isUnresolvedToken(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw fail('is not a URL');
    }
    if (parsed.username || parsed.password) throw fail('must not carry credentials: requests are signed with SigV4');
  }
  return url;
}

function checkRegion(region: string, where: string): string {
  if (typeof region === 'string' && isUnresolvedToken(region)) return region;
  if (typeof region !== 'string' || !REGION.test(region)) {
    throw new KongFleetError(`${where}.region`, 'is not an AWS Region name', {
      got: region,
      expected: 'e.g. eu-west-1',
    });
  }
  return region;
}

function checkKubernetesName(value: string | undefined, where: string, what: string): string {
  if (typeof value !== 'string' || !DNS_LABEL.test(value)) {
    throw new KongFleetError(
      where,
      value === undefined ? `Kubernetes pod discovery needs the ${what}` : `is not a ${what} name`,
      {
        got: value,
        expected: "a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters",
      },
    );
  }
  return value;
}

function checkMemoryLimit(value: number, where: string): number {
  if (!Number.isInteger(value) || value < 32) {
    throw new KongFleetError(`${where}.memoryLimitMiB`, 'is too small for the collector', {
      got: value,
      expected: 'an integer ≥ 32',
    });
  }
  return value;
}
