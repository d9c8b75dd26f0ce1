// The streaming answer reader: any chunking, escapes, drafts, both spellings, and every failure leaving no temporary file.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ImageError } from '../../src/core/errors';
import { ImageClient } from '../../src/core/imageClient';
import { readRecipe, recipeInsertionOfLength, recipeSlot, removeRecipe, type Recipe } from '../../src/core/recipe';
import { TempImageFile } from '../../src/core/streamFile';
import type { ImageSink, NewImage } from '../../src/core/streamSink';
import type { Transport } from '../../src/core/transport';
import { SENTINEL_TOKEN } from '../sentinel';
import { encodeJpeg, encodePng } from '../server/imageFactory';
import { FakeClock, imageJob, provider, RecordingLog } from './fixtures/clientHarness';
import { rejected } from './fixtures/answers';

const PNG = encodePng('stream fixture', 24, 18);
const SECOND = encodePng('second image', 7, 5);
const JPEG = encodeJpeg('stream jpeg', 16, 16);

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-stream-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Base64 the way some JSON encoders write it: every `/` escaped, and one `+` as a unicode escape. */
function escapedBase64(bytes: Buffer): string {
  let text = bytes.toString('base64').replace(/\//g, '\\/');
  text = text.replace('+', '\\u002b');
  return text;
}

interface Fixture {
  readonly body: Buffer;
  readonly images: Buffer[];
}

/** An answer with text (escapes and non-ASCII), a draft whose `thought` flag comes after its data, and the image. */
function fixture(): Fixture {
  const body =
    '{"candidates": [{"content": {"role": "model", "parts": [' +
    '{"text": "Sketching \\"fox\\" caf\\u00e9 — ü", "thought": true},' +
    `{"inlineData": {"data": "${escapedBase64(SECOND)}", "mimeType": "image/png"}, "thought": true},` +
    '{"text": "Here it is", "thoughtSignature": "c2lnbmF0dXJl"},' +
    `{"inlineData": {"mimeType": "image/png", "data": "${escapedBase64(PNG)}"}, "thoughtSignature": "c2ln"}` +
    ']}, "finishReason": "STOP", "index": 0}],\n "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 1290, "totalTokenCount": 1302},' +
    ' "modelVersion": "gemini-2.5-flash-image", "extra": [1.5e3, -2, true, false, null, {}, []]}';
  return { body: Buffer.from(body), images: [PNG] };
}

function transportOf(chunks: readonly Uint8Array[], failAtEnd?: Error): Transport {
  return {
    request: async () => ({
      status: 200,
      headers: {},
      body: (async function* () {
        for (const chunk of chunks) yield chunk;
        if (failAtEnd) throw failAtEnd;
      })(),
    }),
  };
}

function client(transport: Transport, maxResponseBytes?: number): ImageClient {
  return new ImageClient({ transport, log: new RecordingLog(), clock: new FakeClock(), maxResponseBytes });
}

const job = imageJob();
const settings = provider('http://127.0.0.1:9', { maxRetries: 0 });

/** Temporary files in their own folder, so a test sees exactly what was left behind. */
function fileSink(folder: string, recipe?: Recipe): ImageSink<TempImageFile> {
  fs.mkdirSync(folder, { recursive: true });
  let count = 0;
  return {
    open: (image) => TempImageFile.create(path.join(folder, `.image-${count++}.part`), image, recipe ? recipeSlot(image.format, recipe) : undefined),
  };
}

function split(body: Buffer, ...at: number[]): Buffer[] {
  const points = [0, ...at, body.length];
  return points.slice(1).map((end, index) => body.subarray(points[index], end));
}


describe('streaming answers: chunking', () => {
  const { body, images } = fixture();

  test('split at every byte boundary, the result is the same image, text, usage and conversation', async () => {
    for (let at = 0; at <= body.length; at++) {
      const result = await client(transportOf(split(body, at))).generate(job, settings, SENTINEL_TOKEN);
      assert.deepEqual(result.images.map((image) => sha256(image.bytes)), images.map(sha256), `split at ${at}`);
      assert.deepEqual(result.texts, ['Here it is'], `split at ${at}`);
      assert.equal(result.usage?.totalTokenCount, 1302);
    }
  });

  test('one byte at a time, and three pieces around every quote, escape and base64 quad', async () => {
    const bytes = [...body].map((byte) => Buffer.from([byte]));
    const single = await client(transportOf(bytes)).generate(job, settings, SENTINEL_TOKEN);
    assert.equal(sha256(single.images[0].bytes), sha256(PNG));
    const dataAt = body.indexOf('"data": "', body.indexOf('"mimeType": "image/png", "data"')) + 9;
    for (let first = dataAt - 10; first < dataAt + 12; first++) {
      for (let second = first + 1; second < first + 9; second++) {
        const result = await client(transportOf(split(body, first, second))).generate(job, settings, SENTINEL_TOKEN);
        assert.equal(sha256(result.images[0].bytes), sha256(PNG), `split at ${first}/${second}`);
      }
    }
  });

  test('the conversation keeps the model turn with its signatures and the image data put back', async () => {
    const result = await client(transportOf(split(body, 100, 333))).generate(job, settings, SENTINEL_TOKEN);
    const model = result.conversation[1];
    assert.equal(model.role, 'model');
    const image = model.parts.find((part) => 'inlineData' in part) as { inlineData: { data: string; mimeType: string }; thoughtSignature: string };
    assert.equal(image.inlineData.data, PNG.toString('base64'));
    assert.equal(image.thoughtSignature, 'c2ln');
    assert.ok(!model.parts.some((part) => part.thought === true && 'inlineData' in part), 'the draft image is not sent back');
    assert.ok(model.parts.some((part) => part.text === 'Sketching "fox" café — ü'), 'escaped text is decoded');
    assert.doesNotThrow(() => JSON.stringify(result.conversation));
  });
});

describe('streaming answers: shapes', () => {
  function answer(parts: string[], extra = ''): Buffer {
    return Buffer.from(`{"candidates":[{"content":{"parts":[${parts.join(',')}]},"finishReason":"STOP"}]${extra}}`);
  }
  const inline = (bytes: Buffer, first: 'data' | 'mime' = 'mime', spelling: 'camel' | 'snake' = 'camel'): string => {
    const [container, mime] = spelling === 'camel' ? ['inlineData', 'mimeType'] : ['inline_data', 'mime_type'];
    const fields = [`"${mime}":"image/png"`, `"data":"${bytes.toString('base64')}"`];
    return `{"${container}":{${(first === 'mime' ? fields : fields.reverse()).join(',')}}}`;
  };

  test('two images, data before and after the mime type, both spellings', async () => {
    const body = answer([inline(PNG, 'data'), inline(JPEG, 'mime', 'snake'), inline(SECOND, 'data', 'snake')]);
    const folder = path.join(dir, 'two');
    const result = await client(transportOf(split(body, 50, 700))).stream(job, settings, SENTINEL_TOKEN, undefined, fileSink(folder));
    assert.deepEqual(result.images.map((image) => image.format), ['png', 'jpeg', 'png']);
    assert.deepEqual(result.images.map((image) => sha256(fs.readFileSync(image.file.path))), [PNG, JPEG, SECOND].map(sha256));
    for (const image of result.images) await image.file.abort();
    assert.deepEqual(fs.readdirSync(folder), []);
  });

  test('a draft flagged before its data is never written; one flagged after it is removed', async () => {
    const folder = path.join(dir, 'drafts');
    const before = `{"thought":true,${inline(SECOND).slice(1)}`;
    const afterData = `${inline(JPEG).slice(0, -1)},"thought":true}`;
    const opened: string[] = [];
    const sink = fileSink(folder);
    const counting: ImageSink<TempImageFile> = { open: async (image) => (opened.push(image.format), sink.open(image)) };
    const body = answer([before, afterData, inline(PNG)]);
    // The late flag arrives in a later chunk than the draft's data, so the draft was already being written.
    const result = await client(transportOf(split(body, body.lastIndexOf(',"thought":true}')))).stream(job, settings, SENTINEL_TOKEN, undefined, counting);
    assert.deepEqual(opened, ['jpeg', 'png'], 'the early draft was never opened');
    assert.equal(result.images.length, 1);
    assert.equal(sha256(fs.readFileSync(result.images[0].file.path)), sha256(PNG));
    assert.deepEqual(fs.readdirSync(folder), [path.basename(result.images[0].file.path)], 'the late draft was removed');
    await result.images[0].file.abort();
  });

  test('a markdown data URL in text, and a text-only answer, still work', async () => {
    const url = `{"text":"Here: ![image](data:image/png;base64,${PNG.toString('base64')}) done"}`;
    const result = await client(transportOf([answer([url])])).generate(job, settings, SENTINEL_TOKEN);
    assert.equal(sha256(result.images[0].bytes), sha256(PNG));
    assert.deepEqual(result.texts, ['Here:  done']);
    const textOnly = await rejected(client(transportOf([answer(['{"text":"Only words"}'])])).generate(job, settings, SENTINEL_TOKEN), 'noImage');
    assert.match(textOnly.message, /Only words/);
  });

  test('non-image bytes are reported and not kept; an image next to them is', async () => {
    const folder = path.join(dir, 'junk');
    const junk = Buffer.from('hello, this is not an image at all, just some words that go on and on for a while');
    const result = await client(transportOf([answer([inline(junk), inline(PNG)])])).stream(job, settings, SENTINEL_TOKEN, undefined, fileSink(folder));
    assert.match(result.warnings?.[0] ?? '', /not a PNG, JPEG, WebP or GIF image/);
    assert.equal(result.images.length, 1);
    await result.images[0].file.abort();
    const alone = path.join(dir, 'junk-alone');
    const error = await rejected(client(transportOf([answer([inline(junk)])])).stream(job, settings, SENTINEL_TOKEN, undefined, fileSink(alone)), 'malformedAnswer');
    assert.match(error.message, /not a PNG, JPEG, WebP or GIF image/);
    assert.deepEqual(fs.readdirSync(alone), []);
  });

  test('unpadded and URL-safe base64 is accepted like the whole-body parser accepts it', async () => {
    const data = PNG.toString('base64url');
    const body = answer([`{"inlineData":{"mimeType":"image/png","data":"${data}"}}`]);
    const result = await client(transportOf(split(body, 90, 91, 92))).generate(job, settings, SENTINEL_TOKEN);
    assert.equal(sha256(result.images[0].bytes), sha256(PNG));
  });
});

describe('streaming answers: failures leave no temporary file', () => {
  const { body } = fixture();
  const dataAt = body.indexOf('"data": "', body.indexOf('"mimeType": "image/png", "data"')) + 9;

  test('the fixture image is long enough for cuts and bad characters well inside its data', () => {
    assert.ok(body.indexOf('"', dataAt) > dataAt + 500);
  });

  test('a body that ends early (inside the data, an escape, the usage) is malformedAnswer', async () => {
    for (const cut of [dataAt + 1, dataAt + 200, body.indexOf('\\/', dataAt) + 1, body.indexOf('usageMetadata'), body.length - 1]) {
      const folder = path.join(dir, `cut-${cut}`);
      const error = await rejected(client(transportOf(split(body.subarray(0, cut), 40))).stream(job, settings, SENTINEL_TOKEN, undefined, fileSink(folder)), 'malformedAnswer');
      assert.match(error.message, /stopped before it was complete/);
      assert.deepEqual(fs.readdirSync(folder), [], `cut at ${cut}`);
    }
  });

  test('the connection failing mid-image removes the file', async () => {
    const folder = path.join(dir, 'reset');
    const reset = new ImageError('network', 'The connection closed before the answer was complete.', { host: '127.0.0.1:9', code: 'UND_ERR_SOCKET' });
    await rejected(client(transportOf([body.subarray(0, dataAt + 300)], reset)).stream(job, settings, SENTINEL_TOKEN, undefined, fileSink(folder)), 'network');
    assert.deepEqual(fs.readdirSync(folder), []);
  });

  test('an invalid base64 character: the image is refused and its file removed', async () => {
    for (const bad of ['$', '\\"', '\\u00e9', '=A']) {
      const folder = path.join(dir, `bad-${bad.charCodeAt(bad.length - 1)}`);
      const broken = Buffer.concat([body.subarray(0, dataAt + 400), Buffer.from(bad), body.subarray(dataAt + 400)]);
      const error = await rejected(client(transportOf(split(broken, dataAt + 200))).stream(job, settings, SENTINEL_TOKEN, undefined, fileSink(folder)), 'malformedAnswer');
      assert.match(error.message, /not valid base64/);
      assert.deepEqual(fs.readdirSync(folder), [], `invalid ${bad}`);
    }
  });

  test('the size cap hit mid-image: tooLarge, the file removed', async () => {
    const folder = path.join(dir, 'cap');
    const chunks = split(body, 100, dataAt + 100, dataAt + 300, dataAt + 500);
    await rejected(client(transportOf(chunks), dataAt + 400).stream(job, settings, SENTINEL_TOKEN, undefined, fileSink(folder)), 'tooLarge');
    assert.deepEqual(fs.readdirSync(folder), []);
  });

  test('not JSON at all says so with the start of the body', async () => {
    const error = await rejected(client(transportOf([Buffer.from('<html><title>Bad gateway</title></html>')])).generate(job, settings, SENTINEL_TOKEN), 'malformedAnswer');
    assert.match(error.message, /not JSON \("Bad gateway"\)/);
    const empty = await rejected(client(transportOf([])).generate(job, settings, SENTINEL_TOKEN), 'malformedAnswer');
    assert.match(empty.message, /an empty answer/);
  });
});

describe('the recipe goes in on the way', () => {
  const recipe: Recipe = { version: 1, prompt: 'a fox', model: 'gemini-2.5-flash-image', references: ['a.png'], createdAt: new Date(0).toISOString() };

  for (const [format, bytes] of [['png', PNG], ['jpeg', JPEG]] as const) {
    test(`${format}: a padded slot after the header, rewritten in place with the usage`, async () => {
      const folder = path.join(dir, `recipe-${format}`);
      const body = Buffer.from(`{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/${format}","data":"${bytes.toString('base64')}"}}]}}],"usageMetadata":{"totalTokenCount":1290}}`);
      const result = await client(transportOf(split(body, 70, 75))).stream(job, settings, SENTINEL_TOKEN, undefined, fileSink(folder, recipe));
      const file = result.images[0].file;
      const final = { ...recipe, usage: result.usage, createdAt: new Date().toISOString() };
      const slot = recipeSlot(format, recipe);
      assert.ok(slot);
      assert.ok(await file.writeRecipe(recipeInsertionOfLength(format, final, slot.bytes.length)));
      await file.close();
      const saved = fs.readFileSync(file.path);
      assert.deepEqual(readRecipe(saved), final);
      assert.equal(sha256(removeRecipe(saved)), sha256(bytes), 'the image bytes are untouched');
      await file.abort();
    });
  }

  test('jpeg with EXIF, arriving a few bytes at a time: the slot goes after the JFIF and EXIF segments', async () => {
    const app0End = 4 + ((JPEG[4] << 8) | JPEG[5]);
    const exif = Buffer.alloc(5004);
    exif.set([0xff, 0xe1, (5002 >> 8) & 0xff, 5002 & 0xff], 0);
    const image = Buffer.concat([JPEG.subarray(0, app0End), exif, JPEG.subarray(app0End)]);
    const folder = path.join(dir, 'recipe-exif');
    fs.mkdirSync(folder, { recursive: true });
    const slot = recipeSlot('jpeg', recipe);
    assert.ok(slot);
    const file = await TempImageFile.create(path.join(folder, '.exif.part'), { format: 'jpeg', mimeType: 'image/jpeg' } satisfies NewImage, slot);
    for (let at = 0; at < image.length; at += 7) await file.write(image.subarray(at, at + 7));
    await file.end();
    await file.close();
    const saved = fs.readFileSync(file.path);
    assert.deepEqual([...saved.subarray(app0End + exif.length, app0End + exif.length + 2)], [0xff, 0xfe], 'the COM segment is not after APP1');
    assert.deepEqual(readRecipe(saved), recipe);
    assert.equal(sha256(removeRecipe(saved)), sha256(image));
    await file.abort();
  });

  test('a recipe that outgrew its slot drops the usage, then shortens the prompt, never the length', () => {
    const slot = recipeSlot('png', recipe);
    assert.ok(slot);
    const big = { ...recipe, prompt: `${recipe.prompt}${' and more'.repeat(100)}`, usage: { promptTokenCount: 1, candidatesTokenCount: 2, totalTokenCount: 3 } };
    const bytes = recipeInsertionOfLength('png', big, slot.bytes.length);
    assert.equal(bytes?.length, slot.bytes.length);
    const text = Buffer.from(bytes ?? []).toString('utf8');
    assert.match(text, /"prompt":"a fox and more[^"]*…"/);
  });
});
