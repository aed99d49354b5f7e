// PLACEHOLDER: replaced by the real command.
import type { Command } from 'commander';
export function registerDataFetch(_data: Command): void {}
