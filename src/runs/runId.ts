// Run ids: a readable prefix plus a short hash of the experiment, so that the same experiment
// always finds the same folder (`<output>/<name>/<run-id>/`), e.g. `ldr-sd_r1_lr0.01_s0_3fa9c2d1`.
//
// The hash covers what determines the numbers, canonicalised, and leaves out where things live
// and which engine computes them: `output`, `dataset.path`, `backend` and `training.workers`. So a run moved to another
// results root, or re-run on another backend, is the same run (env.json and summary.json record the
// backend that produced it). Class aliases hash as their canonical name; `rank` is left out for
// classes without one and `operators` for classes other than toeplitz-like / hankel-like.
import * as crypto from 'crypto';
import { canonicalConfigJson } from '../config/print';
import type { ExperimentConfig } from '../config/schema';
import { findClass } from '../structured/registry';

/**
 * Fields that choose where a run lives or which engine computes it, not what it computes: left
 * out of the run's identity (runIdentity below strips exactly these).
 */
export const NON_IDENTITY_FIELDS: readonly string[] = ['output', 'backend', 'dataset.path', 'training.workers'];

/** The classes whose fixed displacement operators `model.layer.operators` chooses. */
export const OPERATOR_CLASSES: ReadonlySet<string> = new Set(['toeplitz-like', 'hankel-like']);

/** The part of a resolved config that identifies a run (see the header). */
export function runIdentity(cfg: ExperimentConfig): Record<string, unknown> {
  const spec = findClass(cfg.model.layer.class);
  const className = spec?.name ?? cfg.model.layer.class;
  const layer: Record<string, unknown> = { ...cfg.model.layer, class: className };
  if (spec && !spec.hasRank) delete layer.rank;
  if (!OPERATOR_CLASSES.has(className)) delete layer.operators;
  let identity: Record<string, unknown> = { ...cfg, model: { ...cfg.model, layer } };
  for (const field of NON_IDENTITY_FIELDS) identity = without(identity, field.split('.'));
  return identity;
}

/** A copy of obj without the field at path (parents copied, nothing else). */
function without(obj: Record<string, unknown>, path: string[]): Record<string, unknown> {
  const [key, ...rest] = path;
  if (!(key in obj)) return obj;
  const { [key]: value, ...others } = obj;
  if (!rest.length) return others;
  return value !== null && typeof value === 'object' ? { ...others, [key]: without(value as Record<string, unknown>, rest) } : obj;
}

export function configHash(cfg: ExperimentConfig): string {
  return crypto.createHash('sha256').update(canonicalConfigJson(runIdentity(cfg))).digest('hex').slice(0, 8);
}

/** `<class>[_r<rank>]_lr<lr>_s<seed>_<hash>`. */
export function runIdOf(cfg: ExperimentConfig): string {
  const spec = findClass(cfg.model.layer.class);
  const className = spec?.name ?? cfg.model.layer.class;
  const rank = spec && !spec.hasRank ? '' : `_r${cfg.model.layer.rank}`;
  return `${className}${rank}_lr${cfg.optimizer.lr}_s${cfg.training.seed}_${configHash(cfg)}`;
}
