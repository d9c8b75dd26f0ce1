// What the local Gemini-compatible server can be told to do instead of (or besides) a plain success.
// Tests queue faults in-process (server.enqueue) or over HTTP (POST /__admin/faults); each
// generateContent request takes the next queued fault, and a request with an empty queue succeeds.

export type FinishReason =
  | 'STOP'
  | 'IMAGE_SAFETY'
  | 'NO_IMAGE'
  | 'IMAGE_PROHIBITED_CONTENT'
  | 'IMAGE_OTHER'
  | 'SAFETY'
  | 'PROHIBITED_CONTENT'
  | 'OTHER'
  | string;

export type Fault =
  /** A Google-style JSON error. `retryAfter` is sent as the Retry-After header verbatim (seconds or an HTTP date). */
  | {
      kind: 'error';
      status: number;
      message?: string;
      retryAfter?: string;
      retryAfterMs?: number;
      /** Adds a google.rpc.RetryInfo detail with this delay, e.g. "2s" or "0.5s". */
      retryDelay?: string;
      /** Adds a google.rpc.QuotaFailure detail whose quotaId names this period, e.g. "GenerateRequestsPerDayPerProjectPerModel". */
      quotaId?: string;
    }
  /** An HTML error page as a proxy or gateway sends it. */
  | { kind: 'html'; status: number }
  /** 200 with content-type application/json and a body that is not JSON. */
  | { kind: 'garbageJson' }
  /** Accepts the request and never sends response headers (until the client gives up or the server closes). */
  | { kind: 'noHeaders' }
  /** Sends headers and the first `afterBytes` bytes (default 64) of a success body, then stalls forever. */
  | { kind: 'stallBody'; afterBytes?: number }
  /** Sends a success body cut in the middle of the image's base64, then closes the connection. */
  | { kind: 'cutBody' }
  /** The normal answer compressed with `encoding` (gzip, deflate or br) and labelled so; any other name labels it uncompressed. */
  | { kind: 'compressed'; encoding: string }
  /** Sends two images and closes the connection in the middle of the second one's base64 (the first arrived whole). */
  | { kind: 'cutSecondImage' }
  /** Destroys the socket without any answer (a connection reset). */
  | { kind: 'reset' }
  /** No candidates, promptFeedback.blockReason (+ blockReasonMessage). */
  | { kind: 'blocked'; reason?: string; message?: string }
  /** A candidate with no image, this finishReason and finishMessage. */
  | { kind: 'refused'; reason: FinishReason; message?: string }
  /** A candidate with only a text part. */
  | { kind: 'textOnly'; text?: string }
  /** Two image parts in one candidate. */
  | { kind: 'twoImages' }
  /** `count` image parts in one candidate (a broken or hostile provider flooding the client). */
  | { kind: 'manyImages'; count: number }
  /** A `thought: true` draft image part before the final image. */
  | { kind: 'thoughtDraft' }
  /** PNG bytes declared as image/jpeg. */
  | { kind: 'mislabelled' }
  /** The image as a markdown `![image](data:image/png;base64,...)` URL inside a text part. */
  | { kind: 'markdownDataUrl' }
  /** Uses the `inline_data{mime_type,data}` spelling in the answer. */
  | { kind: 'snakeCase' }
  /** Waits this long before answering normally (a slow generation). */
  | { kind: 'delay'; ms: number }
  /** Answers with a redirect to `location` (status 301, 302, 307 or 308). */
  | { kind: 'redirect'; status: number; location: string }
  /** A valid success answer padded with a text part so the body is at least `bytes` long. */
  | { kind: 'huge'; bytes: number }
  /**
   * Sends exactly this status, these headers and this body (a real answer recorded in test/fixtures/errors); a body
   * that is not a string is sent as JSON. Also queued by POST /__admin/replay with a fixture file's content.
   */
  | { kind: 'replay'; status: number; headers?: Record<string, string>; body: unknown }
  /**
   * A success answer whose image is a link to this server (`GET /__images/{name}`) in a text part instead of inline
   * data, as some gateways answer: `markdown` `![image](url)` (default) or a `bare` URL. `serve` says what the link
   * gives: the image (default), bytes that are not an image, a redirect to the image, a redirect to a file: URL, or
   * the image's first bytes and then nothing (a stalled download).
   */
  | { kind: 'imageLink'; style?: 'markdown' | 'bare'; serve?: 'image' | 'notImage' | 'redirect' | 'redirectToFile' | 'stall' };

export type FaultKind = Fault['kind'];
