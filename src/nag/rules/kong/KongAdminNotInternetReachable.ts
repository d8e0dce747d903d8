import { parse } from 'path';
import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { KONG_PORTS } from '../../../kong/ports';
import { cfnGet, cfnList, cfnNumber, cfnProperties } from '../../utils/cfn';
import {
  CLASSIC_LOAD_BALANCER,
  ELBV2_LISTENER,
  ELBV2_LISTENER_RULE,
  forwardedTargetGroups,
  isInternetFacing,
  listenerOfRule,
  loadBalancerOfListener,
  SECURITY_GROUP,
  SECURITY_GROUP_INGRESS,
  targetGroupPorts,
  worldOpenPorts,
} from '../../utils/network';

/** Kong's Admin API (8001 http, 8444 https) and Kong Manager (8002, 8445) ports. */
export const KONG_ADMIN_PORTS: readonly number[] = [
  KONG_PORTS.adminHttp,
  KONG_PORTS.adminHttps,
  KONG_PORTS.managerHttp,
  KONG_PORTS.managerHttps,
];

/**
 * Kong's Admin API and Kong Manager are not reachable from the internet: no security-group ingress
 * from 0.0.0.0/0 or ::/0 covers their ports (ranges and all-traffic rules included), and no
 * internet-facing load balancer forwards to them.
 * @param node the CfnResource to check
 */
export default Object.defineProperty(
  (node: CfnResource): NagRuleCompliance => {
    switch (node.cfnResourceType) {
      case SECURITY_GROUP:
      case SECURITY_GROUP_INGRESS:
        return worldOpenPorts(node, KONG_ADMIN_PORTS).length > 0
          ? NagRuleCompliance.NON_COMPLIANT
          : NagRuleCompliance.COMPLIANT;
      case ELBV2_LISTENER:
      case ELBV2_LISTENER_RULE: {
        const listener = node.cfnResourceType === ELBV2_LISTENER ? node : listenerOfRule(node);
        const loadBalancer = listener && loadBalancerOfListener(listener);
        // A load balancer of another stack: its scheme is not known here.
        if (!loadBalancer) return NagRuleCompliance.NOT_APPLICABLE;
        if (!isInternetFacing(loadBalancer, cfnProperties(loadBalancer))) return NagRuleCompliance.COMPLIANT;
        const ports = forwardedTargetGroups(node).flatMap(targetGroupPorts);
        return ports.some((p) => KONG_ADMIN_PORTS.includes(p))
          ? NagRuleCompliance.NON_COMPLIANT
          : NagRuleCompliance.COMPLIANT;
      }
      case CLASSIC_LOAD_BALANCER: {
        const props = cfnProperties(node);
        if (!isInternetFacing(node, props)) return NagRuleCompliance.COMPLIANT;
        const ports = (cfnList(props.Listeners) ?? []).map((l) => cfnNumber(node, cfnGet(l, 'InstancePort')));
        return ports.some((p) => p !== undefined && KONG_ADMIN_PORTS.includes(p))
          ? NagRuleCompliance.NON_COMPLIANT
          : NagRuleCompliance.COMPLIANT;
      }
      default:
        return NagRuleCompliance.NOT_APPLICABLE;
    }
  },
  'name',
  { value: parse(__filename).name },
);
