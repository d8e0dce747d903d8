/**
 * Reading CloudFormation resources the way the KongFleet rules need: the rendered properties (CFN
 * names, escape-hatch overrides applied, tokens resolved through the stack), references to other
 * resources of the same stack, and text assembled with Fn::Join (user data, Helm values).
 */
import { CfnResource, Stack } from 'aws-cdk-lib';
import { NagRules } from 'cdk-nag';

/** A resolved CloudFormation property value (JSON). */
export type CfnValue = unknown;

/** A resolved CloudFormation object (a property bag). */
export type CfnObject = Record<string, unknown>;

/** What a CloudFormation token (Ref, Fn::GetAtt, Fn::ImportValue…) is written as in assembled text. */
export const CFN_TOKEN_TEXT = '<cfn-token>';

/** True when `value` is a plain JSON object (not an array, not null). */
export function isCfnObject(value: unknown): value is CfnObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True when `value` is an intrinsic function or a Ref: a value only known at deployment. */
export function isIntrinsic(value: unknown): boolean {
  if (!isCfnObject(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/**
 * The resource's properties as CloudFormation receives them. Unlike the L1 attributes cdk-nag's own
 * rules read, this includes `addPropertyOverride` escape hatches and works the same for L1 classes
 * and for plain `CfnResource`s (custom resources).
 */
export function cfnProperties(node: CfnResource): CfnObject {
  const rendered = Stack.of(node).resolve(node._toCloudFormation()) as { Resources?: Record<string, CfnValue> };
  const resource = Object.values(rendered.Resources ?? {})[0];
  const properties = isCfnObject(resource) ? resource.Properties : undefined;
  return isCfnObject(properties) ? properties : {};
}

/** The value at `path` (property names) below `value`, or undefined. */
export function cfnGet(value: CfnValue, ...path: string[]): CfnValue {
  let current: CfnValue = value;
  for (const key of path) {
    if (!isCfnObject(current)) return undefined;
    current = current[key];
  }
  return current;
}

/** `value` as an array: undefined stays empty, a non-array is unknown (a token) and returns undefined. */
export function cfnList(value: CfnValue): CfnValue[] | undefined {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : undefined;
}

/**
 * A primitive the rule's verdict depends on. Like cdk-nag's rules, a token (e.g. a parameter) cannot
 * be judged: NagRules.resolveIfPrimitive throws, and cdk-nag reports the rule as having thrown.
 */
export function cfnPrimitive(node: CfnResource, value: CfnValue): string | number | boolean | undefined {
  return NagRules.resolveIfPrimitive(node, value);
}

/** A number the verdict depends on (CloudFormation often writes numbers as strings). */
export function cfnNumber(node: CfnResource, value: CfnValue): number | undefined {
  const primitive = cfnPrimitive(node, value);
  if (primitive === undefined || primitive === '') return undefined;
  const n = Number(primitive);
  if (Number.isNaN(n)) throw new Error(`expected a number, got ${JSON.stringify(primitive)}`);
  return n;
}

/** Every CfnResource of `stack` itself (not of nested stacks or other stacks). */
export function stackResources(stack: Stack): CfnResource[] {
  return stack.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c) && Stack.of(c) === stack);
}

/** The resources of `type` in the stack of `node`. */
export function resourcesOfType(node: CfnResource, type: string): CfnResource[] {
  return stackResources(Stack.of(node)).filter((r) => r.cfnResourceType === type);
}

/** The logical id a `{Ref}` or `{Fn::GetAtt}` to a resource of this stack names, else undefined. */
export function referencedLogicalId(value: CfnValue): string | undefined {
  if (!isCfnObject(value)) return undefined;
  if (typeof value.Ref === 'string' && !value.Ref.startsWith('AWS::')) return value.Ref;
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  return undefined;
}

/** The logical id of `node` in its stack (overrides applied). */
export function logicalIdOf(node: CfnResource): string {
  return Stack.of(node).resolve(node.logicalId) as string;
}

/**
 * The resource of the stack of `node` that `value` refers to with Ref or Fn::GetAtt, optionally only
 * of `type`. Undefined for anything else (imports from other stacks, literal ids or names).
 */
export function referencedResource(node: CfnResource, value: CfnValue, type?: string): CfnResource | undefined {
  const id = referencedLogicalId(value);
  if (id === undefined) return undefined;
  return stackResources(Stack.of(node)).find(
    (r) => (type === undefined || r.cfnResourceType === type) && logicalIdOf(r) === id,
  );
}

/** True when `value` (resolved) refers to `target` with Ref or Fn::GetAtt anywhere inside it. */
export function refersTo(value: CfnValue, target: CfnResource): boolean {
  const id = logicalIdOf(target);
  const visit = (v: CfnValue): boolean => {
    if (referencedLogicalId(v) === id) return true;
    if (Array.isArray(v)) return v.some(visit);
    if (isCfnObject(v)) return Object.values(v).some(visit);
    return false;
  };
  return visit(value);
}

/**
 * The text `value` stands for, with every token written {@link CFN_TOKEN_TEXT}: a string, an
 * Fn::Join of strings and tokens (nested joins included), the template of an Fn::Sub. Undefined when
 * the whole value is a token.
 */
export function cfnText(value: CfnValue): string | undefined {
  if (typeof value === 'string') return value;
  if (!isCfnObject(value)) return undefined;
  const join = value['Fn::Join'];
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
    return join[1].map((part) => cfnText(part) ?? CFN_TOKEN_TEXT).join(join[0]);
  }
  const sub = value['Fn::Sub'];
  if (typeof sub === 'string') return sub;
  if (Array.isArray(sub) && typeof sub[0] === 'string') return sub[0];
  return undefined;
}

/**
 * The script of an EC2 `UserData` property: `Fn::Base64` of text (as CDK writes it) or an already
 * base64-encoded literal. Undefined when it cannot be read (a token).
 */
export function userDataText(value: CfnValue): string | undefined {
  if (isCfnObject(value) && 'Fn::Base64' in value) return cfnText(value['Fn::Base64']);
  if (typeof value === 'string') return Buffer.from(value, 'base64').toString('utf8');
  return undefined;
}

/**
 * Parses JSON assembled with Fn::Join (Helm values: `Stack.toJsonString`). A token inside a JSON
 * string becomes part of the string ({@link CFN_TOKEN_TEXT}); a token in value position becomes the
 * string {@link CFN_TOKEN_TEXT}. Throws when the text is not JSON.
 */
export function cfnJson(value: CfnValue): unknown {
  if (typeof value === 'string') return JSON.parse(value);
  let text = '';
  let inString = false;
  const append = (literal: string) => {
    for (let i = 0; i < literal.length; i++) {
      if (literal[i] === '\\' && inString) i++;
      else if (literal[i] === '"') inString = !inString;
    }
    text += literal;
  };
  const visit = (v: CfnValue): void => {
    const join = isCfnObject(v) ? v['Fn::Join'] : undefined;
    if (typeof v === 'string') append(v);
    else if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
      join[1].forEach((part, i) => {
        if (i > 0) append(join[0]);
        visit(part);
      });
    } else text += inString ? CFN_TOKEN_TEXT : JSON.stringify(CFN_TOKEN_TEXT);
  };
  visit(value);
  return JSON.parse(text);
}
