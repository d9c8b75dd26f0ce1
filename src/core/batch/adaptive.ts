// Runs a batch's items at a concurrency that adapts to the provider's rate limit: a 429 pauses every start for the
// wait it names and halves the concurrency; a run of successes climbs back by one. When the waits a provider names are
// short (no longer than two requests take), it meters a steady rate: starts are then spaced by the interval those
// waits reveal, so requests arrive when the provider will take them instead of each meeting a 429 first.
//
// Retries are owned here, not by the client: items are sent with `retryQuota: false`, so a 429 comes straight back
// with the provider's Retry-After/RetryInfo, and the whole batch (not each request on its own) waits and slows down.
// The client still retries 5xx answers and connection resets itself; those say nothing about the rate.
import { DAILY_QUOTA_ADVICE } from '../errorAnswer';
import { describeDuration, ImageError, isImageError } from '../errors';
import { DEFAULT_RETRY_CAP_MS, RetryPolicy, type Clock } from '../retry';

export const MIN_BATCH_CONCURRENCY = 1;
export const MAX_BATCH_CONCURRENCY = 16;
export const DEFAULT_BATCH_CONCURRENCY = 4;
/** Successes in a row before the concurrency climbs by one; doubled for a level that drew a 429 before. */
export const CLIMB_AFTER_SUCCESSES = 8;
/** 429s one item may meet before it counts as failed (each one pauses the whole batch, so they cannot pile up). */
export const QUOTA_RETRIES_PER_ITEM = 8;
/** Pacing is given up when more than one request in this many meets a 429 anyway (the limit is not a steady rate). */
const PACING_MISSES_ALLOWED = 4;

/** The concurrency over time, and when the next request may start. */
export class AdaptiveConcurrency {
  private current: number;
  private readonly max: number;
  private readonly clock: Clock;
  private readonly climbAfter: number;
  /** No request starts before this time (the provider's wait after a 429). */
  private notBefore = 0;
  /** Requests that started before this were sent at the old rate: their 429s do not halve again. */
  private lastDecrease = Number.NEGATIVE_INFINITY;
  private successes = 0;
  /** 429s seen at each level, so a level that failed is probed again only after longer runs of successes. */
  private readonly failedAt = new Map<number, number>();
  /** Least time between two starts (0: none), learned from short provider waits. */
  private spacing = 0;
  /** Recent start times, newest last. */
  private readonly starts: number[] = [];
  /** How long a successful request takes (moving average), to tell a steady rate's short waits from a window's. */
  private typicalMs?: number;
  /** A 429's rate estimate that came before any request had finished: judged at the first success. */
  private pendingSpacing?: number;
  /** Since pacing began: requests that succeeded, and 429s met anyway. */
  private paced = { successes: 0, misses: 0 };
  /** Every change of the concurrency: [time, limit]. */
  readonly history: [number, number][] = [];

  constructor(options: { concurrency: number; clock: Clock; climbAfter?: number }) {
    this.max = clampConcurrency(options.concurrency);
    this.current = this.max;
    this.clock = options.clock;
    this.climbAfter = options.climbAfter ?? CLIMB_AFTER_SUCCESSES;
    this.history.push([this.clock.now(), this.current]);
  }

  get limit(): number {
    return this.current;
  }

  /** Milliseconds until a request may start (0: now). */
  waitMs(): number {
    const now = this.clock.now();
    const last = this.starts.at(-1);
    return Math.max(0, this.notBefore - now, last === undefined ? 0 : last + this.spacing - now);
  }

  /** The spacing between starts the provider's waits revealed (0: none). */
  get spacingMs(): number {
    return this.spacing;
  }

  /** A request starts now. */
  started(): void {
    this.starts.push(this.clock.now());
    if (this.starts.length > 32) this.starts.shift();
  }

  /** A request that started at `startedAt` succeeded. */
  succeeded(startedAt: number): void {
    const took = this.clock.now() - startedAt;
    this.typicalMs = this.typicalMs === undefined ? took : 0.8 * this.typicalMs + 0.2 * took;
    if (this.pendingSpacing !== undefined) this.learnSpacing(this.pendingSpacing);
    this.pendingSpacing = undefined;
    if (this.spacing > 0) this.paced.successes++;
    this.successes++;
    const next = this.current + 1;
    if (next > this.max) return;
    if (this.successes >= this.climbAfter * 2 ** (this.failedAt.get(next) ?? 0)) this.set(next);
  }

  /**
   * A request that started at `startedAt` met a 429 asking to wait `waitMs` (`named`: the provider said so, rather
   * than our backoff guessing).
   */
  throttled(startedAt: number, waitMs: number, named = true): void {
    const now = this.clock.now();
    this.notBefore = Math.max(this.notBefore, now + waitMs);
    // The provider did not take this request: the next one is spaced from the last it took, not from this one.
    const refused = this.starts.lastIndexOf(startedAt);
    if (refused >= 0) this.starts.splice(refused, 1);
    if (this.spacing > 0 && ++this.paced.misses > 2 && this.paced.misses * PACING_MISSES_ALLOWED > this.paced.successes) {
      // 429s keep coming though requests are spaced: not a steady rate (a cap on requests at once, say). Halve instead.
      this.spacing = 0;
    } else if (named) {
      // The provider reckoned the wait when the request arrived (about when it started) and takes the next one then;
      // the start before this one was the last it took.
      const previous = [...this.starts].reverse().find((start) => start < startedAt) ?? startedAt;
      const interval = startedAt + waitMs - previous;
      if (this.typicalMs === undefined) this.pendingSpacing = Math.max(this.pendingSpacing ?? 0, interval);
      else this.learnSpacing(interval);
    }
    if (startedAt < this.lastDecrease) return;
    this.failedAt.set(this.current, (this.failedAt.get(this.current) ?? 0) + 1);
    this.lastDecrease = now;
    // While requests are spaced to the provider's rate, keep enough of them going to keep up with it.
    const needed = this.spacing > 0 && this.typicalMs !== undefined ? Math.ceil(this.typicalMs / this.spacing) + 1 : MIN_BATCH_CONCURRENCY;
    this.set(Math.min(this.current, Math.max(needed, Math.floor(this.current / 2))));
  }

  /** A short interval is a steady rate to keep to; a long one is a window that resets (the gate waits for it). */
  private learnSpacing(interval: number): void {
    if (this.typicalMs === undefined || interval > 2 * this.typicalMs) return;
    if (this.spacing === 0) this.paced = { successes: 0, misses: 0 };
    // Each estimate carries the delays of one request on its way: averaging keeps one slow trip from setting the pace.
    this.spacing = this.spacing === 0 ? interval : (this.spacing + interval) / 2;
  }

  private set(limit: number): void {
    this.successes = 0;
    if (limit === this.current) return;
    this.current = limit;
    this.history.push([this.clock.now(), limit]);
  }
}

export function clampConcurrency(value: number): number {
  if (!Number.isFinite(value)) return DEFAULT_BATCH_CONCURRENCY;
  return Math.min(MAX_BATCH_CONCURRENCY, Math.max(MIN_BATCH_CONCURRENCY, Math.round(value)));
}

export type ItemOutcome<T, R> =
  | { readonly item: T; readonly status: 'ok'; readonly result: R }
  | { readonly item: T; readonly status: 'failed' | 'cancelled'; readonly error: unknown };

export interface AdaptiveRunOptions<T, R> {
  readonly concurrency: number;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /** Longest provider wait the batch sits through; a longer one (or a daily quota) stops the batch. */
  readonly maxWaitMs?: number;
  /** In [0, 1): backoff jitter when a 429 names no wait. */
  readonly random?: () => number;
  readonly climbAfter?: number;
  /** Each item once it is done (ok, failed, or cancelled). */
  readonly onSettled?: (outcome: ItemOutcome<T, R>) => void;
  /** Each 429 met, with the wait the batch then keeps. */
  readonly onThrottled?: (item: T, waitMs: number, limit: number) => void;
}

export interface AdaptiveRunResult<T, R> {
  readonly outcomes: readonly ItemOutcome<T, R>[];
  readonly throttled: number;
  readonly concurrency: AdaptiveConcurrency;
}

/**
 * Runs every item once (a 429 puts it back at the front of the queue), at most `limit` at a time, never starting one
 * while the provider's wait lasts. Resolves when every item is settled; never rejects for an item's failure.
 */
export async function runAdaptively<T, R>(
  items: readonly T[],
  run: (item: T, signal: AbortSignal) => Promise<R>,
  options: AdaptiveRunOptions<T, R>,
): Promise<AdaptiveRunResult<T, R>> {
  const { clock } = options;
  const limiter = new AdaptiveConcurrency({ concurrency: options.concurrency, clock, climbAfter: options.climbAfter });
  const backoff = new RetryPolicy({ maxRetries: QUOTA_RETRIES_PER_ITEM, random: options.random });
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_RETRY_CAP_MS;
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(options.signal?.reason);
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const queue = items.map((item) => ({ item, quotaHits: 0 }));
  const outcomes: ItemOutcome<T, R>[] = [];
  const active = new Set<Promise<void>>();
  let throttled = 0;
  /** Why nothing more is sent (a daily quota, a wait too long to sit through). */
  let stopped: ImageError | undefined;

  const settle = (outcome: ItemOutcome<T, R>): void => {
    outcomes.push(outcome);
    options.onSettled?.(outcome);
  };
  const start = (entry: { item: T; quotaHits: number }): void => {
    const startedAt = clock.now();
    limiter.started();
    const task = run(entry.item, abort.signal).then(
      (result) => {
        limiter.succeeded(startedAt);
        settle({ item: entry.item, status: 'ok', result });
      },
      (error: unknown) => {
        const quota = quotaOf(error);
        if (quota && !abort.signal.aborted) {
          throttled++;
          const stop = quota.daily ? error : quota.waitMs !== undefined && quota.waitMs > maxWaitMs ? error : undefined;
          if (stop && isImageError(stop)) {
            stopped ??= stop;
          } else if (entry.quotaHits >= QUOTA_RETRIES_PER_ITEM) {
            // The provider lets nothing through: stop sending rather than wear every item's retries down.
            if (isImageError(error)) stopped ??= error;
          } else {
            const waitMs = quota.waitMs ?? backoff.backoffMs(entry.quotaHits + 1);
            limiter.throttled(startedAt, waitMs, quota.waitMs !== undefined);
            options.onThrottled?.(entry.item, waitMs, limiter.limit);
            queue.unshift({ item: entry.item, quotaHits: entry.quotaHits + 1 });
            return;
          }
        }
        const cancelled = abort.signal.aborted || (isImageError(error) && error.kind === 'cancelled');
        settle({ item: entry.item, status: cancelled ? 'cancelled' : 'failed', error });
      },
    );
    const tracked: Promise<void> = task.finally(() => active.delete(tracked));
    active.add(tracked);
  };

  try {
    for (;;) {
      if (abort.signal.aborted || stopped) {
        for (const entry of queue.splice(0)) {
          settle({ item: entry.item, status: stopped ? 'failed' : 'cancelled', error: stopped ?? cancelledError() });
        }
      }
      if (queue.length === 0 && active.size === 0) break;
      const wait = limiter.waitMs();
      if (queue.length > 0 && active.size < limiter.limit && wait === 0) {
        const next = queue.shift();
        if (next) start(next);
        continue;
      }
      // Wait for an item to finish or, when a slot is free, for the provider's wait to pass.
      const pause = new AbortController();
      const gate = queue.length > 0 && active.size < limiter.limit && wait > 0 ? clock.sleep(wait, AbortSignal.any([pause.signal, abort.signal])).catch(() => undefined) : undefined;
      await Promise.race([...active, ...(gate ? [gate] : [])]);
      pause.abort();
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return { outcomes, throttled, concurrency: limiter };
}

/** A 429 the batch can pace itself by: its wait (if the provider named one) and whether it is a daily quota. */
export function quotaOf(error: unknown): { waitMs?: number; daily: boolean } | undefined {
  if (!isImageError(error) || error.kind !== 'quota' || error.status !== 429) return undefined;
  return { waitMs: error.retryAfterMs, daily: error.message.includes(DAILY_QUOTA_ADVICE) };
}

function cancelledError(): ImageError {
  return new ImageError('cancelled', 'Cancelled before it was sent.', { host: '' });
}

/** "37 of 100 · 2 failed · about 3 min left": the batch's progress as the notification shows it. */
export function describeBatchProgress(progress: { done: number; total: number; failed: number; elapsedMs: number }): string {
  const { done, total, failed, elapsedMs } = progress;
  const parts = [`${done} of ${total}`];
  if (failed > 0) parts.push(`${failed} failed`);
  if (done > 0 && done < total && elapsedMs > 0) {
    const left = (elapsedMs / done) * (total - done);
    parts.push(`about ${describeDuration(left < 60_000 ? Math.max(1000, Math.round(left / 5000) * 5000) : Math.round(left / 60_000) * 60_000)} left`);
  }
  return parts.join(' · ');
}
