/**
 * The shape of a fleet file (`fleet.yaml`) as a zod schema: field types, formats and defaults.
 * Parsing a file's data with {@link fleetSchema} yields a {@link FleetModel} with every default
 * filled. Rules that relate two fields (unique names, versions against the control plane,
 * runtime-specific fields, host names inside the zone, …) are checked by load.ts, which also
 * places every issue at its line and column.
 */
import { isIPv4, isIPv6 } from 'net';
import { z } from 'zod';
import { MAX_VALIDITY_DAYS, validateRotateBeforeDays, validateValidityDays } from '../kong/certificate-profile';
import { MODEL_OWNED_SETTINGS } from '../kong/config';
import { KongFleetError } from '../kong/errors';
import { FALLBACK_CONFIG_DEFAULT_EXPORT_DELAY_SECONDS } from '../kong/fallback-config';
import { isDnsName } from '../kong/net';
import { parseKongVersion } from '../kong/version';
import type {
  DataPlaneModel,
  DataPlaneRuntime,
  FallbackConfigModel,
  FleetIssue,
  FleetModel,
  SharedServiceModel,
  SharedServicesModel,
} from './model';

// ---------------------------------------------------------------------------------------------
// Defaults and limits
// ---------------------------------------------------------------------------------------------

/** Every default the schema fills in (see also {@link defaultMaxReplicas}). */
export const FLEET_DEFAULTS = Object.freeze({
  endpointsInternetFacing: true,
  database: Object.freeze({
    instanceType: 't4g.medium',
    multiAz: true,
    deletionProtection: true,
    iamAuthentication: false,
  }),
  controlPlaneReplicas: 2,
  certificatesMode: 'shared' as const,
  dataPlaneReplicas: Object.freeze({ min: 2, max: 10 }),
  dataPlaneNetwork: 'shared' as const,
  dataPlaneProxy: Object.freeze({ internetFacing: false }),
  sharedService: false,
  grafana: false,
  fallbackConfig: Object.freeze({
    enabled: true,
    exportDelaySeconds: FALLBACK_CONFIG_DEFAULT_EXPORT_DELAY_SECONDS,
    noncurrentVersionDays: 30,
  }),
});

/** Fleet names prefix every stack name (`<fleet>-<plane>-…`, at most 128 characters). */
export const FLEET_NAME_MAX_LENGTH = 40;
export const MIN_REPLICAS = 2;
export const MAX_REPLICAS = 1000;
export const MAX_CONTROL_PLANE_REPLICAS = 100;
/** Kong's limits for `cluster_dp_labels` (conf_loader/parse.lua). */
export const MAX_LABELS = 10;
export const MAX_LABEL_LENGTH = 63;
/** Source CIDRs per security group stay well inside the default quota of 60 rules. */
export const MAX_ALLOWED_CIDRS = 50;

export const CONTROL_PLANE_RUNTIMES = ['eks', 'ec2', 'konnect'] as const;
export const DATA_PLANE_RUNTIMES = ['eks', 'ecs', 'ec2', 'kubernetes'] as const;
export const CPU_ARCHITECTURES = ['arm64', 'x86_64'] as const;
export const CERTIFICATE_MODES = ['pki', 'shared'] as const;
export const NETWORK_MODES = ['shared', 'own'] as const;

/**
 * The default `replicas.max` of a data plane: 10, but never below `min` (ec2: above `min`, since a
 * rolling update launches an instance before it terminates one).
 */
export function defaultMaxReplicas(min: number, runtime: DataPlaneRuntime): number {
  return Math.max(FLEET_DEFAULTS.dataPlaneReplicas.max, runtime === 'ec2' ? min + 1 : min);
}

// ---------------------------------------------------------------------------------------------
// Formats
// ---------------------------------------------------------------------------------------------

/**
 * AWS region names: a two-letter area, an optional partition marker (`gov`, `iso`, `isob`, …), a
 * direction and a number — `us-east-1`, `eu-west-3`, `ap-southeast-2`, `us-gov-west-1`,
 * `cn-north-1`, `il-central-1`, `mx-central-1`. Deliberately not a list: new regions keep this shape.
 */
export const AWS_REGION_PATTERN =
  /^[a-z]{2}(?:-(?:gov|iso[a-z]?))?-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-[1-9][0-9]?$/;

/** An RFC 1123 label in lower case (Kubernetes' DNS-1123 label). */
export const DNS_LABEL_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

export const AWS_ACCOUNT_PATTERN = /^[0-9]{12}$/;

/** Secrets Manager secret names. */
const SECRET_NAME_PATTERN = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
/** EC2/RDS instance types without RDS's `db.` prefix: `t4g.medium`, `m7i-flex.large`. */
const INSTANCE_TYPE_PATTERN = /^[a-z][a-z0-9-]*\.[a-z0-9]+$/;
const HOSTED_ZONE_ID_PATTERN = /^Z[A-Z0-9]{1,31}$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const KONNECT_API_REGION_PATTERN = /^[a-z]{2,3}$/;
const PCA_ARN_PATTERN =
  /^arn:aws[a-z-]*:acm-pca:[a-z]{2}(?:-[a-z]+)+-[0-9]+:[0-9]{12}:certificate-authority\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** kong.conf setting names (as config.ts checks them). */
const SETTING_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
/** Kong's label syntax without `:` (it separates key from value in `cluster_dp_labels`). */
const LABEL_PATTERN = /^[a-z0-9](?:[\w.-]*[a-z0-9])?$/i;
const LABEL_RESERVED_PREFIX = /^(kong|konnect|insomnia|mesh|kic)/i;

export function isAwsRegion(value: string): boolean {
  return AWS_REGION_PATTERN.test(value);
}

/** A lower-case DNS name with at least two labels (as Route 53 records are stored). */
export function isHostname(value: string): boolean {
  return value === value.toLowerCase() && value.includes('.') && isDnsName(value);
}

export function isCidr(value: string): boolean {
  const match = /^([^/]+)\/([0-9]{1,3})$/.exec(value);
  if (!match) return false;
  const bits = Number(match[2]);
  if (isIPv4(match[1])) return bits <= 32;
  if (isIPv6(match[1])) return bits <= 128;
  return false;
}

/** A value, shortly, for a message: strings quoted and cut at 60 characters. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

/** The problem of a KongFleetError without its `where: ` prefix (the issue carries the path). */
export function problemOf(error: unknown): string {
  if (error instanceof KongFleetError) {
    const prefix = `${error.where}: `;
    return error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message;
  }
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

/** zod error parameters: `text (got <the value>)`. */
const got = (text: string) => ({
  error: (issue: { input?: unknown }) => `${text} (got ${describeValue(issue.input)})`,
});

// ---------------------------------------------------------------------------------------------
// Field schemas
// ---------------------------------------------------------------------------------------------

const dnsLabel = () =>
  z
    .string()
    .regex(
      DNS_LABEL_PATTERN,
      got("must be a DNS label: 1-63 lower-case letters, digits and '-', not starting or ending with '-'"),
    );

const fleetName = z.string().superRefine((value, ctx) => {
  let problem: string | undefined;
  if (!DNS_LABEL_PATTERN.test(value)) {
    problem = "must be a DNS label: lower-case letters, digits and '-', not starting or ending with '-'";
  } else if (value.length > FLEET_NAME_MAX_LENGTH) {
    problem = `must be at most ${FLEET_NAME_MAX_LENGTH} characters so that stack names fit`;
  } else if (!/^[a-z]/.test(value)) {
    problem = 'must start with a letter (it starts every stack name)';
  }
  if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (got ${describeValue(value)})`, input: value });
});

const region = z.string().regex(AWS_REGION_PATTERN, got('must be an AWS region name such as us-east-1'));

const account = z
  .string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? `must be quoted, e.g. account: "012345678901": YAML reads unquoted digits as a number and drops leading zeros (got ${describeValue(issue.input)})`
        : undefined,
  })
  .regex(AWS_ACCOUNT_PATTERN, got('must be a 12-digit AWS account id'));

const version = z
  .string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? `must be quoted, e.g. version: "3.10.0.6": YAML reads an unquoted 3.10 as the number 3.1 (got ${describeValue(issue.input)})`
        : undefined,
  })
  .superRefine((value, ctx) => {
    try {
      parseKongVersion(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: problemOf(error), input: value });
    }
  });

const hostname = z.string().refine(isHostname, got('must be a lower-case DNS name such as kong.example.com'));
const secretName = z.string().regex(SECRET_NAME_PATTERN, got('must be a Secrets Manager secret name'));
const architecture = z.enum(CPU_ARCHITECTURES);
const instanceType = z.string().superRefine((value, ctx) => {
  const problem = value.startsWith('db.')
    ? "must be given without RDS's db. prefix"
    : INSTANCE_TYPE_PATTERN.test(value)
      ? undefined
      : 'must be an instance type such as t4g.medium';
  if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (got ${describeValue(value)})`, input: value });
});
const allowedCidrs = z
  .array(z.string().refine(isCidr, got('must be a CIDR block such as 10.0.0.0/16')))
  .min(1, 'must list at least one CIDR block (omit it to allow any source)')
  .max(MAX_ALLOWED_CIDRS, `must list at most ${MAX_ALLOWED_CIDRS} CIDR blocks`);
const pcaArn = z.string().regex(PCA_ARN_PATTERN, got('must be the ARN of an ACM Private CA'));

/** A number of days checked by a certificate-profile function (which also takes digit strings). */
const days = (check: (value: unknown) => number) =>
  z.union([z.number(), z.string()], got('must be a whole number of days')).transform((value, ctx) => {
    try {
      return check(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: problemOf(error), input: value });
      return z.NEVER;
    }
  });

/** A scalar written as text or as a number (YAML reads `4` as a number); kept as text. */
const text = z.union([z.string(), z.number()], got('must be a string')).transform(String);

const labels = z.record(z.string(), text).superRefine((entries, ctx) => {
  const keys = Object.keys(entries);
  if (keys.length > MAX_LABELS) {
    ctx.addIssue({ code: 'custom', message: `must have at most ${MAX_LABELS} labels (got ${keys.length})` });
  }
  for (const key of keys) {
    const value = entries[key];
    if (key.length > MAX_LABEL_LENGTH || !LABEL_PATTERN.test(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        params: { at: 'key' },
        message: `label key must be 1-${MAX_LABEL_LENGTH} letters, digits, '_', '.' or '-', starting and ending with a letter or digit (got ${describeValue(key)})`,
      });
    } else if (LABEL_RESERVED_PREFIX.test(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        params: { at: 'key' },
        message: `label key must not start with kong, konnect, insomnia, mesh or kic (got ${describeValue(key)})`,
      });
    }
    if (value.length > MAX_LABEL_LENGTH || !LABEL_PATTERN.test(value)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `label value must be 1-${MAX_LABEL_LENGTH} letters, digits, '_', '.' or '-', starting and ending with a letter or digit (got ${describeValue(value)})`,
      });
    }
  }
});

const kongSettings = z.record(z.string(), text).superRefine((entries, ctx) => {
  for (const [key, value] of Object.entries(entries)) {
    if (!SETTING_NAME_PATTERN.test(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        params: { at: 'key' },
        message: `must be a lower-case kong.conf setting name such as nginx_worker_processes (got ${describeValue(key)})`,
      });
    } else if (MODEL_OWNED_SETTINGS.has(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        params: { at: 'key' },
        message: `is set by kong-fleet from the fleet model; use the corresponding field instead (got ${describeValue(key)})`,
      });
    }
    if (/[\0-\x1f\x7f]/.test(value)) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `must be a single line without control characters (got ${describeValue(value)})`,
      });
    }
  }
});

const wholeNumber = (min: number, max: number) =>
  z
    .number()
    .int(got('must be a whole number'))
    .min(min, got(`must be at least ${min}`))
    .max(max, got(`must be at most ${max}`));

// ---------------------------------------------------------------------------------------------
// Object schemas
// ---------------------------------------------------------------------------------------------

const endpointsSchema = z.strictObject({
  hostedZone: hostname,
  hostedZoneId: z
    .string()
    .regex(HOSTED_ZONE_ID_PATTERN, got('must be a Route 53 hosted zone id such as Z0123456789ABC'))
    .optional(),
  cluster: hostname,
  telemetry: hostname,
  internetFacing: z.boolean().default(FLEET_DEFAULTS.endpointsInternetFacing),
  allowedCidrs: allowedCidrs.optional(),
});

const databaseSchema = z.strictObject({
  instanceType: instanceType.default(FLEET_DEFAULTS.database.instanceType),
  multiAz: z.boolean().default(FLEET_DEFAULTS.database.multiAz),
  deletionProtection: z.boolean().default(FLEET_DEFAULTS.database.deletionProtection),
  iamAuthentication: z.boolean().default(FLEET_DEFAULTS.database.iamAuthentication),
});

const konnectSchema = z.strictObject({
  controlPlaneId: z.string().regex(UUID_PATTERN, got('must be a Konnect control plane id (a UUID)')),
  apiRegion: z.string().regex(KONNECT_API_REGION_PATTERN, got('must be a Konnect region such as us, eu or au')),
  clusterEndpoint: hostname,
  telemetryEndpoint: hostname,
  tokenSecret: secretName,
});

const controlPlaneSchema = z.strictObject({
  runtime: z.enum(CONTROL_PLANE_RUNTIMES),
  region,
  account: account.optional(),
  endpoints: endpointsSchema.optional(),
  database: databaseSchema.optional(),
  replicas: wholeNumber(MIN_REPLICAS, MAX_CONTROL_PLANE_REPLICAS).default(FLEET_DEFAULTS.controlPlaneReplicas),
  instanceType: instanceType.optional(),
  architecture: architecture.optional(),
  konnect: konnectSchema.optional(),
});

const certificatesSchema = z.strictObject({
  mode: z.enum(CERTIFICATE_MODES).default(FLEET_DEFAULTS.certificatesMode),
  validityDays: days((value) => validateValidityDays(value, 'validityDays')).optional(),
  // Only the syntax here; load.ts checks it against the validity in force.
  rotateBeforeDays: days((value) => validateRotateBeforeDays(value, MAX_VALIDITY_DAYS, 'rotateBeforeDays')).optional(),
  certificateAuthorityArn: pcaArn.optional(),
  parentCertificateAuthorityArn: pcaArn.optional(),
});

const dataPlaneSchema = z.strictObject({
  name: dnsLabel(),
  runtime: z.enum(DATA_PLANE_RUNTIMES),
  region,
  account: account.optional(),
  version: version.optional(),
  replicas: z
    .strictObject({
      min: wholeNumber(MIN_REPLICAS, MAX_REPLICAS).default(FLEET_DEFAULTS.dataPlaneReplicas.min),
      max: wholeNumber(1, MAX_REPLICAS).optional(),
    })
    .prefault({}),
  cluster: dnsLabel().optional(),
  network: z.enum(NETWORK_MODES).optional(),
  instanceType: instanceType.optional(),
  architecture: architecture.optional(),
  proxy: z
    .strictObject({
      internetFacing: z.boolean().default(FLEET_DEFAULTS.dataPlaneProxy.internetFacing),
      allowedCidrs: allowedCidrs.optional(),
    })
    .optional(),
  labels: labels.optional(),
  kongSettings: kongSettings.optional(),
  namespace: dnsLabel().optional(),
  fallbackConfig: z.boolean().optional(),
});

const serviceRegions = z.array(region).min(1);
const SERVICE_SWITCH = 'must be true, false or a mapping (regions: [...])';

/** `true` (every region with eks/ecs/ec2 data planes), `false`, or `{ regions: [...] }`. */
function sharedService<T extends z.core.$ZodLooseShape>(extra: T) {
  return z
    .union([z.boolean(), z.strictObject({ regions: serviceRegions.optional(), ...extra })], { error: SERVICE_SWITCH })
    .default(FLEET_DEFAULTS.sharedService);
}

const sharedServicesSchema = z.strictObject({
  redis: sharedService({}),
  cognito: sharedService({}),
  opensearch: sharedService({}),
  prometheus: sharedService({ grafana: z.boolean().default(FLEET_DEFAULTS.grafana) }),
});

/** Kong's fallback configuration; `version` defaults to kong.version (load.ts checks it against the data planes). */
const fallbackConfigSchema = z.strictObject({
  enabled: z.boolean().default(FLEET_DEFAULTS.fallbackConfig.enabled),
  version: version.optional(),
  exportDelaySeconds: wholeNumber(1, 86_400).default(FLEET_DEFAULTS.fallbackConfig.exportDelaySeconds),
  noncurrentVersionDays: wholeNumber(1, 3650).default(FLEET_DEFAULTS.fallbackConfig.noncurrentVersionDays),
});

const fleetFileSchema = z.strictObject({
  name: fleetName,
  kong: z.strictObject({ version, licenseSecret: secretName.optional() }),
  controlPlane: controlPlaneSchema,
  certificates: certificatesSchema.prefault({}),
  dataPlanes: z.array(dataPlaneSchema).default([]),
  sharedServices: sharedServicesSchema.prefault({}),
  fallbackConfig: fallbackConfigSchema.optional(),
});

type ParsedFleetFile = z.output<typeof fleetFileSchema>;
type ParsedDataPlane = ParsedFleetFile['dataPlanes'][number];

/** Keeps the keys whose value is defined (the model has no `key: undefined`). */
function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function toDataPlaneModel(dp: ParsedDataPlane, kongVersion: string): DataPlaneModel {
  return defined({
    ...dp,
    version: dp.version ?? kongVersion,
    replicas: { min: dp.replicas.min, max: dp.replicas.max ?? defaultMaxReplicas(dp.replicas.min, dp.runtime) },
    network: dp.network ?? FLEET_DEFAULTS.dataPlaneNetwork,
    proxy: dp.proxy ? defined(dp.proxy) : { ...FLEET_DEFAULTS.dataPlaneProxy },
  });
}

function toFleetModel(file: ParsedFleetFile): FleetModel {
  const cp = file.controlPlane;
  const database = cp.database ?? (cp.runtime === 'konnect' ? undefined : { ...FLEET_DEFAULTS.database });
  return {
    name: file.name,
    kong: defined(file.kong),
    controlPlane: defined({ ...cp, endpoints: cp.endpoints && defined(cp.endpoints), database }),
    certificates: defined(file.certificates),
    dataPlanes: file.dataPlanes.map((dp) => toDataPlaneModel(dp, file.kong.version)),
    sharedServices: toSharedServicesModel(file.sharedServices, file.dataPlanes),
    ...(file.fallbackConfig?.enabled
      ? { fallbackConfig: toFallbackConfigModel(file.fallbackConfig, file.kong.version) }
      : {}),
  };
}

function toFallbackConfigModel(
  fallback: NonNullable<ParsedFleetFile['fallbackConfig']>,
  kongVersion: string,
): FallbackConfigModel {
  return {
    version: fallback.version ?? kongVersion,
    exportDelaySeconds: fallback.exportDelaySeconds,
    noncurrentVersionDays: fallback.noncurrentVersionDays,
  };
}

/** Regions with data planes on AWS runtimes: where `true` turns a shared service on. */
export function awsDataPlaneRegions(dataPlanes: readonly { runtime: string; region: string }[]): string[] {
  return [...new Set(dataPlanes.filter((dp) => dp.runtime !== 'kubernetes').map((dp) => dp.region))].sort();
}

type ParsedService = boolean | { regions?: string[] };

function toServiceModel(value: ParsedService, awsRegions: string[]): SharedServiceModel | undefined {
  if (value === false) return undefined;
  const regions = value === true || value.regions === undefined ? awsRegions : [...new Set(value.regions)].sort();
  return { regions };
}

function toSharedServicesModel(
  services: ParsedFleetFile['sharedServices'],
  dataPlanes: ParsedFleetFile['dataPlanes'],
): SharedServicesModel {
  const regions = awsDataPlaneRegions(dataPlanes);
  const prometheus = toServiceModel(services.prometheus, regions);
  return defined({
    redis: toServiceModel(services.redis, regions),
    cognito: toServiceModel(services.cognito, regions),
    opensearch: toServiceModel(services.opensearch, regions),
    prometheus: prometheus && {
      ...prometheus,
      grafana: typeof services.prometheus === 'object' && services.prometheus.grafana,
    },
  });
}

/**
 * The fleet file's schema: strict objects (unknown keys are errors), formats, defaults; its output
 * is a {@link FleetModel}. Cross-field rules are not part of it: use `parseFleet` (load.ts).
 */
export const fleetSchema = fleetFileSchema.transform(toFleetModel);

/** What a fleet file may contain (before defaults). */
export type FleetFile = z.input<typeof fleetSchema>;

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

const EXPECTED: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
};

/** Marks the allowed-keys message so that {@link checkFleetSchema} can split it per key. */
const ALLOWED_KEYS = 'allowed keys: ';

/** Short, concrete messages for zod's own issues (field-specific messages are set on the fields). */
const fleetErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${EXPECTED[issue.expected] ?? issue.expected} (got ${describeValue(issue.input)})`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])} (got ${describeValue(issue.input)})`
        : `must be one of ${issue.values.map(String).join(', ')} (got ${describeValue(issue.input)})`;
    case 'unrecognized_keys': {
      const shape = issue.inst instanceof z.ZodObject ? Object.keys(issue.inst.shape) : [];
      return `${ALLOWED_KEYS}${shape.join(', ')}`;
    }
    case 'too_small':
      return issue.origin === 'array'
        ? `must have at least ${issue.minimum} item(s)`
        : `must be at least ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `must have at most ${issue.maximum} item(s)`
        : `must be at most ${issue.maximum}`;
    default:
      return `is not valid (got ${describeValue(issue.input)})`;
  }
};

/** One schema or cross-field problem, before it is placed in the file. */
export interface FleetSchemaIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
  /** Point at the key of the entry (unknown or misplaced keys) rather than at its value. */
  readonly at?: 'key' | 'value';
  /** See {@link FleetIssue.code}. */
  readonly code?: FleetIssue['code'];
}

/** Edit distance, for "did you mean" (short strings only). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

function unknownKeyMessage(key: string, allowed: readonly string[]): string {
  if (key.length <= 64) {
    const close = allowed.find((name) => name.toLowerCase() === key.toLowerCase() || distance(name, key) <= 2);
    if (close) return `unknown key ${describeValue(key)}; did you mean ${close}?`;
  }
  return `unknown key ${describeValue(key)} (allowed here: ${allowed.join(', ')})`;
}

/**
 * Checks `data` (a parsed YAML document) against {@link fleetSchema}: the model when it passes,
 * else every problem with its path (unknown keys one issue each, at the key).
 */
export function checkFleetSchema(data: unknown): { model?: FleetModel; issues: FleetSchemaIssue[] } {
  const result = fleetSchema.safeParse(data, { error: fleetErrorMap });
  if (result.success) return { model: result.data, issues: [] };
  const issues: FleetSchemaIssue[] = [];
  for (const issue of result.error.issues) {
    const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
    if (issue.code === 'unrecognized_keys' && issue.message.startsWith(ALLOWED_KEYS)) {
      const allowed = issue.message.slice(ALLOWED_KEYS.length).split(', ').filter(Boolean);
      for (const key of issue.keys)
        issues.push({ path: [...path, key], message: unknownKeyMessage(key, allowed), at: 'key' });
    } else {
      const at = issue.code === 'custom' && issue.params?.at === 'key' ? 'key' : 'value';
      issues.push({ path, message: issue.message, at });
    }
  }
  return { issues };
}
