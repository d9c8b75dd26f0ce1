// The image client against a scripted in-memory transport: the exact requests sent, log lines and error texts a user
// reads, the model list's paging and fallbacks, redirects, timeouts and embedded errors (issue #15 mutants).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ImageError } from '../../src/core/errors';
import { ImageClient } from '../../src/core/imageClient';
import type { ApiContent } from '../../src/core/imageJob';
import { memorySink } from '../../src/core/streamSink';
import type { HttpRequest, HttpResponse, Transport, TransportOptions } from '../../src/core/transport';
import { FakeClock, imageJob, provider, RecordingLog } from './fixtures/clientHarness';
import { TINY_PNG } from './fixtures/images';

const BASE = 'https://api.example.test';
const HOST = 'api.example.test';
const TOKEN = 'tok-123456789';

type Step = (request: HttpRequest, options: TransportOptions) => HttpResponse | Promise<HttpResponse>;

function response(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { status, headers, body: (async function* () { yield Buffer.from(text); })() };
}

class Scripted implements Transport {
  readonly requests: { request: HttpRequest; options: TransportOptions }[] = [];
  readonly downloads: string[] = [];
  constructor(private readonly steps: Step[], private readonly fallback?: Step, private readonly downloader?: (url: string) => HttpResponse) {}
  async request(request: HttpRequest, options: TransportOptions): Promise<HttpResponse> {
    this.requests.push({ request, options });
    const step = this.steps.shift() ?? this.fallback;
    if (!step) throw new Error('no more scripted answers');
    return step(request, options);
  }
  download?: (url: string, options: TransportOptions) => Promise<HttpResponse> = async (url) => {
    this.downloads.push(url);
    if (!this.downloader) throw new Error('no downloads');
    return this.downloader(url);
  };
}

function setup(steps: Step[], extra: { fallback?: Step; downloader?: (url: string) => HttpResponse; clock?: FakeClock } = {}) {
  const transport = new Scripted(steps, extra.fallback, extra.downloader);
  const log = new RecordingLog();
  const clock = extra.clock ?? new FakeClock();
  const client = new ImageClient({ transport, log, clock, random: () => 0.5 });
  return { transport, log, client, clock };
}

const png64 = Buffer.from(TINY_PNG).toString('base64');
const imageAnswer = (extra: Record<string, unknown> = {}) => ({
  candidates: [{ content: { role: 'model', parts: [{ inlineData: { mimeType: 'image/png', data: png64 } }] }, finishReason: 'STOP' }],
  ...extra,
});
const textAnswer = (text: string) => ({ candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP' }] });
const ok = (body: unknown): Step => () => response(200, body);

async function rejection(promise: Promise<unknown>): Promise<ImageError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageError, `expected an ImageError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

const lines = (log: RecordingLog): string => log.lines.join('\n');
const noTime = (line: string): string => line.replace(/ in \d+ ms/g, ' in N ms');

describe('listModels', () => {
  const modelsPage = (names: unknown[], next?: unknown) => ({ models: names.map((name) => (typeof name === 'string' ? { name } : name)), ...(next === undefined ? {} : { nextPageToken: next }) });

  test('no token: the built-in list, saying why', async () => {
    const { client, transport } = setup([]);
    const list = await client.listModels(provider(BASE), undefined);
    assert.equal(list.source, 'builtin');
    assert.equal(list.reason, `no API token is set for ${HOST}`);
    assert.equal(transport.requests.length, 0);
  });

  test('the model list waits at most 30 s for headers even when the image timeout is longer; idle limit defaults to 60 s', async () => {
    const { client, transport, log } = setup([ok(modelsPage(['models/gemini-2.5-flash-image']))]);
    await client.listModels(provider(BASE, { timeoutSeconds: 600, idleTimeoutSeconds: 0 }), TOKEN);
    assert.equal(transport.requests[0].options.headersTimeoutMs, 30_000);
    assert.equal(transport.requests[0].options.bodyTimeoutMs, 60_000);
    assert.equal(noTime(log.lines[0]), `info GET ${HOST} models page 1 → 200 (${JSON.stringify(modelsPage(['models/gemini-2.5-flash-image'])).length} bytes) in N ms, attempt 1/1`);
  });

  test('a shorter image timeout is kept for the model list too', async () => {
    const { client, transport } = setup([ok(modelsPage(['models/gemini-2.5-flash-image']))]);
    await client.listModels(provider(BASE, { timeoutSeconds: 5, idleTimeoutSeconds: 7 }), TOKEN);
    assert.equal(transport.requests[0].options.headersTimeoutMs, 5_000);
    assert.equal(transport.requests[0].options.bodyTimeoutMs, 7_000);
  });

  test('a 404 for the list names no model (model "")', async () => {
    const { client } = setup([() => response(404, { error: { code: 404, message: 'nope', status: 'NOT_FOUND' } })]);
    const list = await client.listModels(provider(BASE), TOKEN);
    assert.equal(list.source, 'builtin');
    assert.match(list.reason ?? '', /^Model "" was not found at /);
  });

  test('stops after 20 pages even when the provider always has another', async () => {
    let n = 0;
    const { client, transport, log } = setup([], { fallback: () => response(200, modelsPage([`models/gemini-x-image-${n}`], `p${++n}`)) });
    const list = await client.listModels(provider(BASE), TOKEN);
    assert.equal(transport.requests.length, 20);
    assert.equal(list.models.length, 20);
    assert.match(lines(log), new RegExp(`GET ${HOST} models page 20 →`));
    assert.match(transport.requests[1].request.url, /pageToken=p1/);
  });

  test('one page without a next token: one request', async () => {
    const { client, transport } = setup([ok(modelsPage(['models/gemini-2.5-flash-image']))], { fallback: ok(modelsPage([])) });
    const list = await client.listModels(provider(BASE), TOKEN);
    assert.equal(transport.requests.length, 1);
    assert.equal(list.source, 'provider');
    assert.deepEqual(list.models.map((model) => model.id), ['gemini-2.5-flash-image']);
  });

  test('a next token that is not a string ends the list', async () => {
    const { client, transport } = setup([ok(modelsPage(['models/gemini-2.5-flash-image'], 5))], { fallback: ok(modelsPage([])) });
    await client.listModels(provider(BASE), TOKEN);
    assert.equal(transport.requests.length, 1);
  });

  test('entries that are not objects are ignored, not a reason to give up', async () => {
    const { client } = setup([ok({ models: [null, 'x', 3, { name: 'models/gemini-2.5-flash-image' }] })]);
    const list = await client.listModels(provider(BASE), TOKEN);
    assert.equal(list.source, 'provider');
    assert.deepEqual(list.models.map((model) => model.id), ['gemini-2.5-flash-image']);
  });

  test('only image models that can generateContent, each once across pages', async () => {
    const { client } = setup([
      ok(modelsPage(['models/gemini-2.5-flash-image', 'models/gemini-2.0-flash', { name: 'models/imagen-image-x', supportedGenerationMethods: ['predict'] }, { displayName: 'no name' }], 'p2')),
      ok(modelsPage([{ name: 'models/gemini-2.5-flash-image', supportedGenerationMethods: ['generateContent'] }, 'models/my-image-model'])),
    ]);
    const list = await client.listModels(provider(BASE), TOKEN);
    assert.deepEqual(list.models.map((model) => model.id), ['gemini-2.5-flash-image', 'my-image-model']);
  });

  test('models but none that make images: the built-in list, with the count', async () => {
    const { client, log } = setup([ok(modelsPage(['models/gemini-2.0-flash'], 'p2')), ok(modelsPage(['models/text-embedding-004']))]);
    const list = await client.listModels(provider(BASE), TOKEN);
    assert.equal(list.source, 'builtin');
    assert.equal(list.reason, `${HOST} listed 2 models but none that make images`);
    assert.ok(list.models.length > 0);
    assert.match(lines(log), new RegExp(`info ${HOST} listed 2 models but none that make images; using the built-in list`));
  });

  test('no models at all: the built-in list, saying so', async () => {
    const { client, log } = setup([ok({})]);
    const list = await client.listModels(provider(BASE), TOKEN);
    assert.equal(list.source, 'builtin');
    assert.equal(list.reason, `${HOST} listed no models`);
    assert.ok(log.lines.includes(`info ${HOST} listed no models; using the built-in list`));
  });

  test('a failure falls back with a warning; a cancel rejects', async () => {
    const { client, log } = setup([() => response(500, 'down')]);
    const list = await client.listModels(provider(BASE), TOKEN);
    assert.equal(list.source, 'builtin');
    assert.ok(log.lines.some((line) => line === `warn Model list from ${HOST} unavailable, using the built-in list: ${list.reason}`), lines(log));

    const controller = new AbortController();
    const cancelled = setup([() => {
      controller.abort();
      throw new Error('aborted');
    }]);
    const error = await rejection(cancelled.client.listModels(provider(BASE), TOKEN, controller.signal));
    assert.equal(error.kind, 'cancelled');
    assert.equal(error.message, `Cancelled; nothing more is sent to ${HOST}.`);
  });
});

describe('call', () => {
  const call = { request: { method: 'GET' as const, url: `${BASE}/v1beta/batches/abc`, headers: {} }, summary: 'batches/abc poll' };

  test('no token: nothing sent, the message says how to set one', async () => {
    const { client, transport } = setup([]);
    const error = await rejection(client.call(call, provider(BASE), undefined));
    assert.equal(error.kind, 'noToken');
    assert.equal(error.message, `No API token is set for ${HOST}. Run "Gemini Image: Set API Key (Token)…" to add one.`);
    assert.equal(transport.requests.length, 0);
  });

  test('the log line names method, host and summary; the text comes back', async () => {
    const { client, log } = setup([ok('{"name":"batches/abc"}')]);
    const answer = await client.call(call, provider(BASE), TOKEN);
    assert.equal(answer.value, '{"name":"batches/abc"}');
    assert.equal(noTime(log.lines[0]), `info GET ${HOST} batches/abc poll → 200 (22 bytes) in N ms, attempt 1/4`);
  });

  test('a 404 without a model names none', async () => {
    const { client } = setup([() => response(404, { error: { code: 404, message: 'nope' } })]);
    const error = await rejection(client.call(call, provider(BASE), TOKEN));
    assert.match(error.message, /^Model "" was not found at /);
  });

  test("the call's own size cap is applied", async () => {
    const { client } = setup([ok('x'.repeat(2000))]);
    const error = await rejection(client.call({ ...call, maxResponseBytes: 1000 }, provider(BASE), TOKEN));
    assert.equal(error.kind, 'tooLarge');
    assert.match(error.message, /is over 1\.0 KB, more than the 1\.0 KB this extension accepts/);
  });

  test('a read that throws is a network failure; a stray non-ImageError from elsewhere is an unexpected answer', async () => {
    const { client } = setup([ok('x')]);
    const error = await rejection(client.call({ ...call, maxRetries: 0, read: async () => { throw new Error('boom'); } }, provider(BASE), TOKEN));
    assert.equal(error.kind, 'network');
    assert.equal(error.message, `Could not reach ${HOST} (boom). Check the network, the proxy settings and geminiImage.baseUrl.`);
  });
});

describe('readAnswer', () => {
  test('the conversation holds the history, the user turn and the answer', async () => {
    const { client } = setup([]);
    const history: ApiContent[] = [
      { role: 'user', parts: [{ text: 'first' }] },
      { role: 'model', parts: [{ text: 'ok' }] },
    ];
    const body = (async function* () { yield Buffer.from(JSON.stringify(imageAnswer())); })();
    const result = await client.readAnswer(body, imageJob({ history }), provider(BASE), TOKEN, memorySink);
    assert.equal(result.images.length, 1);
    assert.deepEqual(result.conversation.map((turn) => turn.role), ['user', 'model', 'user', 'model']);
    assert.deepEqual(result.conversation[0], history[0]);
  });

  test('a body that breaks with a plain error: an unexpected-problem message', async () => {
    const { client } = setup([]);
    const body = (async function* () {
      yield Buffer.from('{"candidates":');
      throw new Error('socket gone');
    })();
    const error = await rejection(client.readAnswer(body, imageJob(), provider(BASE), TOKEN, memorySink));
    assert.equal(error.kind, 'malformedAnswer');
    assert.equal(error.message, `Unexpected problem with the answer from ${HOST}: socket gone`);
  });
});

describe('generate: what is logged and returned', () => {
  test('the request line describes every option; the answer line counts images and the finish reason', async () => {
    const { client, log } = setup([ok(imageAnswer())]);
    const history: ApiContent[] = [
      { role: 'user', parts: [{ text: 'first' }] },
      { role: 'model', parts: [{ text: 'ok' }] },
    ];
    const result = await client.generate(
      imageJob({ model: 'gemini-3.1-flash-image', aspectRatio: '16:9', imageSize: '2K', outputFormat: 'png', thinkingLevel: 'high', grounding: true, includeText: false, history }),
      provider('https://generativelanguage.googleapis.com'),
      TOKEN,
    );
    assert.deepEqual(result.warnings, []);
    const [request, answer] = log.lines;
    assert.match(request, /^info POST generativelanguage\.googleapis\.com model=gemini-3.1-flash-image refs=0 ratio=16:9 size=2K format=png \(not sent: Google's API has no output format\) thinking=high grounding=googleSearch image turns=3 request=\d+ bytes → 200 /);
    assert.match(answer, /^info generativelanguage\.googleapis\.com: 1 image\(s\) \(png \d+ bytes\), finishReason STOP$/);
  });

  test('a model with a fixed size says the size is not sent; a gateway takes the format; text+image', async () => {
    const { client, log } = setup([ok({ candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: png64 } }] } }] })]);
    const fixed = 'gemini-3-pro-image-preview-2k';
    await client.generate(imageJob({ model: fixed, imageSize: '2K', outputFormat: 'jpeg' }), provider(BASE), TOKEN);
    assert.match(log.lines[0], / size=2K \(fixed by model, not sent\) format=jpeg text\+image request=/);
    assert.match(log.lines[1], /, finishReason none$/);
  });

  test('skipped parts, drafts and grounding are logged', async () => {
    const answer = {
      candidates: [
        {
          content: { parts: [{ text: 'draft', thought: true }, { inlineData: { mimeType: 'image/png', data: png64 }, thought: true }, { inlineData: { mimeType: 'image/png', data: 'bm90IGFuIGltYWdl' } }, { inlineData: { mimeType: 'image/png', data: png64 } }] },
          finishReason: 'STOP',
          groundingMetadata: { groundingChunks: [{ web: { uri: 'https://a.example/x', title: 'A' } }, { web: { uri: 'https://b.example/y', title: 'B' } }], webSearchQueries: ['fox'] },
        },
      ],
    };
    const { client, log } = setup([ok(answer)]);
    await client.generate(imageJob({ model: 'gemini-3-pro-image-preview' }), provider(BASE), TOKEN);
    const all = lines(log);
    assert.match(all, new RegExp(`warn ${HOST}: skipped \\S`));
    assert.match(all, /, 2 draft part\(s\) skipped, finishReason STOP/);
    assert.match(all, new RegExp(`info ${HOST}: grounded in Google Search, 2 source\\(s\\)`));
  });
});

describe('linked images', () => {
  const linkAnswer = (text: string) => textAnswer(text);

  test('the link is taken out of the text; a text that was only the link is dropped; the download is logged', async () => {
    const answer = { candidates: [{ content: { parts: [{ text: '  Here it is: ![img](https://cdn.example.test/a.png)  ' }, { text: ' https://cdn.example.test/b.png ' }] }, finishReason: 'STOP' }] };
    const scripted = setup([ok(answer)], { downloader: () => ({ status: 200, headers: {}, body: (async function* () { yield TINY_PNG; })() }) });
    const result = await scripted.client.generate(imageJob(), provider(BASE), TOKEN);
    assert.equal(result.images.length, 2);
    assert.deepEqual(result.texts, ['Here it is:']);
    assert.ok(scripted.log.lines.some((line) => /^info GET https:\/\/cdn\.example\.test\/a\.png \(linked image\) → png \d+ bytes in \d{1,5} ms$/.test(line)), lines(scripted.log));
  });

  test('a link that fails is logged and skipped when another one works', async () => {
    const answer = linkAnswer('![a](https://cdn.example.test/a.png) ![b](https://cdn.example.test/b.png)');
    let n = 0;
    const { client, log } = setup([ok(answer)], {
      downloader: () => (n++ === 0 ? response(404, 'gone') : { status: 200, headers: {}, body: (async function* () { yield TINY_PNG; })() }),
    });
    const result = await client.generate(imageJob(), provider(BASE), TOKEN);
    assert.equal(result.images.length, 1);
    assert.ok(log.lines.some((line) => line.startsWith('warn Linked image not saved: The answer from api.example.test linked to an image')), lines(log));
  });

  test('a cancel during a download stops at once', async () => {
    const controller = new AbortController();
    const answer = linkAnswer('![a](https://cdn.example.test/a.png) ![b](https://cdn.example.test/b.png)');
    const { client, transport } = setup([ok(answer)], {
      downloader: () => {
        controller.abort();
        throw new Error('aborted');
      },
    });
    const error = await rejection(client.generate(imageJob(), provider(BASE), TOKEN, controller.signal));
    assert.equal(error.kind, 'cancelled');
    assert.equal(transport.downloads.length, 1);
  });
});

describe('sendWithRetries and exchange', () => {
  test('a network failure that is not a connection reset is not retried; the log says why', async () => {
    const { client, transport, log } = setup([() => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    }]);
    const error = await rejection(client.generate(imageJob(), provider(BASE), TOKEN));
    assert.equal(error.kind, 'network');
    assert.equal(error.message, `Could not reach ${HOST} (getaddrinfo ENOTFOUND). Check the network, the proxy settings and geminiImage.baseUrl.`);
    assert.equal(transport.requests.length, 1);
    assert.match(noTime(log.lines.at(-1) ?? ''), new RegExp(`^error POST ${HOST} .* → failed: network \\(ENOTFOUND\\) in N ms, attempt 1/4$`));
  });

  test('a failure that is not a network one is not retried, even with a connection-reset code', async () => {
    const { client, transport } = setup([() => {
      throw new ImageError('tooLarge', 'too big', { host: HOST, code: 'ECONNRESET' });
    }], { fallback: ok(imageAnswer()) });
    const error = await rejection(client.generate(imageJob(), provider(BASE), TOKEN));
    assert.equal(error.kind, 'tooLarge');
    assert.equal(transport.requests.length, 1);
  });

  test('a network failure without a code logs no empty brackets', async () => {
    const { client, log } = setup([() => {
      throw new Error('odd');
    }]);
    await rejection(client.generate(imageJob(), provider(BASE), TOKEN));
    assert.match(noTime(log.lines.at(-1) ?? ''), /→ failed: network in N ms, attempt 1\/4$/);
  });

  test('a reset is retried with a backoff line', async () => {
    const { client, log } = setup([() => {
      throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    }, ok(imageAnswer())]);
    await client.generate(imageJob(), provider(BASE), TOKEN);
    assert.match(noTime(log.lines[0]), /→ failed: network \(ECONNRESET\) in N ms, attempt 1\/4; retrying in \S+ s?\S* \(backoff\)$/);
  });

  test('a wait beyond the cap and a daily quota are logged as not retried', async () => {
    const long = setup([() => response(429, { error: { code: 429, message: 'slow down' } }, { 'retry-after': '3600' })]);
    await rejection(long.client.generate(imageJob(), provider(BASE), TOKEN));
    assert.match(noTime(long.log.lines.at(-1) ?? ''), new RegExp(`→ 429 \\(\\d+ bytes\\) in N ms, attempt 1/4; not retrying: ${HOST} asks to wait 1 h, longer than 1 min$`));

    const dailyBody = {
      error: { code: 429, message: 'quota', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerDayPerProjectPerModel' }] }] },
    };
    const daily = setup([() => response(429, dailyBody)]);
    await rejection(daily.client.generate(imageJob(), provider(BASE), TOKEN));
    assert.match(daily.log.lines.at(-1) ?? '', /; daily quota, not retrying$/);
  });

  test('a user cancel is reported as cancelled whatever the transport threw', async () => {
    const controller = new AbortController();
    const { client } = setup([() => {
      controller.abort();
      throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    }]);
    const error = await rejection(client.generate(imageJob(), provider(BASE), TOKEN, controller.signal));
    assert.equal(error.kind, 'cancelled');
    assert.equal(error.message, `Cancelled; nothing more is sent to ${HOST}.`);
  });

  test("the transport's own timeouts: a body timeout is a stall, a headers timeout says the client's limit", async () => {
    const body = setup([() => {
      throw new ImageError('timeout', 'undici body timeout', { host: HOST, code: 'UND_ERR_BODY_TIMEOUT' });
    }]);
    const stalled = await rejection(body.client.generate(imageJob(), provider(BASE, { idleTimeoutSeconds: 30 }), TOKEN));
    assert.equal(stalled.code, 'STALLED');
    assert.match(stalled.message, new RegExp(`^${HOST} stopped sending its answer: nothing arrived for 30 s`));

    const headers = setup([() => {
      throw new ImageError('timeout', 'undici headers timeout', { host: HOST, code: 'UND_ERR_HEADERS_TIMEOUT' });
    }]);
    const late = await rejection(headers.client.generate(imageJob(), provider(BASE, { timeoutSeconds: 10 }), TOKEN));
    assert.equal(late.message, `No answer from ${HOST} within 10 s. Large images can take minutes: try again, or raise geminiImage.timeoutSeconds.`);
  });

  test('a cancel during a retry wait is reported as cancelled', async () => {
    const controller = new AbortController();
    const clock = new FakeClock();
    clock.sleep = () => {
      controller.abort();
      return Promise.reject(new Error('woken'));
    };
    const { client, transport } = setup([() => response(503, 'busy')], { clock, fallback: ok(imageAnswer()) });
    const error = await rejection(client.generate(imageJob(), provider(BASE), TOKEN, controller.signal));
    assert.equal(error.kind, 'cancelled');
    assert.equal(transport.requests.length, 1);
  });

  test('a sleep that fails without a cancel still stops the job as cancelled', async () => {
    const clock = new FakeClock();
    clock.sleep = () => Promise.reject(new Error('timer broke'));
    const { client, transport } = setup([() => response(503, 'busy')], { clock, fallback: ok(imageAnswer()) });
    const error = await rejection(client.generate(imageJob(), provider(BASE), TOKEN));
    assert.equal(error.kind, 'cancelled');
    assert.equal(transport.requests.length, 1);
  });
});

describe('redirects', () => {
  const redirect = (location?: string): Step => () => response(302, '', location === undefined ? {} : { location });

  test('same host: the path is shown; another host: only its origin; none or unreadable: said so', async () => {
    const cases: [string | undefined, string][] = [
      ['/v2/models/x:generateContent?key=1', `https://${HOST}/v2/models/x:generateContent`],
      ['https://elsewhere.example/secret/path', 'https://elsewhere.example'],
      [undefined, 'another address'],
      ['http://[::1', 'an unreadable address'],
    ];
    for (const [location, shown] of cases) {
      const { client } = setup([redirect(location)]);
      const error = await rejection(client.generate(imageJob(), provider(BASE), TOKEN));
      assert.equal(error.kind, 'redirect');
      assert.equal(
        error.message,
        `${HOST} answered 302, a redirect to ${shown}. Redirects are not followed, so the token is never sent anywhere else: if that address is right, set geminiImage.baseUrl to it.`,
      );
    }
  });
});

describe('errors inside a 200 answer', () => {
  test('an error object is reported with its code; out-of-range or missing codes count as 500', async () => {
    const cases: [unknown, number][] = [
      [{ error: { code: 429, message: 'busy', status: 'RESOURCE_EXHAUSTED' } }, 429],
      [[{ error: { code: 403, message: 'no' } }], 403],
      [{ error: { code: 600, message: 'odd' } }, 500],
      [{ error: { code: 399, message: 'odd' } }, 500],
      [{ error: { code: '404', message: 'odd' } }, 500],
    ];
    for (const [body, status] of cases) {
      const { client } = setup([ok(body)]);
      const error = await rejection(client.generate(imageJob(), provider(BASE, { maxRetries: 0 }), TOKEN));
      assert.equal(error.status, status, JSON.stringify(body));
    }
  });

  test('an answer with candidates is not an error even with an error field; an empty array is not one', async () => {
    const { client } = setup([ok(imageAnswer({ error: { code: 500, message: 'ignored' } }))]);
    const result = await client.generate(imageJob(), provider(BASE), TOKEN);
    assert.equal(result.images.length, 1);

    const empty = setup([ok([])]);
    const error = await rejection(empty.client.generate(imageJob(), provider(BASE, { maxRetries: 0 }), TOKEN));
    assert.notEqual(error.status, 500);
  });
});

describe('size cap while streaming', () => {
  test('an answer over the cap without a length header says "over"', async () => {
    const transport = new Scripted([() => ({ status: 200, headers: {}, body: (async function* () { yield Buffer.alloc(600); yield Buffer.alloc(600); })() })]);
    const client = new ImageClient({ transport, log: new RecordingLog(), clock: new FakeClock(), maxResponseBytes: 1000 });
    const error = await rejection(client.generate(imageJob(), provider(BASE), TOKEN));
    assert.equal(error.kind, 'tooLarge');
    assert.equal(error.message, `The answer from ${HOST} is over 1.0 KB, more than the 1.0 KB this extension accepts. Ask for a smaller size or fewer images.`);
  });
});
