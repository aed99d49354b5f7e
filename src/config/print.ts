// The resolved config, for people (`--print-config`, the run folder's config.yaml) and for
// machines (the canonical JSON the run-id hash is computed from).
import { stringify } from 'yaml';

/** YAML of a resolved config, keys in schema order, every default written out. */
export function renderConfigYaml(cfg: unknown): string {
  return stringify(cfg, { lineWidth: 0 });
}

/**
 * A stable serialisation: keys sorted at every level, no whitespace, so two configs that mean
 * the same thing give the same string (and the same run id) whatever their key order.
 */
export function canonicalConfigJson(cfg: unknown): string {
  return JSON.stringify(sortKeys(cfg));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}
