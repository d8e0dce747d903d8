/**
 * Rollouts after a cluster certificate rotation.
 *
 * ECS tasks and EC2 instances read the cluster certificate from Secrets Manager only when they
 * start, so after a new secret version is written each runtime must replace its workers with its
 * own zero-outage mechanism:
 *
 * - `ecs-service`: `UpdateService` with `forceNewDeployment`; the service's own deployment
 *   configuration (minimum healthy percent, circuit breaker) keeps capacity.
 * - `auto-scaling-group`: `StartInstanceRefresh`, Rolling, `MinHealthyPercentage: 100` and
 *   `MaxHealthyPercentage: 200` (launch before terminate), `SkipMatching: false` (every instance
 *   is replaced, even one already on the latest launch template). A refresh already in progress
 *   may have replaced instances before the new secret existed: it is cancelled, awaited (bounded
 *   polling) and replaced by a new one.
 *
 * Clients are created with `{}` so that region, endpoint (`AWS_REGION`, `AWS_ENDPOINT_URL`) and
 * credentials come from the environment.
 */
import {
  AutoScalingClient,
  CancelInstanceRefreshCommand,
  DescribeInstanceRefreshesCommand,
  StartInstanceRefreshCommand,
} from '@aws-sdk/client-auto-scaling';
import { ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { KongFleetError } from '../../kong/errors';

/** One runtime whose workers must be replaced after the certificate changed. */
export type RolloutTarget =
  | { readonly type: 'ecs-service'; readonly cluster: string; readonly service: string }
  | { readonly type: 'auto-scaling-group'; readonly name: string };

/** The outcome of triggering one target; `detail` holds only names, ids and error names/messages. */
export interface RolloutResult {
  readonly target: RolloutTarget;
  readonly ok: boolean;
  readonly detail: string;
}

/** Clients to use instead of creating new ones (those passed in are never destroyed). */
export interface RolloutClients {
  readonly ecs?: ECSClient;
  readonly autoScaling?: AutoScalingClient;
}

/** Polling of a cancelled instance refresh until it is no longer active. */
export interface RolloutOptions {
  /** Delay between two `DescribeInstanceRefreshes` calls. Default {@link DEFAULT_POLL_DELAY_MS}. */
  readonly pollDelayMs?: number;
  /** How many times to describe the cancelled refresh before giving up. Default {@link DEFAULT_MAX_POLLS}. */
  readonly maxPolls?: number;
}

/** Default delay between two polls of a cancelled instance refresh. */
export const DEFAULT_POLL_DELAY_MS = 5_000;
/** Default number of polls of a cancelled instance refresh (with the default delay: two minutes). */
export const DEFAULT_MAX_POLLS = 24;

/** The instance refresh preferences of a certificate rollout: launch before terminate, replace all. */
export const INSTANCE_REFRESH_PREFERENCES = {
  MinHealthyPercentage: 100,
  MaxHealthyPercentage: 200,
  SkipMatching: false,
} as const;

/** Names and ARNs of ECS clusters and services, names of Auto Scaling groups. */
const NAME_PATTERN = /^[A-Za-z0-9:/_.-]{1,255}$/;
const NAME_RULE = '1 to 255 characters of A-Z a-z 0-9 : / _ . -';
const TYPES = ['ecs-service', 'auto-scaling-group'] as const;
const KEYS: Record<RolloutTarget['type'], readonly string[]> = {
  'ecs-service': ['type', 'cluster', 'service'],
  'auto-scaling-group': ['type', 'name'],
};
/** Instance refresh states in which `StartInstanceRefresh` fails with `InstanceRefreshInProgressFault`. */
const ACTIVE_REFRESH_STATES = new Set(['Pending', 'InProgress', 'Cancelling', 'Baking', 'RollbackInProgress']);
const MAX_ERROR_MESSAGE_LENGTH = 300;
const MAX_GOT_LENGTH = 200;

/**
 * Parses the handler property `RolloutTargets`: a JSON string (as CloudFormation passes it), or an
 * already-parsed array; `undefined` means no targets. Every problem is a {@link KongFleetError}
 * whose `where` is `<where>[<index>].<field>`.
 */
export function parseRolloutTargets(raw: unknown, where: string): RolloutTarget[] {
  if (raw === undefined) return [];
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new KongFleetError(where, 'not JSON', {
        got: raw.length > MAX_GOT_LENGTH ? `${raw.slice(0, MAX_GOT_LENGTH)}…` : raw,
        expected: 'a JSON array of rollout targets',
      });
    }
  }
  if (!Array.isArray(value)) {
    throw new KongFleetError(where, 'not a list of rollout targets', { got: value, expected: 'an array' });
  }
  const targets = value.map((item, index) => parseTarget(item, `${where}[${index}]`));
  const seen = new Map<string, number>();
  targets.forEach((target, index) => {
    const key = describeTarget(target);
    const first = seen.get(key);
    if (first !== undefined) {
      // Two rollouts of one Auto Scaling group would cancel each other's instance refresh.
      throw new KongFleetError(`${where}[${index}]`, `duplicate of ${where}[${first}]`, { got: key });
    }
    seen.set(key, index);
  });
  return targets;
}

function parseTarget(item: unknown, where: string): RolloutTarget {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new KongFleetError(where, 'not a rollout target', { got: item, expected: 'an object with a type' });
  }
  const record = item as Record<string, unknown>;
  const type = record.type;
  if (!isTargetType(type)) {
    throw new KongFleetError(`${where}.type`, 'not a rollout target type', {
      got: type,
      expected: TYPES.join(' or '),
    });
  }
  for (const key of Object.keys(record)) {
    if (!KEYS[type].includes(key)) {
      throw new KongFleetError(`${where}.${key}`, `unknown key of an ${type} target`, {
        expected: `only ${KEYS[type].join(', ')}`,
      });
    }
  }
  if (type === 'ecs-service') {
    return {
      type,
      cluster: parseName(record.cluster, `${where}.cluster`, 'an ECS cluster name or ARN'),
      service: parseName(record.service, `${where}.service`, 'an ECS service name or ARN'),
    };
  }
  return { type, name: parseName(record.name, `${where}.name`, 'an Auto Scaling group name') };
}

function isTargetType(value: unknown): value is RolloutTarget['type'] {
  return typeof value === 'string' && (TYPES as readonly string[]).includes(value);
}

function parseName(value: unknown, where: string, what: string): string {
  if (typeof value !== 'string' || !NAME_PATTERN.test(value)) {
    throw new KongFleetError(where, `not ${what}`, { got: value, expected: NAME_RULE });
  }
  return value;
}

/** A short human description of a target for logs: `ecs-service <cluster>/<service>`, `auto-scaling-group <name>`. */
export function describeTarget(t: RolloutTarget): string {
  return t.type === 'ecs-service' ? `ecs-service ${t.cluster}/${t.service}` : `auto-scaling-group ${t.name}`;
}

/**
 * Triggers the rollout of every target, concurrently; every target is attempted even if others
 * fail, and a target's failure is reported as `ok: false` in its result, never thrown. Results
 * are in the order of `targets`. Clients not passed in are created only for the kinds of
 * targets present and destroyed before returning.
 */
export async function triggerRollouts(
  targets: readonly RolloutTarget[],
  clients: RolloutClients = {},
  options: RolloutOptions = {},
): Promise<RolloutResult[]> {
  const polling = {
    delayMs: Math.max(0, options.pollDelayMs ?? DEFAULT_POLL_DELAY_MS),
    maxPolls: Math.max(1, Math.floor(options.maxPolls ?? DEFAULT_MAX_POLLS)),
  };
  const created: Array<{ destroy(): void }> = [];
  let ecs = clients.ecs;
  let autoScaling = clients.autoScaling;
  if (!ecs && targets.some((t) => t.type === 'ecs-service')) {
    ecs = new ECSClient({});
    created.push(ecs);
  }
  if (!autoScaling && targets.some((t) => t.type === 'auto-scaling-group')) {
    autoScaling = new AutoScalingClient({});
    created.push(autoScaling);
  }
  try {
    return await Promise.all(
      targets.map(async (target): Promise<RolloutResult> => {
        try {
          const detail =
            target.type === 'ecs-service'
              ? await redeployService(ecs as ECSClient, target.cluster, target.service)
              : await refreshInstances(autoScaling as AutoScalingClient, target.name, polling);
          return { target, ok: true, detail };
        } catch (error) {
          return { target, ok: false, detail: describeError(error) };
        }
      }),
    );
  } finally {
    for (const client of created) client.destroy();
  }
}

/** A new deployment of the service with the same task definition; returns the detail. */
async function redeployService(ecs: ECSClient, cluster: string, service: string): Promise<string> {
  const out = await ecs.send(new UpdateServiceCommand({ cluster, service, forceNewDeployment: true }));
  const primary = out.service?.deployments?.find((d) => d.status === 'PRIMARY');
  return primary?.id ? `new deployment ${primary.id}` : 'new deployment requested';
}

/** Starts an instance refresh, replacing one in progress; returns the detail. */
async function refreshInstances(
  client: AutoScalingClient,
  name: string,
  polling: { delayMs: number; maxPolls: number },
): Promise<string> {
  try {
    return `instance refresh ${await startRefresh(client, name)} started`;
  } catch (error) {
    if (errorName(error) !== 'InstanceRefreshInProgressFault') throw error;
  }

  let cancelled: string | undefined;
  try {
    cancelled = (await client.send(new CancelInstanceRefreshCommand({ AutoScalingGroupName: name }))).InstanceRefreshId;
  } catch (error) {
    // The refresh ended between the start and the cancel: nothing left to cancel.
    if (errorName(error) !== 'ActiveInstanceRefreshNotFoundFault') throw error;
  }

  let active: { id?: string; status?: string } | undefined;
  for (let poll = 1; poll <= polling.maxPolls; poll++) {
    const out = await client.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: name }));
    const refresh = out.InstanceRefreshes?.find((r) => r.Status !== undefined && ACTIVE_REFRESH_STATES.has(r.Status));
    active = refresh ? { id: refresh.InstanceRefreshId, status: refresh.Status } : undefined;
    if (!active) break;
    if (poll < polling.maxPolls) await sleep(polling.delayMs);
  }
  if (active) {
    throw new RolloutError(
      `instance refresh ${active.id ?? '(no id)'} still ${active.status} after ${polling.maxPolls} polls; ` +
        'no new instance refresh started',
    );
  }

  const id = await startRefresh(client, name);
  return cancelled
    ? `instance refresh ${id} started (cancelled instance refresh ${cancelled} that was in progress)`
    : `instance refresh ${id} started (an instance refresh in progress ended first)`;
}

async function startRefresh(client: AutoScalingClient, name: string): Promise<string> {
  const out = await client.send(
    new StartInstanceRefreshCommand({
      AutoScalingGroupName: name,
      Strategy: 'Rolling',
      Preferences: { ...INSTANCE_REFRESH_PREFERENCES },
    }),
  );
  return out.InstanceRefreshId ?? '(no id)';
}

/** A failure found by this module (not by an AWS API). */
class RolloutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RolloutError';
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** `<name>: <message>` on one line, bounded in length. */
function describeError(error: unknown): string {
  const name = error instanceof Error ? error.name : 'Error';
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  const bounded =
    message.length > MAX_ERROR_MESSAGE_LENGTH ? `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH)}…` : message;
  return bounded ? `${name}: ${bounded}` : name;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}
