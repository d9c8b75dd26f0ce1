// Google's Batch API mode: the submission (inline or file), state parsing, the poll schedule, results saved per key
// through the interactive runs' streaming path, per-line failures and cancel, against the local server.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import {
  BatchApi,
  buildBatchSubmission,
  FIRST_POLL_MS,
  followBatch,
  jsonLines,
  estimateAnswerBytes,
  MAX_POLL_MS,
  offersBatchApi,
  parseBatchStatus,
  pollDelayMs,
  readResult,
  type BatchEntry,
  type BatchStatus,
} from '../../src/core/batch/batchApi';
import { readRememberedBatches, rememberItem, restoreItems } from '../../src/core/batch/batchRecord';
import { saveBatchResults, type BatchItemTarget, type ExistingImages } from '../../src/core/batch/batchResults';
import { isOutputName, type ExistingImage } from '../../src/core/batch/resume';
import { ImageError, isImageError } from '../../src/core/errors';
import { ImageClient } from '../../src/core/imageClient';
import { DiskImageStore } from '../../src/core/jobs/imageStore';
import { removeKeyColour } from '../../src/core/image/backgroundRemoval';
import type { BackgroundRemover } from '../../src/core/image/transparencyChunk';
import { decodePng } from '../../src/core/image/pixels';
import { keyedPrompt } from '../../src/core/image/keyColour';
import { readRecipe, removeRecipe } from '../../src/core/recipe';
import type { Transport } from '../../src/core/transport';
import { type ClosableTransport } from '../../src/http/index';
import { SENTINEL_TOKEN } from '../sentinel';
import { type GeminiServer } from '../server/geminiServer';
import { FakeClock, imageJob, provider, RecordingLog, useLogAndFolder, useServerAndTransport } from './fixtures/clientHarness';
import { reference, testPng } from './fixtures/images';

const GOOGLE = 'https://generativelanguage.googleapis.com';
const MODEL = 'gemini-3.1-flash-image';

let server: GeminiServer;
let transport: ClosableTransport;
let folder: string;
let log: RecordingLog;

useServerAndTransport((started) => {
  ({ server, transport } = started);
});

useLogAndFolder('batch-api-', (each) => {
  ({ log, folder } = each);
});

function entries(count: number, overrides: Parameters<typeof imageJob>[0] = {}): BatchEntry[] {
  return Array.from({ length: count }, (_, index) => ({ key: `line-${index + 1}`, job: imageJob({ model: MODEL, prompt: `product shot number ${index + 1}`, ...overrides }) }));
}

function items(list: readonly BatchEntry[]): BatchItemTarget<string>[] {
  return list.map((entry, index) => ({ key: entry.key, line: index + 1, job: entry.job, slug: `shot-${index + 1}`, folder }));
}

function client(): ImageClient {
  return new ImageClient({ transport, log, clock: new FakeClock(), random: () => 0.5 });
}

function batchApi(inlineLimitBytes?: number): BatchApi {
  return new BatchApi({ client: client(), provider: provider(server.url, { maxRetries: 1 }), token: SENTINEL_TOKEN, log, inlineLimitBytes });
}

async function saveAll(api: BatchApi, status: BatchStatus, targets: readonly BatchItemTarget<string>[]) {
  return saveBatchResults(status, targets, {
    api,
    reader: client(),
    provider: provider(server.url),
    token: SENTINEL_TOKEN,
    storeFor: (where) => new DiskImageStore(where),
    log,
  });
}

describe('the submission', () => {
  test('inline: one request per entry with its key as metadata, the generateContent body, nothing Google refuses', () => {
    const list = entries(2, { aspectRatio: '16:9', outputFormat: 'png' });
    const submission = buildBatchSubmission(list, 'covers', GOOGLE);
    assert.equal(submission.kind, 'inline');
    const body = JSON.parse(submission.kind === 'inline' ? submission.body : '') as { batch: { displayName: string; inputConfig: { requests: { requests: { request: Record<string, unknown>; metadata: { key: string } }[] } } } };
    assert.equal(body.batch.displayName, 'covers');
    const requests = body.batch.inputConfig.requests.requests;
    assert.deepEqual(requests.map((request) => request.metadata.key), ['line-1', 'line-2']);
    assert.deepEqual(requests[1].request, {
      contents: [{ role: 'user', parts: [{ text: 'product shot number 2' }] }],
      generationConfig: { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '16:9' } },
    });
  });

  test('over the inline limit the requests become JSONL lines {key, request} and the body names the uploaded file', () => {
    const list = entries(3, { references: [reference('shoe.png', testPng(64, 64))] });
    const inline = buildBatchSubmission(list, 'shoes', GOOGLE);
    assert.equal(inline.kind, 'inline');
    const size = Buffer.byteLength(inline.kind === 'inline' ? inline.body : '');
    assert.equal(buildBatchSubmission(list, 'shoes', GOOGLE, size).kind, 'inline', 'exactly at the limit is still inline');
    const file = buildBatchSubmission(list, 'shoes', GOOGLE, size - 1);
    assert.equal(file.kind, 'file');
    if (file.kind !== 'file') return;
    const lines = file.jsonl.trimEnd().split('\n').map((line) => JSON.parse(line) as { key: string; request: { contents: { parts: Record<string, unknown>[] }[] } });
    assert.deepEqual(lines.map((line) => line.key), ['line-1', 'line-2', 'line-3']);
    assert.ok('inline_data' in lines[0].request.contents[0].parts[1], 'the reference travels in the file');
    assert.deepEqual(JSON.parse(file.body('files/abc')), { batch: { displayName: 'shoes', inputConfig: { fileName: 'files/abc' } } });
  });

  test('small requests whose answers would be large (many 4K images) go as a file too, so the results come one by one', () => {
    const fourK = entries(3, { imageSize: '4K' });
    const expected = estimateAnswerBytes(fourK);
    assert.ok(expected > estimateAnswerBytes(entries(3, { imageSize: '1K' })), 'a 4K answer is expected to weigh more than a 1K one');
    assert.equal(buildBatchSubmission(fourK, 'big', GOOGLE, undefined, expected).kind, 'inline', 'exactly at the limit is still inline');
    assert.equal(buildBatchSubmission(fourK, 'big', GOOGLE, undefined, expected - 1).kind, 'file');
    assert.equal(buildBatchSubmission(entries(40), 'forty 1K', GOOGLE).kind, 'file', 'forty 1K answers pass the default 64 MiB');
    assert.equal(buildBatchSubmission(entries(10), 'ten 1K', GOOGLE).kind, 'inline');
  });
});

describe('batch states', () => {
  const operation = (state: string, extra: Record<string, unknown> = {}): unknown => ({
    name: 'batches/b1',
    metadata: { name: 'batches/b1', state, batchStats: { requestCount: '40', successfulRequestCount: '12', failedRequestCount: '1' } },
    ...extra,
  });

  test('every Google state in the user words, counts read from their int64 strings', () => {
    const expected: Record<string, string> = {
      BATCH_STATE_PENDING: 'pending',
      BATCH_STATE_RUNNING: 'running',
      BATCH_STATE_SUCCEEDED: 'succeeded',
      BATCH_STATE_FAILED: 'failed',
      BATCH_STATE_CANCELLED: 'cancelled',
      BATCH_STATE_EXPIRED: 'expired',
      SOMETHING_NEW: 'unknown',
    };
    for (const [google, ours] of Object.entries(expected)) assert.equal(parseBatchStatus(operation(google), 'h').state, ours, google);
    const status = parseBatchStatus(operation('BATCH_STATE_RUNNING'), 'h');
    assert.deepEqual([status.total, status.succeeded, status.failed], [40, 12, 1]);
  });

  test('results are read where Google puts them (metadata.output) and from an operation response too', () => {
    const inlined = { inlinedResponses: { inlinedResponses: [{ response: { candidates: [] }, metadata: { key: 'a' } }, { error: { code: 400, message: 'bad ratio' }, metadata: { key: 'b' } }] } };
    const fromMetadata = parseBatchStatus({ name: 'batches/b1', done: true, metadata: { state: 'BATCH_STATE_SUCCEEDED', output: inlined } }, 'h');
    assert.deepEqual(fromMetadata.inlined?.map((result) => result.key), ['a', 'b']);
    assert.ok(fromMetadata.inlined?.[1].error?.includes('bad ratio'));
    const fromResponse = parseBatchStatus({ name: 'batches/b1', done: true, metadata: { state: 'BATCH_STATE_SUCCEEDED' }, response: { responsesFile: 'files/out-1' } }, 'h');
    assert.equal(fromResponse.responsesFile, 'files/out-1');
    const hostile = parseBatchStatus({ name: 'batches/b1', metadata: { state: 'BATCH_STATE_SUCCEEDED', output: { responsesFile: '../../etc/passwd' } } }, 'h');
    assert.equal(hostile.responsesFile, undefined, 'a file name that is not files/… is never put into a URL');
  });

  test('an operation error is a failed batch with its message; an answer without a batch name is not a batch', () => {
    const failed = parseBatchStatus(operation('BATCH_STATE_RUNNING', { done: true, error: { code: 13, message: 'internal' } }), 'h');
    assert.equal(failed.state, 'failed');
    assert.equal(failed.error, 'internal');
    assert.throws(() => parseBatchStatus({ id: 'x', choices: [] }, 'gateway.example'), (error: unknown) => isImageError(error) && error.kind === 'malformedAnswer' && /Batch API/.test(error.message));
    assert.throws(() => parseBatchStatus({ name: 'batches/../../models' }, 'h'), ImageError);
  });

  test('a per-request error reads like an interactive one, and its key comes from metadata or the line', () => {
    const quota = readResult({ error: { code: 429, message: 'Resource has been exhausted', status: 'RESOURCE_EXHAUSTED' }, metadata: { key: 'k1' } }, 'generativelanguage.googleapis.com');
    assert.equal(quota.key, 'k1');
    assert.match(quota.error ?? '', /generativelanguage\.googleapis\.com/);
    assert.equal(readResult({ key: 'k2', response: { candidates: [] } }, 'h').key, 'k2');
    assert.ok(readResult({ key: 'k3' }, 'h').error, 'neither response nor error is a failure, not an empty success');
  });
});

test('the poll schedule: first poll within 5 s, growing, never more than a minute apart', () => {
  const delays = Array.from({ length: 40 }, (_, poll) => pollDelayMs(poll));
  assert.ok(delays[0] <= 5_000 && delays[0] > 0);
  assert.equal(delays[0], FIRST_POLL_MS);
  for (let i = 1; i < delays.length; i++) assert.ok(delays[i] >= delays[i - 1], `poll ${i} waits less than poll ${i - 1}`);
  assert.ok(delays[1] > delays[0], 'it backs off');
  assert.equal(Math.max(...delays), MAX_POLL_MS);
  assert.equal(delays[39], MAX_POLL_MS);
});

test('results-file lines are split wherever the chunks break, CRLF and a missing last newline included', async () => {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    yield Buffer.from('{"key":"a"}\r\n{"ke');
    yield Buffer.from('y":"b"}\n\n{"key":');
    yield Buffer.from('"c"}');
  }
  const lines: string[] = [];
  for await (const line of jsonLines(chunks())) lines.push(line);
  assert.deepEqual(lines, ['{"key":"a"}', '{"key":"b"}', '{"key":"c"}']);
});

test('followBatch keeps polling through a network failure, stops at a finished state, and reports each status', async () => {
  const states = ['pending', 'network', 'running', 'succeeded'];
  const seen: string[] = [];
  const clock = new FakeClock();
  const api = {
    status: async (name: string): Promise<BatchStatus> => {
      const next = states.shift();
      if (next === 'network') throw new ImageError('network', 'Could not reach h', { host: 'h' });
      return { name, state: next as BatchStatus['state'] };
    },
  };
  const final = await followBatch(api, 'batches/x', { clock, onStatus: (status) => seen.push(status.state), log });
  assert.equal(final.state, 'succeeded');
  assert.deepEqual(seen, ['pending', 'running', 'succeeded']);
  assert.deepEqual(clock.sleeps, [0, 1, 2, 3].map(pollDelayMs));
  for (const end of ['failed', 'cancelled', 'expired'] as const) {
    const queue: BatchStatus['state'][] = ['running', end, 'running'];
    const ended = await followBatch({ status: async (name: string) => ({ name, state: queue.shift() ?? 'running' }) }, 'batches/x', { clock });
    assert.equal(ended.state, end, `${end} ends the wait`);
  }
  const refused = { status: async (): Promise<BatchStatus> => Promise.reject(new ImageError('authRejected', 'rejected', { host: 'h' })) };
  await assert.rejects(followBatch(refused, 'batches/x', { clock }), (error: unknown) => isImageError(error) && error.kind === 'authRejected');
});

describe('against the local server', () => {
  test('inline batch: submitted, polled pending → running → succeeded, every image saved with its recipe naming the batch', async () => {
    const api = batchApi();
    const list = entries(3);
    const submitted = await api.submit(MODEL, list, 'product shots');
    assert.equal(submitted.state, 'pending');
    const create = server.requests.find((request) => request.path.endsWith(':batchGenerateContent'));
    assert.equal(create?.path, `/v1beta/models/${MODEL}:batchGenerateContent`);
    assert.equal(create?.headers.authorization, `Bearer ${SENTINEL_TOKEN}`);
    assert.deepEqual(create?.query, {});
    const seen: string[] = [];
    const final = await followBatch(api, submitted.name, { clock: new FakeClock(), onStatus: (status) => seen.push(status.state) });
    assert.deepEqual(seen, ['running', 'succeeded']);
    const outcome = await saveAll(api, final, items(list));
    assert.deepEqual(outcome.failures, []);
    assert.deepEqual(outcome.files.map((file) => path.basename(file)).sort(), ['shot-1.png', 'shot-2.png', 'shot-3.png']);
    const recipe = readRecipe(await fs.readFile(path.join(folder, 'shot-2.png')));
    assert.equal(recipe?.prompt, 'product shot number 2');
    assert.equal(recipe?.batch, submitted.name);
    assert.equal(recipe?.model, MODEL);
    assert.ok(recipe?.usage?.totalTokenCount, 'usage from the batch answer is in the recipe');
  });

  test('a transparent item: the answer on its key colour is saved with the background removed, as interactive runs do', async () => {
    const api = batchApi();
    const [entry] = entries(1);
    const list = [{ ...entry, job: { ...entry.job, prompt: keyedPrompt('a paper plane').prompt } }];
    const submitted = await api.submit(MODEL, list, 'icons');
    const final = await followBatch(api, submitted.name, { clock: new FakeClock() });
    const removed: string[] = [];
    const outcome = await saveBatchResults(final, items(list).map((item) => ({ ...item, background: 'transparent' as const })), {
      api,
      reader: client(),
      provider: provider(server.url),
      token: SENTINEL_TOKEN,
      storeFor: (where) => new DiskImageStore(where),
      log,
      removeBackground: async (image, key) => {
        removed.push(key.hex);
        return removeKeyColour(image, key);
      },
    });
    assert.deepEqual(outcome.failures, []);
    assert.deepEqual(removed, ['#FF00FF'], 'the key the prompt asked for is the one removed');
    const bytes = await fs.readFile(path.join(folder, 'shot-1.png'));
    assert.equal(readRecipe(bytes)?.background, 'transparent');
    const pixels = decodePng(removeRecipe(bytes));
    assert.ok(pixels);
    assert.equal(pixels.data[3], 0, 'corner transparent');
    assert.equal(pixels.data[((pixels.height >> 1) * pixels.width + (pixels.width >> 1)) * 4 + 3], 255, 'subject opaque');
  });

  test('results are matched by key, not by position: answers that come back in another order land in their own files', async () => {
    const api = batchApi();
    // Each line asks for another shape, so each file shows which answer it holds.
    const ratios = ['1:1', '16:9', '9:16'];
    const list = entries(3).map((entry, index) => ({ ...entry, job: { ...entry.job, aspectRatio: ratios[index] } }));
    const submitted = await api.submit(MODEL, list, 'shuffled');
    const final = await followBatch(api, submitted.name, { clock: new FakeClock() });
    const reversed = { results: (status: BatchStatus, onResult: Parameters<BatchApi['results']>[1]) => api.results({ ...status, inlined: [...(status.inlined ?? [])].reverse() }, onResult) };
    const outcome = await saveBatchResults(final, items(list), { api: reversed, reader: client(), provider: provider(server.url), token: SENTINEL_TOKEN, storeFor: (where) => new DiskImageStore(where), log });
    assert.deepEqual(outcome.failures, []);
    const shapes: string[] = [];
    for (const index of [1, 2, 3]) {
      const png = await fs.readFile(path.join(folder, `shot-${index}.png`));
      const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
      shapes.push(width === height ? 'square' : width > height ? 'wide' : 'tall');
    }
    assert.deepEqual(shapes, ['square', 'wide', 'tall']);
  });

  test('a refusal and an error for two lines fail those lines only; the others are saved', async () => {
    server.enqueue({ kind: 'refused', reason: 'IMAGE_SAFETY' }, { kind: 'blocked' }, { kind: 'error', status: 400, message: 'Unable to process input image.' });
    // Queue order: request 1 refused, request 2 blocked, request 3 error, request 4 fine.
    const api = batchApi();
    const list = entries(4);
    const submitted = await api.submit(MODEL, list, 'mixed');
    const final = await followBatch(api, submitted.name, { clock: new FakeClock() });
    const outcome = await saveAll(api, final, items(list));
    assert.deepEqual(outcome.files.map((file) => path.basename(file)), ['shot-4.png']);
    assert.deepEqual(outcome.failures.map((failure) => failure.line), [1, 2, 3]);
    assert.match(outcome.failures[0].message, /IMAGE_SAFETY|safety/i);
    assert.match(outcome.failures[2].message, /Unable to process input image/);
    assert.deepEqual((await fs.readdir(folder)).sort(), ['shot-4.png'], 'no temporary file is left behind');
  });

  test('over the inline limit: the JSONL goes up through the Files API, the results file comes down, images saved', async () => {
    const api = batchApi(200);
    const list = entries(2);
    const submitted = await api.submit(MODEL, list, 'big one');
    const paths = server.requests.map((request) => `${request.method} ${request.path}`);
    assert.deepEqual(paths, ['POST /upload/v1beta/files', 'POST /upload/v1beta/files', `POST /v1beta/models/${MODEL}:batchGenerateContent`]);
    assert.equal(server.requests[1].headers['x-goog-upload-command'], 'upload, finalize');
    assert.equal(server.requests[1].headers.authorization, `Bearer ${SENTINEL_TOKEN}`);
    const final = await followBatch(api, submitted.name, { clock: new FakeClock() });
    assert.match(final.responsesFile ?? '', /^files\//);
    const outcome = await saveAll(api, final, items(list));
    assert.deepEqual(outcome.failures, []);
    assert.equal(outcome.files.length, 2);
    assert.ok(server.requests.some((request) => request.path.startsWith('/download/v1beta/files/') && request.query.alt === 'media'));
    assert.equal(readRecipe(await fs.readFile(path.join(folder, 'shot-1.png')))?.batch, submitted.name);
  });

  test('cancel: the batch stops, and every line says it was not made because of the cancel', async () => {
    server.setOptions({ holdBatches: true });
    const api = batchApi();
    const list = entries(2);
    const submitted = await api.submit(MODEL, list, 'to cancel');
    assert.equal((await api.status(submitted.name)).state, 'pending', 'held: polling alone does not move it');
    await api.cancel(submitted.name);
    assert.ok(server.requests.some((request) => request.method === 'POST' && request.path === `/v1beta/${submitted.name}:cancel`));
    const final = await api.status(submitted.name);
    assert.equal(final.state, 'cancelled');
    const outcome = await saveAll(api, final, items(list));
    assert.deepEqual(outcome.files, []);
    assert.deepEqual(outcome.failures.map((failure) => failure.line), [1, 2]);
    assert.match(outcome.failures[0].message, /cancelled/);
  });

  test('an expired or failed batch fails every line with the reason', async () => {
    server.setOptions({ holdBatches: true });
    const api = batchApi();
    const list = entries(1);
    const submitted = await api.submit(MODEL, list, 'too slow');
    server.batches.advance(submitted.name, 'expired');
    const outcome = await saveAll(api, await api.status(submitted.name), items(list));
    assert.match(outcome.failures[0].message, /expired/);
  });

  test('the create call is never sent twice (a lost answer must not start and bill the batch twice)', async () => {
    server.setOptions({ batchCreateStatus: 503 });
    const api = new BatchApi({ client: client(), provider: provider(server.url, { maxRetries: 3 }), token: SENTINEL_TOKEN, log });
    await assert.rejects(api.submit(MODEL, entries(1), 'once'), (error: unknown) => isImageError(error) && error.status === 503);
    assert.equal(server.requests.filter((request) => request.path.endsWith(':batchGenerateContent')).length, 1);
  });

  test('batch mode is offered by default on Google only', () => {
    assert.equal(offersBatchApi(GOOGLE), true);
    assert.equal(offersBatchApi('https://api.ezmodel.cloud'), false);
    assert.equal(offersBatchApi(server.url), false);
  });

  test('a gateway without the Batch API: the create call fails with the provider\'s answer, nothing is saved', async () => {
    const api = new BatchApi({ client: client(), provider: provider(`${server.url}/no-such-gateway`, { maxRetries: 0 }), token: SENTINEL_TOKEN, log });
    await assert.rejects(api.submit(MODEL, entries(1), 'x'), (error: unknown) => isImageError(error) && error.status === 404 && !error.message.includes(SENTINEL_TOKEN));
  });
});

describe('a batch collected again after a reload (the window went away while saving its images)', () => {
  /** The images in the items' folders under their slugs, with their recipes: what a window lists before saving. */
  const onDisk: ExistingImages<string> = {
    async list(targets) {
      const found: ExistingImage<string>[] = [];
      for (const where of new Set(targets.map((target) => target.folder))) {
        const names = (await fs.readdir(where)).filter((name) => targets.some((target) => target.folder === where && isOutputName(target.slug, name)));
        for (const name of names.sort()) {
          const recipe = readRecipe(await fs.readFile(path.join(where, name)));
          if (recipe) found.push({ location: path.join(where, name), folder: where, name, recipe });
        }
      }
      return found;
    },
    folderKey: (where) => where,
  };

  function save(api: Pick<BatchApi, 'results'>, status: BatchStatus, targets: readonly BatchItemTarget<string>[], extra: { removeBackground?: BackgroundRemover } = {}) {
    return saveBatchResults(status, targets, { api, reader: client(), provider: provider(server.url), token: SENTINEL_TOKEN, storeFor: (where) => new DiskImageStore(where), log, existing: onDisk, ...extra });
  }

  /** The batch's results as a window that went away after saving only these keys saw them. */
  function onlyKeys(api: BatchApi, keys: readonly string[]): Pick<BatchApi, 'results'> {
    return { results: (status, onResult, signal) => api.results(status, async (result) => (result.key !== undefined && keys.includes(result.key) ? onResult(result) : undefined), signal) };
  }

  async function finished(api: BatchApi, list: readonly BatchEntry[], name: string): Promise<BatchStatus> {
    const submitted = await api.submit(MODEL, list, name);
    return followBatch(api, submitted.name, { clock: new FakeClock() });
  }

  async function folderBytes(): Promise<Map<string, string>> {
    const names = (await fs.readdir(folder)).sort();
    return new Map(await Promise.all(names.map(async (name) => [name, (await fs.readFile(path.join(folder, name))).toString('base64')] as const)));
  }

  const reloadLines = (): string[] => log.lines.filter((line) => line.includes('already saved before the reload'));

  test('saved a second time into the same folder: no file is written, the existing ones are the outcome', async () => {
    const api = batchApi();
    const list = entries(3);
    const final = await finished(api, list, 'saved twice');
    const first = await save(api, final, items(list));
    assert.deepEqual(first.files.map((file) => path.basename(file)).sort(), ['shot-1.png', 'shot-2.png', 'shot-3.png']);
    assert.deepEqual(reloadLines(), [], 'a first save finds nothing of its own');
    const before = await folderBytes();
    const second = await save(api, final, items(list));
    assert.deepEqual(second.failures, []);
    assert.deepEqual([...second.files].sort(), [...first.files].sort());
    assert.deepEqual(await folderBytes(), before, 'no -2 copy, and nothing rewritten');
    assert.equal(reloadLines().length, 3);
    assert.match(reloadLines()[1], new RegExp(`^info Batch ${final.name}: line 2 already saved before the reload \\(shot-2\\.png\\)`));
  });

  test('half saved when the window went away: only the rest is saved, the outcome has every line', async () => {
    const api = batchApi();
    const list = entries(3);
    const final = await finished(api, list, 'half saved');
    await save(onlyKeys(api, ['line-1']), final, items(list));
    assert.deepEqual((await fs.readdir(folder)).sort(), ['shot-1.png']);
    const kept = await fs.readFile(path.join(folder, 'shot-1.png'));
    const resumed = await save(api, final, items(list));
    assert.deepEqual(resumed.failures, []);
    assert.deepEqual(resumed.files.map((file) => path.basename(file)).sort(), ['shot-1.png', 'shot-2.png', 'shot-3.png']);
    assert.deepEqual((await fs.readdir(folder)).sort(), ['shot-1.png', 'shot-2.png', 'shot-3.png']);
    assert.deepEqual(await fs.readFile(path.join(folder, 'shot-1.png')), kept);
    assert.equal(readRecipe(await fs.readFile(path.join(folder, 'shot-3.png')))?.batch, final.name);
    assert.equal(reloadLines().length, 1);
  });

  test('two images of one line (variants, one item each): the one saved counts once, the other is still made', async () => {
    const api = batchApi();
    const [entry] = entries(1);
    const list = [entry, { ...entry, key: 'line-1-2' }];
    const targets = list.map((each) => ({ key: each.key, line: 1, job: each.job, slug: 'shot-1', folder }));
    const final = await finished(api, list, 'variants');
    await save(onlyKeys(api, ['line-1']), final, targets);
    const resumed = await save(api, final, targets);
    assert.deepEqual(resumed.failures, []);
    assert.deepEqual(resumed.files.map((file) => path.basename(file)).sort(), ['shot-1-2.png', 'shot-1.png']);
    assert.deepEqual((await fs.readdir(folder)).sort(), ['shot-1-2.png', 'shot-1.png']);
    const again = await save(api, final, targets);
    assert.deepEqual(again.files.map((file) => path.basename(file)).sort(), ['shot-1-2.png', 'shot-1.png']);
    assert.deepEqual((await fs.readdir(folder)).sort(), ['shot-1-2.png', 'shot-1.png'], 'both found, neither saved a third time');
  });

  test('an image of another batch with the same request does not count: the new batch paid for new images', async () => {
    const api = batchApi();
    const list = entries(2);
    const earlier = await finished(api, list, 'earlier run');
    await save(api, earlier, items(list));
    const later = await finished(api, list, 'later run');
    const outcome = await save(api, later, items(list));
    assert.deepEqual(outcome.failures, []);
    assert.deepEqual(outcome.files.map((file) => path.basename(file)).sort(), ['shot-1-2.png', 'shot-2-2.png']);
    assert.equal(readRecipe(await fs.readFile(path.join(folder, 'shot-1-2.png')))?.batch, later.name);
    assert.deepEqual(reloadLines(), []);
  });

  test('a transparent item saved before the reload is found by its keyed prompt and background, not saved again', async () => {
    const api = batchApi();
    const [entry] = entries(1);
    const list = [{ ...entry, job: { ...entry.job, prompt: keyedPrompt('a paper plane').prompt } }];
    const targets = items(list).map((item) => ({ ...item, background: 'transparent' as const }));
    const final = await finished(api, list, 'icons');
    const removeBackground: BackgroundRemover = async (image, key) => removeKeyColour(image, key);
    await save(api, final, targets, { removeBackground });
    const again = await save(api, final, targets, { removeBackground });
    assert.deepEqual(again.files.map((file) => path.basename(file)), ['shot-1.png']);
    assert.deepEqual(await fs.readdir(folder), ['shot-1.png']);
  });
});

describe("on Google's API (the server in its Google personality, reached as generativelanguage.googleapis.com)", () => {
  /** A resolver at the network boundary: Google's host reaches the local server (like a hosts file). */
  function googleClient(): ImageClient {
    const loopback: Transport = { request: (request, options) => transport.request({ ...request, url: request.url.replace(GOOGLE, server.url) }, options) };
    return new ImageClient({ transport: loopback, log, clock: new FakeClock(), random: () => 0.5 });
  }

  test('the key goes in x-goog-api-key, no outputFormat is sent (Google refuses it), and the images are saved', async () => {
    server.setOptions({ provider: 'google' });
    const reader = googleClient();
    const api = new BatchApi({ client: reader, provider: provider(GOOGLE), token: SENTINEL_TOKEN, log });
    const list = entries(2, { outputFormat: 'jpeg', aspectRatio: '4:3' });
    const submitted = await api.submit(MODEL, list, 'google');
    const create = server.requests[0];
    assert.equal(create.headers['x-goog-api-key'], SENTINEL_TOKEN);
    assert.equal(create.headers.authorization, undefined);
    assert.ok(!JSON.stringify(create.body).includes('outputFormat'));
    const final = await followBatch(api, submitted.name, { clock: new FakeClock() });
    const outcome = await saveBatchResults(final, items(list), { api, reader, provider: provider(GOOGLE), token: SENTINEL_TOKEN, storeFor: (where) => new DiskImageStore(where), log });
    assert.deepEqual(outcome.failures, []);
    assert.equal(outcome.files.length, 2);
  });

  test('an upload address on another origin is refused before the token (or the file) goes there', async () => {
    // The local server answers with its own address, which is not Google's origin.
    const api = new BatchApi({ client: googleClient(), provider: provider(GOOGLE), token: SENTINEL_TOKEN, log, inlineLimitBytes: 10 });
    await assert.rejects(api.submit(MODEL, entries(1), 'elsewhere'), (error: unknown) => isImageError(error) && error.kind === 'malformedAnswer' && /upload address/.test(error.message));
    assert.deepEqual(server.requests.map((request) => request.headers['x-goog-upload-command']), ['start'], 'nothing was sent to the other address');
  });
});

describe('remembered batches (workspace state)', () => {
  test('an item survives the round trip without its reference bytes; its recipe still names the references', () => {
    const item: BatchItemTarget<string> = { key: 'k', line: 7, job: imageJob({ references: [reference('logo.png', testPng(8, 8))], aspectRatio: '1:1' }), slug: 'logo-cover', folder: '/w/out', preset: 'Photo' };
    const remembered = { name: 'batches/abc', baseUrl: GOOGLE, model: MODEL, displayName: 'd', submittedAt: '2026-01-01T00:00:00Z', items: [rememberItem(item, (folderPath) => folderPath)] };
    const [read] = readRememberedBatches(JSON.parse(JSON.stringify([remembered])));
    const [restored] = restoreItems(read, (text) => text);
    assert.equal(restored.line, 7);
    assert.equal(restored.preset, 'Photo');
    assert.equal(restored.job.aspectRatio, '1:1');
    assert.deepEqual(restored.job.references.map((ref) => ref.name), ['logo.png']);
    assert.ok(!JSON.stringify(remembered).includes(Buffer.from(testPng(8, 8)).toString('base64')), 'no image bytes in workspace state');
  });

  test('a transparent item is still transparent after a reload; any other background value is not trusted', () => {
    const item: BatchItemTarget<string> = { key: 'k', line: 2, job: imageJob(), slug: 'icon', folder: '/w/out', background: 'transparent' };
    const record = { name: 'batches/t', baseUrl: GOOGLE, model: MODEL, displayName: 'd', submittedAt: 't', items: [rememberItem(item, (folderPath) => folderPath)] };
    const [read] = readRememberedBatches(JSON.parse(JSON.stringify([record])));
    assert.equal(restoreItems(read, (text) => text)[0].background, 'transparent');
    const plain = { ...record, items: [rememberItem({ ...item, background: undefined }, (folderPath) => folderPath)] };
    assert.equal('background' in restoreItems(readRememberedBatches([plain])[0], (text) => text)[0], false);
    const forged = { ...record, items: [{ ...record.items[0], background: 'opaque' }] };
    assert.deepEqual(readRememberedBatches([forged]), []);
  });

  test('malformed state is dropped, never trusted', () => {
    assert.deepEqual(readRememberedBatches('nope'), []);
    assert.deepEqual(readRememberedBatches([{ name: 'batches/../x', baseUrl: 'b', model: 'm', displayName: 'd', submittedAt: 't', items: [] }]), []);
    assert.deepEqual(readRememberedBatches([{ name: 'batches/ok', baseUrl: 'b', model: 'm', displayName: 'd', submittedAt: 't', items: [{ key: 1 }] }]), []);
  });
});

describe('the local server checks batch calls like the real API', () => {
  async function post(pathname: string, body: unknown, headers: Record<string, string> = { authorization: `Bearer ${SENTINEL_TOKEN}` }): Promise<{ status: number; json: Record<string, unknown> }> {
    const response = await fetch(`${server.url}${pathname}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }
  const create = `/v1beta/models/${MODEL}:batchGenerateContent`;
  const request = { contents: [{ role: 'user', parts: [{ text: 'a red bicycle' }] }], generationConfig: { responseModalities: ['IMAGE'] } };

  test('refused: no token, a key in the URL, an unknown model, unknown fields, both or neither input, no display name', async () => {
    const good = { batch: { displayName: 'd', inputConfig: { requests: { requests: [{ request, metadata: { key: 'a' } }] } } } };
    assert.equal((await post(create, good, {})).status, 401);
    assert.equal((await post(`${create}?key=${SENTINEL_TOKEN}`, good)).status, 400);
    assert.equal((await post('/v1beta/models/no-such-model:batchGenerateContent', good)).status, 404);
    assert.equal((await post(create, { batch: { ...good.batch, outputConfig: {} } })).status, 400);
    assert.equal((await post(create, { batch: { displayName: 'd', inputConfig: { requests: good.batch.inputConfig.requests, fileName: 'files/x' } } })).status, 400);
    assert.equal((await post(create, { batch: { displayName: 'd', inputConfig: {} } })).status, 400);
    assert.equal((await post(create, { batch: { inputConfig: good.batch.inputConfig } })).status, 400);
    assert.equal((await post(create, { batch: { displayName: 'd', inputConfig: { fileName: 'files/never-uploaded' } } })).status, 400);
    assert.equal(server.batches.batches.size, 0, 'nothing refused became a batch');
    assert.equal((await post(create, good)).status, 200);
  });

  test('a request the generateContent checks refuse is an error for that request inside a succeeded batch', async () => {
    const bad = { ...request, generationConfig: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '7:3' } } };
    const created = await post(create, { batch: { displayName: 'd', inputConfig: { requests: { requests: [{ request: bad, metadata: { key: 'bad' } }, { request, metadata: { key: 'good' } }] } } } });
    const name = String(created.json.name);
    server.batches.advance(name, 'succeeded');
    const status = await batchApi().status(name);
    assert.equal(status.state, 'succeeded');
    assert.deepEqual([status.total, status.succeeded, status.failed], [2, 1, 1]);
    assert.match(status.inlined?.[0].error ?? '', /7:3|aspect/i);
    assert.ok(status.inlined?.[1].response);
  });

  test('polls move a batch one state per poll (batchPollsPerState), and held batches move only when told', async () => {
    server.setOptions({ batchPollsPerState: 2 });
    const api = batchApi();
    const { name } = await api.submit(MODEL, entries(1), 'slow');
    const states: string[] = [];
    for (let poll = 0; poll < 4; poll++) states.push((await api.status(name)).state);
    assert.deepEqual(states, ['pending', 'running', 'running', 'succeeded']);
    server.setOptions({ holdBatches: true });
    const held = await api.submit(MODEL, entries(1), 'held');
    for (let poll = 0; poll < 3; poll++) assert.equal((await api.status(held.name)).state, 'pending');
    server.batches.advance(held.name, 'running');
    assert.equal((await api.status(held.name)).state, 'running');
  });

  test("Google's own SDK creates, reads and cancels batches on it: the shapes are the real ones", async () => {
    const { GoogleGenAI } = (await import('@google/genai')) as typeof import('@google/genai');
    const ai = new GoogleGenAI({ apiKey: SENTINEL_TOKEN, httpOptions: { baseUrl: server.url, apiVersion: 'v1beta' } });
    const job = await ai.batches.create({
      model: MODEL,
      src: [{ contents: [{ role: 'user', parts: [{ text: 'a lighthouse at dusk' }] }], config: { responseModalities: ['IMAGE'] }, metadata: { key: 'only' } }],
      config: { displayName: 'sdk' },
    });
    assert.match(job.name ?? '', /^batches\//);
    assert.equal(job.state, 'JOB_STATE_PENDING');
    server.batches.advance(job.name, 'succeeded');
    const done = await ai.batches.get({ name: job.name ?? '' });
    assert.equal(done.state, 'JOB_STATE_SUCCEEDED');
    const inlined = done.dest?.inlinedResponses ?? [];
    assert.equal(inlined.length, 1);
    assert.equal(inlined[0].metadata?.key, 'only');
    assert.ok(inlined[0].response?.candidates?.[0]?.content?.parts?.some((part) => part.inlineData?.data), 'the image came back inline');
    const other = await ai.batches.create({ model: MODEL, src: [{ contents: [{ role: 'user', parts: [{ text: 'x' }] }] }], config: { displayName: 'cancel me' } });
    await ai.batches.cancel({ name: other.name ?? '' });
    assert.equal((await ai.batches.get({ name: other.name ?? '' })).state, 'JOB_STATE_CANCELLED');
  });
});
