// A small zip reader: the central directory (at the end of the file, zip64 included) lists every
// member with its offset and sizes; a member's data is read from its local header on and inflated
// with zlib.inflateRaw (method 8) or copied (method 0), then checked against the recorded CRC-32.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Readable } from 'stream';
import { UserError } from '../../util/errors';
import { crc32 } from './crc32';
import { ExtractBudget, ExtractedFile, FileSink } from './sink';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

function u64(buf: Buffer, at: number): number {
  return Number(buf.readBigUInt64LE(at));
}

/** Every member listed in the zip's central directory. */
export function listZip(file: string): ZipEntry[] {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    // The end record is 22 bytes plus a comment of at most 65,535 bytes.
    const tailStart = Math.max(0, size - 22 - 65535);
    const tail = readAt(fd, tailStart, size - tailStart);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    }
    if (at < 0) throw new UserError(`${file}: not a zip file (no end of central directory record)`);
    let count = tail.readUInt16LE(at + 10);
    let cdSize = tail.readUInt32LE(at + 12);
    let cdOffset = tail.readUInt32LE(at + 16);
    if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      const locAt = tailStart + at - 20;
      const loc = readAt(fd, locAt, 20);
      if (loc.length < 20 || loc.readUInt32LE(0) !== ZIP64_LOCATOR) throw new UserError(`${file}: damaged zip64 end record`);
      const rec = readAt(fd, u64(loc, 8), 56);
      if (rec.readUInt32LE(0) !== ZIP64_EOCD) throw new UserError(`${file}: damaged zip64 end record`);
      count = u64(rec, 32);
      cdSize = u64(rec, 40);
      cdOffset = u64(rec, 48);
    }
    const cd = readAt(fd, cdOffset, cdSize);
    if (cd.length < cdSize) throw new UserError(`${file}: truncated zip (central directory past the end)`);
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL) throw new UserError(`${file}: damaged zip central directory (entry ${i})`);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const entry: ZipEntry = {
        flags: cd.readUInt16LE(p + 8),
        method: cd.readUInt16LE(p + 10),
        crc: cd.readUInt32LE(p + 16),
        compressedSize: cd.readUInt32LE(p + 20),
        size: cd.readUInt32LE(p + 24),
        localOffset: cd.readUInt32LE(p + 42),
        name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      };
      applyZip64Extra(entry, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen));
      entries.push(entry);
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  } finally {
    fs.closeSync(fd);
  }
}

/** Sizes and offset that do not fit 32 bits live, in this order, in the zip64 extra field. */
function applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
  for (let q = 0; q + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(q);
    const len = extra.readUInt16LE(q + 2);
    if (id === 0x0001) {
      let r = q + 4;
      if (entry.size === 0xffffffff) (entry.size = u64(extra, r)), (r += 8);
      if (entry.compressedSize === 0xffffffff) (entry.compressedSize = u64(extra, r)), (r += 8);
      if (entry.localOffset === 0xffffffff) entry.localOffset = u64(extra, r);
    }
    q += 4 + len;
  }
}

/** Write one member to `outDir/target`, checking its size and CRC-32. */
export async function extractZipEntry(file: string, entry: ZipEntry, target: string, outDir: string, budget?: ExtractBudget): Promise<ExtractedFile> {
  // The central directory's size is checked before anything is inflated (a lying one is caught by
  // the budget while inflating, and by the size check at the end).
  if (budget && entry.size > budget.limit) {
    throw new UserError(`${file}: member ${entry.name} says it expands to ${entry.size} bytes, past ${budget.limit}, the limit for this download; nothing extracted`);
  }
  if (entry.flags & 1) throw new UserError(`${file}: member ${entry.name} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new UserError(`${file}: member ${entry.name} uses compression method ${entry.method} (only stored and deflate are supported)`);
  }
  const fd = fs.openSync(file, 'r');
  let local: Buffer;
  try {
    local = readAt(fd, entry.localOffset, 30);
  } finally {
    fs.closeSync(fd);
  }
  if (local.length < 30 || local.readUInt32LE(0) !== LOCAL) throw new UserError(`${file}: damaged local header for ${entry.name}`);
  const dataStart = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const raw =
    entry.compressedSize === 0
      ? Readable.from([])
      : fs.createReadStream(file, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
  let source: NodeJS.ReadableStream = raw;
  if (entry.method === 8) {
    const inflate = zlib.createInflateRaw();
    raw.on('error', (err: Error) => inflate.destroy(err));
    raw.pipe(inflate);
    source = inflate;
  }
  const sink = new FileSink(path.join(outDir, target), target, budget);
  let crc = 0;
  try {
    for await (const chunk of source) {
      crc = crc32(chunk as Buffer, crc);
      await sink.write(chunk as Buffer);
    }
  } catch (err) {
    sink.abort();
    raw.destroy();
    if (err instanceof UserError) throw err;
    throw new UserError(`${file}: cannot decompress ${entry.name} (${(err as Error).message})`);
  }
  const out = await sink.close();
  if (out.bytes !== entry.size || crc !== entry.crc) {
    throw new UserError(`${file}: member ${entry.name} is damaged (size ${out.bytes}, expected ${entry.size}; CRC-32 ${hex8(crc)}, expected ${hex8(entry.crc)})`);
  }
  return out;
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}
