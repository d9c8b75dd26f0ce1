// The request on the wire: URL, auth header and a body that matches the seed gateway's examples field for field.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ApiContent, ImageJob, ProviderSettings } from '../../src/core/imageJob';
import { apiUrl, buildGenerateRequest, buildModelsRequest } from '../../src/core/request';
import { SEED_ONE_IMAGE_EDIT, SEED_TEXT_ONLY, SEED_TEXT_RATIO_SIZE, SEED_TWO_IMAGE_COMPOSITION } from './fixtures/seedBodies';
import { reference, tinyJpeg } from './fixtures/images';
import { SENTINEL_TOKEN } from '../sentinel';

const gateway: ProviderSettings = { baseUrl: 'https://api.ezmodel.cloud', authHeader: 'auto', timeoutSeconds: 600, maxRetries: 3 };
const google: ProviderSettings = { ...gateway, baseUrl: 'https://generativelanguage.googleapis.com' };

function job(overrides: Partial<ImageJob>): ImageJob {
  return { prompt: 'a fox', references: [], model: 'gemini-3-pro-image-preview', includeText: false, ...overrides };
}

/** The seed JSON with its placeholders replaced by the base64 of the images the test attached. */
function seed(text: string, images: Record<string, Uint8Array> = {}): unknown {
  let replaced = text;
  for (const [placeholder, bytes] of Object.entries(images)) {
    replaced = replaced.split(`"${placeholder}"`).join(JSON.stringify(Buffer.from(bytes).toString('base64')));
  }
  return JSON.parse(replaced);
}

describe('seed request bodies', () => {
  test('text only', () => {
    const request = buildGenerateRequest(job({ prompt: ' ' }), gateway, SENTINEL_TOKEN);
    assert.deepEqual(JSON.parse(request.body), seed(SEED_TEXT_ONLY));
  });

  test('text + aspect ratio + size', () => {
    const prompt = '[] HA[style], []and[]. [style]and[style].. ';
    const request = buildGenerateRequest(job({ prompt, aspectRatio: '9:16', imageSize: '1K' }), gateway, SENTINEL_TOKEN);
    assert.deepEqual(JSON.parse(request.body), seed(SEED_TEXT_RATIO_SIZE));
  });

  test('one image edit', () => {
    const photo = tinyJpeg(40);
    const prompt = ' [] [] one[styledescription]. reserved [], [new /]';
    const request = buildGenerateRequest(
      job({ prompt, aspectRatio: '9:16', imageSize: '1K', references: [reference('photo.jpg', photo)] }),
      gateway,
      SENTINEL_TOKEN,
    );
    assert.deepEqual(JSON.parse(request.body), seed(SEED_ONE_IMAGE_EDIT, { image_base64: photo }));
  });

  test('two-image composition keeps the reference order', () => {
    const first = tinyJpeg(40);
    const second = tinyJpeg(200);
    const prompt = 'useprovides image, [image2items in] [image1items in]. [image1items in]. [description]. ';
    const request = buildGenerateRequest(
      job({ prompt, aspectRatio: '9:16', imageSize: '1K', references: [reference('a.jpg', first), reference('b.jpg', second)] }),
      gateway,
      SENTINEL_TOKEN,
    );
    assert.deepEqual(JSON.parse(request.body), seed(SEED_TWO_IMAGE_COMPOSITION, { image_base64_1: first, image_base64_2: second }));
  });
});

describe('request body options', () => {
  test('TEXT is asked for only with includeText, and options left on auto are omitted', () => {
    const body = JSON.parse(buildGenerateRequest(job({ includeText: true }), gateway, SENTINEL_TOKEN).body);
    assert.deepEqual(body.generationConfig, { responseModalities: ['TEXT', 'IMAGE'] });
  });

  test('outputFormat is sent when chosen', () => {
    const body = JSON.parse(buildGenerateRequest(job({ outputFormat: 'jpeg', aspectRatio: '1:1' }), gateway, SENTINEL_TOKEN).body);
    assert.deepEqual(body.generationConfig.imageConfig, { aspectRatio: '1:1', outputFormat: 'jpeg' });
  });

  test('a size-suffixed model never gets imageSize', () => {
    const body = JSON.parse(
      buildGenerateRequest(job({ model: 'gemini-3-pro-image-preview-2k', imageSize: '2K', aspectRatio: '16:9' }), gateway, SENTINEL_TOKEN).body,
    );
    assert.deepEqual(body.generationConfig.imageConfig, { aspectRatio: '16:9' });
    const onlySize = JSON.parse(buildGenerateRequest(job({ model: 'gemini-3.1-flash-image-preview-512', imageSize: '512' }), gateway, SENTINEL_TOKEN).body);
    assert.equal(onlySize.generationConfig.imageConfig, undefined);
  });

  test('a refinement sends the earlier turns verbatim, then the new user turn', () => {
    const history: ApiContent[] = [
      { role: 'user', parts: [{ text: 'a fox' }] },
      { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: 'AAAA' }, thoughtSignature: 'c2lnbmF0dXJl' }] },
    ];
    const body = JSON.parse(buildGenerateRequest(job({ prompt: 'make it blue', history }), gateway, SENTINEL_TOKEN).body);
    assert.deepEqual(body.contents, [...history, { role: 'user', parts: [{ text: 'make it blue' }] }]);
  });

  test('references only (empty prompt) send no empty text part', () => {
    const photo = tinyJpeg();
    const body = JSON.parse(buildGenerateRequest(job({ prompt: '', references: [reference('p.jpg', photo)] }), gateway, SENTINEL_TOKEN).body);
    assert.deepEqual(body.contents[0].parts, [{ inline_data: { mime_type: 'image/jpeg', data: photo.toString('base64') } }]);
  });
});

describe('request URL and auth', () => {
  test('URL from a plain base URL, one with a trailing slash, and one ending in /v1beta', () => {
    const expected = 'https://api.ezmodel.cloud/v1beta/models/gemini-3-pro-image-preview:generateContent';
    for (const baseUrl of ['https://api.ezmodel.cloud', 'https://api.ezmodel.cloud/', 'https://api.ezmodel.cloud/v1beta', 'https://api.ezmodel.cloud/v1beta/']) {
      assert.equal(buildGenerateRequest(job({}), { ...gateway, baseUrl }, SENTINEL_TOKEN).url, expected, baseUrl);
    }
  });

  test('a gateway path prefix is kept', () => {
    const url = buildGenerateRequest(job({}), { ...gateway, baseUrl: 'https://gw.example/google/' }, SENTINEL_TOKEN).url;
    assert.equal(url, 'https://gw.example/google/v1beta/models/gemini-3-pro-image-preview:generateContent');
  });

  test('the model id is one URL-encoded path segment', () => {
    const url = buildGenerateRequest(job({ model: 'my/model?x=1#y' }), gateway, SENTINEL_TOKEN).url;
    assert.equal(url, 'https://api.ezmodel.cloud/v1beta/models/my%2Fmodel%3Fx%3D1%23y:generateContent');
    const listed = buildGenerateRequest(job({ model: 'models/gemini-2.5-flash-image' }), gateway, SENTINEL_TOKEN).url;
    assert.equal(listed, 'https://api.ezmodel.cloud/v1beta/models/gemini-2.5-flash-image:generateContent');
  });

  test('auto: x-goog-api-key for googleapis.com hosts, Bearer elsewhere; never in the URL', () => {
    const toGoogle = buildGenerateRequest(job({}), google, SENTINEL_TOKEN);
    assert.equal(toGoogle.headers['x-goog-api-key'], SENTINEL_TOKEN);
    assert.equal(toGoogle.headers.authorization, undefined);
    const toGateway = buildGenerateRequest(job({}), gateway, SENTINEL_TOKEN);
    assert.equal(toGateway.headers.authorization, `Bearer ${SENTINEL_TOKEN}`);
    assert.equal(toGateway.headers['x-goog-api-key'], undefined);
    const lookalike = buildGenerateRequest(job({}), { ...gateway, baseUrl: 'https://evilgoogleapis.com' }, SENTINEL_TOKEN);
    assert.equal(lookalike.headers.authorization, `Bearer ${SENTINEL_TOKEN}`);
    for (const request of [toGoogle, toGateway, lookalike]) {
      assert.ok(!request.url.includes(SENTINEL_TOKEN) && !request.url.includes('key='));
      assert.equal(request.headers['content-type'], 'application/json');
    }
  });

  test('explicit modes override the host', () => {
    assert.equal(buildGenerateRequest(job({}), { ...google, authHeader: 'bearer' }, SENTINEL_TOKEN).headers.authorization, `Bearer ${SENTINEL_TOKEN}`);
    assert.equal(buildGenerateRequest(job({}), { ...gateway, authHeader: 'x-goog-api-key' }, SENTINEL_TOKEN).headers['x-goog-api-key'], SENTINEL_TOKEN);
  });

  test('model list URL carries the page token, never the API token', () => {
    const request = buildModelsRequest(gateway, SENTINEL_TOKEN, 'page two');
    assert.equal(request.url, 'https://api.ezmodel.cloud/v1beta/models?pageToken=page+two');
    assert.equal(apiUrl('http://127.0.0.1:8080/v1beta', 'models').toString(), 'http://127.0.0.1:8080/v1beta/models');
  });

  test('a base URL that is not http(s) is refused with a message saying what to set', () => {
    assert.throws(() => buildGenerateRequest(job({}), { ...gateway, baseUrl: 'ftp://x' }, SENTINEL_TOKEN), /geminiImage\.baseUrl/);
    assert.throws(() => buildGenerateRequest(job({}), { ...gateway, baseUrl: 'not a url' }, SENTINEL_TOKEN), (error: Error & { kind?: string }) => error.kind === 'invalidJob');
  });
});
