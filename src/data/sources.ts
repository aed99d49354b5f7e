// Reads one of the paper's datasets from its original files (docs/method.md §4) into a RawDataset.
// Which files: catalog.ts. Split sizes are checked against the catalog, so a file cut short at a
// line boundary is caught too.
import * as fs from 'fs';
import * as path from 'path';
import { UserError } from '../util/errors';
import { parseAmat } from './amat';
import type { CatalogEntry } from './catalog';
import { readCifarBatches } from './cifar';
import { readNorbPairs } from './norb';
import type { RawDataset } from './raw';
import type { Split } from './types';

/** Paths of the entry's source files under `<root>/<name>/`; a missing one is a UserError. */
export function sourceFiles(entry: CatalogEntry, root: string): string[] {
  const files = entry.files.map((f) => path.join(root, entry.name, f));
  const missing = files.filter((file) => !fs.existsSync(file));
  if (missing.length) {
    const more = missing.length > 1 ? ` and ${missing.length - 1} more` : '';
    throw new UserError(
      `dataset ${entry.name}: missing file ${missing[0]}${more} (run \`ldr data fetch ${entry.name}\` to download it, or set dataset.path)`,
    );
  }
  return files;
}

export async function readSource(entry: CatalogEntry, files: string[], log: (line: string) => void): Promise<RawDataset> {
  const features = entry.imageShape[0] * entry.imageShape[1] * entry.imageShape[2];
  let train: Split;
  let test: Split;
  switch (entry.name) {
    case 'mnist-bg-rot':
    case 'rectangles': {
      const [trainFile, testFile] = files;
      log(`parsing ${trainFile} (once; cached afterwards)`);
      train = (await parseAmat(trainFile, { features, classes: entry.classes, expectedRows: entry.trainCount })).split();
      log(`parsing ${testFile} (once; cached afterwards)`);
      test = (await parseAmat(testFile, { features, classes: entry.classes, expectedRows: entry.testCount })).split();
      expectCount(trainFile, train.count, entry.trainCount);
      expectCount(testFile, test.count, entry.testCount);
      break;
    }
    case 'mnist-noise': {
      // One file; its last `testCount` rows are the test set.
      const [file] = files;
      log(`parsing ${file} (once; cached afterwards)`);
      const rows = await parseAmat(file, { features, classes: entry.classes, expectedRows: entry.trainCount + entry.testCount });
      expectCount(file, rows.count, entry.trainCount + entry.testCount);
      train = rows.split(0, entry.trainCount);
      test = rows.split(entry.trainCount, rows.count);
      break;
    }
    case 'cifar10': {
      const trainFiles = files.filter((f) => !path.basename(f).startsWith('test_batch'));
      const testFiles = files.filter((f) => path.basename(f).startsWith('test_batch'));
      log(`reading ${trainFiles.length + testFiles.length} CIFAR-10 batches (once; cached afterwards)`);
      train = readCifarBatches(trainFiles);
      test = readCifarBatches(testFiles);
      expectCount(trainFiles.join(', '), train.count, entry.trainCount);
      expectCount(testFiles.join(', '), test.count, entry.testCount);
      break;
    }
    case 'norb': {
      const pairs = (kind: string) =>
        files
          .filter((f) => f.includes(`-${kind}-`) && f.endsWith('-dat.mat'))
          .map((dat) => ({ dat, cat: dat.replace(/-dat\.mat$/, '-cat.mat') }));
      log('reading NORB (once; cached afterwards)');
      train = readNorbPairs(pairs('training'));
      test = readNorbPairs(pairs('testing'));
      expectCount('the NORB training files', train.count, entry.trainCount);
      expectCount('the NORB testing files', test.count, entry.testCount);
      break;
    }
    default:
      throw new Error(`no reader for dataset ${entry.name}`);
  }
  return { name: entry.name, features, train, test };
}

function expectCount(what: string, found: number, expected: number): void {
  if (found !== expected) {
    throw new UserError(`${what}: ${found} examples, expected ${expected} (truncated or wrong file; fetch it again)`);
  }
}
