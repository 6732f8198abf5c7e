/** What a third-party decoder's exception says, fit for a user. */

/**
 * The reason to show for a decoder failure: its message, unless it is the JavaScript engine's own
 * (a TypeError or RangeError from deep inside the decoder says nothing a user can act on).
 */
export function decoderFailure(err: unknown): string {
  if (err instanceof TypeError || err instanceof RangeError) return "corrupt data";
  return err instanceof Error ? err.message : String(err);
}
