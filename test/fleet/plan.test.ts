import type { DataPlaneModel, FleetModel } from '../../src/fleet/model';
import { classifyStack, formatPlan, formatStackDiff, planFleet, StackTemplates } from '../../src/fleet/plan';
import { KongFleetError } from '../../src/kong/errors';

// ---------------------------------------------------------------------------------------------
// Fleet models, built by hand
// ---------------------------------------------------------------------------------------------

const CP_VERSION = '3.10.0.6';

function dataPlane(name: string, overrides: Partial<DataPlaneModel> = {}): DataPlaneModel {
  return {
    name,
    runtime: 'ecs',
    region: 'us-east-1',
    version: CP_VERSION,
    replicas: { min: 2, max: 10 },
    network: 'shared',
    proxy: { internetFacing: true },
    ...overrides,
  };
}

const BASE: FleetModel = {
  name: 'kf',
  kong: { version: CP_VERSION },
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
  certificates: { mode: 'shared' },
  dataPlanes: [
    dataPlane('dp-eks-use1', { runtime: 'eks', cluster: 'main' }),
    dataPlane('dp-ecs-use1', { runtime: 'ecs' }),
  ],
  sharedServices: {},
};

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function fleet(change: (model: Mutable<FleetModel>) => void = () => undefined): FleetModel {
  const model = structuredClone(BASE) as Mutable<FleetModel>;
  change(model);
  return model;
}

function withDataPlane(model: FleetModel, name: string, change: Partial<DataPlaneModel>): DataPlaneModel[] {
  return model.dataPlanes.map((dp) => (dp.name === name ? { ...dp, ...change } : dp));
}

// ---------------------------------------------------------------------------------------------
// Small hand-written CloudFormation templates, one per stack
// ---------------------------------------------------------------------------------------------

/** What CDK adds to every template; the plan must ignore it. */
function cdkBookkeeping(hash: string) {
  return {
    resources: {
      CDKMetadata: {
        Type: 'AWS::CDK::Metadata',
        Properties: { Analytics: `v2:deflate64:${hash}` },
        Condition: 'CDKMetadataAvailable',
      },
    },
    parameters: {
      BootstrapVersion: {
        Type: 'AWS::SSM::Parameter::Value<String>',
        Default: `/cdk-bootstrap/${hash}/version`,
      },
    },
    rules: {
      CheckBootstrapVersion: {
        Assertions: [{ Assert: { 'Fn::Not': [{ 'Fn::Contains': [['1', '2'], { Ref: 'BootstrapVersion' }] }] } }],
      },
    },
  };
}

interface CpOptions {
  dbIdentifier?: string;
  engine?: string;
  instanceClass?: string;
  generation?: string;
  ingress?: string[];
  withDatabase?: boolean;
  pki?: boolean;
  cdkHash?: string;
}

function cpTemplate(options: CpOptions = {}) {
  const book = cdkBookkeeping(options.cdkHash ?? 'aaaa');
  const resources: Record<string, any> = {
    ...book.resources,
    Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' },
    DatabaseSecret: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: { GenerateSecretString: { SecretStringTemplate: '{"username":"kong"}' } },
    },
    ClusterCertificate: {
      Type: 'Custom::KongClusterCertificate',
      Properties: {
        ServiceToken: 'handler-arn',
        Mode: 'shared',
        Generation: options.generation ?? '1',
        RotateBeforeDays: '30',
      },
      Metadata: { 'aws:cdk:path': 'kf-cp/Trust/SharedCertificate/Resource' },
    },
    ClusterSecurityGroup: {
      Type: 'AWS::EC2::SecurityGroup',
      Properties: {
        GroupDescription: 'Kong cluster listeners',
        SecurityGroupIngress: (options.ingress ?? ['0.0.0.0/0']).map((cidr) => ({
          CidrIp: cidr,
          IpProtocol: 'tcp',
          FromPort: 8005,
          ToPort: 8006,
        })),
      },
    },
  };
  if (options.withDatabase ?? true) {
    resources.Database = {
      Type: 'AWS::RDS::DBInstance',
      Properties: {
        DBInstanceIdentifier: options.dbIdentifier ?? 'kf-kong',
        Engine: options.engine ?? 'postgres',
        DBInstanceClass: options.instanceClass ?? 'db.t4g.medium',
        MasterUserSecret: { SecretArn: { Ref: 'DatabaseSecret' } },
      },
      DeletionPolicy: 'Snapshot',
      Metadata: { 'aws:cdk:path': `kf-cp/Database/${options.cdkHash ?? 'aaaa'}` },
    };
  }
  if (options.pki) {
    resources.CertificateAuthority = {
      Type: 'AWS::ACMPCA::CertificateAuthority',
      Properties: { KeyAlgorithm: 'EC_secp384r1', SigningAlgorithm: 'SHA384WITHECDSA', Type: 'ROOT' },
    };
    resources.TrustParameter = {
      Type: 'AWS::SSM::Parameter',
      Properties: {
        Name: '/kong-fleet/kf/certificate-authority-arn',
        Type: 'String',
        Value: { Ref: 'CertificateAuthority' },
      },
    };
  }
  return {
    Resources: resources,
    Parameters: book.parameters,
    Rules: book.rules,
    Outputs: { ClusterEndpoint: { Value: 'cluster.kong.example.com' } },
  };
}

function dpTemplate(name: string, options: { version?: string; replicas?: number; extra?: Record<string, any> } = {}) {
  const book = cdkBookkeeping('bbbb');
  return {
    Resources: {
      ...book.resources,
      TaskDefinition: {
        Type: 'AWS::ECS::TaskDefinition',
        Properties: {
          Family: `kf-${name}`,
          ContainerDefinitions: [{ Name: 'kong', Image: `kong/kong-gateway:${options.version ?? CP_VERSION}` }],
        },
      },
      Service: {
        Type: 'AWS::ECS::Service',
        Properties: { DesiredCount: options.replicas ?? 2, TaskDefinition: { Ref: 'TaskDefinition' } },
      },
      ClusterCertificate: {
        Type: 'Custom::KongClusterCertificate',
        Properties: { ServiceToken: 'handler-arn', Mode: 'shared-copy', SourceSecret: 'kong-fleet/kf/cluster-shared' },
      },
      LogGroup: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 }, DeletionPolicy: 'Retain' },
      ...options.extra,
    },
    Parameters: book.parameters,
    Rules: book.rules,
  };
}

function netTemplate(cidr = '10.0.0.0/16') {
  return { Resources: { Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: cidr } } } };
}

function eksTemplate(version = '1.33') {
  return { Resources: { Cluster: { Type: 'AWS::EKS::Cluster', Properties: { Version: version } } } };
}

/** The stacks FleetApp would synthesize for BASE, with per-stack template overrides. */
function stacks(overrides: Record<string, unknown | undefined> = {}): StackTemplates {
  const all: Record<string, { template: unknown; region?: string }> = {
    'kf-cp': { template: cpTemplate(), region: 'us-east-1' },
    'kf-net-us-east-1': { template: netTemplate(), region: 'us-east-1' },
    'kf-eks-main': { template: eksTemplate(), region: 'us-east-1' },
    'kf-dp-dp-eks-use1': { template: dpTemplate('dp-eks-use1'), region: 'us-east-1' },
    'kf-dp-dp-ecs-use1': { template: dpTemplate('dp-ecs-use1'), region: 'us-east-1' },
  };
  for (const [name, template] of Object.entries(overrides)) {
    if (template === undefined) delete all[name];
    else all[name] = { template, region: all[name]?.region ?? 'us-east-1' };
  }
  return all;
}

function stackOf(plan: ReturnType<typeof planFleet>, name: string) {
  const stack = plan.stacks.find((s) => s.stack === name);
  if (!stack) throw new Error(`no stack ${name} in the plan`);
  return stack;
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('classifyStack', () => {
  test.each([
    ['kf-cp', { kind: 'control-plane' }],
    ['kf-dp-dp-eks-use1', { kind: 'data-plane', dataPlane: 'dp-eks-use1' }],
    ['kf-dp-a', { kind: 'data-plane', dataPlane: 'a' }],
    ['kf-net-eu-west-1', { kind: 'network', region: 'eu-west-1' }],
    ['kf-eks-main', { kind: 'cluster', cluster: 'main' }],
    ['kf-something', { kind: 'other' }],
    ['kf-dp-', { kind: 'other' }],
    ['other-cp', { kind: 'other' }],
    ['kfx-cp', { kind: 'other' }],
    ['kf', { kind: 'other' }],
  ])('GIVEN stack %p of fleet kf WHEN classified THEN %p', (name, expected) => {
    expect(classifyStack(name, 'kf')).toEqual(expected);
  });

  test('GIVEN a fleet whose name contains a kind marker WHEN classified THEN only the prefix is the fleet', () => {
    expect(classifyStack('a-dp-x-cp', 'a-dp-x')).toEqual({ kind: 'control-plane' });
    expect(classifyStack('a-dp-x-dp-y', 'a-dp-x')).toEqual({ kind: 'data-plane', dataPlane: 'y' });
  });
});

describe('planFleet: stack diffs', () => {
  test('GIVEN the same fleet and templates WHEN planned THEN every stack is unchanged and the plan is safe', () => {
    const plan = planFleet(fleet(), fleet(), stacks(), stacks());
    expect(plan.stacks.map((s) => [s.stack, s.kind, s.status])).toEqual([
      ['kf-cp', 'control-plane', 'unchanged'],
      ['kf-net-us-east-1', 'network', 'unchanged'],
      ['kf-eks-main', 'cluster', 'unchanged'],
      ['kf-dp-dp-ecs-use1', 'data-plane', 'unchanged'],
      ['kf-dp-dp-eks-use1', 'data-plane', 'unchanged'],
    ]);
    expect(plan.verdict).toEqual({ safe: true, reasons: [], warnings: [] });
    expect(plan.modelChanges).toEqual([]);
  });

  test('GIVEN only CDK bookkeeping changes (CDKMetadata, BootstrapVersion, aws:cdk:path) WHEN planned THEN nothing changes', () => {
    const plan = planFleet(fleet(), fleet(), stacks(), stacks({ 'kf-cp': cpTemplate({ cdkHash: 'zzzz' }) }));
    expect(stackOf(plan, 'kf-cp')).toMatchObject({ status: 'unchanged', added: 0, modified: 0, otherChanges: 0 });
    expect(plan.verdict).toEqual({ safe: true, reasons: [], warnings: [] });
  });

  test('GIVEN a template that is not an object WHEN planned THEN a KongFleetError names the stack', () => {
    expect(() => planFleet(fleet(), fleet(), stacks(), stacks({ 'kf-cp': 'nope' }))).toThrow(KongFleetError);
    expect(() => planFleet(fleet(), fleet(), stacks(), stacks({ 'kf-cp': 'nope' }))).toThrow(
      'stack kf-cp: the template is not a JSON object',
    );
  });

  test('GIVEN an Outputs-only change WHEN planned THEN resource counts stay 0 but the stack is changed', () => {
    const template = cpTemplate();
    template.Outputs.ClusterEndpoint.Value = 'other.kong.example.com';
    const plan = planFleet(fleet(), fleet(), stacks(), stacks({ 'kf-cp': template }));
    expect(stackOf(plan, 'kf-cp')).toMatchObject({
      status: 'changed',
      added: 0,
      removed: 0,
      modified: 0,
      replaced: 0,
      otherChanges: 1,
    });
  });
});

describe('planFleet: data planes come and go', () => {
  test('GIVEN a new DP in a new region WHEN planned THEN its stack and the region network are added, safe', () => {
    const newModel = fleet((m) => {
      m.dataPlanes = [...m.dataPlanes, dataPlane('dp-ecs-euw1', { region: 'eu-west-1' })];
    });
    const newStacks = {
      ...stacks(),
      'kf-net-eu-west-1': { template: netTemplate('10.1.0.0/16'), region: 'eu-west-1' },
      'kf-dp-dp-ecs-euw1': { template: dpTemplate('dp-ecs-euw1'), region: 'eu-west-1' },
    };
    const plan = planFleet(fleet(), newModel, stacks(), newStacks);

    expect(stackOf(plan, 'kf-dp-dp-ecs-euw1')).toMatchObject({
      kind: 'data-plane',
      dataPlane: 'dp-ecs-euw1',
      status: 'added',
      added: 4,
      removed: 0,
    });
    expect(stackOf(plan, 'kf-net-eu-west-1')).toMatchObject({ kind: 'network', status: 'added', added: 1 });
    expect(plan.verdict).toEqual({ safe: true, reasons: [], warnings: [] });
    expect(plan.modelChanges).toEqual(['+ region eu-west-1', '+ dp dp-ecs-euw1 (ecs, eu-west-1)']);
  });

  test('GIVEN a DP removed WHEN planned THEN its stack is removed with its resources listed, safe', () => {
    const newModel = fleet((m) => {
      m.dataPlanes = m.dataPlanes.filter((dp) => dp.name !== 'dp-ecs-use1');
    });
    const plan = planFleet(fleet(), newModel, stacks(), stacks({ 'kf-dp-dp-ecs-use1': undefined }));

    const removed = stackOf(plan, 'kf-dp-dp-ecs-use1');
    expect(removed).toMatchObject({ status: 'removed', added: 0, removed: 4 });
    expect(removed.removedResources).toEqual([
      { logicalId: 'ClusterCertificate', type: 'Custom::KongClusterCertificate', retained: false },
      { logicalId: 'LogGroup', type: 'AWS::Logs::LogGroup', retained: true },
      { logicalId: 'Service', type: 'AWS::ECS::Service', retained: false },
      { logicalId: 'TaskDefinition', type: 'AWS::ECS::TaskDefinition', retained: false },
    ]);
    expect(plan.verdict.safe).toBe(true);
    expect(plan.verdict.reasons).toEqual([]);
    expect(plan.verdict.warnings).toEqual([
      'kf-dp-dp-ecs-use1: 1 removed resource(s) are retained and stay in the account: LogGroup',
    ]);
    expect(plan.modelChanges).toEqual(['- dp dp-ecs-use1 (ecs, us-east-1)']);
  });

  test('GIVEN the last DP of a shared cluster removed WHEN the cluster stack goes too THEN it is expected, safe', () => {
    const newModel = fleet((m) => {
      m.dataPlanes = m.dataPlanes.filter((dp) => dp.name !== 'dp-eks-use1');
    });
    const plan = planFleet(
      fleet(),
      newModel,
      stacks(),
      stacks({ 'kf-dp-dp-eks-use1': undefined, 'kf-eks-main': undefined }),
    );
    expect(stackOf(plan, 'kf-eks-main')).toMatchObject({ kind: 'cluster', status: 'removed', removed: 1 });
    expect(plan.verdict.reasons).toEqual([]);
    expect(plan.verdict.warnings.filter((w) => w.includes('kf-eks-main'))).toEqual([]);
  });

  test('GIVEN a DP replica change WHEN planned THEN the model change reads min-max and its stack is modified', () => {
    const newModel = fleet((m) => {
      m.dataPlanes = withDataPlane(m, 'dp-eks-use1', { replicas: { min: 3, max: 12 } });
    });
    const plan = planFleet(
      fleet(),
      newModel,
      stacks(),
      stacks({ 'kf-dp-dp-eks-use1': dpTemplate('x', { replicas: 3 }) }),
    );
    expect(plan.modelChanges).toEqual(['~ dp dp-eks-use1: replicas 2-10 → 3-12']);
    // Family is a replacement property of a task definition; DesiredCount an in-place update.
    expect(stackOf(plan, 'kf-dp-dp-eks-use1')).toMatchObject({ status: 'changed', modified: 1, replaced: 1 });
    expect(plan.verdict).toEqual({ safe: true, reasons: [], warnings: [] });
  });
});

describe('planFleet: rule 1, stateful control-plane resources', () => {
  const dpOnly = () =>
    fleet((m) => {
      m.dataPlanes = withDataPlane(m, 'dp-ecs-use1', { replicas: { min: 3, max: 10 } });
    });

  test('GIVEN the DB instance replaced (DBInstanceIdentifier) in a DP-only change WHEN planned THEN unsafe', () => {
    const plan = planFleet(fleet(), dpOnly(), stacks(), stacks({ 'kf-cp': cpTemplate({ dbIdentifier: 'kf-kong-2' }) }));
    expect(stackOf(plan, 'kf-cp')).toMatchObject({
      replaced: 1,
      mayReplace: 0,
      replacedResources: [{ logicalId: 'Database', type: 'AWS::RDS::DBInstance', certain: true }],
    });
    expect(plan.verdict.safe).toBe(false);
    expect(plan.verdict.reasons).toContainEqual(
      expect.stringMatching(/^kf-cp: Database \(AWS::RDS::DBInstance\) would be replaced: the Kong database/),
    );
  });

  test('GIVEN the engine changed (MAY_REPLACE for cloudformation-diff) WHEN planned THEN a possible replacement, unsafe', () => {
    const plan = planFleet(
      fleet(),
      fleet(),
      stacks(),
      stacks({ 'kf-cp': cpTemplate({ engine: 'aurora-postgresql' }) }),
    );
    expect(stackOf(plan, 'kf-cp')).toMatchObject({
      replaced: 1,
      mayReplace: 1,
      replacedResources: [{ logicalId: 'Database', type: 'AWS::RDS::DBInstance', certain: false }],
    });
    expect(plan.verdict.reasons).toContainEqual(
      expect.stringContaining('Database (AWS::RDS::DBInstance) would be possibly replaced'),
    );
  });

  test('GIVEN an in-place DB change (instance class) WHEN planned THEN modified, not a stateful loss', () => {
    const plan = planFleet(
      fleet(),
      fleet(),
      stacks(),
      stacks({ 'kf-cp': cpTemplate({ instanceClass: 'db.r7g.large' }) }),
    );
    expect(stackOf(plan, 'kf-cp')).toMatchObject({ modified: 1, replaced: 0 });
    expect(plan.verdict.safe).toBe(true);
    expect(plan.verdict.warnings).toEqual([
      'the fleet file did not change, yet 1 stack(s) do (a kong-fleet or CDK upgrade?): kf-cp',
    ]);
  });

  test('GIVEN the DB removed from the CP stack WHEN planned THEN unsafe, and the removal is listed', () => {
    const plan = planFleet(fleet(), dpOnly(), stacks(), stacks({ 'kf-cp': cpTemplate({ withDatabase: false }) }));
    expect(stackOf(plan, 'kf-cp').removedResources).toEqual([
      { logicalId: 'Database', type: 'AWS::RDS::DBInstance', retained: false },
    ]);
    expect(plan.verdict.reasons).toContainEqual(
      expect.stringContaining('Database (AWS::RDS::DBInstance) would be deleted'),
    );
  });

  test('GIVEN the shared cluster certificate re-issued (Generation) with the CP unchanged WHEN planned THEN unsafe', () => {
    const plan = planFleet(fleet(), fleet(), stacks(), stacks({ 'kf-cp': cpTemplate({ generation: '2' }) }));
    // CloudFormation sees an in-place update; the handler issues a new pair.
    expect(stackOf(plan, 'kf-cp')).toMatchObject({ modified: 1, replaced: 0 });
    expect(plan.verdict.reasons).toEqual([
      'kf-cp: ClusterCertificate (Custom::KongClusterCertificate) would be re-issued (Generation changes): ' +
        'a cluster certificate: data planes disconnect until they roll — although the control plane did not change in the fleet file',
    ]);
  });

  test('GIVEN the trust parameter renamed in pki mode WHEN planned THEN unsafe', () => {
    const model = fleet((m) => {
      m.certificates = { mode: 'pki' };
    });
    const renamed = cpTemplate({ pki: true });
    renamed.Resources.TrustParameter.Properties.Name = '/kong-fleet/kf2/certificate-authority-arn';
    const plan = planFleet(model, model, stacks({ 'kf-cp': cpTemplate({ pki: true }) }), stacks({ 'kf-cp': renamed }));
    expect(plan.verdict.reasons).toContainEqual(
      expect.stringContaining('TrustParameter (AWS::SSM::Parameter) would be replaced: the trust parameter'),
    );
  });

  test('GIVEN the CP changed too WHEN the DB is replaced THEN it is a warning, not a reason', () => {
    const newModel = fleet((m) => {
      m.controlPlane = { ...m.controlPlane, replicas: 3 };
    });
    const plan = planFleet(fleet(), newModel, stacks(), stacks({ 'kf-cp': cpTemplate({ dbIdentifier: 'kf-kong-2' }) }));
    expect(plan.verdict.safe).toBe(true);
    expect(plan.verdict.warnings).toContainEqual(
      expect.stringMatching(/^kf-cp: Database \(AWS::RDS::DBInstance\) would be replaced/),
    );
    expect(plan.modelChanges).toEqual(['~ controlPlane.replicas 2 → 3']);
  });
});

describe('planFleet: rules 2-4, versions', () => {
  const versions = (cp: string, dp: string, dpEks = dp) =>
    fleet((m) => {
      m.kong = { version: cp };
      m.dataPlanes = m.dataPlanes.map((d) => ({ ...d, version: d.name === 'dp-eks-use1' ? dpEks : dp }));
    });
  /** DP stacks follow the model's versions (the image tag changes). */
  const stacksFor = (model: FleetModel) =>
    stacks(
      Object.fromEntries(model.dataPlanes.map((d) => [`kf-dp-${d.name}`, dpTemplate(d.name, { version: d.version })])),
    );
  const cpStacks = (model: FleetModel, cp: string) => ({
    ...stacksFor(model),
    'kf-cp': { template: { ...cpTemplate(), Outputs: { Version: { Value: cp } } }, region: 'us-east-1' },
  });

  test('GIVEN a DP version beyond the CP WHEN planned THEN unsafe', () => {
    const newModel = versions('3.10.0.6', '3.10.0.6', '3.11.0.3');
    const plan = planFleet(fleet(), newModel, stacksFor(fleet()), stacksFor(newModel));
    expect(plan.verdict.safe).toBe(false);
    expect(plan.verdict.reasons).toEqual([
      expect.stringMatching(
        /^data plane dp-eks-use1: version 3\.11\.0\.3 cannot connect to the control plane on 3\.10\.0\.6/,
      ),
    ]);
    expect(plan.modelChanges).toEqual(['~ dp dp-eks-use1: version 3.10.0.6 → 3.11.0.3']);
  });

  test('GIVEN a DP on another major WHEN planned THEN unsafe', () => {
    const newModel = versions('3.10.0.6', '3.10.0.6', '4.0.0');
    const plan = planFleet(fleet(), newModel, stacksFor(fleet()), stacksFor(newModel));
    expect(plan.verdict.reasons).toContainEqual(expect.stringContaining('data plane dp-eks-use1: version 4.0.0'));
  });

  test('GIVEN a DP older than the CP (same major) WHEN planned THEN safe', () => {
    const newModel = versions('3.10.0.6', '3.10.0.6', '3.9.1.2');
    const plan = planFleet(fleet(), newModel, stacksFor(fleet()), stacksFor(newModel));
    expect(plan.verdict).toEqual({ safe: true, reasons: [], warnings: [] });
  });

  test('GIVEN a CP downgrade WHEN planned THEN unsafe', () => {
    const oldModel = versions('3.11.0.3', '3.10.0.6');
    const newModel = versions('3.10.0.6', '3.10.0.6');
    const plan = planFleet(oldModel, newModel, cpStacks(oldModel, '3.11.0.3'), cpStacks(newModel, '3.10.0.6'));
    expect(plan.verdict.safe).toBe(false);
    expect(plan.verdict.reasons).toEqual([
      expect.stringMatching(/^kong\.version 3\.11\.0\.3 → 3\.10\.0\.6 downgrades the control plane/),
    ]);
  });

  test('GIVEN a CP build-only downgrade WHEN planned THEN unsafe too', () => {
    const oldModel = versions('3.10.0.7', '3.10.0.6');
    const newModel = versions('3.10.0.6', '3.10.0.6');
    const plan = planFleet(oldModel, newModel, cpStacks(oldModel, 'a'), cpStacks(newModel, 'b'));
    expect(plan.verdict.reasons).toEqual([expect.stringContaining('downgrades the control plane')]);
  });

  test('GIVEN the CP minor raised AND the DPs upgraded in one step WHEN planned THEN unsafe', () => {
    const newModel = versions('3.11.0.3', '3.11.0.3');
    const plan = planFleet(fleet(), newModel, cpStacks(fleet(), CP_VERSION), cpStacks(newModel, '3.11.0.3'));
    expect(plan.verdict.safe).toBe(false);
    expect(plan.verdict.reasons).toEqual([
      "kong.version 3.10.0.6 → 3.11.0.3 raises the control plane's minor version while data planes change version " +
        'in the same step (dp-eks-use1 3.10.0.6 → 3.11.0.3; dp-ecs-use1 3.10.0.6 → 3.11.0.3): upgrade the control ' +
        'plane alone first (pin dataPlanes[].version to their current versions), then the data planes in a second plan',
    ]);
    expect(plan.modelChanges).toEqual([
      '~ kong.version 3.10.0.6 → 3.11.0.3',
      '~ dp dp-eks-use1: version 3.10.0.6 → 3.11.0.3',
      '~ dp dp-ecs-use1: version 3.10.0.6 → 3.11.0.3',
    ]);
  });

  test('GIVEN the two-step path (CP alone, then DPs alone) WHEN each step is planned THEN both are safe', () => {
    const start = versions('3.10.0.6', '3.10.0.6');
    const cpFirst = versions('3.11.0.3', '3.10.0.6');
    const dpsNext = versions('3.11.0.3', '3.11.0.3');

    const step1 = planFleet(start, cpFirst, cpStacks(start, '3.10.0.6'), cpStacks(cpFirst, '3.11.0.3'));
    expect(step1.verdict).toEqual({ safe: true, reasons: [], warnings: [] });
    expect(stackOf(step1, 'kf-cp').status).toBe('changed');

    const step2 = planFleet(cpFirst, dpsNext, cpStacks(cpFirst, '3.11.0.3'), cpStacks(dpsNext, '3.11.0.3'));
    expect(step2.verdict).toEqual({ safe: true, reasons: [], warnings: [] });
    expect(stackOf(step2, 'kf-cp').status).toBe('unchanged');
    expect(stackOf(step2, 'kf-dp-dp-ecs-use1').status).toBe('changed');
  });

  test('GIVEN the CP minor raised while a new DP needs the new CP WHEN planned THEN unsafe', () => {
    const cpUp = (m: Mutable<FleetModel>) => {
      m.kong = { version: '3.11.0.3' };
      m.dataPlanes = [...m.dataPlanes, dataPlane('dp-new', { version: '3.11.0.3' })];
    };
    const plan = planFleet(fleet(), fleet(cpUp), stacks(), {
      ...stacks(),
      'kf-dp-dp-new': { template: dpTemplate('dp-new'), region: 'us-east-1' },
    });
    expect(plan.verdict.reasons).toEqual([expect.stringContaining('(dp-new (new, 3.11.0.3))')]);
  });

  test('GIVEN a CP patch bump with DP patch bumps in one step WHEN planned THEN safe (compatibility is by minor)', () => {
    const newModel = versions('3.10.0.7', '3.10.0.7');
    const plan = planFleet(fleet(), newModel, cpStacks(fleet(), 'a'), cpStacks(newModel, 'b'));
    expect(plan.verdict).toEqual({ safe: true, reasons: [], warnings: [] });
  });
});

describe('planFleet: rules 5-6, trust and control-plane identity', () => {
  test('GIVEN certificates.mode shared → pki WHEN planned THEN unsafe, stateful changes are warnings', () => {
    const newModel = fleet((m) => {
      m.certificates = { mode: 'pki' };
    });
    const plan = planFleet(
      fleet(),
      newModel,
      stacks(),
      stacks({ 'kf-cp': cpTemplate({ pki: true, generation: '2' }) }),
    );
    expect(plan.verdict.safe).toBe(false);
    expect(plan.verdict.reasons).toEqual([
      expect.stringMatching(/^certificates\.mode shared → pki gives every plane a new certificate/),
    ]);
    expect(plan.verdict.warnings).toContainEqual(expect.stringContaining('ClusterCertificate'));
    expect(plan.modelChanges).toEqual(['~ certificates.mode shared → pki']);
  });

  test('GIVEN the database switched to IAM authentication WHEN planned THEN a warning about table ownership', () => {
    const iam = fleet((m) => {
      (m.controlPlane as any).database = { ...m.controlPlane.database, iamAuthentication: true };
    });
    const plan = planFleet(fleet(), iam, stacks(), stacks());
    expect(plan.verdict.warnings).toContainEqual(
      expect.stringMatching(
        /^controlPlane\.database\.iamAuthentication false → true: .*Switching an existing database/,
      ),
    );
    expect(planFleet(fleet(), fleet(), stacks(), stacks()).verdict.warnings).toEqual([]);
  });

  test('GIVEN pki with a different issuing CA WHEN planned THEN unsafe', () => {
    const pki = (ca: string) =>
      fleet((m) => {
        m.certificates = { mode: 'pki', certificateAuthorityArn: ca };
      });
    const plan = planFleet(pki('ca-1'), pki('ca-2'), stacks(), stacks());
    expect(plan.verdict.reasons).toEqual([expect.stringContaining('the issuing CA changes')]);
  });

  test('GIVEN certificates.validityDays changed WHEN planned THEN a warning', () => {
    const newModel = fleet((m) => {
      m.certificates = { mode: 'shared', validityDays: 730 };
    });
    const plan = planFleet(fleet(), newModel, stacks(), stacks());
    expect(plan.verdict.safe).toBe(true);
    expect(plan.verdict.warnings).toEqual([expect.stringContaining('certificates.validityDays (none) → 730')]);
  });

  test.each([
    ['region', { region: 'eu-west-1' }, 'controlPlane.region us-east-1 → eu-west-1 replaces the control plane'],
    ['runtime', { runtime: 'ec2' as const }, 'controlPlane.runtime eks → ec2 replaces the control plane'],
    ['account', { account: '123456789012' }, 'controlPlane.account (none) → 123456789012 replaces the control plane'],
  ])('GIVEN the CP %s changed WHEN planned THEN unsafe', (_field, change, reason) => {
    const newModel = fleet((m) => {
      m.controlPlane = { ...m.controlPlane, ...change };
    });
    const plan = planFleet(fleet(), newModel, stacks(), stacks({ 'kf-cp': cpTemplate({ dbIdentifier: 'moved' }) }));
    expect(plan.verdict.safe).toBe(false);
    expect(plan.verdict.reasons).toEqual([expect.stringContaining(reason)]);
  });

  test('GIVEN the CP region changed WHEN planned THEN the model changes list the regions', () => {
    const newModel = fleet((m) => {
      m.controlPlane = { ...m.controlPlane, region: 'eu-west-1' };
    });
    expect(planFleet(fleet(), newModel, stacks(), stacks()).modelChanges).toEqual([
      '~ controlPlane.region us-east-1 → eu-west-1',
      '+ region eu-west-1',
    ]);
  });

  test('GIVEN the fleet renamed WHEN planned THEN unsafe, old stacks removed and new ones added', () => {
    const newModel = fleet((m) => {
      m.name = 'kf2';
    });
    const renamed = Object.fromEntries(Object.entries(stacks()).map(([name, s]) => [name.replace(/^kf-/, 'kf2-'), s]));
    const plan = planFleet(fleet(), newModel, stacks(), renamed);
    expect(plan.verdict.safe).toBe(false);
    expect(plan.verdict.reasons).toEqual([expect.stringMatching(/^name kf → kf2 renames every stack/)]);
    expect(stackOf(plan, 'kf-cp')).toMatchObject({ kind: 'control-plane', status: 'removed' });
    expect(stackOf(plan, 'kf2-cp')).toMatchObject({ kind: 'control-plane', status: 'added' });
    expect(plan.modelChanges).toEqual(['~ name kf → kf2']);
  });

  test('GIVEN every stack removed (the fleet removed) WHEN planned THEN unsafe', () => {
    const newModel = fleet((m) => {
      m.dataPlanes = [];
    });
    const plan = planFleet(fleet(), newModel, stacks(), {});
    expect(plan.verdict.safe).toBe(false);
    expect(plan.verdict.reasons).toContainEqual('kf-cp: the control-plane stack would be deleted (removing the fleet)');
    expect(plan.verdict.reasons).toContainEqual(
      expect.stringContaining('Database (AWS::RDS::DBInstance) would be deleted'),
    );
  });
});

describe('planFleet: rule 7, blast radius of a DP-only change', () => {
  const dpOnly = () =>
    fleet((m) => {
      m.dataPlanes = withDataPlane(m, 'dp-ecs-use1', { replicas: { min: 4, max: 10 } });
    });

  test('GIVEN a DP-only change that modifies the CP stack in place WHEN planned THEN unsafe', () => {
    const plan = planFleet(
      fleet(),
      dpOnly(),
      stacks(),
      stacks({
        'kf-dp-dp-ecs-use1': dpTemplate('dp-ecs-use1', { replicas: 4 }),
        'kf-cp': cpTemplate({ ingress: ['0.0.0.0/0', '10.9.0.0/16'] }),
      }),
    );
    expect(plan.verdict.safe).toBe(false);
    expect(plan.verdict.reasons).toEqual([
      'kf-cp: a data-plane-only change touches the control-plane stack (1 modified); data planes must come and ' +
        'go without changing the control plane',
    ]);
  });

  test('GIVEN a DP-only change that changes only the CP stack outputs WHEN planned THEN a warning', () => {
    const cp = cpTemplate();
    cp.Outputs.ClusterEndpoint.Value = 'x';
    const plan = planFleet(
      fleet(),
      dpOnly(),
      stacks(),
      stacks({ 'kf-dp-dp-ecs-use1': dpTemplate('dp-ecs-use1', { replicas: 4 }), 'kf-cp': cp }),
    );
    expect(plan.verdict.safe).toBe(true);
    expect(plan.verdict.warnings).toEqual(['kf-cp (control-plane) changes: 1 outside Resources']);
  });

  test('GIVEN a DP-only change that modifies another DP stack WHEN planned THEN a warning, still safe', () => {
    const plan = planFleet(
      fleet(),
      dpOnly(),
      stacks(),
      stacks({
        'kf-dp-dp-ecs-use1': dpTemplate('dp-ecs-use1', { replicas: 4 }),
        'kf-dp-dp-eks-use1': dpTemplate('dp-eks-use1', { replicas: 5 }),
      }),
    );
    expect(plan.verdict.safe).toBe(true);
    expect(plan.verdict.warnings).toEqual([
      'kf-dp-dp-eks-use1 (data plane dp-eks-use1, which did not change in the fleet file) changes: 1 modified',
    ]);
  });

  test('GIVEN a DP-only change that modifies a network no DP joins or leaves WHEN planned THEN a warning', () => {
    const plan = planFleet(
      fleet(),
      dpOnly(),
      stacks(),
      stacks({
        'kf-dp-dp-ecs-use1': dpTemplate('dp-ecs-use1', { replicas: 4 }),
        'kf-net-us-east-1': netTemplate('10.2.0.0/16'),
        'kf-eks-main': eksTemplate('1.34'),
      }),
    );
    expect(plan.verdict.safe).toBe(true);
    expect(plan.verdict.warnings).toEqual([
      'kf-net-us-east-1 (network) changes: 1 replaced',
      'kf-eks-main (cluster) changes: 1 modified',
    ]);
  });

  test('GIVEN a DP joining an existing shared network and cluster WHEN their stacks change THEN expected, safe', () => {
    const newModel = fleet((m) => {
      m.dataPlanes = [...m.dataPlanes, dataPlane('dp-eks-2', { runtime: 'eks', cluster: 'main' })];
    });
    const plan = planFleet(fleet(), newModel, stacks(), {
      ...stacks({ 'kf-net-us-east-1': netTemplate('10.0.0.0/15'), 'kf-eks-main': eksTemplate('1.34') }),
      'kf-dp-dp-eks-2': { template: dpTemplate('dp-eks-2'), region: 'us-east-1' },
    });
    expect(plan.verdict).toEqual({ safe: true, reasons: [], warnings: [] });
  });

  test('GIVEN a custom classifier WHEN planned THEN it names the kinds', () => {
    const newModel = dpOnly();
    const classify = (name: string) =>
      name === 'control' ? { kind: 'control-plane' as const } : { kind: 'data-plane' as const, dataPlane: name };
    const before = { control: { template: cpTemplate() }, 'dp-ecs-use1': { template: dpTemplate('a') } };
    const after = {
      control: { template: cpTemplate({ ingress: ['10.0.0.0/8'] }) },
      'dp-ecs-use1': { template: dpTemplate('a', { replicas: 4 }) },
    };
    const plan = planFleet(fleet(), newModel, before, after, { classify });
    expect(plan.stacks.map((s) => [s.stack, s.kind])).toEqual([
      ['control', 'control-plane'],
      ['dp-ecs-use1', 'data-plane'],
    ]);
    expect(plan.verdict.reasons).toEqual([expect.stringContaining('control: a data-plane-only change touches')]);
  });
});

describe('formatPlan', () => {
  test('GIVEN a safe plan WHEN formatted THEN the table, the model changes and SAFE are printed', () => {
    const newModel = fleet((m) => {
      m.dataPlanes = [...m.dataPlanes, dataPlane('dp-ecs-euw1', { region: 'eu-west-1' })];
    });
    const text = formatPlan(
      planFleet(fleet(), newModel, stacks(), {
        ...stacks(),
        'kf-net-eu-west-1': { template: netTemplate(), region: 'eu-west-1' },
        'kf-dp-dp-ecs-euw1': { template: dpTemplate('dp-ecs-euw1'), region: 'eu-west-1' },
      }),
    );
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^STACK\s+KIND\s+STATUS\s+\+\s+-\s+~\s+REPLACE$/);
    expect(lines).toContainEqual(expect.stringMatching(/^kf-cp\s+control-plane\s+unchanged\s+0\s+0\s+0\s+0$/));
    expect(lines).toContainEqual(expect.stringMatching(/^kf-dp-dp-ecs-euw1\s+data-plane\s+added\s+4\s+0\s+0\s+0$/));
    expect(text).toContain('Fleet file changes:\n  + region eu-west-1\n  + dp dp-ecs-euw1 (ecs, eu-west-1)\n');
    expect(text).toContain('SAFE: 2 added, 5 unchanged stack(s); no rule is broken\n');
    expect(text).not.toContain('UNSAFE');
  });

  test('GIVEN an unsafe plan WHEN formatted THEN replaced resources, UNSAFE reasons and warnings are printed', () => {
    const newModel = fleet((m) => {
      m.dataPlanes = withDataPlane(m, 'dp-ecs-use1', { replicas: { min: 3, max: 10 } });
    });
    const text = formatPlan(
      planFleet(
        fleet(),
        newModel,
        stacks(),
        stacks({
          'kf-cp': cpTemplate({ dbIdentifier: 'other', engine: 'mysql' }),
          'kf-dp-dp-eks-use1': dpTemplate('dp-eks-use1', { replicas: 3 }),
        }),
      ),
    );
    expect(text).toMatch(/^kf-cp\s+control-plane\s+changed\s+0\s+0\s+0\s+1$/m);
    expect(text).toContain('Replaced resources:\n  kf-cp\n    Database (AWS::RDS::DBInstance)\n');
    expect(text).toContain('  ~ dp dp-ecs-use1: replicas 2-10 → 3-10\n');
    expect(text).toMatch(/\nUNSAFE:\n {2}- kf-cp: Database \(AWS::RDS::DBInstance\) would be replaced/);
    expect(text).toContain('\nWarnings:\n  - kf-dp-dp-eks-use1 (data plane dp-eks-use1');
    expect(text).not.toMatch(/^SAFE:/m);
  });

  test('GIVEN a possible replacement and a long removal WHEN formatted THEN MAY is shown and the list is capped', () => {
    const many = Object.fromEntries(
      Array.from({ length: 12 }, (_, i) => [`Topic${String(i).padStart(2, '0')}`, { Type: 'AWS::SNS::Topic' }]),
    );
    const plan = planFleet(
      fleet(),
      fleet(),
      stacks({ 'kf-dp-dp-ecs-use1': dpTemplate('dp-ecs-use1', { extra: many }) }),
      stacks({ 'kf-cp': cpTemplate({ engine: 'mysql' }) }),
    );
    const text = formatPlan(plan);
    expect(text).toMatch(/^kf-cp\s+control-plane\s+changed\s+0\s+0\s+0\s+1 \(1 may\)$/m);
    expect(text).toContain('    Database (AWS::RDS::DBInstance) — may be replaced\n');
    expect(text).toContain('    … and 2 more\n');
  });

  test('GIVEN nothing changes WHEN formatted THEN SAFE: nothing changes', () => {
    const text = formatPlan(planFleet(fleet(), fleet(), stacks(), stacks()));
    expect(text).toContain('Fleet file changes:\n  (none)\n');
    expect(text).toContain('SAFE: nothing changes\n');
    expect(text).not.toContain('Warnings:');
  });
});

describe('formatStackDiff', () => {
  test('GIVEN a replaced DB WHEN formatted THEN the cdk-diff text names it, without CDK bookkeeping', () => {
    const text = formatStackDiff('kf-cp', cpTemplate(), cpTemplate({ dbIdentifier: 'other', cdkHash: 'zzzz' }));
    expect(text).toContain('Database');
    expect(text).toContain('replace');
    expect(text).not.toContain('CDKMetadata');
    expect(text).not.toContain('BootstrapVersion');
  });
});
