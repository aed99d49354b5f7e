// A tar reader over a gunzip stream (.tar.gz / .tgz): 512-byte headers, each followed by the
// member's bytes padded to 512. ustar name prefixes, GNU long names ('L') and pax path records
// ('x') are understood; members not asked for are skipped without being written.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { UserError } from '../../util/errors';
import { DEFAULT_EXTRACT_LIMIT, ExtractBudget, ExtractedFile, FileSink } from './sink';

const BLOCK = 512;

/** Normalised member path: forward slashes, no leading `./` or `/`. */
export function memberPath(name: string): string {
  return name.replace(/\\/g, '/').replace(/^(\.\/|\/)+/, '');
}

/**
 * The wanted key a member path stands for: the key itself, or the key under some top folder the
 * table does not name (`x/<key>`), so an archive with an extra top-level folder still works.
 */
export function wantedKey(member: string, wanted: Record<string, string>): string | undefined {
  if (member in wanted) return member;
  return Object.keys(wanted).find((k) => k !== '' && member.endsWith(`/${k}`));
}

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.toString('utf8', 0, end < 0 ? length : end);
}

function octal(header: Buffer, start: number, length: number): number {
  // GNU base-256 for sizes ≥ 8 GiB: high bit of the first byte set.
  if (header[start] & 0x80) {
    let v = 0;
    for (let i = start + 1; i < start + length; i++) v = v * 256 + header[i];
    return v;
  }
  const text = field(header, start, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function checksumOk(header: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : header[i];
  return sum === octal(header, 148, 8);
}

/**
 * Extract the members of `wanted` (member path → target under `outDir`); returns what was written.
 * Members of `wanted` absent from the archive are simply not in the result (the caller reports them).
 */
export async function extractTarGz(
  archive: string,
  wanted: Record<string, string>,
  outDir: string,
  budget: ExtractBudget = new ExtractBudget(archive, DEFAULT_EXTRACT_LIMIT),
): Promise<ExtractedFile[]> {
  // Members that are skipped still pass through gunzip: bound the whole stream too (CPU time).
  const scanLimit = 4 * budget.limit;
  let scanned = 0;
  const input = fs.createReadStream(archive, { highWaterMark: 1 << 20 });
  const gunzip = zlib.createGunzip();
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);

  const written: ExtractedFile[] = [];
  let buf: Buffer = Buffer.alloc(0);
  let remaining = 0; // bytes of the current member still to come
  let padding = 0; // zero bytes after it
  let sink: FileSink | undefined;
  let longName: string | undefined; // from a GNU 'L' or pax 'x' record, for the next member
  let meta: { type: string; chunks: Buffer[] } | undefined; // collecting an 'L' or 'x' body
  let ended = false;
  const seen = new Map<string, string>(); // wanted key → the member that matched it

  try {
    for await (const chunk of gunzip) {
      scanned += (chunk as Buffer).length;
      if (scanned > scanLimit) throw new UserError(`${archive}: expands past ${scanLimit} bytes (a damaged archive or a decompression bomb); nothing extracted`);
      buf = buf.length === 0 ? (chunk as Buffer) : Buffer.concat([buf, chunk as Buffer]);
      while (!ended) {
        if (remaining > 0) {
          if (buf.length === 0) break;
          const take = buf.subarray(0, Math.min(remaining, buf.length));
          buf = buf.subarray(take.length);
          remaining -= take.length;
          if (sink) await sink.write(take);
          if (meta) meta.chunks.push(Buffer.from(take));
          if (remaining === 0) {
            if (sink) written.push(await sink.close());
            sink = undefined;
            if (meta) {
              longName = metaName(meta.type, Buffer.concat(meta.chunks)) ?? longName;
              meta = undefined;
            }
          }
          continue;
        }
        if (padding > 0) {
          if (buf.length === 0) break;
          const skip = Math.min(padding, buf.length);
          buf = buf.subarray(skip);
          padding -= skip;
          continue;
        }
        if (buf.length < BLOCK) break;
        const header = buf.subarray(0, BLOCK);
        buf = buf.subarray(BLOCK);
        if (header.every((b) => b === 0)) {
          ended = true; // end-of-archive marker
          break;
        }
        if (!checksumOk(header)) throw new UserError(`${archive}: damaged tar header (bad checksum)`);
        const size = octal(header, 124, 12);
        const type = String.fromCharCode(header[156] || 48); // NUL means a regular file ('0')
        const prefix = field(header, 257, 6).startsWith('ustar') ? field(header, 345, 155) : '';
        const name = memberPath(longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100)));
        remaining = size;
        padding = (BLOCK - (size % BLOCK)) % BLOCK;
        if (type === 'L' || type === 'x') {
          meta = { type, chunks: [] };
          continue;
        }
        longName = undefined;
        const key = type === '0' || type === '7' ? wantedKey(name, wanted) : undefined;
        if (key !== undefined) {
          if (seen.has(key)) throw new UserError(`${archive}: more than one member matches ${key} (${seen.get(key)}, ${name})`);
          seen.set(key, name);
          const target = wanted[key];
          sink = new FileSink(path.join(outDir, target), target, budget);
          if (size === 0) {
            written.push(await sink.close());
            sink = undefined;
          }
        }
      }
      if (ended) break;
    }
  } catch (err) {
    sink?.abort();
    if (err instanceof UserError) throw err;
    throw new UserError(`${archive}: not a valid .tar.gz file (${(err as Error).message})`);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  if (!ended && (remaining > 0 || sink)) throw new UserError(`${archive}: truncated tar archive`);
  return written;
}

/** The member name carried by a GNU long-name body or a pax `path=` record. */
function metaName(type: string, body: Buffer): string | undefined {
  if (type === 'L') return body.toString('utf8').replace(/\0+$/, '');
  // pax records: "<len> key=value\n"
  for (const line of body.toString('utf8').split('\n')) {
    const m = /^\d+ path=(.*)$/.exec(line);
    if (m) return m[1];
  }
  return undefined;
}
