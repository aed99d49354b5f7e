// PLACEHOLDER: replaced by the real `ldr bench` command.
import type { Command } from 'commander';
export function registerBench(program: Command): void {
  program.command('bench').description('(not implemented yet)');
}
