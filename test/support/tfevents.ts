// An independent reader of TensorBoard event files for the tests (imports nothing from src/):
// TFRecord framing with masked CRC-32C checks, and a generic protocol-buffer field decoder.

/** CRC-32C bit by bit (no table), reflected polynomial 0x82F63B78. */
export function crc32cBitwise(buf: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

export function masked(crc: number): number {
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** The records of a TFRecord file; throws on a bad length or data CRC, or a torn record. */
export function readRecords(file: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < file.length) {
    if (pos + 12 > file.length) throw new Error(`torn record header at ${pos}`);
    const lenBytes = file.subarray(pos, pos + 8);
    const len = Number(lenBytes.readBigUInt64LE(0));
    if (file.readUInt32LE(pos + 8) !== masked(crc32cBitwise(lenBytes))) throw new Error(`length CRC mismatch at ${pos}`);
    const data = file.subarray(pos + 12, pos + 12 + len);
    if (data.length !== len || pos + 16 + len > file.length) throw new Error(`torn record at ${pos}`);
    if (file.readUInt32LE(pos + 12 + len) !== masked(crc32cBitwise(data))) throw new Error(`data CRC mismatch at ${pos}`);
    out.push(Buffer.from(data));
    pos += 16 + len;
  }
  return out;
}

export type Field = { field: number; wire: number; varint?: bigint; bytes?: Buffer; fixed64?: Buffer; fixed32?: Buffer };

/** Every top-level field of a protocol-buffer message, in order. */
export function decodeMessage(buf: Buffer): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  const readVarint = (): bigint => {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = buf[pos++];
      if (b === undefined) throw new Error('truncated varint');
      v |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(readVarint());
    const field = key >> 3;
    const wire = key & 7;
    if (wire === 0) fields.push({ field, wire, varint: readVarint() });
    else if (wire === 1) (fields.push({ field, wire, fixed64: buf.subarray(pos, pos + 8) }), (pos += 8));
    else if (wire === 5) (fields.push({ field, wire, fixed32: buf.subarray(pos, pos + 4) }), (pos += 4));
    else if (wire === 2) {
      const len = Number(readVarint());
      fields.push({ field, wire, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else throw new Error(`wire type ${wire} not expected in an Event`);
  }
  if (pos !== buf.length) throw new Error('message overran its length');
  return fields;
}

export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: Record<string, number>;
}

/** tensorflow.Event: wall_time 1 (double), step 2 (int64), file_version 3 (string), summary 5 (Summary: value 1 {tag 1, simple_value 2 (float)}). */
export function decodeEvent(data: Buffer): DecodedEvent {
  const ev: DecodedEvent = { wallTime: NaN, step: 0, scalars: {} };
  for (const f of decodeMessage(data)) {
    if (f.field === 1 && f.wire === 1) ev.wallTime = f.fixed64!.readDoubleLE(0);
    else if (f.field === 2 && f.wire === 0) ev.step = Number(f.varint);
    else if (f.field === 3 && f.wire === 2) ev.fileVersion = f.bytes!.toString('utf8');
    else if (f.field === 5 && f.wire === 2) {
      for (const v of decodeMessage(f.bytes!)) {
        if (v.field !== 1 || v.wire !== 2) throw new Error(`unexpected Summary field ${v.field}`);
        let tag = '';
        let value = NaN;
        for (const x of decodeMessage(v.bytes!)) {
          if (x.field === 1 && x.wire === 2) tag = x.bytes!.toString('utf8');
          else if (x.field === 2 && x.wire === 5) value = x.fixed32!.readFloatLE(0);
          else throw new Error(`unexpected Summary.Value field ${x.field}`);
        }
        ev.scalars[tag] = value;
      }
    } else throw new Error(`unexpected Event field ${f.field} (wire ${f.wire})`);
  }
  return ev;
}
