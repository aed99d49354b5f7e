// `--backend <name>` for any command that runs TF.js.
import { Option, type Command } from 'commander';
import { BACKENDS } from '../config/schema';

export const BACKEND_HELP =
  'compute backend; auto = tensorflow on CUDA, else webgpu on a hardware GPU, else tensorflow (CPU) if installed, else wasm, else cpu';

/**
 * Adds `--backend <name>` (default auto). Commands that also read a config file can tell an
 * explicit flag from the default with `cmd.getOptionValueSource('backend') === 'cli'`.
 */
export function addBackendOption(cmd: Command): Command {
  return cmd.addOption(new Option('--backend <name>', BACKEND_HELP).choices(BACKENDS).default('auto'));
}
