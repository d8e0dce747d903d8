import { KongFleetError } from '../kong/errors';

/**
 * Sentinels: constructs validate what they are given at synth time (versions are parsed, host
 * names checked), so a CloudFormation parameter, a token, cannot go through them. Templates are
 * synthesized with a distinctive valid value per parameter instead, and every occurrence of it in
 * the template is then replaced by the parameter. A sentinel must be long and odd enough never to
 * occur by chance; the generator fails if one is left anywhere (keys included).
 */
export interface Sentinel {
  /** The literal the constructs see. */
  readonly text: string;
  /** What replaces it: a CloudFormation expression (usually `{ Ref: <parameter> }`). */
  readonly value: unknown;
}

/** `{ Ref: name }`. */
export function ref(name: string): { Ref: string } {
  return { Ref: name };
}

/** Part `index` of a dotted parameter value (`3.10.0.6` → 0: `3`, 1: `10`). */
export function dottedPart(parameter: string, index: number): unknown {
  return { 'Fn::Select': [index, { 'Fn::Split': ['.', ref(parameter)] }] };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The template with every sentinel replaced: a string holding one becomes `Fn::Join` of its
 * literal parts and the sentinels' values (or the value itself when the string is just the
 * sentinel). Inside `Fn::Sub` text a sentinel whose value is a plain `Ref` becomes `${Name}`.
 */
export function replaceSentinels<T>(template: T, sentinels: readonly Sentinel[]): T {
  if (sentinels.length === 0) return template;
  const byText = new Map(sentinels.map((s) => [s.text, s.value]));
  const pattern = new RegExp(
    [...byText.keys()]
      .sort((a, b) => b.length - a.length)
      .map(escapeRegExp)
      .join('|'),
    'g',
  );

  const inString = (text: string): unknown => {
    const parts: unknown[] = [];
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      if (match.index > last) parts.push(text.slice(last, match.index));
      parts.push(byText.get(match[0]));
      last = match.index + match[0].length;
    }
    if (last === 0) return text;
    if (last < text.length) parts.push(text.slice(last));
    return parts.length === 1 ? parts[0] : { 'Fn::Join': ['', parts] };
  };

  const inSubText = (text: string): string =>
    text.replace(pattern, (found) => {
      const value = byText.get(found) as { Ref?: string };
      if (typeof value?.Ref !== 'string' || Object.keys(value).length !== 1) {
        throw new KongFleetError('template', 'a derived parameter value occurs inside Fn::Sub text', {
          got: found,
          expected: 'only plain parameter references inside Fn::Sub',
        });
      }
      return `\${${value.Ref}}`;
    });

  const visit = (node: unknown): unknown => {
    if (typeof node === 'string') return inString(node);
    if (Array.isArray(node)) return node.map(visit);
    if (node && typeof node === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(node)) {
        if (key === 'Fn::Sub' && typeof value === 'string') out[key] = inSubText(value);
        else if (key === 'Fn::Sub' && Array.isArray(value) && typeof value[0] === 'string') {
          out[key] = [inSubText(value[0]), visit(value[1])];
        } else out[key] = visit(value);
      }
      return out;
    }
    return node;
  };
  return visit(template) as T;
}

/** Sentinels still present anywhere in `template` (values or keys), as `text at path`. */
export function leftoverSentinels(template: unknown, sentinels: readonly Sentinel[]): string[] {
  const found: string[] = [];
  const visit = (node: unknown, where: string) => {
    if (typeof node === 'string') {
      for (const s of sentinels) if (node.includes(s.text)) found.push(`${s.text} at ${where}`);
    } else if (Array.isArray(node)) {
      node.forEach((v, i) => visit(v, `${where}[${i}]`));
    } else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        for (const s of sentinels) if (key.includes(s.text)) found.push(`${s.text} at key ${where}.${key}`);
        visit(value, `${where}.${key}`);
      }
    }
  };
  visit(template, '$');
  return found;
}
