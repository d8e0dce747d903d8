import { parse } from 'path';
import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { cfnGet, cfnList, cfnPrimitive, cfnProperties } from '../../utils/cfn';

/** The control-plane log types who-did-what investigations need (EKS control plane logging). */
export const REQUIRED_EKS_LOG_TYPES: readonly string[] = ['api', 'audit', 'authenticator'];

/**
 * An EKS cluster sends its api, audit and authenticator control-plane logs to CloudWatch Logs
 * (AWS::EKS::Cluster Logging.ClusterLogging.EnabledTypes; none are on by default).
 * @param node the CfnResource to check
 */
export default Object.defineProperty(
  (node: CfnResource): NagRuleCompliance => {
    if (node.cfnResourceType !== 'AWS::EKS::Cluster') return NagRuleCompliance.NOT_APPLICABLE;
    const enabled = cfnList(cfnGet(cfnProperties(node), 'Logging', 'ClusterLogging', 'EnabledTypes'));
    if (enabled === undefined) throw new Error('EnabledTypes is not a list');
    const types = new Set(enabled.map((t) => cfnPrimitive(node, cfnGet(t, 'Type'))));
    return REQUIRED_EKS_LOG_TYPES.every((t) => types.has(t))
      ? NagRuleCompliance.COMPLIANT
      : NagRuleCompliance.NON_COMPLIANT;
  },
  'name',
  { value: parse(__filename).name },
);
