// `ldr data …`: export (arrays for other tools), and list / fetch / verify (downloads).
import type { Command } from 'commander';
import { registerDataExport } from './dataExport';
import { registerDataFetch } from './dataFetch';

export function registerData(program: Command): void {
  const data = program.command('data').description("Datasets: list, fetch and verify the paper's, export arrays");
  registerDataExport(data);
  registerDataFetch(data);
}
