/**
 * The Kong Grafana dashboard (src/kong/grafana-dashboard.ts): every PromQL expression reads only
 * metrics of the exported list (Kong's prometheus plugin names) and only labels those metrics
 * carry (plus the collectors' data-plane label), the layout fits Grafana's grid, and the JSON is
 * stable for the same options.
 */
import { KongFleetError } from '../../src/kong/errors';
import { KONG_DATA_PLANE_METRIC_LABEL } from '../../src/kong/metrics-collection';
import {
  GRAFANA_DASHBOARD_SCHEMA_VERSION,
  KONG_DASHBOARD_METRIC_NAMES,
  KONG_GRAFANA_DASHBOARD_TITLE,
  KONG_GRAFANA_DASHBOARD_UID,
  KONG_PROMETHEUS_METRICS,
  kongGrafanaDashboard,
  type KongPrometheusMetric,
  prometheusSeriesNames,
} from '../../src/kong/grafana-dashboard';

const DATASOURCE_UID = 'amp-test';
const dashboard = kongGrafanaDashboard({ datasourceUid: DATASOURCE_UID });
const panels = dashboard.panels as any[];
const dataPanels = panels.filter((p) => p.type !== 'row');
const variables = (dashboard.templating as any).list as any[];
const panelExpressions: string[] = dataPanels.flatMap((p) => p.targets.map((t: any) => t.expr));
const variableQueries: string[] = variables.map((v) => v.query.query);

const METRICS: KongPrometheusMetric[] = Object.values(KONG_PROMETHEUS_METRICS);
/** PromQL functions, aggregations and operators the dashboard may use. */
const PROMQL_WORDS = new Set(['sum', 'min', 'count', 'rate', 'histogram_quantile', 'by', 'or', 'vector', 'time']);

/** Metric series and label names an expression reads. */
function analyse(expr: string): { series: string[]; labels: string[] } {
  let rest = expr.replace(/"[^"]*"/g, '""').replace(/\[\$__rate_interval\]/g, '');
  const labels: string[] = [];
  // label_values(<series selector>, <label>)
  rest = rest.replace(/label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\)/, (_m, selector: string, label: string) => {
    labels.push(label);
    return selector;
  });
  rest = rest.replace(/\{([^}]*)\}/g, (_m, inner: string) => {
    for (const [, name] of inner.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g)) labels.push(name);
    return ' ';
  });
  rest = rest.replace(/\bby\s*\(([^)]*)\)/g, (_m, list: string) => {
    labels.push(...list.split(',').map((l) => l.trim()));
    return ' ';
  });
  const words = [...rest.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((m) => m[0]);
  return { series: words.filter((w) => !PROMQL_WORDS.has(w)), labels };
}

describe('metric names', () => {
  const allowedSeries = new Map(METRICS.flatMap((m) => prometheusSeriesNames(m).map((s) => [s, m] as const)));

  test('every expression reads only series of the exported metric list, with labels those metrics carry', () => {
    const expressions = [...panelExpressions, ...variableQueries];
    expect(expressions.length).toBeGreaterThan(20);
    for (const expr of expressions) {
      const { series, labels } = analyse(expr);
      expect({ expr, series: series.length > 0 }).toEqual({ expr, series: true });
      const used = series.map((s) => {
        const metric = allowedSeries.get(s);
        expect({ expr, series: s, known: metric !== undefined }).toEqual({ expr, series: s, known: true });
        return metric!;
      });
      const allowedLabels = new Set([
        KONG_DATA_PLANE_METRIC_LABEL,
        ...used.flatMap((m) => m.labels),
        ...(series.some((s) => s.endsWith('_bucket')) ? ['le'] : []),
      ]);
      for (const label of labels) {
        expect({ expr, label, known: allowedLabels.has(label) }).toEqual({ expr, label, known: true });
      }
    }
  });

  test('the check above rejects an expression on a metric Kong does not export', () => {
    expect(allowedSeries.has(analyse('sum(rate(kong_http_status{kong_data_plane=~"x"}[5m]))').series[0])).toBe(false);
    expect(analyse('sum by (le, service) (rate(kong_request_latency_ms_bucket{code="200"}[1m]))').labels).toEqual(
      expect.arrayContaining(['le', 'service', 'code']),
    );
  });

  test('the exported list is what Kong 3.x exports: kong_ prefix, histograms in ms, every entry used', () => {
    expect(KONG_DASHBOARD_METRIC_NAMES).toEqual(METRICS.map((m) => m.name));
    expect(KONG_DASHBOARD_METRIC_NAMES).toEqual(
      expect.arrayContaining([
        'kong_http_requests_total',
        'kong_kong_latency_ms',
        'kong_upstream_latency_ms',
        'kong_request_latency_ms',
        'kong_bandwidth_bytes',
        'kong_nginx_connections_total',
        'kong_upstream_target_health',
      ]),
    );
    for (const name of KONG_DASHBOARD_METRIC_NAMES) expect(name).toMatch(/^kong_[a-z_]+$/);
    // Names Kong 2.x used and 3.0 renamed must not come back.
    for (const old of [
      'kong_http_status',
      'kong_latency_bucket',
      'kong_bandwidth',
      'kong_nginx_http_current_connections',
    ]) {
      expect(KONG_DASHBOARD_METRIC_NAMES).not.toContain(old);
    }
    const read = new Set([...panelExpressions, ...variableQueries].flatMap((e) => analyse(e).series));
    for (const metric of METRICS) {
      expect({ metric: metric.name, used: prometheusSeriesNames(metric).some((s) => read.has(s)) }).toEqual({
        metric: metric.name,
        used: true,
      });
    }
  });

  test('histogram quantiles are taken over _bucket series aggregated by le', () => {
    const quantiles = panelExpressions.filter((e) => e.includes('histogram_quantile'));
    expect(quantiles.length).toBeGreaterThanOrEqual(11);
    for (const expr of quantiles) {
      expect(expr).toMatch(/histogram_quantile\(0\.\d+, sum by \(le(, [a-z_]+)?\) \(rate\(kong_[a-z_]+_ms_bucket\{/);
    }
  });
});

describe('the data-plane label', () => {
  test('is the exported constant and every panel query filters on it', () => {
    expect(KONG_DATA_PLANE_METRIC_LABEL).toBe('kong_data_plane');
    for (const expr of panelExpressions) expect(expr).toContain(`${KONG_DATA_PLANE_METRIC_LABEL}=~"$data_plane"`);
  });

  test('breaks traffic, latency, bandwidth and connections down per data plane', () => {
    const perDataPlane = panelExpressions.filter((e) =>
      new RegExp(`by \\((le, )?${KONG_DATA_PLANE_METRIC_LABEL}[,)]`).test(e),
    );
    const metricsPerDataPlane = new Set(perDataPlane.flatMap((e) => analyse(e).series));
    for (const series of [
      'kong_http_requests_total',
      'kong_request_latency_ms_bucket',
      'kong_bandwidth_bytes',
      'kong_nginx_connections_total',
      'kong_control_plane_connected',
      'kong_data_plane_cluster_cert_expiry_timestamp',
    ]) {
      expect(metricsPerDataPlane).toContain(series);
    }
  });

  test('the data_plane variable lists its values; the service variable follows it', () => {
    const byName = Object.fromEntries(variables.map((v) => [v.name, v]));
    expect(byName.data_plane.query.query).toBe(
      `label_values(kong_nginx_requests_total, ${KONG_DATA_PLANE_METRIC_LABEL})`,
    );
    expect(byName.service.query.query).toContain(`${KONG_DATA_PLANE_METRIC_LABEL}=~"$data_plane"`);
    for (const v of variables) {
      expect(v).toMatchObject({ type: 'query', includeAll: true, multi: true, allValue: '.*' });
      expect(v.datasource).toEqual({ type: 'prometheus', uid: DATASOURCE_UID });
    }
  });
});

describe('dashboard model', () => {
  test('uids and ids are stable: the same options give the same JSON', () => {
    expect(kongGrafanaDashboard({ datasourceUid: DATASOURCE_UID })).toEqual(dashboard);
    expect(JSON.parse(JSON.stringify(dashboard))).toEqual(dashboard);
    expect(dashboard.uid).toBe(KONG_GRAFANA_DASHBOARD_UID);
    expect(dashboard.title).toBe(KONG_GRAFANA_DASHBOARD_TITLE);
    expect(panels.map((p) => p.id)).toEqual(panels.map((_p, i) => i + 1));
    const custom = kongGrafanaDashboard({ datasourceUid: 'other', uid: 'my-kong', title: 'Edge' });
    expect(custom).toMatchObject({ uid: 'my-kong', title: 'Edge' });
    expect((custom.panels as any[]).map((p) => p.id)).toEqual(panels.map((p) => p.id));
  });

  test('Grafana 10 schema, every panel and query on the given data source', () => {
    expect(dashboard.schemaVersion).toBe(GRAFANA_DASHBOARD_SCHEMA_VERSION);
    expect(GRAFANA_DASHBOARD_SCHEMA_VERSION).toBe(39);
    for (const panel of dataPanels) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: DATASOURCE_UID });
      expect(['timeseries', 'stat', 'table']).toContain(panel.type);
      expect(panel.targets.length).toBeGreaterThan(0);
      panel.targets.forEach((t: any, i: number) => {
        expect(t.refId).toBe(String.fromCharCode(65 + i));
        expect(t.datasource).toEqual({ type: 'prometheus', uid: DATASOURCE_UID });
      });
    }
  });

  test('covers the panels the fleet needs', () => {
    const titles = dataPanels.map((p) => p.title).join('\n');
    for (const wanted of [
      /status code/,
      /by service/,
      /Kong latency/,
      /Upstream latency/,
      /Request latency/,
      /Bandwidth/,
      /Nginx connections/,
      /Upstream target health/,
      /control plane/,
      /certificate/,
    ]) {
      expect(titles).toMatch(wanted);
    }
  });

  test('panels fit the 24-column grid without overlapping', () => {
    const cells = new Set<string>();
    for (const { gridPos: g, title } of panels) {
      expect({ title, fits: g.x >= 0 && g.w > 0 && g.x + g.w <= 24 && g.h > 0 }).toEqual({ title, fits: true });
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect({ title, cell: `${x},${y}`, free: !cells.has(`${x},${y}`) }).toEqual({
            title,
            cell: `${x},${y}`,
            free: true,
          });
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  test.each([
    [{ datasourceUid: '' }, /kongGrafanaDashboard\.datasourceUid: not a valid Grafana uid/],
    [{ datasourceUid: 'has space' }, /datasourceUid/],
    [{ datasourceUid: 'ok', uid: 'x'.repeat(41) }, /kongGrafanaDashboard\.uid: not a valid Grafana uid/],
    [{ datasourceUid: 'ok', title: '  ' }, /kongGrafanaDashboard\.title: not a usable dashboard title/],
  ])('refuses %j', (options, message) => {
    expect(() => kongGrafanaDashboard(options)).toThrow(KongFleetError);
    expect(() => kongGrafanaDashboard(options)).toThrow(message);
  });
});
