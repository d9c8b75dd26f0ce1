// Adaptive batch concurrency against a fake rate-limited provider in virtual time: how many requests, 429s and how long.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AdaptiveConcurrency, describeBatchProgress, QUOTA_RETRIES_PER_ITEM, runAdaptively, type ItemOutcome } from '../../src/core/batch/adaptive';
import { DAILY_QUOTA_ADVICE } from '../../src/core/errorAnswer';
import { ImageError } from '../../src/core/errors';
import { ImageClient } from '../../src/core/imageClient';
import type { Clock } from '../../src/core/retry';
import type { GeminiServer } from '../server/geminiServer';
import type { ClosableTransport } from '../../src/http/index';
import { SENTINEL_TOKEN } from '../sentinel';
import { FakeClock, imageJob, provider, RecordingLog, useServerAndTransport } from './fixtures/clientHarness';

/** Time that only moves when everything is waiting: each step jumps to the next timer. */
class VirtualClock implements Clock {
  time = 0;
  private timers: { at: number; resolve: () => void }[] = [];

  now(): number {
    return this.time;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = { at: this.time + Math.max(0, ms), resolve };
      this.timers.push(timer);
      signal?.addEventListener('abort', () => {
        this.timers = this.timers.filter((other) => other !== timer);
        reject(signal.reason);
      }, { once: true });
    });
  }

  /** Runs the promise to its end, moving time from timer to timer whenever nothing else can happen. */
  async run<T>(promise: Promise<T>): Promise<T> {
    let done = false;
    const finished = promise.finally(() => {
      done = true;
    });
    finished.catch(() => undefined);
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done) break;
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers.shift();
      if (!next) throw new Error('nothing left to wait for, but the batch did not finish');
      this.time = Math.max(this.time, next.at);
      next.resolve();
    }
    return finished;
  }
}

/**
 * A provider allowing `perMinute` requests (a token bucket holding `burst`), answering after `latencyMs`; a request
 * over the limit gets a 429 at once whose RetryInfo says when the next one is allowed.
 */
function rateLimitedProvider(clock: VirtualClock, options: { perMinute: number; burst?: number; latencyMs: number }) {
  const interval = 60_000 / options.perMinute;
  const burst = options.burst ?? 1;
  let tokens = burst;
  let updated = 0;
  const stats = { requests: 0, throttled: 0, active: 0, maxActive: 0 };
  const send = async (): Promise<string> => {
    stats.requests++;
    tokens = Math.min(burst, tokens + (clock.now() - updated) / interval);
    updated = clock.now();
    if (tokens < 1) {
      stats.throttled++;
      const waitMs = Math.ceil((1 - tokens) * interval);
      throw new ImageError('quota', `127.0.0.1 says the quota is used up (429 RESOURCE_EXHAUSTED). It asks to wait ${waitMs} ms.`, { host: '127.0.0.1', status: 429, retryAfterMs: waitMs });
    }
    tokens -= 1;
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    await clock.sleep(options.latencyMs);
    stats.active--;
    return 'image';
  };
  return { send, stats };
}

const range = (count: number): number[] => Array.from({ length: count }, (_, index) => index + 1);

describe('adaptive batch concurrency', () => {
  test('without a limit it runs at the configured concurrency: 20 items of 1 s at 4 take 5 s', async () => {
    const clock = new VirtualClock();
    const provider = rateLimitedProvider(clock, { perMinute: 1e9, burst: 1e9, latencyMs: 1000 });
    const result = await clock.run(runAdaptively(range(20), () => provider.send(), { concurrency: 4, clock }));
    assert.equal(result.outcomes.filter((outcome) => outcome.status === 'ok').length, 20);
    assert.equal(clock.now(), 5000);
    assert.equal(provider.stats.maxActive, 4);
    assert.equal(result.throttled, 0);
    assert.deepEqual(result.concurrency.history, [[0, 4]]);
  });

  test('100 prompts at 60 per minute (1 s each): the ideal 100 s, only the first burst meets 429s, concurrency halves then climbs', async () => {
    const clock = new VirtualClock();
    const provider = rateLimitedProvider(clock, { perMinute: 60, latencyMs: 1000 });
    const result = await clock.run(runAdaptively(range(100), () => provider.send(), { concurrency: 4, clock }));
    assert.equal(result.outcomes.filter((outcome) => outcome.status === 'ok').length, 100);
    assert.ok(clock.now() <= 1.01 * 100_000, `took ${clock.now()} ms`);
    assert.equal(provider.stats.throttled, result.throttled);
    assert.equal(result.throttled, 3, 'the 3 of the first 4 over the limit; none after the pace was learned');
    assert.equal(provider.stats.requests, 103);
    const limits = result.concurrency.history.map(([, limit]) => limit);
    assert.equal(limits[0], 4);
    assert.equal(limits[1], 2, 'the first 429 halves the concurrency once, not once per request in flight');
    assert.equal(limits.at(-1), 4, `climbed back: ${limits.join(',')}`);
    assert.equal(Math.round(result.concurrency.spacingMs), 1000, 'starts spaced by the interval the waits revealed');
  });

  test('answers slower than the rate (1.03 s at 1 a second): requests overlap, paced, instead of one at a time (103 s)', async () => {
    const clock = new VirtualClock();
    const provider = rateLimitedProvider(clock, { perMinute: 60, latencyMs: 1030 });
    const result = await clock.run(runAdaptively(range(100), () => provider.send(), { concurrency: 4, clock }));
    assert.equal(result.outcomes.filter((outcome) => outcome.status === 'ok').length, 100);
    assert.ok(clock.now() <= 100_000 + 1030 + 100, `took ${clock.now()} ms`);
    assert.ok(provider.stats.maxActive >= 2);
    assert.ok(result.throttled <= 4, `${result.throttled} 429s`);
  });

  test('a provider that allows one request at a time (429, "wait 0.5 s"): pacing is given up, the concurrency halves to 1', async () => {
    const clock = new VirtualClock();
    let active = 0;
    let throttled = 0;
    const run = async (): Promise<string> => {
      if (active >= 1) {
        throttled++;
        throw new ImageError('quota', 'too many requests at once', { host: 'h', status: 429, retryAfterMs: 500 });
      }
      active++;
      await clock.sleep(2000);
      active--;
      return 'ok';
    };
    const result = await clock.run(runAdaptively(range(30), run, { concurrency: 4, clock }));
    assert.ok(result.outcomes.every((outcome) => outcome.status === 'ok'));
    assert.equal(result.concurrency.limit, 1);
    assert.equal(result.concurrency.spacingMs, 0);
    assert.ok(throttled <= 12, `${throttled} 429s for 30 requests`);
  });

  test('429s of requests sent before the slowdown halve it only once', () => {
    const clock = new VirtualClock();
    const limiter = new AdaptiveConcurrency({ concurrency: 8, clock });
    clock.time = 100;
    for (let i = 0; i < 8; i++) limiter.throttled(0, 1000);
    assert.equal(limiter.limit, 4);
    assert.equal(limiter.waitMs(), 1000);
    clock.time = 200;
    limiter.throttled(150, 2000); // sent after the slowdown: a new signal
    assert.equal(limiter.limit, 2);
    assert.equal(limiter.waitMs(), 2000);
  });

  test('climbs by one after a run of successes, and waits twice as long to retry a level that drew a 429', () => {
    const clock = new VirtualClock();
    const limiter = new AdaptiveConcurrency({ concurrency: 4, clock, climbAfter: 3 });
    limiter.throttled(0, 10);
    assert.equal(limiter.limit, 2);
    for (let i = 0; i < 3; i++) limiter.succeeded(0);
    assert.equal(limiter.limit, 3);
    clock.time = 50;
    limiter.throttled(40, 10); // level 3 fails
    assert.equal(limiter.limit, 1);
    for (let i = 0; i < 3; i++) limiter.succeeded(0);
    assert.equal(limiter.limit, 2);
    for (let i = 0; i < 5; i++) limiter.succeeded(0);
    assert.equal(limiter.limit, 2, 'level 3 drew a 429: it needs 6 successes now');
    limiter.succeeded(0);
    assert.equal(limiter.limit, 3);
    for (let i = 0; i < 10; i++) limiter.succeeded(0);
    assert.equal(limiter.limit, 4);
    for (let i = 0; i < 10; i++) limiter.succeeded(0);
    assert.equal(limiter.limit, 4, 'never above the configured concurrency');
  });

  test('no request starts during the wait a 429 asks for', async () => {
    const clock = new VirtualClock();
    const starts: number[] = [];
    let first = true;
    const run = async (): Promise<string> => {
      starts.push(clock.now());
      if (first) {
        first = false;
        throw new ImageError('quota', 'quota used up', { host: 'h', status: 429, retryAfterMs: 7000 });
      }
      await clock.sleep(100);
      return 'ok';
    };
    const result = await clock.run(runAdaptively(range(3), run, { concurrency: 1, clock }));
    assert.deepEqual(starts, [0, 7000, 7100, 7200]);
    assert.equal(result.outcomes.length, 3);
    assert.ok(result.outcomes.every((outcome) => outcome.status === 'ok'));
  });

  test('a daily quota stops the batch: nothing more is sent and every item left fails with its message', async () => {
    const clock = new VirtualClock();
    let sent = 0;
    const run = async (): Promise<string> => {
      sent++;
      await clock.sleep(10);
      throw new ImageError('quota', `h says the quota is used up (429). ${DAILY_QUOTA_ADVICE}`, { host: 'h', status: 429 });
    };
    const result = await clock.run(runAdaptively(range(10), run, { concurrency: 2, clock }));
    assert.equal(sent, 2);
    assert.equal(result.outcomes.length, 10);
    assert.ok(result.outcomes.every((outcome) => outcome.status === 'failed' && (outcome.error as Error).message.includes('daily quota')));
  });

  test('a wait longer than the batch sits through stops it too', async () => {
    const clock = new VirtualClock();
    let sent = 0;
    const run = async (): Promise<string> => {
      sent++;
      throw new ImageError('quota', 'quota used up', { host: 'h', status: 429, retryAfterMs: 3_600_000 });
    };
    const result = await clock.run(runAdaptively(range(5), run, { concurrency: 1, clock }));
    assert.equal(sent, 1);
    assert.ok(result.outcomes.every((outcome) => outcome.status === 'failed'));
    assert.equal(clock.now(), 0, 'it did not sit through the hour');
  });

  test('a provider that never lets anything through costs one item its retries, not every item (no retry storm)', async () => {
    const clock = new VirtualClock();
    let sent = 0;
    const run = async (): Promise<string> => {
      sent++;
      throw new ImageError('quota', 'quota used up', { host: 'h', status: 429, retryAfterMs: 1000 });
    };
    const result = await clock.run(runAdaptively(range(50), run, { concurrency: 4, clock }));
    assert.equal(result.outcomes.length, 50);
    assert.ok(result.outcomes.every((outcome) => outcome.status === 'failed'));
    assert.ok(sent <= QUOTA_RETRIES_PER_ITEM + 4, `${sent} requests`);
  });

  test('other failures fail their item only, without slowing the batch', async () => {
    const clock = new VirtualClock();
    const run = async (item: number): Promise<number> => {
      await clock.sleep(100);
      if (item % 3 === 0) throw new ImageError('imageRefused', `refused ${item}`, { host: 'h' });
      return item;
    };
    const settled: ItemOutcome<number, number>[] = [];
    const result = await clock.run(runAdaptively(range(9), run, { concurrency: 3, clock, onSettled: (outcome) => settled.push(outcome) }));
    assert.deepEqual(settled.filter((outcome) => outcome.status === 'failed').map((outcome) => outcome.item).sort(), [3, 6, 9]);
    assert.equal(result.concurrency.limit, 3);
    assert.equal(clock.now(), 300);
  });

  test('cancel: items in flight see the abort, nothing more starts, the rest are cancelled', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    let started = 0;
    const run = async (_item: number, signal: AbortSignal): Promise<string> => {
      started++;
      if (started === 2) controller.abort();
      await clock.sleep(100, signal);
      return 'ok';
    };
    const result = await clock.run(runAdaptively(range(10), run, { concurrency: 2, clock, signal: controller.signal }));
    assert.equal(started, 2);
    assert.equal(result.outcomes.length, 10);
    assert.ok(result.outcomes.every((outcome) => outcome.status === 'cancelled'));
  });
});

describe('the client hands a 429 back to the batch', () => {
  let server: GeminiServer;
  let transport: ClosableTransport;
  useServerAndTransport((started) => ({ server, transport } = started));

  test('retryQuota false: one request, the RetryInfo wait on the error; 5xx still retried by the client', async () => {
    const client = new ImageClient({ transport, log: new RecordingLog(), clock: new FakeClock(), random: () => 0.5 });
    server.enqueue({ kind: 'error', status: 429, retryDelay: '2s' });
    await assert.rejects(client.generate(imageJob(), provider(server.url, { retryQuota: false }), SENTINEL_TOKEN), (error: ImageError) => {
      assert.equal(error.kind, 'quota');
      assert.equal(error.retryAfterMs, 2000);
      return true;
    });
    assert.equal(server.requests.length, 1);
    server.reset();
    server.enqueue({ kind: 'error', status: 503 });
    const result = await client.generate(imageJob(), provider(server.url, { retryQuota: false }), SENTINEL_TOKEN);
    assert.equal(result.images.length, 1);
    assert.equal(server.requests.length, 2);
  });
});

describe('batch progress text', () => {
  test('done, failed and time left', () => {
    assert.equal(describeBatchProgress({ done: 0, total: 100, failed: 0, elapsedMs: 0 }), '0 of 100');
    assert.equal(describeBatchProgress({ done: 37, total: 100, failed: 2, elapsedMs: 111_000 }), '37 of 100 · 2 failed · about 3 min left');
    assert.equal(describeBatchProgress({ done: 90, total: 100, failed: 0, elapsedMs: 90_000 }), '90 of 100 · about 10 s left');
    assert.equal(describeBatchProgress({ done: 100, total: 100, failed: 1, elapsedMs: 90_000 }), '100 of 100 · 1 failed');
  });
});
