import { existsSync, readFileSync } from 'fs';
import * as path from 'path';
import { parse as parseYaml } from 'yaml';
import { KongFleetError } from './errors';
import { isPlainObject } from './merge';
import { kongEnvName } from './render';

/** Kong's own reference files (see ../shared/reference/README.md). */
export const KONG_REFERENCE_FILES = {
  /** Kong Gateway OSS configuration reference. */
  conf: 'kong.conf.default',
  /** Kong Gateway Enterprise 3.15 configuration, parsed: `{ sections, params: { name: {...} } }`. */
  enterpriseConf: 'kong-conf-ee-3.15.json',
  /** values.yaml of Kong's Helm chart `kong` 3.4.1. */
  chartValues: 'kong-chart-values.yaml',
} as const;

export interface KongReference {
  /** Every kong.conf property (OSS kong.conf.default ∪ Enterprise 3.15). */
  readonly confNames: Set<string>;
  /** `KONG_<NAME>` of every property ∪ every `KONG_*` name the reference files mention (KONG_LICENSE_DATA, …). */
  readonly envNames: Set<string>;
  /** The chart's parsed values.yaml. */
  readonly chartValues: unknown;
}

/**
 * Top-level values chart 3.4.1's templates read that values.yaml does not declare
 * (found with `grep -o '.Values.[A-Za-z]*' templates/`).
 */
export const CHART_UNDECLARED_VALUES: ReadonlySet<string> = new Set([
  'affinity',
  'customEnv',
  'dnsConfig',
  'dnsPolicy',
  'fullnameOverride',
  'nameOverride',
  'namespace',
  'startupProbe',
  'topologySpreadConstraints',
]);

/** `../shared/reference` next to the package root; `KONG_FLEET_REFERENCE_DIR` overrides it. */
export function defaultReferenceDir(): string {
  const override = process.env.KONG_FLEET_REFERENCE_DIR;
  if (override) return path.resolve(override);
  // src/kong (ts) and lib/kong (compiled) are both two levels below the package root.
  return path.resolve(__dirname, '..', '..', '..', 'shared', 'reference');
}

/** Reads Kong's reference files from `dir`; throws a KongFleetError naming any missing file. */
export function loadKongReference(dir: string): KongReference {
  const read = (file: string): string => {
    const full = path.join(dir, file);
    if (!existsSync(full)) {
      throw new KongFleetError('kongReference', `Kong reference file ${file} not found`, {
        got: full,
        expected: `Kong's reference files in ${dir} (set KONG_FLEET_REFERENCE_DIR to their directory)`,
      });
    }
    return readFileSync(full, 'utf8');
  };
  const confText = read(KONG_REFERENCE_FILES.conf);
  const eeText = read(KONG_REFERENCE_FILES.enterpriseConf);
  const chartText = read(KONG_REFERENCE_FILES.chartValues);

  const confNames = confNamesFromKongConf(confText);
  const ee: unknown = JSON.parse(eeText);
  if (!isPlainObject(ee) || !isPlainObject(ee.params)) {
    throw new KongFleetError('kongReference', `${KONG_REFERENCE_FILES.enterpriseConf} has no params object`, {
      expected: '{ sections, params: { name: {...} } }',
    });
  }
  for (const name of Object.keys(ee.params)) confNames.add(name);

  const envNames = new Set<string>();
  for (const name of confNames) envNames.add(kongEnvName(name));
  for (const text of [confText, eeText, chartText]) {
    for (const match of text.matchAll(/\bKONG_[A-Z0-9_]+/g)) envNames.add(match[0]);
  }
  return { confNames, envNames, chartValues: parseYaml(chartText) as unknown };
}

/**
 * Property names in kong.conf.default: the commented-out defaults at the start of a line
 * (`#name = value` or `#name =`). Indented `# name = …` lines are examples inside another
 * property's description, not properties.
 */
export function confNamesFromKongConf(text: string): Set<string> {
  const names = new Set<string>();
  for (const match of text.matchAll(/^#([a-z][a-zA-Z0-9_]*)[ \t]*=/gm)) names.add(match[1]);
  return names;
}

/**
 * Kong's injected Nginx directives: `nginx_<namespace>_<directive>` for the namespaces
 * kong.conf.default lists under "NGINX injected directives" (any directive of that block).
 */
const INJECTED_DIRECTIVE =
  /^nginx_(main|events|http|proxy|location|upstream|admin|status|debug|stream|sproxy|supstream)_[a-z][a-z0-9_]*$/;

/** Whether a kong.conf name is an injected Nginx directive (documented by pattern, not by name). */
export function isInjectedNginxDirective(name: string): boolean {
  return INJECTED_DIRECTIVE.test(name);
}

/** Whether Kong knows a kong.conf name: a property of the references or an injected directive. */
export function isKnownKongSetting(ref: KongReference, name: string): boolean {
  return ref.confNames.has(name) || ref.envNames.has(kongEnvName(name)) || isInjectedNginxDirective(name);
}

/** Whether Kong knows a `KONG_*` environment name (see {@link isKnownKongSetting}). */
export function isKnownKongEnvName(ref: KongReference, name: string): boolean {
  return ref.envNames.has(name) || (name.startsWith('KONG_') && isInjectedNginxDirective(name.slice(5).toLowerCase()));
}

/** Env names (`KONG_*`) Kong's references do not know, e.g. a typo like KONG_CLUSTER_LISTN. */
export function findUnknownEnvNames(ref: KongReference, names: Iterable<string>): string[] {
  return [...names].filter((name) => !isKnownKongEnvName(ref, name));
}

/**
 * Paths in Helm values that Kong's chart does not define: `env.<name>` must be a kong.conf
 * property (or map to a known KONG_* name, like license_data); every other key must exist in
 * values.yaml at the same path, except inside free-form maps (`{}` there, annotations, labels).
 */
export function findUnknownHelmValues(ref: KongReference, values: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const chart = ref.chartValues;
  if (!isPlainObject(chart)) return ['chartValues: not a mapping'];
  for (const [key, value] of Object.entries(values)) {
    if (key === 'env') {
      if (!isPlainObject(value)) {
        problems.push('env: not a mapping');
        continue;
      }
      for (const name of Object.keys(value)) {
        if (!isKnownKongSetting(ref, name)) problems.push(`env.${name}`);
      }
    } else if (Object.hasOwn(chart, key)) {
      compareWithChart(chart[key], value, key, problems);
    } else if (!CHART_UNDECLARED_VALUES.has(key)) {
      problems.push(key);
    }
  }
  return problems;
}

// Maps whose keys are the user's (Kubernetes annotations/labels), even where the chart ships examples.
const FREE_FORM_KEY = /(^|[a-z])(annotations|Annotations|labels|Labels)$|^nodeSelector$/;

function compareWithChart(chartNode: unknown, value: unknown, at: string, problems: string[]): void {
  if (!isPlainObject(value) || !isPlainObject(chartNode)) return;
  if (Object.keys(chartNode).length === 0) return; // free-form map such as annotations: {}
  if (FREE_FORM_KEY.test(at.slice(at.lastIndexOf('.') + 1))) return;
  for (const [key, child] of Object.entries(value)) {
    if (Object.hasOwn(chartNode, key)) compareWithChart(chartNode[key], child, `${at}.${key}`, problems);
    else problems.push(`${at}.${key}`);
  }
}
