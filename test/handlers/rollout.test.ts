/**
 * Tests of the rollouts that follow a cluster certificate rotation (src/handlers/cluster-certificate/rollout.ts),
 * against a real moto_server.
 *
 * moto 5.x models ECS `UpdateService` with `forceNewDeployment` (the PRIMARY deployment gets a new
 * id and creation time), but implements none of `StartInstanceRefresh`, `CancelInstanceRefresh`
 * and `DescribeInstanceRefreshes` (HTTP 500 "has not been implemented"). The Auto Scaling tests
 * therefore use `MotoAsgWithEmulatedInstanceRefresh`: a client that sends every other command to
 * moto and emulates the three instance refresh commands in memory, for groups that really exist
 * in moto.
 */
import {
  ActiveInstanceRefreshNotFoundFault,
  AutoScalingClient,
  AutoScalingServiceException,
  CancelInstanceRefreshCommand,
  CreateAutoScalingGroupCommand,
  CreateLaunchConfigurationCommand,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  type InstanceRefresh,
  InstanceRefreshInProgressFault,
  StartInstanceRefreshCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  type Deployment,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { KongFleetError } from '../../src/kong/errors';
import {
  describeTarget,
  parseRolloutTargets,
  type RolloutTarget,
  triggerRollouts,
} from '../../src/handlers/cluster-certificate/rollout';
import { startMoto, type Moto } from '../support/moto';

const WHERE = 'ClusterCertificate.RolloutTargets';

let moto: Moto;
let ecs: ECSClient;
let autoScaling: AutoScalingClient;

beforeAll(async () => {
  moto = await startMoto();
  ecs = new ECSClient({});
  autoScaling = new AutoScalingClient({});
}, 60_000);

afterAll(async () => {
  ecs?.destroy();
  autoScaling?.destroy();
  await moto?.stop();
});

beforeEach(async () => {
  await moto.reset();
});

afterEach(() => {
  jest.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------
// helpers

/** The first `<tag>` value of an EC2 Query API answer of moto (this repo has no EC2 client). */
async function ec2Query(params: string, tag: string): Promise<string> {
  const response = await fetch(moto.endpoint, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      // moto routes by the service in the credential scope; it does not check the signature.
      Authorization:
        'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: `Version=2016-11-15&${params}`,
  });
  const value = new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(await response.text())?.[1];
  if (!response.ok || !value) throw new Error(`moto EC2 ${params}: no ${tag} (HTTP ${response.status})`);
  return value;
}

/** A default subnet and the default security group of moto's default VPC. */
async function defaultNetwork(): Promise<{ subnet: string; securityGroup: string }> {
  return {
    subnet: await ec2Query('Action=DescribeSubnets&Filter.1.Name=default-for-az&Filter.1.Value.1=true', 'subnetId'),
    securityGroup: await ec2Query(
      'Action=DescribeSecurityGroups&Filter.1.Name=group-name&Filter.1.Value.1=default',
      'groupId',
    ),
  };
}

/** An ECS cluster with a Fargate service of a Fargate-compatible task definition; returns the cluster ARN. */
async function createEcsService(cluster: string, service: string): Promise<string> {
  const network = await defaultNetwork();
  const created = await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: `${cluster}-${service}`,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: '512',
      memory: '1024',
      containerDefinitions: [{ name: 'kong', image: 'kong/kong-gateway:3.9', essential: true }],
    }),
  );
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: service,
      taskDefinition: `${cluster}-${service}`,
      desiredCount: 2,
      launchType: 'FARGATE',
      networkConfiguration: {
        awsvpcConfiguration: { subnets: [network.subnet], securityGroups: [network.securityGroup] },
      },
      deploymentConfiguration: {
        minimumHealthyPercent: 100,
        maximumPercent: 200,
        deploymentCircuitBreaker: { enable: true, rollback: true },
      },
    }),
  );
  if (!created.cluster?.clusterArn) throw new Error('moto returned no cluster ARN');
  return created.cluster.clusterArn;
}

async function deploymentsOf(cluster: string, service: string): Promise<Deployment[]> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  return out.services?.[0]?.deployments ?? [];
}

/** An Auto Scaling group with one running instance (a launch configuration: this repo has no EC2 client). */
async function createAutoScalingGroup(name: string): Promise<void> {
  await autoScaling.send(
    new CreateLaunchConfigurationCommand({
      LaunchConfigurationName: `${name}-lc`,
      ImageId: 'ami-12c6146b',
      InstanceType: 't3.micro',
    }),
  );
  await autoScaling.send(
    new CreateAutoScalingGroupCommand({
      AutoScalingGroupName: name,
      LaunchConfigurationName: `${name}-lc`,
      MinSize: 1,
      MaxSize: 2,
      DesiredCapacity: 1,
      AvailabilityZones: ['us-east-1a'],
    }),
  );
}

interface EmulatorOptions {
  /** How many `DescribeInstanceRefreshes` calls a cancelled refresh stays `Cancelling`; `Infinity`: forever. */
  readonly cancellingDescribes?: number;
  /** The refresh in progress ends (Successful) when `CancelInstanceRefresh` arrives, before it is cancelled. */
  readonly endsBeforeCancel?: boolean;
}

/**
 * A stand-in for an AutoScalingClient: every command goes to the real moto_server except the
 * instance refresh commands moto does not implement, which are emulated here with AWS's
 * documented behaviour (one active refresh per group, `InstanceRefreshInProgressFault`,
 * `Cancelling` → `Cancelled`, newest refresh first) for groups that exist in moto.
 */
class MotoAsgWithEmulatedInstanceRefresh {
  /** Every command sent, as `<CommandName> <group>`. */
  readonly calls: string[] = [];
  /** The Strategy of each started refresh (not part of the DescribeInstanceRefreshes output). */
  readonly strategies = new Map<string, string | undefined>();
  private readonly refreshes = new Map<string, InstanceRefresh[]>();
  private readonly describesLeft = new Map<string, number>();
  private counter = 0;

  constructor(
    private readonly real: AutoScalingClient,
    private readonly options: EmulatorOptions = {},
  ) {}

  get client(): AutoScalingClient {
    return this as unknown as AutoScalingClient;
  }

  async send(command: any): Promise<any> {
    const group: string | undefined = command.input?.AutoScalingGroupName;
    this.calls.push(`${command.constructor.name} ${group ?? ''}`.trim());
    if (command instanceof StartInstanceRefreshCommand) {
      await this.requireGroup(command.input.AutoScalingGroupName);
      const list = this.listOf(command.input.AutoScalingGroupName);
      if (list.some(isActive)) {
        throw new InstanceRefreshInProgressFault({
          message: `An Instance Refresh is already in progress and blocks the execution of this Instance Refresh.`,
          $metadata: { httpStatusCode: 400 },
        });
      }
      const id = `refresh-${++this.counter}`;
      list.unshift({
        InstanceRefreshId: id,
        AutoScalingGroupName: command.input.AutoScalingGroupName,
        Status: 'Pending',
        Preferences: command.input.Preferences,
        StartTime: new Date(),
      });
      this.strategies.set(id, command.input.Strategy);
      return { InstanceRefreshId: id, $metadata: {} };
    }
    if (command instanceof CancelInstanceRefreshCommand) {
      await this.requireGroup(command.input.AutoScalingGroupName);
      const active = this.listOf(command.input.AutoScalingGroupName).find(isActive);
      if (active && this.options.endsBeforeCancel) active.Status = 'Successful';
      if (!active || active.Status === 'Successful' || active.Status === 'Cancelling') {
        throw new ActiveInstanceRefreshNotFoundFault({
          message: 'No in progress or pending Instance Refresh found for Auto Scaling group',
          $metadata: { httpStatusCode: 400 },
        });
      }
      active.Status = 'Cancelling';
      this.describesLeft.set(active.InstanceRefreshId ?? '', this.options.cancellingDescribes ?? 1);
      return { InstanceRefreshId: active.InstanceRefreshId, $metadata: {} };
    }
    if (command instanceof DescribeInstanceRefreshesCommand) {
      await this.requireGroup(command.input.AutoScalingGroupName);
      const list = this.listOf(command.input.AutoScalingGroupName);
      const snapshot = list.map((r) => ({ ...r }));
      for (const refresh of list) {
        if (refresh.Status !== 'Cancelling') continue;
        const left = (this.describesLeft.get(refresh.InstanceRefreshId ?? '') ?? 0) - 1;
        this.describesLeft.set(refresh.InstanceRefreshId ?? '', left);
        if (left <= 0) refresh.Status = 'Cancelled';
      }
      return { InstanceRefreshes: snapshot, $metadata: {} };
    }
    return this.real.send(command);
  }

  destroy(): void {
    throw new Error('triggerRollouts must not destroy a client it was given');
  }

  /** Puts a refresh in progress, as if a deployment had started one before the secret changed. */
  async startUnrelatedRefresh(group: string): Promise<string> {
    const out = await this.send(new StartInstanceRefreshCommand({ AutoScalingGroupName: group }));
    this.listOf(group)[0].Status = 'InProgress';
    this.calls.length = 0;
    return out.InstanceRefreshId;
  }

  /** What `DescribeInstanceRefreshes` reports now, without advancing any state. */
  refreshesOf(group: string): InstanceRefresh[] {
    return this.listOf(group).map((r) => ({ ...r }));
  }

  private listOf(group: string | undefined): InstanceRefresh[] {
    const key = group ?? '';
    let list = this.refreshes.get(key);
    if (!list) this.refreshes.set(key, (list = []));
    return list;
  }

  private async requireGroup(group: string | undefined): Promise<void> {
    const out = await this.real.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group ?? ''] }));
    if ((out.AutoScalingGroups ?? []).length === 0) {
      throw new AutoScalingServiceException({
        name: 'ValidationError',
        $fault: 'client',
        message: `AutoScalingGroup name not found - AutoScalingGroup '${group}' not found`,
        $metadata: { httpStatusCode: 400 },
      });
    }
  }
}

function isActive(refresh: InstanceRefresh): boolean {
  return ['Pending', 'InProgress', 'Cancelling', 'Baking', 'RollbackInProgress'].includes(refresh.Status ?? '');
}

/** The `where` of the KongFleetError `fn` throws. */
function whereOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof KongFleetError) return error.where;
    throw error;
  }
  throw new Error('expected a KongFleetError, nothing was thrown');
}

const ECS_TARGET: RolloutTarget = { type: 'ecs-service', cluster: 'kong', service: 'dp' };
const ASG_TARGET: RolloutTarget = { type: 'auto-scaling-group', name: 'kong-dp-asg' };

// ---------------------------------------------------------------------------------------------
// parseRolloutTargets

describe('parseRolloutTargets', () => {
  test('reads a JSON string, an already-parsed array and undefined', () => {
    const json = JSON.stringify([ECS_TARGET, ASG_TARGET]);
    expect(parseRolloutTargets(json, WHERE)).toEqual([ECS_TARGET, ASG_TARGET]);
    expect(parseRolloutTargets([ASG_TARGET], WHERE)).toEqual([ASG_TARGET]);
    expect(parseRolloutTargets(undefined, WHERE)).toEqual([]);
    expect(parseRolloutTargets('[]', WHERE)).toEqual([]);
  });

  test('accepts an ECS cluster ARN and names with the allowed punctuation', () => {
    const clusterArn = ['arn', 'aws', 'ecs', 'us-east-1', '123456789012', 'cluster/kong_prod.v2'].join(':');
    const target = { type: 'ecs-service', cluster: clusterArn, service: 'kong-dp.v2' };
    expect(parseRolloutTargets([target], WHERE)).toEqual([target]);
    expect(parseRolloutTargets([{ type: 'auto-scaling-group', name: 'a'.repeat(255) }], WHERE)).toHaveLength(1);
  });

  test('rejects a value that is not JSON, naming the property', () => {
    expect(() => parseRolloutTargets('[{"type":', WHERE)).toThrow(`${WHERE}: not JSON`);
    expect(whereOf(() => parseRolloutTargets('', WHERE))).toBe(WHERE);
  });

  test('rejects a value that is not an array', () => {
    expect(whereOf(() => parseRolloutTargets('{"type":"ecs-service"}', WHERE))).toBe(WHERE);
    expect(whereOf(() => parseRolloutTargets('null', WHERE))).toBe(WHERE);
    expect(whereOf(() => parseRolloutTargets(42, WHERE))).toBe(WHERE);
  });

  test('rejects an element that is not an object', () => {
    expect(whereOf(() => parseRolloutTargets([ASG_TARGET, 'kong-dp-asg'], WHERE))).toBe(`${WHERE}[1]`);
    expect(whereOf(() => parseRolloutTargets([null], WHERE))).toBe(`${WHERE}[0]`);
    expect(whereOf(() => parseRolloutTargets([[ASG_TARGET]], WHERE))).toBe(`${WHERE}[0]`);
  });

  test('rejects a missing or wrong type', () => {
    expect(() => parseRolloutTargets([ECS_TARGET, { type: 'eks-deployment', name: 'x' }], WHERE)).toThrow(
      `${WHERE}[1].type: not a rollout target type (got "eks-deployment"; expected ecs-service or auto-scaling-group)`,
    );
    expect(whereOf(() => parseRolloutTargets([{ name: 'x' }], WHERE))).toBe(`${WHERE}[0].type`);
    expect(whereOf(() => parseRolloutTargets([{ type: 7, name: 'x' }], WHERE))).toBe(`${WHERE}[0].type`);
  });

  test('rejects an empty, missing, too long or malformed name', () => {
    expect(() => parseRolloutTargets([ECS_TARGET, { type: 'auto-scaling-group', name: '' }], WHERE)).toThrow(
      `${WHERE}[1].name: not an Auto Scaling group name (got ""; expected 1 to 255 characters`,
    );
    expect(whereOf(() => parseRolloutTargets([{ type: 'auto-scaling-group' }], WHERE))).toBe(`${WHERE}[0].name`);
    expect(whereOf(() => parseRolloutTargets([{ type: 'auto-scaling-group', name: 'a'.repeat(256) }], WHERE))).toBe(
      `${WHERE}[0].name`,
    );
    expect(whereOf(() => parseRolloutTargets([{ type: 'auto-scaling-group', name: 'kong dp' }], WHERE))).toBe(
      `${WHERE}[0].name`,
    );
    expect(whereOf(() => parseRolloutTargets([{ type: 'ecs-service', cluster: '', service: 'dp' }], WHERE))).toBe(
      `${WHERE}[0].cluster`,
    );
    expect(whereOf(() => parseRolloutTargets([{ type: 'ecs-service', cluster: 'kong', service: 5 }], WHERE))).toBe(
      `${WHERE}[0].service`,
    );
    expect(whereOf(() => parseRolloutTargets([{ type: 'ecs-service', cluster: 'kong' }], WHERE))).toBe(
      `${WHERE}[0].service`,
    );
  });

  test('rejects an unknown key, including a key of the other target type', () => {
    expect(() => parseRolloutTargets([{ ...ECS_TARGET, region: 'us-west-2' }], WHERE)).toThrow(
      `${WHERE}[0].region: unknown key of an ecs-service target (expected only type, cluster, service)`,
    );
    expect(whereOf(() => parseRolloutTargets([ASG_TARGET, { ...ASG_TARGET, name: 'b', cluster: 'kong' }], WHERE))).toBe(
      `${WHERE}[1].cluster`,
    );
  });

  test('rejects a target listed twice', () => {
    expect(() => parseRolloutTargets([ASG_TARGET, ECS_TARGET, { ...ASG_TARGET }], WHERE)).toThrow(
      `${WHERE}[2]: duplicate of ${WHERE}[0]`,
    );
  });
});

describe('describeTarget', () => {
  test('names the kind and the resource', () => {
    expect(describeTarget(ECS_TARGET)).toBe('ecs-service kong/dp');
    expect(describeTarget(ASG_TARGET)).toBe('auto-scaling-group kong-dp-asg');
  });
});

// ---------------------------------------------------------------------------------------------
// triggerRollouts: ECS (moto models it)

describe('triggerRollouts: ECS services (moto)', () => {
  test('forces a new deployment: the PRIMARY deployment gets a new id, same task definition', async () => {
    await createEcsService('kong', 'dp');
    const [before] = await deploymentsOf('kong', 'dp');
    expect(before).toMatchObject({ status: 'PRIMARY', id: expect.stringMatching(/^ecs-svc\//) });

    const results = await triggerRollouts([ECS_TARGET]);

    const after = await deploymentsOf('kong', 'dp');
    expect(after).toHaveLength(1);
    expect(after[0].status).toBe('PRIMARY');
    expect(after[0].id).toMatch(/^ecs-svc\//);
    expect(after[0].id).not.toBe(before.id);
    expect(after[0].taskDefinition).toBe(before.taskDefinition);
    expect(after[0].createdAt!.getTime()).toBeGreaterThanOrEqual(before.createdAt!.getTime());
    expect(results).toEqual([{ target: ECS_TARGET, ok: true, detail: `new deployment ${after[0].id}` }]);
  });

  test('accepts the cluster as an ARN', async () => {
    const clusterArn = await createEcsService('kong', 'dp');
    const [before] = await deploymentsOf('kong', 'dp');

    const [result] = await triggerRollouts([{ type: 'ecs-service', cluster: clusterArn, service: 'dp' }]);

    const [after] = await deploymentsOf('kong', 'dp');
    expect(result.ok).toBe(true);
    expect(after.id).not.toBe(before.id);
  });

  test('a missing service or cluster fails that target only; the others still roll out', async () => {
    await createEcsService('kong', 'dp');
    await createEcsService('kong-eu', 'dp');
    const before = await Promise.all([deploymentsOf('kong', 'dp'), deploymentsOf('kong-eu', 'dp')]);
    const targets: RolloutTarget[] = [
      { type: 'ecs-service', cluster: 'kong', service: 'missing' },
      ECS_TARGET,
      { type: 'ecs-service', cluster: 'no-such-cluster', service: 'dp' },
      { type: 'ecs-service', cluster: 'kong-eu', service: 'dp' },
    ];

    const results = await triggerRollouts(targets);

    const after = await Promise.all([deploymentsOf('kong', 'dp'), deploymentsOf('kong-eu', 'dp')]);
    expect(results.map((r) => r.target)).toEqual(targets);
    expect(results.map((r) => r.ok)).toEqual([false, true, false, true]);
    expect(results[0].detail).toBe('ServiceNotFoundException: Service not found.');
    expect(results[2].detail).toBe('ClusterNotFoundException: Cluster not found.');
    expect(after[0][0].id).not.toBe(before[0][0].id);
    expect(after[1][0].id).not.toBe(before[1][0].id);
    expect(results[1].detail).toBe(`new deployment ${after[0][0].id}`);
  });

  test('creates and destroys only the clients for the kinds present; leaves given clients alone', async () => {
    await createEcsService('kong', 'dp');
    const ecsDestroy = jest.spyOn(ECSClient.prototype, 'destroy');
    const asgDestroy = jest.spyOn(AutoScalingClient.prototype, 'destroy');

    await triggerRollouts([ECS_TARGET]);
    expect(ecsDestroy).toHaveBeenCalledTimes(1);
    expect(asgDestroy).not.toHaveBeenCalled();

    ecsDestroy.mockClear();
    const given = new ECSClient({});
    try {
      const [result] = await triggerRollouts([ECS_TARGET], { ecs: given });
      expect(result.ok).toBe(true);
      expect(ecsDestroy).not.toHaveBeenCalled();
    } finally {
      given.destroy();
    }

    await expect(triggerRollouts([])).resolves.toEqual([]);
    expect(ecsDestroy).toHaveBeenCalledTimes(1); // the `given.destroy()` above only
    expect(asgDestroy).not.toHaveBeenCalled();
  });
});

// ---------------------------------------------------------------------------------------------
// triggerRollouts: Auto Scaling groups (groups in moto, instance refreshes emulated)

describe('triggerRollouts: Auto Scaling groups (MotoAsgWithEmulatedInstanceRefresh)', () => {
  test('moto_server does not implement DescribeInstanceRefreshes (why the emulator exists)', async () => {
    const noRetry = new AutoScalingClient({ maxAttempts: 1 });
    try {
      await createAutoScalingGroup(ASG_TARGET.name);
      await expect(
        noRetry.send(new DescribeInstanceRefreshesCommand({ AutoScalingGroupName: ASG_TARGET.name })),
      ).rejects.toMatchObject({ $metadata: { httpStatusCode: 500 } });
    } finally {
      noRetry.destroy();
    }
  });

  test('starts a Rolling instance refresh that launches before terminating and replaces every instance', async () => {
    await createAutoScalingGroup(ASG_TARGET.name);
    const emulator = new MotoAsgWithEmulatedInstanceRefresh(autoScaling);

    const results = await triggerRollouts([ASG_TARGET], { autoScaling: emulator.client }, { pollDelayMs: 0 });

    const refreshes = emulator.refreshesOf(ASG_TARGET.name);
    expect(refreshes).toHaveLength(1);
    expect(refreshes[0]).toMatchObject({
      Status: 'Pending',
      Preferences: { MinHealthyPercentage: 100, MaxHealthyPercentage: 200, SkipMatching: false },
    });
    expect(emulator.strategies.get(refreshes[0].InstanceRefreshId!)).toBe('Rolling');
    expect(emulator.calls).toEqual([`StartInstanceRefreshCommand ${ASG_TARGET.name}`]);
    expect(results).toEqual([
      { target: ASG_TARGET, ok: true, detail: `instance refresh ${refreshes[0].InstanceRefreshId} started` },
    ]);
  });

  test('cancels an instance refresh in progress, waits until it is cancelled, then starts a new one', async () => {
    await createAutoScalingGroup(ASG_TARGET.name);
    const emulator = new MotoAsgWithEmulatedInstanceRefresh(autoScaling, { cancellingDescribes: 2 });
    const old = await emulator.startUnrelatedRefresh(ASG_TARGET.name);

    const [result] = await triggerRollouts([ASG_TARGET], { autoScaling: emulator.client }, { pollDelayMs: 1 });

    const refreshes = emulator.refreshesOf(ASG_TARGET.name);
    expect(refreshes.map((r) => [r.InstanceRefreshId, r.Status])).toEqual([
      [expect.not.stringMatching(old), 'Pending'],
      [old, 'Cancelled'],
    ]);
    expect(refreshes[0].Preferences).toEqual({
      MinHealthyPercentage: 100,
      MaxHealthyPercentage: 200,
      SkipMatching: false,
    });
    expect(emulator.calls).toEqual([
      `StartInstanceRefreshCommand ${ASG_TARGET.name}`,
      `CancelInstanceRefreshCommand ${ASG_TARGET.name}`,
      `DescribeInstanceRefreshesCommand ${ASG_TARGET.name}`, // Cancelling
      `DescribeInstanceRefreshesCommand ${ASG_TARGET.name}`, // Cancelling
      `DescribeInstanceRefreshesCommand ${ASG_TARGET.name}`, // Cancelled
      `StartInstanceRefreshCommand ${ASG_TARGET.name}`,
    ]);
    expect(result).toEqual({
      target: ASG_TARGET,
      ok: true,
      detail: `instance refresh ${refreshes[0].InstanceRefreshId} started (cancelled instance refresh ${old} that was in progress)`,
    });
  });

  test('starts a new refresh when the one in progress ended before it could be cancelled', async () => {
    await createAutoScalingGroup(ASG_TARGET.name);
    const emulator = new MotoAsgWithEmulatedInstanceRefresh(autoScaling, { endsBeforeCancel: true });
    const old = await emulator.startUnrelatedRefresh(ASG_TARGET.name);

    const [result] = await triggerRollouts([ASG_TARGET], { autoScaling: emulator.client }, { pollDelayMs: 0 });

    const refreshes = emulator.refreshesOf(ASG_TARGET.name);
    expect(refreshes.map((r) => r.Status)).toEqual(['Pending', 'Successful']);
    expect(refreshes[1].InstanceRefreshId).toBe(old);
    expect(result.ok).toBe(true);
    expect(result.detail).toBe(
      `instance refresh ${refreshes[0].InstanceRefreshId} started (an instance refresh in progress ended first)`,
    );
  });

  test('fails the target when the cancelled refresh is still cancelling after maxPolls', async () => {
    await createAutoScalingGroup(ASG_TARGET.name);
    const emulator = new MotoAsgWithEmulatedInstanceRefresh(autoScaling, { cancellingDescribes: Infinity });
    const old = await emulator.startUnrelatedRefresh(ASG_TARGET.name);

    const [result] = await triggerRollouts(
      [ASG_TARGET],
      { autoScaling: emulator.client },
      { pollDelayMs: 1, maxPolls: 3 },
    );

    expect(result).toEqual({
      target: ASG_TARGET,
      ok: false,
      detail: `RolloutError: instance refresh ${old} still Cancelling after 3 polls; no new instance refresh started`,
    });
    expect(emulator.calls.filter((c) => c.startsWith('DescribeInstanceRefreshes'))).toHaveLength(3);
    expect(emulator.calls.filter((c) => c.startsWith('StartInstanceRefresh'))).toHaveLength(1);
    expect(emulator.refreshesOf(ASG_TARGET.name).map((r) => r.Status)).toEqual(['Cancelling']);
  });

  test('a missing group fails that target only; ECS services and other groups still roll out', async () => {
    await createAutoScalingGroup(ASG_TARGET.name);
    await createEcsService('kong', 'dp');
    const [before] = await deploymentsOf('kong', 'dp');
    const emulator = new MotoAsgWithEmulatedInstanceRefresh(autoScaling);
    const missing: RolloutTarget = { type: 'auto-scaling-group', name: 'no-such-asg' };

    const results = await triggerRollouts(
      [missing, ECS_TARGET, ASG_TARGET],
      { autoScaling: emulator.client },
      { pollDelayMs: 0 },
    );

    const [after] = await deploymentsOf('kong', 'dp');
    const [refresh] = emulator.refreshesOf(ASG_TARGET.name);
    expect(results).toEqual([
      {
        target: missing,
        ok: false,
        detail: `ValidationError: AutoScalingGroup name not found - AutoScalingGroup 'no-such-asg' not found`,
      },
      { target: ECS_TARGET, ok: true, detail: `new deployment ${after.id}` },
      { target: ASG_TARGET, ok: true, detail: `instance refresh ${refresh.InstanceRefreshId} started` },
    ]);
    expect(after.id).not.toBe(before.id);
    expect(emulator.refreshesOf('no-such-asg')).toEqual([]);
  });
});
