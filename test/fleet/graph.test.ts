import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pathToFileURL } from 'url';
import * as zlib from 'zlib';
import * as fc from 'fast-check';
import {
  FleetLayout,
  GRAPH_COLOURS,
  GraphRect,
  layoutFleet,
  renderFleetMermaid,
  renderFleetSvg,
} from '../../src/fleet/graph';
import type { DataPlaneModel, DataPlaneRuntime, FleetModel } from '../../src/fleet/model';

// ---------------------------------------------------------------------------------------------
// Fixtures

function dataPlane(
  name: string,
  runtime: DataPlaneRuntime,
  region: string,
  extra: Partial<DataPlaneModel> = {},
): DataPlaneModel {
  return {
    name,
    runtime,
    region,
    version: '3.10.0.3',
    replicas: { min: 2, max: 6 },
    network: 'shared',
    proxy: { internetFacing: true },
    ...extra,
  };
}

function fleet(dataPlanes: DataPlaneModel[], overrides: Partial<FleetModel> = {}): FleetModel {
  return {
    name: 'acme',
    kong: { version: '3.10.0.3', licenseSecret: 'kong/license' },
    controlPlane: {
      runtime: 'eks',
      region: 'us-east-1',
      endpoints: {
        hostedZone: 'kong.example.com',
        cluster: 'cluster.kong.example.com',
        telemetry: 'telemetry.kong.example.com',
        internetFacing: true,
      },
      database: { instanceType: 'db.t4g.medium', multiAz: true, deletionProtection: true, iamAuthentication: false },
      replicas: 2,
    },
    certificates: { mode: 'pki' },
    dataPlanes,
    sharedServices: { redis: { regions: ['us-east-1'] }, opensearch: { regions: ['us-east-1'] } },
    ...overrides,
  };
}

const SMALL = fleet([
  dataPlane('edge-eks', 'eks', 'us-east-1', { cluster: 'east-shared' }),
  dataPlane('edge-ecs', 'ecs', 'us-east-1', { replicas: { min: 1, max: 1 }, architecture: 'arm64' }),
  dataPlane('edge-k8s', 'kubernetes', 'eu-west-1', { namespace: 'kong-edge-k8s', version: '3.9.1.2' }),
]);

const LARGE_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'ap-southeast-2', 'sa-east-1'];
const LARGE_RUNTIMES: DataPlaneRuntime[] = ['eks', 'ecs', 'ec2', 'kubernetes'];

/** 24 DPs over 6 regions (7, 5, 4, 3, 3, 2), every runtime, shared EKS clusters, mixed versions. */
const LARGE = fleet(
  [7, 5, 4, 3, 3, 2].flatMap((count, r) =>
    Array.from({ length: count }, (_, i) => {
      const region = LARGE_REGIONS[r];
      const runtime = LARGE_RUNTIMES[(r + i) % 4];
      return dataPlane(`${region.replace(/-\d$/, '')}-${runtime}-${i + 1}`, runtime, region, {
        version: i % 3 === 0 ? '3.9.1.2' : '3.10.0.3',
        replicas: { min: i + 1, max: 3 * (i + 1) },
        ...(runtime === 'eks' ? { cluster: `${region}-shared` } : {}),
        ...(runtime === 'ec2' ? { instanceType: 'c7g.large', architecture: 'arm64' as const } : {}),
      });
    }),
  ),
  {
    name: 'global-edge',
    certificates: { mode: 'shared' },
    sharedServices: {
      redis: { regions: ['us-east-1'] },
      cognito: { regions: ['us-east-1'] },
      opensearch: { regions: ['us-east-1'] },
      prometheus: { regions: ['us-east-1'], grafana: false },
    },
  },
);

const NASTY = `x<&>"'y`;

// ---------------------------------------------------------------------------------------------
// A small, strict XML 1.0 well-formedness checker (no DTDs), returning a tree to query.

interface XmlElement {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly children: (XmlElement | string)[];
}

const NAME = '[A-Za-z_:][-A-Za-z0-9_.:]*';

function decodeEntities(raw: string, where: number): string {
  if (/&(?!(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/.test(raw)) {
    throw new Error(`XML: bare '&' near offset ${where}`);
  }
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  return raw.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (_, e: string) =>
    e.startsWith('#x')
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(parseInt(e.slice(1), 10))
        : named[e],
  );
}

function parseXml(src: string): XmlElement {
  let i = src.startsWith('\ufeff') ? 1 : 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (msg: string): never => {
    throw new Error(`XML: ${msg} at offset ${i}: ${JSON.stringify(src.slice(i, i + 60))}`);
  };
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(src)) fail('control character');
  while (i < src.length) {
    if (src.startsWith('<!--', i)) {
      const end = src.indexOf('-->', i + 4);
      if (end < 0 || src.slice(i + 4, end).includes('--')) fail('bad comment');
      i = end + 3;
    } else if (src.startsWith('<?', i)) {
      const end = src.indexOf('?>', i);
      if (end < 0) fail('unterminated processing instruction');
      if (src.startsWith('<?xml ', i) && i > 0) fail('XML declaration not at the start');
      i = end + 2;
    } else if (src.startsWith('<![CDATA[', i)) {
      const end = src.indexOf(']]>', i);
      if (end < 0 || stack.length === 0) fail('bad CDATA');
      stack[stack.length - 1].children.push(src.slice(i + 9, end));
      i = end + 3;
    } else if (src.startsWith('<!', i)) {
      fail('DTDs and declarations are not allowed');
    } else if (src.startsWith('</', i)) {
      const m = new RegExp(`^</(${NAME})\\s*>`).exec(src.slice(i));
      if (!m) fail('bad end tag');
      const open = stack.pop();
      if (!open || open.name !== m![1]) fail(`end tag </${m![1]}> does not match <${open?.name}>`);
      i += m![0].length;
    } else if (src[i] === '<') {
      const m = new RegExp(`^<(${NAME})`).exec(src.slice(i));
      if (!m) fail('bad start tag');
      i += m![0].length;
      const attributes: Record<string, string> = {};
      for (;;) {
        const a = new RegExp(`^\\s+(${NAME})\\s*=\\s*(?:"([^"<]*)"|'([^'<]*)')`).exec(src.slice(i));
        if (!a) break;
        if (a[1] in attributes) fail(`duplicate attribute ${a[1]}`);
        attributes[a[1]] = decodeEntities(a[2] ?? a[3], i);
        i += a[0].length;
      }
      const close = /^\s*(\/?)>/.exec(src.slice(i));
      if (!close) fail('malformed attributes');
      i += close![0].length;
      const element: XmlElement = { name: m![1], attributes, children: [] };
      if (stack.length > 0) stack[stack.length - 1].children.push(element);
      else if (root) fail('a second root element');
      else root = element;
      if (close![1] !== '/') stack.push(element);
    } else {
      const end = src.indexOf('<', i) < 0 ? src.length : src.indexOf('<', i);
      const raw = src.slice(i, end);
      if (raw.includes(']]>')) fail("']]>' in text");
      if (stack.length === 0) {
        if (raw.trim() !== '') fail('text outside the root element');
      } else {
        stack[stack.length - 1].children.push(decodeEntities(raw, i));
      }
      i = end;
    }
  }
  if (stack.length > 0) fail(`unclosed <${stack[stack.length - 1].name}>`);
  if (!root) fail('no root element');
  return root!;
}

function elements(root: XmlElement): XmlElement[] {
  return [root, ...root.children.flatMap((c) => (typeof c === 'string' ? [] : elements(c)))];
}

function textOf(e: XmlElement): string {
  return e.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

function svgTexts(svg: string): string[] {
  return elements(parseXml(svg))
    .filter((e) => e.name === 'text')
    .map(textOf);
}

// ---------------------------------------------------------------------------------------------
// Geometry helpers

function disjoint(a: GraphRect, b: GraphRect): boolean {
  return a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
}

function contains(outer: GraphRect, inner: GraphRect): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

type Point = readonly [number, number];
type Segment = readonly [Point, Point];

function segments(points: readonly Point[]): Segment[] {
  return points.slice(1).map((p, i) => [points[i], p] as const);
}

/** True when the segment passes through the rectangle's interior (touching an edge is not). */
function crossesInterior([[x1, y1], [x2, y2]]: Segment, r: GraphRect): boolean {
  const [minX, maxX, minY, maxY] = [Math.min(x1, x2), Math.max(x1, x2), Math.min(y1, y2), Math.max(y1, y2)];
  if (minY === maxY) return r.y < minY && minY < r.y + r.height && Math.max(minX, r.x) < Math.min(maxX, r.x + r.width);
  return r.x < minX && minX < r.x + r.width && Math.max(minY, r.y) < Math.min(maxY, r.y + r.height);
}

/** A horizontal and a vertical segment crossing at a point inside both (not at an end). */
function crosses(a: Segment, b: Segment): boolean {
  const horizontal = (s: Segment) => s[0][1] === s[1][1];
  if (horizontal(a) === horizontal(b)) return false;
  const [h, v] = horizontal(a) ? [a, b] : [b, a];
  const [hx1, hx2] = [Math.min(h[0][0], h[1][0]), Math.max(h[0][0], h[1][0])];
  const [vy1, vy2] = [Math.min(v[0][1], v[1][1]), Math.max(v[0][1], v[1][1])];
  return hx1 < v[0][0] && v[0][0] < hx2 && vy1 < h[0][1] && h[0][1] < vy2;
}

/** Two collinear segments sharing a stretch of positive length. */
function overlaps(a: Segment, b: Segment): boolean {
  const horizontal = (s: Segment) => s[0][1] === s[1][1];
  if (horizontal(a) !== horizontal(b)) return false;
  const [axis, other] = horizontal(a) ? [0, 1] : [1, 0];
  if (a[0][other] !== b[0][other]) return false;
  const [a1, a2] = [Math.min(a[0][axis], a[1][axis]), Math.max(a[0][axis], a[1][axis])];
  const [b1, b2] = [Math.min(b[0][axis], b[1][axis]), Math.max(b[0][axis], b[1][axis])];
  return Math.max(a1, b1) < Math.min(a2, b2);
}

function allBoxes(layout: FleetLayout): GraphRect[] {
  return [
    layout.title,
    layout.controlPlane,
    layout.services,
    layout.legend,
    ...layout.regions.flatMap((r) => [r.box, ...r.runtimes.flatMap((g) => [g.box, ...g.dataPlanes.map((d) => d.box)])]),
    ...layout.dataPlanes.map((d) => d.connector.label),
  ];
}

// ---------------------------------------------------------------------------------------------
// SVG

describe('renderFleetSvg', () => {
  test.each([
    ['small', SMALL],
    ['large', LARGE],
  ])('the %s fleet is a well-formed, self-contained SVG 1.1 document', (_, model) => {
    // GIVEN / WHEN
    const svg = renderFleetSvg(model);
    const layout = layoutFleet(model);
    const root = parseXml(svg);

    // THEN
    expect(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg ')).toBe(true);
    expect(root.name).toBe('svg');
    expect(root.attributes).toMatchObject({
      xmlns: 'http://www.w3.org/2000/svg',
      version: '1.1',
      width: String(layout.width),
      height: String(layout.height),
      viewBox: `0 0 ${layout.width} ${layout.height}`,
    });
    const firstElements = root.children.filter((c): c is XmlElement => typeof c !== 'string').slice(0, 2);
    expect(firstElements.map((e) => e.name)).toEqual(['title', 'desc']);
    expect(textOf(firstElements[0])).toContain(model.name);
    expect(textOf(firstElements[1])).toContain('trust mode');

    const all = elements(root);
    // Nothing to fetch or run: no scripts, images, foreign content, links, style sheets.
    const allowed = [
      'svg',
      'title',
      'desc',
      'defs',
      'marker',
      'path',
      'rect',
      'g',
      'text',
      'polyline',
      'line',
      'circle',
    ];
    expect(all.map((e) => e.name).filter((n) => !allowed.includes(n))).toEqual([]);
    for (const e of all) {
      for (const [name, value] of Object.entries(e.attributes)) {
        expect(name).not.toMatch(/^(on|href|xlink:)/);
        if (value.includes('url(')) expect(value).toMatch(/^url\(#[\w-]+\)$/);
      }
    }
    // Every rectangle is inside the viewBox.
    for (const rect of all.filter((e) => e.name === 'rect')) {
      const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((a) => Number(rect.attributes[a]));
      expect(x >= 0 && y >= 0 && x + w <= layout.width && y + h <= layout.height).toBe(true);
    }
  });

  test('shows every DP, region, the CP endpoints, the trust mode and the shared services as text', () => {
    // GIVEN
    const texts = svgTexts(renderFleetSvg(LARGE));
    const joined = texts.join('\n');

    // THEN
    for (const dp of LARGE.dataPlanes) {
      expect(texts.filter((t) => t === dp.name)).toHaveLength(1);
      if (dp.cluster) expect(joined).toContain(`EKS cluster: ${dp.cluster}`);
    }
    for (const region of LARGE_REGIONS) expect(texts).toContain(region);
    expect(joined).toContain('cluster: cluster.kong.example.com:8005');
    expect(joined).toContain('telemetry: telemetry.kong.example.com:8006');
    expect(joined).toContain('trust mode: shared');
    expect(joined).toContain('runtime: eks');
    expect(texts.filter((t) => t === 'mTLS shared')).toHaveLength(LARGE.dataPlanes.length);
    for (const s of ['Redis', 'Cognito', 'OpenSearch (logs)', 'Prometheus (metrics)']) expect(texts).toContain(s);
    // Replicas min–max with the runtime's unit.
    expect(texts).toContain('tasks: 2–6');
    expect(texts).toContain('instances: 1–3');
  });

  test('the small fleet shows versions, replicas, the shared EKS cluster and pki', () => {
    const texts = svgTexts(renderFleetSvg(SMALL));
    expect(texts).toEqual(expect.arrayContaining(['edge-eks', 'edge-ecs', 'edge-k8s', 'us-east-1', 'eu-west-1']));
    expect(texts).toEqual(expect.arrayContaining(['Kong 3.9.1.2', 'tasks: 1', 'replicas: 2–6']));
    expect(texts).toContain('EKS cluster: east-shared');
    expect(texts).toContain('trust mode: pki');
    expect(texts.filter((t) => t === 'mTLS pki')).toHaveLength(3);
    expect(texts).toContain('Redis');
    expect(texts).not.toContain('Cognito');
  });

  test('a Konnect control plane shows its endpoints on 443', () => {
    const model = fleet([dataPlane('edge', 'ecs', 'eu-central-1')], {
      controlPlane: {
        runtime: 'konnect',
        region: 'eu-central-1',
        replicas: 0,
        konnect: {
          controlPlaneId: '5f0c7a4e-0000-4000-8000-000000000000',
          apiRegion: 'eu',
          clusterEndpoint: 'abc123.eu.cp.konghq.com',
          telemetryEndpoint: 'abc123.eu.tp.konghq.com',
          tokenSecret: 'kong/konnect-token',
        },
      },
    });
    const texts = svgTexts(renderFleetSvg(model));
    expect(texts).toEqual(
      expect.arrayContaining([
        'Control plane (Konnect)',
        'cluster: abc123.eu.cp.konghq.com:443',
        'telemetry: abc123.eu.tp.konghq.com:443',
      ]),
    );
  });

  test('is deterministic', () => {
    expect(renderFleetSvg(LARGE)).toBe(renderFleetSvg(LARGE));
    expect(renderFleetSvg(JSON.parse(JSON.stringify(LARGE)))).toBe(renderFleetSvg(LARGE));
    expect(renderFleetSvg(SMALL)).toBe(renderFleetSvg(structuredClone(SMALL)));
  });

  test('a fleet without data planes still renders', () => {
    const texts = svgTexts(renderFleetSvg(fleet([])));
    expect(texts).toContain('Control plane');
  });
});

/**
 * Everything wrong with a fleet's layout, as readable lines (empty = fine): every DP exactly once
 * and nested in its own runtime group and region; no overlaps; everything inside the viewBox;
 * boxes big enough for their text; one orthogonal connector per DP from its right edge to the
 * CP's bottom edge that crosses no box and no other connector and shares no line with another
 * region's; mTLS labels inside their region and clear of every box.
 */
function layoutProblems(model: FleetModel): string[] {
  const layout = layoutFleet(model);
  const problems: string[] = [];
  const check = (ok: boolean, what: string) => {
    if (!ok) problems.push(what);
  };
  const show = (r: GraphRect) => `[${r.x},${r.y} ${r.width}x${r.height}]`;
  const viewBox = { x: 0, y: 0, width: layout.width, height: layout.height };
  const cp = layout.controlPlane;

  // Every DP exactly once, in its own region and runtime group.
  const names = (dps: readonly { name: string }[]) => dps.map((d) => d.name).sort();
  check(
    JSON.stringify(names(layout.dataPlanes)) === JSON.stringify(names(model.dataPlanes)),
    'data planes differ from the model',
  );
  for (const region of layout.regions) {
    for (const group of region.runtimes) {
      check(contains(region.box, group.box), `${region.region}/${group.runtime} group outside its region`);
      for (const dp of group.dataPlanes) {
        const m = model.dataPlanes.find((d) => d.name === dp.name);
        check(contains(group.box, dp.box), `${dp.name} outside its runtime group`);
        check(m?.region === region.region && m?.runtime === group.runtime, `${dp.name} in the wrong group`);
      }
    }
  }

  // No overlaps: DP boxes; regions, title and top band; runtime groups of a region.
  const pairwiseDisjoint = (what: string, rects: readonly GraphRect[]) =>
    rects.forEach((a, i) =>
      rects.slice(i + 1).forEach((b) => check(disjoint(a, b), `${what} overlap: ${show(a)} ${show(b)}`)),
    );
  pairwiseDisjoint(
    'data planes',
    layout.dataPlanes.map((d) => d.box),
  );
  pairwiseDisjoint('top-level boxes', [
    layout.title,
    layout.controlPlane,
    layout.services,
    layout.legend,
    ...layout.regions.map((r) => r.box),
  ]);
  for (const region of layout.regions)
    pairwiseDisjoint(
      `${region.region} groups`,
      region.runtimes.map((g) => g.box),
    );
  for (const r of allBoxes(layout)) check(contains(viewBox, r), `${show(r)} outside the viewBox`);
  for (const s of layout.legendSwatches) check(contains(layout.legend, s), `swatch ${s.kind} outside the legend`);

  // Every box is wide and tall enough for its text (0.6 em: what monospace fonts advance).
  for (const b of [
    layout.controlPlane,
    layout.services,
    layout.legend,
    ...layout.regions.flatMap((r) => [r.box, ...r.runtimes.map((g) => g.box)]),
    ...layout.dataPlanes.map((d) => d.box),
  ]) {
    for (const l of b.lines) {
      const width = l.indent + [...l.text].length * l.size * 0.6;
      check(width <= b.width - 16, `"${l.text}" wider than its ${b.kind} box`);
    }
    check(b.lines.reduce((h, l) => h + l.size * 1.3, 0) <= b.height - 12, `${b.kind} box too short for its text`);
  }

  // Connectors.
  const obstacles = [
    layout.title,
    layout.services,
    layout.legend,
    ...layout.regions.flatMap((r) => [r.box, ...r.runtimes.map((g) => g.box)]),
    ...layout.dataPlanes.flatMap((d) => [d.box, d.connector.label]),
  ];
  for (const dp of layout.dataPlanes) {
    const { points, label } = dp.connector;
    const [first, last] = [points[0], points[points.length - 1]];
    const region = layout.regions.find((r) => r.region === dp.region)!;
    const group = region.runtimes.find((g) => g.runtime === dp.runtime)!;
    check(
      first[0] === dp.box.x + dp.box.width && first[1] === dp.box.y + Math.round(dp.box.height / 2),
      `${dp.name}: connector does not start at the middle of its right edge`,
    );
    check(last[1] === cp.y + cp.height && last[0] > cp.x && last[0] < cp.x + cp.width, `${dp.name}: misses the CP`);
    for (const [x, y] of points) check(x >= 0 && x <= layout.width && y >= 0 && y <= layout.height, 'outside');
    segments(points).forEach((seg, i) => {
      check(seg[0][0] === seg[1][0] || seg[0][1] === seg[1][1], `${dp.name}: diagonal segment ${seg}`);
      check(!crossesInterior(seg, cp), `${dp.name}: segment ${seg} goes through the CP`);
      for (const r of obstacles) {
        // The stub leaves through its own group and region.
        if (i === 0 && (r === group.box || r === region.box)) continue;
        check(!crossesInterior(seg, r), `${dp.name}: segment ${seg} goes through ${show(r)}`);
      }
    });
    check(label.text === `mTLS ${model.certificates.mode}`, `${dp.name}: label ${label.text}`);
    check(contains(region.box, label), `${dp.name}: label outside its region`);
    for (const d of layout.dataPlanes) check(disjoint(d.box, label), `${dp.name}: label over ${d.name}`);
    for (const g of region.runtimes) check(disjoint(g.box, label), `${dp.name}: label over a group`);
  }
  const paths = layout.dataPlanes.map((d) => ({ dp: d, segments: segments(d.connector.points) }));
  paths.forEach((a, i) =>
    paths.forEach((b, j) => {
      if (i === j) return;
      for (const s of a.segments) {
        for (const t of b.segments) {
          check(!crosses(s, t), `${a.dp.name} crosses ${b.dp.name}: ${s} × ${t}`);
          const merged = a.dp.region === b.dp.region || !overlaps(s, t);
          check(merged, `${a.dp.name} shares a line with ${b.dp.name} of another region: ${s} = ${t}`);
        }
      }
    }),
  );
  return problems;
}

/** Fleets of 1–30 DPs over 1–10 regions, any runtimes, names, versions and trust mode. */
const arbitraryFleet = fc
  .record({
    regionCount: fc.integer({ min: 1, max: 10 }),
    dataPlanes: fc.array(
      fc.record({
        name: fc.stringMatching(/^[a-z][a-z0-9-]{0,30}[a-z0-9]$/),
        runtime: fc.constantFrom<DataPlaneRuntime>('eks', 'ecs', 'ec2', 'kubernetes'),
        region: fc.nat(),
        min: fc.integer({ min: 0, max: 50 }),
        extra: fc.integer({ min: 0, max: 50 }),
        cluster: fc.option(fc.constantFrom('a', 'shared-cluster-with-a-long-name'), { nil: undefined }),
        labels: fc.dictionary(fc.stringMatching(/^[a-z]{1,12}$/), fc.string({ maxLength: 40 }), { maxKeys: 2 }),
      }),
      { minLength: 1, maxLength: 30 },
    ),
    mode: fc.constantFrom<'shared' | 'pki'>('shared', 'pki'),
    konnect: fc.boolean(),
    services: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
  })
  .map(({ regionCount, dataPlanes, mode, konnect, services }): FleetModel => {
    const regions = ['us-east-1', 'us-west-2', 'eu-west-1', 'eu-central-1', 'eu-north-1'];
    regions.push('ap-south-1', 'ap-southeast-1', 'ap-northeast-1', 'sa-east-1', 'ca-central-1');
    const unique = dataPlanes.filter((d, i) => dataPlanes.findIndex((o) => o.name === d.name) === i);
    return fleet(
      unique.map((d) =>
        dataPlane(d.name, d.runtime, regions[d.region % regionCount], {
          replicas: { min: d.min, max: d.min + d.extra },
          ...(d.runtime === 'eks' && d.cluster ? { cluster: d.cluster } : {}),
          labels: d.labels,
        }),
      ),
      {
        certificates: { mode },
        sharedServices: {
          ...(services[0] ? { redis: { regions: ['us-east-1'] } } : {}),
          ...(services[1] ? { cognito: { regions: ['us-east-1'] } } : {}),
          ...(services[2] ? { opensearch: { regions: ['us-east-1'] } } : {}),
          ...(services[3] ? { prometheus: { regions: ['us-east-1'], grafana: false } } : {}),
        },
        ...(konnect
          ? {
              controlPlane: {
                runtime: 'konnect' as const,
                region: 'eu-west-1',
                replicas: 0,
                konnect: {
                  controlPlaneId: 'cp-1',
                  apiRegion: 'eu',
                  clusterEndpoint: 'abc.eu.cp.konghq.com',
                  telemetryEndpoint: 'abc.eu.tp.konghq.com',
                  tokenSecret: 'kong/konnect',
                },
              },
            }
          : {}),
      },
    );
  });

describe('layoutFleet', () => {
  test.each([
    ['small', SMALL],
    ['large', LARGE],
  ])('%s fleet: nothing overlaps or crosses, everything is in the viewBox, each DP has its connector', (_, model) => {
    expect(layoutProblems(model)).toEqual([]);
  });

  test('any fleet: the same holds, the SVG is well-formed XML and the Mermaid lists every DP once', () => {
    fc.assert(
      fc.property(arbitraryFleet, (model) => {
        expect(layoutProblems(model)).toEqual([]);
        const texts = svgTexts(renderFleetSvg(model));
        for (const dp of model.dataPlanes) expect(texts.filter((t) => t === dp.name)).toHaveLength(1);
        const mermaid = renderFleetMermaid(model);
        for (const dp of model.dataPlanes) {
          expect(mermaid.split('\n').filter((l) => l.includes(`"${dp.name}<br/>`))).toHaveLength(1);
        }
      }),
      { numRuns: 150, seed: 20261127 },
    );
  });

  test('the large fleet wraps regions into rows and stays readable', () => {
    const layout = layoutFleet(LARGE);
    const rows = new Set(layout.regions.map((r) => r.box.y));
    expect(rows.size).toBeGreaterThan(1);
    expect(layout.width).toBeLessThanOrEqual(2000);
    expect(layout.height).toBeLessThanOrEqual(2400);
    const sizes = allBoxesLines(layout).map((l) => l.size);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(10);
    // Regions in CP-region-first then alphabetical order.
    expect(layout.regions.map((r) => r.region)).toEqual([
      'us-east-1',
      'ap-southeast-2',
      'eu-central-1',
      'eu-west-1',
      'sa-east-1',
      'us-west-2',
    ]);
  });
});

function allBoxesLines(layout: FleetLayout) {
  return [
    layout.controlPlane,
    layout.services,
    layout.legend,
    ...layout.regions.flatMap((r) => [r.box, ...r.runtimes.flatMap((g) => [g.box, ...g.dataPlanes.map((d) => d.box)])]),
  ].flatMap((b) => b.lines);
}

// ---------------------------------------------------------------------------------------------
// Mermaid

describe('renderFleetMermaid', () => {
  test.each([
    ['small', SMALL],
    ['large', LARGE],
  ])('%s fleet: flowchart LR, one subgraph per region and runtime, every DP once', (_, model) => {
    // GIVEN
    const text = renderFleetMermaid(model);
    const lines = text.trimEnd().split('\n');

    // THEN
    expect(lines[0]).toBe('flowchart LR');
    const regions = [...new Set(model.dataPlanes.map((d) => d.region))];
    for (const region of regions) {
      expect(lines.filter((l) => l === `  subgraph region_${region.replace(/-/g, '_')}["${region}"]`)).toHaveLength(1);
    }
    const runtimeSubgraphs = new Set(model.dataPlanes.map((d) => `${d.region}/${d.runtime}`));
    expect(lines.filter((l) => /^ {4}subgraph /.test(l))).toHaveLength(runtimeSubgraphs.size);
    expect(lines.filter((l) => /^\s*subgraph /.test(l)).length).toBe(lines.filter((l) => /^\s*end$/.test(l)).length);

    for (const dp of model.dataPlanes) {
      const id = `dp_${dp.name.replace(/-/g, '_')}`;
      const definitions = lines.filter((l) => l.startsWith(`      ${id}["`));
      expect(definitions).toHaveLength(1);
      expect(definitions[0]).toContain(`["${dp.name}<br/>Kong ${dp.version}<br/>`);
      expect(lines.filter((l) => l.includes(`"${dp.name}<br/>`))).toHaveLength(1);
      expect(lines.filter((l) => l === `  ${id} -->|"mTLS ${model.certificates.mode}"| cp_control_plane`)).toHaveLength(
        1,
      );
    }
    // Node ids are plain identifiers; every line's quotes are balanced.
    for (const l of lines) {
      const id = /^\s*(?:subgraph\s+)?([^\s[]+)\[/.exec(l)?.[1];
      if (id) expect(id).toMatch(/^[A-Za-z0-9_]+$/);
      expect((l.match(/"/g) ?? []).length % 2).toBe(0);
    }
    expect(text).toContain('cluster.kong.example.com:8005');
    expect(text).toContain(`trust mode: ${model.certificates.mode}`);
  });

  test('is deterministic', () => {
    expect(renderFleetMermaid(LARGE)).toBe(renderFleetMermaid(JSON.parse(JSON.stringify(LARGE))));
  });
});

// ---------------------------------------------------------------------------------------------
// Escaping

describe('escaping', () => {
  const model = fleet(
    [
      dataPlane(`dp-${NASTY}`, 'eks', 'us-east-1', {
        cluster: `c-${NASTY}`,
        labels: { team: NASTY, inject: '</text><script>alert(1)</script>' },
      }),
      dataPlane('plain', 'ecs', 'us-east-1'),
    ],
    { name: `fleet-${NASTY}` },
  );

  test('SVG: text with <&>"\' is escaped, parses, and reads back unchanged', () => {
    const svg = renderFleetSvg(model);
    expect(svg).not.toContain(NASTY);
    expect(svg).toContain('x&lt;&amp;&gt;&quot;&apos;y');
    expect(svg).not.toMatch(/<script/i);
    const texts = svgTexts(svg);
    expect(texts).toContain(`dp-${NASTY}`);
    expect(texts).toContain(`label team=${NASTY}`);
    expect(texts).toContain(`EKS cluster: c-${NASTY}`);
    expect(texts).toContain('label inject=</text><script>alert(1)</script>');
    expect(texts.some((t) => t.includes(`fleet-${NASTY}`))).toBe(true);
    const root = parseXml(svg);
    expect(elements(root).some((e) => e.name === 'script')).toBe(false);
    expect(textOf(root.children.find((c): c is XmlElement => typeof c !== 'string' && c.name === 'title')!)).toContain(
      `fleet-${NASTY}`,
    );
  });

  test('Mermaid: the value becomes entity codes inside quoted labels; ids are sanitized', () => {
    const text = renderFleetMermaid(model);
    expect(text).not.toContain(NASTY);
    expect(text).toContain("x#60;#38;#62;#34;'y");
    expect(text).not.toMatch(/<script|<\/text/i);
    expect(text).toMatch(/^ {6}dp_dp_x_y\["dp-x#60;#38;#62;#34;'y<br\/>/m);
    for (const l of text.trimEnd().split('\n')) {
      // Outside our own `<br/>` and `-->`, no markup characters remain; quotes pair up.
      expect(l.replace(/<br\/>/g, '').replace(/-->/g, '')).not.toMatch(/[<>&]/);
      expect((l.match(/"/g) ?? []).length % 2).toBe(0);
    }
  });

  test('SVG: characters XML forbids are replaced, so the document stays well-formed', () => {
    const svg = renderFleetSvg(fleet([dataPlane('dp', 'ecs', 'us-east-1', { labels: { bell: 'a\u0007b\ud800c' } })]));
    expect(() => parseXml(svg)).not.toThrow();
    expect(svgTexts(svg)).toContain('label bell=a\ufffdb\ufffdc');
  });
});

// ---------------------------------------------------------------------------------------------
// Real browser: headless Chromium renders the large fleet's SVG.

const BROWSERS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];
const BROWSER_TIMEOUT_MS = 60_000;

function findBrowser(): string | undefined {
  const candidates = [
    ...(process.env.CHROME_BIN ? [process.env.CHROME_BIN] : []),
    ...(process.env.PATH ?? '')
      .split(path.delimiter)
      .filter(Boolean)
      .flatMap((dir) => BROWSERS.map((b) => path.join(dir, b))),
  ];
  return candidates.find((file) => {
    try {
      fs.accessSync(file, fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/** Runs the browser in its own process group and kills the whole group after the time box. */
function runBrowser(binary: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
      reject(new Error(`${binary} did not finish within ${BROWSER_TIMEOUT_MS / 1000} s:\n${stderr.slice(-2000)}`));
    }, BROWSER_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function browserArgs(profile: string): string[] {
  return [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-extensions',
    '--no-first-run',
    '--no-default-browser-check',
    '--hide-scrollbars',
    '--force-device-scale-factor=1',
    `--user-data-dir=${profile}`,
  ];
}

interface Png {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  readonly pixels: Uint8Array;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes) with node's zlib. */
function decodePng(file: Buffer): Png {
  if (!file.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG (bad signature)');
  let offset = 8;
  let header: { width: number; height: number; depth: number; colour: number; interlace: number } | undefined;
  const data: Buffer[] = [];
  while (offset < file.length) {
    const length = file.readUInt32BE(offset);
    const type = file.toString('ascii', offset + 4, offset + 8);
    const body = file.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if (type === 'IHDR') {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        depth: body[8],
        colour: body[9],
        interlace: body[12],
      };
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
  }
  if (!header) throw new Error('PNG without IHDR');
  const channels = header.colour === 2 ? 3 : header.colour === 6 ? 4 : 0;
  if (header.depth !== 8 || channels === 0 || header.interlace !== 0) {
    throw new Error(`unsupported PNG: ${JSON.stringify(header)}`);
  }
  const raw = zlib.inflateSync(Buffer.concat(data));
  const stride = header.width * channels;
  const pixels = new Uint8Array(stride * header.height);
  // Not Math.abs: a global looked up per byte is slow in jest's VM context (25x here).
  const abs = (n: number) => (n < 0 ? -n : n);
  for (let y = 0; y < header.height; y++) {
    const filter = raw[y * (stride + 1)];
    if (filter > 4) throw new Error(`bad PNG filter ${filter} on row ${y}`);
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? pixels[row + x - channels] : 0;
      const b = y > 0 ? pixels[row - stride + x] : 0;
      let predictor = 0;
      if (filter === 1) predictor = a;
      else if (filter === 2) predictor = b;
      else if (filter === 3) predictor = (a + b) >> 1;
      else if (filter === 4) {
        const c = x >= channels && y > 0 ? pixels[row - stride + x - channels] : 0;
        const [pa, pb, pc] = [abs(b - c), abs(a - c), abs(a + b - 2 * c)];
        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      pixels[row + x] = (value + predictor) & 0xff;
    }
  }
  return { width: header.width, height: header.height, channels, pixels };
}

function pixelAt(png: Png, x: number, y: number): string {
  const i = (y * png.width + x) * png.channels;
  return '#' + [0, 1, 2].map((k) => png.pixels[i + k].toString(16).padStart(2, '0')).join('');
}

function near(actual: string, expected: string, tolerance = 3): boolean {
  const rgb = (s: string) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));
  const [a, e] = [rgb(actual), rgb(expected)];
  return a.every((v, i) => Math.abs(v - e[i]) <= tolerance);
}

/** Runs in the page: what the browser laid out (counts, text extents against their boxes). */
const DOM_PROBE = `
(function () {
  var svg = document.querySelector('svg');
  var out = { rects: svg.querySelectorAll('rect').length, dataPlanes: svg.querySelectorAll('g.data-plane').length,
    texts: [], overflow: [], labelOverlaps: [], emWidth: 0 };
  function rect(b) { return [b.x, b.y, b.width, b.height].map(function (v) { return Math.round(v * 10) / 10; }); }
  svg.querySelectorAll('g.box').forEach(function (g) {
    var r = g.querySelector('rect').getBBox();
    g.querySelectorAll('text').forEach(function (t) {
      var b = t.getBBox();
      var size = parseFloat(t.getAttribute('font-size'));
      out.texts.push(t.textContent);
      out.emWidth = Math.max(out.emWidth, t.getComputedTextLength() / t.textContent.length / size);
      if (b.x < r.x + 1 || b.y < r.y + 1 || b.x + b.width > r.x + r.width - 1 || b.y + b.height > r.y + r.height - 1) {
        out.overflow.push({ text: t.textContent, text_bbox: rect(b), box: rect(r) });
      }
    });
  });
  var dps = Array.prototype.map.call(svg.querySelectorAll('g.data-plane rect'), function (r) { return r.getBBox(); });
  svg.querySelectorAll('g.connector-labels text').forEach(function (t) {
    var b = t.getBBox();
    dps.forEach(function (d) {
      if (b.x < d.x + d.width && d.x < b.x + b.width && b.y < d.y + d.height && d.y < b.y + b.height) {
        out.labelOverlaps.push({ label: rect(b), dataPlane: rect(d) });
      }
    });
  });
  document.getElementById('result').textContent = encodeURIComponent(JSON.stringify(out));
})();
`;

describe('headless Chromium', () => {
  test('renders the large fleet: boxes where the layout puts them, in their colours, text inside its boxes', async () => {
    // GIVEN a browser (CI installs it; missing is a failure, not a skip)
    const browser = findBrowser();
    if (!browser) {
      throw new Error(
        `No headless browser found on PATH (looked for ${BROWSERS.join(', ')}; or set CHROME_BIN). ` +
          'Install one: apt-get install -y chromium',
      );
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-graph-'));
    try {
      const svg = renderFleetSvg(LARGE);
      const layout = layoutFleet(LARGE);
      const svgFile = path.join(dir, 'fleet.svg');
      const htmlFile = path.join(dir, 'fleet.html');
      const pngFile = path.join(dir, 'fleet.png');
      fs.writeFileSync(svgFile, svg);
      fs.writeFileSync(
        htmlFile,
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>graph probe</title></head>' +
          `<body style="margin:0">${svg.replace(/^<\?xml[^>]*>\s*/, '')}<pre id="result"></pre>` +
          `<script>${DOM_PROBE}</script></body></html>`,
      );
      const windowSize = `--window-size=${layout.width},${layout.height}`;

      // WHEN: a screenshot of the SVG file and a DOM dump of a page embedding it, side by side
      const [shot, dom] = await Promise.all([
        runBrowser(browser, [
          ...browserArgs(path.join(dir, 'profile-shot')),
          windowSize,
          `--screenshot=${pngFile}`,
          pathToFileURL(svgFile).href,
        ]),
        runBrowser(browser, [
          ...browserArgs(path.join(dir, 'profile-dom')),
          windowSize,
          '--dump-dom',
          pathToFileURL(htmlFile).href,
        ]),
      ]);

      // THEN: a PNG of the SVG's size
      expect({ code: shot.code, exists: fs.existsSync(pngFile) }).toEqual({ code: 0, exists: true });
      const file = fs.readFileSync(pngFile);
      expect(file.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
      expect(file.toString('ascii', 12, 16)).toBe('IHDR');
      expect([file.readUInt32BE(16), file.readUInt32BE(20)]).toEqual([layout.width, layout.height]);

      // ... that is not blank: many colours, a good share of non-white pixels
      const png = decodePng(file);
      const colours = new Set<number>();
      let inked = 0;
      for (let i = 0; i < png.pixels.length; i += png.channels) {
        const rgb = (png.pixels[i] << 16) | (png.pixels[i + 1] << 8) | png.pixels[i + 2];
        colours.add(rgb);
        if (rgb !== 0xffffff) inked++;
      }
      expect(colours.size).toBeGreaterThan(50);
      expect(inked / (png.width * png.height)).toBeGreaterThan(0.2);

      // ... with every box where layoutFleet put it, filled with its kind's colour
      const samples: [string, string, string][] = [['background', pixelAt(png, 2, 2), GRAPH_COLOURS.background]];
      const cp = layout.controlPlane;
      samples.push(['control plane', pixelAt(png, cp.x + cp.width - 6, cp.y + 6), GRAPH_COLOURS.controlPlane.fill]);
      for (const r of layout.regions) {
        const sample = pixelAt(png, r.box.x + 5, r.box.y + Math.round(r.box.height / 2));
        samples.push([`region ${r.region}`, sample, GRAPH_COLOURS.region.fill]);
      }
      for (const dp of layout.dataPlanes) {
        const sample = pixelAt(png, dp.box.x + dp.box.width - 6, dp.box.y + 6);
        samples.push([`data plane ${dp.name}`, sample, GRAPH_COLOURS.dataPlane[dp.runtime].fill]);
      }
      expect(samples.filter(([, actual, expected]) => !near(actual, expected))).toEqual([]);

      // ... and the DOM the browser built: every DP group, every text inside its box
      expect(dom.code).toBe(0);
      const encoded = /<pre id="result">([^<]*)<\/pre>/.exec(dom.stdout)?.[1];
      if (!encoded)
        throw new Error(`the DOM probe wrote nothing:\n${dom.stdout.slice(0, 500)}\n${dom.stderr.slice(-2000)}`);
      const probe = JSON.parse(decodeURIComponent(encoded));
      if (process.env.GRAPH_DEBUG) console.log(JSON.stringify({ ...probe, texts: probe.texts.length }));
      expect(probe.dataPlanes).toBe(LARGE.dataPlanes.length);
      expect(probe.rects).toBe(svg.match(/<rect /g)!.length);
      for (const dp of LARGE.dataPlanes) expect(probe.texts).toContain(dp.name);
      expect(probe.overflow).toEqual([]);
      expect(probe.labelOverlaps).toEqual([]);
      // The fixed character-width estimate holds for the font the browser picked.
      expect(probe.emWidth).toBeLessThanOrEqual(0.62);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
