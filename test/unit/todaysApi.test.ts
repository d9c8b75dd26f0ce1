// Today's Gemini API through the real client and the local server in both personalities (Google's API, a gateway):
// what `auto` picks, outputFormat only where it is taken, thinking level, Search grounding, token details, cost.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeGrounding, readGrounding, readTokenDetails } from '../../src/core/answerExtras';
import { ImageError } from '../../src/core/errors';
import { ImageClient, type ModelList } from '../../src/core/imageClient';
import { ModelListCache, pickAutoModel } from '../../src/core/modelChoice';
import { describeModel, isAutoModel } from '../../src/core/models';
import { describeCost, estimateCost, readPriceOverrides } from '../../src/core/prices';
import { buildGenerateBody } from '../../src/core/request';
import type { Transport } from '../../src/core/transport';
import { type ClosableTransport } from '../../src/http/index';
import { SENTINEL_TOKEN } from '../sentinel';
import { type GeminiServer } from '../server/geminiServer';
import { FakeClock, imageJob, provider, RecordingLog, useServerAndTransport } from './fixtures/clientHarness';

const GOOGLE = 'https://generativelanguage.googleapis.com';
const GATEWAY_HOST = 'https://gateway.example';

let server: GeminiServer;
let transport: ClosableTransport;
const log = new RecordingLog();

useServerAndTransport((started) => {
  ({ server, transport } = started);
});

/** A resolver at the network boundary: Google's and the gateway's hosts reach the local server (like a hosts file). */
function loopbackTransport(): Transport {
  return {
    request: (request, options) => {
      const url = request.url.replace(GOOGLE, server.url).replace(GATEWAY_HOST, server.url);
      return transport.request({ ...request, url }, options);
    },
  };
}

function client(): ImageClient {
  return new ImageClient({ transport: loopbackTransport(), log, clock: new FakeClock(), random: () => 0.5 });
}

function sentBody(): Record<string, unknown> {
  const request = server.requests.find((entry) => entry.method === 'POST');
  assert.ok(request, 'a generateContent request was sent');
  return request.body as Record<string, unknown>;
}

describe("Google's API and gateways", () => {
  test("outputFormat is left out on Google's API (which refuses it) and sent to a gateway", async () => {
    server.setOptions({ provider: 'google' });
    const job = imageJob({ model: 'gemini-3.1-flash-image', outputFormat: 'jpeg', aspectRatio: '16:9' });
    const result = await client().generate(job, provider(GOOGLE), SENTINEL_TOKEN);
    assert.equal(result.images.length, 1);
    assert.deepEqual((sentBody().generationConfig as Record<string, unknown>).imageConfig, { aspectRatio: '16:9' });
    assert.equal(server.requests[0].headers['x-goog-api-key'], SENTINEL_TOKEN);
    assert.ok(log.lines.some((line) => /format=jpeg \(not sent: Google's API has no output format\)/.test(line)));

    server.reset();
    server.setOptions({ provider: 'gateway' });
    await client().generate(job, provider(GATEWAY_HOST), SENTINEL_TOKEN);
    assert.deepEqual((sentBody().generationConfig as Record<string, unknown>).imageConfig, { aspectRatio: '16:9', outputFormat: 'jpeg' });
  });

  test('the server as Google refuses outputFormat, so a client that sent it would fail', async () => {
    server.setOptions({ provider: 'google' });
    // A gateway base URL makes the client send outputFormat: Google's rules must refuse it.
    await assert.rejects(
      client().generate(imageJob({ model: 'gemini-3.1-flash-image', outputFormat: 'png' }), provider(GATEWAY_HOST), SENTINEL_TOKEN),
      (error: ImageError) => error.status === 400 && /outputFormat/.test(error.message),
    );
  });

  test("Google no longer serves the shut-down ids; a gateway still does", async () => {
    server.setOptions({ provider: 'google' });
    await assert.rejects(
      client().generate(imageJob({ model: 'gemini-3-pro-image-preview' }), provider(GOOGLE), SENTINEL_TOKEN),
      (error: ImageError) => error.kind === 'modelNotFound',
    );
    server.setOptions({ provider: 'gateway' });
    const result = await client().generate(imageJob({ model: 'gemini-3-pro-image-preview-2k', imageSize: '2K' }), provider(GATEWAY_HOST), SENTINEL_TOKEN);
    assert.equal(result.images.length, 1);
    // The suffix fixes the size: imageSize is not sent beside it.
    assert.equal((sentBody().generationConfig as Record<string, unknown>).imageConfig, undefined);
  });
});

describe('auto: the best image model the provider lists', () => {
  test("Google's list gives gemini-3.1-flash-image; a gateway's list of previews gives the 3.1 Flash preview", async () => {
    server.setOptions({ provider: 'google' });
    const google = await client().listModels(provider(GOOGLE), SENTINEL_TOKEN);
    assert.equal(google.source, 'provider');
    assert.ok(!google.models.some((model) => model.id.endsWith('-preview')), 'Google lists no previews');
    assert.equal(pickAutoModel(google, GOOGLE), 'gemini-3.1-flash-image');

    const previews: ModelList = { source: 'provider', models: ['gemini-3-pro-image-preview', 'gemini-3.1-flash-image-preview', 'gemini-2.5-flash-image'].map((id) => ({ id })) };
    assert.equal(pickAutoModel(previews, GATEWAY_HOST), 'gemini-3.1-flash-image-preview');
  });

  test('order: 3.1 Flash, then 3 Pro, then 3.1 Flash-Lite; size-suffixed ids last, matching the size asked for', () => {
    const list = (...ids: string[]): ModelList => ({ source: 'provider', models: ids.map((id) => ({ id })) });
    assert.equal(pickAutoModel(list('gemini-3.1-flash-lite-image', 'gemini-3-pro-image'), GOOGLE), 'gemini-3-pro-image');
    assert.equal(pickAutoModel(list('gemini-3.1-flash-lite-image', 'gemini-2.5-flash-image'), GOOGLE), 'gemini-3.1-flash-lite-image');
    assert.equal(pickAutoModel(list('models/gemini-3-pro-image', 'gemini-3.1-flash-image'), GOOGLE), 'gemini-3.1-flash-image');
    const suffixed = list('gemini-3-pro-image-preview-4k', 'gemini-3.1-flash-image-preview-2k', 'gemini-3.1-flash-image-preview-1k');
    assert.equal(pickAutoModel(suffixed, GATEWAY_HOST), 'gemini-3.1-flash-image-preview-1k');
    assert.equal(pickAutoModel(suffixed, GATEWAY_HOST, '2K'), 'gemini-3.1-flash-image-preview-2k');
    assert.equal(pickAutoModel(suffixed, GATEWAY_HOST, '4K'), 'gemini-3-pro-image-preview-4k');
    assert.equal(pickAutoModel(list('vendor-image-xl'), GATEWAY_HOST), 'vendor-image-xl');
  });

  test("without the provider's list: Google's current best on Google, the gateways' documented id elsewhere", () => {
    const builtin: ModelList = { source: 'builtin', models: [], reason: 'down' };
    assert.equal(pickAutoModel(builtin, `${GOOGLE}/v1beta`), 'gemini-3.1-flash-image');
    assert.equal(pickAutoModel(builtin, 'https://api.ezmodel.cloud'), 'gemini-3.1-flash-image-preview');
    assert.ok(isAutoModel('auto') && isAutoModel(' Auto ') && isAutoModel('') && !isAutoModel('gemini-3-pro-image'));
  });

  test('the list is kept a day per key, asked again after that, after forget, and after a built-in fallback', async () => {
    let now = 1_000;
    const cache = new ModelListCache({ now: () => now });
    let asked = 0;
    const fetch = (source: 'provider' | 'builtin') => async (): Promise<ModelList> => {
      asked++;
      return { source, models: [{ id: `m${asked}` }] };
    };
    assert.equal((await cache.get('a', fetch('provider'))).models[0].id, 'm1');
    now += 23 * 3600_000;
    assert.equal((await cache.get('a', fetch('provider'))).models[0].id, 'm1', 'kept within the day');
    assert.equal((await cache.get('b', fetch('provider'))).models[0].id, 'm2', 'each base URL has its own list');
    now += 2 * 3600_000;
    assert.equal((await cache.get('a', fetch('provider'))).models[0].id, 'm3', 'asked again after a day');
    cache.forget('a');
    assert.equal((await cache.get('a', fetch('provider'))).models[0].id, 'm4', 'asked again after a 404');
    assert.equal((await cache.get('c', fetch('builtin'))).source, 'builtin');
    assert.equal((await cache.get('c', fetch('provider'))).models[0].id, 'm6', 'a fallback is not kept');
    cache.clear();
    assert.equal((await cache.get('b', fetch('provider'))).models[0].id, 'm7', 'asked again after a new token');
  });
});

describe('thinking level and Google Search grounding', () => {
  test('sent as thinkingConfig and tools; the sources come back, only http(s), and the recipe fields exist', async () => {
    server.setOptions({ provider: 'google' });
    const job = imageJob({ model: 'gemini-3.1-flash-image', thinkingLevel: 'high', grounding: true, prompt: 'the weather in Paris today as a poster' });
    const result = await client().generate(job, provider(GOOGLE), SENTINEL_TOKEN);
    const body = sentBody();
    assert.deepEqual((body.generationConfig as Record<string, unknown>).thinkingConfig, { thinkingLevel: 'high' });
    assert.deepEqual(body.tools, [{ googleSearch: {} }]);
    assert.ok(result.grounding, 'grounding sources were read');
    assert.deepEqual(result.grounding.sources.map((source) => source.uri), ['https://example.org/weather/today', 'https://news.example.com/story']);
    assert.deepEqual(result.grounding.queries, ['the weather in Paris today as a poster']);
    assert.match(result.grounding.renderedContent ?? '', /google\.com\/search/);
    const line = describeGrounding(result.grounding);
    assert.match(line, /^Sources: Weather today - Example Org \(example\.org\), A news story with brackets command:evil \(news\.example\.com\)/);
    assert.ok(!/[[\]]/.test(line), 'no markdown link can be formed');
  });

  test('no grounding asked: no tools sent and no grounding in the result; a model without it is refused by the server', async () => {
    const result = await client().generate(imageJob({ model: 'gemini-3-pro-image' }), provider(GATEWAY_HOST), SENTINEL_TOKEN);
    assert.equal(sentBody().tools, undefined);
    assert.equal((sentBody().generationConfig as Record<string, unknown>).thinkingConfig, undefined);
    assert.equal(result.grounding, undefined);
    const body = buildGenerateBody(imageJob({ model: 'gemini-2.5-flash-image', grounding: true }), undefined, GATEWAY_HOST);
    assert.deepEqual(body.tools, [{ googleSearch: {} }], 'the body builder sends what it is asked; validation refuses first');
    await assert.rejects(
      client().generate(imageJob({ model: 'gemini-2.5-flash-image', grounding: true }), provider(GATEWAY_HOST), SENTINEL_TOKEN),
      (error: ImageError) => error.kind === 'invalidJob' && /cannot search Google/.test(error.message),
    );
  });

  test('readGrounding merges candidates and drops non-web links; nothing grounded gives undefined', () => {
    assert.equal(readGrounding({ candidates: [{ content: {} }] }), undefined);
    const grounding = readGrounding({
      candidates: [
        { groundingMetadata: { groundingChunks: [{ web: { uri: 'https://a.example/x', title: '' } }, { web: { uri: 'data:text/html,x' } }] } },
        { groundingMetadata: { webSearchQueries: ['q'], groundingChunks: [{ web: { uri: 'https://a.example/x', title: 'dup' } }, { image: { uri: 'https://img.example/p.png', title: 'Pic' } }] } },
      ],
    });
    assert.deepEqual(grounding, {
      queries: ['q'],
      sources: [
        { title: 'a.example', uri: 'https://a.example/x' },
        { title: 'Pic', uri: 'https://img.example/p.png' },
      ],
    });
  });
});

describe('usage and estimated cost', () => {
  test('image-token details are kept from the answer', async () => {
    const result = await client().generate(imageJob({ model: 'gemini-3.1-flash-image', imageSize: '4K' }), provider(GATEWAY_HOST), SENTINEL_TOKEN);
    const image = result.usage?.candidatesTokensDetails?.find((entry) => entry.modality === 'IMAGE');
    assert.equal(image?.tokenCount, 2000);
    assert.ok(result.usage?.candidatesTokensDetails?.some((entry) => entry.modality === 'TEXT'));
    assert.deepEqual(readTokenDetails({ usageMetadata: { candidatesTokensDetails: [{ modality: 'image', tokenCount: 5 }, { modality: 'TEXT' }] } }), [{ modality: 'IMAGE', tokenCount: 5 }]);
  });

  test('cost: image tokens at the image price, text and thinking at the text price, prompt at the input price', () => {
    const usage = { promptTokenCount: 1000, candidatesTokenCount: 1130, thoughtsTokenCount: 200, candidatesTokensDetails: [{ modality: 'IMAGE', tokenCount: 1120 }, { modality: 'TEXT', tokenCount: 10 }] };
    const flash = estimateCost('gemini-3.1-flash-image', usage);
    // 1000 × 0.50 + 210 × 3 + 1120 × 60, per million
    assert.ok(flash && Math.abs(flash.usd - (500 + 630 + 67_200) / 1e6) < 1e-12, String(flash?.usd));
    assert.equal(flash?.custom, false);
    const pro = estimateCost('gemini-3-pro-image-preview-2k', usage);
    assert.equal(pro?.priceOf, 'gemini-3-pro-image-preview', 'a size-suffixed id uses its base model price');
    assert.ok(pro && Math.abs(pro.usd - (2000 + 2520 + 134_400) / 1e6) < 1e-12);
    // Without details, every output token but text is an image token.
    const plain = estimateCost('gemini-3.1-flash-image', { promptTokenCount: 0, candidatesTokenCount: 1120 });
    assert.ok(plain && Math.abs(plain.usd - 0.0672) < 1e-12);
    assert.equal(estimateCost('vendor-image-xl', usage), undefined, 'no price, no estimate');
    assert.equal(estimateCost('gemini-3.1-flash-image', undefined), undefined);
  });

  test('geminiImage.prices overrides a row or adds one; malformed rows are ignored; always marked as an estimate', () => {
    const overrides = readPriceOverrides({
      'vendor-image-xl': { input: 1, output: 1, imageOutput: 10 },
      'models/gemini-3.1-flash-image': { input: 0, output: 0, imageOutput: 30 },
      broken: { input: 'free' },
      negative: { input: -1, output: 0, imageOutput: 0 },
    });
    assert.deepEqual(Object.keys(overrides).sort(), ['gemini-3.1-flash-image', 'vendor-image-xl']);
    const usage = { promptTokenCount: 0, candidatesTokenCount: 1000 };
    const vendor = estimateCost('vendor-image-xl', usage, overrides);
    assert.ok(vendor && Math.abs(vendor.usd - 0.01) < 1e-12 && vendor.custom);
    const flash = estimateCost('gemini-3.1-flash-image', usage, overrides);
    assert.ok(flash && Math.abs(flash.usd - 0.03) < 1e-12);
    assert.equal(describeCost(flash), '≈ $0.030 (estimate, your prices)');
    assert.equal(describeCost({ usd: 0.0672, priceOf: 'x', custom: false }), "≈ $0.067 (estimate, Google's list prices)");
  });
});

test('the model table knows every id the server serves, with the same limits', async () => {
  const { SERVER_MODELS } = await import('../server/models');
  for (const model of SERVER_MODELS.filter((entry) => entry.image)) {
    const known = describeModel(model.id);
    assert.ok(known, `${model.id} is in the table`);
    assert.deepEqual([...known.aspectRatios], [...model.aspectRatios], model.id);
    assert.equal(known.maxReferences, model.maxReferences, model.id);
    assert.deepEqual([...known.thinkingLevels], [...model.thinkingLevels], model.id);
    assert.equal(known.grounding, model.grounding, model.id);
    assert.equal(known.gatewayOnly, !model.onGoogle, model.id);
    if (model.fixedSize) assert.equal(known.fixedSize, model.fixedSize, model.id);
    else assert.deepEqual([...known.imageSizes], [...model.sizes], model.id);
  }
});

test('the token never appears in any log line', () => {
  assert.ok(log.lines.length > 5);
  for (const line of log.lines) assert.ok(!line.includes(SENTINEL_TOKEN), `token leaked: ${line}`);
});
