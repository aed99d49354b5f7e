// Loading an experiment file: YAML (with positions) → `--set` overrides → zod schema → semantic
// checks. Every problem becomes one line `file:line:col field.path: expected …, got …`, and all of
// them are reported together in one UserError (exit 2).
import * as fs from 'fs';
import type { z } from 'zod';
import { UserError } from '../util/errors';
import { canonicalClassName } from '../structured/registry';
import { issuesToProblems } from './issues';
import { applySets } from './overrides';
import { experimentSchema, type ExperimentConfig } from './schema';
import { checkExperiment } from './semantic';
import { ConfigSource, formatProblem, type Problem } from './source';

/** Extra checks run on the raw YAML value after the schema's (e.g. checkExperiment). */
export type ConfigCheck = (data: unknown, source: ConfigSource) => Problem[];

/**
 * Parses, overrides and validates any YAML config against `schema` (the experiment schema, or a
 * larger one such as an experiment with a `sweep:` section). Throws one UserError listing every problem.
 */
export function loadYamlConfig<S extends z.ZodType>(
  text: string,
  file: string,
  sets: readonly string[],
  schema: S,
  check?: ConfigCheck,
): z.output<S> {
  const source = new ConfigSource(text, file);
  // After a syntax error the document's structure is a guess: report the syntax only.
  if (source.syntaxProblems.length) throw configError(source.syntaxProblems);
  const problems = applySets(source, sets, schema);
  const js = source.toJSChecked();
  if (!js.ok) throw new UserError(`${file}: cannot read the YAML (${js.message})`);
  const data = js.value;
  const result = schema.safeParse(data, { reportInput: true });
  if (!result.success) problems.push(...issuesToProblems(result.error.issues, source, schema, data));
  if (check) problems.push(...check(data, source));
  if (problems.length || !result.success) throw configError(problems);
  return result.data;
}

/** Reads a config file; a missing or unreadable file is a UserError naming it. */
export function readConfigText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a file' : (err as Error).message;
    throw new UserError(`${file}: cannot read the config file (${why})`);
  }
}

/** An experiment from YAML text (`file` names it in messages). Class aliases become canonical names. */
export function loadExperimentFromString(text: string, file = '<config>', sets: readonly string[] = []): ExperimentConfig {
  const cfg = loadYamlConfig(text, file, sets, experimentSchema, checkExperiment);
  return canonicalizeExperiment(cfg);
}

export function loadExperiment(file: string, sets: readonly string[] = []): ExperimentConfig {
  return loadExperimentFromString(readConfigText(file), file, sets);
}

/** The resolved config with the class alias replaced by its canonical name (`sd` → `ldr-sd`). */
export function canonicalizeExperiment(cfg: ExperimentConfig): ExperimentConfig {
  return { ...cfg, model: { ...cfg.model, layer: { ...cfg.model.layer, class: canonicalClassName(cfg.model.layer.class) } } };
}

/** One UserError, one line per problem, in file order (`--set` problems last). */
export function configError(problems: Problem[]): UserError {
  const sorted = [...problems].sort((a, b) => a.offset - b.offset);
  return new UserError(sorted.map(formatProblem).join('\n'));
}
