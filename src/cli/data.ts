// PLACEHOLDER: replaced by the real `ldr data` command.
import type { Command } from 'commander';
export function registerData(program: Command): void {
  program.command('data').description('(not implemented yet)');
}
