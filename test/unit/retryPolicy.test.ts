// How long the client waits before trying again, from headers, RetryInfo or backoff.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
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
    assert.deepEqual(retryAfterFromHeaders({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }, now), { ms: 0, source: 'Retry-After' });
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
