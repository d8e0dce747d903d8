/**
 * The Kong fleet dashboard for Grafana 10 (Amazon Managed Grafana pins 10.4): a plain dashboard
 * JSON model built on the metrics Kong's `prometheus` plugin exports. No CDK, no I/O.
 *
 * Metric names, types and labels were checked against Kong/kong `kong/plugins/prometheus/exporter.lua`
 * (master at 22246ef2, kong/meta.lua 3.10.0; the same names in tags 3.0.0 to 3.9.x, except
 * `kong_control_plane_connected`, new in 3.10) and the plugin's switches
 * against `kong/plugins/prometheus/schema.lua`: status code, latency, bandwidth and upstream
 * health metrics are only exported when the plugin's `status_code_metrics`, `latency_metrics`,
 * `bandwidth_metrics` and `upstream_health_metrics` are `true` (all default `false` since 3.0).
 */
import { KongFleetError } from './errors';
import { KONG_DATA_PLANE_METRIC_LABEL } from './metrics-collection';

/**
 * Dashboard JSON schema version of Grafana 10.4 (v39, the `timeSeriesTable` transformation
 * migration, is the last one before Grafana 11.x added v40: grafana/grafana
 * apps/dashboard/pkg/migration/schemaversion/v39.go, v40.go). Grafana migrates older versions
 * on load, never newer ones.
 */
export const GRAFANA_DASHBOARD_SCHEMA_VERSION = 39;

/** The dashboard's uid unless one is given: stable, so updates overwrite the same dashboard. */
export const KONG_GRAFANA_DASHBOARD_UID = 'kong-fleet-overview';

export const KONG_GRAFANA_DASHBOARD_TITLE = 'Kong fleet';

export type KongMetricType = 'counter' | 'gauge' | 'histogram';

/** One metric of Kong's prometheus plugin, as exporter.lua declares it. */
export interface KongPrometheusMetric {
  /** The exported name, with the plugin's `kong_` prefix. */
  readonly name: string;
  readonly type: KongMetricType;
  /** The labels Kong sets (collectors add {@link KONG_DATA_PLANE_METRIC_LABEL}). */
  readonly labels: readonly string[];
  /** The prometheus plugin setting that must be `true` for Kong to export the metric. */
  readonly enabledBy?: string;
  /** The first Kong version that exports it, when newer than 3.0 (older nodes show no data). */
  readonly since?: string;
}

/** The Kong metrics the dashboard reads (HTTP subsystem; a data plane exports all of them). */
export const KONG_PROMETHEUS_METRICS = {
  httpRequests: {
    name: 'kong_http_requests_total',
    type: 'counter',
    labels: ['service', 'route', 'code', 'source', 'workspace', 'consumer'],
    enabledBy: 'status_code_metrics',
  },
  kongLatency: {
    name: 'kong_kong_latency_ms',
    type: 'histogram',
    labels: ['service', 'route', 'workspace'],
    enabledBy: 'latency_metrics',
  },
  upstreamLatency: {
    name: 'kong_upstream_latency_ms',
    type: 'histogram',
    labels: ['service', 'route', 'workspace'],
    enabledBy: 'latency_metrics',
  },
  requestLatency: {
    name: 'kong_request_latency_ms',
    type: 'histogram',
    labels: ['service', 'route', 'workspace'],
    enabledBy: 'latency_metrics',
  },
  bandwidth: {
    name: 'kong_bandwidth_bytes',
    type: 'counter',
    labels: ['service', 'route', 'direction', 'workspace', 'consumer'],
    enabledBy: 'bandwidth_metrics',
  },
  nginxConnections: {
    name: 'kong_nginx_connections_total',
    type: 'gauge',
    labels: ['node_id', 'subsystem', 'state'],
  },
  nginxRequests: { name: 'kong_nginx_requests_total', type: 'gauge', labels: ['node_id', 'subsystem'] },
  upstreamTargetHealth: {
    name: 'kong_upstream_target_health',
    type: 'gauge',
    labels: ['upstream', 'target', 'address', 'state', 'subsystem'],
    enabledBy: 'upstream_health_metrics',
  },
  // Added by Kong/kong#14020 (January 2025, kong/meta.lua 3.10.0); absent from 3.9.x.
  controlPlaneConnected: { name: 'kong_control_plane_connected', type: 'gauge', labels: [], since: '3.10' },
  clusterCertExpiry: { name: 'kong_data_plane_cluster_cert_expiry_timestamp', type: 'gauge', labels: [] },
  nodeInfo: { name: 'kong_node_info', type: 'gauge', labels: ['node_id', 'version'] },
  luaVmMemory: {
    name: 'kong_memory_workers_lua_vms_bytes',
    type: 'gauge',
    labels: ['node_id', 'pid', 'kong_subsystem'],
  },
} as const satisfies Record<string, KongPrometheusMetric>;

/** Every metric name the dashboard uses. */
export const KONG_DASHBOARD_METRIC_NAMES: readonly string[] = Object.values(KONG_PROMETHEUS_METRICS).map((m) => m.name);

/** The series names a metric appears under in PromQL (a histogram's `_bucket`, `_sum`, `_count`). */
export function prometheusSeriesNames(metric: KongPrometheusMetric): string[] {
  return metric.type === 'histogram'
    ? [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`]
    : [metric.name];
}

export interface KongGrafanaDashboardOptions {
  /** uid of the Prometheus data source (the AMP workspace) every panel queries. */
  readonly datasourceUid: string;
  /** @default KONG_GRAFANA_DASHBOARD_TITLE */
  readonly title?: string;
  /** @default KONG_GRAFANA_DASHBOARD_UID */
  readonly uid?: string;
}

/** Grafana's rule for uids (dashboards and data sources). */
const GRAFANA_UID = /^[a-zA-Z0-9_-]{1,40}$/;

const M = KONG_PROMETHEUS_METRICS;
const DP = KONG_DATA_PLANE_METRIC_LABEL;
const RATE = '[$__rate_interval]';
/** The dashboard's variable filters: data planes everywhere, services where Kong sets the label. */
const ON_DATA_PLANES = `${DP}=~"$data_plane"`;
const ON_SERVICES = `${ON_DATA_PLANES}, service=~"$service"`;

/**
 * A Grafana dashboard (JSON model, schemaVersion {@link GRAFANA_DASHBOARD_SCHEMA_VERSION}) for a
 * fleet of Kong data planes: request rate by status, service and data plane, Kong / upstream /
 * total latency percentiles, bandwidth, nginx connections, upstream target health, control plane
 * connection, cluster certificate expiry and versions per data plane. Panel ids and the layout
 * depend only on this code, so the same options always give the same JSON.
 */
export function kongGrafanaDashboard(options: KongGrafanaDashboardOptions): Record<string, unknown> {
  const uid = options.uid ?? KONG_GRAFANA_DASHBOARD_UID;
  const title = options.title ?? KONG_GRAFANA_DASHBOARD_TITLE;
  for (const [field, value] of [
    ['datasourceUid', options.datasourceUid],
    ['uid', uid],
  ] as const) {
    if (typeof value !== 'string' || !GRAFANA_UID.test(value)) {
      throw new KongFleetError(`kongGrafanaDashboard.${field}`, 'not a valid Grafana uid', {
        got: value,
        expected: '1 to 40 letters, digits, "-" or "_"',
      });
    }
  }
  if (typeof title !== 'string' || title.trim() === '' || title.length > 255) {
    throw new KongFleetError('kongGrafanaDashboard.title', 'not a usable dashboard title', {
      got: title,
      expected: '1 to 255 characters, not only spaces',
    });
  }

  const datasource = { type: 'prometheus', uid: options.datasourceUid };
  const layout = new Layout(datasource);

  layout.row('Traffic');
  layout.timeseries('Requests per second by status code', 'reqps', 12, [
    { expr: `sum by (code) (rate(${M.httpRequests.name}{${ON_SERVICES}}${RATE}))`, legend: '{{code}}' },
  ]);
  layout.timeseries('Requests per second by service', 'reqps', 12, [
    { expr: `sum by (service) (rate(${M.httpRequests.name}{${ON_SERVICES}}${RATE}))`, legend: '{{service}}' },
  ]);
  layout.timeseries('Requests per second by data plane', 'reqps', 12, [
    { expr: `sum by (${DP}) (rate(${M.httpRequests.name}{${ON_SERVICES}}${RATE}))`, legend: `{{${DP}}}` },
  ]);
  layout.timeseries('5xx ratio by data plane', 'percentunit', 12, [
    {
      expr:
        `sum by (${DP}) (rate(${M.httpRequests.name}{${ON_SERVICES}, code=~"5.."}${RATE}))` +
        ` / sum by (${DP}) (rate(${M.httpRequests.name}{${ON_SERVICES}}${RATE}))`,
      legend: `{{${DP}}}`,
    },
  ]);

  layout.row('Latency');
  for (const [name, metric] of [
    ['Kong latency', M.kongLatency],
    ['Upstream latency', M.upstreamLatency],
    ['Request latency', M.requestLatency],
  ] as const) {
    layout.timeseries(
      `${name} (p50 / p95 / p99)`,
      'ms',
      8,
      [0.5, 0.95, 0.99].map((q) => ({
        expr: `histogram_quantile(${q}, sum by (le) (rate(${metric.name}_bucket{${ON_SERVICES}}${RATE})))`,
        legend: `p${Math.round(q * 100)}`,
      })),
    );
  }
  layout.timeseries('p95 request latency by data plane', 'ms', 12, [
    {
      expr: `histogram_quantile(0.95, sum by (le, ${DP}) (rate(${M.requestLatency.name}_bucket{${ON_SERVICES}}${RATE})))`,
      legend: `{{${DP}}}`,
    },
  ]);
  layout.timeseries('p95 request latency by service', 'ms', 12, [
    {
      expr: `histogram_quantile(0.95, sum by (le, service) (rate(${M.requestLatency.name}_bucket{${ON_SERVICES}}${RATE})))`,
      legend: '{{service}}',
    },
  ]);

  layout.row('Bandwidth');
  layout.timeseries('Bandwidth by direction', 'Bps', 12, [
    { expr: `sum by (direction) (rate(${M.bandwidth.name}{${ON_SERVICES}}${RATE}))`, legend: '{{direction}}' },
  ]);
  layout.timeseries('Egress bandwidth by data plane', 'Bps', 12, [
    {
      expr: `sum by (${DP}) (rate(${M.bandwidth.name}{${ON_SERVICES}, direction="egress"}${RATE}))`,
      legend: `{{${DP}}}`,
    },
  ]);

  layout.row('Connections');
  layout.timeseries('Nginx connections by state', 'short', 12, [
    {
      expr: `sum by (state) (${M.nginxConnections.name}{${ON_DATA_PLANES}, state=~"active|reading|writing|waiting"})`,
      legend: '{{state}}',
    },
  ]);
  layout.timeseries('Active connections by data plane', 'short', 12, [
    { expr: `sum by (${DP}) (${M.nginxConnections.name}{${ON_DATA_PLANES}, state="active"})`, legend: `{{${DP}}}` },
  ]);

  layout.row('Upstream targets');
  layout.stat('Upstream targets not healthy', 'short', 6, {
    expr: `count(${M.upstreamTargetHealth.name}{${ON_DATA_PLANES}, state=~"unhealthy|dns_error"} == 1) or vector(0)`,
    thresholds: [
      { color: 'green', value: null },
      { color: 'red', value: 1 },
    ],
  });
  layout.table('Upstream target health (Kong nodes reporting each state)', 18, [
    {
      expr: `sum by (upstream, target, address, state) (${M.upstreamTargetHealth.name}{${ON_DATA_PLANES}} == 1)`,
    },
  ]);

  layout.row('Data planes');
  layout.stat('Connected to the control plane', 'none', 8, {
    expr: `min by (${DP}) (${M.controlPlaneConnected.name}{${ON_DATA_PLANES}})`,
    legend: `{{${DP}}}`,
    thresholds: [
      { color: 'red', value: null },
      { color: 'green', value: 1 },
    ],
    mappings: [
      { type: 'value', options: { '0': { text: 'disconnected', color: 'red', index: 0 } } },
      { type: 'value', options: { '1': { text: 'connected', color: 'green', index: 1 } } },
    ],
  });
  layout.stat('Days until the cluster certificate expires', 'd', 8, {
    expr: `min by (${DP}) (${M.clusterCertExpiry.name}{${ON_DATA_PLANES}} - time()) / 86400`,
    legend: `{{${DP}}}`,
    thresholds: [
      { color: 'red', value: null },
      { color: 'orange', value: 14 },
      { color: 'green', value: 30 },
    ],
  });
  layout.table('Kong versions (nodes per data plane)', 8, [
    { expr: `count by (${DP}, version) (${M.nodeInfo.name}{${ON_DATA_PLANES}})` },
  ]);
  layout.timeseries('Lua VM memory by data plane', 'bytes', 24, [
    { expr: `sum by (${DP}) (${M.luaVmMemory.name}{${ON_DATA_PLANES}})`, legend: `{{${DP}}}` },
  ]);

  return {
    uid,
    title,
    description:
      "Kong Gateway data planes, from the prometheus plugin's metrics (enable status_code_metrics, " +
      `latency_metrics, bandwidth_metrics and upstream_health_metrics), labelled by ${DP}.`,
    tags: ['kong', 'kong-fleet'],
    timezone: 'browser',
    schemaVersion: GRAFANA_DASHBOARD_SCHEMA_VERSION,
    editable: true,
    graphTooltip: 1,
    refresh: '1m',
    time: { from: 'now-6h', to: 'now' },
    annotations: { list: [] },
    links: [],
    templating: {
      list: [
        queryVariable('data_plane', 'Data plane', `label_values(${M.nginxRequests.name}, ${DP})`, datasource),
        queryVariable(
          'service',
          'Service',
          `label_values(${M.httpRequests.name}{${ON_DATA_PLANES}}, service)`,
          datasource,
        ),
      ],
    },
    panels: layout.panels,
  };
}

interface Target {
  readonly expr: string;
  readonly legend?: string;
}

interface Threshold {
  readonly color: string;
  readonly value: number | null;
}

type DatasourceRef = { type: string; uid: string };

/** Places panels left to right on Grafana's 24-column grid, rows top to bottom; ids in order. */
class Layout {
  public readonly panels: Record<string, unknown>[] = [];
  private nextId = 1;
  private x = 0;
  private y = 0;
  private lineHeight = 0;

  constructor(private readonly datasource: DatasourceRef) {}

  public row(title: string): void {
    this.newLine();
    this.panels.push({
      id: this.nextId++,
      type: 'row',
      title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y: this.y },
      panels: [],
    });
    this.y += 1;
  }

  public timeseries(title: string, unit: string, width: number, targets: Target[]): void {
    this.panel(width, 8, {
      type: 'timeseries',
      title,
      fieldConfig: {
        defaults: {
          unit,
          custom: { drawStyle: 'line', lineWidth: 1, fillOpacity: 10, showPoints: 'never', spanNulls: false },
        },
        overrides: [],
      },
      options: {
        legend: { showLegend: true, displayMode: 'table', placement: 'bottom', calcs: ['mean', 'max'] },
        tooltip: { mode: 'multi', sort: 'desc' },
      },
      targets: this.targets(targets, false),
    });
  }

  public stat(
    title: string,
    unit: string,
    width: number,
    spec: Target & { thresholds: Threshold[]; mappings?: unknown[] },
  ): void {
    this.panel(width, 6, {
      type: 'stat',
      title,
      fieldConfig: {
        defaults: {
          unit,
          decimals: 0,
          mappings: spec.mappings ?? [],
          thresholds: { mode: 'absolute', steps: spec.thresholds },
        },
        overrides: [],
      },
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'background',
        graphMode: 'none',
        textMode: 'auto',
        justifyMode: 'auto',
        orientation: 'auto',
      },
      targets: this.targets([spec], false),
    });
  }

  public table(title: string, width: number, targets: Target[]): void {
    this.panel(width, 6, {
      type: 'table',
      title,
      fieldConfig: { defaults: {}, overrides: [] },
      options: { showHeader: true, cellHeight: 'sm' },
      transformations: [{ id: 'organize', options: { excludeByName: { Time: true } } }],
      targets: this.targets(targets, true),
    });
  }

  private panel(width: number, height: number, body: Record<string, unknown>): void {
    if (this.x + width > 24) this.newLine();
    this.panels.push({
      id: this.nextId++,
      datasource: this.datasource,
      gridPos: { h: height, w: width, x: this.x, y: this.y },
      ...body,
    });
    this.x += width;
    this.lineHeight = Math.max(this.lineHeight, height);
  }

  private targets(targets: Target[], instant: boolean): Record<string, unknown>[] {
    return targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: this.datasource,
      editorMode: 'code',
      expr: t.expr,
      legendFormat: t.legend ?? '__auto',
      range: !instant,
      instant,
      ...(instant ? { format: 'table' } : {}),
    }));
  }

  private newLine(): void {
    this.y += this.lineHeight;
    this.x = 0;
    this.lineHeight = 0;
  }
}

function queryVariable(name: string, label: string, query: string, datasource: DatasourceRef): Record<string, unknown> {
  return {
    name,
    label,
    type: 'query',
    datasource,
    definition: query,
    query: { query, refId: 'StandardVariableQuery' },
    refresh: 2,
    includeAll: true,
    multi: true,
    allValue: '.*',
    current: { selected: true, text: ['All'], value: ['$__all'] },
    sort: 1,
    hide: 0,
  };
}
