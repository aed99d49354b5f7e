// PLACEHOLDER: replaced by the real command.
import type { Command } from 'commander';
export function registerDataExport(_data: Command): void {}
