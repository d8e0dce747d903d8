/**
 * `kong-fleet plan`: compares two synthesized fleets (the stacks of the old and the new fleet
 * file) and gives a life-cycle verdict. Plain data in, plain data out: the templates are the
 * CloudFormation JSON objects `FleetApp` synthesized, and no CDK app is built here.
 *
 * Per stack, the resources are diffed with @aws-cdk/cloudformation-diff (the engine of `cdk diff`),
 * which knows, for every AWS resource type, which property changes replace the resource. On top of
 * that, the models are compared and the fleet's rules are checked (see {@link planFleet}).
 */
import { formatDifferences, fullDiff, ResourceImpact } from '@aws-cdk/cloudformation-diff';
import type { ResourceDifference, TemplateDiff } from '@aws-cdk/cloudformation-diff';
import { Writable } from 'stream';
import {
  CA_ACTIVATION_RESOURCE_TYPE,
  CERTIFICATE_PROPERTY,
  CLUSTER_CERTIFICATE_RESOURCE_TYPE,
} from '../handlers/cluster-certificate/contract';
import { KongFleetError } from '../kong/errors';
import { isDataPlaneCompatible, KongVersion, parseKongVersion } from '../kong/version';
import type { DataPlaneModel, FleetModel } from './model';

// ---------------------------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------------------------

/** The synthesized stacks of one fleet, by stack name. */
export interface StackTemplates {
  readonly [stackName: string]: { readonly template: unknown; readonly region?: string };
}

export type StackKind = 'control-plane' | 'data-plane' | 'network' | 'cluster' | 'services' | 'fallback' | 'other';

/** What a stack is in the fleet, as far as its name tells. */
export interface StackClass {
  readonly kind: StackKind;
  /** data-plane: the data plane's name. */
  readonly dataPlane?: string;
  /** network: the region of the shared VPC. */
  readonly region?: string;
  /** cluster: the shared EKS cluster's name. */
  readonly cluster?: string;
}

/** Tells what a stack is from its name and the fleet's name ({@link classifyStack} by default). */
export type StackClassifier = (stackName: string, fleetName: string) => StackClass;

export interface PlanOptions {
  /** @default classifyStack */
  readonly classify?: StackClassifier;
}

export interface ResourceRef {
  readonly logicalId: string;
  readonly type: string;
}

export interface ReplacedResource extends ResourceRef {
  /** true: WILL_REPLACE; false: MAY_REPLACE (CloudFormation decides from the values at deploy time). */
  readonly certain: boolean;
}

export interface RemovedResource extends ResourceRef {
  /** DeletionPolicy Retain/RetainExceptOnCreate: left in the account, out of CloudFormation's care. */
  readonly retained: boolean;
}

export interface StackChange {
  readonly stack: string;
  readonly kind: StackKind;
  readonly dataPlane?: string;
  readonly region?: string;
  readonly status: 'added' | 'removed' | 'changed' | 'unchanged';
  /** Resources created (a new stack: all its resources). */
  readonly added: number;
  /** Resources deleted (a removed stack: all its resources). */
  readonly removed: number;
  /** Resources updated in place (replacements not included). */
  readonly modified: number;
  /** Resources replaced, certainly or possibly (`mayReplace` of them possibly). */
  readonly replaced: number;
  /** How many of `replaced` are only possible replacements (MAY_REPLACE). */
  readonly mayReplace: number;
  readonly replacedResources: ReplacedResource[];
  readonly removedResources: RemovedResource[];
  /** Differences outside Resources (Outputs, Parameters, Conditions, …), CDK bookkeeping excluded. */
  readonly otherChanges: number;
}

export interface PlanVerdict {
  /** No reason: the change may be deployed in one step. */
  readonly safe: boolean;
  /** Why the change is unsafe (one line each). */
  readonly reasons: string[];
  /** Worth a look, but not blocking. */
  readonly warnings: string[];
}

export interface FleetPlan {
  /** Every stack of either fleet: control plane, networks, clusters, data planes, others; by name within a kind. */
  readonly stacks: StackChange[];
  readonly verdict: PlanVerdict;
  /** The fleet-file differences, one human line each (`+ dp …`, `- dp …`, `~ kong.version a → b`). */
  readonly modelChanges: string[];
}

// ---------------------------------------------------------------------------------------------
// Stack names
// ---------------------------------------------------------------------------------------------

/**
 * Kong-fleet's stack names: `<fleet>-cp`, `<fleet>-dp-<dataPlane>`, `<fleet>-net-<region>`,
 * `<fleet>-svc-<region>`, `<fleet>-eks-<cluster>`, `<fleet>-fallback`; anything else (another
 * fleet's stack included) is `other`.
 */
export function classifyStack(name: string, fleetName: string): StackClass {
  const prefix = `${fleetName}-`;
  if (!name.startsWith(prefix)) return { kind: 'other' };
  const rest = name.slice(prefix.length);
  if (rest === 'cp') return { kind: 'control-plane' };
  if (rest === 'fallback') return { kind: 'fallback' };
  const match = /^(dp|net|eks|svc)-(.+)$/.exec(rest);
  if (!match) return { kind: 'other' };
  const [, kind, id] = match;
  if (kind === 'dp') return { kind: 'data-plane', dataPlane: id };
  if (kind === 'net') return { kind: 'network', region: id };
  if (kind === 'svc') return { kind: 'services', region: id };
  return { kind: 'cluster', cluster: id };
}

// ---------------------------------------------------------------------------------------------
// Template diff
// ---------------------------------------------------------------------------------------------

type Json = { [key: string]: unknown };

/** Resource Metadata keys CloudFormation acts on (cfn-init); every other key is tooling bookkeeping. */
const EFFECTIVE_METADATA = new Set(['AWS::CloudFormation::Init', 'AWS::CloudFormation::Authentication']);

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A copy of a template without what CDK adds for itself: the `CDKMetadata` resource and its
 * condition, the `BootstrapVersion` parameter and its rule, and resource Metadata other than
 * cfn-init's (`aws:cdk:path`, asset paths, cdk-nag suppressions).
 */
function stripCdkBookkeeping(template: unknown, stack: string): Json {
  if (template === undefined) return {};
  if (!isObject(template)) {
    throw new KongFleetError(`stack ${stack}`, 'the template is not a JSON object', {
      got: Array.isArray(template) ? 'an array' : typeof template,
      expected: 'a CloudFormation template',
    });
  }
  const out: Json = { ...template };
  if (isObject(template.Resources)) {
    const resources: Json = {};
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (isObject(resource) && resource.Type === 'AWS::CDK::Metadata') continue;
      if (isObject(resource) && isObject(resource.Metadata)) {
        const kept = Object.entries(resource.Metadata).filter(([key]) => EFFECTIVE_METADATA.has(key));
        const copy: Json = { ...resource };
        if (kept.length > 0) copy.Metadata = Object.fromEntries(kept);
        else delete copy.Metadata;
        resources[id] = copy;
      } else {
        resources[id] = resource;
      }
    }
    out.Resources = resources;
  }
  out.Conditions = without(template.Conditions, 'CDKMetadataAvailable');
  out.Parameters = without(template.Parameters, 'BootstrapVersion');
  out.Rules = without(template.Rules, 'CheckBootstrapVersion');
  for (const key of ['Conditions', 'Parameters', 'Rules']) {
    if (out[key] === undefined) delete out[key];
  }
  return out;
}

/** The section without `key`; undefined when nothing is left. */
function without(section: unknown, key: string): unknown {
  if (!isObject(section)) return section;
  const rest = Object.fromEntries(Object.entries(section).filter(([k]) => k !== key));
  return Object.keys(rest).length > 0 ? rest : undefined;
}

function resourceType(change: ResourceDifference): string {
  return change.newResourceType ?? change.oldResourceType ?? 'unknown';
}

function isReplacement(impact: ResourceImpact): boolean {
  return impact === ResourceImpact.WILL_REPLACE || impact === ResourceImpact.MAY_REPLACE;
}

interface StackAnalysis {
  readonly change: StackChange;
  readonly diff: TemplateDiff;
  readonly cluster?: string;
}

function analyzeStack(
  stack: string,
  classification: StackClass,
  before: StackTemplates[string] | undefined,
  after: StackTemplates[string] | undefined,
): StackAnalysis {
  const diff = fullDiff(stripCdkBookkeeping(before?.template, stack), stripCdkBookkeeping(after?.template, stack));
  let added = 0;
  let removed = 0;
  let modified = 0;
  const replacedResources: ReplacedResource[] = [];
  const removedResources: RemovedResource[] = [];
  diff.resources.forEachDifference((logicalId, change) => {
    const type = resourceType(change);
    if (change.isAddition) {
      added += 1;
    } else if (change.isRemoval) {
      removed += 1;
      removedResources.push({ logicalId, type, retained: change.changeImpact === ResourceImpact.WILL_ORPHAN });
    } else if (change.isDifferent) {
      const impact = change.changeImpact;
      if (isReplacement(impact)) {
        replacedResources.push({ logicalId, type, certain: impact === ResourceImpact.WILL_REPLACE });
      } else {
        modified += 1;
      }
    }
  });
  const byId = (a: ResourceRef, b: ResourceRef) => a.logicalId.localeCompare(b.logicalId);
  replacedResources.sort(byId);
  removedResources.sort(byId);
  const otherChanges = diff.differenceCount - diff.resources.differenceCount;
  const resourceChanges = added + removed + modified + replacedResources.length;
  const status: StackChange['status'] =
    before === undefined
      ? 'added'
      : after === undefined
        ? 'removed'
        : resourceChanges + otherChanges > 0
          ? 'changed'
          : 'unchanged';
  const region = classification.region ?? after?.region ?? before?.region;
  return {
    change: {
      stack,
      kind: classification.kind,
      ...(classification.dataPlane !== undefined ? { dataPlane: classification.dataPlane } : {}),
      ...(region !== undefined ? { region } : {}),
      status,
      added,
      removed,
      modified,
      replaced: replacedResources.length,
      mayReplace: replacedResources.filter((r) => !r.certain).length,
      replacedResources,
      removedResources,
      otherChanges,
    },
    diff,
    ...(classification.cluster !== undefined ? { cluster: classification.cluster } : {}),
  };
}

const KIND_ORDER: readonly StackKind[] = [
  'control-plane',
  'network',
  'services',
  'fallback',
  'cluster',
  'data-plane',
  'other',
];

function analyzeStacks(
  oldModel: FleetModel,
  newModel: FleetModel,
  oldStacks: StackTemplates,
  newStacks: StackTemplates,
  classify: StackClassifier,
): StackAnalysis[] {
  const names = [...new Set([...Object.keys(oldStacks), ...Object.keys(newStacks)])];
  const analyses = names.map((name) => {
    const before = Object.prototype.hasOwnProperty.call(oldStacks, name) ? oldStacks[name] : undefined;
    const after = Object.prototype.hasOwnProperty.call(newStacks, name) ? newStacks[name] : undefined;
    // A stack of the new fleet is named after the new fleet; one only the old fleet has, after the old.
    const classification = classify(name, after !== undefined ? newModel.name : oldModel.name);
    return analyzeStack(name, classification, before, after);
  });
  return analyses.sort(
    (a, b) =>
      KIND_ORDER.indexOf(a.change.kind) - KIND_ORDER.indexOf(b.change.kind) ||
      a.change.stack.localeCompare(b.change.stack),
  );
}

// ---------------------------------------------------------------------------------------------
// Model comparison
// ---------------------------------------------------------------------------------------------

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** Key order and undefined members do not matter. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (isObject(value)) {
    return Object.fromEntries(
      Object.keys(value)
        .filter((k) => value[k] !== undefined)
        .sort()
        .map((k) => [k, canonical(value[k])]),
    );
  }
  return value;
}

function show(value: unknown): string {
  if (value === undefined) return '(none)';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(show).join(', ')}]`;
  if (isObject(value)) return JSON.stringify(value);
  return String(value);
}

/** Leaf values by dotted path; arrays are leaves, `replicas` reads `min-max`. */
function flatten(value: unknown, prefix: string, out: Map<string, unknown> = new Map()): Map<string, unknown> {
  if (isObject(value)) {
    if (prefix === 'replicas' && typeof value.min === 'number' && typeof value.max === 'number') {
      out.set(prefix, `${value.min}-${value.max}`);
      return out;
    }
    for (const [key, member] of Object.entries(value)) {
      flatten(member, prefix === '' ? key : `${prefix}.${key}`, out);
    }
    return out;
  }
  if (value !== undefined) out.set(prefix, value);
  return out;
}

/** `path old → new` for every leaf that differs, in the order the paths first appear. */
function fieldChanges(before: unknown, after: unknown, prefix: string): string[] {
  const a = flatten(before, prefix);
  const b = flatten(after, prefix);
  const paths = [...new Set([...a.keys(), ...b.keys()])];
  return paths.filter((p) => !same(a.get(p), b.get(p))).map((p) => `${p} ${show(a.get(p))} → ${show(b.get(p))}`);
}

function fleetRegions(model: FleetModel): Set<string> {
  return new Set([model.controlPlane.region, ...model.dataPlanes.map((dp) => dp.region)]);
}

function describeModelChanges(oldModel: FleetModel, newModel: FleetModel): string[] {
  const lines: string[] = [];
  if (oldModel.name !== newModel.name) lines.push(`~ name ${oldModel.name} → ${newModel.name}`);
  for (const section of ['kong', 'controlPlane', 'certificates', 'sharedServices', 'fallbackConfig'] as const) {
    lines.push(...fieldChanges(oldModel[section], newModel[section], section).map((line) => `~ ${line}`));
  }
  const oldRegions = fleetRegions(oldModel);
  const newRegions = fleetRegions(newModel);
  for (const region of oldRegions) if (!newRegions.has(region)) lines.push(`- region ${region}`);
  for (const region of newRegions) if (!oldRegions.has(region)) lines.push(`+ region ${region}`);
  const { removed, added, changed } = compareDataPlanes(oldModel, newModel);
  for (const dp of removed) lines.push(`- dp ${dp.name} (${dp.runtime}, ${dp.region})`);
  for (const dp of added) lines.push(`+ dp ${dp.name} (${dp.runtime}, ${dp.region})`);
  for (const [before, after] of changed) {
    lines.push(`~ dp ${after.name}: ${fieldChanges(withoutName(before), withoutName(after), '').join(', ')}`);
  }
  return lines;
}

function withoutName(dp: DataPlaneModel): Json {
  return Object.fromEntries(Object.entries(dp).filter(([key]) => key !== 'name'));
}

interface DataPlaneComparison {
  readonly removed: DataPlaneModel[];
  readonly added: DataPlaneModel[];
  /** [old, new] of the data planes in both models that differ. */
  readonly changed: [DataPlaneModel, DataPlaneModel][];
}

function compareDataPlanes(oldModel: FleetModel, newModel: FleetModel): DataPlaneComparison {
  const oldByName = new Map(oldModel.dataPlanes.map((dp) => [dp.name, dp]));
  const newByName = new Map(newModel.dataPlanes.map((dp) => [dp.name, dp]));
  return {
    removed: oldModel.dataPlanes.filter((dp) => !newByName.has(dp.name)),
    added: newModel.dataPlanes.filter((dp) => !oldByName.has(dp.name)),
    changed: newModel.dataPlanes
      .filter((dp) => oldByName.has(dp.name) && !same(oldByName.get(dp.name), dp))
      .map((dp) => [oldByName.get(dp.name)!, dp]),
  };
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

/** What losing each stateful control-plane resource type costs. */
const STATEFUL_CONTROL_PLANE_TYPES: Readonly<Record<string, string>> = {
  'AWS::RDS::DBInstance': 'the Kong database: all Kong configuration is lost unless restored from a snapshot',
  'AWS::RDS::DBCluster': 'the Kong database: all Kong configuration is lost unless restored from a snapshot',
  'AWS::SecretsManager::Secret': 'a control-plane secret (database credentials or cluster certificate)',
  'AWS::KMS::Key': 'a KMS key: whatever it encrypts becomes unreadable once it is deleted',
  'AWS::ACMPCA::CertificateAuthority': 'the cluster CA: every cluster certificate must be re-issued',
  'AWS::ACMPCA::CertificateAuthorityActivation': 'the cluster CA activation: every cluster certificate is affected',
  [CA_ACTIVATION_RESOURCE_TYPE]: 'the subordinate cluster CA activation: every cluster certificate is affected',
  [CLUSTER_CERTIFICATE_RESOURCE_TYPE]: 'a cluster certificate: data planes disconnect until they roll',
  'AWS::Route53::HostedZone': 'the endpoints hosted zone: new name servers break the delegation',
};

const TRUST_PARAMETER = /certificate-?authority-?arn/i;

/**
 * Property changes on which the cluster-certificate handler issues a new certificate although
 * CloudFormation sees an in-place update (src/handlers/cluster-certificate: REGENERATE_ON and the
 * modes' regenerateOn).
 */
const CERTIFICATE_REISSUE_PROPERTIES: ReadonlySet<string> = new Set([
  CERTIFICATE_PROPERTY.secretArn,
  CERTIFICATE_PROPERTY.mode,
  CERTIFICATE_PROPERTY.commonName,
  CERTIFICATE_PROPERTY.validityDays,
  CERTIFICATE_PROPERTY.generation,
  CERTIFICATE_PROPERTY.role,
  CERTIFICATE_PROPERTY.dnsNames,
  CERTIFICATE_PROPERTY.trustParameter,
  CERTIFICATE_PROPERTY.trustRegion,
  CERTIFICATE_PROPERTY.sourceSecret,
  CERTIFICATE_PROPERTY.sourceRegion,
]);

function statefulPurpose(logicalId: string, change: ResourceDifference): string | undefined {
  const type = resourceType(change);
  if (type === 'AWS::SSM::Parameter') {
    const name = JSON.stringify((change.oldValue ?? change.newValue)?.Properties?.Name ?? '');
    return TRUST_PARAMETER.test(name) || TRUST_PARAMETER.test(logicalId)
      ? 'the trust parameter every plane finds the cluster CA through'
      : undefined;
  }
  return STATEFUL_CONTROL_PLANE_TYPES[type];
}

/** What each stateful shared-service resource type holds. */
const STATEFUL_SERVICE_TYPES: Readonly<Record<string, string>> = {
  'AWS::ElastiCache::ReplicationGroup': 'the Redis of the region, with its rate-limiting counters and cached responses',
  'AWS::OpenSearchService::Domain': 'the access-log domain, with the stored logs',
  'AWS::Cognito::UserPool': 'the user pool, with every machine-to-machine client and its secret',
  'AWS::Cognito::UserPoolClient': "the app client: a new one has a new secret, callers' credentials stop working",
  'AWS::APS::Workspace': 'the metrics workspace, with the stored Kong metrics',
};

/** Shared-service resources (Redis, OpenSearch, Cognito, AMP) a plan replaces or deletes: warnings. */
function statefulServiceLosses(analyses: readonly StackAnalysis[]): string[] {
  const losses: string[] = [];
  for (const { change: stack, diff } of analyses) {
    if (stack.kind !== 'services') continue;
    diff.resources.forEachDifference((logicalId, change) => {
      const loss = statefulLoss(change);
      const purpose = STATEFUL_SERVICE_TYPES[resourceType(change)];
      if (loss !== undefined && purpose !== undefined) {
        losses.push(`${stack.stack}: ${logicalId} (${resourceType(change)}) would be ${loss}: ${purpose}`);
      }
    });
  }
  return losses;
}

/** `replaced`, `removed`, … when the change loses the stateful resource; undefined otherwise. */
function statefulLoss(change: ResourceDifference): string | undefined {
  if (change.isAddition || !change.isDifferent) return undefined;
  const impact = change.changeImpact;
  if (impact === ResourceImpact.WILL_DESTROY) return 'deleted';
  if (impact === ResourceImpact.WILL_ORPHAN) return 'removed from the stack (retained, orphaned)';
  if (impact === ResourceImpact.WILL_REPLACE) return 'replaced';
  if (impact === ResourceImpact.MAY_REPLACE) return 'possibly replaced';
  if (resourceType(change) === CLUSTER_CERTIFICATE_RESOURCE_TYPE) {
    const reissuing = Object.keys(change.propertyUpdates).filter((p) => CERTIFICATE_REISSUE_PROPERTIES.has(p));
    if (reissuing.length > 0) return `re-issued (${reissuing.sort().join(', ')} changes)`;
  }
  return undefined;
}

/** Rule 1: the stateful control-plane resources a plan replaces, deletes or re-issues. */
function statefulControlPlaneLosses(analyses: readonly StackAnalysis[]): string[] {
  const losses: string[] = [];
  for (const { change: stack, diff } of analyses) {
    if (stack.kind !== 'control-plane') continue;
    diff.resources.forEachDifference((logicalId, change) => {
      const loss = statefulLoss(change);
      const purpose = loss === undefined ? undefined : statefulPurpose(logicalId, change);
      if (loss !== undefined && purpose !== undefined) {
        losses.push(`${stack.stack}: ${logicalId} (${resourceType(change)}) would be ${loss}: ${purpose}`);
      }
    });
  }
  return losses;
}

function versionOf(text: string, where: string, reasons: string[]): KongVersion | undefined {
  try {
    return parseKongVersion(text, where);
  } catch (error) {
    reasons.push(error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

function compareVersions(a: KongVersion, b: KongVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || (a.build ?? 0) - (b.build ?? 0);
}

function compatible(dp: string, cp: string): boolean {
  try {
    return isDataPlaneCompatible(dp, cp);
  } catch {
    return false;
  }
}

interface RuleContext {
  readonly oldModel: FleetModel;
  readonly newModel: FleetModel;
  readonly analyses: readonly StackAnalysis[];
  readonly dataPlanes: DataPlaneComparison;
  readonly reasons: string[];
  readonly warnings: string[];
}

/** Rules 2–4: data planes against the control plane, downgrades, and the upgrade order. */
function checkVersions({ oldModel, newModel, dataPlanes, reasons }: RuleContext): void {
  // Konnect runs the newest control plane itself: kong.version is only the data planes' default.
  if (newModel.controlPlane.runtime === 'konnect') return;
  const oldCp = versionOf(oldModel.kong.version, 'old kong.version', reasons);
  const newCp = versionOf(newModel.kong.version, 'kong.version', reasons);
  for (const dp of newModel.dataPlanes) {
    if (!compatible(dp.version, newModel.kong.version)) {
      reasons.push(
        `data plane ${dp.name}: version ${dp.version} cannot connect to the control plane on ${newModel.kong.version} ` +
          '(Kong requires the same major version and a data-plane minor ≤ the control plane’s); upgrade the control plane first',
      );
    }
  }
  if (oldCp === undefined || newCp === undefined || oldModel.controlPlane.runtime === 'konnect') return;
  if (compareVersions(newCp, oldCp) < 0) {
    reasons.push(
      `kong.version ${oldCp.text} → ${newCp.text} downgrades the control plane: its database has been migrated ` +
        'to the newer version; restore a snapshot taken before the upgrade instead',
    );
  }
  const raised = newCp.major > oldCp.major || (newCp.major === oldCp.major && newCp.minor > oldCp.minor);
  if (!raised) return;
  const moved = dataPlanes.changed
    .filter(([before, after]) => before.version !== after.version)
    .map(([before, after]) => `${after.name} ${before.version} → ${after.version}`);
  const dependent = dataPlanes.added
    .filter((dp) => !compatible(dp.version, oldCp.text))
    .map((dp) => `${dp.name} (new, ${dp.version})`);
  const all = [...moved, ...dependent];
  if (all.length > 0) {
    reasons.push(
      `kong.version ${oldCp.text} → ${newCp.text} raises the control plane's minor version while data planes change ` +
        `version in the same step (${all.join('; ')}): upgrade the control plane alone first (pin ` +
        `dataPlanes[].version to their current versions), then the data planes in a second plan`,
    );
  }
}

/** Rules 5–6: trust and control-plane identity. */
function checkIdentity({ oldModel, newModel, analyses, reasons, warnings }: RuleContext): void {
  const before = oldModel.certificates;
  const after = newModel.certificates;
  if (before.mode !== after.mode) {
    reasons.push(
      `certificates.mode ${before.mode} → ${after.mode} gives every plane a new certificate: data planes ` +
        'disconnect until they roll; do it in a maintenance window, as a deliberate disruptive change',
    );
  } else if (
    after.mode === 'pki' &&
    (before.certificateAuthorityArn !== after.certificateAuthorityArn ||
      before.parentCertificateAuthorityArn !== after.parentCertificateAuthorityArn)
  ) {
    reasons.push(
      'certificates: the issuing CA changes, so every certificate is re-issued by a CA the other planes do not ' +
        'trust yet: data planes disconnect until they roll; do it in a maintenance window',
    );
  }
  const iamBefore = oldModel.controlPlane.database?.iamAuthentication ?? false;
  const iamAfter = newModel.controlPlane.database?.iamAuthentication ?? false;
  if (iamBefore !== iamAfter) {
    warnings.push(
      `controlPlane.database.iamAuthentication ${iamBefore} → ${iamAfter}: Kong signs in as another database user ` +
        (iamAfter
          ? "(kong_iam); tables Kong created as the master user stay the master's and later migrations fail on them " +
            'until ownership moves — see docs/operations.md, "Switching an existing database"'
          : '(the master user); kong_iam keeps the tables it created — see docs/operations.md'),
    );
  }
  if (before.validityDays !== after.validityDays && after.mode === before.mode) {
    warnings.push(
      `certificates.validityDays ${show(before.validityDays)} → ${show(after.validityDays)}: the cluster certificates ` +
        'are re-issued at deployment' +
        (after.mode === 'shared' ? ' (shared mode: every plane rolls to the new pair)' : ''),
    );
  }
  if (oldModel.name !== newModel.name) {
    reasons.push(
      `name ${oldModel.name} → ${newModel.name} renames every stack: CloudFormation would build a new fleet ` +
        '(a new control plane and database) and delete or orphan the old stacks',
    );
  } else {
    for (const { change } of analyses) {
      if (change.kind === 'control-plane' && change.status === 'removed') {
        reasons.push(`${change.stack}: the control-plane stack would be deleted (removing the fleet)`);
      }
    }
  }
  const cpBefore = oldModel.controlPlane;
  const cpAfter = newModel.controlPlane;
  for (const field of ['runtime', 'region', 'account'] as const) {
    if (cpBefore[field] !== cpAfter[field]) {
      reasons.push(
        `controlPlane.${field} ${show(cpBefore[field])} → ${show(cpAfter[field])} replaces the control plane ` +
          '(a new database; every data plane must reconnect)',
      );
    }
  }
  if (!same(cpBefore.endpoints, cpAfter.endpoints) && cpBefore.endpoints && cpAfter.endpoints) {
    const moved = (['cluster', 'telemetry', 'hostedZone'] as const).filter(
      (f) => cpBefore.endpoints![f] !== cpAfter.endpoints![f],
    );
    if (moved.length > 0) {
      warnings.push(
        `controlPlane.endpoints (${moved.join(', ')}) change: every data plane is reconfigured to the new names`,
      );
    }
  }
}

/** Network and cluster memberships a data plane has (the shared stacks it lives in). */
function memberships(dp: DataPlaneModel): { network?: string; cluster?: string } {
  const usesVpc = dp.runtime !== 'kubernetes';
  return {
    ...(usesVpc && dp.network === 'shared' ? { network: dp.region } : {}),
    ...(dp.runtime === 'eks' && dp.cluster !== undefined ? { cluster: dp.cluster } : {}),
  };
}

/**
 * Rule 7 (blast radius) for a data-plane-only change: the stacks expected to change are the
 * changed data planes' own, plus the shared network and cluster stacks that gain or lose a data
 * plane. Any other changed stack is a warning; a control-plane stack whose resources change is
 * unsafe.
 */
function checkBlastRadius({ analyses, dataPlanes, reasons, warnings }: RuleContext): void {
  const changedNames = new Set([
    ...dataPlanes.removed.map((dp) => dp.name),
    ...dataPlanes.added.map((dp) => dp.name),
    ...dataPlanes.changed.map(([, dp]) => dp.name),
  ]);
  const regions = new Set<string>();
  const clusters = new Set<string>();
  const touch = (dp: DataPlaneModel) => {
    const m = memberships(dp);
    if (m.network !== undefined) regions.add(m.network);
    if (m.cluster !== undefined) {
      clusters.add(m.cluster);
      regions.add(dp.region);
    }
  };
  dataPlanes.removed.forEach(touch);
  dataPlanes.added.forEach(touch);
  for (const [before, after] of dataPlanes.changed) {
    if (!same(memberships(before), memberships(after)) || before.region !== after.region) {
      touch(before);
      touch(after);
    }
  }
  for (const analysis of analyses) {
    const { change } = analysis;
    if (change.status === 'unchanged') continue;
    const expected =
      (change.kind === 'data-plane' && change.dataPlane !== undefined && changedNames.has(change.dataPlane)) ||
      ((change.kind === 'network' || change.kind === 'services') &&
        change.region !== undefined &&
        regions.has(change.region)) ||
      (change.kind === 'cluster' &&
        (analysis.cluster !== undefined
          ? clusters.has(analysis.cluster)
          : change.region !== undefined && regions.has(change.region)));
    if (expected) continue;
    const what = describeStackChange(change);
    if (change.kind === 'control-plane' && change.added + change.removed + change.modified + change.replaced > 0) {
      reasons.push(
        `${change.stack}: a data-plane-only change touches the control-plane stack (${what}); ` +
          'data planes must come and go without changing the control plane',
      );
    } else {
      const subject =
        change.kind === 'data-plane' && change.dataPlane !== undefined
          ? `data plane ${change.dataPlane}, which did not change in the fleet file`
          : change.kind;
      warnings.push(`${change.stack} (${subject}) ${change.status === 'changed' ? 'changes' : change.status}: ${what}`);
    }
  }
}

function describeStackChange(change: StackChange): string {
  const parts: string[] = [];
  if (change.added > 0) parts.push(`${change.added} added`);
  if (change.removed > 0) parts.push(`${change.removed} removed`);
  if (change.modified > 0) parts.push(`${change.modified} modified`);
  if (change.replaced > 0) parts.push(`${change.replaced} replaced`);
  if (change.otherChanges > 0) parts.push(`${change.otherChanges} outside Resources`);
  return parts.length > 0 ? parts.join(', ') : 'no resource change';
}

// ---------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------

/**
 * Compares two fleets and gives the verdict. UNSAFE (one reason each) when:
 *
 * 1. a stateful control-plane resource (database, secret, KMS key, CA and its activation, the trust
 *    parameter, a cluster certificate, the hosted zone) is replaced, possibly replaced, deleted or
 *    re-issued while the control plane did not change (name, kong.version, controlPlane and
 *    certificates equal); when it did change, these are warnings;
 * 2. a data plane's version cannot connect to the new control plane's (major ≠, or minor >);
 * 3. kong.version goes down;
 * 4. kong.version's minor (or major) goes up while a data plane's version changes (or a new data
 *    plane needs the new control plane) in the same step;
 * 5. certificates.mode changes (or, in pki mode, the issuing CA);
 * 6. the fleet is renamed, its control-plane stack deleted, or the control plane's runtime, region
 *    or account changes;
 * 7. only data planes changed, yet the control-plane stack's resources change. Other unexpected
 *    stack changes are warnings.
 */
export function planFleet(
  oldModel: FleetModel,
  newModel: FleetModel,
  oldStacks: StackTemplates,
  newStacks: StackTemplates,
  options: PlanOptions = {},
): FleetPlan {
  const analyses = analyzeStacks(oldModel, newModel, oldStacks, newStacks, options.classify ?? classifyStack);
  const reasons: string[] = [];
  const warnings: string[] = [];
  const dataPlanes = compareDataPlanes(oldModel, newModel);
  const context: RuleContext = { oldModel, newModel, analyses, dataPlanes, reasons, warnings };

  const controlPlaneUnchanged =
    oldModel.name === newModel.name &&
    oldModel.kong.version === newModel.kong.version &&
    same(oldModel.controlPlane, newModel.controlPlane) &&
    same(oldModel.certificates, newModel.certificates);
  const losses = statefulControlPlaneLosses(analyses);
  if (controlPlaneUnchanged) {
    reasons.push(...losses.map((loss) => `${loss} — although the control plane did not change in the fleet file`));
  } else {
    warnings.push(...losses);
  }

  warnings.push(...statefulServiceLosses(analyses));
  checkVersions(context);
  checkIdentity(context);

  const { dataPlanes: oldDps, ...oldRest } = oldModel;
  const { dataPlanes: newDps, ...newRest } = newModel;
  const modelsEqual = same(oldRest, newRest);
  if (modelsEqual && !same(oldDps, newDps)) {
    checkBlastRadius(context);
  } else if (modelsEqual) {
    const moving = analyses.filter((a) => a.change.status !== 'unchanged').map((a) => a.change.stack);
    if (moving.length > 0) {
      warnings.push(
        `the fleet file did not change, yet ${moving.length} stack(s) do (a kong-fleet or CDK upgrade?): ${moving.join(', ')}`,
      );
    }
  }

  for (const { change } of analyses) {
    const retained = change.removedResources.filter((r) => r.retained);
    if (retained.length > 0) {
      warnings.push(
        `${change.stack}: ${retained.length} removed resource(s) are retained and stay in the account: ` +
          retained.map((r) => r.logicalId).join(', '),
      );
    }
  }

  return {
    stacks: analyses.map((a) => a.change),
    verdict: { safe: reasons.length === 0, reasons, warnings },
    modelChanges: describeModelChanges(oldModel, newModel),
  };
}

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

/** How many replaced/removed resources are listed per stack before `… and N more`. */
const MAX_LISTED = 10;

function table(rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd(),
  );
}

function listed<T>(items: readonly T[], line: (item: T) => string): string[] {
  const lines = items.slice(0, MAX_LISTED).map(line);
  if (items.length > MAX_LISTED) lines.push(`    … and ${items.length - MAX_LISTED} more`);
  return lines;
}

/** The plan as plain text: the stack table, replaced and removed resources, model changes, verdict. */
export function formatPlan(plan: FleetPlan): string {
  const lines: string[] = [];
  const rows = [
    ['STACK', 'KIND', 'STATUS', '+', '-', '~', 'REPLACE'],
    ...plan.stacks.map((s) => [
      s.stack,
      s.kind,
      s.status,
      String(s.added),
      String(s.removed),
      String(s.modified),
      s.mayReplace > 0 ? `${s.replaced} (${s.mayReplace} may)` : String(s.replaced),
    ]),
  ];
  lines.push(...table(rows, new Set([3, 4, 5, 6])));

  const replaced = plan.stacks.filter((s) => s.replacedResources.length > 0);
  if (replaced.length > 0) {
    lines.push('', 'Replaced resources:');
    for (const s of replaced) {
      lines.push(`  ${s.stack}`);
      lines.push(
        ...listed(s.replacedResources, (r) => `    ${r.logicalId} (${r.type})${r.certain ? '' : ' — may be replaced'}`),
      );
    }
  }
  const removed = plan.stacks.filter((s) => s.removedResources.length > 0);
  if (removed.length > 0) {
    lines.push('', 'Removed resources:');
    for (const s of removed) {
      lines.push(`  ${s.stack}`);
      lines.push(
        ...listed(s.removedResources, (r) => `    ${r.logicalId} (${r.type})${r.retained ? ' — retained' : ''}`),
      );
    }
  }
  lines.push('', 'Fleet file changes:');
  lines.push(...(plan.modelChanges.length > 0 ? plan.modelChanges.map((c) => `  ${c}`) : ['  (none)']));

  lines.push('');
  if (plan.verdict.safe) {
    lines.push(`SAFE: ${summarize(plan.stacks)}`);
  } else {
    lines.push('UNSAFE:', ...plan.verdict.reasons.map((r) => `  - ${r}`));
  }
  if (plan.verdict.warnings.length > 0) {
    lines.push('Warnings:', ...plan.verdict.warnings.map((w) => `  - ${w}`));
  }
  return `${lines.join('\n')}\n`;
}

function summarize(stacks: readonly StackChange[]): string {
  const count = (status: StackChange['status']) => stacks.filter((s) => s.status === status).length;
  const parts = (['added', 'removed', 'changed', 'unchanged'] as const)
    .map((status) => [status, count(status)] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status}`);
  if (count('unchanged') === stacks.length) return 'nothing changes';
  return `${parts.join(', ')} stack(s); no rule is broken`;
}

/**
 * The detailed resource diff of one stack, as `cdk diff` prints it (CDK bookkeeping left out).
 * For `plan --verbose`; coloured when chalk finds a colour terminal.
 */
export function formatStackDiff(stack: string, oldTemplate: unknown, newTemplate: unknown): string {
  const paths: Record<string, string> = {};
  for (const template of [oldTemplate, newTemplate]) {
    if (!isObject(template) || !isObject(template.Resources)) continue;
    for (const [id, resource] of Object.entries(template.Resources)) {
      const path = isObject(resource) && isObject(resource.Metadata) ? resource.Metadata['aws:cdk:path'] : undefined;
      if (typeof path === 'string') paths[id] = path;
    }
  }
  const diff = fullDiff(stripCdkBookkeeping(oldTemplate, stack), stripCdkBookkeeping(newTemplate, stack));
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  formatDifferences(stream, diff, paths);
  return chunks.join('');
}
