import { parse } from 'path';
import { CfnResource } from 'aws-cdk-lib';
import { NagRuleCompliance } from 'cdk-nag';
import { cfnGet, cfnPrimitive, cfnProperties, referencedResource } from '../../utils/cfn';

/**
 * The first PostgreSQL major version whose default parameter group has rds.force_ssl = 1; before it
 * the default is 0. Source: Amazon RDS User Guide, "Updating applications to connect to PostgreSQL DB
 * instances using new SSL/TLS certificates" (ssl-certificate-rotation-postgresql.html).
 */
export const RDS_POSTGRES_FORCE_SSL_DEFAULT_MAJOR = 15;

/** The major version in `16.8`, `9.6.22`, `postgres16` or `default.postgres14`, or undefined. */
function postgresMajor(text: unknown): number | undefined {
  if (typeof text !== 'string') return undefined;
  const match = /(\d+)(?:\.\d+)*$/.exec(text);
  return match ? Number(match[1]) : undefined;
}

function forceSslByDefault(major: number | undefined): boolean {
  // No version: CloudFormation creates the newest major, which forces TLS.
  return major === undefined || major >= RDS_POSTGRES_FORCE_SSL_DEFAULT_MAJOR;
}

/**
 * An RDS for PostgreSQL instance refuses connections without TLS (rds.force_ssl = 1), as far as this
 * stack decides it: the parameter group it attaches sets rds.force_ssl to 1, or leaves it at a
 * default of 1 (PostgreSQL 15+); an instance without a parameter group runs PostgreSQL 15+. Parameter
 * groups of other stacks, and instances of Aurora clusters, are not judged.
 * @param node the CfnResource to check
 */
export default Object.defineProperty(
  (node: CfnResource): NagRuleCompliance => {
    if (node.cfnResourceType !== 'AWS::RDS::DBInstance') return NagRuleCompliance.NOT_APPLICABLE;
    const props = cfnProperties(node);
    if (cfnPrimitive(node, props.Engine) !== 'postgres' || props.DBClusterIdentifier !== undefined) {
      return NagRuleCompliance.NOT_APPLICABLE;
    }
    const engineMajor = postgresMajor(cfnPrimitive(node, props.EngineVersion));
    const groupName = props.DBParameterGroupName;
    if (groupName === undefined) {
      return forceSslByDefault(engineMajor) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
    }
    if (typeof groupName === 'string' && groupName.startsWith('default.')) {
      return forceSslByDefault(postgresMajor(groupName))
        ? NagRuleCompliance.COMPLIANT
        : NagRuleCompliance.NON_COMPLIANT;
    }
    const group = referencedResource(node, groupName, 'AWS::RDS::DBParameterGroup');
    if (!group) return NagRuleCompliance.NOT_APPLICABLE;
    const groupProps = cfnProperties(group);
    const forceSsl = cfnPrimitive(group, cfnGet(groupProps, 'Parameters', 'rds.force_ssl'));
    if (forceSsl === undefined) {
      const family = cfnPrimitive(group, groupProps.Family);
      return forceSslByDefault(postgresMajor(family) ?? engineMajor)
        ? NagRuleCompliance.COMPLIANT
        : NagRuleCompliance.NON_COMPLIANT;
    }
    return String(forceSsl) === '1' ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
  },
  'name',
  { value: parse(__filename).name },
);
