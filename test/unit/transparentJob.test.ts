// Transparent runs through the one job runner, against the local Gemini server, saving into a real folder.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { removeKeyColour } from '../../src/core/image/backgroundRemoval';
import { GREEN, keyColourSentence, MAGENTA } from '../../src/core/image/keyColour';
import { workerBackgroundRemover, type BackgroundRemover } from '../../src/core/image/transparencyChunk';
import { ImageClient } from '../../src/core/imageClient';
import { DiskImageStore } from '../../src/core/jobs/imageStore';
import { runImageJob, type ImageJobRun } from '../../src/core/jobs/runImageJob';
import { readRecipe, removeRecipe } from '../../src/core/recipe';
import { type ClosableTransport } from '../../src/http/index';
import { SENTINEL_TOKEN } from '../sentinel';
import { type GeminiServer } from '../server/geminiServer';
import { PHOTO_MARKER } from '../server/imageFactory';
import { FakeClock, imageJob, provider, RecordingLog, useLogAndFolder, useServerAndTransport } from './fixtures/clientHarness';

let server: GeminiServer;
let transport: ClosableTransport;
let folder: string;
let log: RecordingLog;

useServerAndTransport((started) => {
  ({ server, transport } = started);
});

useLogAndFolder('transparent-job-', (each) => {
  ({ log, folder } = each);
});

const remover: BackgroundRemover = async (image, key) => removeKeyColour(image, key);

function spec(overrides: Partial<ImageJobRun<string>> = {}, prompt = 'a paper plane'): ImageJobRun<string> {
  return {
    job: imageJob({ prompt }),
    provider: provider(server.url, { maxRetries: 0 }),
    token: SENTINEL_TOKEN,
    variants: 1,
    slug: 'a-paper-plane',
    background: 'transparent',
    ...overrides,
  };
}

function deps(removeBackground: BackgroundRemover | 'none' = remover) {
  return { client: new ImageClient({ transport, log, clock: new FakeClock(), random: () => 0.5 }), store: new DiskImageStore(folder), log, removeBackground: removeBackground === 'none' ? undefined : removeBackground };
}

function sentPrompt(index = 0): string {
  const body = server.requests.filter((request) => request.model !== undefined)[index].body as { contents: { parts: { text?: string }[] }[] };
  return body.contents.at(-1)!.parts.map((part) => part.text ?? '').join('');
}

function alphaAt(png: Buffer, x: number, y: number): number {
  const read = PNG.sync.read(png);
  return read.data[(y * read.width + x) * 4 + 3];
}

test('a transparent run asks for the key colour and saves an RGBA PNG with alpha-0 corners and its recipe', async () => {
  const saved: string[] = [];
  const outcome = await runImageJob(spec(), { ...deps(), onSaved: (file) => saved.push(file) });
  assert.equal(sentPrompt(), `a paper plane. ${keyColourSentence(MAGENTA)}`);
  assert.deepEqual(outcome.files, [path.join(folder, 'a-paper-plane.png')]);
  assert.deepEqual(saved, outcome.files, 'callers were told about another file than the one kept');
  assert.deepEqual(outcome.warnings, []);
  assert.deepEqual((await fs.readdir(folder)).sort(), ['a-paper-plane.png'], 'a temporary or the opaque original was left behind');
  const bytes = await fs.readFile(outcome.files[0]);
  assert.equal(bytes[25], 6, 'not an RGBA PNG');
  assert.equal(alphaAt(bytes, 0, 0), 0);
  assert.equal(alphaAt(bytes, 32, 32), 255);
  const recipe = readRecipe(bytes);
  assert.equal(recipe?.background, 'transparent');
  assert.equal(recipe?.keyColour, '#FF00FF');
  assert.equal(recipe?.prompt, sentPrompt(), 'the recipe does not hold the prompt as sent');
  assert.ok(recipe?.usage?.totalTokenCount, 'the final recipe (with usage) was not written into the transparent file');
  assert.notEqual(createHash('sha256').update(removeRecipe(bytes)).digest('hex'), server.requests.at(-1)!.images[0].sha256);
});

test('a JPEG answer is saved as a PNG (never a JPEG with transparency) and no .jpg is left', async () => {
  const outcome = await runImageJob(spec({ job: imageJob({ prompt: 'a pink pig', outputFormat: 'jpeg' }) }), deps());
  assert.equal(server.requests.at(-1)!.images[0].mimeType, 'image/jpeg', 'the server did not answer with a JPEG');
  assert.match(sentPrompt(), /pure green \(#00FF00\)/, 'a pink subject must not get a magenta key');
  assert.deepEqual(outcome.files, [path.join(folder, 'a-paper-plane.png')]);
  assert.deepEqual(await fs.readdir(folder), ['a-paper-plane.png']);
  const bytes = await fs.readFile(outcome.files[0]);
  assert.equal(alphaAt(bytes, 63, 63), 0);
  assert.equal(readRecipe(bytes)?.keyColour, GREEN.hex);
});

test('a user\'s file with the PNG name is never replaced: the transparent JPEG answer takes the next free name', async () => {
  await fs.writeFile(path.join(folder, 'a-paper-plane.png'), 'the user\'s own file');
  const outcome = await runImageJob(spec({ job: imageJob({ prompt: 'a paper plane', outputFormat: 'jpeg' }) }), deps());
  assert.deepEqual(outcome.files, [path.join(folder, 'a-paper-plane-2.png')]);
  assert.equal(await fs.readFile(path.join(folder, 'a-paper-plane.png'), 'utf8'), 'the user\'s own file');
  assert.deepEqual((await fs.readdir(folder)).sort(), ['a-paper-plane-2.png', 'a-paper-plane.png']);
});

test('a photo-like answer is kept as it arrived, opaque, and the outcome says why', async () => {
  const outcome = await runImageJob(spec({}, `a beach ${PHOTO_MARKER}`), deps());
  assert.deepEqual(outcome.warnings, ['a-paper-plane.png was kept opaque: the background was not a flat colour (magenta #FF00FF was asked for).']);
  const bytes = await fs.readFile(outcome.files[0]);
  assert.equal(createHash('sha256').update(removeRecipe(bytes)).digest('hex'), server.requests.at(-1)!.images[0].sha256, 'the image that arrived was changed');
  assert.equal(readRecipe(bytes)?.background, 'transparent', 'the recipe should still say what was asked for');
});

test('when removal fails the image that arrived is kept and the user is warned', async () => {
  const failing: BackgroundRemover = async () => {
    throw new Error('out of memory');
  };
  for (const [removeBackground, reason] of [[failing, /out of memory/], ['none', /not available/]] as const) {
    await fs.rm(folder, { recursive: true, force: true });
    server.reset();
    const outcome = await runImageJob(spec(), deps(removeBackground));
    assert.equal(outcome.files.length, 1);
    assert.equal(outcome.warnings.length, 1);
    assert.match(outcome.warnings[0], /^a-paper-plane\.png was kept as it arrived, with its magenta background: removing it failed/);
    assert.match(outcome.warnings[0], reason);
    const bytes = await fs.readFile(outcome.files[0]);
    assert.equal(createHash('sha256').update(removeRecipe(bytes)).digest('hex'), server.requests.at(-1)!.images[0].sha256);
  }
});

test('a run without background sends the prompt as written and never calls the remover', async () => {
  let called = 0;
  const counting: BackgroundRemover = async (image, key) => {
    called++;
    return removeKeyColour(image, key);
  };
  const outcome = await runImageJob(spec({ background: undefined }), deps(counting));
  assert.equal(sentPrompt(), 'a paper plane');
  assert.equal(called, 0);
  assert.equal(readRecipe(await fs.readFile(outcome.files[0]))?.background, undefined);
});

test('generating again from a transparent recipe keeps its key colour and does not add the sentence twice', async () => {
  const first = await runImageJob(spec(), deps());
  const recipe = readRecipe(await fs.readFile(first.files[0]));
  server.reset();
  await runImageJob(spec({ job: imageJob({ prompt: recipe!.prompt }) }), deps());
  assert.equal(sentPrompt(), recipe!.prompt);
});

test('the shipped remover runs dist/transparency.js in a worker; a missing chunk keeps the image and warns', async () => {
  const dist = path.resolve(__dirname, '..', '..', 'dist');
  const outcome = await runImageJob(spec(), deps(workerBackgroundRemover(dist)));
  assert.deepEqual(outcome.warnings, []);
  const bytes = await fs.readFile(outcome.files[0]);
  assert.equal(bytes[25], 6);
  assert.equal(alphaAt(bytes, 0, 0), 0);
  assert.equal(alphaAt(bytes, 32, 32), 255);

  server.reset();
  const missing = await runImageJob(spec({ slug: 'no-chunk' }), deps(workerBackgroundRemover(folder)));
  assert.match(missing.warnings[0], /^no-chunk\.png was kept as it arrived, with its magenta background: removing it failed/);
  assert.equal(createHash('sha256').update(removeRecipe(await fs.readFile(missing.files[0]))).digest('hex'), server.requests.at(-1)!.images[0].sha256);
});
