// Read a sweep file: the YAML with positions (config/source.ts), its `sweep:` section
// validated on its own. The experiment part is resolved per point (points.ts), because
// fields such as the class may be given only by the grid.
import { z } from 'zod';
import { configError, readConfigText } from '../config/load';
import { issuesToProblems } from '../config/issues';
import { ConfigSource, type FieldPath, type Problem } from '../config/source';
import { UserError } from '../util/errors';
import { NON_IDENTITY_FIELDS } from '../runs/runId';
import { checkFieldPath } from './fields';
import { sweepSchema, type SweepSpec } from './schema';

export interface SweepSource {
  file: string;
  text: string;
  sweep: SweepSpec;
  /** `file:line:col` of a node (YAML path), or of its nearest existing ancestor. */
  where(path: FieldPath): string;
}

// Validates the `sweep:` key only; the rest of the file is the experiment's business.
const sweepOnly = z.looseObject({ sweep: sweepSchema });

export function readSweepFile(file: string): SweepSource {
  return parseSweepText(readConfigText(file), file);
}

export function parseSweepText(text: string, file: string): SweepSource {
  const source = new ConfigSource(text, file);
  if (source.syntaxProblems.length) throw configError(source.syntaxProblems);
  const js = source.toJSChecked();
  if (!js.ok) throw new UserError(`${file}: cannot read the YAML (${js.message})`);
  const data = js.value;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UserError(`${file}:1:1 (top level): expected an experiment with a sweep: section`);
  }
  if (!('sweep' in data)) throw new UserError(`${file}:1:1 sweep: missing; a sweep config is an experiment plus a sweep: section (for one run, use ldr train)`);
  const parsed = sweepOnly.safeParse(data, { reportInput: true });
  if (!parsed.success) throw configError(issuesToProblems(parsed.error.issues, source, sweepOnly, data));
  const where = (path: FieldPath) => source.locate(path).where;
  const problems = checkSweepFields(parsed.data.sweep, source);
  if (problems.length) throw configError(problems);
  return { file, text, sweep: parsed.data.sweep, where };
}

/** Every field named in grid, zip and exclude exists; a field varies on one axis only; zip lists align. */
function checkSweepFields(spec: SweepSpec, source: ConfigSource): Problem[] {
  const problems: Problem[] = [];
  const add = (path: FieldPath, message: string, target: 'key' | 'value' = 'key') => {
    const { where, offset } = source.locate(path, target);
    problems.push({ where, offset, field: path.join('.'), message });
  };
  const varying = new Map<string, string>();
  const checkVarying = (field: string, path: FieldPath) => {
    const bad = checkFieldPath(field);
    if (bad) return add(path, bad);
    if (NON_IDENTITY_FIELDS.includes(field)) {
      return add(path, `${field} is not part of a run's identity (it picks where a run lives or how it computes, not what), so every value would be the same run; to compare training.workers use \`ldr bench workers\`, for backends or folders run separate sweeps`);
    }
    const before = varying.get(field);
    if (before) return add(path, `${field} already varies at ${before}; a field may vary on one axis only`);
    varying.set(field, source.locate(path, 'key').where);
  };
  for (const field of Object.keys(spec.grid)) checkVarying(field, ['sweep', 'grid', field]);
  spec.zip.forEach((group, g) => {
    const fields = Object.keys(group);
    if (!fields.length) return add(['sweep', 'zip', g], 'expected at least one field', 'value');
    for (const field of fields) checkVarying(field, ['sweep', 'zip', g, field]);
    const n = group[fields[0]].length;
    for (const field of fields) {
      const m = group[field].length;
      if (m !== n) add(['sweep', 'zip', g, field], `expected ${n} values (one per value of ${fields[0]}), got ${m}`, 'value');
    }
  });
  spec.exclude.forEach((rule, k) => {
    if (!Object.keys(rule).length) add(['sweep', 'exclude', k], 'expected at least one field: value', 'value');
    for (const field of Object.keys(rule)) {
      const bad = checkFieldPath(field);
      if (bad) add(['sweep', 'exclude', k, field], bad);
    }
  });
  return problems;
}
