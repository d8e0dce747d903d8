/**
 * KongControlPlaneEc2 and KongDataPlaneEc2: one app per trust mode with both planes (a CP stack and
 * a DP stack, cdk-nag's AwsSolutions checks attached), synthesized once and shared by the tests;
 * the control plane's migration scheme run in bash against a stubbed `kong`; the props refused.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KongControlPlaneEc2, KongControlPlaneEc2Props } from '../../src/control-plane/kong-control-plane-ec2';
import { IKongControlPlaneConnection } from '../../src/core/control-plane-connection';
import { KONG_VERSION_TAG, migrationScript } from '../../src/kong/ec2-user-data';
import { KongClusterTrust } from '../../src/core/kong-cluster-trust';
import { KongDataPlaneEc2, KongDataPlaneEc2Props } from '../../src/data-plane/kong-data-plane-ec2';
import { defaultReferenceDir, loadKongReference } from '../../src/kong/reference';
import { kongEnvName } from '../../src/kong/render';
import { DEFAULT_KONG_VERSION } from '../../src/kong/version';
import { cfnLintErrors, filesUnder, secretFindings } from '../support/output-checks';
import { unitTestApp } from '../support/synth';
import { expectKongError } from '../support/errors';

const ZONE = 'kong.example.com';
const CLUSTER = `cluster.${ZONE}`;
const TELEMETRY = `telemetry.${ZONE}`;
const PACKAGE = `kong-enterprise-edition-${DEFAULT_KONG_VERSION}`;

type Mode = 'shared' | 'pki';

interface Fixture {
  readonly mode: Mode;
  readonly trust: KongClusterTrust;
  readonly cpStack: Stack;
  readonly dpStack: Stack;
  readonly cp: KongControlPlaneEc2;
  readonly dp: KongDataPlaneEc2;
  readonly cpTemplate: Template;
  readonly dpTemplate: Template;
  readonly outdir: string;
  /** What cdk-nag's validation threw at synthesis, if anything. */
  readonly nagError?: Error;
  /** The control plane's and the data plane's architecture. */
  readonly architectures: { cp: ec2.InstanceArchitecture; dp: ec2.InstanceArchitecture };
}

const fixtures = new Map<Mode, Fixture>();

/** Both planes in one app (CP stack, DP stack); shared mode runs the CP on arm64, pki on x86_64. */
function fixture(mode: Mode): Fixture {
  const cached = fixtures.get(mode);
  if (cached) return cached;
  const app = unitTestApp();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const architectures =
    mode === 'shared'
      ? { cp: ec2.InstanceArchitecture.ARM_64, dp: ec2.InstanceArchitecture.X86_64 }
      : { cp: ec2.InstanceArchitecture.X86_64, dp: ec2.InstanceArchitecture.ARM_64 };
  const cpStack = new Stack(app, 'KongCpEc2');
  const hostedZone = route53.HostedZone.fromHostedZoneAttributes(cpStack, 'Zone', {
    hostedZoneId: 'Z0000000000000000000',
    zoneName: ZONE,
  });
  const trust = new KongClusterTrust(cpStack, 'ClusterTrust', { mode, name: 'fleet' });
  const cp = new KongControlPlaneEc2(cpStack, 'ControlPlane', {
    trust,
    hostedZone,
    clusterHostname: CLUSTER,
    telemetryHostname: TELEMETRY,
    licenseSecret: secretsmanager.Secret.fromSecretNameV2(cpStack, 'License', 'kong-license'),
    architecture: architectures.cp,
  });
  const dpStack = new Stack(app, 'KongDpEc2');
  const dp = new KongDataPlaneEc2(dpStack, 'DataPlane', {
    controlPlane: cp,
    dataPlaneName: 'dp-ec2',
    architecture: architectures.dp,
    labels: { team: 'payments' },
  });
  let nagError: Error | undefined;
  let outdir: string;
  try {
    outdir = app.synth().directory;
  } catch (e) {
    nagError = e as Error;
    outdir = app.outdir;
  }
  const read = (stack: Stack) =>
    Template.fromJSON(JSON.parse(fs.readFileSync(path.join(outdir, stack.templateFile), 'utf8')));
  const f: Fixture = {
    mode,
    trust,
    cpStack,
    dpStack,
    cp,
    dp,
    cpTemplate: read(cpStack),
    dpTemplate: read(dpStack),
    outdir,
    nagError,
    architectures,
  };
  fixtures.set(mode, f);
  return f;
}

/** Resolves a string with tokens into text: references become `<LogicalId>` / `<LogicalId.Attr>`. */
function text(stack: Stack, value: string): string {
  const render = (v: unknown): string => {
    if (typeof v === 'string') return v;
    const o = v as Record<string, any>;
    if (o.Ref) return `<${o.Ref}>`;
    if (o['Fn::GetAtt']) return `<${(o['Fn::GetAtt'] as string[]).join('.')}>`;
    if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(render).join(o['Fn::Join'][0]);
    return JSON.stringify(v);
  };
  return render(stack.resolve(value));
}

function logicalId(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

/** Every ingress rule of a template, inline or standalone, with the group it belongs to. */
function ingressRules(template: Template): Array<Record<string, any>> {
  const rules: Array<Record<string, any>> = [];
  for (const [id, sg] of Object.entries(template.findResources('AWS::EC2::SecurityGroup'))) {
    for (const rule of (sg as any).Properties.SecurityGroupIngress ?? []) rules.push({ ...rule, GroupId: { Ref: id } });
  }
  for (const rule of Object.values(template.findResources('AWS::EC2::SecurityGroupIngress'))) {
    rules.push((rule as any).Properties);
  }
  return rules;
}

function covers(rule: Record<string, any>, port: number): boolean {
  return rule.IpProtocol === '-1' || (rule.FromPort <= port && port <= rule.ToPort);
}

describe.each<Mode>(['shared', 'pki'])('%s mode: both planes on EC2', (mode) => {
  test('cdk-nag AwsSolutions reports no unacknowledged finding', () => {
    expect(fixture(mode).nagError?.message).toBeUndefined();
  });

  test('cfn-lint finds no error in either template', () => {
    const f = fixture(mode);
    for (const stack of [f.cpStack, f.dpStack]) {
      const result = cfnLintErrors(path.join(f.outdir, stack.templateFile));
      expect({ stack: stack.stackName, ...result }).toEqual({ stack: stack.stackName, errors: [], status: 0 });
    }
  });

  test('launch templates: IMDSv2 only, hop limit 1, encrypted gp3 root volume, detailed monitoring, no key pair', () => {
    const f = fixture(mode);
    for (const template of [f.cpTemplate, f.dpTemplate]) {
      template.resourceCountIs('AWS::EC2::LaunchTemplate', 1);
      template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
        LaunchTemplateData: Match.objectLike({
          MetadataOptions: {
            HttpEndpoint: 'enabled',
            HttpTokens: 'required',
            HttpPutResponseHopLimit: 1,
            InstanceMetadataTags: 'disabled',
          },
          Monitoring: { Enabled: true },
          KeyName: Match.absent(),
          IamInstanceProfile: Match.anyValue(),
          BlockDeviceMappings: [
            {
              DeviceName: '/dev/xvda',
              Ebs: Match.objectLike({
                Encrypted: true,
                KmsKeyId: Match.anyValue(),
                VolumeType: 'gp3',
                DeleteOnTermination: true,
              }),
            },
          ],
        }),
      });
      // The volume key is rotated and usable by EC2 only (whoever launches: Auto Scaling's role).
      template.hasResourceProperties('AWS::KMS::Key', {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith(['kms:GenerateDataKey*', 'kms:CreateGrant']),
              Condition: {
                StringEquals: { 'kms:ViaService': Match.anyValue(), 'kms:CallerAccount': Match.anyValue() },
              },
            }),
          ]),
        },
      });
    }
  });

  test('instance roles: Session Manager, exactly the plane secrets, their own signal; no SSH anywhere', () => {
    const f = fixture(mode);
    const ssm = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']],
    };
    const planes = [
      {
        stack: f.cpStack,
        template: f.cpTemplate,
        instances: f.cp.instances,
        secrets: [
          f.trust.controlPlaneCredentials(f.cp, { serverNames: [CLUSTER, TELEMETRY] }).secret.secretArn,
          f.cp.database.credentials.secretArn,
          f.cp.licenseSecret!.secretArn,
        ],
      },
      {
        stack: f.dpStack,
        template: f.dpTemplate,
        instances: f.dp.instances,
        secrets: [f.trust.dataPlaneCredentials(f.dp, 'dp-ec2').secret.secretArn, f.cp.licenseSecret!.secretArn],
      },
    ];
    for (const { stack, template, instances, secrets } of planes) {
      const role = logicalId(stack, instances.role);
      template.hasResourceProperties('AWS::IAM::Role', {
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })],
        }),
        ManagedPolicyArns: [ssm],
      });
      const statements = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((p: any) => p.Properties.Roles.some((r: any) => r.Ref === role))
        .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
      const secretReads = statements.filter((s: any) => [s.Action].flat().includes('secretsmanager:GetSecretValue'));
      const granted = secretReads.map((s: any) => JSON.stringify(s.Resource)).sort();
      // A secret imported by name is granted with Secrets Manager's 6-character suffix.
      const expected = secrets
        .map((arn) => stack.resolve(arn))
        .map((arn) =>
          typeof arn === 'object' && arn['Fn::Join']
            ? { 'Fn::Join': ['', [...arn['Fn::Join'][1].slice(0, -1), `${arn['Fn::Join'][1].at(-1)}-??????`]] }
            : arn,
        )
        .map((arn) => JSON.stringify(arn))
        .sort();
      expect(granted).toEqual(expected);
      expect(statements).toContainEqual(
        expect.objectContaining({ Action: 'cloudformation:SignalResource', Resource: { Ref: 'AWS::StackId' } }),
      );
      const describe = statements.filter((s: any) => [s.Action].flat().includes('ec2:DescribeInstances'));
      expect(describe).toHaveLength(instances === f.cp.instances ? 1 : 0);
      for (const rule of ingressRules(template)) expect(covers(rule, 22)).toBe(false);
    }
  });

  test('Auto Scaling groups: ≥ 2 instances in private subnets, rolling updates that keep capacity and wait for signals', () => {
    const f = fixture(mode);
    for (const [template, max, timeout] of [
      [f.cpTemplate, '3', 'PT40M'],
      [f.dpTemplate, '10', 'PT20M'],
    ] as const) {
      template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 1);
      template.hasResource('AWS::AutoScaling::AutoScalingGroup', {
        Properties: Match.objectLike({
          MinSize: '2',
          MaxSize: max,
          DesiredCapacity: Match.absent(),
          HealthCheckType: 'EC2',
          Cooldown: '300',
          VPCZoneIdentifier: Match.anyValue(),
          LaunchTemplate: Match.objectLike({ Version: Match.anyValue() }),
          Tags: Match.arrayWith([{ Key: KONG_VERSION_TAG, PropagateAtLaunch: true, Value: DEFAULT_KONG_VERSION }]),
        }),
        CreationPolicy: { ResourceSignal: { Count: 2, Timeout: timeout } },
        UpdatePolicy: {
          AutoScalingRollingUpdate: Match.objectLike({
            MaxBatchSize: 1,
            MinInstancesInService: 2,
            WaitOnResourceSignals: true,
            PauseTime: timeout,
          }),
          AutoScalingScheduledAction: Match.anyValue(),
        },
      });
    }
    // Private subnets only: the subnets of the VPC without a route to an internet gateway.
    const [group] = Object.values(f.cpTemplate.findResources('AWS::AutoScaling::AutoScalingGroup')) as any[];
    const subnets = group.Properties.VPCZoneIdentifier.map((s: any) => s.Ref);
    expect(subnets).toHaveLength(2);
    for (const subnet of subnets) expect(subnet).toMatch(/private/i);
    f.dpTemplate.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' },
        TargetValue: 70,
      }),
    });
    expect(Object.keys(f.cpTemplate.findResources('AWS::AutoScaling::ScalingPolicy'))).toHaveLength(0);
  });

  test('a certificate rotation rolls both groups', () => {
    const f = fixture(mode);
    for (const [stack, template, instances] of [
      [f.cpStack, f.cpTemplate, f.cp.instances],
      [f.dpStack, f.dpTemplate, f.dp.instances],
    ] as const) {
      const group = logicalId(stack, instances.autoScalingGroup);
      const rules = Object.values(template.findResources('AWS::Events::Rule')).map((r: any) =>
        JSON.stringify(r.Properties.Targets),
      );
      expect(rules.some((r) => r.includes('auto-scaling-group') && r.includes(group))).toBe(true);
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: ['autoscaling:StartInstanceRefresh', 'autoscaling:CancelInstanceRefresh'] }),
          ]),
        },
      });
    }
  });

  test('the CP NLB forwards TCP 8005/8006 to the instances, health on /status/ready of the status port; no Admin API from outside', () => {
    const f = fixture(mode);
    const t = f.cpTemplate;
    const listeners = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::Listener')).map(
      (l: any) => l.Properties,
    );
    expect(listeners.map((l) => [l.Port, l.Protocol]).sort()).toEqual([
      [8005, 'TCP'],
      [8006, 'TCP'],
    ]);
    const groups = t.findResources('AWS::ElasticLoadBalancingV2::TargetGroup');
    expect(
      Object.values(groups)
        .map((g: any) => g.Properties.Port)
        .sort(),
    ).toEqual([8005, 8006]);
    for (const g of Object.values(groups) as any[]) {
      expect(g.Properties).toMatchObject({
        Protocol: 'TCP',
        TargetType: 'instance',
        HealthCheckProtocol: 'HTTP',
        HealthCheckPort: '8100',
        HealthCheckPath: '/status/ready',
      });
    }
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Type: 'network',
    });
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      TargetGroupARNs: Match.arrayWith(Object.keys(groups).map((id) => ({ Ref: id }))),
    });
    // The instances accept the cluster, telemetry and status ports from the NLB only.
    const instanceSg = logicalId(f.cpStack, f.cp.securityGroup);
    const nlbSg = logicalId(f.cpStack, f.cp.loadBalancer.securityGroup);
    const rules = ingressRules(t).filter((r) => JSON.stringify(r.GroupId).includes(instanceSg));
    expect(rules.map((r) => r.FromPort).sort()).toEqual([8005, 8006, 8100]);
    for (const r of rules) expect(JSON.stringify(r.SourceSecurityGroupId)).toContain(nlbSg);
    for (const port of [8001, 8002, 8444, 8445]) {
      for (const r of ingressRules(t)) expect(covers(r, port)).toBe(false);
    }
    expect(f.cp.kongConf).toMatch(/^admin_listen = 127\.0\.0\.1:8444 ssl http2$/m);
    expect(f.cp.kongConf).toMatch(/^admin_gui_listen = 127\.0\.0\.1:8445 ssl$/m);
  });

  test('the DP proxy NLB: internal, TCP 80/443 → 8000/8443, health on /status/ready of the status port', () => {
    const f = fixture(mode);
    const t = f.dpTemplate;
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal', Type: 'network' });
    const groups = t.findResources('AWS::ElasticLoadBalancingV2::TargetGroup');
    const listeners = Object.values(t.findResources('AWS::ElasticLoadBalancingV2::Listener')).map((l: any) => [
      l.Properties.Port,
      groups[l.Properties.DefaultActions[0].TargetGroupArn.Ref].Properties.Port,
    ]);
    expect(listeners.sort()).toEqual([
      [443, 8443],
      [80, 8000],
    ]);
    for (const g of Object.values(groups) as any[]) {
      expect(g.Properties).toMatchObject({
        TargetType: 'instance',
        HealthCheckPort: '8100',
        HealthCheckPath: '/status/ready',
      });
    }
    t.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      TargetGroupARNs: Match.arrayWith(Object.keys(groups).map((id) => ({ Ref: id }))),
    });
    const instanceSg = logicalId(f.dpStack, f.dp.securityGroup);
    const rules = ingressRules(t).filter((r) => JSON.stringify(r.GroupId).includes(instanceSg));
    expect(rules.map((r) => r.FromPort).sort()).toEqual([8000, 8100, 8443]);
  });

  test("the data plane's endpoints are the CP's NLB listener ports under its DNS names", () => {
    const f = fixture(mode);
    const ports = f.cp.loadBalancer.listenerPorts;
    expect(f.dp.clusterControlPlane).toBe(`${CLUSTER}:${ports.Cluster}`);
    expect(f.dp.clusterTelemetryEndpoint).toBe(`${TELEMETRY}:${ports.Telemetry}`);
    expect(f.dp.kongConf).toContain(`\ncluster_control_plane = ${f.dp.clusterControlPlane}\n`);
    expect(f.dp.kongConf).toContain(`\ncluster_telemetry_endpoint = ${f.dp.clusterTelemetryEndpoint}\n`);
    const listenerPorts = Object.values(f.cpTemplate.findResources('AWS::ElasticLoadBalancingV2::Listener')).map(
      (l: any) => l.Properties.Port,
    );
    expect(listenerPorts).toEqual(expect.arrayContaining([ports.Cluster, ports.Telemetry]));
    const nlb = logicalId(f.cpStack, f.cp.loadBalancer.loadBalancer);
    for (const name of [CLUSTER, TELEMETRY]) {
      f.cpTemplate.hasResourceProperties('AWS::Route53::RecordSet', {
        Name: `${name}.`,
        Type: 'A',
        AliasTarget: {
          DNSName: Match.objectLike({
            'Fn::Join': Match.arrayWith([Match.arrayWith([{ 'Fn::GetAtt': [nlb, 'DNSName'] }])]),
          }),
        },
      });
    }
    if (mode === 'pki') {
      expect(f.dp.kongConf).toContain(`\ncluster_server_name = ${CLUSTER}\n`);
      expect(f.dp.kongConf).toContain(`\ncluster_telemetry_server_name = ${TELEMETRY}\n`);
      expect(f.dp.kongConf).toContain('\ncluster_ca_cert = /etc/kong/cluster/ca.crt\n');
    } else {
      expect(f.dp.kongConf).not.toContain('cluster_server_name');
    }
    expect(f.dp.kongConf).toContain('\ncluster_dp_labels = dp:dp-ec2,team:payments\n');
  });

  test("kong.conf: every key is in Kong's reference, certificates by path, no secret", () => {
    const f = fixture(mode);
    const reference = loadKongReference(defaultReferenceDir());
    for (const conf of [f.cp.kongConf, f.dp.kongConf]) {
      const keys = conf
        .split('\n')
        .filter((l) => l !== '' && !l.startsWith('#'))
        .map((l) => l.split(' = ')[0]);
      expect(keys.length).toBeGreaterThan(10);
      expect(keys.filter((k) => !reference.confNames.has(k))).toEqual([]);
      expect(conf).toContain('\ncluster_cert = /etc/kong/cluster/tls.crt\n');
      expect(conf).toContain('\ncluster_cert_key = /etc/kong/cluster/tls.key\n');
      expect(conf).toContain(`\ncluster_mtls = ${mode}\n`);
      expect(conf).not.toMatch(/pg_password|pg_user|license/);
    }
    for (const instances of [f.cp.instances, f.dp.instances]) {
      const names = Object.keys(instances.userData.environmentSecrets);
      expect(names.filter((n) => !reference.envNames.has(n))).toEqual([]);
    }
  });

  test('user data and templates hold no secret value', () => {
    const f = fixture(mode);
    expect(secretFindings(f.outdir)).toEqual([]);
    for (const file of filesUnder(f.outdir)) {
      const content = fs.readFileSync(file, 'latin1');
      expect({ file, pem: content.includes('-----BEGIN') }).toEqual({ file, pem: false });
    }
    for (const script of [text(f.cpStack, f.cp.userData), text(f.dpStack, f.dp.userData)]) {
      expect(script).not.toMatch(/-----BEGIN|"(license|payload|signature)"\s*:|password\s*=|MasterUserPassword/);
    }
  });

  test('user data reads exactly the plane secrets into files and the root-only environment file', () => {
    const f = fixture(mode);
    const cpScript = text(f.cpStack, f.cp.userData);
    const dpScript = text(f.dpStack, f.dp.userData);
    const arn = (stack: Stack, secret: secretsmanager.ISecret) => `'${text(stack, secret.secretArn)}'`;
    const cpCredentials = f.trust.controlPlaneCredentials(f.cp, { serverNames: [CLUSTER, TELEMETRY] });
    const dpCredentials = f.trust.dataPlaneCredentials(f.dp, 'dp-ec2');
    expect(cpScript).toContain(
      `declare -A SECRET_ARN=([cluster-credentials]=${arn(f.cpStack, cpCredentials.secret)} ` +
        `[database]=${arn(f.cpStack, f.cp.database.credentials)} [license]=${arn(f.cpStack, f.cp.licenseSecret!)})`,
    );
    expect(dpScript).toContain(
      `declare -A SECRET_ARN=([cluster-credentials]=${arn(f.dpStack, dpCredentials.secret)} ` +
        `[license]=${arn(f.dpStack, f.cp.licenseSecret!)})`,
    );
    const files = [
      "secret_file /etc/kong/cluster/tls.crt 'cluster-credentials' 'cert'",
      "secret_file /etc/kong/cluster/tls.key 'cluster-credentials' 'key'",
      ...(mode === 'pki' ? ["secret_file /etc/kong/cluster/ca.crt 'cluster-credentials' 'ca'"] : []),
    ];
    const lines = (script: string, prefix: string) => script.split('\n').filter((l) => l.startsWith(prefix));
    for (const script of [cpScript, dpScript]) expect(lines(script, 'secret_file ')).toEqual(files);
    expect(lines(cpScript, 'env_secret ')).toEqual([
      `env_secret ${kongEnvName('license_data')} 'license' '*'`,
      `env_secret ${kongEnvName('pg_password')} 'database' 'password'`,
      `env_secret ${kongEnvName('pg_user')} 'database' 'username'`,
    ]);
    expect(lines(dpScript, 'env_secret ')).toEqual([`env_secret ${kongEnvName('license_data')} 'license' '*'`]);
    for (const script of [cpScript, dpScript]) {
      expect(script).toContain('install -m 0600 -o kong -g kong /dev/null "$1"');
      expect(script).toContain('install -m 0600 -o root -g root /dev/null /etc/kong/kong-secrets.env');
      expect(script).toContain('EnvironmentFile=/etc/kong/kong-secrets.env');
      expect(script).toMatch(/^set -euo pipefail$/m);
      expect(script).toContain('aws secretsmanager get-secret-value');
      // The size limit of EC2 user data (16 KB) with room for real ARNs.
      expect(Buffer.byteLength(script)).toBeLessThan(14 * 1024);
    }
  });

  test('user data installs exactly the pinned package from Kong’s amzn/2023 repository, on the right architecture', () => {
    const f = fixture(mode);
    for (const [stack, template, plane, architecture] of [
      [f.cpStack, f.cpTemplate, f.cp, f.architectures.cp],
      [f.dpStack, f.dpTemplate, f.dp, f.architectures.dp],
    ] as const) {
      const script = text(stack, plane.userData);
      expect(script).toContain(
        'curl -sSf --retry 5 --proto \'=https\' --tlsv1.2 -o "$REPO_FILE" ' +
          "'https://packages.konghq.com/public/gateway-310/config.rpm.txt?distro=amzn&codename=2023'",
      );
      expect(script).toContain("grep -q '^baseurl=https://packages.konghq.com/public/gateway-310/rpm/amzn/2023/'");
      expect(script).toContain(`dnf install -y -q --setopt=retries=10 jq ${PACKAGE}\n`);
      expect(script).toContain(`rpm -q ${PACKAGE}\n`);
      const parameters = template.toJSON().Parameters as Record<string, { Default: string }>;
      const image = Object.entries(parameters).find(([, p]) => p.Default.includes('al2023-ami-kernel-default'))!;
      expect(image[1].Default).toBe(`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`);
      template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
        LaunchTemplateData: Match.objectLike({
          ImageId: { Ref: image[0] },
          InstanceType: architecture === ec2.InstanceArchitecture.ARM_64 ? 'm7g.large' : 'm7i.large',
        }),
      });
    }
  });

  test('Kong runs under systemd as kong, restarted on failure; the instance signals only once ready', () => {
    const f = fixture(mode);
    const cpScript = text(f.cpStack, f.cp.userData);
    const dpScript = text(f.dpStack, f.dp.userData);
    for (const script of [cpScript, dpScript]) {
      expect(script).toContain('\nUser=kong\n');
      expect(script).toContain('\nRestart=on-failure\n');
      expect(script).toContain(`\nEnvironment=${kongEnvName('nginx_daemon')}=off\n`);
      expect(script).toContain('ExecStart=/usr/local/openresty/nginx/sbin/nginx -p /usr/local/kong -c nginx.conf');
      expect(script).toContain("'http://127.0.0.1:8100/status/ready'");
      expect(script.indexOf('signal SUCCESS')).toBeGreaterThan(script.indexOf('until ready; do'));
      expect(script).toContain('--logical-resource-id "$SIGNAL_RESOURCE"');
    }
    expect(cpScript).toContain(`SIGNAL_RESOURCE='${logicalId(f.cpStack, f.cp.autoScalingGroup)}'`);
    expect(dpScript).toContain(`SIGNAL_RESOURCE='${logicalId(f.dpStack, f.dp.autoScalingGroup)}'`);
    // A data plane of a fleet with nothing configured yet is connected and synced: not a failure.
    expect(dpScript).toContain("*'empty configuration present'*");
    expect(cpScript).not.toContain('empty configuration present');
  });

  test('only the control plane runs migrations, before Kong starts, with a finish timer', () => {
    const f = fixture(mode);
    const cpScript = text(f.cpStack, f.cp.userData);
    const dpScript = text(f.dpStack, f.dp.userData);
    expect(cpScript).toContain(migrationScript(DEFAULT_KONG_VERSION, 1500));
    expect(cpScript).toContain('Requires=kong-migrations.service');
    expect(cpScript).toContain('ExecStart=/usr/local/libexec/kong-fleet/kong-migrations boot');
    expect(cpScript).toContain('ExecStart=/usr/local/libexec/kong-fleet/kong-migrations finish');
    expect(cpScript).toContain('systemctl enable kong-migrations-finish.timer');
    expect(dpScript).not.toContain('migrations');
  });
});

describe('the control-plane migration scheme (bash, with a stubbed kong)', () => {
  const version = DEFAULT_KONG_VERSION;
  const NEW = [{ subsystem: 'core', migrations: ['new'] }];
  const PENDING = [{ subsystem: 'core', migrations: ['pending'] }];

  /**
   * Runs the migration script with `kong`, `aws`, `curl` and `sleep` stubbed. `kong migrations`
   * keeps the schema state in a file (bootstrap/up/finish change it the way Kong does); `nodes` are
   * the group's instances and their version tags; `external` replaces the state before the given
   * `status` call, as another node would.
   */
  function run(
    command: 'boot' | 'finish',
    state: object,
    nodes: Array<[string, string]>,
    external?: { beforeStatusCall: number; state: object },
    lockedElsewhere = false,
  ): { calls: string[]; status: number | null; output: string } {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-migrations-'));
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin);
    fs.writeFileSync(path.join(dir, 'state'), JSON.stringify(state));
    fs.writeFileSync(path.join(dir, 'nodes'), nodes.map((n) => n.join('\t')).join('\n') + '\n');
    if (external) fs.writeFileSync(path.join(dir, 'external'), JSON.stringify(external.state));
    const stub = (name: string, body: string) =>
      fs.writeFileSync(path.join(bin, name), `#!/bin/bash\nset -euo pipefail\nS=${dir}\n${body}\n`, { mode: 0o755 });
    stub(
      'kong',
      [
        'echo "$2" >> "$S/calls"',
        'case "$2" in',
        '  status)',
        '    n=$(grep -c status "$S/calls")',
        `    if [ -f "$S/external" ] && [ "$n" -eq ${external?.beforeStatusCall ?? 0} ]; then cp "$S/external" "$S/state"; fi`,
        '    echo "a log line"; cat "$S/state" ;;',
        // Another node holds Kong's migration lock: Kong logs that it aborted and changes nothing.
        ...(lockedElsewhere ? ['  *) echo "aborted: another node is performing database changes"; exit 0 ;;'] : []),
        '  bootstrap) echo \'{"needs_bootstrap":false,"executed_migrations":[{"subsystem":"core"}]}\' > "$S/state" ;;',
        '  up) jq -c \'del(.new_migrations) | .pending_migrations = [{"subsystem":"core"}]\' "$S/state" > "$S/next"; mv "$S/next" "$S/state" ;;',
        '  finish) jq -c \'del(.pending_migrations)\' "$S/state" > "$S/next"; mv "$S/next" "$S/state" ;;',
        'esac',
      ].join('\n'),
    );
    stub(
      'aws',
      'case "$*" in *--instance-ids*) echo kong-cp-group ;; *Values=kong-cp-group*) cat "$S/nodes" ;; *) exit 1 ;; esac',
    );
    stub(
      'curl',
      'case "$*" in *api/token*) echo token ;; *instance-id*) echo i-self ;; *placement/region*) echo us-east-1 ;; *) exit 1 ;; esac',
    );
    stub('sleep', 'exit 0');
    const script = path.join(dir, 'kong-migrations');
    fs.writeFileSync(script, migrationScript(version, 2).replace('KONG=/usr/local/bin/kong', `KONG=${bin}/kong`));
    const result = spawnSync('bash', [script, command], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    const calls = fs.existsSync(path.join(dir, 'calls'))
      ? fs.readFileSync(path.join(dir, 'calls'), 'utf8').trim().split('\n')
      : [];
    fs.rmSync(dir, { recursive: true, force: true });
    return { calls, status: result.status, output: result.stdout + result.stderr };
  }

  const current: Array<[string, string]> = [
    ['i-self', version],
    ['i-other', version],
  ];
  const upgrading: Array<[string, string]> = [
    ['i-self', version],
    ['i-old', '3.9.1.0'],
  ];

  test('an empty database is bootstrapped, once', () => {
    expect(run('boot', { needs_bootstrap: true, new_migrations: NEW }, current)).toMatchObject({
      status: 0,
      calls: ['status', 'bootstrap', 'status'],
    });
  });

  test('a current database is left alone', () => {
    expect(run('boot', { needs_bootstrap: false }, current)).toMatchObject({ status: 0, calls: ['status'] });
  });

  test('a concurrent first boot: Kong’s lock is another node’s; this one retries harmlessly and starts once current', () => {
    const result = run(
      'boot',
      { needs_bootstrap: true, new_migrations: NEW },
      current,
      { beforeStatusCall: 3, state: { needs_bootstrap: false } },
      true,
    );
    expect(result).toMatchObject({ status: 0, calls: ['status', 'bootstrap', 'status', 'bootstrap', 'status'] });
    expect(result.output).toContain('database schema: current');
  });

  test('new migrations: `up`, and `finish` at once when every node runs this version', () => {
    expect(run('boot', { needs_bootstrap: false, new_migrations: NEW }, current)).toMatchObject({
      status: 0,
      calls: ['status', 'up', 'status', 'finish'],
    });
  });

  test('during a rolling upgrade: `up` but no `finish` while an older node serves', () => {
    const result = run('boot', { needs_bootstrap: false, new_migrations: NEW }, upgrading);
    expect(result).toMatchObject({ status: 0, calls: ['status', 'up', 'status'] });
    expect(result.output).toContain('i-old runs Kong 3.9.1.0');
  });

  test('the timer finishes once the old nodes are gone, and only then', () => {
    const pending = { needs_bootstrap: false, pending_migrations: PENDING };
    expect(run('finish', pending, upgrading)).toMatchObject({ status: 0, calls: ['status'] });
    expect(run('finish', pending, current)).toMatchObject({ status: 0, calls: ['status', 'finish'] });
    expect(run('finish', pending, [...current, ['i-newer', '3.11.0.0']])).toMatchObject({
      calls: ['status', 'finish'],
    });
    expect(run('finish', pending, [...current, ['i-untagged', 'None']])).toMatchObject({ calls: ['status'] });
    expect(run('finish', { needs_bootstrap: false }, current)).toMatchObject({ calls: ['status'] });
  });

  test("the previous upgrade unfinished: this node waits for the old nodes' finish, then runs `up`", () => {
    const result = run(
      'boot',
      { needs_bootstrap: false, pending_migrations: PENDING, new_migrations: NEW },
      upgrading,
      {
        beforeStatusCall: 3,
        state: { needs_bootstrap: false, new_migrations: NEW },
      },
    );
    expect(result).toMatchObject({ status: 0, calls: ['status', 'status', 'status', 'up', 'status'] });
  });

  test('a database that never becomes usable fails the boot', () => {
    const result = run('boot', { needs_bootstrap: false, pending_migrations: PENDING, new_migrations: NEW }, upgrading);
    expect(result.status).toBe(1);
    expect(result.output).toContain('gave up (schema: finish-then-up)');
    expect(result.calls).not.toContain('up');
    expect(result.calls).not.toContain('finish');
  });
});

describe('refused props', () => {
  function controlPlane(overrides: Partial<KongControlPlaneEc2Props> = {}) {
    const stack = new Stack(unitTestApp(), 'Test');
    return new KongControlPlaneEc2(stack, 'Cp', {
      trust: new KongClusterTrust(stack, 'Trust'),
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', {
        hostedZoneId: 'Z0000000000000000000',
        zoneName: ZONE,
      }),
      clusterHostname: CLUSTER,
      telemetryHostname: TELEMETRY,
      ...overrides,
    });
  }

  function dataPlane(overrides: Partial<KongDataPlaneEc2Props> = {}, cpVersion = DEFAULT_KONG_VERSION) {
    const stack = new Stack(unitTestApp(), 'Test');
    const controlPlane: IKongControlPlaneConnection = {
      clusterEndpoint: { host: CLUSTER, port: 8005 },
      telemetryEndpoint: { host: TELEMETRY, port: 8006 },
      trust: new KongClusterTrust(stack, 'Trust'),
      kongVersion: cpVersion,
    };
    return new KongDataPlaneEc2(stack, 'Dp', { controlPlane, ...overrides });
  }

  test('one instance', () => {
    expectKongError(
      () => controlPlane({ minCapacity: 1 }),
      /^Test\/Cp\.minCapacity: .*\(got 1; expected an integer ≥ 2\)/,
    );
    expectKongError(
      () => dataPlane({ minCapacity: 1 }),
      /^Test\/Dp\.minCapacity: .*\(got 1; expected an integer ≥ 2\)/,
    );
  });

  test('no room above minCapacity for a rolling update', () => {
    expectKongError(
      () => controlPlane({ minCapacity: 3, maxCapacity: 3 }),
      /^Test\/Cp\.maxCapacity: must exceed minCapacity/,
    );
  });

  test('an unsupported architecture, or an instance type of the other one', () => {
    expectKongError(
      () => controlPlane({ architecture: 'ppc64le' as ec2.InstanceArchitecture }),
      /^Test\/Cp\.architecture: is not an architecture Kong publishes packages for \(got "ppc64le"; expected arm64 or x86_64\)/,
    );
    expectKongError(
      () =>
        dataPlane({ architecture: ec2.InstanceArchitecture.ARM_64, instanceType: new ec2.InstanceType('m7i.large') }),
      /^Test\/Dp\.instanceType: is not an arm64 instance type \(got "m7i\.large"/,
    );
  });

  test('a data plane newer than its control plane', () => {
    expectKongError(
      () => dataPlane({ kongVersion: '3.11.0.0' }, '3.10.0.6'),
      /^Test\/Dp\.kongVersion: data plane is newer than the control plane \(3\.10\.0\.6\); upgrade the control plane first \(got "3\.11\.0\.0"/,
    );
  });

  test('a bad hostname', () => {
    expectKongError(
      () => controlPlane({ clusterHostname: 'Cluster_1.kong.example.com' }),
      /^Test\/Cp\.clusterHostname: is not a DNS name \(got "Cluster_1\.kong\.example\.com"/,
    );
    expectKongError(
      () => controlPlane({ telemetryHostname: 'telemetry.other.example.org' }),
      /^Test\/Cp\.telemetryHostname: is outside the hosted zone/,
    );
  });

  test('a CPU target out of range', () => {
    expectKongError(
      () => dataPlane({ targetCpuPercent: 100 }),
      /^Test\/Dp\.targetCpuPercent: is out of range \(got 100/,
    );
  });
});
