/**
 * Every failure an editor can cause or fix is a FintechWeeklyError: the CLI prints its message and
 * hint (no stack) and exits with its code. Anything else is a bug and is printed with its stack.
 */
export const EXIT = {
  ok: 0,
  error: 1,
  usage: 2,
  /** EX_TEMPFAIL: deferred or unknown deliveries remain for a later run. */
  tempfail: 75,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface ErrorDetails {
  /** What to do about it, one sentence. */
  hint?: string;
  exitCode?: ExitCode;
  /** The file the problem is in, when there is one. */
  file?: string;
  cause?: unknown;
}

export class FintechWeeklyError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;
  readonly file: string | undefined;

  constructor(message: string, details: ErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'FintechWeeklyError';
    this.exitCode = details.exitCode ?? EXIT.error;
    this.hint = details.hint;
    this.file = details.file;
  }
}

/** Wrong flags or arguments: exit code 2. */
export class UsageError extends FintechWeeklyError {
  constructor(message: string, details: Omit<ErrorDetails, 'exitCode'> = {}) {
    super(message, { ...details, exitCode: EXIT.usage });
    this.name = 'UsageError';
  }
}

export function isFintechWeeklyError(error: unknown): error is FintechWeeklyError {
  return error instanceof FintechWeeklyError;
}
