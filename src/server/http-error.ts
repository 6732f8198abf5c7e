/** Errors that routes throw to answer with a status and a JSON message. */

/** An error answered as `{error: {type, message, details}}` with `status`. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly type = "bad_request", readonly details = "") {
    super(message);
    this.name = "HttpError";
  }
}

/** The JSON body of an error answer. */
export function errorBody(type: string, message: string, details = ""): { error: { type: string; message: string; details: string } } {
  return { error: { type, message, details } };
}
