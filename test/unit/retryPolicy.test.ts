// How long the client waits before trying again, from headers, RetryInfo or backoff.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeDuration } from '../../src/core/errors';
import { isDailyQuota, retryAfterFromHeaders, retryDelayFromError, RetryPolicy, systemClock } from '../../src/core/retry';

const retryInfo = (retryDelay: unknown) => ({ error: { details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay }] } });

describe('RetryPolicy', () => {
  test('retryable statuses and attempt count', () => {
    const policy = new RetryPolicy({ maxRetries: 2 });
    assert.deepEqual([408, 429, 500, 502, 503, 504, 400, 401, 403, 404, 501].map((status) => policy.isRetryableStatus(status)),
      [true, true, true, true, true, true, false, false, false, false, false]);
    assert.equal(policy.maxAttempts, 3);
    assert.ok(policy.hasAttemptsAfter(2) && !policy.hasAttemptsAfter(3));
    assert.equal(new RetryPolicy({ maxRetries: -1 }).maxAttempts, 1);
  });

  test('backoff doubles with jitter between half and all, capped', () => {
    const low = new RetryPolicy({ maxRetries: 9, random: () => 0, capMs: 60_000 });
    const high = new RetryPolicy({ maxRetries: 9, random: () => 0.999999, capMs: 60_000 });
    assert.deepEqual([1, 2, 3, 4].map((attempt) => low.backoffMs(attempt)), [500, 1000, 2000, 4000]);
    assert.deepEqual([1, 2, 3, 4].map((attempt) => high.backoffMs(attempt)), [1000, 2000, 4000, 8000]);
    assert.equal(high.backoffMs(20), 60_000);
  });

  test('the provider wins over backoff: retry-after-ms, Retry-After, then RetryInfo', () => {
    const policy = new RetryPolicy({ maxRetries: 3, random: () => 0 });
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.deepEqual(policy.waitAfter(1, { 'retry-after-ms': '250', 'retry-after': '9' }, retryInfo('4s'), now), { ms: 250, source: 'retry-after-ms' });
    assert.deepEqual(policy.waitAfter(1, { 'retry-after': '9' }, retryInfo('4s'), now), { ms: 9000, source: 'Retry-After' });
    assert.deepEqual(policy.waitAfter(1, {}, retryInfo('4s'), now), { ms: 4000, source: 'RetryInfo' });
    assert.deepEqual(policy.waitAfter(1, { 'retry-after': 'soon' }, undefined, now), { ms: 500, source: 'backoff' });
  });
});

describe('reading waits', () => {
  test('Retry-After as an HTTP date, in the past, or as an array', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.deepEqual(retryAfterFromHeaders({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }, now), { ms: 30_000, source: 'Retry-After' });
    assert.equal(retryAfterFromHeaders({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }, now), undefined, 'a date in the past is no wait: back off');
    assert.deepEqual(retryAfterFromHeaders({ 'retry-after': ['2', '5'] }, now), { ms: 2000, source: 'Retry-After' });
    assert.equal(retryAfterFromHeaders({}, now), undefined);
  });

  test('RetryInfo as "2s", "0.5s" and {seconds, nanos}', () => {
    assert.equal(retryDelayFromError(retryInfo('2s')), 2000);
    assert.equal(retryDelayFromError(retryInfo('0.5s')), 500);
    assert.equal(retryDelayFromError(retryInfo({ seconds: 3, nanos: 250_000_000 })), 3250);
    assert.equal(retryDelayFromError({ error: { details: [{ '@type': 'other', retryDelay: '2s' }] } }), undefined);
    assert.equal(retryDelayFromError('not an object'), undefined);
  });

  test('zero, negative, unreadable and absurd waits count as absent, so backoff decides', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    const policy = new RetryPolicy({ maxRetries: 3, random: () => 0 });
    const backoff = { ms: 500, source: 'backoff' };
    const garbage = ['0', '-1', '-0.5', '9'.repeat(400), 'NaN', 'Infinity', '-Infinity', '1e400', '0x10', ' ', '3 s', '2.', 'Wed, 01 Jan 3025 00:00:00 GMT'];
    for (const value of garbage) {
      assert.deepEqual(policy.waitAfter(1, { 'retry-after': value }, undefined, now), backoff, `Retry-After: ${value.slice(0, 20)}`);
      assert.deepEqual(policy.waitAfter(1, { 'retry-after-ms': value }, undefined, now), backoff, `retry-after-ms: ${value.slice(0, 20)}`);
      assert.deepEqual(policy.waitAfter(1, {}, retryInfo(`${value}s`), now), backoff, `retryDelay: ${value.slice(0, 20)}s`);
    }
    for (const delay of [{ seconds: -1 }, { seconds: 'Infinity' }, { seconds: Number.NaN }, { seconds: '9'.repeat(400) }, { nanos: -5 }, { seconds: {} }, { seconds: 0, nanos: 0 }]) {
      assert.deepEqual(policy.waitAfter(1, {}, retryInfo(delay), now), backoff, JSON.stringify(delay));
    }
    // A broken header does not hide a good RetryInfo, and a real long wait (a day) is still honoured as asked.
    assert.deepEqual(policy.waitAfter(1, { 'retry-after': '-1' }, retryInfo('3s'), now), { ms: 3000, source: 'RetryInfo' });
    assert.deepEqual(policy.waitAfter(1, { 'retry-after': '86400' }, undefined, now), { ms: 86_400_000, source: 'Retry-After' });
    assert.equal(describeDuration(Number.POSITIVE_INFINITY), 'an unknown time');
  });

  test('a daily quota is recognised from QuotaFailure violations', () => {
    const quota = (quotaId: string) => ({ error: { details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId }] }] } });
    assert.ok(isDailyQuota(quota('GenerateRequestsPerDayPerProjectPerModel-FreeTier')));
    assert.ok(!isDailyQuota(quota('GenerateRequestsPerMinutePerProjectPerModel')));
    assert.ok(!isDailyQuota({ error: { message: 'quota' } }));
  });
});

describe('system clock', () => {
  test('a sleep is cut short by an abort', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await assert.rejects(systemClock.sleep(10_000, controller.signal), /stop/);
    assert.ok(Date.now() - started < 1000);
    await assert.rejects(systemClock.sleep(10, AbortSignal.abort(new Error('already'))), /already/);
    await systemClock.sleep(5);
  });
});
