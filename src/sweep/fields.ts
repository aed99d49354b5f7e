// Dotted field paths (`model.layer.rank`) as used in a sweep's grid, zip and exclude, checked
// against the experiment schema so a typo is caught before any point runs.
import { objectKeys, schemaAt } from '../config/describe';
import { nearest } from '../config/nearest';
import { experimentSchema } from '../config/schema';

export function splitPath(dotted: string): string[] {
  return dotted.split('.');
}

/** Null if `dotted` names a field (a value or a section) of an experiment; otherwise what is wrong. */
export function checkFieldPath(dotted: string): string | null {
  const path = splitPath(dotted);
  if (schemaAt(experimentSchema, path)) return null;
  for (let i = 0; i < path.length; i++) {
    const keys = objectKeys(schemaAt(experimentSchema, path.slice(0, i))!);
    if (!keys) return `not a field of an experiment (${path.slice(0, i).join('.')} has no fields)`;
    if (!keys.includes(path[i])) {
      const hit = nearest(path[i], keys);
      const fix = hit ? `did you mean ${[...path.slice(0, i), hit, ...path.slice(i + 1)].join('.')}?` : `expected one of ${keys.join(', ')} there`;
      return `not a field of an experiment; ${fix}`;
    }
  }
  return null;
}
