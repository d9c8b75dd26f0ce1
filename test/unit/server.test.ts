// Checks the local Gemini-compatible test server itself: image bytes, validation, auth, faults, recording, admin routes.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { OTHER_TOKEN, SENTINEL_TOKEN } from '../sentinel';
import { GeminiServer, startGeminiServer } from '../server/geminiServer';
import { encodeJpeg, encodePng } from '../server/imageFactory';
import { RateLimiter } from '../server/rateLimit';

const SMALL_PNG = encodePng('reference png', 8, 6);
const SMALL_JPEG = encodeJpeg('reference jpeg', 16, 16);

function generateUrl(server: GeminiServer, model: string): string {
  return `${server.url}/v1beta/models/${model}:generateContent`;
}

async function generate(
  server: GeminiServer,
  model: string,
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${SENTINEL_TOKEN}` },
  init: RequestInit = {},
): Promise<Response> {
  return fetch(generateUrl(server, model), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...init,
  });
}

function prompt(text: string, imageConfig?: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    contents: [{ role: 'user', parts: [{ text }] }],
    generationConfig: { responseModalities: ['TEXT', 'IMAGE'], ...(imageConfig ? { imageConfig } : {}), ...extra },
  };
}

interface Answer {
  candidates?: { content?: { role: string; parts: Record<string, unknown>[] }; finishReason?: string; finishMessage?: string }[];
  promptFeedback?: { blockReason?: string; blockReasonMessage?: string };
  usageMetadata?: Record<string, number>;
  modelVersion?: string;
  error?: { code: number; message: string; status: string; details?: Record<string, unknown>[] };
}

function imagesOf(answer: Answer): { mimeType: string; bytes: Buffer; part: Record<string, unknown> }[] {
  const parts = answer.candidates?.[0]?.content?.parts ?? [];
  return parts.flatMap((part) => {
    const inline = (part.inlineData ?? part.inline_data) as Record<string, string> | undefined;
    return inline ? [{ mimeType: inline.mimeType ?? inline.mime_type, bytes: Buffer.from(inline.data, 'base64'), part }] : [];
  });
}

/** Parses a PNG, checks every CRC, inflates the image data and checks its length. */
function readPng(bytes: Buffer): { width: number; height: number; chunks: string[] } {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  const chunks: string[] = [];
  const idat: Buffer[] = [];
  let width = 0;
  let height = 0;
  let colourType = 0;
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    const crc = bytes.readUInt32BE(offset + 8 + length);
    assert.equal(zlib.crc32(bytes.subarray(offset + 4, offset + 8 + length)) >>> 0, crc, `CRC of ${type}`);
    chunks.push(type);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      colourType = data[9];
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  assert.equal(chunks[0], 'IHDR');
  assert.equal(chunks[chunks.length - 1], 'IEND');
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const channels = colourType === 6 ? 4 : 3;
  assert.equal(raw.length, height * (1 + width * channels));
  return { width, height, chunks };
}

/** Reads the frame size from a JPEG's SOF segment. */
function jpegSize(bytes: Buffer): { width: number; height: number } {
  assert.equal(bytes[0], 0xff);
  assert.equal(bytes[1], 0xd8);
  let offset = 2;
  while (offset < bytes.length) {
    assert.equal(bytes[offset], 0xff);
    const marker = bytes[offset + 1];
    const length = bytes.readUInt16BE(offset + 2);
    if (marker >= 0xc0 && marker <= 0xc2) return { height: bytes.readUInt16BE(offset + 5), width: bytes.readUInt16BE(offset + 7) };
    offset += 2 + length;
  }
  throw new Error('no SOF segment');
}

async function expectError(response: Response, status: number, googleStatus: string, messagePart?: RegExp): Promise<string> {
  const answer = (await response.json()) as Answer;
  assert.equal(response.status, status, JSON.stringify(answer));
  assert.equal(answer.error?.code, status);
  assert.equal(answer.error?.status, googleStatus);
  if (messagePart) assert.match(answer.error?.message ?? '', messagePart);
  return answer.error?.message ?? '';
}

describe('Gemini test server', () => {
  let server: GeminiServer;
  before(async () => {
    server = await startGeminiServer({ smallImages: true });
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  describe('success answers', () => {
    test('a real-size 1K 16:9 PNG: signature, IHDR 1344x768, CRCs, decodable data', async () => {
      server.setOptions({ smallImages: false });
      const response = await generate(server, 'gemini-3-pro-image-preview', prompt('a red fox', { aspectRatio: '16:9', imageSize: '1K' }));
      assert.equal(response.status, 200);
      const answer = (await response.json()) as Answer;
      const [image] = imagesOf(answer);
      assert.equal(image.mimeType, 'image/png');
      const png = readPng(image.bytes);
      assert.deepEqual([png.width, png.height], [1344, 768]);
      assert.ok(image.bytes.length > 500_000, `realistic size, got ${image.bytes.length}`);
      assert.equal(server.requests[0].images[0].width, 1344);
      assert.equal(server.requests[0].images[0].height, 768);
    });

    test('1:1 1K defaults and 16:9 2K sizes (small images divide by 16)', async () => {
      const square = (await (await generate(server, 'gemini-2.5-flash-image', prompt('a cat'))).json()) as Answer;
      assert.deepEqual(Object.values(readPng(imagesOf(square)[0].bytes)).slice(0, 2), [64, 64]);
      const wide = (await (await generate(server, 'gemini-3.1-flash-image-preview', prompt('a cat', { aspectRatio: '16:9', imageSize: '2K' }))).json()) as Answer;
      const png = readPng(imagesOf(wide)[0].bytes);
      assert.deepEqual([png.width, png.height], [2688 / 16, 1536 / 16]);
      const suffixed = (await (await generate(server, 'gemini-3.1-flash-image-preview-512', prompt('a cat', { aspectRatio: '1:8' }))).json()) as Answer;
      const thin = readPng(imagesOf(suffixed)[0].bytes);
      assert.deepEqual([thin.width, thin.height], [12, 96]);
    });

    test('2K real size is exactly double', async () => {
      server.setOptions({ smallImages: false });
      const answer = (await (await generate(server, 'gemini-3-pro-image-preview-2k', prompt('a dog', { aspectRatio: '16:9' }))).json()) as Answer;
      const png = readPng(imagesOf(answer)[0].bytes);
      assert.deepEqual([png.width, png.height], [2688, 1536]);
    });

    test('answer shape: text part first, image with thoughtSignature, usage, modelVersion', async () => {
      const answer = (await (await generate(server, 'gemini-2.5-flash-image', prompt('a cat'))).json()) as Answer;
      const candidate = answer.candidates?.[0];
      assert.equal(candidate?.finishReason, 'STOP');
      assert.equal(candidate?.content?.role, 'model');
      const parts = candidate?.content?.parts ?? [];
      assert.equal(typeof parts[0].text, 'string');
      assert.ok(parts[1].inlineData);
      assert.equal(typeof parts[1].thoughtSignature, 'string');
      assert.equal(answer.modelVersion, 'gemini-2.5-flash-image');
      const usage = answer.usageMetadata ?? {};
      assert.ok(usage.promptTokenCount > 0);
      assert.ok(usage.candidatesTokenCount >= 1290);
      assert.equal(usage.totalTokenCount, usage.promptTokenCount + usage.candidatesTokenCount + (usage.thoughtsTokenCount ?? 0));
    });

    test('IMAGE only gives no text part; prompts and variants give different bytes', async () => {
      const body = { contents: [{ parts: [{ text: 'a cat' }] }], generationConfig: { responseModalities: ['IMAGE'] } };
      const first = (await (await generate(server, 'gemini-2.5-flash-image', body)).json()) as Answer;
      assert.equal(first.candidates?.[0].content?.parts.length, 1);
      const second = (await (await generate(server, 'gemini-2.5-flash-image', body)).json()) as Answer;
      const other = (await (await generate(server, 'gemini-2.5-flash-image', { ...body, contents: [{ parts: [{ text: 'a dog' }] }] })).json()) as Answer;
      const hashes = new Set(server.requests.map((request) => request.images[0].sha256));
      assert.equal(hashes.size, 3);
      assert.notDeepEqual(imagesOf(first)[0].bytes, imagesOf(second)[0].bytes);
      assert.notDeepEqual(imagesOf(first)[0].bytes, imagesOf(other)[0].bytes);
    });

    test('outputFormat jpeg answers a JPEG with the right SOF size', async () => {
      server.setOptions({ smallImages: false });
      const answer = (await (await generate(server, 'gemini-3.1-flash-image-preview-1k', prompt('a cat', { aspectRatio: '3:4', outputFormat: 'jpeg' }))).json()) as Answer;
      const [image] = imagesOf(answer);
      assert.equal(image.mimeType, 'image/jpeg');
      assert.deepEqual(jpegSize(image.bytes), { width: 864, height: 1184 });
    });

    test('snake_case request spelling and a multi-turn model turn with thoughtSignature are accepted', async () => {
      const first = (await (await generate(server, 'gemini-3-pro-image-preview', prompt('a castle'))).json()) as Answer;
      const modelParts = first.candidates?.[0].content?.parts ?? [];
      const body = {
        contents: [
          { role: 'user', parts: [{ text: 'a castle' }] },
          { role: 'model', parts: modelParts },
          { role: 'user', parts: [{ text: 'make it night' }, { inline_data: { mime_type: 'image/png', data: SMALL_PNG.toString('base64') } }] },
        ],
        generation_config: { response_modalities: ['IMAGE'], image_config: { aspect_ratio: '4:3', image_size: '2K' } },
      };
      const response = await generate(server, 'gemini-3-pro-image-preview', body);
      assert.equal(response.status, 200, await response.clone().text());
      const recorded = server.requests[1].body as { contents: { parts: Record<string, unknown>[] }[] };
      assert.deepEqual(recorded.contents[2].parts[1].inline_data, {
        mime_type: 'image/png',
        data: { bytes: SMALL_PNG.length, sha256: createHash('sha256').update(SMALL_PNG).digest('hex') },
      });
    });

    test('the four request examples of the seed gateway document are accepted', async () => {
      const seedDir = '/work/shared/seeds';
      const seedFile = fs.readdirSync(seedDir).find((name) => name.startsWith('002_'));
      assert.ok(seedFile);
      const text = fs.readFileSync(path.join(seedDir, seedFile), 'utf8');
      const requestPart = text.slice(text.indexOf('## Request Examples'), text.indexOf('## Response'));
      const examples = [...requestPart.matchAll(/```json\n([\s\S]*?)```/g)].map((match) => match[1]);
      assert.equal(examples.length, 4);
      for (const example of examples) {
        const body = example.replace(/"image_base64(_\d)?"/g, (_, index?: string) => `"${(index === '_2' ? SMALL_PNG : SMALL_JPEG).toString('base64')}"`);
        const response = await generate(server, 'gemini-3.1-flash-image-preview-1k', body);
        assert.equal(response.status, 200, await response.clone().text());
        assert.equal(imagesOf((await response.json()) as Answer).length, 1);
      }
    });
  });

  describe('validation', () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['unknown field', 'gemini-2.5-flash-image', { ...prompt('x'), generationConfig: { foo: 1 } }, /Unknown name "foo" at 'generation_config': Cannot find field/],
      ['unknown top-level field', 'gemini-2.5-flash-image', { ...prompt('x'), model: 'x' }, /Unknown name "model": Cannot find field/],
      ['unknown part field', 'gemini-2.5-flash-image', { contents: [{ parts: [{ txt: 'x' }] }] }, /Unknown name "txt" at 'contents\[0\]\.parts\[0\]'/],
      ['ratio not allowed for the model', 'gemini-2.5-flash-image', prompt('x', { aspectRatio: '1:4' }), /aspect ratio/],
      ['lowercase size', 'gemini-3-pro-image-preview', prompt('x', { imageSize: '2k' }), /image size "2k"/],
      ['512 on 3-pro', 'gemini-3-pro-image-preview', prompt('x', { imageSize: '512' }), /image size "512"/],
      ['imageSize on 2.5-flash', 'gemini-2.5-flash-image', prompt('x', { imageSize: '1K' }), /image_size is not supported/],
      ['size conflicting with the suffix', 'gemini-3.1-flash-image-preview-1k', prompt('x', { imageSize: '2K' }), /conflicts/],
      ['candidateCount 2', 'gemini-2.5-flash-image', prompt('x', undefined, { candidateCount: 2 }), /Multiple candidates/],
      ['bad modality', 'gemini-2.5-flash-image', { contents: [{ parts: [{ text: 'x' }] }], generationConfig: { responseModalities: ['AUDIO'] } }, /Modality/],
      ['bad output format', 'gemini-3.1-flash-image-preview', prompt('x', { outputFormat: 'gif' }), /output format/],
      ['empty contents', 'gemini-2.5-flash-image', { contents: [] }, /contents is not specified/],
      ['no contents', 'gemini-2.5-flash-image', { generationConfig: {} }, /contents is not specified/],
      ['empty parts', 'gemini-2.5-flash-image', { contents: [{ role: 'user', parts: [] }] }, /must not be empty/],
      ['bad role', 'gemini-2.5-flash-image', { contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, /valid role/],
      ['wrong type', 'gemini-2.5-flash-image', { contents: [{ parts: [{ text: 5 }] }] }, /TYPE_STRING/],
      ['bad base64', 'gemini-2.5-flash-image', { contents: [{ parts: [{ text: 'x' }, { inlineData: { mimeType: 'image/png', data: '!!not base64!!' } }] }] }, /Base64 decoding failed/],
      ['bytes that are no image', 'gemini-2.5-flash-image', { contents: [{ parts: [{ text: 'x' }, { inlineData: { mimeType: 'image/png', data: 'aW1hZ2U=' } }] }] }, /Unable to process input image/],
      ['unsupported mime type', 'gemini-2.5-flash-image', { contents: [{ parts: [{ text: 'x' }, { inlineData: { mimeType: 'image/gif', data: SMALL_PNG.toString('base64') } }] }] }, /Unsupported MIME type: image\/gif/],
      ['too many references for 2.5-flash', 'gemini-2.5-flash-image', { contents: [{ parts: [{ text: 'x' }, ...Array.from({ length: 4 }, () => ({ inlineData: { mimeType: 'image/png', data: SMALL_PNG.toString('base64') } }))] }] }, /at most 3/],
      ['too many references for 3-pro', 'gemini-3-pro-image-preview', { contents: [{ parts: [{ text: 'x' }, ...Array.from({ length: 15 }, () => ({ inlineData: { mimeType: 'image/png', data: SMALL_PNG.toString('base64') } }))] }] }, /at most 14/],
      ['not JSON', 'gemini-2.5-flash-image', '{"contents": [', /Invalid JSON payload/],
      ['IMAGE from a text model', 'gemini-2.5-flash', prompt('x'), /response modalities/],
    ];
    for (const [name, model, body, message] of cases) {
      test(`refuses: ${name}`, async () => {
        await expectError(await generate(server, model, body), 400, 'INVALID_ARGUMENT', message);
        assert.equal(server.requests[0].status, 400);
      });
    }

    test('accepts 14 references on 3.1-flash, and 1:8 with 512', async () => {
      const body = {
        contents: [{ parts: [{ text: 'x' }, ...Array.from({ length: 14 }, () => ({ inlineData: { mimeType: 'image/jpeg', data: SMALL_JPEG.toString('base64') } }))] }],
        generationConfig: { imageConfig: { aspectRatio: '1:8', imageSize: '512' } },
      };
      assert.equal((await generate(server, 'gemini-3.1-flash-image-preview', body)).status, 200);
    });

    test('a body over 20 MB is refused with 400', async () => {
      const big = JSON.stringify({ contents: [{ parts: [{ text: 'x'.repeat(21 * 1024 * 1024) }] }] });
      await expectError(await generate(server, 'gemini-2.5-flash-image', big), 400, 'INVALID_ARGUMENT', /payload size exceeds/);
    });

    test('unknown models and paths are 404 with Google JSON', async () => {
      await expectError(await generate(server, 'gemini-9-imaginary', prompt('x')), 404, 'NOT_FOUND', /models\/gemini-9-imaginary is not found/);
      await expectError(await generate(server, 'text-embedding-004', prompt('x')), 404, 'NOT_FOUND');
      await expectError(await fetch(`${server.url}/v1/whatever`), 404, 'NOT_FOUND');
      await expectError(await fetch(generateUrl(server, 'gemini-2.5-flash-image')), 404, 'NOT_FOUND');
      assert.deepEqual(server.requests.map((request) => [request.method, request.status]), [['POST', 404], ['POST', 404], ['GET', 404], ['GET', 404]]);
    });
  });

  describe('auth', () => {
    test('no token, a wrong token and a ?key= parameter are refused', async () => {
      await expectError(await generate(server, 'gemini-2.5-flash-image', prompt('x'), {}), 401, 'UNAUTHENTICATED');
      await expectError(await generate(server, 'gemini-2.5-flash-image', prompt('x'), { authorization: `Bearer ${OTHER_TOKEN}` }), 401, 'UNAUTHENTICATED');
      await expectError(await generate(server, 'gemini-2.5-flash-image', prompt('x'), { 'x-goog-api-key': OTHER_TOKEN }), 401, 'UNAUTHENTICATED');
      const keyed = await fetch(`${generateUrl(server, 'gemini-2.5-flash-image')}?key=${SENTINEL_TOKEN}`, { method: 'POST', body: JSON.stringify(prompt('x')) });
      await expectError(keyed, 400, 'INVALID_ARGUMENT', /not accepted in the URL/);
    });

    test('x-goog-api-key works, tokens can be changed, and 401 beats a queued fault', async () => {
      assert.equal((await generate(server, 'gemini-2.5-flash-image', prompt('x'), { 'x-goog-api-key': SENTINEL_TOKEN })).status, 200);
      server.setOptions({ tokens: [OTHER_TOKEN] });
      server.enqueue({ kind: 'error', status: 500 });
      await expectError(await generate(server, 'gemini-2.5-flash-image', prompt('x')), 401, 'UNAUTHENTICATED');
      await expectError(await generate(server, 'gemini-2.5-flash-image', prompt('x'), { authorization: `Bearer ${OTHER_TOKEN}` }), 500, 'INTERNAL');
    });
  });

  describe('model list', () => {
    test('pages by nextPageToken, includes non-image models, needs auth', async () => {
      const auth = { 'x-goog-api-key': SENTINEL_TOKEN };
      await expectError(await fetch(`${server.url}/v1beta/models`), 401, 'UNAUTHENTICATED');
      const names: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const query = token ? `?pageToken=${encodeURIComponent(token)}` : '';
        const page = (await (await fetch(`${server.url}/v1beta/models${query}`, { headers: auth })).json()) as {
          models: { name: string; supportedGenerationMethods: string[] }[];
          nextPageToken?: string;
        };
        assert.ok(page.models.length <= 3);
        names.push(...page.models.map((model) => model.name));
        token = page.nextPageToken;
        pages++;
      } while (token);
      assert.ok(pages >= 3);
      assert.ok(names.includes('models/gemini-2.5-flash-image'));
      assert.ok(names.includes('models/gemini-3.1-flash-image-preview-4k'));
      assert.ok(names.includes('models/text-embedding-004'));
      const one = (await (await fetch(`${server.url}/v1beta/models/gemini-3-pro-image-preview`, { headers: auth })).json()) as { name: string };
      assert.equal(one.name, 'models/gemini-3-pro-image-preview');
      await expectError(await fetch(`${server.url}/v1beta/models/nope`, { headers: auth }), 404, 'NOT_FOUND');
    });
  });

  describe('faults', () => {
    const model = 'gemini-2.5-flash-image';

    test('error: status, Retry-After, retry-after-ms, RetryInfo and QuotaFailure', async () => {
      server.enqueue({ kind: 'error', status: 429, retryAfter: '3', retryAfterMs: 1500, retryDelay: '2s', quotaId: 'GenerateRequestsPerDayPerProjectPerModel', message: 'Quota exceeded' });
      const response = await generate(server, model, prompt('x'));
      assert.equal(response.headers.get('retry-after'), '3');
      assert.equal(response.headers.get('retry-after-ms'), '1500');
      const answer = (await response.json()) as Answer;
      assert.equal(response.status, 429);
      assert.equal(answer.error?.status, 'RESOURCE_EXHAUSTED');
      assert.equal(answer.error?.message, 'Quota exceeded');
      const details = answer.error?.details ?? [];
      assert.deepEqual(details.find((detail) => detail['@type'] === 'type.googleapis.com/google.rpc.RetryInfo'), { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' });
      const quota = details.find((detail) => detail['@type'] === 'type.googleapis.com/google.rpc.QuotaFailure') as { violations: { quotaId: string }[] };
      assert.equal(quota.violations[0].quotaId, 'GenerateRequestsPerDayPerProjectPerModel');
      // The fault is used up: the next request succeeds.
      assert.equal((await generate(server, model, prompt('x'))).status, 200);
    });

    test('faults apply whatever the body says, in order', async () => {
      server.enqueue({ kind: 'error', status: 503 }, { kind: 'error', status: 500 });
      await expectError(await generate(server, model, '{not json'), 503, 'UNAVAILABLE');
      await expectError(await generate(server, model, prompt('x')), 500, 'INTERNAL');
    });

    test('html: an HTML error page', async () => {
      server.enqueue({ kind: 'html', status: 502 });
      const response = await generate(server, model, prompt('x'));
      assert.equal(response.status, 502);
      assert.match(response.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await response.text(), /<h1>502 Bad Gateway<\/h1>/);
    });

    test('garbageJson: 200 application/json that is not JSON', async () => {
      server.enqueue({ kind: 'garbageJson' });
      const response = await generate(server, model, prompt('x'));
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      await assert.rejects(response.json());
    });

    test('noHeaders: no answer until the client gives up', async () => {
      server.enqueue({ kind: 'noHeaders' });
      await assert.rejects(generate(server, model, prompt('x'), undefined, { signal: AbortSignal.timeout(300) }), /abort|timeout/i);
      assert.equal(server.requests[0].status, 0);
    });

    test('stallBody: headers and a few bytes, then nothing', async () => {
      server.enqueue({ kind: 'stallBody', afterBytes: 20 });
      const controller = new AbortController();
      const response = await generate(server, model, prompt('x'), undefined, { signal: controller.signal });
      assert.equal(response.status, 200);
      const reader = response.body!.getReader();
      const first = await reader.read();
      assert.equal(Buffer.from(first.value!).toString(), '{"candidates":[{"con');
      const timer = setTimeout(() => controller.abort(), 300);
      await assert.rejects(reader.read());
      clearTimeout(timer);
    });

    test('cutBody: the body ends inside the image base64', async () => {
      server.enqueue({ kind: 'cutBody' });
      const response = await generate(server, model, prompt('x'));
      assert.equal(response.status, 200);
      await assert.rejects(response.text());
    });

    test('reset: the connection is reset without an answer', async () => {
      server.enqueue({ kind: 'reset' });
      await assert.rejects(generate(server, model, prompt('x')));
    });

    test('blocked: promptFeedback without candidates', async () => {
      server.enqueue({ kind: 'blocked', reason: 'SAFETY', message: 'blocked for safety' });
      const answer = (await (await generate(server, model, prompt('x'))).json()) as Answer;
      assert.equal(answer.candidates, undefined);
      assert.deepEqual([answer.promptFeedback?.blockReason, answer.promptFeedback?.blockReasonMessage], ['SAFETY', 'blocked for safety']);
    });

    test('refused: a candidate with finishReason and finishMessage and no image', async () => {
      server.enqueue({ kind: 'refused', reason: 'IMAGE_SAFETY', message: 'unsafe image' });
      const answer = (await (await generate(server, model, prompt('x'))).json()) as Answer;
      assert.equal(answer.candidates?.[0].finishReason, 'IMAGE_SAFETY');
      assert.equal(answer.candidates?.[0].finishMessage, 'unsafe image');
      assert.equal(imagesOf(answer).length, 0);
    });

    test('textOnly: one text part', async () => {
      server.enqueue({ kind: 'textOnly', text: 'just words' });
      const answer = (await (await generate(server, model, prompt('x'))).json()) as Answer;
      assert.deepEqual(answer.candidates?.[0].content?.parts.map((part) => part.text), ['just words']);
      assert.deepEqual(server.requests[0].images, []);
    });

    test('twoImages: two different image parts', async () => {
      server.enqueue({ kind: 'twoImages' });
      const answer = (await (await generate(server, model, prompt('x'))).json()) as Answer;
      const images = imagesOf(answer);
      assert.equal(images.length, 2);
      assert.notDeepEqual(images[0].bytes, images[1].bytes);
      assert.equal(server.requests[0].images.length, 2);
    });

    test('thoughtDraft: a thought:true image before the final one', async () => {
      server.enqueue({ kind: 'thoughtDraft' });
      const answer = (await (await generate(server, model, prompt('x'))).json()) as Answer;
      const images = imagesOf(answer);
      assert.equal(images.length, 2);
      assert.equal(images[0].part.thought, true);
      assert.equal(images[1].part.thought, undefined);
      assert.equal(typeof images[1].part.thoughtSignature, 'string');
      assert.deepEqual(server.requests[0].images.map((image) => image.thought ?? false), [true, false]);
    });

    test('mislabelled: PNG bytes declared image/jpeg', async () => {
      server.enqueue({ kind: 'mislabelled' });
      const [image] = imagesOf((await (await generate(server, model, prompt('x'))).json()) as Answer);
      assert.equal(image.mimeType, 'image/jpeg');
      readPng(image.bytes);
    });

    test('markdownDataUrl: the image inside a text part', async () => {
      server.enqueue({ kind: 'markdownDataUrl' });
      const answer = (await (await generate(server, model, prompt('x'))).json()) as Answer;
      assert.equal(imagesOf(answer).length, 0);
      const text = answer.candidates?.[0].content?.parts.map((part) => part.text ?? '').join('\n') ?? '';
      const match = /!\[image\]\(data:image\/png;base64,([A-Za-z0-9+/=]+)\)/.exec(text);
      assert.ok(match);
      readPng(Buffer.from(match[1], 'base64'));
      assert.equal(server.requests[0].images.length, 1);
    });

    test('snakeCase: inline_data{mime_type,data} in the answer', async () => {
      server.enqueue({ kind: 'snakeCase' });
      const answer = (await (await generate(server, model, prompt('x'))).json()) as Answer;
      const part = answer.candidates?.[0].content?.parts[1] as { inline_data?: { mime_type: string; data: string }; inlineData?: unknown };
      assert.equal(part.inlineData, undefined);
      assert.equal(part.inline_data?.mime_type, 'image/png');
      readPng(Buffer.from(part.inline_data!.data, 'base64'));
    });

    test('cached base64: repeated answers carry exactly the recorded images, no marker left, content-length exact', async () => {
      server.enqueue({ kind: 'twoImages' }, { kind: 'snakeCase' });
      for (let i = 0; i < 4; i++) {
        const response = await generate(server, model, prompt('same prompt, cached'));
        const text = await response.text();
        assert.equal(Number(response.headers.get('content-length')), Buffer.byteLength(text));
        assert.doesNotMatch(text, /gis-inline-data/);
        const sent = imagesOf(JSON.parse(text) as Answer).map((image) => createHash('sha256').update(image.bytes).digest('hex'));
        assert.deepEqual(sent, server.requests[i].images.map((image) => image.sha256));
        assert.equal(sent.length, i === 0 ? 2 : 1);
      }
      // The request counter still makes variants of one prompt differ.
      assert.notEqual(server.requests[2].images[0].sha256, server.requests[3].images[0].sha256);
    });

    test('delay: waits, then answers normally', async () => {
      server.enqueue({ kind: 'delay', ms: 250 });
      const started = Date.now();
      assert.equal((await generate(server, model, prompt('x'))).status, 200);
      assert.ok(Date.now() - started >= 240);
    });

    test('latencyMs option delays every answer', async () => {
      server.setOptions({ latencyMs: 200 });
      const started = Date.now();
      assert.equal((await generate(server, model, prompt('x'))).status, 200);
      assert.ok(Date.now() - started >= 190);
    });

    test('redirect: status and Location', async () => {
      server.enqueue({ kind: 'redirect', status: 307, location: 'http://127.0.0.1:9/elsewhere' });
      const response = await generate(server, model, prompt('x'), undefined, { redirect: 'manual' });
      assert.equal(response.status, 307);
      assert.equal(response.headers.get('location'), 'http://127.0.0.1:9/elsewhere');
    });

    test('huge: a valid answer at least this many bytes long', async () => {
      server.enqueue({ kind: 'huge', bytes: 3_000_000 });
      const response = await generate(server, model, prompt('x'));
      const text = await response.text();
      assert.ok(text.length >= 3_000_000);
      assert.equal(Number(response.headers.get('content-length')), Buffer.byteLength(text));
      const answer = JSON.parse(text) as Answer;
      assert.equal(imagesOf(answer).length, 1);
    });
  });

  describe('admin routes', () => {
    test('health, faults, options, requests and reset over HTTP', async () => {
      assert.deepEqual(await (await fetch(`${server.url}/__admin/health`)).json(), { ok: true });
      const queued = await fetch(`${server.url}/__admin/faults`, { method: 'POST', body: JSON.stringify([{ kind: 'error', status: 503 }]) });
      assert.equal(queued.status, 200);
      assert.equal((await fetch(`${server.url}/__admin/faults`, { method: 'POST', body: '[{"kind":"nope"}]' })).status, 400);
      assert.equal((await fetch(`${server.url}/__admin/faults`, { method: 'POST', body: '[{"kind":"error"}]' })).status, 400);
      assert.throws(() => server.enqueue({ kind: 'redirect', status: 200, location: '/' }), /redirect needs/);
      await fetch(`${server.url}/__admin/options`, { method: 'POST', body: JSON.stringify({ tokens: [OTHER_TOKEN] }) });
      await expectError(await generate(server, 'gemini-2.5-flash-image', prompt('x'), { authorization: `Bearer ${OTHER_TOKEN}` }), 503, 'UNAVAILABLE');
      const recorded = (await (await fetch(`${server.url}/__admin/requests`)).json()) as { status: number; model: string; headers: Record<string, string> }[];
      assert.equal(recorded.length, 1);
      assert.equal(recorded[0].status, 503);
      assert.equal(recorded[0].model, 'gemini-2.5-flash-image');
      assert.equal(recorded[0].headers.authorization, `Bearer ${OTHER_TOKEN}`);
      await fetch(`${server.url}/__admin/reset`, { method: 'POST' });
      assert.deepEqual(await (await fetch(`${server.url}/__admin/requests`)).json(), []);
      // reset restored the original token
      assert.equal((await generate(server, 'gemini-2.5-flash-image', prompt('x'))).status, 200);
    });
  });
});

test('close() does not hang on stalled connections', async () => {
  const server = await startGeminiServer({ smallImages: true });
  server.enqueue({ kind: 'noHeaders' }, { kind: 'stallBody' });
  const pending = [generate(server, 'gemini-2.5-flash-image', prompt('x')), generate(server, 'gemini-2.5-flash-image', prompt('y'))];
  const settled = Promise.allSettled(pending.map((p) => p.then((response) => response.text())));
  while (server.requests.filter((request) => request.bodyBytes > 0).length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = Date.now();
  await server.close();
  assert.ok(Date.now() - started < 1000);
  const results = await settled;
  assert.ok(results.every((result) => result.status === 'rejected'));
});

test('the CLI prints its URL and stops on SIGTERM', async () => {
  const child = spawn(process.execPath, [path.join(__dirname, '..', 'server', 'main.js'), '--small', '--token', 'cli-token'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Gemini test server listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]);
    });
    child.on('exit', () => reject(new Error(`exited early: ${output}`)));
  });
  const response = await fetch(`${url}/v1beta/models/gemini-2.5-flash-image:generateContent`, {
    method: 'POST',
    headers: { authorization: 'Bearer cli-token' },
    body: JSON.stringify(prompt('x')),
  });
  assert.equal(response.status, 200);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  assert.equal(await exited, 0);
});

describe('Gemini test server rate limit', () => {
  let server: GeminiServer;
  before(async () => {
    server = await startGeminiServer({ smallImages: true });
  });
  after(async () => {
    await server.close();
  });
  beforeEach(() => server.reset());

  test('over the limit: an immediate 429 RESOURCE_EXHAUSTED with QuotaFailure and RetryInfo; the queued fault waits', async () => {
    const options = await fetch(`${server.url}/__admin/options`, { method: 'POST', body: JSON.stringify({ rateLimit: { requestsPerMinute: 1, burst: 2 }, latencyMs: 0 }) });
    assert.equal(options.status, 200);
    assert.equal((await generate(server, 'gemini-3.1-flash-image', prompt('first'))).status, 200);
    assert.equal((await generate(server, 'gemini-3.1-flash-image', prompt('second'))).status, 200);
    server.enqueue({ kind: 'refused', reason: 'IMAGE_SAFETY' });
    const limited = await generate(server, 'gemini-3.1-flash-image', prompt('third'));
    assert.equal(limited.status, 429);
    const answer = (await limited.json()) as Answer;
    assert.equal(answer.error?.status, 'RESOURCE_EXHAUSTED');
    const types = (answer.error?.details ?? []).map((detail) => detail['@type']);
    assert.deepEqual(types, ['type.googleapis.com/google.rpc.Help', 'type.googleapis.com/google.rpc.QuotaFailure', 'type.googleapis.com/google.rpc.RetryInfo']);
    const delay = String(answer.error?.details?.[2].retryDelay);
    assert.match(delay, /^\d+(\.\d+)?s$/);
    // A minute per request, a little of it gone: the next one is free in just under 60 s.
    assert.ok(Number(delay.slice(0, -1)) > 50 && Number(delay.slice(0, -1)) <= 60, delay);
    assert.match(answer.error?.message ?? '', /Please retry in [\d.]+s\./);
    const violation = (answer.error?.details?.[1].violations as Record<string, unknown>[])[0];
    assert.equal(violation.quotaId, 'GenerateRequestsPerMinutePerProjectPerModel');
    assert.equal(violation.quotaValue, '1');
    assert.deepEqual(server.requests.map((request) => request.status), [200, 200, 429]);
    // Lifting the limit lets the queued fault answer the next request.
    await fetch(`${server.url}/__admin/options`, { method: 'POST', body: JSON.stringify({ rateLimit: null }) });
    const refused = (await (await generate(server, 'gemini-3.1-flash-image', prompt('fourth'))).json()) as Answer;
    assert.equal(refused.candidates?.[0]?.finishReason, 'IMAGE_SAFETY');
  });

  test('bad rate limit options are refused over HTTP', async () => {
    for (const rateLimit of [{ requestsPerMinute: 0 }, { requestsPerMinute: 'many' }, { requestsPerMinute: 5, burst: 0 }, [1]]) {
      const response = await fetch(`${server.url}/__admin/options`, { method: 'POST', body: JSON.stringify({ rateLimit }) });
      assert.equal(response.status, 400, JSON.stringify(rateLimit));
    }
  });

  test('the bucket: a steady rate after the burst, the wait until the next request is free', () => {
    let now = 0;
    const limiter = new RateLimiter({ requestsPerMinute: 60, burst: 2 }, () => now);
    assert.equal(limiter.take(), undefined);
    assert.equal(limiter.take(), undefined);
    assert.equal(limiter.take(), 1000);
    now = 400;
    assert.equal(limiter.take(), 600);
    now = 1000;
    assert.equal(limiter.take(), undefined);
    assert.equal(limiter.take(), 1000);
    now = 10_000;
    assert.equal(limiter.take(), undefined);
    assert.equal(limiter.take(), undefined, 'a quiet spell refills the burst, no more');
    assert.equal(limiter.take(), 1000);
  });
});
