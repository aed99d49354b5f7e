// The resume checkpoint: `checkpoint/index.json` (epoch, PRNG state, lr, best epoch, metrics so
// far, and where each tensor lies) plus one binary file of Float32 tensors `tensors-<epoch>.bin`
// (current weights, best-validation weights, optimizer slots), each keyed by name.
// Crash safety: the new binary is written atomically first, then index.json (the commit point)
// is replaced atomically, then older binaries are removed — a SIGKILL at any moment leaves an
// index that points at a complete binary.
import * as fs from 'fs';
import * as path from 'path';
import type { TrainState } from './trainState';
import type { EpochMetrics } from './types';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';

export const CHECKPOINT_FORMAT = 'ldr-checkpoint/1';

interface TensorEntry {
  key: string;
  /** Offset and length in float32 elements. */
  offset: number;
  length: number;
}

interface CheckpointIndex {
  format: string;
  epoch: number;
  rngState: number;
  lr: number;
  optimizerStep: number;
  best: { epoch: number; valAcc: number; valLoss: number } | null;
  metrics: EpochMetrics[];
  seconds: number;
  /** Backend that wrote it (resume is bit-exact only on the same backend). */
  backend: string;
  data: string;
  bytes: number;
  tensors: TensorEntry[];
}

export function saveCheckpoint(dir: string, state: TrainState, backend: string): void {
  const arrays: [string, Float32Array][] = [
    ...Object.entries(state.weights).map(([k, v]): [string, Float32Array] => [`weights/${k}`, v]),
    ...Object.entries(state.best?.weights ?? {}).map(([k, v]): [string, Float32Array] => [`best/${k}`, v]),
    ...Object.entries(state.optimizer.slots).map(([k, v]): [string, Float32Array] => [`optimizer/${k}`, v]),
  ];
  const total = arrays.reduce((s, [, a]) => s + a.length, 0);
  const all = new Float32Array(total);
  const tensors: TensorEntry[] = [];
  let offset = 0;
  for (const [key, a] of arrays) {
    all.set(a, offset);
    tensors.push({ key, offset, length: a.length });
    offset += a.length;
  }
  const data = `tensors-${state.epoch}.bin`;
  const bytes = new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  writeFileAtomic(path.join(dir, data), bytes);
  const index: CheckpointIndex = {
    format: CHECKPOINT_FORMAT,
    epoch: state.epoch,
    rngState: state.rngState,
    lr: state.lr,
    optimizerStep: state.optimizer.step,
    best: state.best ? { epoch: state.best.epoch, valAcc: state.best.valAcc, valLoss: state.best.valLoss } : null,
    metrics: state.metrics,
    seconds: state.seconds,
    backend,
    data,
    bytes: bytes.byteLength,
    tensors,
  };
  writeJsonAtomic(path.join(dir, 'index.json'), index);
  // Everything else (older binaries, temp files of a killed write) is garbage now.
  for (const f of fs.readdirSync(dir)) {
    if (f !== 'index.json' && f !== data) fs.rmSync(path.join(dir, f), { force: true, recursive: true });
  }
}

export interface LoadedCheckpoint {
  state: TrainState;
  backend: string;
}

/** The checkpoint in `dir`, or null if there is none. A damaged one is an error naming the file. */
export function loadCheckpoint(dir: string): LoadedCheckpoint | null {
  const indexFile = path.join(dir, 'index.json');
  if (!fs.existsSync(indexFile)) return null;
  const index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as CheckpointIndex;
  if (index.format !== CHECKPOINT_FORMAT) throw new Error(`${indexFile}: unknown checkpoint format "${index.format}"`);
  const dataFile = path.join(dir, index.data);
  const buf = fs.readFileSync(dataFile);
  if (buf.byteLength !== index.bytes) {
    throw new Error(`${dataFile}: ${buf.byteLength} bytes, index.json expects ${index.bytes}`);
  }
  // Copy into an aligned buffer (a Buffer may start at any byte offset of its pool).
  const all = new Float32Array(index.bytes / 4);
  new Uint8Array(all.buffer).set(buf);
  const groups: Record<'weights' | 'best' | 'optimizer', Record<string, Float32Array>> = { weights: {}, best: {}, optimizer: {} };
  for (const t of index.tensors) {
    const slash = t.key.indexOf('/');
    const group = t.key.slice(0, slash) as keyof typeof groups;
    if (!(group in groups)) throw new Error(`${indexFile}: unknown tensor group in "${t.key}"`);
    groups[group][t.key.slice(slash + 1)] = all.slice(t.offset, t.offset + t.length);
  }
  const state: TrainState = {
    epoch: index.epoch,
    rngState: index.rngState,
    lr: index.lr,
    optimizer: { step: index.optimizerStep, slots: groups.optimizer },
    weights: groups.weights,
    best: index.best ? { ...index.best, weights: groups.best } : null,
    metrics: index.metrics,
    seconds: index.seconds,
  };
  return { state, backend: index.backend };
}
