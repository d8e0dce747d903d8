/**
 * The data-plane life cycle, as `kong-fleet plan A B` sees it: each scenario edits a fleet file
 * and checks the plan's verdict and its blast radius — in every DP-only change the control
 * plane's template and every other data plane's template stay byte-identical.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { stringify } from 'yaml';
import { EXIT, main, synthesizeTemplates } from '../../src/cli/main';
import { parseFleet } from '../../src/fleet/load';
import type { FleetModel } from '../../src/fleet/model';
import { planFleet, StackTemplates } from '../../src/fleet/plan';

type Doc = Record<string, any>;

/** The base fleet: an EKS CP in us-east-1 (Kong 3.10), DPs on EKS (shared cluster), ECS and EC2, pki. */
function base(): Doc {
  return {
    name: 'life',
    kong: { version: '3.10.0.6', licenseSecret: 'kong-license' },
    controlPlane: {
      runtime: 'eks',
      region: 'us-east-1',
      endpoints: {
        hostedZone: 'kong.example.com',
        hostedZoneId: 'Z0000000000000000000',
        cluster: 'cluster.kong.example.com',
        telemetry: 'telemetry.kong.example.com',
      },
      database: { instanceType: 't4g.medium', multiAz: true },
    },
    certificates: { mode: 'pki' },
    dataPlanes: [
      { name: 'dp-eks-a', runtime: 'eks', region: 'us-east-1', cluster: 'edge', replicas: { min: 2, max: 10 } },
      { name: 'dp-eks-b', runtime: 'eks', region: 'us-east-1', cluster: 'edge' },
      { name: 'dp-ecs', runtime: 'ecs', region: 'eu-west-1' },
      { name: 'dp-ec2', runtime: 'ec2', region: 'eu-west-1', version: '3.10.0.6' },
    ],
  };
}

function model(doc: Doc): FleetModel {
  const { model: parsed, issues } = parseFleet(stringify(doc));
  if (!parsed) throw new Error(`fixture is invalid: ${JSON.stringify(issues)}`);
  return parsed;
}

const synthCache = new Map<string, StackTemplates>();
function templates(m: FleetModel): StackTemplates {
  const key = JSON.stringify(m);
  if (!synthCache.has(key)) synthCache.set(key, synthesizeTemplates(m));
  return synthCache.get(key)!;
}

function plan(before: Doc, after: Doc) {
  const a = model(before);
  const b = model(after);
  const oldStacks = templates(a);
  const newStacks = templates(b);
  return { result: planFleet(a, b, oldStacks, newStacks), oldStacks, newStacks };
}

/** Stacks whose template changed (or appeared / disappeared). */
function touched(oldStacks: StackTemplates, newStacks: StackTemplates): string[] {
  const names = new Set([...Object.keys(oldStacks), ...Object.keys(newStacks)]);
  return [...names]
    .filter((n) => JSON.stringify(oldStacks[n]?.template) !== JSON.stringify(newStacks[n]?.template))
    .sort();
}

function edit(mutate: (doc: Doc) => void): Doc {
  const doc = base();
  mutate(doc);
  return doc;
}

describe('DP-only changes: safe, and only that DP (and its region/cluster stack when it joins or leaves) changes', () => {
  test('add a DP to an existing region and shared cluster', () => {
    const { result, oldStacks, newStacks } = plan(
      base(),
      edit((d) => d.dataPlanes.push({ name: 'dp-eks-c', runtime: 'eks', region: 'us-east-1', cluster: 'edge' })),
    );
    expect(result.verdict).toMatchObject({ safe: true });
    expect(touched(oldStacks, newStacks)).toEqual(['life-dp-dp-eks-c']);
  });

  test('scale a DP', () => {
    const { result, oldStacks, newStacks } = plan(
      base(),
      edit((d) => (d.dataPlanes[2].replicas = { min: 3, max: 20 })),
    );
    expect(result.verdict).toMatchObject({ safe: true });
    expect(touched(oldStacks, newStacks)).toEqual(['life-dp-dp-ecs']);
    expect(result.modelChanges.join('\n')).toContain('dp-ecs');
  });

  test('remove a DP', () => {
    const { result, oldStacks, newStacks } = plan(
      base(),
      edit((d) => d.dataPlanes.splice(1, 1)),
    );
    expect(result.verdict).toMatchObject({ safe: true });
    expect(touched(oldStacks, newStacks)).toEqual(['life-dp-dp-eks-b']);
    expect(result.stacks.find((s) => s.stack === 'life-dp-dp-eks-b')).toMatchObject({ status: 'removed' });
  });

  test('upgrade a DP within the version rule (patch, still ≤ the CP minor)', () => {
    const before = edit((d) => (d.dataPlanes[3].version = '3.10.0.5'));
    const { result, oldStacks, newStacks } = plan(
      before,
      edit((d) => (d.dataPlanes[3].version = '3.10.0.6')),
    );
    expect(result.verdict).toMatchObject({ safe: true });
    expect(touched(oldStacks, newStacks)).toEqual(['life-dp-dp-ec2']);
  });

  test('add a region: a new network stack and the DP, nothing else', () => {
    const { result, oldStacks, newStacks } = plan(
      base(),
      edit((d) => d.dataPlanes.push({ name: 'dp-ecs-ap', runtime: 'ecs', region: 'ap-southeast-2' })),
    );
    expect(result.verdict).toMatchObject({ safe: true });
    expect(touched(oldStacks, newStacks)).toEqual(['life-dp-dp-ecs-ap', 'life-net-ap-southeast-2']);
    expect(result.modelChanges).toContain('+ region ap-southeast-2');
  });
});

describe('version rules', () => {
  test('a DP upgraded beyond the CP minor is refused: the loader names the rule, plan exits 2', async () => {
    const beyond = edit((d) => (d.dataPlanes[3].version = '3.11.0.3'));
    const issues = parseFleet(stringify(beyond)).issues;
    expect(issues).toEqual([expect.objectContaining({ path: 'dataPlanes[3].version', code: 'version-incompatible' })]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-beyond-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.yaml'), stringify(base()));
      fs.writeFileSync(path.join(dir, 'b.yaml'), stringify(beyond));
      let stdout = '';
      const code = await main(['plan', path.join(dir, 'a.yaml'), path.join(dir, 'b.yaml')], {
        stdout: (t) => (stdout += t),
        stderr: () => undefined,
      });
      expect(code).toBe(EXIT.unsafe);
      expect(stdout).toMatch(/^UNSAFE: .*version rule/m);
      expect(stdout).toContain('dataPlanes[3].version');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('CP upgrade then DP upgrade: each step safe; both in one step refused', () => {
    const cpUp = edit((d) => {
      d.kong.version = '3.11.0.3';
      for (const dp of d.dataPlanes) dp.version = '3.10.0.6'; // DPs pinned while the CP goes first
    });
    const dpsUp = edit((d) => {
      d.kong.version = '3.11.0.3';
      for (const dp of d.dataPlanes) dp.version = '3.11.0.3';
    });
    const pinned = edit((d) => {
      for (const dp of d.dataPlanes) dp.version = '3.10.0.6';
    });
    const step1 = plan(pinned, cpUp);
    expect(step1.result.verdict).toMatchObject({ safe: true });
    // The CP goes first: its stack changes, no DP stack does.
    expect(touched(step1.oldStacks, step1.newStacks)).toEqual(['life-cp']);
    const step2 = plan(cpUp, dpsUp);
    expect(step2.result.verdict).toMatchObject({ safe: true });
    expect(touched(step2.oldStacks, step2.newStacks)).not.toContain('life-cp');
    const together = plan(pinned, dpsUp);
    expect(together.result.verdict.safe).toBe(false);
    expect(together.result.verdict.reasons.join('\n')).toMatch(/first/i);
  });

  test('a CP downgrade is refused', () => {
    const up = edit((d) => {
      d.kong.version = '3.11.0.3';
      for (const dp of d.dataPlanes) dp.version = '3.10.0.6';
    });
    const down = edit((d) => {
      for (const dp of d.dataPlanes) dp.version = '3.10.0.6';
    });
    const { result } = plan(up, down);
    expect(result.verdict.safe).toBe(false);
    expect(result.verdict.reasons.join('\n')).toMatch(/downgrade/i);
  });
});

test('changing the trust mode is flagged as disruptive', () => {
  const { result } = plan(
    base(),
    edit((d) => (d.certificates.mode = 'shared')),
  );
  expect(result.verdict.safe).toBe(false);
  expect(result.verdict.reasons.join('\n')).toMatch(/certificates\.mode|trust/i);
});

describe('the CLI: exit codes of plan', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-life-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  function write(name: string, doc: Doc): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, stringify(doc));
    return file;
  }
  async function run(...argv: string[]) {
    let stdout = '';
    let stderr = '';
    const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  }

  test('a safe plan exits 0 and prints the table and the verdict', async () => {
    const a = write('a.yaml', base());
    const b = write(
      'b.yaml',
      edit((d) => d.dataPlanes.push({ name: 'dp-new', runtime: 'kubernetes', region: 'us-west-2' })),
    );
    const { code, stdout } = await run('plan', a, b);
    expect(code).toBe(EXIT.ok);
    expect(stdout).toMatch(/life-dp-dp-new\s+data-plane\s+added/);
    expect(stdout).toMatch(/^SAFE/m);
  });

  test('an unsafe plan exits 2 with its reasons', async () => {
    const a = write('c.yaml', base());
    const b = write(
      'd.yaml',
      edit((d) => (d.certificates.mode = 'shared')),
    );
    const { code, stdout } = await run('plan', a, b);
    expect(code).toBe(EXIT.unsafe);
    expect(stdout).toMatch(/^UNSAFE/m);
  });
});

describe('with shared services on: data planes still come and go without touching any other stack', () => {
  const withServices = (mutate: (doc: Doc) => void = () => undefined) =>
    edit((d) => {
      d.sharedServices = { redis: true, opensearch: true, cognito: { regions: ['eu-west-1'] }, prometheus: true };
      mutate(d);
    });

  test('add an ECS DP and an EKS DP on the shared cluster: only their own stacks change', () => {
    const { result, oldStacks, newStacks } = plan(
      withServices(),
      withServices((d) =>
        d.dataPlanes.push(
          { name: 'dp-ecs-2', runtime: 'ecs', region: 'eu-west-1' },
          { name: 'dp-eks-c', runtime: 'eks', region: 'us-east-1', cluster: 'edge' },
        ),
      ),
    );
    expect(result.verdict).toMatchObject({ safe: true, warnings: [] });
    expect(touched(oldStacks, newStacks)).toEqual(['life-dp-dp-ecs-2', 'life-dp-dp-eks-c']);
  });

  test('remove a DP: only its stack goes; the services stack keeps its rules (they lived in the DP stack)', () => {
    const { result, oldStacks, newStacks } = plan(
      withServices(),
      withServices((d) => d.dataPlanes.splice(3, 1)),
    );
    expect(result.verdict).toMatchObject({ safe: true });
    expect(touched(oldStacks, newStacks)).toEqual(['life-dp-dp-ec2']);
  });

  test('switch OpenSearch off: the plan warns that the access-log domain would be lost', () => {
    const { result } = plan(
      withServices(),
      withServices((d) => (d.sharedServices.opensearch = false)),
    );
    const lost = result.verdict.warnings.filter((w) => /OpenSearchService::Domain\) would be/.test(w));
    expect(lost).toHaveLength(2);
    expect(lost[0]).toMatch(/^life-svc-(eu-west-1|us-east-1): .*, with the stored logs$/);
  });
});

describe('tear-down (docs/operations.md): data planes and services first, the control plane last', () => {
  const full = () =>
    edit((d) => {
      d.sharedServices = { redis: true, opensearch: true };
    });

  test('step 1: removing every data plane removes their stacks and the services, never the control plane', () => {
    const { result, oldStacks, newStacks } = plan(
      full(),
      edit((d) => {
        d.sharedServices = { redis: true, opensearch: true };
        d.dataPlanes = [];
      }),
    );
    expect(result.verdict.safe).toBe(true);
    const gone = touched(oldStacks, newStacks);
    expect(gone).not.toContain('life-cp');
    expect(gone.filter((s) => !/^life-(dp|svc|eks|net)-/.test(s))).toEqual([]);
    expect(result.stacks.filter((s) => s.kind === 'services').map((s) => s.status)).toEqual(['removed', 'removed']);
    // Redis ends in a snapshot and OpenSearch is retained: the plan says what stays behind.
    expect(result.verdict.warnings.join('\n')).toMatch(
      /OpenSearchService::Domain\) would be removed from the stack \(retained/,
    );
  });

  test('the control-plane stack is never removed as a side effect: a fleet without it is refused', () => {
    const { result } = plan(
      full(),
      edit((d) => {
        d.name = 'other';
      }),
    );
    expect(result.verdict.safe).toBe(false);
  });
});
