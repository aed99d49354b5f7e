// Small archives in the datasets' original formats, built in memory by the tests (nothing
// binary is committed): zip (deflate or stored), ustar tar (optionally gzipped), plain gzip.
import * as zlib from 'zlib';
import { crc32 } from '../../src/data/fetch/crc32';

export interface Member {
  name: string;
  data: Buffer;
}

/** A zip with a central directory, as Info-ZIP or Python's zipfile would write it. */
export function makeZip(members: Member[], method: 0 | 8 = 8): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const name = Buffer.from(m.name, 'utf8');
    const body = method === 8 ? zlib.deflateRawSync(m.data) : m.data;
    const crc = crc32(m.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(m.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(m.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(members.length, 8);
  end.writeUInt16LE(members.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

function tarHeader(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  const nameBuf = Buffer.from(name, 'utf8');
  if (nameBuf.length <= 100) nameBuf.copy(h, 0);
  else {
    // ustar: split at a slash into prefix (≤155) and name (≤100).
    const cut = name.lastIndexOf('/', 155);
    Buffer.from(name.slice(0, cut)).copy(h, 345);
    Buffer.from(name.slice(cut + 1)).copy(h, 0);
  }
  h.write('0000644\0', 100);
  h.write('0001750\0', 108);
  h.write('0001750\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('14712345670\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i];
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

function pad(data: Buffer): Buffer {
  const rest = (512 - (data.length % 512)) % 512;
  return Buffer.concat([data, Buffer.alloc(rest)]);
}

/** A ustar archive; `dirs` adds directory entries first (as `tar czf` does). */
export function makeTar(members: Member[], opts: { dirs?: string[]; gnuLongNames?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const d of opts.dirs ?? []) parts.push(tarHeader(d.endsWith('/') ? d : `${d}/`, 0, '5'));
  for (const m of members) {
    if (opts.gnuLongNames && Buffer.byteLength(m.name) > 100) {
      const longName = Buffer.from(m.name + '\0');
      parts.push(tarHeader('././@LongLink', longName.length, 'L'), pad(longName));
      parts.push(tarHeader(m.name.slice(0, 99), m.data.length, '0'), pad(m.data));
    } else {
      parts.push(tarHeader(m.name, m.data.length, '0'), pad(m.data));
    }
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export function makeTarGz(members: Member[], opts?: { dirs?: string[]; gnuLongNames?: boolean }): Buffer {
  return zlib.gzipSync(makeTar(members, opts));
}

/** `.amat` text: rows of 784 floats then the label, as Larochelle et al. distribute them. */
export function amatText(rows: number, seed: number): Buffer {
  const lines: string[] = [];
  let s = seed;
  for (let r = 0; r < rows; r++) {
    const vals: string[] = [];
    for (let i = 0; i < 784; i++) {
      s = (s * 1103515245 + 12345) % 2147483648;
      vals.push((s / 2147483648).toFixed(6));
    }
    lines.push(`${vals.join(' ')} ${r % 10}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

/** Deterministic pseudo-random bytes (CIFAR records, NORB matrices). */
export function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}
