import { parse } from 'path';
import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import {
  cfnGet,
  cfnList,
  cfnNumber,
  cfnPrimitive,
  cfnProperties,
  CfnValue,
  isCfnObject,
  referencedResource,
  refersTo,
  resourcesOfType,
} from '../../utils/cfn';
import {
  bootScript,
  chartEnv,
  ecsContainers,
  ecsKongRole,
  KONG_ROLE_DATA_PLANE,
  kongChartValues,
  scriptKongSetting,
} from '../../utils/kong';

/** Fewer than this many nodes, or AZs, and one failure takes the data plane down. */
export const MIN_DATA_PLANE_NODES = 2;

/** The number of distinct entries of a subnet or AZ list, or undefined when not knowable (a token). */
function distinctCount(list: CfnValue): number | undefined {
  const entries = cfnList(list);
  if (entries === undefined || entries.length === 0) return undefined;
  return new Set(entries.map((e) => JSON.stringify(e))).size;
}

function verdict(nodes: number | undefined, zones: number | undefined): NagRuleCompliance {
  if (nodes !== undefined && nodes < MIN_DATA_PLANE_NODES) return NagRuleCompliance.NON_COMPLIANT;
  if (zones !== undefined && zones < MIN_DATA_PLANE_NODES) return NagRuleCompliance.NON_COMPLIANT;
  return NagRuleCompliance.COMPLIANT;
}

/** ECS: a service whose task runs a container with KONG_ROLE=data_plane. */
function ecsService(node: CfnResource): NagRuleCompliance {
  const props = cfnProperties(node);
  const taskDefinition = referencedResource(node, props.TaskDefinition, 'AWS::ECS::TaskDefinition');
  if (!taskDefinition || !ecsContainers(taskDefinition).some((c) => ecsKongRole(c) === KONG_ROLE_DATA_PLANE)) {
    return NagRuleCompliance.NOT_APPLICABLE;
  }
  const serviceName = props.ServiceName;
  const scalableTargets = resourcesOfType(node, 'AWS::ApplicationAutoScaling::ScalableTarget')
    .map(cfnProperties)
    .filter((t) => t.ServiceNamespace === 'ecs' && t.ScalableDimension === 'ecs:service:DesiredCount')
    .filter(
      (t) =>
        refersTo(t.ResourceId, node) ||
        (typeof serviceName === 'string' &&
          typeof t.ResourceId === 'string' &&
          t.ResourceId.endsWith(`/${serviceName}`)),
    );
  let tasks: number | undefined;
  if (scalableTargets.length > 0) {
    tasks = Math.min(...scalableTargets.map((t) => cfnNumber(node, t.MinCapacity) ?? 0));
  } else if (cfnPrimitive(node, props.SchedulingStrategy) !== 'DAEMON') {
    // CloudFormation starts a new service with 1 task when DesiredCount is absent.
    tasks = cfnNumber(node, props.DesiredCount) ?? 1;
  }
  return verdict(tasks, distinctCount(cfnGet(props, 'NetworkConfiguration', 'AwsvpcConfiguration', 'Subnets')));
}

/** The launch template or configuration an Auto Scaling group launches from, in this stack. */
function launchSource(node: CfnResource, props: Record<string, unknown>): CfnResource | undefined {
  const spec = isCfnObject(props.LaunchTemplate)
    ? props.LaunchTemplate
    : cfnGet(props, 'MixedInstancesPolicy', 'LaunchTemplate', 'LaunchTemplateSpecification');
  for (const ref of [cfnGet(spec, 'LaunchTemplateId'), cfnGet(spec, 'LaunchTemplateName')]) {
    const template = referencedResource(node, ref, 'AWS::EC2::LaunchTemplate');
    if (template) return template;
  }
  return referencedResource(node, props.LaunchConfigurationName, 'AWS::AutoScaling::LaunchConfiguration');
}

/** Auto Scaling: a group whose boot script configures `role = data_plane` (or KONG_ROLE=data_plane). */
function autoScalingGroup(node: CfnResource): NagRuleCompliance {
  const props = cfnProperties(node);
  const source = launchSource(node, props);
  const script = source && bootScript(source);
  if (!script || scriptKongSetting(script, 'role') !== KONG_ROLE_DATA_PLANE) return NagRuleCompliance.NOT_APPLICABLE;
  const zones = distinctCount(props.VPCZoneIdentifier) ?? distinctCount(props.AvailabilityZones);
  return verdict(cfnNumber(node, props.MinSize), zones);
}

/** Helm: a release of the `kong` chart with env.role data_plane. */
function kongChart(node: CfnResource): NagRuleCompliance {
  const values = kongChartValues(node);
  if (!values || chartEnv(values).role !== KONG_ROLE_DATA_PLANE) return NagRuleCompliance.NOT_APPLICABLE;
  // A DaemonSet runs one pod per node: its size is the node group's, not the chart's.
  if (cfnGet(values, 'deployment', 'daemonset') === true) return NagRuleCompliance.COMPLIANT;
  // Chart defaults (values.yaml, chart 3.4.1): replicaCount 1, autoscaling off with minReplicas 2.
  const replicas =
    cfnGet(values, 'autoscaling', 'enabled') === true
      ? (cfnNumber(node, cfnGet(values, 'autoscaling', 'minReplicas')) ?? 2)
      : (cfnNumber(node, values.replicaCount) ?? 1);
  return verdict(replicas, undefined);
}

/**
 * A Kong data plane runs at least 2 nodes in at least 2 subnets (Availability Zones): ECS services
 * of a KONG_ROLE=data_plane task (the scaling minimum, else the desired count), Auto Scaling groups
 * booting `role = data_plane` (MinSize, subnets), and `kong` Helm releases with env.role data_plane
 * (autoscaling.minReplicas, else replicaCount).
 * @param node the CfnResource to check
 */
export default Object.defineProperty(
  (node: CfnResource): NagRuleCompliance => {
    switch (node.cfnResourceType) {
      case 'AWS::ECS::Service':
        return ecsService(node);
      case 'AWS::AutoScaling::AutoScalingGroup':
        return autoScalingGroup(node);
      default:
        return kongChart(node);
    }
  },
  'name',
  { value: parse(__filename).name },
);
