// `--set a.b.c=value`: override one field of the YAML document before validation. The value is
// read as YAML (so `4` is a number, `true` a boolean, `[1, 2]` a list) and then checked by the
// schema like any other value; a path that names no field is an error.
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { objectKeys, schemaAt } from './describe';
import { nearest } from './nearest';
import type { ConfigSource, Problem } from './source';

const SET_OFFSET = Number.MAX_SAFE_INTEGER;

/** Applies every `key=value` to `source.doc` (in order); returns the problems with the overrides themselves. */
export function applySets(source: ConfigSource, sets: readonly string[], schema: z.ZodType): Problem[] {
  const problems: Problem[] = [];
  for (const set of sets) {
    const eq = set.indexOf('=');
    const key = eq < 0 ? set : set.slice(0, eq);
    const problem = (message: string): void => {
      problems.push({ where: `--set ${key}`, field: key, message, offset: SET_OFFSET });
    };
    if (eq <= 0) {
      problem(`expected key=value (e.g. --set model.layer.rank=4), got ${JSON.stringify(set)}`);
      continue;
    }
    const path = key.split('.');
    if (!schemaAt(schema, path)) {
      problem(`unknown field${suggestPath(schema, path)}`);
      continue;
    }
    const parsed = parseDocument(set.slice(eq + 1));
    if (parsed.errors.length) {
      problem(`the value is not valid YAML: ${parsed.errors[0].message.split('\n')[0]}`);
      continue;
    }
    try {
      // An empty file has no mapping to set into yet.
      if (source.doc.contents === null) (source.doc as { contents: unknown }).contents = source.doc.createNode({});
      source.doc.setIn(path, source.doc.createNode(parsed.toJS()));
    } catch {
      // yaml refuses to set a.b when a is a scalar: say which ancestor is in the way.
      problem(`cannot set it: ${ancestorInTheWay(source, path)} is not a mapping in ${source.file}`);
      continue;
    }
    source.setPaths.push(key);
  }
  return problems;
}

/** " (did you mean model.layer.rank?)" for the first path segment the schema does not know. */
function suggestPath(schema: z.ZodType, path: string[]): string {
  for (let i = 0; i < path.length; i++) {
    const parent = schemaAt(schema, path.slice(0, i));
    const keys = parent ? objectKeys(parent) : null;
    if (!keys) return ` (${path.slice(0, i).join('.') || 'the top level'} has no fields)`;
    if (!keys.includes(path[i])) {
      const hit = nearest(path[i], keys);
      return hit ? ` (did you mean ${[...path.slice(0, i), hit, ...path.slice(i + 1)].join('.')}?)` : '';
    }
  }
  return '';
}

function ancestorInTheWay(source: ConfigSource, path: string[]): string {
  for (let i = 1; i < path.length; i++) {
    const v = source.doc.getIn(path.slice(0, i));
    if (v === null || typeof v !== 'object') return path.slice(0, i).join('.');
  }
  return path.join('.');
}
