// Every file ldr writes goes through here: write a temp file in the same folder, fsync, then
// rename over the target, so a crash leaves either the old file or the new one, never half.
// A write that cannot complete (full disk, quota, read-only folder) removes its temp file, leaves
// the target untouched and throws a DiskError: one line naming the file and, for a full disk,
// how much room was needed and how much was free.
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from './errors';

let counter = 0;

/** Exit code of a write that could not complete (EX_IOERR). */
export const DISK_ERROR_EXIT_CODE = 74;

export class DiskError extends UserError {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message, DISK_ERROR_EXIT_CODE);
    this.name = 'DiskError';
  }
}

/**
 * The write primitive (fs.writeSync's signature). Tests replace it with one that returns short
 * counts or fails with ENOSPC, to check that a short write never reaches the target.
 */
export type WriteFn = (fd: number, buf: Uint8Array, offset: number, length: number) => number;
const defaultWrite: WriteFn = (fd, buf, offset, length) => fs.writeSync(fd, buf, offset, length);
let writeFn: WriteFn = defaultWrite;

/** Tests only: substitute the write primitive; returns a function that restores the real one. */
export function setWriteFnForTests(fn: WriteFn): () => void {
  writeFn = fn;
  return () => {
    writeFn = defaultWrite;
  };
}

function tempName(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${counter++}.tmp`);
}

/** Whether a name is a temp file of writeFileAtomic (any process). */
export function isAtomicTemp(name: string): boolean {
  return /^\..+\.\d+\.\d+\.tmp$/.test(name);
}

/** Free bytes for an unprivileged writer on the file system holding `dir`, or null if unknown. */
export function freeBytes(dir: string): number | null {
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

function mib(bytes: number): string {
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** A one-line DiskError for a failed write of `bytes` bytes to `file`. */
export function diskError(file: string, err: unknown, bytes?: number): DiskError {
  if (err instanceof DiskError) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const free = freeBytes(path.dirname(file));
    const need = bytes === undefined ? '' : `needs ${mib(bytes)}`;
    const have = free === null ? '' : `${mib(free)} free`;
    const detail = [need, have].filter(Boolean).join(', ');
    return new DiskError(`cannot write ${file}: the disk is full${detail ? ` (${detail})` : ''}; free some space and run the same command again`, code);
  }
  if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
    return new DiskError(`cannot write ${file}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'} (${path.dirname(file)})`, code);
  }
  if (code === 'ENOTDIR') return new DiskError(`cannot write ${file}: a part of its path is a file, not a folder`, code);
  return new DiskError(`cannot write ${file}: ${e?.message ?? String(err)}`, code);
}

/** mkdir -p that reports a failure as a DiskError naming the folder. */
export function ensureDir(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    let code = (err as NodeJS.ErrnoException).code;
    // A recursive mkdir under a read-only or forbidden folder reports ENOENT: ask the deepest
    // existing ancestor why.
    if (code === 'ENOENT') code = ancestorProblem(dir) ?? code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw new DiskError(`cannot create folder ${dir}: a file is in the way`, code);
    if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') {
      throw new DiskError(`cannot create folder ${dir}: ${code === 'EROFS' ? 'read-only file system' : 'permission denied'}`, code);
    }
    throw diskError(dir, err);
  }
}

function ancestorProblem(dir: string): string | undefined {
  let d = path.resolve(dir);
  while (!fs.existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  try {
    if (!fs.statSync(d).isDirectory()) return 'ENOTDIR';
    fs.accessSync(d, fs.constants.W_OK);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
}

/** Write all of `data` at the current position, looping over short writes; 0 bytes written is ENOSPC. */
function writeAll(fd: number, data: Uint8Array): void {
  let done = 0;
  while (done < data.byteLength) {
    const n = writeFn(fd, data, done, data.byteLength - done);
    if (!(n > 0)) {
      const err = new Error('no space left on device (short write)') as NodeJS.ErrnoException;
      err.code = 'ENOSPC';
      throw err;
    }
    done += n;
  }
}

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  ensureDir(path.dirname(file));
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const tmp = tempName(file);
  let fd: number;
  try {
    fd = fs.openSync(tmp, 'w');
  } catch (err) {
    throw diskError(file, err, bytes.byteLength);
  }
  try {
    try {
      writeAll(fd, bytes);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw diskError(file, err, bytes.byteLength);
  }
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n');
}

/** Append one line (JSON Lines); a line that cannot be written whole is cut back off. */
export function appendLine(file: string, line: string): void {
  ensureDir(path.dirname(file));
  const bytes = Buffer.from(line.endsWith('\n') ? line : line + '\n');
  let fd: number;
  try {
    fd = fs.openSync(file, 'a');
  } catch (err) {
    throw diskError(file, err, bytes.byteLength);
  }
  const before = fs.fstatSync(fd).size;
  try {
    writeAll(fd, bytes);
  } catch (err) {
    try {
      fs.ftruncateSync(fd, before);
    } catch {
      // nothing more to do: the reader skips a last line without its newline
    }
    throw diskError(file, err, bytes.byteLength);
  } finally {
    fs.closeSync(fd);
  }
}
