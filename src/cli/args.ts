// Parsing of numeric command-line options, shared by the commands: one clear line naming the flag.
import { UserError } from '../util/errors';

/** An integer option ≥ min; `what` says what was expected (default "an integer ≥ min"). */
export function parseInteger(flag: string, value: string | undefined, min: number, what = `an integer ≥ ${min}`): number {
  const text = String(value ?? '').trim();
  const v = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(v) || v < min) throw new UserError(`${flag}: expected ${what}, got "${value}"`);
  return v;
}
