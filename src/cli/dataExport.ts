// `ldr data export <name> --out DIR`: the arrays training uses, as NumPy .npy files.
import type { Command } from 'commander';
import { datasetSchema } from '../config/schema';
import { exportDataset } from '../data/export';
import { datasetEntry } from '../data/load';

export function registerDataExport(data: Command): void {
  data
    .command('export')
    .description(
      'Write X_train.npy, y_train.npy, X_test.npy, y_test.npy (float32 / int32) and val_idx.npy: ' +
        'the training set before the validation hold-out and the test set, standardised exactly as training does',
    )
    .argument('<name>', 'dataset name (see catalog)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--path <dir>', 'folder holding the datasets', 'datasets')
    .option('--pad32', 'zero-pad 28×28 images to 32×32', false)
    .action(async (name: string, opts: { out: string; path: string; pad32: boolean }) => {
      datasetEntry(name); // an unknown name fails before anything is read
      const cfg = datasetSchema.parse({ name, path: opts.path, pad32: opts.pad32 });
      const result = await exportDataset(cfg, opts.out, { log: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(
        `${name}: ${result.trainCount} training rows (${result.valCount} of them held out for validation, see val_idx.npy), ` +
          `${result.testCount} test rows, ${result.features} features\n`,
      );
      for (const f of result.files) process.stdout.write(`  ${f}\n`);
    });
}
