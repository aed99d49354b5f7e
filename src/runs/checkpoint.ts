// The resume checkpoint: `checkpoint/epoch-<E>.safetensors`, one self-contained file per epoch in
// the safetensors layout, so numpy / PyTorch users can load trained layers:
//   8 bytes   little-endian u64: length N of the JSON header
//   N bytes   JSON header: { "<group>/<name>": { dtype: "F32", shape, data_offsets: [begin, end] }, …,
//             "__metadata__": { format, state, state_sha256, tensor_sha256 } } (padded with spaces to 8 bytes)
//   data      raw little-endian float32 values; offsets are relative to the start of this block.
// Groups: `weights/` (current), `best/` (best-validation weights), `optimizer/` (slots).
// `__metadata__.state` is the rest of the training state as JSON (epoch, PRNG state, lr, best
// epoch, metrics so far, backend); `state_sha256` and `tensor_sha256` (one SHA-256 per tensor)
// are checked on every load, so a flipped byte, a zeroed file or an edited epoch is refused.
// Crash safety: a new file is written atomically (temp + fsync + rename; that rename is the
// commit point); only then are older files removed, keeping the newest two, so a damaged newest
// file can fall back to the previous epoch (resume is deterministic: same final numbers).
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { TrainState } from './trainState';
import type { EpochMetrics } from './types';
import { isAtomicTemp, writeFileAtomic } from '../util/atomic';
import { assertClaim } from './lock';

export const CHECKPOINT_FORMAT = 'ldr-checkpoint/2';
/** Files kept: the newest, and one older to fall back to when the newest is damaged. */
export const CHECKPOINTS_KEPT = 2;
const FILE_RE = /^epoch-(\d+)\.safetensors$/;

export function checkpointFile(dir: string, epoch: number): string {
  return path.join(dir, `epoch-${String(epoch).padStart(4, '0')}.safetensors`);
}

/** What `__metadata__.state` holds (everything of TrainState but the tensors). */
interface StateRecord {
  epoch: number;
  rngState: number;
  lr: number;
  optimizerStep: number;
  best: { epoch: number; valAcc: number; valLoss: number } | null;
  metrics: EpochMetrics[];
  seconds: number;
  /** Backend that wrote it (resume is bit-exact only on the same backend). */
  backend: string;
}

interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Variable shapes by checkpoint folder, recorded once per run (see rememberShapes). */
const knownShapes = new Map<string, Record<string, readonly number[]>>();

/**
 * Record the shapes of a run's variables (e.g. `{ 'hidden.W': [784, 784] }`), used by every later
 * saveCheckpoint into `dir` that is not given shapes itself.
 */
export function rememberShapes(dir: string, vars: Record<string, { shape: readonly number[] }>): void {
  knownShapes.set(path.resolve(dir), Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, [...v.shape]])));
}

const sha256 = (b: Uint8Array | string): string => crypto.createHash('sha256').update(b).digest('hex');

/**
 * Write the checkpoint of `state` (after a completed epoch). `shapes` gives each variable's shape
 * (by name); a variable without one is stored 1-D. Refuses (LostClaimError) when this process no
 * longer holds the run folder's claim.
 */
export function saveCheckpoint(dir: string, state: TrainState, backend: string, given?: Record<string, readonly number[]>): void {
  assertClaim(path.dirname(dir));
  const shapes = given ?? knownShapes.get(path.resolve(dir)) ?? {};
  const shapeOf = (name: string, length: number): number[] => {
    const s = shapes[name];
    return s && s.reduce((a, b) => a * b, 1) === length ? [...s] : [length];
  };
  const arrays: [string, Float32Array, number[]][] = [
    ...Object.entries(state.weights).map(([k, v]): [string, Float32Array, number[]] => [`weights/${k}`, v, shapeOf(k, v.length)]),
    ...Object.entries(state.best?.weights ?? {}).map(([k, v]): [string, Float32Array, number[]] => [`best/${k}`, v, shapeOf(k, v.length)]),
    ...Object.entries(state.optimizer.slots).map(([k, v]): [string, Float32Array, number[]] => [`optimizer/${k}`, v, [v.length]]),
  ];
  const record: StateRecord = {
    epoch: state.epoch,
    rngState: state.rngState,
    lr: state.lr,
    optimizerStep: state.optimizer.step,
    best: state.best ? { epoch: state.best.epoch, valAcc: state.best.valAcc, valLoss: state.best.valLoss } : null,
    metrics: state.metrics,
    seconds: state.seconds,
    backend,
  };
  const header: Record<string, unknown> = {};
  const tensorSha: Record<string, string> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, a, shape] of arrays) {
    const bytes = littleEndianF32(a);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes.byteLength] } satisfies TensorInfo;
    tensorSha[name] = sha256(bytes);
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  const stateJson = JSON.stringify(record);
  header.__metadata__ = { format: CHECKPOINT_FORMAT, state: stateJson, state_sha256: sha256(stateJson), tensor_sha256: JSON.stringify(tensorSha) };
  let headerBytes = Buffer.from(JSON.stringify(header));
  const pad = (8 - (headerBytes.byteLength % 8)) % 8;
  if (pad) headerBytes = Buffer.concat([headerBytes, Buffer.alloc(pad, 0x20)]);
  const out = Buffer.alloc(8 + headerBytes.byteLength + offset);
  out.writeBigUInt64LE(BigInt(headerBytes.byteLength), 0);
  headerBytes.copy(out, 8);
  let at = 8 + headerBytes.byteLength;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  writeFileAtomic(checkpointFile(dir, state.epoch), out);
  pruneCheckpoints(dir, state.epoch);
}

/** Keep the newest CHECKPOINTS_KEPT epoch files (up to `current`); remove everything else. */
function pruneCheckpoints(dir: string, current: number): void {
  const epochs = listEpochs(dir).filter((e) => e <= current);
  const keep = new Set(epochs.slice(0, CHECKPOINTS_KEPT).map((e) => path.basename(checkpointFile(dir, e))));
  keep.add(path.basename(checkpointFile(dir, current)));
  for (const f of fs.readdirSync(dir)) {
    // Older files, files of a later epoch left by a run killed and restarted from an earlier one,
    // temp files of killed writes, and the layout of older ldr versions.
    if (!keep.has(f) && (FILE_RE.test(f) || isAtomicTemp(f) || f === 'index.json' || /^tensors-\d+\.bin$/.test(f))) {
      fs.rmSync(path.join(dir, f), { force: true, recursive: true });
    }
  }
}

/** Epochs that have a checkpoint file, newest first. */
function listEpochs(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .map((f) => FILE_RE.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
}

const HOST_LE = os.endianness() === 'LE';

function littleEndianF32(a: Float32Array): Uint8Array {
  // The usual case: the host's own bytes are already little-endian.
  if (HOST_LE) return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const out = new Uint8Array(a.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat32(i * 4, a[i], true);
  return out;
}

export class DamagedCheckpoint extends Error {}

export interface LoadedCheckpoint {
  state: TrainState;
  backend: string;
  /** The file it came from. */
  file: string;
  /** Newer checkpoint files that were damaged and skipped (one line each), newest first. */
  skipped: string[];
}

/**
 * The newest intact checkpoint in `dir`, or null if there is none. Damaged newer files are skipped
 * (listed in `skipped`); when every file is damaged, throws DamagedCheckpoint naming the newest.
 */
export function loadCheckpoint(dir: string): LoadedCheckpoint | null {
  const epochs = listEpochs(dir);
  if (epochs.length === 0) {
    if (fs.existsSync(path.join(dir, 'index.json'))) {
      throw new DamagedCheckpoint(`${dir} holds a checkpoint of an older ldr (format ldr-checkpoint/1), which this version cannot resume`);
    }
    return null;
  }
  const skipped: string[] = [];
  for (const epoch of epochs) {
    const file = checkpointFile(dir, epoch);
    try {
      const { state, backend } = readCheckpointFile(file, epoch);
      return { state, backend, file, skipped };
    } catch (err) {
      if (!(err instanceof DamagedCheckpoint)) throw err;
      skipped.push(err.message);
    }
  }
  throw new DamagedCheckpoint(skipped.length > 1 ? `${skipped[0]} (and every older checkpoint is damaged too)` : skipped[0]);
}

/** Parse and verify one checkpoint file; DamagedCheckpoint (naming the file) on any problem. */
export function readCheckpointFile(file: string, expectEpoch?: number): { state: TrainState; backend: string } {
  const bad = (why: string) => new DamagedCheckpoint(`${file} is damaged: ${why}`);
  const buf = fs.readFileSync(file);
  if (buf.byteLength < 8) throw bad(`${buf.byteLength} bytes, too short for a header`);
  const n = Number(buf.readBigUInt64LE(0));
  if (n > buf.byteLength - 8) throw bad(`header length ${n} exceeds the file (${buf.byteLength} bytes)`);
  let header: Record<string, TensorInfo | Record<string, string>>;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + n));
  } catch {
    throw bad('the JSON header does not parse');
  }
  const meta = header.__metadata__ as Record<string, string> | undefined;
  if (!meta || typeof meta !== 'object') throw bad('no __metadata__');
  if (meta.format !== CHECKPOINT_FORMAT) throw bad(`unknown checkpoint format ${JSON.stringify(meta.format)} (expected ${CHECKPOINT_FORMAT})`);
  if (typeof meta.state !== 'string' || sha256(meta.state) !== meta.state_sha256) throw bad('the training state does not match its SHA-256');
  const record = JSON.parse(meta.state) as StateRecord;
  if (expectEpoch !== undefined && record.epoch !== expectEpoch) throw bad(`it says epoch ${record.epoch}, its name epoch ${expectEpoch}`);
  let tensorSha: Record<string, string>;
  try {
    tensorSha = JSON.parse(meta.tensor_sha256);
  } catch {
    throw bad('tensor_sha256 does not parse');
  }
  const data = buf.subarray(8 + n);
  const groups: Record<'weights' | 'best' | 'optimizer', Record<string, Float32Array>> = { weights: {}, best: {}, optimizer: {} };
  const names = Object.keys(header).filter((k) => k !== '__metadata__');
  if (names.length !== Object.keys(tensorSha).length) throw bad('the tensors do not match the checksum list');
  for (const name of names) {
    const t = header[name] as TensorInfo;
    const [b, e] = t.data_offsets ?? [];
    if (t.dtype !== 'F32' || !Number.isInteger(b) || !Number.isInteger(e) || b < 0 || e < b || e > data.byteLength || (e - b) % 4 !== 0) {
      throw bad(`tensor ${name}: bad dtype or offsets`);
    }
    const bytes = data.subarray(b, e);
    if (sha256(bytes) !== tensorSha[name]) throw bad(`tensor ${name} does not match its SHA-256`);
    const values = new Float32Array((e - b) / 4);
    if (HOST_LE) {
      new Uint8Array(values.buffer).set(bytes); // a copy: the file's buffer may be unaligned
    } else {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
    }
    const slash = name.indexOf('/');
    const group = name.slice(0, slash) as keyof typeof groups;
    if (!(group in groups)) throw bad(`unknown tensor group in "${name}"`);
    groups[group][name.slice(slash + 1)] = values;
  }
  const state: TrainState = {
    epoch: record.epoch,
    rngState: record.rngState,
    lr: record.lr,
    optimizer: { step: record.optimizerStep, slots: groups.optimizer },
    weights: groups.weights,
    best: record.best ? { ...record.best, weights: groups.best } : null,
    metrics: record.metrics,
    seconds: record.seconds,
  };
  return { state, backend: record.backend };
}
