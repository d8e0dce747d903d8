import { parse } from 'path';
import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { KONG_PORTS } from '../../../kong/ports';
import { cfnGet, cfnList, cfnNumber, cfnPrimitive, cfnProperties } from '../../utils/cfn';
import {
  CLASSIC_LOAD_BALANCER,
  ELBV2_LISTENER,
  ELBV2_LISTENER_RULE,
  ELBV2_TARGET_GROUP,
  forwardedTargetGroups,
  loadBalancerOfListener,
  loadBalancerType,
  TCP_PASSTHROUGH_PROTOCOLS,
  targetGroupPorts,
} from '../../utils/network';

/** Kong's cluster (8005) and telemetry (8006) listeners on a control plane. */
export const KONG_CLUSTER_PORTS: readonly number[] = [KONG_PORTS.cluster, KONG_PORTS.clusterTelemetry];

function sendsToClusterPorts(targetGroup: CfnResource): boolean {
  return targetGroupPorts(targetGroup).some((p) => KONG_CLUSTER_PORTS.includes(p));
}

function isPassthrough(protocol: unknown): boolean {
  return typeof protocol === 'string' && TCP_PASSTHROUGH_PROTOCOLS.includes(protocol.toUpperCase());
}

/**
 * Kong's cluster and telemetry ports are reached only through a Network Load Balancer in TCP mode:
 * target groups on 8005/8006 use TCP, the listeners forwarding to them are TCP listeners of a network
 * load balancer (no TLS termination, no listener rules, no ALB), and no Classic Load Balancer serves
 * them. Kong's cluster mTLS ends at Kong, and shared mode's SNI (`kong_clustering`) must pass.
 * @param node the CfnResource to check
 */
export default Object.defineProperty(
  (node: CfnResource): NagRuleCompliance => {
    switch (node.cfnResourceType) {
      case ELBV2_TARGET_GROUP:
        if (!sendsToClusterPorts(node)) return NagRuleCompliance.NOT_APPLICABLE;
        return isPassthrough(cfnPrimitive(node, cfnProperties(node).Protocol))
          ? NagRuleCompliance.COMPLIANT
          : NagRuleCompliance.NON_COMPLIANT;
      case ELBV2_LISTENER: {
        if (!forwardedTargetGroups(node).some(sendsToClusterPorts)) return NagRuleCompliance.NOT_APPLICABLE;
        if (!isPassthrough(cfnPrimitive(node, cfnProperties(node).Protocol))) return NagRuleCompliance.NON_COMPLIANT;
        const loadBalancer = loadBalancerOfListener(node);
        return loadBalancer && loadBalancerType(cfnProperties(loadBalancer)) !== 'network'
          ? NagRuleCompliance.NON_COMPLIANT
          : NagRuleCompliance.COMPLIANT;
      }
      case ELBV2_LISTENER_RULE:
        // Listener rules exist only on Application Load Balancers.
        return forwardedTargetGroups(node).some(sendsToClusterPorts)
          ? NagRuleCompliance.NON_COMPLIANT
          : NagRuleCompliance.NOT_APPLICABLE;
      case CLASSIC_LOAD_BALANCER: {
        const listeners = cfnList(cfnProperties(node).Listeners) ?? [];
        return listeners.some((l) => {
          const port = cfnNumber(node, cfnGet(l, 'InstancePort'));
          return port !== undefined && KONG_CLUSTER_PORTS.includes(port);
        })
          ? NagRuleCompliance.NON_COMPLIANT
          : NagRuleCompliance.NOT_APPLICABLE;
      }
      default:
        return NagRuleCompliance.NOT_APPLICABLE;
    }
  },
  'name',
  { value: parse(__filename).name },
);
