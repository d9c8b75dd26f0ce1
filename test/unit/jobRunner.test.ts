// The one job runner against the local Gemini server, saving into a real temporary folder through the disk store.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { isImageError } from '../../src/core/errors';
import { ImageClient } from '../../src/core/imageClient';
import { DiskImageStore } from '../../src/core/jobs/imageStore';
import { resumeConversation, runImageJob, type Conversation, type ImageJobRun } from '../../src/core/jobs/runImageJob';
import { readRecipe } from '../../src/core/recipe';
import { type ClosableTransport } from '../../src/http/index';
import { SENTINEL_TOKEN } from '../sentinel';
import { type GeminiServer } from '../server/geminiServer';
import { FakeClock, imageJob, provider, RecordingLog, useLogAndFolder, useServerAndTransport } from './fixtures/clientHarness';
import { reference, testPng, tinyJpeg } from './fixtures/images';
import type { HttpResponse, Transport } from '../../src/core/transport';

let server: GeminiServer;
let transport: ClosableTransport;
let folder: string;
let log: RecordingLog;

useServerAndTransport((started) => {
  ({ server, transport } = started);
});

useLogAndFolder('job-runner-', (each) => {
  ({ log, folder } = each);
});

function client(): ImageClient {
  return new ImageClient({ transport, log, clock: new FakeClock(), random: () => 0.5 });
}

function spec(overrides: Partial<ImageJobRun<string>> = {}): ImageJobRun<string> {
  return {
    job: imageJob(),
    provider: provider(server.url, { maxRetries: 2 }),
    token: SENTINEL_TOKEN,
    variants: 1,
    slug: 'a-cyberpunk-fox',
    ...overrides,
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function listing(): Promise<string[]> {
  return (await fs.readdir(folder)).sort();
}

test('an image is saved under the slug with its recipe inside, bytes as the server sent them', async () => {
  const saved: string[] = [];
  const outcome = await runImageJob(spec(), {
    client: client(),
    store: new DiskImageStore(folder),
    log,
    now: () => new Date('2026-01-02T03:04:05Z'),
    onSaved: (file) => saved.push(file),
  });
  assert.deepEqual(outcome.files, [path.join(folder, 'a-cyberpunk-fox.png')]);
  assert.deepEqual(saved, outcome.files);
  assert.deepEqual(await listing(), ['a-cyberpunk-fox.png'], 'a temporary file was left behind');
  const bytes = await fs.readFile(outcome.files[0]);
  const recipe = readRecipe(bytes);
  assert.equal(recipe?.prompt, 'a cyberpunk fox in the forest');
  assert.equal(recipe?.model, 'gemini-2.5-flash-image');
  assert.equal(recipe?.createdAt, '2026-01-02T03:04:05.000Z');
  assert.equal(recipe?.usage?.totalTokenCount, outcome.usage?.totalTokenCount);
  assert.ok(outcome.usage?.totalTokenCount, 'usage missing');
  assert.deepEqual(outcome.finishReasons, ['STOP']);
  // The saved file is the server's image plus the recipe: removing the recipe gives the sent bytes back.
  const { removeRecipe } = await import('../../src/core/recipe');
  assert.equal(sha256(removeRecipe(bytes)), server.requests[0].images[0].sha256);
});

test('variants never overwrite each other nor a file that was there', async () => {
  await fs.writeFile(path.join(folder, 'a-cyberpunk-fox.png'), 'the user\'s own file');
  const outcome = await runImageJob(spec({ variants: 6 }), { client: client(), store: new DiskImageStore(folder), log });
  assert.equal(outcome.files.length, 6);
  assert.equal(new Set(outcome.files).size, 6);
  assert.equal(await fs.readFile(path.join(folder, 'a-cyberpunk-fox.png'), 'utf8'), 'the user\'s own file');
  assert.deepEqual(await listing(), ['a-cyberpunk-fox-2.png', 'a-cyberpunk-fox-3.png', 'a-cyberpunk-fox-4.png', 'a-cyberpunk-fox-5.png', 'a-cyberpunk-fox-6.png', 'a-cyberpunk-fox-7.png', 'a-cyberpunk-fox.png']);
  assert.equal(server.requests.filter((request) => request.model).length, 6);
});

test('the parallel cap holds: a fifth request starts only when one of four finished', async () => {
  server.enqueue({ kind: 'delay', ms: 300 }, { kind: 'delay', ms: 300 }, { kind: 'delay', ms: 300 }, { kind: 'delay', ms: 300 });
  let savedWhileFourRan = -1;
  const outcome = await runImageJob(spec({ variants: 5 }), {
    client: client(),
    store: new DiskImageStore(folder),
    log,
    onSaved: () => {
      if (savedWhileFourRan < 0) savedWhileFourRan = server.requests.length;
    },
  });
  assert.equal(outcome.files.length, 5);
  // When the first image was saved only the first four requests had reached the server.
  assert.equal(savedWhileFourRan, 4);
});

test('one variant refused while another succeeds: the image is kept and the refusal reported', async () => {
  server.enqueue({ kind: 'refused', reason: 'IMAGE_SAFETY', message: 'Not allowed.' });
  const outcome = await runImageJob(spec({ variants: 2, provider: provider(server.url, { maxRetries: 0 }) }), {
    client: client(),
    store: new DiskImageStore(folder),
    log,
  });
  assert.equal(outcome.files.length, 1);
  assert.equal(outcome.failures.length, 1);
  assert.match(outcome.failures[0], /IMAGE_SAFETY|safety/i);
});

test('every variant failing rejects with the reason and leaves no file', async () => {
  server.enqueue({ kind: 'blocked', reason: 'PROHIBITED_CONTENT' });
  await assert.rejects(
    runImageJob(spec({ provider: provider(server.url, { maxRetries: 0 }) }), { client: client(), store: new DiskImageStore(folder), log }),
    (error: Error) => isImageError(error) && /PROHIBITED_CONTENT|blocked/i.test(error.message) && !error.message.includes(SENTINEL_TOKEN),
  );
  assert.deepEqual(await listing(), []);
});

test('an answer with two images saves both; an answer cut mid-image leaves no partial file', async () => {
  server.enqueue({ kind: 'twoImages' });
  server.enqueue({ kind: 'cutBody' });
  // The first request answers two images, the second breaks mid-image; nothing of the broken one remains.
  const outcome = await runImageJob(spec({ variants: 2, provider: provider(server.url, { maxRetries: 0 }) }), {
    client: client(),
    store: new DiskImageStore(folder),
    log,
  });
  assert.equal(outcome.files.length, 2);
  assert.equal(outcome.failures.length, 1);
  assert.equal((await listing()).filter((name) => name.endsWith('.part')).length, 0);
});

test('a retried 503 still ends in one saved image', async () => {
  server.enqueue({ kind: 'error', status: 503 });
  const outcome = await runImageJob(spec(), { client: client(), store: new DiskImageStore(folder), log });
  assert.equal(outcome.files.length, 1);
  assert.equal(server.requests.length, 2);
});

test('cancelling stops the run with a cancellation and no file', async () => {
  server.enqueue({ kind: 'delay', ms: 5_000 });
  const abort = new AbortController();
  const run = runImageJob(spec(), { client: client(), store: new DiskImageStore(folder), log, signal: abort.signal });
  while (server.requests.length === 0) await new Promise((resolve) => setImmediate(resolve));
  abort.abort();
  await assert.rejects(run, (error: Error) => isImageError(error) && error.kind === 'cancelled');
  assert.deepEqual(await listing(), []);
});

test('references are sent inline and named in the recipe; a refinement continues the saved conversation', async () => {
  const photo = tinyJpeg(90);
  let conversation: Conversation<string> | undefined;
  const store = new DiskImageStore(folder);
  const first = await runImageJob(spec({ job: imageJob({ references: [reference('photo.jpg', photo)] }) }), {
    client: client(),
    store,
    log,
    onSaved: (_file, kept) => (conversation = kept),
  });
  const sent = JSON.stringify(server.requests[0].body);
  assert.ok(sent.includes(sha256(photo)), 'the reference was not sent inline');
  assert.deepEqual(readRecipe(await fs.readFile(first.files[0]))?.references, ['photo.jpg']);
  assert.ok(conversation);

  const history = await resumeConversation(conversation, (file) => store.read(file), log);
  assert.ok(history && history.length === 2, 'the earlier turns were not rebuilt');
  const second = await runImageJob(
    spec({ job: imageJob({ prompt: 'make it blue', history }), slug: 'make-it-blue', earlier: conversation, refinedFrom: 'a-cyberpunk-fox.png' }),
    { client: client(), store, log },
  );
  const body = server.requests[1].body as { contents: { role: string }[] };
  assert.deepEqual(body.contents.map((turn) => turn.role), ['user', 'model', 'user']);
  // The model's image went back as the bytes of the first saved file, without its recipe.
  const { removeRecipe } = await import('../../src/core/recipe');
  assert.ok(JSON.stringify(body).includes(sha256(removeRecipe(await fs.readFile(first.files[0])))));
  assert.equal(readRecipe(await fs.readFile(second.files[0]))?.refinedFrom, 'a-cyberpunk-fox.png');
});

test('an answer that breaks after a whole image keeps that image, saved with its recipe (salvage)', async () => {
  const first = testPng(1000, 1, true);
  const second = testPng(1000, 1, true);
  const answer = Buffer.from(JSON.stringify({
    candidates: [{ content: { role: 'model', parts: [
      { inlineData: { mimeType: 'image/png', data: first.toString('base64') } },
      { inlineData: { mimeType: 'image/png', data: second.toString('base64') } },
    ] }, finishReason: 'STOP' }],
  }));
  const cutAt = answer.indexOf(second.toString('base64')) + 200;
  // A gateway dropping the socket halfway through the second image.
  const broken: Transport = {
    async request(): Promise<HttpResponse> {
      async function* chunks(): AsyncIterable<Uint8Array> {
        for (let offset = 0; offset < cutAt; offset += 1000) yield answer.subarray(offset, Math.min(cutAt, offset + 1000));
        throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
      }
      return { status: 200, headers: { 'content-type': 'application/json' }, body: chunks() };
    },
  };
  const outcome = await runImageJob(spec({ provider: provider('http://127.0.0.1:9', { maxRetries: 0 }) }), {
    client: new ImageClient({ transport: broken, log }),
    store: new DiskImageStore(folder),
    log,
  });
  assert.deepEqual(await listing(), ['a-cyberpunk-fox.png']);
  const { removeRecipe } = await import('../../src/core/recipe');
  const bytes = await fs.readFile(outcome.files[0]);
  assert.deepEqual(Buffer.from(removeRecipe(bytes)), first);
  assert.equal(readRecipe(bytes)?.prompt, 'a cyberpunk fox in the forest');
});
