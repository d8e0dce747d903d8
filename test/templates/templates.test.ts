import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { main } from '../../src/cli/main';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { KongControlPlaneEc2 } from '../../src/control-plane/kong-control-plane-ec2';
import { KongClusterTrust } from '../../src/core/kong-cluster-trust';
import { KongDataPlaneEcs } from '../../src/data-plane/kong-data-plane-ecs';
import { KongDataPlaneEks } from '../../src/data-plane/kong-data-plane-eks';
import { endpoint } from '../../src/kong/config';
import { KONG_PORTS } from '../../src/kong/ports';
import {
  DNS_NAME_PATTERN,
  generateTemplates,
  GeneratedTemplates,
  KONG_VERSION_PATTERN,
  TEMPLATE_KINDS,
  TEMPLATE_SENTINELS,
} from '../../src/templates/plane-templates';
import * as planeTemplates from '../../src/templates/plane-templates';
import { CONTROL_PLANE_EXPORTS, CONTROL_PLANE_SENTINELS } from '../../src/templates/control-plane-template';
import { TrustByName } from '../../src/templates/template-trust';
import { CREATE_VPC_CONDITION, EXISTING_VPC_PARAMETERS } from '../../src/templates/existing-vpc';
import { unguardedReferences } from './conditional-references';
import { cfnLintErrors, secretFindings } from '../support/output-checks';
import { unitTestApp } from '../support/synth';

jest.setTimeout(120_000);

const INPUTS: Record<string, string> = {
  DataPlaneName: 'dp-ecs-use1',
  KongVersion: '3.11.0.2',
  ClusterHostname: 'cluster.kong.example.com',
  TelemetryHostname: 'telemetry.kong.example.com',
  TrustName: 'prod-trust',
  LicenseSecretName: 'kong/license',
};

/** Evaluates the intrinsics of a rendered value with parameter values (Ref, Join, Select, Split). */
function evaluate(node: any, values: Record<string, string>): any {
  if (typeof node === 'string' || typeof node !== 'object' || node === null) return node;
  if (Array.isArray(node)) return node.map((n) => evaluate(n, values));
  if ('Ref' in node && node.Ref in values) return values[node.Ref];
  if ('Fn::Join' in node) {
    const [sep, parts] = node['Fn::Join'];
    return evaluate(parts, values).join(sep);
  }
  if ('Fn::Split' in node) return evaluate(node['Fn::Split'][1], values).split(node['Fn::Split'][0]);
  if ('Fn::Select' in node) return evaluate(node['Fn::Select'][1], values)[node['Fn::Select'][0]];
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, evaluate(v, values)]));
}

function kongContainer(template: Record<string, any>): any {
  const taskDefinition = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::ECS::TaskDefinition');
  return taskDefinition.Properties.ContainerDefinitions.find((c: any) => c.Name === 'kong');
}

let out: string;
let result: GeneratedTemplates;
const byKind = (kind: string) => result.templates.find((t) => t.kind === kind)!;

beforeAll(() => {
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-cfn-'));
  result = generateTemplates(out);
});

describe('kong-fleet templates', () => {
  test('writes one template per kind and the assets with their manifest', () => {
    expect(result.templates.map((t) => t.kind)).toEqual([...TEMPLATE_KINDS]);
    const manifest = JSON.parse(fs.readFileSync(result.manifestFile, 'utf8'));
    expect(manifest.assets.length).toBeGreaterThan(0);
    for (const asset of manifest.assets) {
      const file = path.join(result.assetsDir, asset.file);
      expect(fs.statSync(file).size).toBe(asset.sizeBytes);
      // A zip archive, referenced by every template that lists it.
      expect(fs.readFileSync(file).subarray(0, 4).toString('hex')).toBe('504b0304');
      for (const name of asset.templates) {
        expect(fs.readFileSync(path.join(out, name), 'utf8')).toContain(asset.file);
      }
    }
  });

  test.each([...TEMPLATE_KINDS])('%s passes cfn-lint without errors', (kind) => {
    expect(cfnLintErrors(byKind(kind).file).errors).toEqual([]);
  });

  test.each([...TEMPLATE_KINDS])('%s has no CDK bootstrap reference and no sentinel left', (kind) => {
    const text = fs.readFileSync(byKind(kind).file, 'utf8');
    expect(text).not.toMatch(
      /BootstrapVersion|hnb659fds|cdk-[a-z0-9]+-(assets|deploy|file-publishing|cfn-exec)|AWS::CDK::Metadata/,
    );
    for (const sentinel of Object.values(TEMPLATE_SENTINELS)) expect(text).not.toContain(sentinel);
    for (const sentinel of Object.values(CONTROL_PLANE_SENTINELS)) expect(text).not.toContain(sentinel);
    expect(text).not.toMatch(/kfsentinel/i);
    expect(text).not.toContain('gateway-398');
    const { Parameters, Rules } = byKind(kind).template;
    // The only rule is the existing-VPC inputs check, not CDK's CheckBootstrapVersion.
    expect(Object.keys(Rules)).toEqual(['ExistingVpcInputs']);
    expect(Object.keys(Parameters)).toEqual(expect.arrayContaining(['AssetBucket', 'AssetPrefix']));
  });

  test.each([...TEMPLATE_KINDS])('%s: every parameter is described, constrained and in the interface', (kind) => {
    const template = byKind(kind).template;
    const ui = template.Metadata['AWS::CloudFormation::Interface'];
    const grouped = ui.ParameterGroups.flatMap((g: any) => g.Parameters);
    for (const [id, p] of Object.entries<any>(template.Parameters)) {
      expect(p.Description).toEqual(expect.any(String));
      expect(grouped).toContain(id);
      expect(ui.ParameterLabels[id].default).toEqual(expect.any(String));
      if (String(p.Type).startsWith('AWS::SSM::Parameter::Value<')) continue; // the AMI, AWS's own parameter
      const constrained =
        p.AllowedValues !== undefined ||
        p.AllowedPattern !== undefined ||
        (p.MinValue !== undefined && p.MaxValue !== undefined);
      expect({ id, constrained, constraint: typeof p.ConstraintDescription }).toEqual({
        id,
        constrained: true,
        constraint: 'string',
      });
    }
  });

  const NETWORK_TYPES = [
    'AWS::EC2::VPC',
    'AWS::EC2::Subnet',
    'AWS::EC2::RouteTable',
    'AWS::EC2::SubnetRouteTableAssociation',
    'AWS::EC2::Route',
    'AWS::EC2::EIP',
    'AWS::EC2::NatGateway',
    'AWS::EC2::InternetGateway',
    'AWS::EC2::VPCGatewayAttachment',
    'AWS::EC2::FlowLog',
  ];

  test.each([...TEMPLATE_KINDS])('%s creates its VPC only when VpcId is empty', (kind) => {
    const template = byKind(kind).template;
    const resources: Record<string, any> = template.Resources;
    const conditional = Object.keys(resources).filter((id) => resources[id].Condition === CREATE_VPC_CONDITION);
    // Every network resource is conditional, and so are the flow log's role, policy, log group and key.
    const network = Object.keys(resources).filter((id) => NETWORK_TYPES.includes(resources[id].Type));
    expect(network.length).toBeGreaterThanOrEqual(22);
    expect(conditional).toEqual(expect.arrayContaining(network));
    const flowLog = Object.values<any>(resources).find((r) => r.Type === 'AWS::EC2::FlowLog');
    const logGroup = flowLog.Properties.LogGroupName.Ref;
    const role = flowLog.Properties.DeliverLogsPermissionArn['Fn::GetAtt'][0];
    const key = resources[logGroup].Properties.KmsKeyId['Fn::GetAtt'][0];
    expect(conditional).toEqual(expect.arrayContaining([logGroup, role, key]));
    expect(conditional.map((id) => resources[id].Type).sort()).toEqual(
      [
        ...network.map((id) => resources[id].Type),
        'AWS::IAM::Role',
        'AWS::IAM::Policy',
        'AWS::Logs::LogGroup',
        'AWS::KMS::Key',
      ].sort(),
    );
    // No resource or output outside the VPC reaches one of them except through Fn::If [CreateVpc, …].
    expect(unguardedReferences(template, CREATE_VPC_CONDITION)).toEqual([]);
    expect(template.Conditions[CREATE_VPC_CONDITION]).toEqual({ 'Fn::Equals': [{ Ref: 'VpcId' }, ''] });
    // The existing network's parameters are in the interface, in one group.
    const ui = template.Metadata['AWS::CloudFormation::Interface'];
    const group = ui.ParameterGroups.find((g: any) => g.Parameters.includes('VpcId'));
    expect(group.Parameters).toEqual(EXISTING_VPC_PARAMETERS.map((p) => p.id));
    expect(group.Label.default).toMatch(/^Network/);
  });

  test('with an existing VPC, subnets and CIDR come from the parameters', () => {
    const byId: Record<string, any> = byKind('cp-ec2-shared').template.Resources;
    const resources = Object.values<any>(byId);
    const nlb = resources.find((r) => r.Type === 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    // The internet-facing cluster NLB: public subnets; its wait for their internet routes only when they are created.
    expect(nlb.Properties.Subnets.map((s: any) => s['Fn::If'][2])).toEqual([
      { 'Fn::Select': [0, { Ref: 'PublicSubnetIds' }] },
      { 'Fn::Select': [1, { Ref: 'PublicSubnetIds' }] },
    ]);
    expect((nlb.DependsOn as string[]).filter((id) => byId[id].Condition)).toEqual([]);
    expect(nlb.Metadata.KongFleetCreatedVpcDependsOn['Fn::If'][1]).toHaveLength(4);
    const group = resources.find((r) => r.Type === 'AWS::AutoScaling::AutoScalingGroup');
    expect(group.Properties.VPCZoneIdentifier.map((s: any) => s['Fn::If'][2])).toEqual([
      { 'Fn::Select': [0, { Ref: 'PrivateSubnetIds' }] },
      { 'Fn::Select': [1, { Ref: 'PrivateSubnetIds' }] },
    ]);
    const text = JSON.stringify(resources);
    expect(text).toContain('{"Ref":"VpcCidr"}');
    expect(text).toContain('{"Ref":"VpcId"}');
  });

  test('the Kong version parameter drives the ECS image tag through Ref', () => {
    const container = kongContainer(byKind('dp-ecs-shared').template);
    expect(container.Image).toEqual({ 'Fn::Join': ['', ['kong/kong-gateway:', { Ref: 'KongVersion' }]] });
    expect(evaluate(container.Image, { KongVersion: '3.12.0.0' })).toBe('kong/kong-gateway:3.12.0.0');
  });

  test('the Kong version parameter drives the EC2 package repository and package', () => {
    const template = byKind('dp-ec2-shared').template;
    const launchTemplate = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::EC2::LaunchTemplate');
    const userData = evaluate(launchTemplate.Properties.LaunchTemplateData.UserData['Fn::Base64'], INPUTS);
    expect(userData).toContain('https://packages.konghq.com/public/gateway-311/');
    expect(userData).toContain('kong-enterprise-edition-3.11.0.2');
    expect(launchTemplate.Properties.LaunchTemplateData.InstanceType).toEqual({ Ref: 'InstanceType' });
  });

  test('the template renders the same Kong settings as the CDK path for the same inputs', () => {
    // GIVEN the ECS data plane built through the construct with the same literal inputs
    const stack = new Stack(unitTestApp(), 'Cdk');
    const dp = new KongDataPlaneEcs(stack, 'DataPlane', {
      dataPlaneName: INPUTS.DataPlaneName,
      kongVersion: INPUTS.KongVersion,
      controlPlane: {
        clusterEndpoint: endpoint(INPUTS.ClusterHostname, KONG_PORTS.cluster),
        telemetryEndpoint: endpoint(INPUTS.TelemetryHostname, KONG_PORTS.clusterTelemetry),
        trust: new TrustByName('shared', INPUTS.TrustName),
        kongVersion: INPUTS.KongVersion,
        licenseSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'License', INPUTS.LicenseSecretName),
      },
    });
    const cdk = kongContainer(Template.fromStack(stack).toJSON());
    // WHEN the template's container is evaluated with those parameter values
    const cfn = evaluate(kongContainer(byKind('dp-ecs-shared').template), INPUTS);
    // THEN the environment, secret names and image are the same
    expect(cfn.Environment).toEqual(cdk.Environment);
    expect(cfn.Secrets.map((s: any) => s.Name)).toEqual(cdk.Secrets.map((s: any) => s.Name));
    expect(cfn.Image).toBe(cdk.Image);
    expect(Object.fromEntries(cfn.Environment.map((e: any) => [e.Name, e.Value]))).toMatchObject({
      KONG_CLUSTER_CONTROL_PLANE: `${INPUTS.ClusterHostname}:8005`,
      KONG_CLUSTER_MTLS: 'shared',
    });
    expect(dp.kongEnvironment.KONG_ROLE).toBe('data_plane');
  });

  test('the control-plane template renders the same boot script as the CDK path for the same inputs', () => {
    // GIVEN the EC2 control plane built through the constructs with literal inputs, same construct ids
    const stack = new Stack(unitTestApp(), 'CdkCp');
    const trust = new KongClusterTrust(stack, 'Trust', { mode: 'shared', name: INPUTS.TrustName });
    new KongControlPlaneEc2(stack, 'ControlPlane', {
      trust,
      hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'HostedZone', {
        hostedZoneId: 'Z0123456789ABCDEFGHIJ',
        zoneName: 'kong.example.com',
      }),
      clusterHostname: INPUTS.ClusterHostname,
      telemetryHostname: INPUTS.TelemetryHostname,
      kongVersion: INPUTS.KongVersion,
      licenseSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'License', INPUTS.LicenseSecretName),
    });
    const userData = (template: Record<string, any>) =>
      Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::EC2::LaunchTemplate').Properties
        .LaunchTemplateData.UserData['Fn::Base64'];
    // WHEN both are evaluated (resource references stay unevaluated on both sides)
    const cdk = evaluate(userData(Template.fromStack(stack).toJSON()), {});
    const cfn = evaluate(userData(byKind('cp-ec2-shared').template), INPUTS);
    // THEN they are the same script
    expect(cfn).toBe(cdk);
    expect(cfn).toContain('role = control_plane');
  });

  test('pki templates read the CA from the trust parameter named by TrustName', () => {
    const text = JSON.stringify(byKind('dp-ecs-pki').template);
    expect(text).toContain('"/kong-fleet/",{"Ref":"TrustName"},"/certificate-authority-arn"');
    const env = kongContainer(byKind('dp-ecs-pki').template).Secrets.map((s: any) => s.Name);
    expect(env).toContain('KONG_CLUSTER_CA_CERT');
  });

  const CONTROL_PLANE_KINDS = TEMPLATE_KINDS.filter((k) => k.startsWith('cp-'));

  test('there are control-plane templates on EC2 and EKS, in both trust modes', () => {
    expect(CONTROL_PLANE_KINDS).toEqual(['cp-ec2-shared', 'cp-ec2-pki', 'cp-eks-shared', 'cp-eks-pki']);
  });

  test.each(CONTROL_PLANE_KINDS)('%s exports the data-plane inputs under the stack name', (kind) => {
    const outputs = byKind(kind).template.Outputs;
    const exported = Object.values<any>(outputs)
      .filter((o) => o.Export)
      .map((o) => [o.Export.Name['Fn::Sub'], o.Value]);
    const expected: [string, unknown][] = [
      ['${AWS::StackName}-ClusterEndpoint', { Ref: 'ClusterHostname' }],
      ['${AWS::StackName}-TelemetryEndpoint', { Ref: 'TelemetryHostname' }],
      ['${AWS::StackName}-TrustName', { Ref: 'TrustName' }],
      ['${AWS::StackName}-TrustMode', kind.endsWith('pki') ? 'pki' : 'shared'],
    ];
    if (kind.endsWith('pki')) {
      expected.push([
        '${AWS::StackName}-CertificateAuthorityArnParameter',
        { 'Fn::Join': ['', ['/kong-fleet/', { Ref: 'TrustName' }, '/certificate-authority-arn']] },
      ]);
    }
    expect(exported).toEqual(expected);
    // Each export the docs map to a DP parameter is one every DP template takes.
    for (const [suffix, dpParameter] of Object.entries(CONTROL_PLANE_EXPORTS)) {
      if (dpParameter.startsWith('(')) continue;
      expect(expected.map(([name]) => name)).toContain(`\${AWS::StackName}-${suffix}`);
      for (const dp of TEMPLATE_KINDS.filter((k) => k.startsWith('dp-'))) {
        expect(Object.keys(byKind(dp).template.Parameters)).toContain(dpParameter);
      }
    }
  });

  test('docs/cloudformation.md documents every control-plane export and the DP parameter it fills', () => {
    const docs = fs.readFileSync(path.join(__dirname, '../../docs/cloudformation.md'), 'utf8');
    for (const [suffix, dpParameter] of Object.entries(CONTROL_PLANE_EXPORTS)) {
      const row = docs.split('\n').find((l) => l.includes(`\`<cp stack>-${suffix}\``));
      expect({ suffix, row: row !== undefined }).toEqual({ suffix, row: true });
      if (!dpParameter.startsWith('(')) expect(row).toContain(`\`${dpParameter}\``);
    }
  });

  test('the control plane creates the trust named by TrustName and uses the zone of HostedZoneId', () => {
    const shared = Template.fromJSON(byKind('cp-ec2-shared').template);
    shared.hasResourceProperties('AWS::Route53::RecordSet', {
      HostedZoneId: { Ref: 'HostedZoneId' },
      Name: { 'Fn::Join': ['', [{ Ref: 'ClusterHostname' }, '.']] },
    });
    shared.hasResourceProperties('AWS::Route53::RecordSet', {
      HostedZoneId: { Ref: 'HostedZoneId' },
      Name: { 'Fn::Join': ['', [{ Ref: 'TelemetryHostname' }, '.']] },
    });
    expect(JSON.stringify(shared.toJSON())).toContain('"kong-fleet/",{"Ref":"TrustName"},"/cluster-shared"');
    const pki = Template.fromJSON(byKind('cp-ec2-pki').template);
    pki.hasResourceProperties('AWS::SSM::Parameter', {
      Name: { 'Fn::Join': ['', ['/kong-fleet/', { Ref: 'TrustName' }, '/certificate-authority-arn']] },
    });
    pki.resourceCountIs('AWS::ACMPCA::CertificateAuthority', 1);
    // Capacity and instance type are the parameters, also for the rolling update and signals.
    const group = Object.values<any>(byKind('cp-ec2-pki').template.Resources).find(
      (r) => r.Type === 'AWS::AutoScaling::AutoScalingGroup',
    );
    expect(group.Properties.MinSize).toEqual({ Ref: 'MinInstances' });
    expect(group.Properties.MaxSize).toEqual({ Ref: 'MaxInstances' });
    expect(group.CreationPolicy.ResourceSignal.Count).toEqual({ Ref: 'MinInstances' });
    expect(group.UpdatePolicy.AutoScalingRollingUpdate.MinInstancesInService).toEqual({ Ref: 'MinInstances' });
  });

  test("the Kong version parameter drives the control plane's package and version tag", () => {
    const template = byKind('cp-ec2-shared').template;
    const launchTemplate = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::EC2::LaunchTemplate');
    const userData = evaluate(launchTemplate.Properties.LaunchTemplateData.UserData['Fn::Base64'], INPUTS);
    expect(userData).toContain('https://packages.konghq.com/public/gateway-311/');
    expect(userData).toContain('kong-enterprise-edition-3.11.0.2');
    expect(userData).toContain('control plane');
    expect(userData).not.toContain('3.98');
    expect(launchTemplate.Properties.LaunchTemplateData.InstanceType).toEqual({ Ref: 'InstanceType' });
    const group = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::AutoScaling::AutoScalingGroup');
    expect(group.Properties.Tags).toContainEqual(
      expect.objectContaining({ Key: 'kong-fleet:kong-version', Value: { Ref: 'KongVersion' } }),
    );
  });

  test("the Kong version parameter drives the EKS control plane's image tag; node counts are parameters", () => {
    const template = byKind('cp-eks-shared').template;
    const chart = Object.values<any>(template.Resources).find(
      (r) => r.Type === 'Custom::AWSCDK-EKS-HelmChart' && r.Properties.Chart === 'kong',
    );
    expect(JSON.stringify(chart.Properties.Values)).toContain('"tag\\":\\"",{"Ref":"KongVersion"}');
    const values = JSON.parse(evaluate(chart.Properties.Values, INPUTS));
    expect(values.image).toEqual({ repository: 'kong/kong-gateway', tag: '3.11.0.2' });
    expect(values.env).toMatchObject({ role: 'control_plane', cluster_mtls: 'shared' });
    const nodes = Object.values<any>(template.Resources).find((r) => r.Type === 'AWS::EKS::Nodegroup');
    expect(nodes.Properties.ScalingConfig).toEqual({
      MinSize: { Ref: 'MinNodes' },
      DesiredSize: { Ref: 'MinNodes' },
      MaxSize: { Ref: 'MaxNodes' },
    });
  });

  test('the EKS templates ship the kubectl and AWS CLI layers as zip files in the asset folder', () => {
    const layers = result.assets.filter((a) => a.packaging === 'file');
    expect(layers.length).toBeGreaterThanOrEqual(2);
    for (const layer of layers) {
      expect(layer.templates).toEqual([
        'cp-eks-pki.template.json',
        'cp-eks-shared.template.json',
        'dp-eks-pki.template.json',
        'dp-eks-shared.template.json',
      ]);
    }
    const template = byKind('cp-eks-pki').template;
    const layerVersions = Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::Lambda::LayerVersion');
    expect(layerVersions.length).toBeGreaterThanOrEqual(2);
    for (const layer of layerVersions) {
      expect(layer.Properties.Content.S3Bucket).toEqual({ Ref: 'AssetBucket' });
    }
  });

  test('the EKS data-plane template renders the same Helm values as the CDK path for the same inputs', () => {
    // GIVEN the EKS data plane built through the construct with literal inputs, same construct ids
    const stack = new Stack(unitTestApp(), 'CdkDpEks');
    new KongDataPlaneEks(stack, 'DataPlane', {
      dataPlaneName: INPUTS.DataPlaneName,
      kongVersion: INPUTS.KongVersion,
      controlPlane: {
        clusterEndpoint: endpoint(INPUTS.ClusterHostname, KONG_PORTS.cluster),
        telemetryEndpoint: endpoint(INPUTS.TelemetryHostname, KONG_PORTS.clusterTelemetry),
        trust: new TrustByName('pki', INPUTS.TrustName),
        kongVersion: INPUTS.KongVersion,
        licenseSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'License', INPUTS.LicenseSecretName),
      },
    });
    const kongValues = (template: Record<string, any>, values: Record<string, string>) => {
      const chart = Object.values<any>(template.Resources).find(
        (r) => r.Type === 'Custom::AWSCDK-EKS-HelmChart' && r.Properties.Chart === 'kong',
      );
      return JSON.parse(evaluate(chart.Properties.Values, values));
    };
    // WHEN the template's values are evaluated with those parameter values
    const cfn = kongValues(byKind('dp-eks-pki').template, INPUTS);
    // THEN they are the CDK path's values
    expect(cfn).toEqual(kongValues(Template.fromStack(stack).toJSON(), {}));
    expect(cfn.image.tag).toBe(INPUTS.KongVersion);
    expect(cfn.env).toMatchObject({
      role: 'data_plane',
      cluster_mtls: 'pki',
      cluster_control_plane: `${INPUTS.ClusterHostname}:8005`,
      cluster_dp_labels: `dp:${INPUTS.DataPlaneName}`,
    });
  });

  test('the output holds no secret', () => {
    expect(secretFindings(out)).toEqual([]);
  });

  test('parameter patterns accept what the constructs accept and refuse the rest', () => {
    const version = new RegExp(KONG_VERSION_PATTERN);
    expect(['3.10.0.6', '3.4.0', '3.15.1.0'].every((v) => version.test(v))).toBe(true);
    expect(['2.8.4', 'latest', '3.10', '3.10.0.6-ubuntu', '03.1.0'].some((v) => version.test(v))).toBe(false);
    const dns = new RegExp(DNS_NAME_PATTERN);
    expect(dns.test('cluster.kong.example.com')).toBe(true);
    expect(['cluster', 'https://x.example.com', '-a.example.com', 'a..b'].some((v) => dns.test(v))).toBe(false);
  });
});

describe('kong-fleet templates command', () => {
  test('prints the upload line, then the control plane deploy line before the data plane one', async () => {
    // The generation of this file, not a second one.
    const spy = jest.spyOn(planeTemplates, 'generateTemplates').mockReturnValue(result);
    try {
      const printed: string[] = [];
      const code = await main(['templates', '--out', out], { stdout: (t) => printed.push(t), stderr: () => undefined });
      expect(code).toBe(0);
      const text = printed.join('');
      const sync = text.indexOf('aws s3 sync');
      const cp = text.indexOf('cp-ec2-shared.template.json \\');
      const dp = text.indexOf('dp-ecs-shared.template.json \\');
      expect(sync).toBeGreaterThan(-1);
      expect(cp).toBeGreaterThan(sync);
      expect(dp).toBeGreaterThan(cp);
      expect(text.slice(cp, dp)).toMatch(/HostedZoneId=.*LicenseSecretName=/s);
    } finally {
      spy.mockRestore();
    }
  });

  test('refuses an --out that is a file', async () => {
    const file = path.join(out, 'not-a-dir');
    fs.writeFileSync(file, '');
    const errors: string[] = [];
    const code = await main(['templates', '--out', file], { stdout: () => undefined, stderr: (t) => errors.push(t) });
    expect(code).toBe(1);
    expect(errors.join('')).toMatch(/templates --out: is not a directory/);
  });

  test('refuses a positional argument', async () => {
    const errors: string[] = [];
    const code = await main(['templates', 'fleet.yaml'], { stdout: () => undefined, stderr: (t) => errors.push(t) });
    expect(code).toBe(64);
    expect(errors.join('')).toMatch(/templates takes no file/);
  });
});
