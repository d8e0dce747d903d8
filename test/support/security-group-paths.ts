/**
 * Who may reach a security group, read from synthesized templates the way CloudFormation sees
 * them: every `AWS::EC2::SecurityGroupIngress` of every stack and every inline ingress rule,
 * with `Fn::ImportValue` followed to the exporting stack. Proves network paths without trusting
 * the constructs that made them.
 */

type Json = Record<string, any>;

/** A security group (or any resource attribute naming one) as `stack/logicalId[.attribute]`. */
export type SgRef = string;

export interface IngressPath {
  /** Stack holding the rule. */
  readonly ruleStack: string;
  /** The group the rule opens. */
  readonly target: SgRef;
  /** `stack/logicalId[.attribute]` of the source group, or `cidr:<range>`, or `prefix:<id>`. */
  readonly source: string;
  readonly protocol: string;
  readonly fromPort?: number;
  readonly toPort?: number;
}

function refOf(value: unknown, stack: string, exports: Map<string, SgRef>): SgRef | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Json;
  if (v.Ref !== undefined) return `${stack}/${v.Ref}`;
  if (Array.isArray(v['Fn::GetAtt'])) {
    const [id, attribute] = v['Fn::GetAtt'];
    return attribute === 'GroupId' ? `${stack}/${id}` : `${stack}/${id}.${attribute}`;
  }
  if (v['Fn::ImportValue'] !== undefined) {
    const name = v['Fn::ImportValue'];
    return typeof name === 'string' ? (exports.get(name) ?? `import:${name}`) : undefined;
  }
  return undefined;
}

/** Every ingress path into any security group of `templates` (by stack name). */
export function ingressPaths(templates: Readonly<Record<string, Json>>): IngressPath[] {
  const exports = new Map<string, SgRef>();
  for (const [stack, template] of Object.entries(templates)) {
    for (const output of Object.values<Json>(template.Outputs ?? {})) {
      const name = output.Export?.Name;
      const ref = refOf(output.Value, stack, new Map());
      if (typeof name === 'string' && ref) exports.set(name, ref);
    }
  }
  const paths: IngressPath[] = [];
  const add = (ruleStack: string, target: SgRef | undefined, rule: Json) => {
    if (!target) return;
    const source =
      rule.CidrIp !== undefined
        ? `cidr:${JSON.stringify(rule.CidrIp)}`
        : rule.CidrIpv6 !== undefined
          ? `cidr:${JSON.stringify(rule.CidrIpv6)}`
          : rule.SourcePrefixListId !== undefined
            ? `prefix:${JSON.stringify(rule.SourcePrefixListId)}`
            : (refOf(rule.SourceSecurityGroupId, ruleStack, exports) ?? `unknown:${JSON.stringify(rule)}`);
    paths.push({
      ruleStack,
      target,
      source,
      protocol: String(rule.IpProtocol),
      fromPort: rule.FromPort,
      toPort: rule.ToPort,
    });
  };
  for (const [stack, template] of Object.entries(templates)) {
    for (const [id, resource] of Object.entries<Json>(template.Resources ?? {})) {
      if (resource.Type === 'AWS::EC2::SecurityGroupIngress') {
        add(stack, refOf(resource.Properties.GroupId, stack, exports), resource.Properties);
      } else if (resource.Type === 'AWS::EC2::SecurityGroup') {
        for (const rule of resource.Properties?.SecurityGroupIngress ?? []) add(stack, `${stack}/${id}`, rule);
      }
    }
  }
  return paths;
}
