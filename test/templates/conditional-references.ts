/**
 * Test helper: references that CloudFormation would refuse once a condition is false. Written
 * apart from src/templates/existing-vpc.ts so that it checks the transform, not restates it.
 */

/**
 * `<where>: <reference>` for every Ref, GetAtt, Fn::Sub name or DependsOn that points at a resource
 * with `Condition: <condition>` from a resource (or output) without that condition, unless it sits
 * in the true branch of `Fn::If [<condition>, …]`.
 */
export function unguardedReferences(template: Record<string, any>, condition: string): string[] {
  const resources: Record<string, any> = template.Resources ?? {};
  const conditional = new Set(Object.keys(resources).filter((id) => resources[id].Condition === condition));
  const found: string[] = [];
  const walk = (node: any, where: string, guarded: boolean) => {
    if (Array.isArray(node)) {
      node.forEach((n, i) => walk(n, `${where}[${i}]`, guarded));
      return;
    }
    if (!node || typeof node !== 'object') return;
    for (const [key, value] of Object.entries<any>(node)) {
      if (key === 'Fn::If' && Array.isArray(value) && value[0] === condition) {
        walk(value[1], `${where}.Fn::If[1]`, true);
        walk(value[2], `${where}.Fn::If[2]`, guarded);
        continue;
      }
      if (!guarded) {
        if (key === 'Ref' && conditional.has(value)) found.push(`${where}: Ref ${value}`);
        if (key === 'Fn::GetAtt') {
          const target = Array.isArray(value) ? value[0] : String(value).split('.')[0];
          if (conditional.has(target)) found.push(`${where}: GetAtt ${target}`);
        }
        if (key === 'Fn::Sub') {
          const text = Array.isArray(value) ? value[0] : value;
          for (const [, name] of String(text).matchAll(/\$\{([^}!][^}]*)\}/g)) {
            if (conditional.has(name.split('.')[0])) found.push(`${where}: Sub \${${name}}`);
          }
        }
      }
      walk(value, `${where}.${key}`, guarded);
    }
  };
  for (const [id, resource] of Object.entries<any>(resources)) {
    if (resource.Condition === condition) continue;
    for (const target of [resource.DependsOn ?? []].flat()) {
      if (conditional.has(target)) found.push(`Resources.${id}: DependsOn ${target}`);
    }
    walk(resource, `Resources.${id}`, false);
  }
  walk(template.Outputs ?? {}, 'Outputs', false);
  return found;
}
