// `ldr train --config FILE [--set k=v …] [--print-config] [--force] [--backend B] [--quiet] [--json]`
// One experiment → one run folder `<output>/<name>/<run-id>/` (src/runs). Progress goes to stderr;
// stdout has the result only (the summary, or with --json one JSON object). Exit codes:
//   0  the run ended — completed, or diverged (a NaN/Inf loss is a result: summary.json says
//      status "diverged", and the summary is printed with a DIVERGED line), or it had ended before;
//   2  bad config / arguments / data files;
//   75 the run is being trained by another live process (see src/runs/lock.ts);
//   130 / 143 interrupted (SIGINT / SIGTERM): the last epoch's checkpoint stays, re-run to resume.
import type { Command } from 'commander';
import { addBackendOption, describeBackend, initBackend } from '../backend';
import { loadExperiment } from '../config/load';
import { renderConfigYaml } from '../config/print';
import type { BackendName } from '../config/schema';
import { loadDataset } from '../data/load';
import { readSummary, runPaths } from '../runs/folder';
import { runIdOf } from '../runs/runId';
import type { RunSummary } from '../runs/types';
import { createProgress } from '../train/progress';
import { formatSummary } from '../train/report';
import { runExperiment } from '../train/run';

interface TrainFlags {
  config: string;
  set: string[];
  printConfig?: boolean;
  force?: boolean;
  backend: BackendName;
  quiet?: boolean;
  json?: boolean;
}

export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description('Train one experiment (YAML) into its run folder; resumes an interrupted run, skips an ended one')
    .requiredOption('--config <file>', 'experiment file (YAML)')
    .option('--set <key=value>', 'override a config field, e.g. --set optimizer.lr=0.02 (repeatable)', collect, [])
    .option('--print-config', 'print the resolved config and exit')
    .option('--force', 'retrain from scratch even if the run ended or has a checkpoint')
    .option('--quiet', 'no progress output; only the final summary')
    .option('--json', 'print the result as one JSON object on stdout (run folder, outcome, summary); progress stays on stderr');
  addBackendOption(cmd);
  cmd.action(async (flags: TrainFlags) => {
    let cfg = loadExperiment(flags.config, flags.set);
    // An explicit --backend wins over the file's `backend:`; the default does not.
    if (cmd.getOptionValueSource('backend') === 'cli') cfg = { ...cfg, backend: flags.backend };
    if (flags.printConfig) {
      process.stdout.write(renderConfigYaml(cfg));
      return;
    }
    const out = process.stdout;
    const paths = runPaths(cfg.output, cfg.name, runIdOf(cfg));
    const result = (kind: 'done-before' | 'trained', summary: RunSummary, resumedFrom: number | null): void => {
      if (flags.json) out.write(JSON.stringify({ runDir: paths.dir, outcome: kind, resumedFrom, summary }) + '\n');
      else out.write(`${kind === 'done-before' ? `already ended (use --force to retrain): ${paths.dir}\n` : ''}${formatSummary(summary, paths.dir)}\n`);
    };
    const ended = flags.force ? null : readSummary(paths);
    if (ended) return result('done-before', ended, null);

    const backend = await initBackend(cfg.backend);
    const progress = createProgress(process.stderr, { epochs: cfg.training.epochs, quiet: flags.quiet });
    progress.line(describeBackend(backend));
    progress.line(`run folder: ${paths.dir}`);
    const outcome = await runExperiment(cfg, {
      backend,
      force: flags.force,
      progress,
      loadData: () => loadDataset(cfg.dataset, { log: (l) => progress.line(l) }),
    });
    result(outcome.kind, outcome.summary, outcome.resumedFrom);
  });
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
