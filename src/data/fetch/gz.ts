// A plain .gz file (one compressed file, e.g. a NORB .mat.gz) → its decompressed content.
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { UserError } from '../../util/errors';
import { ExtractBudget, ExtractedFile, FileSink } from './sink';

export async function extractGz(archive: string, target: string, outDir: string, budget?: ExtractBudget): Promise<ExtractedFile> {
  const input = fs.createReadStream(archive);
  const gunzip = zlib.createGunzip();
  input.on('error', (err) => gunzip.destroy(err));
  input.pipe(gunzip);
  const sink = new FileSink(path.join(outDir, target), target, budget);
  try {
    for await (const chunk of gunzip) await sink.write(chunk as Buffer);
  } catch (err) {
    sink.abort();
    input.destroy();
    gunzip.destroy();
    if (err instanceof UserError) throw err;
    throw new UserError(`${archive}: not a valid .gz file (${(err as Error).message})`);
  }
  return sink.close();
}
