// `ldr data list | fetch | verify`: the paper's datasets onto this machine, checked.
import type { Command } from 'commander';
import { fetchDatasets } from '../data/fetch/fetch';
import { loaderModule } from '../data/fetch/loader';
import { datasetStatus, formatStatus } from '../data/fetch/status';
import { verifyDatasets } from '../data/fetch/verify';

const DIR_HELP = 'datasets root folder (the config field dataset.path)';

export function registerDataFetch(data: Command): void {
  data
    .command('list')
    .description('Every dataset, built-in or downloadable, with its status here and its size')
    .option('--dir <dir>', DIR_HELP, 'datasets')
    .option('--json', 'one JSON object: the datasets root and a row per dataset')
    .action(async (opts: { dir: string; json?: boolean }) => {
      const loader = await loaderModule().catch(() => undefined);
      const rows = datasetStatus(opts.dir, undefined, loader);
      if (opts.json) process.stdout.write(JSON.stringify({ root: opts.dir, datasets: rows }) + '\n');
      else process.stdout.write(formatStatus(rows, opts.dir));
    });

  data
    .command('fetch')
    .description('Download, check (size, SHA-256/SHA-1), extract and cache a dataset')
    .argument('<name>', 'dataset name, or "all"')
    .option('--dir <dir>', DIR_HELP, 'datasets')
    .option('--mirror <url>', 'replace the scheme and host of every download URL (the path is kept)')
    .option('--from <path>', 'use an archive you already have (or a folder of them) instead of downloading')
    .option('--force', 'fetch again even if the dataset is already here')
    .option('--keep-downloads', 'keep the downloaded archives in <dir>/.downloads/')
    .action(async (name: string, opts: { dir: string; mirror?: string; from?: string; force?: boolean; keepDownloads?: boolean }) => {
      await fetchDatasets(name, {
        root: opts.dir,
        mirror: opts.mirror,
        from: opts.from,
        force: opts.force,
        keepDownloads: opts.keepDownloads,
      });
    });

  data
    .command('verify')
    .description('Re-hash the files of a fetched dataset against its manifest')
    .argument('<name>', 'dataset name, or "all"')
    .option('--dir <dir>', DIR_HELP, 'datasets')
    .action(async (name: string, opts: { dir: string }) => {
      await verifyDatasets(name, { root: opts.dir });
    });
}
