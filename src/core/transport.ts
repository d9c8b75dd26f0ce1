// The HTTP boundary the image client talks through; src/http implements it with undici, tests may use the real one.

export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface HttpResponse {
  readonly status: number;
  /** Lower-case names. */
  readonly headers: Record<string, string | string[] | undefined>;
  /** Kept a stream so a large answer can be consumed (or refused) while it arrives. */
  readonly body: AsyncIterable<Uint8Array>;
}

export interface TransportOptions {
  /** Aborts the request and the body stream (user cancel or the client's deadline). */
  readonly signal: AbortSignal;
  /** Longest wait for the response headers: a 4K image can take minutes before the first byte. */
  readonly headersTimeoutMs: number;
  /** Longest silence between two body chunks. */
  readonly bodyTimeoutMs: number;
}

/**
 * Sends one request, never following redirects (a 3xx comes back as a response).
 * Failures are ImageErrors: 'timeout', 'cancelled' (the signal), 'network' (with `code`), 'tooLarge'.
 */
export interface Transport {
  request(request: HttpRequest, options: TransportOptions): Promise<HttpResponse>;
  /**
   * GETs an image a provider linked to: no token and none of the API request's headers, never following redirects
   * (the client follows them itself, to http(s) only). Same failures as request(). Optional: without it links fail.
   */
  download?(url: string, options: TransportOptions): Promise<HttpResponse>;
}

/** First value of a header, for the places that want one string. */
export function headerValue(headers: HttpResponse['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
