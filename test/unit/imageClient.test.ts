// The image client against the local Gemini server: answers, refusals, error statuses, retries and the model list.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { ImageError, type ImageErrorKind } from '../../src/core/errors';
import { ImageClient } from '../../src/core/imageClient';
import type { ImageResult } from '../../src/core/imageJob';
import type { HttpRequest, HttpResponse, Transport, TransportOptions } from '../../src/core/transport';
import { type ClosableTransport } from '../../src/http/index';
import { OTHER_TOKEN, SENTINEL_TOKEN } from '../sentinel';
import type { Fault } from '../server/faults';
import { type GeminiServer } from '../server/geminiServer';
import { FakeClock, imageJob, provider, RecordingLog, useServerAndTransport } from './fixtures/clientHarness';
import { reference, tinyJpeg, TINY_PNG } from './fixtures/images';

let server: GeminiServer;
let transport: ClosableTransport;
const log = new RecordingLog();
const errorMessages: string[] = [];

useServerAndTransport((started) => {
  ({ server, transport } = started);
});

function client(clock = new FakeClock(), extra: { maxResponseBytes?: number; transport?: Transport } = {}): ImageClient {
  return new ImageClient({ transport: extra.transport ?? transport, log, clock, random: () => 0.5, maxResponseBytes: extra.maxResponseBytes });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Runs a generate that must fail, checks the kind, and keeps the message for the token grep. */
async function failure(promise: Promise<ImageResult>, kind: ImageErrorKind): Promise<ImageError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageError, `expected an ImageError, got ${String(error)}`);
    errorMessages.push(error.message, ...error.texts);
    assert.equal(error.kind, kind, error.message);
    return error;
  }
  assert.fail(`expected a ${kind} failure`);
}

function generate(faults: Fault[] = [], overrides: Parameters<typeof imageJob>[0] = {}, settings: Parameters<typeof provider>[1] = {}, clock?: FakeClock): Promise<ImageResult> {
  server.enqueue(...faults);
  return client(clock).generate(imageJob(overrides), provider(server.url, settings), SENTINEL_TOKEN);
}

describe('answers with images', () => {
  test('one image: bytes as the server made them, format sniffed, text, usage, conversation', async () => {
    const result = await generate();
    assert.equal(result.images.length, 1);
    assert.equal(server.requests.length, 1);
    const made = server.requests[0].images[0];
    assert.equal(sha256(result.images[0].bytes), made.sha256);
    assert.equal(result.images[0].format, 'png');
    assert.equal(result.images[0].mimeType, 'image/png');
    assert.deepEqual(result.finishReasons, ['STOP']);
    assert.match(result.texts[0], /cyberpunk fox/);
    assert.ok(result.usage?.totalTokenCount && result.usage.totalTokenCount > 0);
    assert.equal(result.conversation.length, 2);
    assert.equal(result.conversation[1].role, 'model');
    assert.equal(server.requests[0].headers.authorization, `Bearer ${SENTINEL_TOKEN}`);
  });

  test('two images in one candidate', async () => {
    const result = await generate([{ kind: 'twoImages' }]);
    assert.deepEqual(result.images.map((image) => sha256(image.bytes)), server.requests[0].images.map((image) => image.sha256));
    assert.equal(result.images.length, 2);
  });

  test('a thought draft is skipped; the final image is kept', async () => {
    const result = await generate([{ kind: 'thoughtDraft' }], { model: 'gemini-3-pro-image-preview' });
    const final = server.requests[0].images.filter((image) => !image.thought);
    assert.equal(result.images.length, 1);
    assert.equal(sha256(result.images[0].bytes), final[0].sha256);
    assert.ok(!result.texts.some((text) => /drafting/.test(text)), 'draft text is not shown');
  });

  test('a PNG labelled image/jpeg is reported as PNG', async () => {
    const result = await generate([{ kind: 'mislabelled' }]);
    assert.equal(server.requests[0].images[0].mimeType, 'image/jpeg');
    assert.equal(result.images[0].format, 'png');
    assert.equal(result.images[0].mimeType, 'image/png');
  });

  test('an image as a markdown data URL inside text is extracted', async () => {
    const result = await generate([{ kind: 'markdownDataUrl' }]);
    assert.equal(result.images.length, 1);
    assert.equal(sha256(result.images[0].bytes), server.requests[0].images[0].sha256);
    assert.ok(result.texts.every((text) => !text.includes('data:image')), 'the data URL is taken out of the text');
    assert.ok(result.texts.some((text) => /Here is your image/.test(text)));
  });

  test('the inline_data spelling in the answer is read too', async () => {
    const result = await generate([{ kind: 'snakeCase' }]);
    assert.equal(sha256(result.images[0].bytes), server.requests[0].images[0].sha256);
  });

  test('JPEG output when asked for; references reach the server as sent', async () => {
    const photo = tinyJpeg(90);
    const result = await generate([], {
      model: 'gemini-3-pro-image-preview',
      outputFormat: 'jpeg',
      aspectRatio: '16:9',
      imageSize: '2K',
      references: [reference('photo.jpg', photo), reference('icon.png', TINY_PNG, 'image/png')],
    });
    assert.equal(result.images[0].format, 'jpeg');
    const parts = (server.requests[0].body as { contents: { parts: Record<string, { mime_type: string; data: { sha256: string } }>[] }[] }).contents[0].parts;
    assert.equal(parts[1].inline_data.data.sha256, sha256(photo));
    assert.equal(parts[2].inline_data.mime_type, 'image/png');
    assert.equal(server.requests[0].images[0].width, Math.floor(server.requests[0].images[0].width));
  });

  test('a refinement sends the conversation back and the server accepts it (thoughtSignature kept)', async () => {
    const first = await generate([], { model: 'gemini-3-pro-image-preview' });
    const signature = first.conversation[1].parts.find((part) => 'thoughtSignature' in part)?.thoughtSignature;
    assert.ok(signature, 'the model turn keeps its thoughtSignature');
    const second = await generate([], { model: 'gemini-3-pro-image-preview', prompt: 'make it night', history: first.conversation });
    assert.equal(second.images.length, 1);
    const sent = server.requests[1].body as { contents: { role: string; parts: Record<string, unknown>[] }[] };
    assert.deepEqual(sent.contents.map((content) => content.role), ['user', 'model', 'user']);
    assert.equal(sent.contents[1].parts.find((part) => 'thoughtSignature' in part)?.thoughtSignature, signature);
    assert.equal(second.conversation.length, 4);
  });

  test('the seed bodies are accepted by the server as sent', async () => {
    const photo = tinyJpeg(10);
    await generate([], { model: 'gemini-3-pro-image-preview', prompt: 'a fox', includeText: false });
    await generate([], { model: 'gemini-3-pro-image-preview', prompt: 'x', includeText: false, aspectRatio: '9:16', imageSize: '1K', references: [reference('a.jpg', photo), reference('b.jpg', tinyJpeg(200))] });
    assert.deepEqual(server.requests.map((request) => request.status), [200, 200]);
  });
});

describe('answers without an image', () => {
  test('text only: noImage with the model text', async () => {
    const error = await failure(generate([{ kind: 'textOnly', text: 'I would rather describe it.' }]), 'noImage');
    assert.deepEqual(error.texts, ['I would rather describe it.']);
    assert.match(error.message, /text only: "I would rather describe it\."/);
    assert.match(error.message, new RegExp(server.url.replace('http://', '')));
  });

  for (const reason of ['IMAGE_SAFETY', 'NO_IMAGE', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_OTHER', 'SAFETY', 'PROHIBITED_CONTENT', 'OTHER', 'BRAND_NEW_REASON']) {
    test(`refused with ${reason}: imageRefused naming the reason and finishMessage`, async () => {
      const error = await failure(generate([{ kind: 'refused', reason, message: `Because of ${reason}.` }]), 'imageRefused');
      assert.equal(error.code, reason);
      assert.match(error.message, new RegExp(`${reason}: Because of ${reason}\\.`));
      assert.equal(server.requests.length, 1, 'a refusal is not retried');
    });
  }

  test('blockReason with no candidates: blocked with the message', async () => {
    const error = await failure(generate([{ kind: 'blocked', reason: 'PROHIBITED_CONTENT', message: 'Not this prompt.' }]), 'blocked');
    assert.equal(error.code, 'PROHIBITED_CONTENT');
    assert.match(error.message, /blocked the prompt \(PROHIBITED_CONTENT: Not this prompt\.\)\. Rephrase/);
  });

  test('JSON-labelled garbage: malformedAnswer with an excerpt, not a parser message', async () => {
    const error = await failure(generate([{ kind: 'garbageJson' }]), 'malformedAnswer');
    assert.match(error.message, /not JSON \("\{"candidates".*upstream timed out/);
    assert.doesNotMatch(error.message, /Unexpected token|SyntaxError/);
  });
});

describe('error statuses', () => {
  test('HTML 502 page: status and a short excerpt, retried as a server error', async () => {
    const clock = new FakeClock();
    const error = await failure(generate([{ kind: 'html', status: 502 }, { kind: 'html', status: 502 }], {}, { maxRetries: 1 }, clock), 'serverError');
    assert.equal(error.status, 502);
    assert.match(error.message, /\(502: 502 Bad Gateway\)/);
    assert.match(error.message, /after 2 attempts/);
    assert.doesNotMatch(error.message, /JSON|Unexpected token/);
    assert.equal(server.requests.length, 2);
  });

  const notRetried: [number, ImageErrorKind][] = [
    [400, 'badRequest'],
    [401, 'authRejected'],
    [403, 'authRejected'],
    [404, 'modelNotFound'],
  ];
  for (const [status, kind] of notRetried) {
    test(`${status} is not retried: ${kind}`, async () => {
      const clock = new FakeClock();
      const error = await failure(generate([{ kind: 'error', status, message: `Google says ${status}.` }], {}, {}, clock), kind);
      assert.equal(server.requests.length, 1);
      assert.deepEqual(clock.sleeps, []);
      assert.equal(error.status, status);
      assert.match(error.message, new RegExp(`Google says ${status}\\.`));
      assert.ok(error.message.includes(server.url.replace('http://', '')), 'names the host');
    });
  }

  test('a wrong token: authRejected telling to set the token for this host', async () => {
    server.enqueue();
    const error = await failure(client().generate(imageJob(), provider(server.url), OTHER_TOKEN), 'authRejected');
    assert.match(error.message, /API key not valid/);
    assert.match(error.message, /Set API Key/);
    assert.ok(!error.message.includes(OTHER_TOKEN));
  });

  test('an unknown model: modelNotFound naming the model', async () => {
    const error = await failure(generate([], { model: 'gemini-9-imaginary' }), 'modelNotFound');
    assert.match(error.message, /Model "gemini-9-imaginary" was not found at 127\.0\.0\.1:\d+/);
  });

  test('no token: nothing is sent', async () => {
    const error = await failure(client().generate(imageJob(), provider(server.url), undefined), 'noToken');
    assert.match(error.message, /Set API Key/);
    assert.equal(server.requests.length, 0);
  });

  test('an invalid job: nothing is sent', async () => {
    await failure(generate([], { aspectRatio: '1:8' }), 'invalidJob');
    assert.equal(server.requests.length, 0);
  });

  test('the provider echoing the token in an error: redacted by the safety net', async () => {
    const error = await failure(generate([{ kind: 'error', status: 400, message: `Key ${SENTINEL_TOKEN} has no access.` }]), 'badRequest');
    assert.ok(!error.message.includes(SENTINEL_TOKEN));
    assert.match(error.message, /Key \[redacted\] has no access/);
  });
});

describe('retries', () => {
  test('429 with Retry-After 1 s twice, then success: three requests, real waits honoured', async () => {
    const times: number[] = [];
    const timing: Transport = {
      request(request: HttpRequest, options: TransportOptions): Promise<HttpResponse> {
        times.push(Date.now());
        return transport.request(request, options);
      },
    };
    server.enqueue({ kind: 'error', status: 429, retryAfter: '1' }, { kind: 'error', status: 429, retryAfter: '1' });
    const realClock = new ImageClient({ transport: timing, log });
    const result = await realClock.generate(imageJob(), provider(server.url), SENTINEL_TOKEN);
    assert.equal(result.images.length, 1);
    assert.equal(server.requests.length, 3);
    assert.ok(times[1] - times[0] >= 950, `first wait ${times[1] - times[0]} ms`);
    assert.ok(times[2] - times[1] >= 950, `second wait ${times[2] - times[1]} ms`);
    assert.equal(log.lines.filter((line) => /→ 429 .*retrying in 1 s \(Retry-After\)/.test(line)).length, 2);
  });

  test('RetryInfo delay from the error details is used', async () => {
    const clock = new FakeClock();
    const result = await generate([{ kind: 'error', status: 429, retryDelay: '7s' }, { kind: 'error', status: 503, retryDelay: '0.5s' }], {}, {}, clock);
    assert.equal(result.images.length, 1);
    assert.deepEqual(clock.sleeps, [7000, 500]);
  });

  test('retry-after-ms and an HTTP-date Retry-After', async () => {
    const clock = new FakeClock();
    const date = new Date(Date.now() + 20_000).toUTCString();
    await generate([{ kind: 'error', status: 503, retryAfterMs: 1500 }, { kind: 'error', status: 429, retryAfter: date }], {}, {}, clock);
    assert.equal(clock.sleeps[0], 1500);
    assert.ok(clock.sleeps[1] > 17_000 && clock.sleeps[1] <= 20_000, `date wait ${clock.sleeps[1]}`);
  });

  test('a per-day quota is not retried', async () => {
    const clock = new FakeClock();
    const error = await failure(
      generate([{ kind: 'error', status: 429, quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier', retryDelay: '30s' }], {}, {}, clock),
      'quota',
    );
    assert.equal(server.requests.length, 1);
    assert.deepEqual(clock.sleeps, []);
    assert.match(error.message, /daily quota: try again tomorrow/);
  });

  test('a Retry-After beyond the cap fails at once with the wait in the message', async () => {
    const clock = new FakeClock();
    const error = await failure(generate([{ kind: 'error', status: 429, retryAfter: '3600' }], {}, {}, clock), 'quota');
    assert.equal(server.requests.length, 1);
    assert.deepEqual(clock.sleeps, []);
    assert.equal(error.retryAfterMs, 3_600_000);
    assert.match(error.message, /wait 1 h/);
  });

  test('503 until the retry limit: every attempt logged, backoff grows, then serverError', async () => {
    const clock = new FakeClock();
    const unavailable: Fault = { kind: 'error', status: 503 };
    const error = await failure(generate([unavailable, unavailable, unavailable, unavailable], {}, { maxRetries: 2 }, clock), 'serverError');
    assert.equal(server.requests.length, 3);
    assert.match(error.message, /after 3 attempts/);
    assert.equal(clock.sleeps.length, 2);
    assert.ok(clock.sleeps[1] > clock.sleeps[0], `backoff grows: ${clock.sleeps.join(', ')}`);
    const attempts = log.lines.filter((line) => / → 503 .*attempt \d\/3/.test(line));
    assert.equal(attempts.length, 3);
    assert.match(attempts[0], /POST 127\.0\.0\.1:\d+ model=gemini-2\.5-flash-image refs=0 text\+image request=\d+ bytes → 503 \(\d+ bytes\) in \d+ ms, attempt 1\/3; retrying in/);
  });

  test('a connection reset before any answer is retried', async () => {
    const clock = new FakeClock();
    const result = await generate([{ kind: 'reset' }], {}, {}, clock);
    assert.equal(result.images.length, 1);
    assert.equal(server.requests.length, 2);
    assert.equal(clock.sleeps.length, 1);
  });

  test('maxRetries 0 means one attempt', async () => {
    await failure(generate([{ kind: 'error', status: 500 }], {}, { maxRetries: 0 }), 'serverError');
    assert.equal(server.requests.length, 1);
  });
});

describe('model list', () => {
  test('follows nextPageToken and keeps only image models', async () => {
    const list = await client().listModels(provider(server.url), SENTINEL_TOKEN);
    assert.equal(list.source, 'provider');
    const ids = list.models.map((model) => model.id);
    assert.ok(ids.includes('gemini-2.5-flash-image') && ids.includes('gemini-3.1-flash-image-preview-4k'), ids.join());
    assert.ok(!ids.includes('gemini-2.5-flash') && !ids.includes('text-embedding-004'));
    assert.equal(ids.length, 14);
    assert.ok(ids.includes('gemini-3.1-flash-image') && ids.includes('gemini-3.1-flash-lite-image'));
    assert.ok(server.requests.length > 1, 'several pages were asked for');
    assert.ok(server.requests.every((request) => !request.query.key && request.headers.authorization === `Bearer ${SENTINEL_TOKEN}`));
    assert.equal(list.models.find((model) => model.id === 'gemini-3-pro-image-preview')?.capabilities?.maxReferences, 14);
  });

  test('falls back to the built-in table when the provider refuses, is down, or no token is set', async () => {
    const refused = await client().listModels(provider(server.url), OTHER_TOKEN);
    assert.equal(refused.source, 'builtin');
    assert.match(refused.reason ?? '', /rejected the API token/);
    assert.ok(refused.models.some((model) => model.id === 'gemini-3-pro-image-preview-2k'));
    const down = await client().listModels(provider('http://127.0.0.1:9', { timeoutSeconds: 2 }), SENTINEL_TOKEN);
    assert.equal(down.source, 'builtin');
    const noToken = await client().listModels(provider(server.url), undefined);
    assert.equal(noToken.source, 'builtin');
    errorMessages.push(refused.reason ?? '', down.reason ?? '', noToken.reason ?? '');
  });
});

test("the token never appears in any log line or error message", () => {
  assert.ok(log.lines.length > 20);
  assert.ok(errorMessages.length > 20);
  for (const text of [...log.lines, ...errorMessages]) {
    assert.ok(!text.includes(SENTINEL_TOKEN), `token leaked: ${text}`);
    assert.ok(!text.includes(OTHER_TOKEN), `token leaked: ${text}`);
  }
});
