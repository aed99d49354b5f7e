// zod issues → one `Problem` each: `file:line:col field.path: expected <what>, got <value>`.
// "What" comes from the schema itself (describe.ts), so "four" for the rank reads
// "expected an integer ≥ 1", not just "expected number".
import type { z } from 'zod';
import { describeSchema, objectKeys, schemaAt } from './describe';
import { nearest } from './nearest';
import { dotted, showValue, type ConfigSource, type FieldPath, type Problem } from './source';

type Issue = z.core.$ZodIssue;

export function issuesToProblems(issues: readonly Issue[], source: ConfigSource, schema: z.ZodType, data: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      // One problem per unknown key, pointing at the key itself.
      const parent = schemaAt(schema, path);
      const valid = (parent && objectKeys(parent)) ?? [];
      for (const key of issue.keys) {
        const keyPath = [...path, key];
        const { where, offset } = source.locate(keyPath, 'key');
        const hint = nearest(key, valid);
        const expected = hint ? `did you mean ${hint}?` : `expected one of ${valid.join(', ')}`;
        problems.push({ where, offset, field: dotted(keyPath), message: `unknown key; ${expected}` });
      }
      continue;
    }
    const { where, offset } = source.locate(path);
    const value = valueAt(data, path);
    const fieldSchema = schemaAt(schema, path);
    let expected: string;
    if (issue.code === 'invalid_format' || issue.code === 'custom') expected = issue.message;
    else if (fieldSchema) expected = describeSchema(fieldSchema);
    else expected = issue.message;
    const got = path.length === 0 && value == null && !source.text.trim() ? 'nothing (the file is empty)' : showValue(value);
    problems.push({ where, offset, field: dotted(path), message: `expected ${expected}, got ${got}` });
  }
  return problems;
}

/** The raw value at `path` in the parsed YAML (undefined when missing). */
export function valueAt(data: unknown, path: FieldPath): unknown {
  let cur = data;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[key];
  }
  return cur;
}
