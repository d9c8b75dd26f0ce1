// When to try a request again and how long to wait: the provider's Retry-After or RetryInfo first, else backoff.
import type { ImageErrorKind } from './errors';

/** Time as the client sees it; tests inject a fake one so retry waits cost nothing. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects at once with the signal's reason when it aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);
/** Longest wait we sit through; a provider asking for more is reported at once. */
export const DEFAULT_RETRY_CAP_MS = 60_000;
const DEFAULT_BASE_DELAY_MS = 1_000;
/** A provider's wait longer than this is a broken value, not a plan: back off instead (a daily quota says "1 day"). */
export const MAX_PROVIDER_WAIT_MS = 2 * 24 * 3_600_000;

export type WaitSource = 'Retry-After' | 'retry-after-ms' | 'RetryInfo' | 'backoff';

export interface RetryWait {
  readonly ms: number;
  readonly source: WaitSource;
}

export interface RetryOptions {
  readonly maxRetries: number;
  readonly capMs?: number;
  readonly baseDelayMs?: number;
  /** In [0, 1); injected so tests get predictable jitter. */
  readonly random?: () => number;
}

export type HeaderValues = Record<string, string | string[] | undefined>;

export class RetryPolicy {
  readonly maxRetries: number;
  readonly capMs: number;
  private readonly baseDelayMs: number;
  private readonly random: () => number;

  constructor(options: RetryOptions) {
    this.maxRetries = Math.max(0, Math.floor(Number.isFinite(options.maxRetries) ? options.maxRetries : 0));
    this.capMs = options.capMs ?? DEFAULT_RETRY_CAP_MS;
    this.baseDelayMs = options.baseDelayMs ?? DEFAULT_BASE_DELAY_MS;
    this.random = options.random ?? Math.random;
  }

  get maxAttempts(): number {
    return this.maxRetries + 1;
  }

  isRetryableStatus(status: number): boolean {
    return RETRYABLE_STATUSES.has(status);
  }

  /** Whether attempt `attempt` (1-based) may be followed by another. */
  hasAttemptsAfter(attempt: number): boolean {
    return attempt < this.maxAttempts;
  }

  /**
   * How long to wait after failed attempt `attempt` (1-based): what the provider asked for, else backoff.
   * The result may exceed capMs; the caller reports such a wait instead of sitting through it.
   */
  waitAfter(attempt: number, headers: HeaderValues | undefined, errorBody: unknown, nowMs: number): RetryWait {
    return retryAfterFromHeaders(headers ?? {}, nowMs) ?? retryInfoWait(errorBody) ?? { ms: this.backoffMs(attempt), source: 'backoff' };
  }

  /** Exponential backoff with jitter: between half and all of base·2^(attempt-1), capped. */
  backoffMs(attempt: number): number {
    const full = Math.min(this.capMs, this.baseDelayMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(full / 2 + (full / 2) * this.random());
  }
}

function header(headers: HeaderValues, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `retry-after-ms`, then `Retry-After` in seconds or as an HTTP date. A value that is zero, negative, unreadable or
 * absurd (see sensibleWait) counts as absent, so the caller backs off instead of retrying at once or forever.
 */
export function retryAfterFromHeaders(headers: HeaderValues, nowMs: number): RetryWait | undefined {
  const milliseconds = sensibleWait(secondsOrMs(header(headers, 'retry-after-ms'), 1));
  if (milliseconds !== undefined) return { ms: milliseconds, source: 'retry-after-ms' };
  const retryAfter = header(headers, 'retry-after')?.trim();
  if (!retryAfter) return undefined;
  if (/^[-+\d.]/.test(retryAfter)) {
    const ms = sensibleWait(secondsOrMs(retryAfter, 1000));
    return ms === undefined ? undefined : { ms, source: 'Retry-After' };
  }
  const ms = sensibleWait(Date.parse(retryAfter) - nowMs);
  return ms === undefined ? undefined : { ms, source: 'Retry-After' };
}

/** A plain non-negative decimal (at most 15 characters, so never Infinity) times `unit`; NaN otherwise. */
function secondsOrMs(value: string | undefined, unit: number): number {
  const text = value?.trim() ?? '';
  return text.length <= 15 && /^\d+(\.\d+)?$/.test(text) ? Number(text) * unit : Number.NaN;
}

/** The wait in whole milliseconds when it is one worth honouring: finite, above zero, at most MAX_PROVIDER_WAIT_MS. */
export function sensibleWait(ms: number): number | undefined {
  if (!Number.isFinite(ms)) return undefined;
  const rounded = Math.round(ms);
  return rounded > 0 && rounded <= MAX_PROVIDER_WAIT_MS ? rounded : undefined;
}

interface ErrorDetail {
  readonly '@type'?: unknown;
  readonly retryDelay?: unknown;
  readonly violations?: unknown;
}

function errorDetails(body: unknown): ErrorDetail[] {
  if (!body || typeof body !== 'object') return [];
  const error = (body as { error?: unknown }).error;
  if (!error || typeof error !== 'object') return [];
  const details = (error as { details?: unknown }).details;
  return Array.isArray(details) ? details.filter((detail): detail is ErrorDetail => !!detail && typeof detail === 'object') : [];
}

/** google.rpc.RetryInfo.retryDelay from an error body ("2s", "0.5s", or {seconds, nanos}); nonsense counts as absent. */
export function retryDelayFromError(body: unknown): number | undefined {
  for (const detail of errorDetails(body)) {
    if (typeof detail['@type'] !== 'string' || !detail['@type'].endsWith('google.rpc.RetryInfo')) continue;
    const delay = detail.retryDelay;
    if (typeof delay === 'string') {
      const trimmed = delay.trim();
      const ms = trimmed.endsWith('s') ? sensibleWait(secondsOrMs(trimmed.slice(0, -1), 1000)) : undefined;
      if (ms !== undefined) return ms;
    } else if (delay && typeof delay === 'object') {
      const { seconds, nanos } = delay as { seconds?: unknown; nanos?: unknown };
      const part = (value: unknown): number => (value === undefined ? 0 : typeof value === 'number' || typeof value === 'string' ? Number(value) : Number.NaN);
      const ms = sensibleWait(part(seconds) * 1000 + part(nanos) / 1e6);
      if (ms !== undefined) return ms;
    }
  }
  return undefined;
}

function retryInfoWait(body: unknown): RetryWait | undefined {
  const ms = retryDelayFromError(body);
  return ms === undefined ? undefined : { ms, source: 'RetryInfo' };
}

/** A per-day quota does not come back in seconds: retrying only burns the user's time. */
export function isDailyQuota(body: unknown): boolean {
  for (const detail of errorDetails(body)) {
    if (typeof detail['@type'] !== 'string' || !detail['@type'].endsWith('google.rpc.QuotaFailure')) continue;
    const violations = Array.isArray(detail.violations) ? detail.violations : [];
    for (const violation of violations) {
      if (!violation || typeof violation !== 'object') continue;
      const { quotaId, quotaMetric, description } = violation as Record<string, unknown>;
      const text = [quotaId, quotaMetric, description].filter((value) => typeof value === 'string').join(' ');
      if (/per ?day|daily/i.test(text)) return true;
    }
  }
  return false;
}

/**
 * Only a passing quota or server trouble can go away by itself. Billing, an unavailable model or location, a gateway's
 * model-not-found inside a 503 or its time limit (524) fail the same way every time: retrying only wastes minutes.
 */
const RETRYABLE_KINDS: ReadonlySet<ImageErrorKind> = new Set<ImageErrorKind>(['quota', 'serverError']);

/** Whether an error answer of this kind and status is worth another attempt (a daily quota is not: see isDailyQuota). */
export function isRetryableAnswer(kind: ImageErrorKind, status: number): boolean {
  return RETRYABLE_KINDS.has(kind) && RETRYABLE_STATUSES.has(status);
}
