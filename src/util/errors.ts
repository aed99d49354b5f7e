// Errors meant for the user: printed as one line (no stack trace), with an exit code.
// Code 2 = bad input (config, arguments, data files); 1 = a run or a sweep point failed.
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
