// Larochelle et al.'s `.amat` text files (MNIST-bg-rot, MNIST-noise, Rectangles): one example per
// line, `features` floats then the label (written as a float, e.g. `3.000000e+00`), separated by
// whitespace. The bg-rot test file is ~0.5 GB, so it is streamed in chunks and parsed line by line;
// it is never held as one string. Pixels are kept in file order (the reference reshapes them as
// they come, without transposing).
import * as fs from 'fs';
import { UserError } from '../util/errors';
import { SplitBuilder } from './raw';

export interface AmatOptions {
  features: number;
  classes: number;
  /** Initial capacity (rows); the buffer grows past it if needed. */
  expectedRows?: number;
  /** Read size; tests make it tiny so lines straddle chunk boundaries. */
  chunkBytes?: number;
}

/** Parses a whole `.amat` file; a short, long or non-numeric line is a UserError naming file and line. */
export async function parseAmat(file: string, opts: AmatOptions): Promise<SplitBuilder> {
  const rows = new SplitBuilder(opts.features, opts.expectedRows ?? 1024);
  const stream = fs.createReadStream(file, { encoding: 'latin1', highWaterMark: opts.chunkBytes ?? 4 << 20 });
  let rest = '';
  let lineNo = 0;
  for await (const chunk of stream as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    for (let nl = text.indexOf('\n', start); nl >= 0; nl = text.indexOf('\n', start)) {
      parseLine(text.slice(start, nl), ++lineNo, file, opts, rows);
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  // The last line may lack its newline; if it is cut short, parseLine says so.
  if (rest.length) parseLine(rest, ++lineNo, file, opts, rows);
  return rows;
}

function parseLine(line: string, lineNo: number, file: string, opts: AmatOptions, rows: SplitBuilder): void {
  const trimmed = line.trim();
  // Blank lines and `#` comments are skipped, as numpy.loadtxt (the reference's reader) does.
  if (!trimmed || trimmed.startsWith('#')) return;
  const fields = trimmed.split(/\s+/);
  const want = opts.features + 1;
  if (fields.length !== want) {
    const why = fields.length < want ? 'truncated or malformed file' : 'malformed line';
    throw new UserError(`${file}:${lineNo}: expected ${want} numbers (${opts.features} pixels and a label), found ${fields.length} (${why})`);
  }
  const label = Number(fields[opts.features]);
  if (!Number.isInteger(label) || label < 0 || label >= opts.classes) {
    throw new UserError(`${file}:${lineNo}: expected a label in 0..${opts.classes - 1} as the last number, found ${JSON.stringify(fields[opts.features])}`);
  }
  const row = rows.push(label);
  for (let i = 0; i < opts.features; i++) {
    const v = Number(fields[i]);
    if (!Number.isFinite(v)) throw new UserError(`${file}:${lineNo}: number ${i + 1} is ${JSON.stringify(fields[i])}, expected a finite number`);
    row[i] = v;
  }
}
