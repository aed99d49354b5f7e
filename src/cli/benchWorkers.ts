// `ldr bench workers --config FILE [--set k=v …] [--workers 1,2] [--epochs 1] [--repeats 3]`: epoch
// time (training and evaluation parts), validation accuracy and peak RSS of an experiment per
// training.workers value, measured interleaved in fresh processes (src/bench/workers.ts); prints JSON.
import * as path from 'path';
import { Option, type Command } from 'commander';
import { addBackendOption, initBackend } from '../backend';
import type { BackendName } from '../config/schema';
import { loadExperiment } from '../config/load';
import { loadDataset } from '../data/load';
import { benchWorkers, measureWorkers } from '../bench/workers';
import { availableCores } from '../train/workers';
import { UserError } from '../util/errors';
import { parseInteger } from './args';

interface BenchWorkersFlags {
  config: string;
  set: string[];
  workers: string;
  epochs: string;
  repeats: string;
  backend: BackendName;
  child?: string;
  output?: string;
}

const LDR_BIN = path.resolve(__dirname, '..', '..', 'bin', 'ldr');

export function registerBenchWorkers(bench: Command): void {
  const cmd = bench
    .command('workers')
    .description('Epoch time (train and eval parts), val accuracy and peak RSS per training.workers value; JSON')
    .requiredOption('--config <file>', 'experiment file (YAML)')
    .option('--set <key=value>', 'override a config field (repeatable)', (v: string, prev: string[]) => [...prev, v], [])
    .option('--workers <list>', 'thread counts to compare, the first is the baseline of the ratios', '1,2')
    .option('--epochs <n>', 'epochs per measurement (the last one is reported)', '1')
    .option('--repeats <n>', 'measurements per thread count, interleaved', '3')
    .addOption(hidden('--child <n>', 'internal: run one measurement with this many threads'))
    .addOption(hidden('--output <dir>', 'internal: the measurement’s scratch results folder'));
  addBackendOption(cmd);
  cmd.action(async (flags: BenchWorkersFlags) => {
    const epochs = parseInteger('--epochs', flags.epochs, 1);
    const sets = [...flags.set, `training.epochs=${epochs}`];
    const backendSet = cmd.getOptionValueSource('backend') === 'cli';
    if (flags.child !== undefined) {
      const cfg0 = loadExperiment(flags.config, [...sets, `training.workers=${flags.child}`, `output=${flags.output}`]);
      const cfg = backendSet ? { ...cfg0, backend: flags.backend } : cfg0;
      const backend = await initBackend(cfg.backend);
      const sample = await measureWorkers(cfg, backend, () => loadDataset(cfg.dataset, {}));
      process.stdout.write(`${JSON.stringify(sample)}\n`);
      return;
    }
    const list = flags.workers.split(',').map((w) => parseInteger('--workers', w, 1, 'a comma-separated list of integers ≥ 1'));
    if (new Set(list).size !== list.length) throw new UserError(`--workers: expected distinct thread counts, got "${flags.workers}"`);
    const repeats = parseInteger('--repeats', flags.repeats, 1);
    // The file's problems, and each thread count's (lstm, GPU backend, more threads than rows), as
    // one line before any measurement starts.
    const backendSets = backendSet ? [`backend=${flags.backend}`] : [];
    const cfg = loadExperiment(flags.config, sets);
    for (const w of list) {
      try {
        loadExperiment(flags.config, [...sets, ...backendSets, `training.workers=${w}`]);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        throw new UserError(`--workers ${w}: ${err.message.replace(/^--set training\.workers: /, '')}`);
      }
    }
    const report = await benchWorkers(
      {
        workers: list,
        repeats,
        childArgs: (w, output) => [
          LDR_BIN, 'bench', 'workers', '--config', flags.config, ...flags.set.flatMap((s) => ['--set', s]),
          '--epochs', String(epochs), '--child', String(w), '--output', output, ...(backendSet ? ['--backend', flags.backend] : []),
        ],
        onSample: (s, r) => process.stderr.write(`repeat ${r + 1}/${repeats}, ${s.workers} thread(s): epoch ${s.epochs[s.epochs.length - 1].seconds.toFixed(2)} s\n`),
      },
      { config: flags.config, backend: backendSet ? flags.backend : cfg.backend, cores: availableCores(), epochs },
    );
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  });
}

function hidden(flags: string, description: string): Option {
  return new Option(flags, description).hideHelp();
}
