/**
 * Loads a fleet file: YAML → schema (schema.ts) → cross-field rules → {@link FleetModel}. Every
 * problem becomes a {@link FleetIssue} with its YAML path and, when the path exists in the file,
 * its line and column; all of them are reported at once. Nothing here throws.
 */
import { readFileSync, statSync } from 'fs';
import { Document, isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Node as YamlNode, Pair } from 'yaml';
import {
  KONG_PKI_PROFILE,
  KONG_SHARED_CERT_PROFILE,
  validateRotateBeforeDays,
  validateValidityDays,
} from '../kong/certificate-profile';
import { checkFallbackVersion } from '../kong/fallback-config';
import { isKonnectApiRegion, KONNECT_API_REGIONS, parseKonnectHost } from '../kong/konnect';
import { checkDataPlaneCompatible, parseKongVersion } from '../kong/version';
import { FALLBACK_EXPORTER_NAME } from './model';
import type { FleetIssue, FleetModel } from './model';
import {
  CONTROL_PLANE_RUNTIMES,
  DATA_PLANE_RUNTIMES,
  DNS_LABEL_PATTERN,
  FleetSchemaIssue,
  MAX_REPLICAS,
  MIN_REPLICAS,
  checkFleetSchema,
  describeValue,
  isHostname,
  problemOf,
} from './schema';

/** Larger files are refused unread (a fleet of 100 data planes is about 20 KiB); bounds the work. */
export const MAX_FLEET_FILE_SIZE = 128 * 1024;
/** At most this many issues are listed (then one saying how many more there are). */
export const MAX_FLEET_ISSUES = 100;

type Path = readonly (string | number)[];

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

/**
 * Parses and validates the text of a fleet file. Returns the model only when there is no issue.
 * `file` names the file in messages about the whole document. Never throws.
 */
export function parseFleet(text: string, file?: string): { model?: FleetModel; issues: FleetIssue[] } {
  try {
    return parseFleetText(text, file ?? 'the fleet file');
  } catch (error) {
    // A bug or an exhausted resource (stack depth on absurd nesting): still one readable issue.
    return { issues: [{ path: '', message: `cannot validate the file: ${problemOf(error)}` }] };
  }
}

/** Reads and parses a fleet file; a missing or unreadable file is one issue with path ''. */
export function loadFleetFile(path: string): { model?: FleetModel; issues: FleetIssue[]; file: string } {
  let text: string;
  try {
    const stat = statSync(path);
    if (!stat.isFile()) return { issues: [{ path: '', message: 'is not a file' }], file: path };
    if (stat.size > MAX_FLEET_FILE_SIZE) {
      return { issues: [{ path: '', message: tooLarge(stat.size, 'bytes') }], file: path };
    }
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { issues: [{ path: '', message: `cannot read the file: ${readError(error)}` }], file: path };
  }
  return { ...parseFleet(text, path), file: path };
}

/** `fleet.yaml:12:7: dataPlanes[1].version: <message>` (`fleet.yaml: path: message` without a position). */
export function formatIssue(file: string, issue: FleetIssue): string {
  const where = issue.line !== undefined ? `${file}:${issue.line}:${issue.column ?? 1}` : file;
  return issue.path ? `${where}: ${issue.path}: ${issue.message}` : `${where}: ${issue.message}`;
}

/** `dataPlanes[1].labels["app.tier"]` from its segments. */
export function formatPath(path: Path): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

// ---------------------------------------------------------------------------------------------
// Parsing and placing
// ---------------------------------------------------------------------------------------------

function tooLarge(size: number, unit: string): string {
  return `file is too large (${size} ${unit}; at most ${MAX_FLEET_FILE_SIZE})`;
}

function readError(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return typeof code === 'string' ? code : problemOf(error);
}

function parseFleetText(text: unknown, file: string): { model?: FleetModel; issues: FleetIssue[] } {
  if (typeof text !== 'string') return { issues: [{ path: '', message: `must be text (got ${typeof text})` }] };
  if (text.length > MAX_FLEET_FILE_SIZE) {
    return { issues: [{ path: '', message: tooLarge(text.length, 'characters'), line: 1, column: 1 }] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    // Duplicate keys are found by DocumentIndex in one pass (yaml's check is quadratic).
    uniqueKeys: false,
    stringKeys: true,
    logLevel: 'error',
  });
  const index = new DocumentIndex(doc, lineCounter);
  const issues: FleetIssue[] = [];
  for (const error of [...doc.errors, ...doc.warnings]) issues.push(index.yamlIssue(error));
  // Past a syntax error the document is a guess: report the syntax only. Duplicate keys are
  // unambiguous otherwise, so the rest of the file is still checked.
  if (doc.errors.length > 0) return { issues: finish(issues) };
  issues.push(...index.duplicateKeys);

  if (doc.contents === null) {
    return { issues: finish([...issues, { path: '', message: `${file} is empty`, line: 1, column: 1 }]) };
  }
  const converted = index.toData();
  if ('problem' in converted) {
    return {
      issues: finish([...issues, { path: '', message: converted.problem, ...index.position(converted.offset) }]),
    };
  }
  const data = converted.data;

  const schema = checkFleetSchema(data);
  const checked = new Set(schema.issues.map((issue) => formatPath(issue.path)));
  // One issue per path: a field that breaks its own format is not also blamed for a relation.
  const cross = crossFieldIssues(data).filter((issue) => !checked.has(formatPath(issue.path)));
  for (const issue of [...schema.issues, ...cross]) issues.push(index.place(issue));
  if (issues.length > 0 || !schema.model) return { issues: finish(issues) };
  return { model: schema.model, issues: [] };
}

/** Sorted by position (document-level issues without one first), at most MAX_FLEET_ISSUES. */
function finish(issues: FleetIssue[]): FleetIssue[] {
  const sorted = issues
    .map((issue, index) => ({ issue, index }))
    .sort(
      (a, b) =>
        (a.issue.line ?? 0) - (b.issue.line ?? 0) || (a.issue.column ?? 0) - (b.issue.column ?? 0) || a.index - b.index,
    )
    .map(({ issue }) => issue);
  if (sorted.length <= MAX_FLEET_ISSUES) return sorted;
  const last = sorted[MAX_FLEET_ISSUES - 1];
  return [
    ...sorted.slice(0, MAX_FLEET_ISSUES),
    {
      path: '',
      message: `${sorted.length - MAX_FLEET_ISSUES} more issues not shown`,
      ...(last.line !== undefined ? { line: last.line, column: last.column } : {}),
    },
  ];
}

interface YamlProblem {
  readonly code: string;
  readonly message: string;
  readonly pos: readonly [number, number];
}

/** At most this many values, counting every use of an alias (billion-laughs files stop here). */
const MAX_VALUES = 100_000;
/** At most this deep (a valid fleet file is 5 levels deep). */
const MAX_DEPTH = 64;

interface Entry {
  /** Offset of the map key (entries of a map). */
  readonly key?: number;
  /** Offset of the value. */
  readonly value?: number;
}

function appendPath(text: string, segment: string | number): string {
  return text === '' ? formatPath([segment]) : text + formatPath(['_', segment]).slice(1);
}

/**
 * One pass over the YAML tree (in document order, without recursion): where each path is, which
 * anchored node each alias means, and where each map key first appears. Everything the loader
 * asks of the tree afterwards is a lookup, so the work stays linear in the size of the file.
 */
class DocumentIndex {
  private readonly entries = new Map<string, Entry>();
  /** `key: …` given twice in one map (the later one wins in the data). */
  readonly duplicateKeys: FleetIssue[] = [];
  private readonly aliases = new Map<unknown, unknown>();

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {
    const anchors = new Map<string, unknown>();
    type Frame = { node: unknown; path: Path; text: string; key?: number; isKey?: boolean };
    const stack: Frame[] = [{ node: doc.contents, path: [], text: '' }];
    while (stack.length > 0) {
      const { node, path, text, key, isKey } = stack.pop()!;
      const anchor = (node as { anchor?: unknown } | null)?.anchor;
      if (typeof anchor === 'string') anchors.set(anchor, node);
      if (isAlias(node)) this.aliases.set(node, anchors.get(node.source));
      if (isKey) continue;
      // Later duplicates win, as in the data (the duplicate itself is reported separately).
      // An empty value (`key:`) has no text of its own: point at its key instead.
      const range = (node as YamlNode | null)?.range;
      const value = range && (range[1] > range[0] || key === undefined) ? range[0] : undefined;
      this.entries.set(text, { key, value });
      if (path.length > MAX_DEPTH) continue;
      const children: Frame[] = [];
      if (isMap(node)) {
        const first = new Map<string, number | undefined>();
        for (const pair of node.items) {
          const name = keyText(pair);
          const keyOffset = (pair.key as YamlNode | null)?.range?.[0];
          children.push({ node: pair.key, path, text, isKey: true });
          if (name === undefined) continue;
          const childPath = [...path, name];
          if (!first.has(name)) first.set(name, keyOffset);
          else this.duplicateKeys.push(this.duplicate(childPath, keyOffset, first.get(name)));
          children.push({ node: pair.value, path: childPath, text: appendPath(text, name), key: keyOffset });
        }
      } else if (isSeq(node)) {
        node.items.forEach((item, index) =>
          children.push({ node: item, path: [...path, index], text: appendPath(text, index) }),
        );
      }
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]);
    }
  }

  place(issue: FleetSchemaIssue): FleetIssue {
    const offset = this.offsetOf(issue.path, issue.at ?? 'value');
    return {
      path: formatPath(issue.path),
      message: issue.message,
      ...this.position(offset),
      ...(issue.code ? { code: issue.code } : {}),
    };
  }

  yamlIssue(error: YamlProblem): FleetIssue {
    return { path: '', message: oneLine(error.message), ...this.position(error.pos[0]) };
  }

  private duplicate(path: Path, offset: number | undefined, firstOffset: number | undefined): FleetIssue {
    const first = this.position(firstOffset);
    const where = first.line !== undefined ? ` (first at line ${first.line})` : '';
    return {
      path: formatPath(path),
      message: `duplicate key ${describeValue(path[path.length - 1])}${where}`,
      ...this.position(offset),
    };
  }

  position(offset: number | undefined): { line?: number; column?: number } {
    if (offset === undefined || !Number.isFinite(offset)) return {};
    const { line, col } = this.lines.linePos(Math.max(0, offset));
    return line > 0 ? { line, column: col } : {};
  }

  /** Offset of the node at `path`, else of the nearest existing parent (its key when it has one). */
  private offsetOf(path: Path, at: 'key' | 'value'): number | undefined {
    for (let length = path.length; length >= 0; length--) {
      const entry = this.entries.get(formatPath(path.slice(0, length)));
      if (!entry) continue;
      if (length === path.length && at === 'value') return entry.value ?? entry.key;
      return entry.key ?? entry.value;
    }
    return undefined;
  }

  /**
   * The document as plain data, like `doc.toJS()` but bounded: a value budget, a depth limit and
   * string keys only (yaml's toJS stringifies collection keys at exponential cost).
   */
  toData(): { data: unknown } | { problem: string; offset?: number } {
    let budget = MAX_VALUES;
    const resolving = new Set<unknown>();
    const fail = (problem: string, node: unknown) => {
      throw new DataLimit(problem, (node as YamlNode | null)?.range?.[0]);
    };
    const convert = (node: unknown, depth: number): unknown => {
      if (depth > MAX_DEPTH) fail(`nesting is deeper than ${MAX_DEPTH} levels`, node);
      if (--budget < 0) fail(`more than ${MAX_VALUES} values (counting every use of an alias)`, node);
      if (isAlias(node)) {
        const target = this.aliases.get(node);
        if (!target || resolving.has(target)) fail(`alias *${node.source} cannot be resolved`, node);
        resolving.add(target);
        try {
          return convert(target, depth + 1);
        } finally {
          resolving.delete(target);
        }
      }
      if (isScalar(node)) return node.value;
      if (isMap(node)) {
        const object: Record<string, unknown> = {};
        for (const pair of node.items) {
          const key = keyText(pair);
          if (key === undefined) fail('map keys must be strings', pair.key);
          // defineProperty: a `__proto__` key is data here, never the prototype.
          Object.defineProperty(object, key!, {
            value: convert(pair.value, depth + 1),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return object;
      }
      if (isSeq(node)) return node.items.map((item) => convert(item, depth + 1));
      return null;
    };
    try {
      return { data: convert(this.doc.contents, 0) };
    } catch (error) {
      if (error instanceof DataLimit) return { problem: error.problem, offset: error.offset };
      throw error;
    }
  }
}

class DataLimit {
  constructor(
    readonly problem: string,
    readonly offset: number | undefined,
  ) {}
}

function keyText(pair: Pair): string | undefined {
  return isScalar(pair.key) ? String(pair.key.value) : undefined;
}

function oneLine(message: string): string {
  return message.split('\n')[0].trim();
}

// ---------------------------------------------------------------------------------------------
// Cross-field rules (on the raw data, so that they run even when other fields are wrong)
// ---------------------------------------------------------------------------------------------

type Raw = Record<string, unknown>;

function asObject(value: unknown): Raw | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : undefined;
}

function has(object: Raw | undefined, key: string): boolean {
  return object !== undefined && Object.prototype.hasOwnProperty.call(object, key) && object[key] !== undefined;
}

function oneOf<T extends string>(value: unknown, values: readonly T[]): T | undefined {
  return values.find((v) => v === value);
}

function validVersion(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    parseKongVersion(value);
    return value;
  } catch {
    return undefined;
  }
}

function isWhole(value: unknown, min: number, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** Which runtimes a runtime-specific field applies to. */
const DATA_PLANE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  cluster: ['eks'],
  instanceType: ['ec2'],
  architecture: ['ec2', 'ecs'],
  namespace: ['kubernetes'],
  proxy: ['eks', 'ecs', 'ec2'],
  network: ['eks', 'ecs', 'ec2'],
  fallbackConfig: ['eks', 'ecs', 'ec2'],
};

const CONTROL_PLANE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  endpoints: ['eks', 'ec2'],
  database: ['eks', 'ec2'],
  replicas: ['eks', 'ec2'],
  instanceType: ['ec2'],
  architecture: ['ec2'],
  konnect: ['konnect'],
};

/**
 * Konnect's own rules (src/kong/konnect.ts): a region Konnect has, host names of Konnect's cluster
 * and telemetry endpoints in one region.
 */
function konnectIssues(konnect: Record<string, unknown>, add: (path: Path, message: string) => void): void {
  const at = (field: string): Path => ['controlPlane', 'konnect', field];
  const apiRegion = konnect.apiRegion;
  if (typeof apiRegion === 'string' && /^[a-z]{2,3}$/.test(apiRegion) && !isKonnectApiRegion(apiRegion)) {
    add(
      at('apiRegion'),
      `is not a Konnect region (got ${describeValue(apiRegion)}; expected ${KONNECT_API_REGIONS.join(', ')})`,
    );
  }
  const regions: Array<[string, string]> = [];
  for (const [field, kind] of [
    ['clusterEndpoint', 'cluster'],
    ['telemetryEndpoint', 'telemetry'],
  ] as const) {
    const host = konnect[field];
    if (typeof host !== 'string' || !isHostname(host)) continue;
    try {
      regions.push([field, parseKonnectHost(host, kind, field).region]);
    } catch (error) {
      add(at(field), problemOf(error));
    }
  }
  // The API region is compared with the hosts' when the fleet is built (KongKonnectControlPlane).
  if (regions.length === 2 && regions[0][1] !== regions[1][1]) {
    add(at('telemetryEndpoint'), `is in Konnect region ${regions[1][1]}, the cluster endpoint in ${regions[0][1]}`);
  }
}

function onlyFor(runtimes: readonly string[], kind: string, runtime: string): string {
  const list =
    runtimes.length > 1 ? `${runtimes.slice(0, -1).join(', ')} and ${runtimes[runtimes.length - 1]}` : runtimes[0];
  return `applies only to ${list} ${kind}s (this one runs on ${runtime})`;
}

/** The rules that relate fields to each other; each issue has the path of the field to change. */
export function crossFieldIssues(data: unknown): FleetSchemaIssue[] {
  const root = asObject(data);
  if (!root) return [];
  const issues: FleetSchemaIssue[] = [];
  const add = (path: Path, message: string, at: 'key' | 'value' = 'value', code?: FleetIssue['code']) =>
    issues.push({ path, message, at, ...(code ? { code } : {}) });

  const cp = asObject(root.controlPlane);
  const certificates = asObject(root.certificates);
  const cpRuntime = oneOf(cp?.runtime, CONTROL_PLANE_RUNTIMES);
  const cpVersion = validVersion(asObject(root.kong)?.version);
  const cpAccount = typeof cp?.account === 'string' ? cp.account : undefined;
  const mode = certificates?.mode === undefined ? 'shared' : certificates.mode;

  // Control plane
  if (cp && cpRuntime) {
    for (const [field, runtimes] of Object.entries(CONTROL_PLANE_FIELDS)) {
      if (has(cp, field) && !runtimes.includes(cpRuntime)) {
        add(['controlPlane', field], onlyFor(runtimes, 'control plane', cpRuntime), 'key');
      }
    }
    if (cpRuntime === 'konnect') {
      if (!has(cp, 'konnect')) add(['controlPlane', 'konnect'], 'is required for a konnect control plane');
      if (mode !== 'pki') {
        add(
          ['certificates', 'mode'],
          `must be pki for a konnect control plane (got ${describeValue(mode)}${has(certificates, 'mode') ? '' : ', the default'})`,
        );
      }
    } else if (!has(cp, 'endpoints')) {
      add(['controlPlane', 'endpoints'], `is required for an ${cpRuntime} control plane`);
    }
  }
  const endpoints = asObject(cp?.endpoints);
  if (endpoints) {
    const zone =
      typeof endpoints.hostedZone === 'string' && isHostname(endpoints.hostedZone) ? endpoints.hostedZone : '';
    for (const field of ['cluster', 'telemetry']) {
      const host = endpoints[field];
      if (zone && typeof host === 'string' && isHostname(host) && !host.endsWith(`.${zone}`)) {
        add(
          ['controlPlane', 'endpoints', field],
          `must be a name inside the hosted zone ${zone} (got ${describeValue(host)})`,
        );
      }
    }
    if (typeof endpoints.cluster === 'string' && endpoints.cluster === endpoints.telemetry) {
      add(['controlPlane', 'endpoints', 'telemetry'], 'must differ from endpoints.cluster (each gets its own record)');
    }
  }
  const konnect = asObject(cp?.konnect);
  if (konnect && typeof konnect.clusterEndpoint === 'string' && konnect.clusterEndpoint === konnect.telemetryEndpoint) {
    add(['controlPlane', 'konnect', 'telemetryEndpoint'], 'must differ from konnect.clusterEndpoint');
  } else if (konnect) {
    konnectIssues(konnect, add);
  }

  // Certificates
  if (certificates) {
    for (const field of ['certificateAuthorityArn', 'parentCertificateAuthorityArn']) {
      if (has(certificates, field) && mode === 'shared') {
        add(['certificates', field], `applies only to certificates.mode pki (got ${describeValue(mode)})`, 'key');
      }
    }
    if (has(certificates, 'certificateAuthorityArn') && has(certificates, 'parentCertificateAuthorityArn')) {
      add(
        ['certificates', 'certificateAuthorityArn'],
        'give either certificateAuthorityArn (issue from it) or parentCertificateAuthorityArn (create a subordinate CA under it), not both',
        'key',
      );
    }
    if (has(certificates, 'rotateBeforeDays') && (mode === 'shared' || mode === 'pki')) {
      let validity: number | undefined =
        mode === 'pki' ? KONG_PKI_PROFILE.validityDays : KONG_SHARED_CERT_PROFILE.validityDays;
      if (has(certificates, 'validityDays')) {
        try {
          validity = validateValidityDays(certificates.validityDays, 'validityDays');
        } catch {
          validity = undefined;
        }
      }
      if (validity !== undefined) {
        try {
          validateRotateBeforeDays(certificates.rotateBeforeDays, validity, 'rotateBeforeDays');
        } catch (error) {
          add(['certificates', 'rotateBeforeDays'], problemOf(error));
        }
      }
    } else if (certificates.validityDays === 1 || certificates.validityDays === '1') {
      // The default lead time is min(30, validity - 1) days: none is left below one day.
      add(['certificates', 'validityDays'], 'must be at least 2 unless rotateBeforeDays is set below it (got 1)');
    }
  }

  // Fallback configuration: one exporter, every importing data plane on exactly its version
  const fallback = asObject(root.fallbackConfig);
  const fallbackOn = fallback !== undefined && fallback.enabled !== false;
  let exporterVersion: string | undefined;
  if (fallbackOn) {
    const given = has(fallback, 'version');
    const versionPath: Path = given ? ['fallbackConfig', 'version'] : ['fallbackConfig'];
    const candidate = given ? validVersion(fallback.version) : cpVersion;
    if (candidate !== undefined) {
      try {
        checkFallbackVersion(candidate, 'version');
        exporterVersion = candidate;
      } catch (error) {
        add(versionPath, `${problemOf(error)}${given ? '' : ' (the default: kong.version)'}`, given ? 'value' : 'key');
      }
    }
    if (exporterVersion !== undefined && cpVersion !== undefined && cpRuntime !== 'konnect') {
      try {
        checkDataPlaneCompatible(exporterVersion, cpVersion, 'version');
      } catch (error) {
        add(versionPath, `the fallback exporter is a data plane: ${problemOf(error)}`, given ? 'value' : 'key');
      }
    }
  }

  // Data planes
  const dataPlanes = Array.isArray(root.dataPlanes) ? root.dataPlanes : [];
  const names = new Map<string, number>();
  const clusters = new Map<string, { index: number; region: unknown; account: unknown }>();
  dataPlanes.forEach((item, index) => {
    const dp = asObject(item);
    if (!dp) return;
    const at = (...rest: (string | number)[]): Path => ['dataPlanes', index, ...rest];
    const runtime = oneOf(dp.runtime, DATA_PLANE_RUNTIMES);

    if (typeof dp.name === 'string') {
      const first = names.get(dp.name);
      if (first !== undefined) {
        add(at('name'), `duplicate data plane name ${describeValue(dp.name)}: already used by dataPlanes[${first}]`);
      } else {
        names.set(dp.name, index);
      }
    }

    if (runtime) {
      for (const [field, runtimes] of Object.entries(DATA_PLANE_FIELDS)) {
        if (has(dp, field) && !runtimes.includes(runtime))
          add(at(field), onlyFor(runtimes, 'data plane', runtime), 'key');
      }
    }

    const version = validVersion(dp.version);
    if (version !== undefined && cpVersion !== undefined && cpRuntime !== 'konnect') {
      try {
        checkDataPlaneCompatible(version, cpVersion, 'version');
      } catch (error) {
        add(at('version'), problemOf(error), 'value', 'version-incompatible');
      }
    }

    if (dp.name === FALLBACK_EXPORTER_NAME && fallbackOn) {
      add(at('name'), `is the name of the fallback exporter (fallbackConfig); choose another name`);
    }
    if (dp.fallbackConfig === true && !fallbackOn) {
      add(at('fallbackConfig'), 'the fleet has no fallbackConfig to import (add one at the top level)');
    }
    const imports = fallbackOn && runtime !== undefined && runtime !== 'kubernetes' && dp.fallbackConfig !== false;
    if (imports && exporterVersion !== undefined) {
      const dpVersion = has(dp, 'version') ? validVersion(dp.version) : cpVersion;
      if (dpVersion !== undefined && dpVersion !== exporterVersion) {
        add(
          at('version'),
          "Kong's fallback configuration needs exporter and importers on exactly the same version: " +
            `exporter ${exporterVersion}, this data plane ${dpVersion}; set fallbackConfig: false on it or align the versions`,
        );
      }
    }
    if (imports && has(dp, 'account') && dp.account !== cpAccount && cpAccount === undefined) {
      add(
        at('account'),
        'a data plane with its own account imports the fallback configuration only when controlPlane.account is set ' +
          "(the bucket's policies name the importing accounts); set controlPlane.account, or fallbackConfig: false on it",
      );
    }

    const replicas = asObject(dp.replicas);
    if (replicas && runtime && has(replicas, 'max')) {
      const min = has(replicas, 'min') ? replicas.min : MIN_REPLICAS;
      const max = replicas.max;
      if (isWhole(min, MIN_REPLICAS, MAX_REPLICAS) && isWhole(max, 1, MAX_REPLICAS)) {
        if (runtime === 'ec2' && max <= min) {
          add(
            at('replicas', 'max'),
            `must be above replicas.min (${min}): an ec2 rolling update launches an instance before it terminates one (got ${max})`,
          );
        } else if (max < min) {
          add(at('replicas', 'max'), `must be at least replicas.min (${min}) (got ${max})`);
        }
      }
    }

    if (runtime === 'eks' && typeof dp.cluster === 'string' && DNS_LABEL_PATTERN.test(dp.cluster)) {
      const account = has(dp, 'account') ? dp.account : cpAccount;
      const first = clusters.get(dp.cluster);
      if (!first) {
        clusters.set(dp.cluster, { index, region: dp.region, account });
      } else if (first.region !== dp.region || first.account !== account) {
        const place = (region: unknown, acct: unknown) =>
          `${describeValue(region)}${acct === undefined ? '' : ` in account ${describeValue(acct)}`}`;
        add(
          at('cluster'),
          `cluster ${describeValue(dp.cluster)} is in ${place(first.region, first.account)} (dataPlanes[${first.index}]); data planes sharing a cluster must be in its region and account (got ${place(dp.region, account)})`,
        );
      }
    }

    if (
      runtime === 'kubernetes' &&
      !has(dp, 'namespace') &&
      typeof dp.name === 'string' &&
      DNS_LABEL_PATTERN.test(dp.name) &&
      !DNS_LABEL_PATTERN.test(`kong-${dp.name}`)
    ) {
      add(at('name'), `is too long for the default namespace kong-<name> (at most 63 characters); set namespace`);
    }
  });

  // Shared services
  const services = asObject(root.sharedServices);
  const awsRegions = new Set(
    dataPlanes
      .map(asObject)
      .filter((dp) => dp && oneOf(dp.runtime, DATA_PLANE_RUNTIMES) !== 'kubernetes' && typeof dp.region === 'string')
      .map((dp) => dp!.region as string),
  );
  for (const service of ['redis', 'cognito', 'opensearch', 'prometheus']) {
    const value = services?.[service];
    const regions = asObject(value)?.regions;
    const listed = Array.isArray(regions) ? regions : undefined;
    listed?.forEach((region, index) => {
      if (typeof region === 'string' && !awsRegions.has(region)) {
        add(
          ['sharedServices', service, 'regions', index],
          `no eks, ecs or ec2 data plane runs in ${describeValue(region)}: a shared service serves the data planes of its region`,
        );
      }
    });
  }
  return issues;
}
