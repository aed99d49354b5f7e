// Download one URL into a `.part` file with Node's http/https: redirects followed, resumed with an
// HTTP Range request when a `.part` already holds bytes, retried with exponential backoff on
// network errors and 5xx/429 answers. The caller renames the `.part` once it is verified.
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import { UserError } from '../../util/errors';

export interface DownloadOptions {
  /** Consecutive failed attempts that made no progress before giving up. */
  maxAttempts?: number;
  /** First backoff delay; doubled after each failure, capped at 30 s. */
  backoffMs?: number;
  /**
   * A connection that brings fewer than `minBytesPerWindow` bytes in this long (silent, or
   * dripping) is dropped and retried; such stalls count towards `maxAttempts` even when they
   * brought a few bytes.
   */
  idleTimeoutMs?: number;
  minBytesPerWindow?: number;
  /** The file may not grow past this many bytes (its expected size): more is an error, not retried. */
  maxBytes?: number;
  /** Called as bytes arrive: bytes in the file so far, total size when the server said it. */
  onProgress?: (done: number, total: number | undefined) => void;
  /** Called before a retry, with the reason (for a one-line notice). */
  onRetry?: (reason: string, attempt: number, delayMs: number) => void;
}

const MAX_REDIRECTS = 10;

/** An HTTP answer that will not get better by asking again (404, 403, …). */
class FatalHttpError extends Error {}
/** A connection too slow to finish: retried, but never reset the attempt count. */
class StallError extends Error {}

/** Bring `url` into `partFile` (appending to what it already holds); resolves when complete. */
export async function downloadToPart(url: string, partFile: string, opts: DownloadOptions = {}): Promise<void> {
  const maxAttempts = opts.maxAttempts ?? 5;
  let delay = opts.backoffMs ?? 1000;
  let failures = 0;
  for (;;) {
    const before = sizeOf(partFile);
    try {
      await attempt(url, partFile, opts);
      return;
    } catch (err) {
      if (err instanceof UserError) throw err; // a disk error: retrying cannot help
      if (err instanceof FatalHttpError) {
        if (sizeOf(partFile) === 0) fs.rmSync(partFile, { force: true });
        throw new UserError(err.message);
      }
      // Attempts that brought new bytes do not count towards the limit: a flaky but working
      // connection still finishes a large file. A stall does (a server dripping bytes never ends).
      if (sizeOf(partFile) > before && !(err instanceof StallError)) {
        failures = 0;
        delay = opts.backoffMs ?? 1000;
      }
      failures++;
      const reason = (err as Error).message;
      if (failures >= maxAttempts) {
        if (sizeOf(partFile) === 0) fs.rmSync(partFile, { force: true });
        throw new UserError(
          `download of ${url} failed after ${failures} attempts: ${reason}` +
            (sizeOf(partFile) > 0 ? ` (${sizeOf(partFile)} bytes kept in ${partFile}; run the same command again to resume)` : ''),
          1,
        );
      }
      opts.onRetry?.(reason, failures, delay);
      await sleep(delay);
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

/** One GET (following redirects) that appends to `partFile`; rejects on any failure. */
async function attempt(url: string, partFile: string, opts: DownloadOptions): Promise<void> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const offset = sizeOf(partFile);
    const res = await get(current, offset, opts.idleTimeoutMs ?? 30_000);
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      current = new URL(res.headers.location, current).toString();
      continue;
    }
    if (status === 416 && offset > 0) {
      // Range past the end: the .part may already be whole; otherwise start again.
      res.resume();
      const total = totalFromContentRange(res.headers['content-range']);
      if (total === offset) return;
      fs.truncateSync(partFile, 0);
      throw new Error(`server refused to resume at byte ${offset}; starting again`);
    }
    if (status === 429 || status >= 500) {
      res.resume();
      throw new Error(`HTTP ${status} ${res.statusMessage ?? ''} from ${current}`.trim());
    }
    if (status !== 200 && status !== 206) {
      res.resume();
      throw new FatalHttpError(`HTTP ${status} ${res.statusMessage ?? ''} from ${current}`.replace(/ +/g, ' '));
    }
    let start = 0;
    let total: number | undefined;
    const tooLarge = (n: number) => {
      res.destroy();
      fs.rmSync(partFile, { force: true });
      return new UserError(`${current}: the server sends ${n} bytes or more, but the file has ${opts.maxBytes} (stopped; nothing kept)`, 1);
    };
    if (status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
      if (!range || Number(range[1]) !== offset) {
        res.resume();
        fs.truncateSync(partFile, 0);
        throw new Error(`server answered the resume request with a wrong range (${res.headers['content-range']})`);
      }
      start = offset;
      total = range[3] === '*' ? undefined : Number(range[3]);
    } else {
      // 200: the whole file from byte 0 (the server ignored or was not asked for a range).
      const len = res.headers['content-length'];
      total = len === undefined ? undefined : Number(len);
    }
    if (opts.maxBytes !== undefined && total !== undefined && total > opts.maxBytes) throw tooLarge(total);
    await receive(res, partFile, start, total, opts, tooLarge);
    return;
  }
  throw new FatalHttpError(`too many redirects (more than ${MAX_REDIRECTS}) from ${url}`);
}

/** Stream the body into the file at `start`; checks the byte count against `total`. */
function receive(
  res: http.IncomingMessage,
  partFile: string,
  start: number,
  total: number | undefined,
  opts: DownloadOptions,
  tooLarge: (n: number) => Error,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = fs.createWriteStream(partFile, start === 0 ? { flags: 'w' } : { flags: 'r+', start });
    let done = start;
    let settled = false;
    const windowMs = opts.idleTimeoutMs ?? 30_000;
    const minBytes = opts.minBytesPerWindow ?? 1024;
    let windowStart = done;
    const stall = setInterval(() => {
      if (done - windowStart < minBytes) fail(new StallError(`only ${done - windowStart} bytes in ${windowMs / 1000} s after ${done} bytes (too slow)`));
      windowStart = done;
    }, windowMs);
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearInterval(stall);
      res.destroy();
      // Close the file before rejecting so the next attempt sees every byte written so far.
      out.end(() => reject(err));
    };
    res.on('data', (chunk: Buffer) => {
      if (settled) return;
      if (opts.maxBytes !== undefined && done + chunk.length > opts.maxBytes) {
        settled = true;
        clearInterval(stall);
        res.destroy();
        out.destroy();
        out.once('close', () => reject(tooLarge(done + chunk.length)));
        return;
      }
      done += chunk.length;
      if (!out.write(chunk)) {
        res.pause();
        out.once('drain', () => res.resume());
      }
      opts.onProgress?.(done, total);
    });
    res.on('aborted', () => fail(new Error(`connection dropped after ${done} bytes`)));
    res.on('error', (err) => fail(new Error(`connection error after ${done} bytes: ${err.message}`)));
    let writeError: Error | undefined;
    const diskError = (err: Error) => new UserError(`cannot write ${partFile}: ${err.message}`);
    out.on('error', (err) => {
      writeError ??= err;
      if (settled) return;
      settled = true;
      clearInterval(stall);
      res.destroy();
      reject(diskError(err));
    });
    res.on('end', () => {
      if (settled) return;
      clearInterval(stall);
      if (!res.complete || (total !== undefined && done !== total)) {
        fail(new Error(`connection dropped after ${done} of ${total ?? '?'} bytes`));
        return;
      }
      settled = true;
      out.end((err?: Error | null) => {
        const e = err ?? writeError;
        if (e) reject(diskError(e));
        else resolve();
      });
    });
  });
}

function get(url: string, offset: number, idleTimeoutMs: number): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const client = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
    if (!client) {
      reject(new FatalHttpError(`unsupported URL scheme in ${url} (expected http or https)`));
      return;
    }
    const headers: Record<string, string> = { 'user-agent': 'ldr-data-fetch', 'accept-encoding': 'identity' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const req = client.get(u, { headers }, resolve);
    req.setTimeout(idleTimeoutMs, () => req.destroy(new Error(`no data for ${idleTimeoutMs / 1000} s`)));
    req.on('error', reject);
  });
}

function totalFromContentRange(value: string | undefined): number | undefined {
  const m = /\/(\d+)$/.exec(value ?? '');
  return m ? Number(m[1]) : undefined;
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
