/**
 * `kong-fleet graph`: the fleet's topology as a self-contained SVG 1.1 document and as Mermaid
 * text. Pure (no CDK, no I/O) and deterministic: the same model gives byte-identical output.
 *
 * The layout is computed here rather than by a layout engine, so it can be tested and needs no
 * dependency. All text is monospace, so a fixed character width sizes every box to its text:
 *
 *   title
 *   [legend]            [control plane]            [shared services]
 *   ───────── bus: one level per region trunk, ending on the CP's bottom edge ─────────
 *   [region]│ [region]│ [region]│      one column per region, wrapped into rows; each
 *   [region]│ [region]│                region holds runtime groups, each group its DPs
 *
 * Connectors are orthogonal: a DP's stub leaves its right edge (labelled with the mTLS mode),
 * joins its region's trunk in the gutter right of the region's column (one lane per row, so
 * trunks never overlap), climbs to its own bus level and enters the CP from below. Lanes and
 * levels are ordered so that no two connectors cross (they only merge).
 */
import { formatHostPort } from '../kong/net';
import { KONG_PORTS } from '../kong/ports';
import type { DataPlaneModel, DataPlaneRuntime, FleetModel } from './model';

/** Konnect's cluster and telemetry endpoints listen on 443. */
const KONNECT_PORT = 443;

/** Every text uses this stack: monospace fonts all advance about 0.6 em per character. */
export const GRAPH_FONT_FAMILY = "'DejaVu Sans Mono', 'Liberation Mono', Menlo, Consolas, monospace";

/** Estimated advance of one character, in em (DejaVu Sans Mono: 0.602; Liberation Mono: 0.600). */
export const GRAPH_CHAR_WIDTH_EM = 0.62;

const FONT_SIZE = { title: 16, heading: 12, body: 11, small: 10 } as const;

/** Fill and stroke of each kind of box; exported so tests can find them in a rendered image. */
export const GRAPH_COLOURS = {
  background: '#ffffff',
  text: '#0f172a',
  mutedText: '#334155',
  connector: '#475569',
  controlPlane: { fill: '#ede7f6', stroke: '#4527a0' },
  region: { fill: '#f8fafc', stroke: '#64748b' },
  runtime: { fill: '#ffffff', stroke: '#cbd5e1' },
  services: { fill: '#fffde7', stroke: '#f9a825' },
  legend: { fill: '#ffffff', stroke: '#94a3b8' },
  dataPlane: {
    eks: { fill: '#fff3e0', stroke: '#e65100' },
    ecs: { fill: '#e8f5e9', stroke: '#2e7d32' },
    ec2: { fill: '#fce4ec', stroke: '#ad1457' },
    kubernetes: { fill: '#e3f2fd', stroke: '#1565c0' },
  },
} as const;

/** Order of runtime groups inside a region. */
const RUNTIME_ORDER: readonly DataPlaneRuntime[] = ['eks', 'ecs', 'ec2', 'kubernetes'];

const RUNTIME_TITLE: Record<DataPlaneRuntime, string> = {
  eks: 'EKS',
  ecs: 'ECS (Fargate)',
  ec2: 'EC2',
  kubernetes: 'Kubernetes (Helm)',
};

/** What `replicas` counts on each runtime. */
const REPLICA_UNIT: Record<DataPlaneRuntime, string> = {
  eks: 'replicas',
  ecs: 'tasks',
  ec2: 'instances',
  kubernetes: 'replicas',
};

const SERVICE_TITLES: readonly [keyof FleetModel['sharedServices'], string][] = [
  ['redis', 'Redis'],
  ['cognito', 'Cognito'],
  ['opensearch', 'OpenSearch (logs)'],
  ['prometheus', 'Prometheus (metrics)'],
];

// Geometry, in px. Every computed coordinate is an integer.
const MARGIN = 24;
const PAD_X = 8;
const PAD_Y = 6;
const BAND_GAP = 32;
const DP_GAP = 8;
const GROUP_PAD = 8;
const GROUP_GAP = 10;
const REGION_PAD = 10;
const LABEL_PAD = 6;
const LANE_START = 10;
const LANE_GAP = 8;
const LANE_END = 14;
const ROW_GAP = 24;
const BUS_STEP = 10;
const MAX_COLUMNS = 4;
const SWATCH_WIDTH = 18;
const SWATCH_INDENT = SWATCH_WIDTH + 8;

export interface GraphRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export interface GraphTextLine {
  readonly text: string;
  /** Font size in px. */
  readonly size: number;
  readonly bold: boolean;
  /** Extra left indent in px (the legend's swatches). */
  readonly indent: number;
}

export type GraphBoxKind = 'control-plane' | 'services' | 'legend' | 'region' | 'runtime' | 'data-plane';

/** A rectangle with its text lines, drawn from its top-left corner. */
export interface GraphBox extends GraphRect {
  readonly kind: GraphBoxKind;
  readonly lines: readonly GraphTextLine[];
}

/** A text drawn on its own (the title, connector labels); `y` is the top of the glyphs. */
export interface GraphLabel extends GraphRect {
  readonly text: string;
  readonly size: number;
  /** Baseline. */
  readonly baseline: number;
}

export interface GraphConnector {
  /** Orthogonal polyline from the DP's right edge to the CP's bottom edge (arrowhead there). */
  readonly points: readonly (readonly [number, number])[];
  /** `mTLS <mode>`, above the stub. */
  readonly label: GraphLabel;
}

export interface DataPlaneLayout {
  readonly name: string;
  readonly region: string;
  readonly runtime: DataPlaneRuntime;
  readonly box: GraphBox;
  readonly connector: GraphConnector;
}

export interface RuntimeGroupLayout {
  readonly runtime: DataPlaneRuntime;
  readonly box: GraphBox;
  readonly dataPlanes: readonly DataPlaneLayout[];
}

export interface RegionLayout {
  readonly region: string;
  readonly box: GraphBox;
  readonly runtimes: readonly RuntimeGroupLayout[];
}

export interface LegendSwatch extends GraphRect {
  readonly kind: 'control-plane' | 'region' | 'runtime' | 'connector' | DataPlaneRuntime;
}

/** Everything {@link renderFleetSvg} draws, with its position. */
export interface FleetLayout {
  readonly width: number;
  readonly height: number;
  readonly title: GraphLabel;
  readonly controlPlane: GraphBox;
  readonly services: GraphBox;
  readonly legend: GraphBox;
  readonly legendSwatches: readonly LegendSwatch[];
  readonly regions: readonly RegionLayout[];
  /** Every data plane, in region, runtime and then file order. */
  readonly dataPlanes: readonly DataPlaneLayout[];
}

/** `host:port` of the control plane's cluster and telemetry endpoints, as data planes dial them. */
export function controlPlaneEndpoints(model: FleetModel): { cluster?: string; telemetry?: string } {
  const cp = model.controlPlane;
  if (cp.runtime === 'konnect') {
    if (!cp.konnect) return {};
    return {
      cluster: formatHostPort(cp.konnect.clusterEndpoint, KONNECT_PORT),
      telemetry: formatHostPort(cp.konnect.telemetryEndpoint, KONNECT_PORT),
    };
  }
  if (!cp.endpoints) return {};
  return {
    cluster: formatHostPort(cp.endpoints.cluster, KONG_PORTS.cluster),
    telemetry: formatHostPort(cp.endpoints.telemetry, KONG_PORTS.clusterTelemetry),
  };
}

/** Computes the position of everything the SVG shows. */
export function layoutFleet(model: FleetModel): FleetLayout {
  const mode = model.certificates.mode;
  const edgeText = `mTLS ${mode}`;
  const labelAreaWidth = textWidth(edgeText, FONT_SIZE.small) + 2 * LABEL_PAD;

  // Natural sizes, bottom-up: DP boxes, runtime groups, regions.
  const regionSpecs = groupDataPlanes(model).map(({ region, runtimes }) => {
    const dpCount = runtimes.reduce((n, g) => n + g.dataPlanes.length, 0);
    const regionLines = [
      line(region, FONT_SIZE.heading, true),
      line(
        `${plural(dpCount, 'data plane')}${region === model.controlPlane.region ? ' · CP region' : ''}`,
        FONT_SIZE.small,
      ),
    ];
    const groups = runtimes.map(({ runtime, dataPlanes }) => ({
      runtime,
      lines: [line(`${RUNTIME_TITLE[runtime]} · ${plural(dataPlanes.length, 'data plane')}`, FONT_SIZE.body, true)],
      dataPlanes: dataPlanes.map((dp) => ({ dp, lines: dataPlaneLines(model, dp) })),
    }));
    const dpWidth = Math.max(...groups.flatMap((g) => g.dataPlanes.map((d) => linesWidth(d.lines))));
    const groupWidth = Math.max(dpWidth + 2 * GROUP_PAD, ...groups.map((g) => linesWidth(g.lines)));
    const naturalWidth = Math.max(linesWidth(regionLines), REGION_PAD + groupWidth + labelAreaWidth);
    const groupHeights = groups.map(
      (g) =>
        linesHeight(g.lines) +
        g.dataPlanes.reduce((h, d) => h + linesHeight(d.lines), 0) +
        (g.dataPlanes.length - 1) * DP_GAP +
        GROUP_PAD,
    );
    const naturalHeight = linesHeight(regionLines) + sum(groupHeights) + (groups.length - 1) * GROUP_GAP + REGION_PAD;
    return { region, regionLines, groups, groupHeights, naturalWidth, naturalHeight };
  });

  // Grid: at most MAX_COLUMNS regions per row, rows balanced.
  const rowCount = Math.max(1, Math.ceil(regionSpecs.length / MAX_COLUMNS));
  const columnCount = Math.max(1, Math.ceil(regionSpecs.length / rowCount));
  const columnWidths = range(columnCount).map((c) =>
    Math.max(0, ...regionSpecs.filter((_, i) => i % columnCount === c).map((r) => r.naturalWidth)),
  );
  const rowHeights = range(rowCount).map((r) =>
    Math.max(0, ...regionSpecs.filter((_, i) => Math.floor(i / columnCount) === r).map((s) => s.naturalHeight)),
  );
  const gutterWidth = LANE_START + (rowCount - 1) * LANE_GAP + LANE_END;
  const gridWidth = regionSpecs.length === 0 ? 0 : sum(columnWidths) + columnCount * gutterWidth;

  // Top band: legend, control plane, shared services.
  const cpLines = controlPlaneLines(model);
  const servicesLines = [
    line('Shared services', FONT_SIZE.heading, true),
    ...enabledServices(model).map((s) => line(s, FONT_SIZE.body)),
  ];
  if (servicesLines.length === 1) servicesLines.push(line('none', FONT_SIZE.body));
  const legendSpec = legendEntries(
    model,
    regionSpecs.flatMap((r) => r.groups.map((g) => g.runtime)),
  );
  const titleText =
    `Kong fleet ${model.name} · Kong Gateway ${model.kong.version} · ` +
    `${plural(model.dataPlanes.length, 'data plane')} in ${plural(regionSpecs.length, 'region')}`;

  const cpWidth = linesWidth(cpLines);
  const servicesWidth = linesWidth(servicesLines);
  const legendWidth = linesWidth(legendSpec.lines);
  const contentWidth = Math.max(
    gridWidth,
    legendWidth + BAND_GAP + cpWidth + BAND_GAP + servicesWidth,
    textWidth(titleText, FONT_SIZE.title),
  );
  const width = contentWidth + 2 * MARGIN;

  const titleHeight = lineHeight(FONT_SIZE.title);
  const title: GraphLabel = {
    text: titleText,
    size: FONT_SIZE.title,
    x: MARGIN,
    y: MARGIN,
    width: textWidth(titleText, FONT_SIZE.title),
    height: titleHeight,
    baseline: MARGIN + FONT_SIZE.title,
  };
  const bandTop = MARGIN + titleHeight + 12;
  const cpX = clamp(
    MARGIN + Math.round((contentWidth - cpWidth) / 2),
    MARGIN + legendWidth + BAND_GAP,
    MARGIN + contentWidth - servicesWidth - BAND_GAP - cpWidth,
  );
  const controlPlane = box('control-plane', cpX, bandTop, cpWidth, linesHeight(cpLines), cpLines);
  const services = box(
    'services',
    MARGIN + contentWidth - servicesWidth,
    bandTop,
    servicesWidth,
    linesHeight(servicesLines),
    servicesLines,
  );
  const legend = box('legend', MARGIN, bandTop, legendWidth, linesHeight(legendSpec.lines), legendSpec.lines);
  const legendSwatches = legendSpec.swatches.map(({ kind, lineIndex }) => {
    const top = legend.y + PAD_Y + sum(legend.lines.slice(0, lineIndex).map((l) => lineHeight(l.size)));
    return { kind, x: legend.x + PAD_X, y: top + 3, width: SWATCH_WIDTH, height: lineHeight(FONT_SIZE.body) - 6 };
  });
  const bandBottom = Math.max(bottom(controlPlane), bottom(services), bottom(legend));

  // Region trunks: one lane per (column, row) in the gutter right of the column.
  const gridX = MARGIN + Math.round((contentWidth - gridWidth) / 2);
  const columnX = range(columnCount).map((c) => gridX + sum(columnWidths.slice(0, c)) + c * gutterWidth);
  const lanes = regionSpecs.map((_, i) => {
    const column = i % columnCount;
    const row = Math.floor(i / columnCount);
    return columnX[column] + columnWidths[column] + LANE_START + row * LANE_GAP;
  });
  const { entries, levels, levelCount } = busRoutes(lanes, controlPlane);
  const busTop = bandBottom + 16;
  const gridTop = busTop + (levelCount - 1) * BUS_STEP + 20;
  const rowY = range(rowCount).map((r) => gridTop + sum(rowHeights.slice(0, r)) + r * ROW_GAP);

  const regions: RegionLayout[] = regionSpecs.map((spec, i) => {
    const column = i % columnCount;
    const row = Math.floor(i / columnCount);
    const regionBox = box(
      'region',
      columnX[column],
      rowY[row],
      columnWidths[column],
      rowHeights[row],
      spec.regionLines,
    );
    const groupX = regionBox.x + REGION_PAD;
    const groupWidth = regionBox.width - REGION_PAD - labelAreaWidth;
    const laneX = lanes[i];
    const levelY = busTop + levels[i] * BUS_STEP;
    let y = regionBox.y + linesHeight(spec.regionLines);
    const runtimes = spec.groups.map((g, gi) => {
      const groupBox = box('runtime', groupX, y, groupWidth, spec.groupHeights[gi], g.lines);
      y += groupBox.height + GROUP_GAP;
      let dpY = groupBox.y + linesHeight(g.lines);
      const dataPlanes = g.dataPlanes.map(({ dp, lines }) => {
        const dpBox = box('data-plane', groupX + GROUP_PAD, dpY, groupWidth - 2 * GROUP_PAD, linesHeight(lines), lines);
        dpY += dpBox.height + DP_GAP;
        const stubY = dpBox.y + Math.round(dpBox.height / 2);
        const points = dedupe([
          [right(dpBox), stubY],
          [laneX, stubY],
          [laneX, levelY],
          [entries[i], levelY],
          [entries[i], bottom(controlPlane)],
        ]);
        const label: GraphLabel = {
          text: edgeText,
          size: FONT_SIZE.small,
          x: right(groupBox) + LABEL_PAD,
          y: stubY - 4 - FONT_SIZE.small,
          width: textWidth(edgeText, FONT_SIZE.small),
          height: FONT_SIZE.small + 3,
          baseline: stubY - 4,
        };
        return { name: dp.name, region: spec.region, runtime: dp.runtime, box: dpBox, connector: { points, label } };
      });
      return { runtime: g.runtime, box: groupBox, dataPlanes };
    });
    return { region: spec.region, box: regionBox, runtimes };
  });

  const gridBottom = regionSpecs.length === 0 ? busTop : rowY[rowCount - 1] + rowHeights[rowCount - 1];
  return {
    width,
    height: Math.max(gridBottom, bandBottom) + MARGIN,
    title,
    controlPlane,
    services,
    legend,
    legendSwatches,
    regions,
    dataPlanes: regions.flatMap((r) => r.runtimes.flatMap((g) => g.dataPlanes)),
  };
}

/** The fleet's topology as a self-contained SVG 1.1 document (no fonts, scripts or images to fetch). */
export function renderFleetSvg(model: FleetModel): string {
  const layout = layoutFleet(model);
  const { width, height } = layout;
  const c = GRAPH_COLOURS;
  const out: string[] = [];
  out.push('<?xml version="1.0" encoding="UTF-8"?>');
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="${xml(GRAPH_FONT_FAMILY)}">`,
  );
  out.push(`<title>${xml(`Kong fleet ${model.name}: hybrid-mode topology`)}</title>`);
  out.push(`<desc>${xml(describeFleet(model))}</desc>`);
  out.push('<defs>');
  out.push(
    '<marker id="arrowhead" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" ' +
      `markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="${c.connector}"/></marker>`,
  );
  out.push('</defs>');
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="${c.background}"/>`);
  out.push(
    `<text x="${layout.title.x}" y="${layout.title.baseline}" font-size="${layout.title.size}" ` +
      `font-weight="bold" fill="${c.text}">${xml(layout.title.text)}</text>`,
  );

  out.push('<g class="regions">');
  for (const region of layout.regions) {
    out.push(renderBox(region.box, c.region, 'region', '6 4'));
    for (const group of region.runtimes) out.push(renderBox(group.box, c.runtime, `runtime ${group.runtime}`));
  }
  out.push('</g>');

  // Connectors under the DP boxes, so stubs start cleanly at the box edge.
  out.push(`<g class="connectors" fill="none" stroke="${c.connector}" stroke-width="1.5">`);
  for (const dp of layout.dataPlanes) {
    const points = dp.connector.points.map(([x, y]) => `${x},${y}`).join(' ');
    out.push(`<polyline points="${points}" marker-end="url(#arrowhead)"/>`);
  }
  out.push('</g>');
  out.push(`<g class="junctions" fill="${c.connector}">`);
  for (const dp of layout.dataPlanes) {
    const [x, y] = dp.connector.points[1];
    out.push(`<circle cx="${x}" cy="${y}" r="2.5"/>`);
  }
  out.push('</g>');

  out.push('<g class="data-planes">');
  for (const dp of layout.dataPlanes) {
    out.push(renderBox(dp.box, c.dataPlane[dp.runtime], `data-plane ${dp.runtime}`));
  }
  out.push('</g>');
  out.push(`<g class="connector-labels" font-size="${FONT_SIZE.small}" fill="${c.mutedText}">`);
  for (const dp of layout.dataPlanes) {
    const l = dp.connector.label;
    out.push(`<text x="${l.x}" y="${l.baseline}">${xml(l.text)}</text>`);
  }
  out.push('</g>');

  out.push(renderBox(layout.controlPlane, c.controlPlane, 'control-plane'));
  out.push(renderBox(layout.services, c.services, 'services'));
  out.push(renderBox(layout.legend, c.legend, 'legend', undefined, renderSwatches(layout.legendSwatches)));
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The fleet's topology as a Mermaid `flowchart LR`: one subgraph per region, one per runtime in it. */
export function renderFleetMermaid(model: FleetModel): string {
  const ids = new MermaidIds();
  const out: string[] = ['flowchart LR'];
  const cpId = ids.take('cp', 'control_plane');
  out.push(`  ${cpId}["${mermaidLines(controlPlaneLines(model).map((l) => l.text))}"]`);
  const services = enabledServices(model);
  const servicesId = ids.take('svc', 'shared_services');
  out.push(`  ${servicesId}["${mermaidLines(['Shared services', ...(services.length ? services : ['none'])])}"]`);

  const edges: string[] = [];
  const classes: Record<DataPlaneRuntime, string[]> = { eks: [], ecs: [], ec2: [], kubernetes: [] };
  for (const { region, runtimes } of groupDataPlanes(model)) {
    const regionId = ids.take('region', region);
    out.push(`  subgraph ${regionId}["${mermaidText(region)}"]`);
    for (const { runtime, dataPlanes } of runtimes) {
      out.push(`    subgraph ${ids.take('region', `${region}_${runtime}`)}["${mermaidText(RUNTIME_TITLE[runtime])}"]`);
      for (const dp of dataPlanes) {
        const dpId = ids.take('dp', dp.name);
        out.push(`      ${dpId}["${mermaidLines(dataPlaneLines(model, dp).map((l) => l.text))}"]`);
        edges.push(`  ${dpId} -->|"${mermaidText(`mTLS ${model.certificates.mode}`)}"| ${cpId}`);
        classes[dp.runtime].push(dpId);
      }
      out.push('    end');
    }
    out.push('  end');
  }
  out.push(...edges);

  const c = GRAPH_COLOURS;
  out.push(`  classDef controlPlane fill:${c.controlPlane.fill},stroke:${c.controlPlane.stroke}`);
  out.push(`  classDef services fill:${c.services.fill},stroke:${c.services.stroke}`);
  out.push(`  class ${cpId} controlPlane`);
  out.push(`  class ${servicesId} services`);
  for (const runtime of RUNTIME_ORDER) {
    if (classes[runtime].length === 0) continue;
    const { fill, stroke } = c.dataPlane[runtime];
    out.push(`  classDef ${runtime} fill:${fill},stroke:${stroke}`);
    out.push(`  class ${classes[runtime].join(',')} ${runtime}`);
  }
  return out.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Content

/** Data planes by region (the CP's region first, then by name), then by runtime (RUNTIME_ORDER). */
function groupDataPlanes(
  model: FleetModel,
): { region: string; runtimes: { runtime: DataPlaneRuntime; dataPlanes: DataPlaneModel[] }[] }[] {
  const regions = [...new Set(model.dataPlanes.map((dp) => dp.region))].sort((a, b) => {
    const cpRegion = model.controlPlane.region;
    if (a === cpRegion || b === cpRegion) return a === cpRegion ? -1 : 1;
    return compare(a, b);
  });
  return regions.map((region) => ({
    region,
    runtimes: RUNTIME_ORDER.map((runtime) => ({
      runtime,
      dataPlanes: model.dataPlanes.filter((dp) => dp.region === region && dp.runtime === runtime),
    })).filter((g) => g.dataPlanes.length > 0),
  }));
}

function controlPlaneLines(model: FleetModel): GraphTextLine[] {
  const cp = model.controlPlane;
  const endpoints = controlPlaneEndpoints(model);
  const lines = [
    line(cp.runtime === 'konnect' ? 'Control plane (Konnect)' : 'Control plane', FONT_SIZE.heading, true),
    line(`runtime: ${cp.runtime} · Kong ${model.kong.version}`, FONT_SIZE.body),
    line(`region: ${cp.region}${cp.account ? ` · account ${cp.account}` : ''}`, FONT_SIZE.body),
  ];
  if (cp.runtime === 'konnect' && cp.konnect) {
    lines.push(line(`Konnect region: ${cp.konnect.apiRegion}`, FONT_SIZE.body));
  } else {
    const unit = cp.runtime === 'ec2' ? 'instances' : 'replicas';
    lines.push(line(`${unit}: ${cp.replicas}`, FONT_SIZE.body));
  }
  lines.push(line(`cluster: ${endpoints.cluster ?? '(not set)'}`, FONT_SIZE.body));
  lines.push(line(`telemetry: ${endpoints.telemetry ?? '(not set)'}`, FONT_SIZE.body));
  if (cp.endpoints) {
    const access = cp.endpoints.internetFacing ? 'internet-facing' : 'internal';
    const cidrs = cp.endpoints.allowedCidrs?.length;
    lines.push(line(`NLB: ${access}${cidrs ? ` · ${plural(cidrs, 'allowed CIDR')}` : ''}`, FONT_SIZE.body));
  }
  if (cp.database) {
    const db = cp.database;
    lines.push(line(`database: ${db.instanceType}${db.multiAz ? ' · multi-AZ' : ''}`, FONT_SIZE.body));
  }
  lines.push(line(`trust mode: ${model.certificates.mode}`, FONT_SIZE.body, true));
  return lines;
}

function dataPlaneLines(model: FleetModel, dp: DataPlaneModel): GraphTextLine[] {
  const { min, max } = dp.replicas;
  const lines = [
    line(dp.name, FONT_SIZE.heading, true),
    line(`Kong ${dp.version}`, FONT_SIZE.body),
    line(`${REPLICA_UNIT[dp.runtime]}: ${min === max ? `${min}` : `${min}–${max}`}`, FONT_SIZE.body),
  ];
  if (dp.cluster !== undefined) {
    const sharing = model.dataPlanes.filter((o) => o.region === dp.region && o.cluster === dp.cluster).length;
    lines.push(line(`EKS cluster: ${dp.cluster}${sharing > 1 ? ` (shared by ${sharing})` : ''}`, FONT_SIZE.body));
  }
  if (dp.account !== undefined) lines.push(line(`account: ${dp.account}`, FONT_SIZE.body));
  for (const key of Object.keys(dp.labels ?? {}).sort(compare)) {
    lines.push(line(`label ${key}=${dp.labels![key]}`, FONT_SIZE.small));
  }
  return lines;
}

function enabledServices(model: FleetModel): string[] {
  return SERVICE_TITLES.filter(([key]) => model.sharedServices[key]).map(([, title]) => title);
}

function legendEntries(
  model: FleetModel,
  runtimes: readonly DataPlaneRuntime[],
): { lines: GraphTextLine[]; swatches: { kind: LegendSwatch['kind']; lineIndex: number }[] } {
  const ports =
    model.controlPlane.runtime === 'konnect'
      ? [KONNECT_PORT, KONNECT_PORT]
      : [KONG_PORTS.cluster, KONG_PORTS.clusterTelemetry];
  const entries: [LegendSwatch['kind'] | undefined, string][] = [
    ['control-plane', 'control plane'],
    ...RUNTIME_ORDER.filter((r) => runtimes.includes(r)).map((r): [DataPlaneRuntime, string] => [
      r,
      `data plane on ${RUNTIME_TITLE[r]}`,
    ]),
    ['region', 'AWS region'],
    ['runtime', 'runtime group'],
    ['connector', 'data plane → control plane'],
    [undefined, `cluster :${ports[0]}, telemetry :${ports[1]}`],
    [undefined, `mutual TLS, cluster_mtls = ${model.certificates.mode}`],
  ];
  const lines = [line('Legend', FONT_SIZE.heading, true)];
  const swatches: { kind: LegendSwatch['kind']; lineIndex: number }[] = [];
  for (const [kind, text] of entries) {
    if (kind) swatches.push({ kind, lineIndex: lines.length });
    lines.push(line(text, FONT_SIZE.body, false, SWATCH_INDENT));
  }
  return { lines, swatches };
}

/** One sentence per part, for the SVG's <desc> (screen readers, search). */
function describeFleet(model: FleetModel): string {
  const cp = model.controlPlane;
  const endpoints = controlPlaneEndpoints(model);
  const parts = [
    `Kong Gateway ${model.kong.version} fleet ${model.name} in hybrid mode.`,
    `Control plane on ${cp.runtime} in ${cp.region}` +
      (endpoints.cluster ? `, cluster endpoint ${endpoints.cluster}, telemetry endpoint ${endpoints.telemetry}` : '') +
      `, trust mode ${model.certificates.mode}.`,
  ];
  for (const { region, runtimes } of groupDataPlanes(model)) {
    const list = runtimes.flatMap((g) => g.dataPlanes.map((dp) => `${dp.name} (${dp.runtime}, Kong ${dp.version})`));
    parts.push(`${region}: ${list.join(', ')}.`);
  }
  parts.push(`Every data plane connects to the control plane with mutual TLS (${model.certificates.mode}).`);
  const services = enabledServices(model);
  parts.push(`Shared services: ${services.length ? services.join(', ') : 'none'}.`);
  return parts.join(' ');
}

// ---------------------------------------------------------------------------------------------
// Routing

/**
 * Where each trunk enters the CP (evenly spread along its bottom edge, in lane order) and at which
 * bus level (0 = nearest the CP) it runs there. Trunks left of their entry take higher levels the
 * further left they are, trunks right of it mirror that; so no horizontal run crosses a vertical.
 */
function busRoutes(
  lanes: readonly number[],
  cp: GraphRect,
): { entries: number[]; levels: number[]; levelCount: number } {
  const order = range(lanes.length).sort((a, b) => lanes[a] - lanes[b] || a - b);
  const entries: number[] = new Array(lanes.length).fill(0);
  order.forEach((trunk, k) => {
    entries[trunk] = cp.x + Math.round(((k + 1) * cp.width) / (lanes.length + 1));
  });
  const levels: number[] = new Array(lanes.length).fill(0);
  const leftward = order.filter((t) => lanes[t] < entries[t]);
  const rightward = order.filter((t) => lanes[t] > entries[t]).reverse();
  leftward.forEach((t, level) => (levels[t] = level));
  rightward.forEach((t, level) => (levels[t] = level));
  return { entries, levels, levelCount: Math.max(1, leftward.length, rightward.length) };
}

function dedupe(points: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
  }
  // Drop middle points of straight runs (a trunk right under its entry).
  return out.filter((p, i) => {
    if (i === 0 || i === out.length - 1) return true;
    const [a, b] = [out[i - 1], out[i + 1]];
    return !((a[0] === p[0] && p[0] === b[0]) || (a[1] === p[1] && p[1] === b[1]));
  });
}

// ---------------------------------------------------------------------------------------------
// SVG

function renderBox(
  b: GraphBox,
  colours: { fill: string; stroke: string },
  className: string,
  dash?: string,
  extra = '',
): string {
  const rect =
    `<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" rx="4" ry="4" ` +
    `fill="${colours.fill}" stroke="${colours.stroke}" stroke-width="1"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
  const texts: string[] = [];
  let top = b.y + PAD_Y;
  for (const l of b.lines) {
    const fill = l.bold ? GRAPH_COLOURS.text : GRAPH_COLOURS.mutedText;
    texts.push(
      `<text x="${b.x + PAD_X + l.indent}" y="${top + l.size}" font-size="${l.size}"` +
        `${l.bold ? ' font-weight="bold"' : ''} fill="${fill}">${xml(l.text)}</text>`,
    );
    top += lineHeight(l.size);
  }
  return `<g class="box ${className}">${rect}${extra}${texts.join('')}</g>`;
}

function renderSwatches(swatches: readonly LegendSwatch[]): string {
  const c = GRAPH_COLOURS;
  return swatches
    .map((s) => {
      if (s.kind === 'connector') {
        const y = s.y + Math.round(s.height / 2);
        return (
          `<line x1="${s.x}" y1="${y}" x2="${s.x + s.width}" y2="${y}" stroke="${c.connector}" ` +
          `stroke-width="1.5" marker-end="url(#arrowhead)"/>`
        );
      }
      const colours =
        s.kind === 'control-plane'
          ? c.controlPlane
          : s.kind === 'region'
            ? c.region
            : s.kind === 'runtime'
              ? c.runtime
              : c.dataPlane[s.kind];
      const dash = s.kind === 'region' ? ' stroke-dasharray="3 2"' : '';
      return (
        `<rect x="${s.x}" y="${s.y}" width="${s.width}" height="${s.height}" rx="2" ry="2" ` +
        `fill="${colours.fill}" stroke="${colours.stroke}" stroke-width="1"${dash}/>`
      );
    })
    .join('');
}

/** Text for XML content and attribute values; characters XML 1.0 forbids become U+FFFD. */
function xml(text: string): string {
  return text
    .replace(
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      '\ufffd',
    )
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

// ---------------------------------------------------------------------------------------------
// Mermaid

/**
 * Text inside a quoted Mermaid label: characters with a meaning there (quote, entity start, HTML
 * and markdown delimiters) become Mermaid's `#<decimal>;` entity codes; control characters a space.
 */
function mermaidText(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/["#&<>`|\\]/g, (ch) => `#${ch.charCodeAt(0)};`);
}

function mermaidLines(lines: readonly string[]): string {
  return lines.map(mermaidText).join('<br/>');
}

/** Node and subgraph ids: `[A-Za-z0-9_]`, prefixed (never a keyword such as `end`), unique. */
class MermaidIds {
  private readonly used = new Set<string>();

  take(prefix: string, name: string): string {
    const base = `${prefix}_${name.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '') || 'x'}`;
    let id = base;
    for (let n = 2; this.used.has(id); n++) id = `${base}_${n}`;
    this.used.add(id);
    return id;
  }
}

// ---------------------------------------------------------------------------------------------
// Measures

function line(text: string, size: number, bold = false, indent = 0): GraphTextLine {
  return { text, size, bold, indent };
}

/** Columns a monospace font gives `text`: East Asian wide characters and emoji take two. */
function displayColumns(text: string): number {
  let columns = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) ||
      (cp >= 0x2e80 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) ||
      (cp >= 0xf900 && cp <= 0xfaff) ||
      (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) ||
      (cp >= 0xffe0 && cp <= 0xffe6) ||
      (cp >= 0x1f300 && cp <= 0x1faff) ||
      cp >= 0x20000;
    columns += wide ? 2 : 1;
  }
  return columns;
}

function textWidth(text: string, size: number): number {
  return Math.ceil(displayColumns(text) * size * GRAPH_CHAR_WIDTH_EM);
}

function lineHeight(size: number): number {
  return Math.round(size * 1.4);
}

function linesWidth(lines: readonly GraphTextLine[]): number {
  return Math.max(0, ...lines.map((l) => l.indent + textWidth(l.text, l.size))) + 2 * PAD_X;
}

function linesHeight(lines: readonly GraphTextLine[]): number {
  return sum(lines.map((l) => lineHeight(l.size))) + 2 * PAD_Y;
}

function box(
  kind: GraphBoxKind,
  x: number,
  y: number,
  width: number,
  height: number,
  lines: readonly GraphTextLine[],
): GraphBox {
  return { kind, x, y, width, height, lines };
}

function right(r: GraphRect): number {
  return r.x + r.width;
}

function bottom(r: GraphRect): number {
  return r.y + r.height;
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** Locale-independent string order (determinism across machines). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
