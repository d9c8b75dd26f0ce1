// Google's Batch API answers read field by field (status, results, numbers given as text), result lines split at
// every newline, and the exact requests, log lines and error texts of submit, upload, status, cancel and download.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  BatchApi,
  estimateAnswerBytes,
  followBatch,
  jsonLines,
  missingResultMessage,
  parseBatchStatus,
  readResult,
  type BatchApiClient,
  type BatchResult,
} from '../../src/core/batch/batchApi';
import { ImageError, isImageError } from '../../src/core/errors';
import type { ApiAnswer, ApiCall } from '../../src/core/imageClient';
import { FakeClock, imageJob, provider, RecordingLog } from './fixtures/clientHarness';

const HOST = 'example.test';
const BASE = 'https://example.test';

async function lines(chunks: string[]): Promise<string[]> {
  async function* body(): AsyncGenerator<Uint8Array> {
    for (const chunk of chunks) yield Buffer.from(chunk);
  }
  const out: string[] = [];
  for await (const line of jsonLines(body())) out.push(line);
  return out;
}

describe('batchApi: answers read field by field', () => {
  test('an unknown or missing image size is estimated as 1K', () => {
    assert.equal(estimateAnswerBytes([{ key: 'a', job: imageJob() }]), 3_000_000);
    assert.equal(estimateAnswerBytes([{ key: 'a', job: imageJob({ imageSize: '8K' }) }]), 3_000_000);
    assert.equal(estimateAnswerBytes([{ key: 'a', job: imageJob({ imageSize: '4K' }) }, { key: 'b', job: imageJob({ imageSize: '512' }) }]), 33_000_000);
  });

  test('a batch resource (empty metadata) is read from the top level', () => {
    const status = parseBatchStatus({ name: 'batches/a', metadata: {}, state: 'JOB_STATE_RUNNING', batchStats: { requestCount: '12' } }, HOST);
    assert.deepEqual(status, { name: 'batches/a', state: 'running', total: 12 });
  });

  test('metadata null or an array counts as absent', () => {
    assert.deepEqual(parseBatchStatus({ name: 'batches/a', metadata: null, state: 'JOB_STATE_PENDING' }, HOST), { name: 'batches/a', state: 'pending' });
    assert.deepEqual(parseBatchStatus({ name: 'batches/a', metadata: [1], state: 'JOB_STATE_PENDING' }, HOST), { name: 'batches/a', state: 'pending' });
  });

  test('an operation error makes a running batch failed, a cancelled one stays cancelled', () => {
    const failed = parseBatchStatus({ name: 'batches/a', metadata: { state: 'JOB_STATE_RUNNING' }, error: { message: 'boom' } }, HOST);
    assert.deepEqual(failed, { name: 'batches/a', state: 'failed', error: 'boom' });
    const cancelled = parseBatchStatus({ name: 'batches/a', metadata: { state: 'JOB_STATE_CANCELLED' }, error: { code: 1 } }, HOST);
    assert.deepEqual(cancelled, { name: 'batches/a', state: 'cancelled', error: '{"code":1}' });
  });

  test('a done operation without a state has succeeded; one with a state keeps it', () => {
    assert.equal(parseBatchStatus({ name: 'batches/a', done: true }, HOST).state, 'succeeded');
    assert.equal(parseBatchStatus({ name: 'batches/a', done: true, metadata: { state: 'JOB_STATE_EXPIRED' } }, HOST).state, 'expired');
    assert.equal(parseBatchStatus({ name: 'batches/a', done: 'true' }, HOST).state, 'unknown');
  });

  test('counts are numbers or digit-only text; anything else is left out', () => {
    const status = parseBatchStatus({ name: 'batches/a', metadata: { batchStats: { requestCount: 4, successfulRequestCount: '3x', failedRequestCount: 'x1' } } }, HOST);
    assert.deepEqual(status, { name: 'batches/a', state: 'unknown', total: 4 });
    assert.equal('succeeded' in status, false);
    assert.equal('failed' in status, false);
  });

  test('a result without a response is an error; a key is only there when named', () => {
    assert.deepEqual(readResult({ key: 'k' }, HOST), { key: 'k', error: `${HOST} sent no answer for this request.` });
    assert.deepEqual(readResult({}, HOST), { error: `${HOST} sent no answer for this request.` });
    assert.deepEqual(readResult({ response: { a: 1 } }, HOST), { response: { a: 1 } });
    assert.deepEqual(readResult({ metadata: { key: 'm' }, response: 1 }, HOST), { key: 'm', response: 1 });
    const both = readResult({ key: 'k', response: {}, error: { code: 400, message: 'bad prompt' } }, HOST);
    assert.equal('response' in both, false);
    assert.match(both.error ?? '', /bad prompt/);
  });

  test('an error code outside 400..599 is read as 500', () => {
    const message = (code: number): string => readResult({ error: { code, message: 'why' } }, HOST).error ?? '';
    assert.equal(message(399), message(500));
    assert.equal(message(600), message(500));
    assert.notEqual(message(400), message(500));
    assert.notEqual(message(599), message(500));
    assert.equal(message(404), readResult({ error: { code: 404, message: 'why' } }, HOST, '').error);
    assert.doesNotMatch(message(404), /Stryker/);
  });

  test('why a request has no result, per batch state', () => {
    const base = { name: 'batches/a' } as const;
    assert.equal(missingResultMessage({ ...base, state: 'failed', error: 'quota' }), 'Not made: batch batches/a failed (quota).');
    assert.equal(missingResultMessage({ ...base, state: 'failed' }), 'Not made: batch batches/a failed.');
    assert.equal(missingResultMessage({ ...base, state: 'succeeded' }), 'No result for this request came back in batch batches/a.');
  });

  test('lines split at every newline, including one at the start of a chunk; blank and trailing whitespace dropped', async () => {
    assert.deepEqual(await lines(['\na\nb']), ['a', 'b']);
    assert.deepEqual(await lines(['a\n']), ['a']);
    assert.deepEqual(await lines(['a\n  b  ']), ['a', 'b']);
    assert.deepEqual(await lines(['x', 'y\n', '\nz', 'w']), ['xy', 'zw']);
  });
});

type Script = (call: ApiCall<unknown>) => Partial<ApiAnswer<unknown>> | Promise<Partial<ApiAnswer<unknown>>>;

function fakeApi(script: Script, extra: { inlineLimitBytes?: number; baseUrl?: string } = {}): { api: BatchApi; calls: ApiCall<unknown>[]; log: RecordingLog } {
  const calls: ApiCall<unknown>[] = [];
  const client: BatchApiClient = {
    async call<V>(call: ApiCall<V>): Promise<ApiAnswer<V>> {
      calls.push(call as ApiCall<unknown>);
      const answer = await script(call as ApiCall<unknown>);
      return { status: 200, headers: {}, value: '' as unknown as V, ...answer } as ApiAnswer<V>;
    },
  };
  const log = new RecordingLog();
  const api = new BatchApi({ client, provider: provider(extra.baseUrl ?? BASE), token: 't', log, inlineLimitBytes: extra.inlineLimitBytes });
  return { api, calls, log };
}

const batchAnswer = { value: JSON.stringify({ name: 'batches/new', metadata: { state: 'JOB_STATE_PENDING' } }) };

describe('batchApi: the requests it makes', () => {
  test('a file batch logs why, uploads with the JSONL type and display name, then submits', async () => {
    const { api, calls, log } = fakeApi((call) => {
      if (call.summary.startsWith('file upload start')) return { headers: { 'x-goog-upload-url': `${BASE}/upload/session1` } };
      if (call.summary === 'file upload') return { value: JSON.stringify({ file: { name: 'files/f1' } }) };
      return batchAnswer;
    }, { inlineLimitBytes: 1 });
    const status = await api.submit('gemini-3-pro-image-preview', [{ key: 'a', job: imageJob() }], 'my batch');
    assert.equal(status.name, 'batches/new');
    assert.equal(log.lines.length, 1);
    assert.match(log.lines[0], /^info Batch my batch: 1 requests \(.+, answers up to ~.+\) go as a file through the Files API$/);
    const [start, upload, submit] = calls;
    assert.equal(start.request.url, `${BASE}/upload/v1beta/files`);
    assert.equal(start.request.headers['x-goog-upload-header-content-type'], 'application/jsonl');
    assert.deepEqual(JSON.parse(String(start.request.body)), { file: { displayName: 'my batch' } });
    assert.match(start.summary, /^file upload start \(.+\)$/);
    assert.equal(upload.request.url, `${BASE}/upload/session1`);
    assert.equal(upload.request.headers['content-type'], 'application/jsonl');
    assert.equal(upload.summary, 'file upload');
    assert.equal(submit.summary, 'model=gemini-3-pro-image-preview batch of 1 (file)');
    assert.match(String(submit.request.body), /files\/f1/);
  });

  test('an upload that names no file is refused with a readable message', async () => {
    const { api } = fakeApi((call) => {
      if (call.summary.startsWith('file upload start')) return { headers: { 'x-goog-upload-url': `${BASE}/upload/session1` } };
      return { value: JSON.stringify({ file: { name: 'nope' } }) };
    }, { inlineLimitBytes: 1 });
    await assert.rejects(api.submit('m', [{ key: 'a', job: imageJob() }], 'd'), (error: unknown) => {
      assert.ok(isImageError(error));
      assert.equal(error.message, `${HOST} did not name the uploaded batch file (files/…).`);
      return true;
    });
  });

  test('an upload address that is not a URL is refused', async () => {
    const { api, calls } = fakeApi(() => ({ headers: { 'x-goog-upload-url': 'not a url' } }), { inlineLimitBytes: 1 });
    await assert.rejects(api.submit('m', [{ key: 'a', job: imageJob() }], 'd'), /did not give an upload address of its own/);
    assert.equal(calls.length, 1);
  });

  test('an answer that is not JSON says so', async () => {
    const { api } = fakeApi(() => ({ value: '<html>' }));
    await assert.rejects(api.status('batches/a'), (error: unknown) => {
      assert.ok(isImageError(error));
      assert.equal(error.message, `${HOST} answered the Batch API call with something that is not JSON: it may not offer Google's Batch API.`);
      return true;
    });
  });

  test('status and cancel requests; a name that is not a batch is refused before any call', async () => {
    const { api, calls } = fakeApi(() => batchAnswer);
    await api.status('batches/a');
    await api.cancel('batches/a');
    assert.equal(calls[0].request.method, 'GET');
    assert.equal(calls[0].request.url, `${BASE}/v1beta/batches/a`);
    assert.deepEqual(calls[0].request.headers, { accept: 'application/json' });
    assert.equal(calls[0].summary, 'batches/a status');
    assert.equal(calls[0].maxResponseBytes, 512 * 1024 * 1024);
    assert.equal(calls[1].request.url, `${BASE}/v1beta/batches/a:cancel`);
    assert.equal(calls[1].request.body, '{}');
    assert.deepEqual(calls[1].request.headers, { 'content-type': 'application/json', accept: 'application/json' });
    assert.equal(calls[1].summary, 'batches/a cancel');
    await assert.rejects(api.cancel('batches/../x'), (error: unknown) => {
      assert.ok(isImageError(error));
      assert.equal(error.message, '"batches/../x" is not a batch name (batches/…).');
      return true;
    });
    assert.equal(calls.length, 2);
  });

  test('a results file is downloaded beside /v1beta and a line that is not JSON is skipped with a warning', async () => {
    const { api, calls, log } = fakeApi(async (call) => {
      async function* body(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('{"key":"a","response":1}\nnot json\n{"key":"b","response":2}\n');
      }
      await call.read?.(body() as never);
      return {};
    }, { baseUrl: `${BASE}/gw` });
    const results: BatchResult[] = [];
    await api.results({ name: 'batches/a', state: 'succeeded', responsesFile: 'files/r' }, async (result) => {
      results.push(result);
    });
    assert.deepEqual(results, [{ key: 'a', response: 1 }, { key: 'b', response: 2 }]);
    assert.equal(calls[0].request.url, `${BASE}/gw/download/v1beta/files/r:download?alt=media`);
    assert.equal(calls[0].summary, 'files/r download');
    assert.deepEqual(log.lines, [`warn ${HOST}: skipped a results line that is not JSON (8 bytes)`]);
  });
});

describe('batchApi: polling through passing trouble', () => {
  for (const kind of ['network', 'timeout', 'serverError', 'quota'] as const) {
    test(`a ${kind} poll failure is logged and the next poll tried`, async () => {
      const log = new RecordingLog();
      let polls = 0;
      const api = {
        status: async (name: string) => {
          polls++;
          if (polls === 1) throw new ImageError(kind, 'gateway hiccup', { host: HOST });
          return { name, state: 'succeeded' as const };
        },
      };
      const final = await followBatch(api, 'batches/x', { clock: new FakeClock(), log });
      assert.equal(final.state, 'succeeded');
      assert.equal(polls, 2);
      assert.deepEqual(log.lines, ['warn Batch batches/x: poll failed (gateway hiccup); trying again later']);
    });
  }
});
