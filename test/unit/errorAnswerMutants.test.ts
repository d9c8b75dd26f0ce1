// Error answers on their own: how each shape is unwrapped, which cause wins, and the exact advice each cause gives (mutation survivors).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { causeOf, errorFromAnswer, errorKindOf, readErrorAnswer, type ErrorAnswer, type ErrorContext } from '../../src/core/errorAnswer';
import { describeBytes, describeDuration, ImageError, isImageError, redactSecret } from '../../src/core/errors';
import { excerpt } from '../../src/core/response';

const context: ErrorContext = { host: 'gw.example', model: 'gemini-3-pro-image', attempts: 1 };
const google = (status: number, message: string, statusName = 'INVALID_ARGUMENT', details: unknown[] = []): string =>
  JSON.stringify({ error: { code: status, message, status: statusName, details } });
const answer = (status: number, fields: Partial<ErrorAnswer> = {}): ErrorAnswer => ({ status, detail: '', ...fields });

describe('reading the body', () => {
  test("Google's error: message, status name, the first reason among the details", () => {
    const read = readErrorAnswer(400, google(400, 'Bad key', 'INVALID_ARGUMENT', [{ '@type': 'x' }, 'text', { reason: 7 }, { reason: 'API_KEY_INVALID' }, { reason: 'SECOND' }]));
    assert.equal(read.status, 400);
    assert.equal(read.detail, 'Bad key');
    assert.equal(read.statusName, 'INVALID_ARGUMENT');
    assert.equal(read.reason, 'API_KEY_INVALID');
    assert.equal(read.gatewayCode, undefined);
    assert.deepEqual(read.json, JSON.parse(google(400, 'Bad key', 'INVALID_ARGUMENT', [{ '@type': 'x' }, 'text', { reason: 7 }, { reason: 'API_KEY_INVALID' }, { reason: 'SECOND' }])));
  });

  test('only status names in capitals and underscores are kept; details that are not a list give no reason', () => {
    assert.equal(readErrorAnswer(429, JSON.stringify({ error: { message: 'm', status: 'Too Many Requests' } })).statusName, undefined);
    assert.equal(readErrorAnswer(429, JSON.stringify({ error: { message: 'm', status: 'RESOURCE_EXHAUSTED x' } })).statusName, undefined);
    assert.equal(readErrorAnswer(429, JSON.stringify({ error: { message: 'm', status: 'x RESOURCE_EXHAUSTED' } })).statusName, undefined);
    assert.equal(readErrorAnswer(429, JSON.stringify({ error: { message: 'm', status: 429 } })).statusName, undefined);
    assert.equal(readErrorAnswer(429, JSON.stringify({ error: { message: 'm', details: { reason: 'R' } } })).reason, undefined);
  });

  test("Vertex's array: the first item that holds an error", () => {
    const read = readErrorAnswer(429, JSON.stringify([{ other: 1 }, { error: { message: 'Vertex says', status: 'RESOURCE_EXHAUSTED' } }, { error: { message: 'second' } }]));
    assert.equal(read.detail, 'Vertex says');
    assert.equal(read.statusName, 'RESOURCE_EXHAUSTED');
    assert.deepEqual(read.json, { error: { message: 'Vertex says', status: 'RESOURCE_EXHAUSTED' } });
  });

  test("a proxy's error holding Google's as JSON text in its message, or in OpenRouter's metadata.raw, or as upstreamResponse", () => {
    const inner = google(429, 'Quota exceeded for metric', 'RESOURCE_EXHAUSTED');
    for (const body of [
      { error: { message: inner, code: 'upstream_error' } },
      { error: { message: ` \n${inner}`, code: 'upstream_error' } },
      { error: { message: 'Provider returned error', code: 'upstream_error', metadata: { raw: inner } } },
      { error: { message: 'Provider returned error', code: 'upstream_error', metadata: { raw: `[${inner}]` } } },
      { error: { message: 'Provider returned error', code: 'upstream_error', upstreamResponse: JSON.parse(inner) } },
    ]) {
      const read = readErrorAnswer(429, JSON.stringify(body));
      assert.equal(read.detail, 'Quota exceeded for metric', JSON.stringify(body).slice(0, 80));
      assert.equal(read.statusName, 'RESOURCE_EXHAUSTED');
      assert.equal(read.gatewayCode, 'upstream_error', 'the outer code is kept');
      assert.deepEqual(read.json, JSON.parse(inner));
    }
  });

  test('a message that only looks like JSON is the message; metadata that is not an object is ignored', () => {
    const read = readErrorAnswer(400, JSON.stringify({ error: { message: '{not json', metadata: 'raw' } }));
    assert.equal(read.detail, '{not json');
    const notError = readErrorAnswer(400, JSON.stringify({ error: { message: '{"other":1}', metadata: { raw: '[1,2]' }, upstreamResponse: 'x' } }));
    assert.equal(notError.detail, '{"other":1}');
  });

  test('a message that is JSON but not an error still lets metadata.raw or upstreamResponse be read', () => {
    const inner = google(429, 'the real reason', 'RESOURCE_EXHAUSTED');
    const viaRaw = readErrorAnswer(429, JSON.stringify({ error: { message: '{"note":"not an error"}', metadata: { raw: inner } } }));
    assert.equal(viaRaw.detail, 'the real reason');
    const viaUpstream = readErrorAnswer(429, JSON.stringify({ error: { message: '[1]', upstreamResponse: JSON.parse(inner) } }));
    assert.equal(viaUpstream.detail, 'the real reason');
  });

  test('a body that is JSON but not an object: null, a number, a string, an empty list', () => {
    for (const body of ['null', '5', '"just text"', '[]', '[null]']) {
      const read = readErrorAnswer(500, body);
      assert.equal(read.detail, excerpt(body), body);
      assert.equal(read.statusName, undefined);
    }
  });

  test('nesting is followed three levels deep, no further', () => {
    let body: unknown = { error: { message: 'level 4' } };
    for (let level = 3; level >= 0; level--) body = { error: { message: JSON.stringify(body), code: `c${level}` } };
    // body: level 0 wraps 1 wraps 2 wraps 3 wraps the error saying "level 4".
    const read = readErrorAnswer(500, JSON.stringify(body));
    assert.match(read.detail, /^\{"error":\{"message":"level 4"\}\}$/);
    assert.equal(read.gatewayCode, 'c0');
    let three: unknown = { error: { message: 'level 3' } };
    for (let level = 2; level >= 0; level--) three = { error: { message: JSON.stringify(three), code: `c${level}` } };
    assert.equal(readErrorAnswer(500, JSON.stringify(three)).detail, 'level 3');
  });

  test('gateway shapes: top-level message, detail or error text; the outer code first, empty codes skipped', () => {
    assert.equal(readErrorAnswer(400, '{"message":"top message"}').detail, 'top message');
    assert.equal(readErrorAnswer(400, '{"detail":"FastAPI detail"}').detail, 'FastAPI detail');
    assert.equal(readErrorAnswer(400, '{"error":"plain error"}').detail, 'plain error');
    assert.equal(readErrorAnswer(400, '[{"message":"in a list"}]').detail, 'in a list');
    assert.equal(readErrorAnswer(400, '{"message":"","detail":"second"}').detail, 'second');
    assert.equal(readErrorAnswer(400, '{"error":{"message":""},"message":"outer"}').detail, 'outer');
    assert.equal(readErrorAnswer(400, '{"other":1}').detail, '{"other":1}');
    assert.equal(readErrorAnswer(400, '{"error":{"code":"","message":"m"}}').gatewayCode, undefined);
    assert.equal(readErrorAnswer(400, '{"error":{"code":"model_not_found","message":"m"}}').gatewayCode, 'model_not_found');
    assert.equal(readErrorAnswer(400, '{"error":{"code":404,"message":"m"}}').gatewayCode, undefined);
    const json = readErrorAnswer(400, '{"message":"top"}').json;
    assert.deepEqual(json, { message: 'top' }, 'a body without an error object is kept as it came');
  });

  test('not JSON: a short excerpt; a long message is cut at 400 characters', () => {
    const page = readErrorAnswer(502, '<html><title>502 Bad Gateway</title></html>');
    assert.deepEqual(page, { status: 502, detail: '502 Bad Gateway' });
    const long = readErrorAnswer(400, google(400, 'x'.repeat(500)));
    assert.equal(long.detail, `${'x'.repeat(399)}…`);
  });
});

describe('which cause wins', () => {
  const cases: [ErrorAnswer, string][] = [
    [answer(400, { detail: 'Thought signature is missing' }), 'historyRejected'],
    [answer(400, { detail: 'thought_signature not valid' }), 'historyRejected'],
    [answer(400, { detail: 'User location is not supported for the API use.' }), 'location'],
    [answer(403, { detail: 'not available in your region' }), 'location'],
    [answer(403, { detail: 'unsupported_country_region_territory' }), 'location'],
    [answer(403, { reason: 'SERVICE_DISABLED' }), 'serviceDisabled'],
    [answer(403, { reason: 'API_KEY_SERVICE_BLOCKED' }), 'serviceDisabled'],
    [answer(403, { detail: 'Generative Language API has not been used in project 123 before or it is disabled' }), 'serviceDisabled'],
    [answer(403, { detail: 'Requests to this API generativelanguage.googleapis.com method x.y are blocked.' }), 'serviceDisabled'],
    [answer(402), 'billing'],
    [answer(400, { reason: 'BILLING_DISABLED' }), 'billing'],
    [answer(429, { detail: 'Your prepayment credits are depleted.' }), 'billing'],
    [answer(400, { detail: 'This model requires billing to be enabled' }), 'billing'],
    [answer(403, { gatewayCode: 'insufficient_user_quota' }), 'gatewayBalance'],
    [answer(403, { gatewayCode: 'pre_consume_token_quota_failed' }), 'gatewayBalance'],
    [answer(429, { detail: '用户额度不足' }), 'gatewayBalance'],
    [answer(400, { detail: 'Insufficient balance' }), 'gatewayBalance'],
    [answer(429, { detail: 'Quota exceeded, limit: 0, model x' }), 'quotaNotEnabled'],
    [answer(429, { detail: 'limit:0' }), 'quotaNotEnabled'],
    [answer(429, { detail: 'limit: 0.5 per second' }), 'quota'],
    [answer(429, { detail: 'limit: 05' }), 'quota'],
    [answer(429, { detail: 'limit: 10' }), 'quota'],
    [answer(429, { json: { error: { details: [{ violations: [{ quotaValue: '0' }] }] } } }), 'quotaNotEnabled'],
    [answer(429, { json: { error: { details: [{ violations: [{ quotaValue: 0 }] }] } } }), 'quotaNotEnabled'],
    [answer(429, { json: { error: { details: [{ violations: [{ quotaValue: '10' }] }, 'x', { violations: 'none' }] } } }), 'quota'],
    [answer(429, { json: { error: { details: [{ violations: [{ quotaValue: '10' }, 'x', { quotaValue: '0' }] }] } } }), 'quotaNotEnabled'],
    [answer(429, { json: { error: { details: 'none' } } }), 'quota'],
    [answer(429, { json: { error: 'text' } }), 'quota'],
    [answer(400, { detail: 'limit: 0' }), 'badRequest'],
    [answer(404), 'modelNotFound'],
    [answer(400, { gatewayCode: 'model_not_found' }), 'modelNotFound'],
    [answer(503, { detail: '当前分组 default 下对于模型 x 无可用渠道' }), 'modelNotFound'],
    [answer(503, { detail: 'No available channel for model x' }), 'modelNotFound'],
    [answer(401), 'keyRejected'],
    [answer(400, { reason: 'API_KEY_INVALID' }), 'keyRejected'],
    [answer(400, { detail: 'API key not valid. Please pass a valid API key.' }), 'keyRejected'],
    [answer(403), 'forbidden'],
    [answer(413), 'tooLarge'],
    [answer(429), 'quota'],
    [answer(429, { json: { error: { details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel' }] }] } } }), 'dailyQuota'],
    [answer(524), 'gatewayTimeout'],
    [answer(408), 'server'],
    [answer(500), 'server'],
    [answer(503), 'server'],
    [answer(499), 'badRequest'],
    [answer(400), 'badRequest'],
    [answer(409), 'badRequest'],
  ];
  for (const [read, cause] of cases) {
    test(`${read.status} ${read.detail || read.reason || read.gatewayCode || JSON.stringify(read.json ?? '')}: ${cause}`, () => {
      assert.equal(causeOf(read), cause);
    });
  }

  test('kinds follow causes', () => {
    const kinds: [ErrorAnswer, string][] = [
      [answer(400, { detail: 'thought signature' }), 'historyRejected'],
      [answer(400, { detail: 'User location is not supported' }), 'notAvailable'],
      [answer(403, { reason: 'SERVICE_DISABLED' }), 'notAvailable'],
      [answer(402), 'billing'],
      [answer(403, { gatewayCode: 'insufficient_quota' }), 'billing'],
      [answer(429, { detail: 'limit: 0' }), 'notAvailable'],
      [answer(404), 'modelNotFound'],
      [answer(401), 'authRejected'],
      [answer(403), 'authRejected'],
      [answer(413), 'tooLarge'],
      [answer(429), 'quota'],
      [answer(524), 'timeout'],
      [answer(500), 'serverError'],
      [answer(400), 'badRequest'],
    ];
    for (const [read, kind] of kinds) assert.equal(errorKindOf(read), kind, `${read.status} ${read.detail}`);
  });
});

describe('what the message says', () => {
  const message = (read: ErrorAnswer, extra: Partial<ErrorContext> = {}): ImageError => errorFromAnswer(read, { ...context, ...extra });

  test('the status, Google status name and detail in brackets; code from reason, gateway code or status name', () => {
    const error = message(answer(400, { statusName: 'INVALID_ARGUMENT', detail: 'bad size', reason: 'R', gatewayCode: 'G' }), { retryAfterMs: 5 });
    assert.equal(error.message, 'gw.example rejected the request (400 INVALID_ARGUMENT: bad size). Change what the message names (model, aspect ratio, size, references) and try again.');
    assert.equal(error.kind, 'badRequest');
    assert.equal(error.code, 'R');
    assert.equal(error.status, 400);
    assert.equal(error.retryAfterMs, 5);
    assert.equal(error.host, 'gw.example');
    assert.equal(message(answer(400, { gatewayCode: 'G', statusName: 'S' })).code, 'G');
    assert.equal(message(answer(400, { statusName: 'S' })).code, 'S');
    assert.equal(message(answer(400)).message, 'gw.example rejected the request (400). Change what the message names (model, aspect ratio, size, references) and try again.');
  });

  test('each cause has its own next step', () => {
    const said = '(403: d)';
    const expected: [ErrorAnswer, string][] = [
      [answer(400, { detail: 'thought signature' }), 'gw.example refused the earlier turns sent to refine this image: a part lost its thought signature (400: thought signature). Start a new image instead of refining this one (Generate Image… with the image as a reference).'],
      [answer(403, { detail: 'user location is not supported' }), 'gw.example does not serve the Gemini API to the place this request comes from (403: user location is not supported). If a VPN or proxy is in use, route through a supported country; otherwise use a gateway that serves your region (or, where only the free tier is unavailable, enable billing for the project).'],
      [answer(403, { detail: 'd', reason: 'SERVICE_DISABLED' }), `gw.example accepted the token, but the Gemini API is not enabled for its project, or the key's API restrictions block it ${said}. Enable the Generative Language API for that project (Google's message links to the page), or allow it in the key's restrictions, then try again.`],
      [answer(402, { detail: 'd' }), 'gw.example says the prepaid credits or billing for this key are used up (402: d). Not retried: add credits or fix billing for the project (Google AI Studio → Billing), or use another key.'],
      [answer(403, { detail: 'd', gatewayCode: 'token_quota_exhausted' }), `gw.example says the balance or quota of this token's account is used up ${said}. The token itself was accepted: top up the account (or raise this token's quota) at gw.example, or use another token.`],
      [answer(429, { detail: 'limit: 0' }), "gw.example allows this key no requests at all for gemini-3-pro-image (limit 0) (429: limit: 0). The model is not enabled for this project's tier, so waiting will not help: enable billing for the project (a paid tier), or choose a model your tier includes."],
      [answer(404, { detail: 'd' }), 'Model "gemini-3-pro-image" was not found at gw.example (404: d). Check geminiImage.model, or geminiImage.baseUrl if this is not the right provider.'],
      [answer(503, { detail: 'no available channel' }), 'Model "gemini-3-pro-image" is not available at gw.example (503: no available channel). Choose another model in geminiImage.model, or ask the provider which models your account may use.'],
      [answer(401, { detail: 'd' }), 'gw.example rejected the API token (401: d). Run "Gemini Image: Set API Key (Token)…" to enter a valid token for gw.example.'],
      [answer(403, { detail: 'd' }), `gw.example rejected the API token ${said}. Run "Gemini Image: Set API Key (Token)…" to enter a valid token for gw.example, or check that this token may use this model.`],
      [answer(413, { detail: 'd' }), 'gw.example refused the request as too large (413: d). Use fewer or smaller reference images.'],
      [answer(429, { detail: 'd' }), 'gw.example says the quota is used up (429: d). Wait a little and try again, or check the plan and billing for this key.'],
      [answer(500, { detail: 'd' }), 'gw.example had a server error (500: d). Try again later.'],
      [answer(524, { detail: 'd' }), "gw.example stopped waiting for the image at the gateway's time limit (524: d). A 2K or 4K image may take longer than that gateway allows: ask for a smaller size (1K), or use a provider or base URL without that limit. Not retried, since each try waits the full limit."],
    ];
    for (const [read, text] of expected) assert.equal(message(read).message, text);
  });

  test('limit 0 without a model name; quota and server errors name the attempts and the wait asked for', () => {
    assert.match(message(answer(429, { detail: 'limit: 0' }), { model: '' }).message, /no requests at all for this model \(limit 0\)/);
    assert.equal(
      message(answer(429, { detail: 'd' }), { attempts: 3, retryAfterMs: 90_000 }).message,
      'gw.example says the quota is used up after 3 attempts (429: d). It asks to wait 1 min 30 s: try again then, or check the plan and billing for this key.',
    );
    assert.equal(message(answer(429), { attempts: 2, retryAfterMs: 0 }).message, 'gw.example says the quota is used up after 2 attempts (429). It asks to wait 0 ms: try again then, or check the plan and billing for this key.');
    const daily = answer(429, { json: { error: { details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'requests per day' }] }] } } });
    assert.equal(message(daily, { retryAfterMs: 1000 }).message, 'gw.example says the quota is used up (429). This is a daily quota: try again tomorrow, or use another key or plan.');
    assert.equal(message(answer(503, { detail: 'd' }), { attempts: 4, retryAfterMs: 2500 }).message, 'gw.example had a server error after 4 attempts (503: d). It asks to wait 2.5 s. Try again later.');
  });

  test("the gateway time limit names the size asked for, when it is 2K or 4K", () => {
    assert.match(message(answer(524), { imageSize: '4K' }).message, /\. A 4K image may take longer/);
    assert.match(message(answer(524), { imageSize: '2k' }).message, /\. A 2k image may take longer/);
    assert.match(message(answer(524), { imageSize: '1K' }).message, /\. A 2K or 4K image may take longer/);
    assert.match(message(answer(524), { imageSize: '14K' }).message, /\. A 2K or 4K image may take longer/);
    assert.match(message(answer(524), { imageSize: '4K2' }).message, /\. A 2K or 4K image may take longer/);
  });
});

describe('error helpers', () => {
  test('durations read naturally at every boundary', () => {
    const cases: [number, string][] = [
      [Number.NaN, 'an unknown time'],
      [Number.POSITIVE_INFINITY, 'an unknown time'],
      [-5, '0 ms'],
      [0.4, '0 ms'],
      [999, '999 ms'],
      [1000, '1 s'],
      [1500, '1.5 s'],
      [9949, '9.9 s'],
      [10_000, '10 s'],
      [59_400, '59 s'],
      [60_000, '1 min'],
      [61_000, '1 min 1 s'],
      [3_599_000, '59 min 59 s'],
      [3_600_000, '1 h'],
      [3_660_000, '1 h 1 min'],
      [7_200_000 + 59_000, '2 h'],
    ];
    for (const [ms, text] of cases) assert.equal(describeDuration(ms), text, String(ms));
  });

  test('sizes in bytes, KB and MB at the boundaries', () => {
    assert.equal(describeBytes(999), '999 bytes');
    assert.equal(describeBytes(1000), '1.0 KB');
    assert.equal(describeBytes(999_949), '999.9 KB');
    assert.equal(describeBytes(1_000_000), '1.0 MB');
    assert.equal(describeBytes(20_500_000), '20.5 MB');
  });

  test('redaction: every occurrence, the URL-encoded form too; secrets under 3 characters are left alone', () => {
    assert.equal(redactSecret('a+b/c and a+b/c and a%2Bb%2Fc', 'a+b/c'), '[redacted] and [redacted] and [redacted]');
    assert.equal(redactSecret('abc abc', 'abc'), '[redacted] [redacted]');
    assert.equal(redactSecret('ab ab', 'ab'), 'ab ab');
    assert.equal(redactSecret('text', undefined), 'text');
    assert.equal(redactSecret('text', ''), 'text');
  });

  test('a redacted error copies every field and its stack without the secret; one without the secret is returned as it is', () => {
    const cause = new Error('low level');
    const error = new ImageError('quota', 'key SECRETKEY refused', { host: 'h', status: 429, retryAfterMs: 7, texts: ['said SECRETKEY', 'plain'], code: 'C', cause });
    const copy = error.redacted('SECRETKEY');
    assert.notEqual(copy, error);
    assert.equal(copy.message, 'key [redacted] refused');
    assert.deepEqual(copy.texts, ['said [redacted]', 'plain']);
    assert.deepEqual([copy.kind, copy.host, copy.status, copy.retryAfterMs, copy.code, copy.cause], ['quota', 'h', 429, 7, 'C', cause]);
    assert.ok(!(copy.stack ?? '').includes('SECRETKEY'));
    assert.ok((copy.stack ?? '').includes('[redacted]'));
    assert.equal(error.redacted('OTHERKEY'), error);
    const textOnly = new ImageError('noImage', 'clean', { host: 'h', texts: ['has SECRETKEY'] });
    assert.notEqual(textOnly.redacted('SECRETKEY'), textOnly, 'a secret only in the texts still makes a copy');
    const noCause = new ImageError('noImage', 'clean', { host: 'h' });
    assert.equal('cause' in noCause, false);
    assert.deepEqual(noCause.texts, []);
  });

  test('image errors from the other bundle are recognised by name and kind', () => {
    const foreign = Object.assign(new Error('x'), { name: 'ImageError', kind: 'quota' });
    assert.equal(isImageError(foreign), true);
    assert.equal(isImageError(Object.assign(new Error('x'), { name: 'ImageError' })), false);
    assert.equal(isImageError(Object.assign(new Error('x'), { kind: 'quota' })), false);
    assert.equal(isImageError({ name: 'ImageError', kind: 'quota' }), false);
    assert.equal(isImageError(new ImageError('quota', 'm', { host: '' })), true);
  });
});
