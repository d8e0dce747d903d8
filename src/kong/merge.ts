/** True for `{}`-style objects (not arrays, null, class instances). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Merges `b` over `a` without mutating either: plain objects merge recursively; arrays,
 * scalars and `null` from `b` replace what `a` had; `undefined` in `b` leaves `a` alone.
 */
export function deepMerge<A extends object, B extends object>(a: A, b: B): A & B {
  return mergeValues(a, b) as A & B;
}

function mergeValues(a: unknown, b: unknown): unknown {
  if (b === undefined) return clone(a);
  if (!isPlainObject(a) || !isPlainObject(b)) return clone(b);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(a)) set(out, key, clone(value));
  for (const [key, value] of Object.entries(b)) {
    if (value !== undefined) set(out, key, mergeValues(Object.hasOwn(a, key) ? a[key] : undefined, value));
  }
  return out;
}

function clone(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(clone);
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) set(out, key, clone(v));
    return out;
  }
  return value;
}

// defineProperty so a `__proto__` key from parsed input stays data, never a prototype.
function set(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
