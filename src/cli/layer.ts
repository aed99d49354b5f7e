// PLACEHOLDER: replaced by the real `ldr layer` command.
import type { Command } from 'commander';
export function registerLayer(program: Command): void {
  program.command('layer').description('(not implemented yet)');
}
