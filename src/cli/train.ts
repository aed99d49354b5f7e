// PLACEHOLDER: replaced by the real `ldr train` command.
import type { Command } from 'commander';
export function registerTrain(program: Command): void {
  program.command('train').description('(not implemented yet)');
}
