// Reads the zod schema back: what a field expects ("an integer ≥ 1"), which keys a mapping
// accepts, and the sub-schema at a dotted path. Error messages and `--set` use it, so every
// message follows the schema without a second list of field names to keep in sync.
import type { z } from 'zod';

type AnySchema = z.ZodType;
// zod 4 keeps a schema's definition under `_zod.def`; only the parts read here are typed.
interface Def {
  type: string;
  innerType?: AnySchema;
  shape?: Record<string, AnySchema>;
  entries?: Record<string, string | number>;
  checks?: { _zod: { def: { check: string; value?: number; inclusive?: boolean; format?: string } } }[];
  values?: unknown[];
  options?: AnySchema[];
  element?: AnySchema;
  in?: AnySchema;
  out?: AnySchema;
}

function def(s: AnySchema): Def {
  return (s as unknown as { _zod: { def: Def } })._zod.def;
}

/** The schema with default / optional / nullable / pipe wrappers removed (and whether null is allowed). */
export function unwrap(s: AnySchema): { schema: AnySchema; nullable: boolean } {
  let nullable = false;
  for (;;) {
    const d = def(s);
    if (d.type === 'nullable') nullable = true;
    if ((d.type === 'default' || d.type === 'optional' || d.type === 'nullable' || d.type === 'prefault' || d.type === 'readonly') && d.innerType) {
      s = d.innerType;
    } else if (d.type === 'pipe' && d.in) {
      s = d.in;
    } else {
      return { schema: s, nullable };
    }
  }
}

/** The keys an object schema accepts, or null when `s` is not an object. */
export function objectKeys(s: AnySchema): string[] | null {
  const d = def(unwrap(s).schema);
  return d.type === 'object' && d.shape ? Object.keys(d.shape) : null;
}

/** The sub-schema at `path` (object keys only), or undefined when the path names no field. */
export function schemaAt(s: AnySchema, path: readonly (string | number)[]): AnySchema | undefined {
  let cur: AnySchema | undefined = s;
  for (const key of path) {
    if (!cur) return undefined;
    const d = def(unwrap(cur).schema);
    if (d.type === 'object' && d.shape) cur = Object.prototype.hasOwnProperty.call(d.shape, key) ? d.shape[key] : undefined;
    else if (d.type === 'array' && d.element && typeof key === 'number') cur = d.element;
    else return undefined;
  }
  return cur;
}

function numberBounds(d: Def): { int: boolean; parts: string[] } {
  let int = false;
  const parts: string[] = [];
  for (const c of d.checks ?? []) {
    const cd = c._zod.def;
    if (cd.check === 'number_format' && (cd.format === 'safeint' || cd.format === 'int32')) int = true;
    if (cd.check === 'greater_than') parts.push(`${cd.inclusive ? '≥' : '>'} ${cd.value}`);
    if (cd.check === 'less_than') parts.push(`${cd.inclusive ? '≤' : '<'} ${cd.value}`);
  }
  return { int, parts };
}

/** What a value of this schema looks like, in words: "an integer ≥ 1", "one of sgd, adam", … */
export function describeSchema(s: AnySchema): string {
  const { schema, nullable } = unwrap(s);
  const d = def(schema);
  let text: string;
  switch (d.type) {
    case 'number': {
      const { int, parts } = numberBounds(d);
      text = `${int ? 'an integer' : 'a number'}${parts.length ? ' ' + parts.join(' and ') : ''}`;
      break;
    }
    case 'string':
      text = 'a string';
      break;
    case 'boolean':
      text = 'true or false';
      break;
    case 'enum':
      text = `one of ${Object.values(d.entries ?? {}).join(', ')}`;
      break;
    case 'literal':
      text = (d.values ?? []).map((v) => JSON.stringify(v)).join(' or ');
      break;
    case 'object':
      text = 'a mapping';
      break;
    case 'array':
      text = d.element ? `a list of ${plural(describeSchema(d.element))}` : 'a list';
      break;
    case 'union':
      text = (d.options ?? []).map(describeSchema).join(' or ');
      break;
    default:
      text = d.type;
  }
  return nullable ? `${text} or null` : text;
}

function plural(description: string): string {
  return description.replace(/^an? /, '').replace(/^(integer|number|string|mapping|list)\b/, '$1s');
}
