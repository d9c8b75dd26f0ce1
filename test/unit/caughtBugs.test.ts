// Plausible bugs that once passed the whole suite unnoticed (issue 15): each test here fails when its bug is put back.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ImageError } from '../../src/core/errors';
import { slugFromPrompt } from '../../src/core/fileName';
import { ImageClient } from '../../src/core/imageClient';
import { parseOutputFolder } from '../../src/core/outputFolder';
import { MAX_PARALLEL_REQUESTS, runRequests } from '../../src/core/parallel';
import { embedRecipe, readRecipe, recipeInsertion, type Recipe } from '../../src/core/recipe';
import { SecretRedactor } from '../../src/core/redact';
import { buildGenerateBody } from '../../src/core/request';
import { parseAnswer, resultFromAnswer } from '../../src/core/response';
import { MemoryImageFile, type ImageSink } from '../../src/core/streamSink';
import { TokenVault, type SecretStore } from '../../src/core/tokenVault';
import type { HttpResponse, Transport } from '../../src/core/transport';
import { runOptions } from '../../src/panel/runOptions';
import { AUTO } from '../../src/shared/protocol';
import { SENTINEL_TOKEN } from '../sentinel';
import { FakeClock, imageJob, provider, RecordingLog } from './fixtures/clientHarness';
import { BMP_HEADER, ftyp, SVG_TEXT, testPng, TIFF_HEADER } from './fixtures/images';
import { rejected } from './fixtures/answers';

const settings = provider('http://127.0.0.1:9', { maxRetries: 0 });

/** A 200 answer that arrives in these chunks, with these headers; `read` counts the chunks the client pulled. */
function answerTransport(chunks: readonly Buffer[], headers: Record<string, string> = {}): Transport & { read: number } {
  const transport = {
    read: 0,
    async request(): Promise<HttpResponse> {
      return {
        status: 200,
        headers: { 'content-type': 'application/json', ...headers },
        body: (async function* () {
          for (const chunk of chunks) {
            transport.read++;
            yield chunk;
          }
        })(),
      };
    },
  };
  return transport;
}

function client(transport: Transport, maxResponseBytes?: number): ImageClient {
  return new ImageClient({ transport, log: new RecordingLog(), clock: new FakeClock(), maxResponseBytes });
}

/** A sink keeping images in memory, recording the formats it was asked to open. */
function memorySink(opened: string[] = []): ImageSink<MemoryImageFile> {
  return { open: async (image) => (opened.push(image.format), new MemoryImageFile(image)) };
}

function answerWith(parts: readonly string[], finishReason = 'STOP'): string {
  return `{"candidates":[{"content":{"role":"model","parts":[${parts.join(',')}]},"finishReason":"${finishReason}"}]}`;
}

function inline(bytes: Uint8Array): string {
  return `{"inlineData":{"mimeType":"image/png","data":"${Buffer.from(bytes).toString('base64')}"}}`;
}


describe('answers', () => {
  test('1. a streamed part flagged `thought: true` after its data is a draft: never handed over, even from a broken answer', async () => {
    const draft = testPng(1000, 1, true);
    const final = testPng(1000, 1, true);
    const late = `${inline(draft).slice(0, -1)},"thought":true}`;
    const body = Buffer.from(answerWith([late, inline(final)]));
    const flagAt = body.indexOf(',"thought":true}');
    // The flag comes in a later chunk than the whole draft image, which is already being written by then.
    const whole = await client(answerTransport([body.subarray(0, flagAt), body.subarray(flagAt)])).stream(imageJob(), settings, SENTINEL_TOKEN, undefined, memorySink());
    assert.equal(whole.images.length, 1, 'only the final image is handed over');
    assert.deepEqual(Buffer.from(whole.images[0].file.bytes), final);

    // The answer breaks in the middle of the final image: the draft that came whole before it must not be salvaged.
    const cutAt = body.indexOf(final.toString('base64')) + 400;
    const salvaged: Buffer[] = [];
    const broken: Transport = {
      async request(): Promise<HttpResponse> {
        return {
          status: 200,
          headers: { 'content-type': 'application/json' },
          body: (async function* () {
            yield body.subarray(0, flagAt);
            yield body.subarray(flagAt, cutAt);
            throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
          })(),
        };
      },
    };
    const sink: ImageSink<MemoryImageFile> = { ...memorySink(), salvage: async (image) => void salvaged.push(Buffer.from(image.file.bytes)) };
    await assert.rejects(client(broken).stream(imageJob(), settings, SENTINEL_TOKEN, undefined, sink));
    assert.deepEqual(salvaged, [], 'the draft was saved as an image');
  });

  test('3. FINISH_REASON_UNSPECIFIED on a text-only answer is a text answer (noImage), not a refusal', () => {
    const json = JSON.parse(answerWith(['{"text":"Here is a poem instead"}'], 'FINISH_REASON_UNSPECIFIED'));
    let caught: unknown;
    try {
      resultFromAnswer(parseAnswer(json, 'gw.example'), [], 'gw.example');
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ImageError);
    assert.equal(caught.kind, 'noImage', caught.message);
    assert.deepEqual(caught.texts, ['Here is a poem instead']);
  });

  const notOurs: [string, Buffer][] = [
    ['BMP', BMP_HEADER],
    ['TIFF', TIFF_HEADER],
    ['SVG', SVG_TEXT],
    ['HEIC', Buffer.concat([ftyp('heic', 'mif1'), Buffer.alloc(64)])],
  ];
  for (const [name, bytes] of notOurs) {
    test(`4. a streamed ${name} image is refused by name and never written`, async () => {
      const opened: string[] = [];
      const body = Buffer.from(answerWith([inline(bytes)]));
      const error = await rejected(client(answerTransport([body])).stream(imageJob(), settings, SENTINEL_TOKEN, undefined, memorySink(opened)), 'malformedAnswer');
      assert.match(error.message, new RegExp(`a ${name} file`));
      assert.deepEqual(opened, []);
    });
  }

  test('5. a Content-Length above the cap is refused before any of the body is read', async () => {
    const small = Buffer.from(answerWith([inline(testPng(4, 4))]));
    const transport = answerTransport([small], { 'content-length': '3000000' });
    const error = await rejected(client(transport, 1024 * 1024).generate(imageJob(), settings, SENTINEL_TOKEN), 'tooLarge');
    assert.match(error.message, /is 3(\.0)? MB/);
    assert.equal(transport.read, 0, 'no chunk was pulled');
  });
});

describe('the token', () => {
  /** A secret store like VS Code's, whose values another window may have written. */
  function secretStore(entries: Record<string, string> = {}): SecretStore & { values: Map<string, string> } {
    const values = new Map(Object.entries(entries));
    return {
      values,
      get: async (key) => values.get(key),
      store: async (key, value) => void values.set(key, value),
      delete: async (key) => void values.delete(key),
    };
  }

  test('6. a token read from the store (stored by another window) is scrubbed from every later log line', async () => {
    const redactor = new SecretRedactor();
    const vault = new TokenVault(secretStore({ 'geminiImage.token:https://gw.example': SENTINEL_TOKEN }), redactor);
    assert.equal(await vault.get('https://gw.example'), SENTINEL_TOKEN);
    assert.equal(redactor.redact(`401 for key ${SENTINEL_TOKEN}`), '401 for key [redacted]');
  });

  test('6b. a stored token is scrubbed too, and one host never gets another host\'s token', async () => {
    const redactor = new SecretRedactor();
    const store = secretStore();
    const vault = new TokenVault(store, redactor);
    await vault.store('https://a.example', SENTINEL_TOKEN);
    assert.deepEqual([...store.values.keys()], ['geminiImage.token:https://a.example']);
    assert.equal(await vault.get('https://b.example'), undefined);
    assert.equal(redactor.redact(SENTINEL_TOKEN), '[redacted]');
    await vault.delete('https://a.example');
    assert.equal(await vault.get('https://a.example'), undefined);
    await assert.rejects(vault.store('ftp://a.example', SENTINEL_TOKEN), /not an http\(s\) URL/);
  });

  test('7. every occurrence of the token in a line is redacted, not only the first', () => {
    const redactor = new SecretRedactor();
    redactor.addSecret(SENTINEL_TOKEN);
    const line = `sent ${SENTINEL_TOKEN}, got back ${SENTINEL_TOKEN} and ${SENTINEL_TOKEN}`;
    assert.equal(redactor.redact(line), 'sent [redacted], got back [redacted] and [redacted]');
  });
});

describe('files', () => {
  const recipe: Recipe = { version: 1, prompt: '', model: 'gemini-2.5-flash-image', references: [], createdAt: '2026-01-01T00:00:00.000Z' };

  test('8. a recipe near the 64 KiB JPEG comment limit still makes a valid segment the recipe is read back from', () => {
    const base = recipeInsertion('jpeg', recipe)?.bytes.length ?? 0;
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, ...Buffer.alloc(14), 0xff, 0xd9]);
    // Prompts whose comment text is a few bytes either side of the 65533 the segment length field allows.
    for (let text = 65528; text <= 65540; text++) {
      const prompt = 'p'.repeat(text - (base - 4));
      const segment = recipeInsertion('jpeg', { ...recipe, prompt })?.bytes;
      assert.ok(segment);
      const declared = (segment[2] << 8) | segment[3];
      assert.equal(declared, segment.length - 2, `comment text of ${text} bytes`);
      assert.ok(segment.length - 4 <= 65533);
      const back = readRecipe(embedRecipe(jpeg, 'jpeg', { ...recipe, prompt }));
      assert.ok(back?.prompt.startsWith('ppp'), `comment text of ${text} bytes reads back`);
    }
  });

  test('9. a prompt whose words join to exactly the slug limit keeps its last word', () => {
    const prompt = 'abcdefghi '.repeat(5).trim().slice(0, 48); // 48 characters once joined with dashes
    const slug = slugFromPrompt(prompt);
    assert.equal(slug.length, 48);
    assert.equal(slug, prompt.replace(/ /g, '-'));
    assert.equal(slugFromPrompt(`${prompt} x`), slug, 'one more word goes past the limit and is left out');
  });

  for (const setting of ['C:\\images', 'd:/out', 'Z:']) {
    test(`10. the Windows drive path ${setting} is refused as absolute`, () => {
      const parsed = parseOutputFolder(setting, false);
      assert.equal(parsed.ok, false);
      assert.match(parsed.ok ? '' : parsed.reason, /is an absolute path/);
    });
  }
});

describe('runs', () => {
  test('2. the panel\'s Auto output format is left out of the request, not sent as "auto"', () => {
    const choices = { model: 'gemini-2.5-flash-image', aspectRatio: AUTO, imageSize: AUTO, outputFormat: AUTO, thinkingLevel: AUTO, grounding: false, variants: 1 } as const;
    const options = runOptions(choices, undefined);
    assert.ok('outputFormat' in options, 'Auto is an explicit choice that overrides the setting');
    assert.equal(options.outputFormat, undefined);
    const body = JSON.stringify(buildGenerateBody(imageJob({ outputFormat: options.outputFormat })));
    assert.doesNotMatch(body, /outputFormat|auto/i);
    assert.equal(runOptions({ ...choices, outputFormat: 'jpeg' }, undefined).outputFormat, 'jpeg');
  });

  test('11. eight variants send at most four requests at once, and all eight are sent', async () => {
    let running = 0;
    let peak = 0;
    let done = 0;
    let started = 0;
    const waiting: (() => void)[] = [];
    const run = runRequests(8, async () => {
      started++;
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => waiting.push(resolve));
      running--;
      done++;
    });
    // Release one request at a time: each release lets exactly one more start.
    while (done < 8) {
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(running <= MAX_PARALLEL_REQUESTS, `${running} at once`);
      waiting.shift()?.();
    }
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(started, 8, 'exactly one request per variant');
    waiting.forEach((release) => release());
    await run;
    assert.equal(MAX_PARALLEL_REQUESTS, 4);
    assert.equal(peak, 4);
  });
});
