import { CfnOutput, CfnParameter, Fn, Stack, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { ClusterMtlsMode } from '../kong/certificate-profile';
import { KONG_PORTS } from '../kong/ports';
import { DEFAULT_KONG_VERSION } from '../kong/version';
import { KongClusterTrust } from '../core/kong-cluster-trust';
import { KongControlPlaneEc2 } from '../control-plane/kong-control-plane-ec2';
import { KongControlPlaneEks } from '../control-plane/kong-control-plane-eks';
import { dottedPart, ref, Sentinel } from './sentinels';
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

/**
 * Synth-time values of the control-plane templates. The host names are the data-plane templates'
 * sentinels; the zone is their common suffix, since the construct checks that both records are in
 * it (the longer host sentinels are replaced first, see sentinels.ts).
 */
export const CONTROL_PLANE_SENTINELS = {
  kongVersion: '3.98.97.96',
  clusterHostname: 'cluster.kfsentinel.kong-fleet.invalid',
  telemetryHostname: 'telemetry.kfsentinel.kong-fleet.invalid',
  hostedZoneName: 'kfsentinel.kong-fleet.invalid',
  hostedZoneId: 'ZKFSENTINELZONEID',
  trustName: 'kfsentineltrust',
  licenseSecretName: 'kfsentinel/license',
} as const;

/**
 * The control-plane templates' exports, `${AWS::StackName}-<suffix>`, and the data-plane
 * template parameter each one fills (docs/cloudformation.md).
 */
export const CONTROL_PLANE_EXPORTS = {
  ClusterEndpoint: 'ClusterHostname',
  TelemetryEndpoint: 'TelemetryHostname',
  TrustName: 'TrustName',
  TrustMode: '(the DP template: dp-*-shared or dp-*-pki)',
  CertificateAuthorityArnParameter: '(pki: read by the DP from TrustName)',
} as const;

const KONG = 'Kong control plane';
const DNS = 'Cluster endpoints (Route 53)';

/**
 * No parameter for the zone's name: the construct needs one only to check that the records are in
 * the zone, and the template renders the zone by its id. Were the name to show up in a template,
 * its `Ref` to a parameter that does not exist fails cfn-lint (tested).
 */
const CONTROL_PLANE_PARAMETERS: Record<
  Exclude<keyof typeof CONTROL_PLANE_SENTINELS, 'hostedZoneName'>,
  ParameterSpec
> = {
  kongVersion: {
    id: 'KongVersion',
    label: 'Kong Gateway version',
    group: KONG,
    props: {
      type: 'String',
      description:
        'Kong Gateway version of the control plane (kong-enterprise-edition package on EC2, kong/kong-gateway image tag on EKS); data planes use the same major and a minor not newer. Upgrade the control plane first.',
      default: DEFAULT_KONG_VERSION,
      allowedPattern: KONG_VERSION_PATTERN,
      constraintDescription: 'a Kong Gateway 3.x version such as 3.10.0.6 (Enterprise) or 3.10.0',
    },
  },
  clusterHostname: {
    id: 'ClusterHostname',
    label: 'Cluster endpoint DNS name',
    group: DNS,
    props: {
      type: 'String',
      description: `DNS name the stack creates in the hosted zone for the cluster endpoint (cluster_control_plane, port ${KONG_PORTS.cluster}); lower case, inside the hosted zone`,
      allowedPattern: DNS_NAME_PATTERN,
      constraintDescription: 'a DNS name such as cluster.kong.example.com',
    },
  },
  telemetryHostname: {
    id: 'TelemetryHostname',
    label: 'Telemetry endpoint DNS name',
    group: DNS,
    props: {
      type: 'String',
      description: `DNS name the stack creates in the hosted zone for the telemetry endpoint (cluster_telemetry_endpoint, port ${KONG_PORTS.clusterTelemetry}); lower case, inside the hosted zone`,
      allowedPattern: DNS_NAME_PATTERN,
      constraintDescription: 'a DNS name such as telemetry.kong.example.com',
    },
  },
  hostedZoneId: {
    id: 'HostedZoneId',
    label: 'Hosted zone id',
    group: DNS,
    props: {
      type: 'String',
      description:
        'Id of the existing public or private Route 53 hosted zone holding both DNS names (e.g. Z0123456789ABCDEFGHIJ)',
      allowedPattern: '^Z[A-Z0-9]{1,31}$',
      constraintDescription: 'a Route 53 hosted zone id: Z followed by upper-case letters and digits',
    },
  },
  trustName: {
    id: 'TrustName',
    label: 'Cluster trust name',
    group: KONG,
    props: {
      type: 'String',
      description:
        'Name of the cluster trust this stack creates, unique per account and region: data-plane stacks find it by this name (secret kong-fleet/<name>/cluster-shared, or SSM parameter /kong-fleet/<name>/certificate-authority-arn in pki mode)',
      allowedPattern: TRUST_NAME_PATTERN,
      constraintDescription: '1 to 48 of a-z 0-9 -, starting with a letter or digit',
    },
  },
  licenseSecretName: {
    id: 'LicenseSecretName',
    label: 'License secret name',
    group: KONG,
    props: {
      type: 'String',
      description:
        'Name of the existing Secrets Manager secret (this region) holding the Kong Enterprise license JSON; data planes use the same one',
      allowedPattern: SECRET_NAME_PATTERN,
      constraintDescription: '1 to 512 of letters, digits and /_+=.@-',
    },
  },
};

/** Runtimes of the control-plane templates. */
export type ControlPlaneRuntime = 'ec2' | 'eks';

/**
 * A control plane on EC2 or EKS and the cluster trust it creates, with sentinels in place of the
 * parameters; exports what the data-plane templates take.
 */
export function buildControlPlane(stack: Stack, runtime: ControlPlaneRuntime, mode: ClusterMtlsMode): BuiltPlane {
  const s = CONTROL_PLANE_SENTINELS;
  const parameters: ParameterSpec[] = Object.values(CONTROL_PLANE_PARAMETERS);
  const sentinels: Sentinel[] = (Object.keys(s) as (keyof typeof s)[]).map((key) => ({
    text: s[key],
    value: ref(key === 'hostedZoneName' ? 'HostedZoneName' : CONTROL_PLANE_PARAMETERS[key].id),
  }));
  const trust = new KongClusterTrust(stack, 'Trust', { mode, name: s.trustName });
  const common = {
    trust,
    hostedZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'HostedZone', {
      hostedZoneId: s.hostedZoneId,
      zoneName: s.hostedZoneName,
    }),
    clusterHostname: s.clusterHostname,
    telemetryHostname: s.telemetryHostname,
    kongVersion: s.kongVersion,
    licenseSecret: secretsmanager.Secret.fromSecretNameV2(stack, 'License', s.licenseSecretName),
  };
  const cp =
    runtime === 'ec2'
      ? ec2ControlPlane(stack, parameters, sentinels, common)
      : eksControlPlane(stack, parameters, common);

  // The data-plane templates' inputs, exported under the stack's name.
  const exported = (id: keyof typeof CONTROL_PLANE_EXPORTS, value: string, description: string) =>
    new CfnOutput(stack, `${id}Output`, { value, description, exportName: Fn.sub(`\${AWS::StackName}-${id}`) });
  exported(
    'ClusterEndpoint',
    cp.clusterEndpoint.host,
    `DNS name of the cluster endpoint (port ${KONG_PORTS.cluster}): the data-plane templates' ClusterHostname`,
  );
  exported(
    'TelemetryEndpoint',
    cp.telemetryEndpoint.host,
    `DNS name of the telemetry endpoint (port ${KONG_PORTS.clusterTelemetry}): the data-plane templates' TelemetryHostname`,
  );
  exported('TrustName', trust.name, "Name of the cluster trust: the data-plane templates' TrustName");
  exported('TrustMode', trust.mode, `cluster_mtls mode: deploy the dp-*-${mode} data-plane templates`);
  if (mode === 'pki') {
    exported(
      'CertificateAuthorityArnParameter',
      trust.certificateAuthorityParameterName!,
      'SSM parameter holding the ARN of the ACM Private CA that issues the data planes their certificates',
    );
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

type ControlPlaneInputs = ConstructorParameters<typeof KongControlPlaneEc2>[2];

function ec2ControlPlane(
  stack: Stack,
  parameters: ParameterSpec[],
  sentinels: Sentinel[],
  props: ControlPlaneInputs,
): KongControlPlaneEc2 {
  const minSize = capacityParameter(
    parameters,
    'MinInstances',
    'Instances',
    'Number of control-plane instances, spread across Availability Zones (at least 2); also the instances a deployment waits for',
    2,
  );
  const maxSize = capacityParameter(
    parameters,
    'MaxInstances',
    'Maximum instances',
    'Upper bound of the group, above MinInstances: a rolling update launches a new instance before it terminates an old one',
    3,
  );
  const instanceType = instanceTypeParameter(parameters);
  const cp = new KongControlPlaneEc2(stack, 'ControlPlane', props);
  const group = cp.autoScalingGroup.node.defaultChild as autoscaling.CfnAutoScalingGroup;
  group.addPropertyOverride('MinSize', ref(minSize));
  group.addPropertyOverride('MaxSize', ref(maxSize));
  group.addOverride('CreationPolicy.ResourceSignal.Count', ref(minSize));
  group.addOverride('UpdatePolicy.AutoScalingRollingUpdate.MinInstancesInService', ref(minSize));
  const launchTemplate = cp.instances.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate;
  launchTemplate.addPropertyOverride('LaunchTemplateData.InstanceType', ref(instanceType));
  // The package repository is per major.minor: `gateway-<MAJOR><MINOR>` (src/kong/ec2-user-data.ts).
  const [major, minor] = CONTROL_PLANE_SENTINELS.kongVersion.split('.');
  sentinels.push({
    text: `gateway-${major}${minor}`,
    value: { 'Fn::Join': ['', ['gateway-', dottedPart('KongVersion', 0), dottedPart('KongVersion', 1)]] },
  });
  return cp;
}

/**
 * EKS: the node group's size is the capacity parameter; Kong runs the construct's 2 replicas
 * (a replica count inside the Helm values cannot be a parameter).
 */
function eksControlPlane(stack: Stack, parameters: ParameterSpec[], props: ControlPlaneInputs): KongControlPlaneEks {
  const cp = new KongControlPlaneEks(stack, 'ControlPlane', props);
  nodeGroupCapacityParameters(parameters, cp.cluster, ' of the control-plane cluster');
  return cp;
}
