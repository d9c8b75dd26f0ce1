// The job runner's own decisions (recipe fields, log lines, usage sums, which failure is reported, temporary files
// of a failed run), with answers scripted at the runner's ImageStreamer seam and images saved into a real folder.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ImageError, isImageError } from '../../src/core/errors';
import type { StreamedResult } from '../../src/core/imageClient';
import type { ApiContent, ImageJob, Usage } from '../../src/core/imageJob';
import { DiskImageStore } from '../../src/core/jobs/imageStore';
import { referenceFromBytes, resumeConversation, runImageJob, sumUsage, type ImageJobDeps, type ImageJobRun, type ImageStreamer } from '../../src/core/jobs/runImageJob';
import { readRecipe } from '../../src/core/recipe';
import type { TempImageFile } from '../../src/core/streamFile';
import type { ImageSink, StreamedImage } from '../../src/core/streamSink';
import { SENTINEL_TOKEN } from '../sentinel';
import { imageJob, provider, useLogAndFolder, type RecordingLog } from './fixtures/clientHarness';
import { testPng } from './fixtures/images';

let folder: string;
let log: RecordingLog;

useLogAndFolder('run-job-mutants-', (each) => {
  ({ log, folder } = each);
});

type Sink = ImageSink<TempImageFile>;
type Answer = (sink: Sink, job: ImageJob, call: number) => Promise<StreamedResult<TempImageFile>>;

/** Answers each request with the next scripted answer (the last one repeats). */
function scripted(...answers: Answer[]): ImageStreamer & { jobs: ImageJob[] } {
  const jobs: ImageJob[] = [];
  return {
    jobs,
    async stream(job, _provider, _token, _signal, sink) {
      const call = jobs.push(job) - 1;
      return answers[Math.min(call, answers.length - 1)](sink as unknown as Sink, job, call) as never;
    },
  };
}

/** An image that arrived whole into the sink's file. */
async function arrive(sink: Sink, bytes: Uint8Array): Promise<StreamedImage<TempImageFile>> {
  const file = await sink.open({ format: 'png', mimeType: 'image/png' });
  await file.write(bytes);
  await file.end();
  return { format: 'png', mimeType: 'image/png', file, size: bytes.length };
}

function answer(images: StreamedImage<TempImageFile>[], extras: Partial<StreamedResult<TempImageFile>> = {}): StreamedResult<TempImageFile> {
  return { images, texts: [], finishReasons: ['STOP'], finishMessages: [], conversation: [], ...extras };
}

const PNG = testPng(8, 8);

function spec(overrides: Partial<ImageJobRun<string>> = {}): ImageJobRun<string> {
  return { job: imageJob(), provider: provider('http://127.0.0.1:9'), token: SENTINEL_TOKEN, variants: 1, slug: 'fox', ...overrides };
}

function deps(client: ImageStreamer, extra: Partial<ImageJobDeps<TempImageFile, string>> = {}): ImageJobDeps<TempImageFile, string> {
  return { client, store: new DiskImageStore(folder), log, now: () => new Date('2026-01-02T03:04:05Z'), ...extra };
}

async function recipeOf(file: string) {
  return readRecipe(await fs.readFile(file));
}

test('the recipe names the preset and keeps grounding only when it was on', async () => {
  const client = scripted(async (sink) => answer([await arrive(sink, PNG)]));
  const withPreset = await runImageJob(spec({ preset: 'App icon', job: imageJob({ grounding: true }) }), deps(client));
  const first = await recipeOf(withPreset.files[0]);
  assert.equal(first?.preset, 'App icon');
  assert.equal(first?.grounding, true);
  const plain = await runImageJob(spec({ job: imageJob({ grounding: false }) }), deps(client));
  const second = await recipeOf(plain.files[0]);
  assert.ok(second);
  assert.equal('preset' in second, false, 'a preset was named for a run without one');
  assert.equal('grounding' in second, false, 'grounding: false was written into the recipe');
});

test('an answer without warnings, texts or usage adds none to the outcome', async () => {
  const client = scripted(async (sink) => answer([await arrive(sink, PNG)]));
  const outcome = await runImageJob(spec(), deps(client));
  assert.deepEqual(outcome.warnings, []);
  assert.deepEqual(outcome.texts, []);
  assert.equal(outcome.usage, undefined);
  assert.deepEqual(log.lines, [`info Saved ${path.join(folder, 'fox.png')} (${PNG.length} bytes, png)`]);
});

test('the answer\'s warnings and texts reach the outcome', async () => {
  const client = scripted(async (sink) => answer([await arrive(sink, PNG)], { texts: ['Here it is.'], warnings: ['An image part was unreadable.'] }));
  const outcome = await runImageJob(spec(), deps(client));
  assert.deepEqual(outcome.warnings, ['An image part was unreadable.']);
  assert.deepEqual(outcome.texts, ['Here it is.']);
});

test('an answer without an image is a failure that names the host', async () => {
  const client = scripted(async () => answer([], { texts: ['I cannot draw that.'] }));
  await assert.rejects(runImageJob(spec(), deps(client)), (error: unknown) => {
    assert.ok(isImageError(error));
    assert.equal(error.kind, 'noImage');
    assert.equal(error.message, 'The model at 127.0.0.1:9 answered without an image.');
    return true;
  });
  // Next to a variant that did bring an image, the text-only answer is reported as a failure.
  const mixed = scripted(async (sink) => answer([await arrive(sink, PNG)]), async () => answer([]));
  const outcome = await runImageJob(spec({ variants: 2 }), deps(mixed));
  assert.equal(outcome.files.length, 1);
  assert.deepEqual(outcome.failures, ['The model at 127.0.0.1:9 answered without an image.']);
});

test('a cancelled variant does not hide the real failure of another', async () => {
  const real = new ImageError('serverError', 'The server at 127.0.0.1:9 answered 500.', { host: '127.0.0.1:9' });
  const client = scripted(
    async () => {
      throw new ImageError('cancelled', 'Cancelled.', { host: '127.0.0.1:9' });
    },
    async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw real;
    },
  );
  await assert.rejects(runImageJob(spec({ variants: 2 }), deps(client)), (error: unknown) => error === real);
  // A plain error after a cancellation is reported too.
  const plain = new Error('disk full');
  const other = scripted(
    async () => {
      throw new ImageError('cancelled', 'Cancelled.', { host: '127.0.0.1:9' });
    },
    async () => {
      await new Promise((resolve) => setImmediate(resolve));
      throw plain;
    },
  );
  await assert.rejects(runImageJob(spec({ variants: 2 }), deps(other)), (error: unknown) => error === plain);
  // Only cancellations: the cancellation is what the user sees.
  const cancelled = scripted(async () => {
    throw new ImageError('cancelled', 'Cancelled.', { host: '127.0.0.1:9' });
  });
  await assert.rejects(runImageJob(spec({ variants: 2 }), deps(cancelled)), (error: unknown) => isImageError(error) && error.kind === 'cancelled');
});

test('a continued conversation keeps the earlier turns and adds only this answer\'s new turns', async () => {
  const turn = (role: 'user' | 'model', text: string): ApiContent => ({ role, parts: [{ text }] });
  const history = [turn('user', 'a fox (as sent)'), turn('model', 'fox image (as sent)')];
  const earlierTurns = [turn('user', 'a fox'), turn('model', 'fox image')];
  const client = scripted(async (sink) => answer([await arrive(sink, PNG)], { conversation: [...history, turn('user', 'make it blue'), turn('model', 'blue fox')] }));
  const kept: ApiContent[][] = [];
  await runImageJob(spec({ job: imageJob({ prompt: 'make it blue', history }), earlier: { turns: earlierTurns, images: new Map() } }), {
    ...deps(client),
    onSaved: (_file, conversation) => kept.push([...(conversation?.turns ?? [])]),
  });
  assert.deepEqual(kept, [[...earlierTurns, turn('user', 'make it blue'), turn('model', 'blue fox')]]);
});

test('when saving one image fails, the other images of that answer leave no temporary file behind', async () => {
  const client = scripted(async (sink) => answer([await arrive(sink, PNG), await arrive(sink, testPng(9, 9))]));
  const outcome = await runImageJob(spec(), {
    ...deps(client),
    onSaved: () => {
      throw new Error('the panel went away');
    },
  });
  assert.deepEqual(outcome.files, [path.join(folder, 'fox.png')]);
  assert.deepEqual(outcome.failures, ['the panel went away']);
  assert.deepEqual(await fs.readdir(folder), ['fox.png']);
});

test('an image kept from an answer that broke off is logged as such', async () => {
  const client = scripted(async (sink) => {
    const image = await arrive(sink, PNG);
    await sink.salvage?.(image);
    throw new ImageError('network', 'The connection to 127.0.0.1:9 broke.', { host: '127.0.0.1:9' });
  });
  const outcome = await runImageJob(spec(), deps(client));
  assert.deepEqual(outcome.files, [path.join(folder, 'fox.png')]);
  assert.deepEqual(log.lines, [`warn Saved ${path.join(folder, 'fox.png')} (${PNG.length} bytes, png) from an answer that broke off later`]);
});

test('a transparent run logs what the background removal did, or why it kept the image as it arrived', async () => {
  const client = scripted(async (sink) => answer([await arrive(sink, PNG)]));
  const file = path.join(folder, 'fox.png');
  const transparent = await runImageJob(spec({ background: 'transparent' }), deps(client, {
    removeBackground: async () => ({ kind: 'transparent', png: testPng(8, 8, true), found: '#FE01FD', cleared: 40, softened: 7 }),
  }));
  assert.deepEqual(transparent.files, [file]);
  assert.equal(log.lines[0], `info Made the #FE01FD background of ${file} transparent (40 pixels cleared, 7 edge pixels softened)`);

  await fs.rm(file);
  log.lines.length = 0;
  const opaque = await runImageJob(spec({ background: 'transparent' }), deps(client, {
    removeBackground: async () => ({ kind: 'opaque', message: 'has no magenta background.' }),
  }));
  assert.deepEqual(opaque.warnings, ['fox.png has no magenta background.']);
  assert.equal(log.lines[0], `warn ${file} has no magenta background.`);

  await fs.rm(file);
  log.lines.length = 0;
  const failed = await runImageJob(spec({ background: 'transparent' }), deps(client, {
    removeBackground: async () => {
      throw new Error('out of memory');
    },
  }));
  assert.equal(failed.warnings.length, 1);
  assert.equal(log.lines[0], `warn Removing the background of ${file} failed: out of memory`);
});

test('an earlier image that cannot be read back starts the refinement afresh, and says so', async () => {
  const turns: ApiContent[] = [{ role: 'user', parts: [{ text: 'a fox' }] }];
  const { StreamedImageData } = await import('../../src/core/streamAnswer');
  const placeholder = new StreamedImageData(0);
  const conversation = { turns: [...turns, { role: 'model' as const, parts: [{ inlineData: { mimeType: 'image/png', data: placeholder as unknown as string } }] }], images: new Map([[placeholder, 'gone.png']]) };
  const history = await resumeConversation(conversation, async () => {
    throw new Error('ENOENT: gone.png');
  }, log);
  assert.equal(history, undefined);
  assert.deepEqual(log.lines, ['warn An image of the earlier conversation could not be read (ENOENT: gone.png); refining it as a new reference instead.']);
});

test('a reference whose bytes are no known image is passed on as application/octet-stream', () => {
  const reference = referenceFromBytes('notes.png', Buffer.from('plain text, not an image'));
  assert.deepEqual({ name: reference.name, mimeType: reference.mimeType }, { name: 'notes.png', mimeType: 'application/octet-stream' });
  assert.equal(referenceFromBytes('fox.png', PNG).mimeType, 'image/png');
});

test('usage of several answers is summed per field; fields no answer reported stay out', () => {
  const usages: Usage[] = [
    { promptTokenCount: 10, totalTokenCount: 1300, candidatesTokensDetails: [{ modality: 'IMAGE', tokenCount: 1290 }] },
    { promptTokenCount: 12, candidatesTokenCount: 5, candidatesTokensDetails: [{ modality: 'IMAGE', tokenCount: 1290 }, { modality: 'TEXT', tokenCount: 5 }] },
  ];
  assert.deepEqual(sumUsage(usages), {
    promptTokenCount: 22,
    candidatesTokenCount: 5,
    totalTokenCount: 1300,
    thoughtsTokenCount: undefined,
    candidatesTokensDetails: [{ modality: 'IMAGE', tokenCount: 2580 }, { modality: 'TEXT', tokenCount: 5 }],
  });
  assert.deepEqual(sumUsage([{ promptTokenCount: 3 }]), {
    promptTokenCount: 3,
    candidatesTokenCount: undefined,
    totalTokenCount: undefined,
    thoughtsTokenCount: undefined,
  });
  assert.equal(sumUsage([]), undefined);
});
