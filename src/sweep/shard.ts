// Shards: `--shard i/n` keeps the points whose grid index ≡ i (mod n). Round-robin keeps
// every shard's mix of classes and seeds alike (so shards take similar time), the slices
// are disjoint and together are exactly the grid. On a cluster, i comes from the
// scheduler: SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) or JOB_COMPLETION_INDEX.
import { UserError } from '../util/errors';

export interface Shard {
  index: number;
  count: number;
}

type Env = Record<string, string | undefined>;

function int(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text.trim())) throw new UserError(`--shard: ${what} must be a whole number, got "${text ?? ''}"`);
  return Number(text.trim());
}

/**
 * Parse `--shard`: "i/n" explicit; "auto" or "/n" take i from the environment, and "auto"
 * takes n from SLURM_ARRAY_TASK_COUNT or LDR_SHARDS. Undefined spec = no sharding.
 */
export function parseShard(spec: string | undefined, env: Env = process.env): Shard | null {
  if (spec === undefined) return null;
  const [left, right] = spec.includes('/') ? spec.split('/', 2) : [spec, undefined];
  const fromEnv = left === '' || left === 'auto';
  const index = fromEnv ? envIndex(env) : int(left, 'the shard index i in i/n');
  const countText = right ?? (fromEnv ? env.SLURM_ARRAY_TASK_COUNT ?? env.LDR_SHARDS : undefined);
  if (countText === undefined) {
    throw new UserError('--shard: the number of shards is unknown; write --shard i/n (or set LDR_SHARDS)');
  }
  const count = int(countText, 'the number of shards n in i/n');
  if (count < 1) throw new UserError(`--shard: the number of shards must be at least 1, got ${count}`);
  if (index >= count) throw new UserError(`--shard: index ${index} is out of range for ${count} shards (0..${count - 1})`);
  return { index, count };
}

function envIndex(env: Env): number {
  if (env.SLURM_ARRAY_TASK_ID !== undefined) {
    const min = env.SLURM_ARRAY_TASK_MIN !== undefined ? int(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN') : 0;
    return int(env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID') - min;
  }
  if (env.JOB_COMPLETION_INDEX !== undefined) return int(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX');
  throw new UserError('--shard: no shard index; write --shard i/n, or run inside a Slurm array (SLURM_ARRAY_TASK_ID) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX)');
}

export function inShard<T extends { index: number }>(points: T[], shard: Shard | null): T[] {
  return shard ? points.filter((p) => p.index % shard.count === shard.index) : points;
}
