// Answer parsing on its own: shapes the local server does not produce, base64 checks, error bodies, redaction.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { errorFromAnswer, readErrorAnswer } from '../../src/core/errorAnswer';
import { describeDuration, ImageError, redactSecret } from '../../src/core/errors';
import { decodeBase64, excerpt, parseAnswer, parseAnswerJson, resultFromAnswer } from '../../src/core/response';
import { SENTINEL_TOKEN } from '../sentinel';
import { HOST, png64, result, sent, thrown } from './fixtures/answers';
import { tinyJpeg, WEBP_HEADER } from './fixtures/images';

describe('parsing answers', () => {
  test('images from several candidates, format from bytes, model turn kept verbatim', () => {
    const modelParts = [
      { text: 'first', thoughtSignature: 'c2ln' },
      { inlineData: { mimeType: 'image/webp', data: png64 } },
    ];
    const answer = {
      candidates: [
        { content: { role: 'model', parts: modelParts }, finishReason: 'STOP' },
        { content: { parts: [{ inline_data: { mime_type: 'image/png', data: tinyJpeg().toString('base64') } }] }, finishReason: 'STOP' },
      ],
      usageMetadata: { promptTokenCount: 3, candidatesTokenCount: 1290, totalTokenCount: 1293, thoughtsTokenCount: 7, extra: 1 },
    };
    const parsed = result(answer);
    assert.deepEqual(parsed.images.map((image) => image.format), ['png', 'jpeg']);
    assert.deepEqual(parsed.texts, ['first']);
    assert.deepEqual(parsed.usage, { promptTokenCount: 3, candidatesTokenCount: 1290, totalTokenCount: 1293, thoughtsTokenCount: 7 });
    assert.deepEqual(parsed.conversation, [...sent, { role: 'model', parts: modelParts }]);
  });

  test('a WebP or GIF image is accepted; a non-image part is reported, not saved', () => {
    const webp = result({ candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: WEBP_HEADER.toString('base64') } }] } }] });
    assert.equal(webp.images[0].format, 'webp');
    const withJunk = result({
      candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: Buffer.from('hello').toString('base64') } }, { inlineData: { mimeType: 'image/png', data: png64 } }] } }],
    });
    assert.equal(withJunk.images.length, 1);
    assert.match(withJunk.warnings?.[0] ?? '', /not a PNG, JPEG, WebP or GIF image/);
  });

  test('invalid base64 alone: malformedAnswer saying so', () => {
    const error = thrown(() => result({ candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'iVBOR$$$w0K' } }] }, finishReason: 'STOP' }] }));
    assert.equal(error.kind, 'malformedAnswer');
    assert.match(error.message, /not valid base64/);
  });

  test('base64: standard, URL-safe, unpadded and wrapped accepted; junk refused', () => {
    assert.deepEqual(decodeBase64('aGk='), new Uint8Array([104, 105]));
    assert.deepEqual(decodeBase64('aGk'), new Uint8Array([104, 105]));
    assert.deepEqual(decodeBase64('-_8='), new Uint8Array([251, 255]));
    assert.deepEqual(decodeBase64('aGVs\nbG8='), new Uint8Array(Buffer.from('hello')));
    for (const bad of ['', 'a', 'aGk=x', 'a=Gk', 'aG k!', 'aGk===']) assert.equal(decodeBase64(bad), undefined, bad);
  });

  test('thought parts are never images or texts, whatever their kind', () => {
    const parsed = parseAnswer({
      candidates: [{ content: { parts: [{ text: 'thinking', thought: true }, { inlineData: { mimeType: 'image/png', data: png64 }, thought: true }] }, finishReason: 'STOP' }],
    }, HOST);
    assert.equal(parsed.images.length, 0);
    assert.equal(parsed.texts.length, 0);
    assert.equal(parsed.draftsSkipped, 2);
    assert.equal(thrown(() => resultFromAnswer(parsed, sent, HOST)).kind, 'noImage');
  });

  test('bare and markdown data URLs in text, several in one part', () => {
    const text = `Two: ![a](data:image/png;base64,${png64}) and data:image/jpeg;base64,${tinyJpeg().toString('base64')} done`;
    const parsed = result({ candidates: [{ content: { parts: [{ text }] } }] });
    assert.deepEqual(parsed.images.map((image) => image.format), ['png', 'jpeg']);
    assert.deepEqual(parsed.texts, ['Two:  and  done']);
  });

  test('a refusal keeps what the model said, and an unknown shape is malformed', () => {
    const refused = thrown(() => result({ candidates: [{ content: { parts: [{ text: 'I cannot draw that.' }] }, finishReason: 'IMAGE_SAFETY' }] }));
    assert.equal(refused.kind, 'imageRefused');
    assert.deepEqual(refused.texts, ['I cannot draw that.']);
    assert.match(refused.message, /It said: "I cannot draw that\."/);
    assert.equal(thrown(() => parseAnswer({ choices: [] }, HOST)).kind, 'malformedAnswer');
    assert.equal(thrown(() => parseAnswer([1, 2], HOST)).kind, 'malformedAnswer');
    assert.equal(thrown(() => result({ candidates: [] })).kind, 'noImage');
  });

  test('an empty or non-JSON body is malformed, with an excerpt', () => {
    assert.match(thrown(() => parseAnswerJson('', HOST, 200)).message, /gw\.example sent an empty answer \(HTTP 200\)/);
    assert.match(thrown(() => parseAnswerJson('upstream connect error', HOST, 200)).message, /"upstream connect error"/);
  });
});

describe('error answers', () => {
  test('Google JSON error: message, status name and reason', () => {
    const answer = readErrorAnswer(400, JSON.stringify({
      error: { code: 400, message: 'API key not valid. Please pass a valid API key.', status: 'INVALID_ARGUMENT', details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID' }] },
    }));
    assert.equal(answer.reason, 'API_KEY_INVALID');
    const error = errorFromAnswer(answer, { host: HOST, model: 'm', attempts: 1 });
    assert.equal(error.kind, 'authRejected', 'a 400 for a bad key is an auth problem');
    assert.match(error.message, /gw\.example rejected the API token \(400 INVALID_ARGUMENT: API key not valid/);
  });

  test('gateway shapes: OpenAI-style error, plain text, HTML page', () => {
    assert.equal(readErrorAnswer(400, '{"error":{"message":"model_not_supported","type":"invalid_request_error"}}').detail, 'model_not_supported');
    assert.equal(readErrorAnswer(500, '{"message":"boom"}').detail, 'boom');
    assert.equal(readErrorAnswer(503, 'Service Unavailable\n\n').detail, 'Service Unavailable');
    const html = '<!DOCTYPE html><html><head><style>p{}</style></head><body><h1>Bad gateway</h1><p>Cloudflare</p></body></html>';
    assert.equal(readErrorAnswer(502, html).detail, 'Bad gateway Cloudflare');
    assert.equal(excerpt('x'.repeat(500), 20).length, 20);
  });

  test('kinds by status', () => {
    const kind = (status: number) => errorFromAnswer(readErrorAnswer(status, '{}'), { host: HOST, model: 'm', attempts: 1 }).kind;
    assert.deepEqual([400, 401, 403, 404, 409, 413, 429, 408, 500, 503, 504].map(kind), [
      'badRequest', 'authRejected', 'authRejected', 'modelNotFound', 'badRequest', 'tooLarge', 'quota', 'serverError', 'serverError', 'serverError', 'serverError',
    ]);
  });
});

describe('redaction and wording helpers', () => {
  test('the token and its URL-encoded form are replaced', () => {
    const token = 'a b/c+d';
    assert.equal(redactSecret(`x ${token} y ${encodeURIComponent(token)}`, token), 'x [redacted] y [redacted]');
    assert.equal(redactSecret('nothing', undefined), 'nothing');
    const error = new ImageError('badRequest', `says ${SENTINEL_TOKEN}`, { host: HOST, texts: [SENTINEL_TOKEN] }).redacted(SENTINEL_TOKEN);
    assert.equal(error.message, 'says [redacted]');
    assert.deepEqual(error.texts, ['[redacted]']);
    assert.ok(!(error.stack ?? '').includes(SENTINEL_TOKEN));
  });

  test('durations read naturally', () => {
    assert.deepEqual([250, 1000, 1500, 30_000, 90_000, 3_600_000, 5_400_000].map(describeDuration), ['250 ms', '1 s', '1.5 s', '30 s', '1 min 30 s', '1 h', '1 h 30 min']);
  });
});
