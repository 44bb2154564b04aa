/** A problem the user (or the model) can fix; the message says how. Exit 1. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** `record`'s refusal: one line per problem, each naming the field to fix; the model retries from these. */
export function problemsError(problems: string[]): UsageError {
  return new UsageError(`${problems.length} problem${problems.length > 1 ? 's' : ''}, nothing written\n${problems.map((p) => `  ${p}`).join('\n')}`);
}

/**
 * Memory or state on disk that cannot be used as it is: a link or special file where a file or folder of ours
 * belongs, a full disk, an I/O error, no permission. The message names the real path and what to do. Exit 1, like
 * any set-up problem the user can fix.
 */
export class StoreError extends UsageError {
  override name = 'StoreError';
  constructor(
    readonly path: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** A memory file that did not parse; it was moved aside byte for byte. */
export class CorruptFileError extends Error {
  override name = 'CorruptFileError';
  constructor(
    readonly path: string,
    readonly keptAs: string,
    options?: ErrorOptions,
  ) {
    super(`${path} was not valid; kept as ${keptAs}`, options);
  }
}

export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
