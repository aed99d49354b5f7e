// The `ldr` command line: a thin layer over src/. Each command lives in its own file and
// registers itself here.
import { Command, CommanderError } from 'commander';
import { UserError } from '../util/errors';
import { registerLayer } from './layer';
import { registerBench } from './bench';
import { registerTrain } from './train';
import { registerData } from './data';
import { registerSweep } from './sweep';
import { registerReport } from './report';

export function buildProgram(): Command {
  const program = new Command('ldr')
    .description('Structured weight matrices with low displacement rank: train, sweep, report')
    .version(require('../../package.json').version)
    .showHelpAfterError()
    .exitOverride();
  registerTrain(program);
  registerLayer(program);
  registerBench(program);
  registerData(program);
  registerSweep(program);
  registerReport(program);
  return program;
}

/** Entry point: parse argv, run the command, map errors to one line and an exit code. */
export async function main(argv: string[]): Promise<void> {
  // `ldr … | head` closes the pipe early: stop quietly instead of printing a stack trace.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(0);
      throw err;
    });
  }
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err);
  }
}

function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed its message (help, version, or a usage error).
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof UserError) {
    process.stderr.write(`ldr: ${err.message}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`ldr: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.LDR_DEBUG) process.stderr.write(`${e?.stack}\n`);
  return 1;
}
