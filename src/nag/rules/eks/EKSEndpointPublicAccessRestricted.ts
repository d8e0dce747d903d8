import { parse } from 'path';
import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { cfnGet, cfnList, cfnPrimitive, cfnProperties } from '../../utils/cfn';
import { isWorldCidr } from '../../utils/network';

/**
 * The Kubernetes API endpoint of an EKS cluster is private, or public only to listed CIDR blocks.
 * CloudFormation's defaults: EndpointPublicAccess true, PublicAccessCidrs 0.0.0.0/0
 * (AWS::EKS::Cluster ResourcesVpcConfig). Unlike AwsSolutions-EKS1, this reads AWS::EKS::Cluster as
 * aws-eks-v2 writes it, and accepts a public endpoint limited to known networks.
 * @param node the CfnResource to check
 */
export default Object.defineProperty(
  (node: CfnResource): NagRuleCompliance => {
    if (node.cfnResourceType !== 'AWS::EKS::Cluster') return NagRuleCompliance.NOT_APPLICABLE;
    const vpcConfig = cfnGet(cfnProperties(node), 'ResourcesVpcConfig');
    const publicAccess = cfnPrimitive(node, cfnGet(vpcConfig, 'EndpointPublicAccess'));
    if (publicAccess === false || publicAccess === 'false') return NagRuleCompliance.COMPLIANT;
    const cidrs = cfnList(cfnGet(vpcConfig, 'PublicAccessCidrs'));
    if (cidrs === undefined) throw new Error('PublicAccessCidrs is not a list');
    if (cidrs.length === 0) return NagRuleCompliance.NON_COMPLIANT;
    return cidrs.some((cidr) => isWorldCidr(cfnPrimitive(node, cidr)))
      ? NagRuleCompliance.NON_COMPLIANT
      : NagRuleCompliance.COMPLIANT;
  },
  'name',
  { value: parse(__filename).name },
);
