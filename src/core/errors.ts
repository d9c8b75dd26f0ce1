// The few kinds of failure the image client reports, each with a message that names the host and the next step.

export type ImageErrorKind =
  | 'noToken'
  | 'authRejected'
  | 'modelNotFound'
  | 'badRequest'
  | 'quota'
  /** Prepaid credits, billing or a gateway account's balance used up: no retry helps until someone pays. */
  | 'billing'
  /** This key may not use the API or model from here: unsupported location, a tier whose limit is 0. */
  | 'notAvailable'
  /** The earlier turns sent to refine an image were refused (a lost thought signature): start a new image. */
  | 'historyRejected'
  | 'serverError'
  | 'timeout'
  | 'cancelled'
  | 'network'
  | 'blocked'
  | 'imageRefused'
  | 'noImage'
  | 'malformedAnswer'
  | 'tooLarge'
  | 'invalidJob'
  | 'redirect'
  /** The image arrived but could not be written to disk (ENOSPC, ENOTDIR, EACCES, EMFILE, EROFS…). */
  | 'disk';

export interface ImageErrorDetails {
  /** The host (with port when not the default) the request went to; '' when nothing was sent. */
  readonly host: string;
  readonly status?: number;
  /** How long the provider asked us to wait before trying again. */
  readonly retryAfterMs?: number;
  /** Text the model answered instead of an image. */
  readonly texts?: readonly string[];
  /** finishReason or blockReason behind a refusal, or a low-level error code (ECONNRESET, UND_ERR_SOCKET…). */
  readonly code?: string;
  readonly cause?: unknown;
}

export class ImageError extends Error {
  override readonly name = 'ImageError';
  readonly kind: ImageErrorKind;
  readonly host: string;
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly texts: readonly string[];
  readonly code?: string;

  constructor(kind: ImageErrorKind, message: string, details: ImageErrorDetails) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.host = details.host;
    this.status = details.status;
    this.retryAfterMs = details.retryAfterMs;
    this.texts = details.texts ?? [];
    this.code = details.code;
  }

  /** The same error with every occurrence of `secret` removed from its message and texts. */
  redacted(secret: string | undefined): ImageError {
    const message = redactSecret(this.message, secret);
    const texts = this.texts.map((text) => redactSecret(text, secret));
    if (message === this.message && texts.every((text, i) => text === this.texts[i])) return this;
    const copy = new ImageError(this.kind, message, {
      host: this.host,
      status: this.status,
      retryAfterMs: this.retryAfterMs,
      texts,
      code: this.code,
      cause: this.cause,
    });
    copy.stack = redactSecret(this.stack ?? '', secret);
    return copy;
  }
}

export const REDACTED = '[redacted]';

/** The `code` of a request whose proxy closed the connection before the tunnel was set up: a proxy problem, not retried. */
export const PROXY_TUNNEL_CLOSED = 'PROXY_TUNNEL_CLOSED';

/** The `code` of a request whose proxy accepted the connection but never answered the tunnel request (CONNECT). */
export const PROXY_TUNNEL_TIMEOUT = 'PROXY_TUNNEL_TIMEOUT';

/** Replaces a token (and its URL-encoded form) wherever it appears; a safety net, messages are built without it. */
export function redactSecret(text: string, secret: string | undefined): string {
  if (!secret || secret.length < 3) return text;
  let result = text.split(secret).join(REDACTED);
  const encoded = encodeURIComponent(secret);
  if (encoded !== secret) result = result.split(encoded).join(REDACTED);
  return result;
}

/** Also recognises errors thrown by the lazily loaded HTTP chunk, which has its own copy of this class. */
export function isImageError(value: unknown): value is ImageError {
  if (value instanceof ImageError) return true;
  return value instanceof Error && value.name === 'ImageError' && typeof (value as { kind?: unknown }).kind === 'string';
}

/** "1.5 s", "2 min 5 s", "3 h 20 min": a wait as people read it. */
export function describeDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'an unknown time';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1).replace(/\.0$/, '') : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    const rest = Math.round(seconds - minutes * 60);
    return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  const restMinutes = minutes - hours * 60;
  return restMinutes ? `${hours} h ${restMinutes} min` : `${hours} h`;
}

/** "1.2 MB": sizes in the units the 20 MB limit is stated in. */
export function describeBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} bytes`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}
