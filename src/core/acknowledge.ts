import { CfnCondition, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { IConstruct } from 'constructs';

/**
 * Acknowledges a cdk-nag AwsSolutions finding on `scope` (and what it contains) with the reason
 * next to the code that causes it. Uses CDK's own validation API, so the library needs cdk-nag
 * only where users run it. `findings` narrows IAM4/IAM5 to the exact policies or resources
 * cdk-nag names (`Policy::…`, `Resource::…`), so a new wildcard still fails.
 */
export function acknowledgeNag(scope: IConstruct, rule: string, reason: string, findings?: string[]): void {
  const ids = findings ? findings.map((f) => `AwsSolutions-${rule}[${f}]`) : [`AwsSolutions-${rule}`];
  for (const id of ids) Validations.of(scope).acknowledge({ id: `AwsSolutions::${id}`, reason });
}

/** cdk-nag's name for an AWS managed policy attached to a role. */
export function managedPolicyFinding(name: string): string {
  return `Policy::arn:<AWS::Partition>:iam::aws:policy/${name}`;
}

/**
 * cdk-nag findings for the Lambda functions aws-cdk-lib writes under `scope` (Provider
 * framework and kubectl handler): their own log permissions, `lambda:InvokeFunction` on
 * `<function>.Arn:*` (versions), and the kubectl handler's conditional ECR Public policy.
 */
export function frameworkFunctionFindings(scope: IConstruct): string[] {
  const stack = Stack.of(scope);
  const findings: string[] = [];
  for (const c of scope.node.findAll()) {
    if (c instanceof lambda.CfnFunction) {
      findings.push(`Resource::<${stack.getLogicalId(c as CfnElement)}.Arn>:*`);
    }
    if (c instanceof CfnCondition && c.node.id === 'HasEcrPublic') {
      const policy = {
        'Fn::If': [
          stack.getLogicalId(c),
          {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonElasticContainerRegistryPublicReadOnly'],
            ],
          },
          { Ref: 'AWS::NoValue' },
        ],
      };
      findings.push(`Policy::${JSON.stringify(policy)}`);
    }
  }
  return findings;
}

/**
 * cdk-nag's name for a wildcard resource in a policy: the resolved ARN with intrinsic references
 * written `<AWS::Region>` / `<Logical.Attr>` the way cdk-nag prints them.
 */
export function resourceFinding(scope: IConstruct, arn: string): string {
  const render = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const object = value as Record<string, unknown>;
    if (object && typeof object.Ref === 'string') return `<${object.Ref}>`;
    if (object && Array.isArray(object['Fn::GetAtt'])) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
    if (object && Array.isArray(object['Fn::Join'])) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
    return JSON.stringify(value);
  };
  return `Resource::${render(Stack.of(scope).resolve(arn))}`;
}
