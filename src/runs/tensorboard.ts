// TensorBoard scalars of a run (`tensorboard --logdir results` shows every run's curves):
// `<run>/tensorboard/events.out.tfevents.0.ldr`, rewritten whole from metrics.jsonl's epochs
// after each epoch (atomically, like metrics.jsonl, so that after a resume it holds exactly the
// checkpoint's epochs). Format: TFRecord framing (u64 length, masked CRC-32C of the length, the
// data, masked CRC-32C of the data) around `Event` protocol buffers: the first carries
// file_version "brain.Event:2", then one per epoch with a Summary of simple_value scalars.
import * as path from 'path';
import { writeFileAtomic } from '../util/atomic';
import type { EpochMetrics } from './types';

/** The scalars written per epoch: TensorBoard tag ← metrics field. */
export const TENSORBOARD_TAGS: [string, keyof EpochMetrics][] = [
  ['loss/train', 'trainLoss'],
  ['loss/val', 'valLoss'],
  ['accuracy/train', 'trainAcc'],
  ['accuracy/val', 'valAcc'],
  ['lr', 'lr'],
  ['perplexity/train', 'trainPpl'],
  ['perplexity/val', 'valPpl'],
  ['seconds_per_epoch', 'seconds'],
];

export function tensorboardFile(runDir: string): string {
  return path.join(runDir, 'tensorboard', 'events.out.tfevents.0.ldr');
}

// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

function crc32c(buf: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** TFRecord's masked CRC: rotate right by 15, add a constant. */
function maskedCrc(buf: Uint8Array): number {
  const c = crc32c(buf);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

function record(data: Uint8Array): Buffer {
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(data.length));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(maskedCrc(len));
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(maskedCrc(data));
  return Buffer.concat([len, head, Buffer.from(data), tail]);
}

// Protocol-buffer wire format: the few field kinds an Event needs.
function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
function bytesField(field: number, data: Uint8Array): number[] {
  return [...key(field, 2), ...varint(data.length), ...data];
}
function doubleField(field: number, x: number): number[] {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return [...key(field, 1), ...b];
}
function floatField(field: number, x: number): number[] {
  const b = Buffer.alloc(4);
  b.writeFloatLE(x);
  return [...key(field, 5), ...b];
}

/** Event { wall_time = 1 (double); step = 2 (int64); file_version = 3 (string) | summary = 5 (Summary) }. */
function event(wallTime: number, step: number, body: number[]): Uint8Array {
  return Uint8Array.from([...doubleField(1, wallTime), ...key(2, 0), ...varint(step), ...body]);
}

/** Summary { repeated Value value = 1 }, Value { tag = 1 (string); simple_value = 2 (float) }. */
function summary(scalars: [string, number][]): number[] {
  const values = scalars.flatMap(([tag, v]) => bytesField(1, Uint8Array.from([...bytesField(1, Buffer.from(tag, 'utf8')), ...floatField(2, v)])));
  return bytesField(5, Uint8Array.from(values));
}

/** The event file's bytes for these epochs (step: the global step when recorded, else the epoch). */
export function tensorboardEvents(metrics: EpochMetrics[], startedAt: number): Buffer {
  const parts = [record(event(startedAt / 1000, 0, bytesField(3, Buffer.from('brain.Event:2', 'utf8'))))];
  for (const m of metrics) {
    const scalars = TENSORBOARD_TAGS.map(([tag, field]) => [tag, m[field]] as [string, unknown]).filter((s): s is [string, number] => typeof s[1] === 'number' && Number.isFinite(s[1]));
    scalars.push(['epoch', m.epoch]);
    const wall = m.time ? Date.parse(m.time) / 1000 : startedAt / 1000;
    parts.push(record(event(wall, m.step ?? m.epoch, summary(scalars))));
  }
  return Buffer.concat(parts);
}

export function writeTensorboard(runDir: string, metrics: EpochMetrics[], startedAt = Date.now()): void {
  writeFileAtomic(tensorboardFile(runDir), tensorboardEvents(metrics, startedAt));
}
