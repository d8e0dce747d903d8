import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnParameter, Stack, Validations } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ClusterMtlsMode } from '../kong/certificate-profile';
import { endpoint } from '../kong/config';
import { KongFleetError } from '../kong/errors';
import { KONG_PORTS } from '../kong/ports';
import { DEFAULT_KONG_VERSION } from '../kong/version';
import { IKongControlPlaneConnection } from '../core/control-plane-connection';
import { KongDataPlaneEc2 } from '../data-plane/kong-data-plane-ec2';
import { KongDataPlaneEcs } from '../data-plane/kong-data-plane-ecs';
import { KongDataPlaneEks } from '../data-plane/kong-data-plane-eks';
import {
  ASSET_BUCKET_PARAMETER,
  ASSET_PREFIX_PARAMETER,
  ParameterizedSynthesizer,
  TemplateAsset,
  TemplateAssetFolder,
} from './parameterized-synthesizer';
import { buildControlPlane, ControlPlaneRuntime } from './control-plane-template';
import { EXISTING_VPC_PARAMETERS, vpcSubtree, VpcSubtree, withExistingVpcOption } from './existing-vpc';
import { dottedPart, leftoverSentinels, ref, replaceSentinels, Sentinel } from './sentinels';
import {
  BuiltPlane,
  capacityParameter,
  DNS_NAME_PATTERN,
  instanceTypeParameter,
  KONG_VERSION_PATTERN,
  nodeGroupCapacityParameters,
  ParameterSpec,
  SECRET_NAME_PATTERN,
  TRUST_NAME_PATTERN,
} from './template-parameters';
import { TrustByName } from './template-trust';

/** The plane kinds `kong-fleet templates` writes, one template each. */
export const TEMPLATE_KINDS = [
  'cp-ec2-shared',
  'cp-ec2-pki',
  'cp-eks-shared',
  'cp-eks-pki',
  'dp-ecs-shared',
  'dp-ecs-pki',
  'dp-ec2-shared',
  'dp-ec2-pki',
  'dp-eks-shared',
  'dp-eks-pki',
] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

/**
 * Values the constructs see at synth time in place of the parameters (see sentinels.ts). Each is
 * valid for its construct and occurs nowhere else in a template.
 */
export const TEMPLATE_SENTINELS = {
  dataPlaneName: 'kfsentineldp',
  kongVersion: '3.98.97.96',
  clusterHostname: 'cluster.kfsentinel.kong-fleet.invalid',
  telemetryHostname: 'telemetry.kfsentinel.kong-fleet.invalid',
  trustName: 'kfsentineltrust',
  licenseSecretName: 'kfsentinel/license',
} as const;

export { DNS_NAME_PATTERN, KONG_VERSION_PATTERN } from './template-parameters';

/** A CloudFormation template as JSON. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- templates are free-form JSON
export type CfnTemplate = Record<string, any>;

/** One written template. */
export interface GeneratedTemplate {
  readonly kind: TemplateKind;
  /** Absolute path of `<kind>.template.json`. */
  readonly file: string;
  /** The template (parameters in place of the sentinels). */
  readonly template: CfnTemplate;
}

/** What {@link generateTemplates} wrote. */
export interface GeneratedTemplates {
  readonly outDir: string;
  readonly templates: GeneratedTemplate[];
  /** `<out>/assets`: upload it as it is. */
  readonly assetsDir: string;
  readonly manifestFile: string;
  readonly assets: TemplateAsset[];
}

/** Parameters of the data-plane templates that replace a sentinel. */
const DATA_PLANE_PARAMETERS: Record<keyof typeof TEMPLATE_SENTINELS, ParameterSpec> = {
  dataPlaneName: {
    id: 'DataPlaneName',
    label: 'Data plane name',
    group: 'Kong data plane',
    props: {
      type: 'String',
      description:
        'Name of this data plane in the fleet (cluster_dp_labels dp:<name>, certificate label, log stream prefix); unique per trust',
      allowedPattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
      constraintDescription: 'a DNS label: 1 to 63 of a-z 0-9 -, not starting or ending with -',
    },
  },
  kongVersion: {
    id: 'KongVersion',
    label: 'Kong Gateway version',
    group: 'Kong data plane',
    props: {
      type: 'String',
      description:
        'Kong Gateway version (kong/kong-gateway image tag on ECS, kong-enterprise-edition package on EC2): same major as the control plane, minor not newer',
      default: DEFAULT_KONG_VERSION,
      allowedPattern: KONG_VERSION_PATTERN,
      constraintDescription: 'a Kong Gateway 3.x version such as 3.10.0.6 (Enterprise) or 3.10.0',
    },
  },
  clusterHostname: {
    id: 'ClusterHostname',
    label: 'Cluster endpoint DNS name',
    group: 'Control plane',
    props: {
      type: 'String',
      description: `DNS name of the control plane cluster endpoint (cluster_control_plane, port ${KONG_PORTS.cluster}): the control plane stack's ClusterHostname output`,
      allowedPattern: DNS_NAME_PATTERN,
      constraintDescription: 'a DNS name such as cluster.kong.example.com',
    },
  },
  telemetryHostname: {
    id: 'TelemetryHostname',
    label: 'Telemetry endpoint DNS name',
    group: 'Control plane',
    props: {
      type: 'String',
      description: `DNS name of the control plane telemetry endpoint (cluster_telemetry_endpoint, port ${KONG_PORTS.clusterTelemetry}): the control plane stack's TelemetryHostname output`,
      allowedPattern: DNS_NAME_PATTERN,
      constraintDescription: 'a DNS name such as telemetry.kong.example.com',
    },
  },
  trustName: {
    id: 'TrustName',
    label: 'Cluster trust name',
    group: 'Control plane',
    props: {
      type: 'String',
      description:
        'Name of the kong-fleet cluster trust (same account and region): shared mode copies the secret kong-fleet/<name>/cluster-shared, pki mode reads the CA ARN from /kong-fleet/<name>/certificate-authority-arn',
      allowedPattern: TRUST_NAME_PATTERN,
      constraintDescription: '1 to 48 of a-z 0-9 -, starting with a letter or digit',
    },
  },
  licenseSecretName: {
    id: 'LicenseSecretName',
    label: 'License secret name',
    group: 'Control plane',
    props: {
      type: 'String',
      description:
        'Name of the Secrets Manager secret (this region) holding the Kong Enterprise license JSON, the same license as the control plane',
      allowedPattern: SECRET_NAME_PATTERN,
      constraintDescription: '1 to 512 of letters, digits and /_+=.@-',
    },
  },
};

const ASSET_GROUP = 'Lambda code (upload the assets folder first)';

/**
 * Writes one standalone CloudFormation template per plane kind into `outDir`
 * (`<kind>.template.json`), the Lambda code they need into `<outDir>/assets` with a
 * `manifest.json`, from the same constructs the CDK path uses. The templates need no CDK
 * bootstrap: assets come from the `AssetBucket`/`AssetPrefix` parameters.
 */
export function generateTemplates(outDir: string, kinds: readonly TemplateKind[] = TEMPLATE_KINDS): GeneratedTemplates {
  const out = path.resolve(outDir);
  if (fs.existsSync(out) && !fs.statSync(out).isDirectory()) {
    throw new KongFleetError('templates --out', 'is not a directory', {
      got: out,
      expected: 'a directory or a new path',
    });
  }
  for (const kind of kinds) {
    if (!(TEMPLATE_KINDS as readonly string[]).includes(kind)) {
      throw new KongFleetError('templates kind', 'is not a template kind', {
        got: kind,
        expected: TEMPLATE_KINDS.join(', '),
      });
    }
  }
  const assemblyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-fleet-templates-'));
  try {
    const app = new App({
      outdir: assemblyDir,
      // Assets are zipped from their sources into the asset folder: no staging copy.
      context: { 'aws:cdk:disable-asset-staging': true, 'aws:cdk:enable-path-metadata': false },
    });
    const assets = new TemplateAssetFolder(path.join(out, 'assets'));
    const built = new Map<TemplateKind, { stack: Stack; plane: BuiltPlane; vpc: VpcSubtree }>();
    for (const kind of kinds) {
      const stack = new Stack(app, kind, {
        synthesizer: new ParameterizedSynthesizer(assets, `${kind}.template.json`),
        analyticsReporting: false,
        description: describeKind(kind),
      });
      const plane = buildPlane(stack, kind);
      built.set(kind, { stack, plane, vpc: vpcSubtree(stack) });
    }
    const assembly = app.synth();
    fs.mkdirSync(out, { recursive: true });
    const templates: GeneratedTemplate[] = [];
    for (const [kind, { stack, plane, vpc }] of built) {
      const raw = JSON.parse(fs.readFileSync(assembly.getStackByName(stack.stackName).templateFullPath, 'utf8'));
      const template = finishTemplate(raw, plane, vpc, kind);
      const file = path.join(out, `${kind}.template.json`);
      fs.writeFileSync(file, `${JSON.stringify(template, null, 1)}\n`);
      templates.push({ kind, file, template });
    }
    const manifestFile = assets.writeManifest();
    return { outDir: out, templates, assetsDir: assets.dir, manifestFile, assets: assets.manifest() };
  } finally {
    fs.rmSync(assemblyDir, { recursive: true, force: true });
  }
}

function describeKind(kind: TemplateKind): string {
  const [plane, runtime, mode] = kind.split('-');
  if (plane === 'cp') {
    return `kong-fleet: Kong Gateway control plane on ${runtime === 'eks' ? 'EKS (Helm)' : 'EC2'} with its cluster trust (${mode} cluster_mtls mode), exporting what the data-plane templates take (generated by kong-fleet templates)`;
  }
  const on = { ecs: 'ECS Fargate', ec2: 'EC2', eks: 'EKS (Helm)' }[runtime] ?? runtime;
  return `kong-fleet: Kong Gateway data plane on ${on} joining a control plane in ${mode} cluster_mtls mode (generated by kong-fleet templates)`;
}

function buildPlane(stack: Stack, kind: TemplateKind): BuiltPlane {
  const [plane, runtime, mode] = kind.split('-') as ['cp' | 'dp', string, ClusterMtlsMode];
  if (plane === 'cp') return buildControlPlane(stack, runtime as ControlPlaneRuntime, mode);
  const parameters: ParameterSpec[] = Object.values(DATA_PLANE_PARAMETERS);
  const s = TEMPLATE_SENTINELS;
  const controlPlane: IKongControlPlaneConnection = {
    clusterEndpoint: endpoint(s.clusterHostname, KONG_PORTS.cluster),
    telemetryEndpoint: endpoint(s.telemetryHostname, KONG_PORTS.clusterTelemetry),
    trust: new TrustByName(mode, s.trustName),
    kongVersion: s.kongVersion,
    licenseSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'License', s.licenseSecretName),
  };
  const sentinels: Sentinel[] = (Object.keys(s) as (keyof typeof s)[]).map((key) => ({
    text: s[key],
    value: ref(DATA_PLANE_PARAMETERS[key].id),
  }));
  const common = { controlPlane, dataPlaneName: s.dataPlaneName, kongVersion: s.kongVersion };
  if (runtime === 'ecs') {
    const minTasks = capacityParameter(
      parameters,
      'MinTasks',
      'Minimum tasks',
      'Minimum number of Kong tasks, spread across Availability Zones (at least 2)',
      2,
    );
    const maxTasks = capacityParameter(
      parameters,
      'MaxTasks',
      'Maximum tasks',
      'Maximum number of Kong tasks (at least MinTasks)',
      10,
    );
    const dp = new KongDataPlaneEcs(stack, 'DataPlane', common);
    const target = dp.scalableTarget.node.defaultChild as appscaling.CfnScalableTarget;
    target.addPropertyOverride('MinCapacity', ref(minTasks));
    target.addPropertyOverride('MaxCapacity', ref(maxTasks));
  } else if (runtime === 'eks') {
    // Kong's replicas (2 to 10, autoscaled) live in the Helm values: the node group is the parameter.
    const dp = new KongDataPlaneEks(stack, 'DataPlane', common);
    nodeGroupCapacityParameters(parameters, dp.cluster, '');
  } else {
    const minSize = capacityParameter(
      parameters,
      'MinInstances',
      'Minimum instances',
      'Minimum number of Kong instances, spread across Availability Zones (at least 2); also the instances a deployment waits for',
      2,
    );
    const maxSize = capacityParameter(
      parameters,
      'MaxInstances',
      'Maximum instances',
      'Maximum number of Kong instances (above MinInstances: a rolling update launches before it terminates)',
      10,
    );
    instanceTypeParameter(parameters);
    const dp = new KongDataPlaneEc2(stack, 'DataPlane', common);
    const group = dp.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup;
    group.addPropertyOverride('MinSize', ref(minSize));
    group.addPropertyOverride('MaxSize', ref(maxSize));
    group.addOverride('CreationPolicy.ResourceSignal.Count', ref(minSize));
    group.addOverride('UpdatePolicy.AutoScalingRollingUpdate.MinInstancesInService', ref(minSize));
    const launchTemplate = dp.instances.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate;
    launchTemplate.addPropertyOverride('LaunchTemplateData.InstanceType', ref('InstanceType'));
    // The package repository is per major.minor: `gateway-<MAJOR><MINOR>` (src/kong/ec2-user-data.ts).
    const [major, minor] = s.kongVersion.split('.');
    sentinels.push({
      text: `gateway-${major}${minor}`,
      value: { 'Fn::Join': ['', ['gateway-', dottedPart('KongVersion', 0), dottedPart('KongVersion', 1)]] },
    });
  }
  for (const spec of parameters) new CfnParameter(stack, spec.id, spec.props);
  Validations.of(stack).acknowledge({
    id: 'CloudFormation-Validate::W2001',
    reason: 'the generator puts each parameter in place of its synth-time sentinel after synthesis',
  });
  Validations.of(stack).acknowledge({
    id: 'CloudFormation-Validate::W2509',
    reason: "LicenseSecretName is the license secret's name; the value is read at run time",
  });
  return { sentinels, parameters };
}

/**
 * Parameters in place of the sentinels, the existing-VPC option (existing-vpc.ts), descriptions for
 * CDK's own parameters, the console interface.
 */
function finishTemplate(raw: CfnTemplate, plane: BuiltPlane, vpc: VpcSubtree, kind: TemplateKind): CfnTemplate {
  // Output descriptions must be plain strings: they name the parameter instead.
  for (const output of Object.values<Record<string, unknown>>(raw.Outputs ?? {})) {
    if (typeof output.Description !== 'string') continue;
    // Longest first: a sentinel may end with another (the CP's host names end with its zone).
    for (const sentinel of [...plane.sentinels].sort((a, b) => b.text.length - a.text.length)) {
      const name = (sentinel.value as { Ref?: string }).Ref ?? 'parameter';
      output.Description = (output.Description as string).split(sentinel.text).join(`<${name}>`);
    }
  }
  const template = withExistingVpcOption(replaceSentinels(raw, plane.sentinels), vpc, `template ${kind}`);
  const left = leftoverSentinels(template, plane.sentinels);
  if (left.length > 0) {
    throw new KongFleetError(`template ${kind}`, 'a synth-time value could not be replaced by its parameter', {
      got: left.slice(0, 5),
      expected: 'every sentinel replaced',
    });
  }
  const labels: Record<string, { default: string }> = {};
  const groups = new Map<string, string[]>();
  const add = (group: string, id: string, label: string) => {
    labels[id] = { default: label };
    groups.set(group, [...(groups.get(group) ?? []), id]);
  };
  for (const spec of [...plane.parameters, ...EXISTING_VPC_PARAMETERS]) add(spec.group, spec.id, spec.label);
  for (const [id, parameter] of Object.entries<Record<string, unknown>>(template.Parameters ?? {})) {
    if (labels[id]) continue;
    if (id === ASSET_BUCKET_PARAMETER) add(ASSET_GROUP, id, 'Asset bucket');
    else if (id === ASSET_PREFIX_PARAMETER) add(ASSET_GROUP, id, 'Asset key prefix');
    else if (String(parameter.Type).startsWith('AWS::SSM::Parameter::Value<')) {
      // The AMI: CDK's SSM parameter, resolved at each deployment.
      parameter.Description ??=
        'SSM parameter holding the Amazon Linux 2023 AMI id (AWS public parameter; keep the default)';
      add('Capacity', id, 'AMI (SSM parameter)');
    } else {
      throw new KongFleetError(`template ${kind}`, 'has a parameter the generator does not know', { got: id });
    }
  }
  return {
    ...template,
    Metadata: {
      ...(template.Metadata ?? {}),
      'AWS::CloudFormation::Interface': {
        ParameterGroups: [...groups].map(([label, ids]) => ({ Label: { default: label }, Parameters: ids })),
        ParameterLabels: labels,
      },
    },
  };
}
