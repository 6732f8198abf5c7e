/** Cancellation of a sampling run. */

/**
 * Rejection reason of a cancelled {@link sample}: `name` is "AbortError" (like fetch's and
 * AbortSignal's), `code` "ABORT_ERR"; `cause` carries the signal's reason when there was one.
 */
export class SampleAbortedError extends Error {
  readonly code = "ABORT_ERR";
  /** Steps completed before the run stopped. */
  readonly completedSteps: number;
  constructor(message: string, completedSteps: number, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "AbortError";
    this.completedSteps = completedSteps;
  }
}

/** True for a cancelled sampling run (or any AbortError, e.g. a DOMException from an AbortSignal). */
export function isAbortError(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { name?: unknown }).name === "AbortError";
}
