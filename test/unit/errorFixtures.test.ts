// Real answers collected from public sources (test/fixtures/errors), replayed by the local server through the real client.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { ImageError } from '../../src/core/errors';
import { ImageClient } from '../../src/core/imageClient';
import { type ClosableTransport } from '../../src/http/index';
import { SENTINEL_TOKEN } from '../sentinel';
import { type GeminiServer } from '../server/geminiServer';
import { FakeClock, imageJob, provider, RecordingLog, useServerAndTransport } from './fixtures/clientHarness';

interface ErrorFixture {
  readonly source: string;
  readonly note: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: unknown;
  readonly job?: { model?: string; imageSize?: string };
  readonly expect: { kind: string; retried: boolean; messageIncludes: string[]; messageExcludes: string[] };
}

const FIXTURES = path.join(__dirname, '..', '..', 'test', 'fixtures', 'errors');
const MAX_RETRIES = 2;
const fixtures = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => ({ name, fixture: JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as ErrorFixture }));

let server: GeminiServer;
let transport: ClosableTransport;

useServerAndTransport((started) => {
  ({ server, transport } = started);
});

async function failureOf(fixture: ErrorFixture, log = new RecordingLog()): Promise<ImageError> {
  const client = new ImageClient({ transport, log, clock: new FakeClock(), random: () => 0.5 });
  try {
    await client.generate(imageJob(fixture.job), provider(server.url, { maxRetries: MAX_RETRIES }), SENTINEL_TOKEN);
  } catch (error) {
    assert.ok(error instanceof ImageError, `expected an ImageError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the answer to fail');
}

test('the collection covers every cause the issue names', () => {
  assert.ok(fixtures.length >= 20, `only ${fixtures.length} fixtures`);
  const kinds = new Set(fixtures.map(({ fixture }) => fixture.expect.kind));
  for (const kind of ['billing', 'notAvailable', 'historyRejected', 'imageRefused', 'modelNotFound', 'authRejected', 'quota', 'serverError', 'timeout']) {
    assert.ok(kinds.has(kind), `no fixture of kind ${kind}`);
  }
  for (const { name, fixture } of fixtures) {
    assert.match(fixture.source, /^https:\/\//, `${name} names where it was found`);
    assert.ok(fixture.expect.messageIncludes.length > 0, `${name} says what the message must contain`);
  }
});

describe('each real answer, replayed through the client and the undici transport', () => {
  for (const { name, fixture } of fixtures) {
    test(`${name}: ${fixture.expect.kind}, ${fixture.expect.retried ? 'retried' : 'not retried'}`, async () => {
      const attempts = fixture.expect.retried ? MAX_RETRIES + 1 : 1;
      // One more replay than expected: a client that retries too often still fails the count below.
      for (let i = 0; i <= attempts; i++) server.enqueue({ kind: 'replay', status: fixture.status, headers: fixture.headers, body: fixture.body });
      const log = new RecordingLog();
      const error = await failureOf(fixture, log);
      assert.equal(error.kind, fixture.expect.kind, error.message);
      assert.equal(server.requests.length, attempts, `requests sent: ${server.requests.length}; ${error.message}`);
      for (const text of fixture.expect.messageIncludes) assert.ok(error.message.includes(text), `message lacks "${text}": ${error.message}`);
      for (const text of fixture.expect.messageExcludes) assert.ok(!error.message.includes(text), `message has "${text}": ${error.message}`);
      if (fixture.status >= 400) assert.equal(error.status, fixture.status);
      assert.ok(!error.message.includes(SENTINEL_TOKEN) && !log.lines.join('\n').includes(SENTINEL_TOKEN));
    });
  }
});

test('a gateway that sends a Vertex array error with status 200 is read as that error', async () => {
  const { fixture } = fixtures.find(({ name }) => name.startsWith('vertex-array-400'))!;
  server.enqueue({ kind: 'replay', status: 200, headers: fixture.headers, body: fixture.body });
  const error = await failureOf(fixture);
  assert.equal(error.kind, 'historyRejected', error.message);
  assert.equal(error.status, 400);
});

describe('POST /__admin/replay', () => {
  test('queues a fixture file as the next answer, for tests in another process', async () => {
    const { fixture } = fixtures.find(({ name }) => name.startsWith('google-429-prepayment'))!;
    const response = await fetch(`${server.url}/__admin/replay`, { method: 'POST', body: JSON.stringify(fixture) });
    assert.equal(response.status, 200);
    const error = await failureOf(fixture);
    assert.equal(error.kind, 'billing');
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0].status, 429);
  });

  test('refuses a replay without a status or body', async () => {
    const response = await fetch(`${server.url}/__admin/replay`, { method: 'POST', body: JSON.stringify({ body: {} }) });
    assert.equal(response.status, 400);
    assert.match(((await response.json()) as { error: string }).error, /status/);
  });
});
