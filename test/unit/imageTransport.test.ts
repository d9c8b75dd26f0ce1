// The wire under the image client: timeouts vs cancel, cut and oversize answers, redirects, proxies.
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ImageError, type ImageErrorKind } from '../../src/core/errors';
import { ImageClient } from '../../src/core/imageClient';
import type { ImageResult, ProxySettings } from '../../src/core/imageJob';
import type { HttpRequest, HttpResponse, Transport, TransportOptions } from '../../src/core/transport';
import { createUndiciTransport, type ClosableTransport } from '../../src/http/index';
import { SENTINEL_TOKEN } from '../sentinel';
import { startGeminiServer, type GeminiServer } from '../server/geminiServer';
import { delay, FakeClock, imageJob, provider, RecordingLog } from './fixtures/clientHarness';

let server: GeminiServer;
let transport: ClosableTransport;
const log = new RecordingLog();
const errorMessages: string[] = [];

before(async () => {
  server = await startGeminiServer({ smallImages: true });
  transport = createUndiciTransport({});
});

after(async () => {
  await transport.close();
  await server.close();
});

beforeEach(() => server.reset());

async function failure(promise: Promise<unknown>, kind: ImageErrorKind): Promise<ImageError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ImageError, `expected an ImageError, got ${String(error)}`);
    errorMessages.push(error.message);
    assert.equal(error.kind, kind, error.message);
    return error;
  }
  assert.fail(`expected a ${kind} failure`);
}

function client(options: { transport?: Transport; maxResponseBytes?: number; clock?: FakeClock } = {}): ImageClient {
  return new ImageClient({ transport: options.transport ?? transport, log, clock: options.clock, maxResponseBytes: options.maxResponseBytes });
}

describe('timeouts and cancel', () => {
  test('headers never sent: timeout (not cancelled), not retried', async () => {
    server.enqueue({ kind: 'noHeaders' });
    const started = Date.now();
    const error = await failure(client().generate(imageJob(), provider(server.url, { timeoutSeconds: 1 }), SENTINEL_TOKEN), 'timeout');
    assert.ok(Date.now() - started < 3000);
    assert.match(error.message, /No answer from 127\.0\.0\.1:\d+ within 1 s.*geminiImage\.timeoutSeconds/);
    assert.equal(server.requests.length, 1);
  });

  test('body stalls: timeout, nothing returned', async () => {
    server.enqueue({ kind: 'stallBody', afterBytes: 100 });
    const error = await failure(client().generate(imageJob(), provider(server.url, { timeoutSeconds: 1 }), SENTINEL_TOKEN), 'timeout');
    assert.match(error.message, /stopped sending its answer before it was complete/);
    assert.equal(server.requests.length, 1);
  });

  test('the transport honours its own headers timeout (undici default of 300 s overridden)', async () => {
    server.enqueue({ kind: 'noHeaders' });
    const request = { method: 'POST' as const, url: `${server.url}/v1beta/models/gemini-2.5-flash-image:generateContent`, headers: { authorization: `Bearer ${SENTINEL_TOKEN}` }, body: '{}' };
    const started = Date.now();
    const error = await failure(transport.request(request, { signal: new AbortController().signal, headersTimeoutMs: 300, bodyTimeoutMs: 300 }), 'timeout');
    assert.ok(Date.now() - started < 2000);
    assert.equal(error.code, 'UND_ERR_HEADERS_TIMEOUT');
  });

  test('the default timeout of 600 s lets a 6-minute 4K job wait for its headers', async () => {
    const seen: TransportOptions[] = [];
    const recording: Transport = {
      request(request: HttpRequest, options: TransportOptions): Promise<HttpResponse> {
        seen.push(options);
        return transport.request(request, options);
      },
    };
    await client({ transport: recording }).generate(
      imageJob({ model: 'gemini-3-pro-image-preview', imageSize: '4K' }),
      provider(server.url, { timeoutSeconds: 600 }),
      SENTINEL_TOKEN,
    );
    assert.ok(seen[0].headersTimeoutMs >= 6 * 60_000 && seen[0].bodyTimeoutMs >= 6 * 60_000, JSON.stringify(seen[0]));
  });

  test('a slow answer within the timeout succeeds', async () => {
    server.enqueue({ kind: 'delay', ms: 1200 });
    const result = await client().generate(imageJob(), provider(server.url, { timeoutSeconds: 3 }), SENTINEL_TOKEN);
    assert.equal(result.images.length, 1);
  });

  test('cancel during a request: cancelled at once, no further request', async () => {
    server.enqueue({ kind: 'delay', ms: 5000 });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 200);
    await failure(client().generate(imageJob(), provider(server.url), SENTINEL_TOKEN, controller.signal), 'cancelled');
    assert.ok(Date.now() - started < 1500, 'cancel is prompt');
    await delay(300);
    assert.equal(server.requests.length, 1);
  });

  test('cancel during a retry wait: cancelled at once, no further request', async () => {
    server.enqueue({ kind: 'error', status: 429, retryAfter: '30' });
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 300);
    await failure(client().generate(imageJob(), provider(server.url), SENTINEL_TOKEN, controller.signal), 'cancelled');
    assert.ok(Date.now() - started < 1500, 'the 30 s wait was interrupted');
    await delay(300);
    assert.equal(server.requests.length, 1);
    assert.ok(log.lines.some((line) => /429 .*retrying in 30 s \(Retry-After\)/.test(line)));
  });

  test('an already cancelled signal sends nothing', async () => {
    await failure(client().generate(imageJob(), provider(server.url), SENTINEL_TOKEN, AbortSignal.abort()), 'cancelled');
    assert.equal(server.requests.length, 0);
  });
});

describe('cut and oversize answers', () => {
  test('body cut mid-base64: an error, nothing returned, not retried', async () => {
    server.enqueue({ kind: 'cutBody' });
    const error = await failure(client().generate(imageJob(), provider(server.url), SENTINEL_TOKEN), 'network');
    assert.match(error.message, /closed before the answer was complete/);
    assert.equal(server.requests.length, 1);
  });

  test('an answer over the cap (declared length): tooLarge', async () => {
    server.enqueue({ kind: 'huge', bytes: 3 * 1024 * 1024 });
    const error = await failure(client({ maxResponseBytes: 1024 * 1024 }).generate(imageJob(), provider(server.url), SENTINEL_TOKEN), 'tooLarge');
    assert.match(error.message, /more than the 1\.0 MB this extension accepts/);
  });

  test('a streamed answer without a length is cut off at the cap and the download stopped', async () => {
    let closedEarly = false;
    const streaming = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const block = Buffer.alloc(256 * 1024, 'x');
      let sent = 0;
      const pump = (): void => {
        while (sent < 64 && res.write(block)) sent++;
        if (sent < 64) res.once('drain', pump);
        else res.end();
      };
      res.on('close', () => (closedEarly = sent < 64));
      pump();
    });
    await new Promise<void>((resolve) => streaming.listen(0, '127.0.0.1', resolve));
    const { port } = streaming.address() as net.AddressInfo;
    try {
      await failure(client({ maxResponseBytes: 1024 * 1024 }).generate(imageJob(), provider(`http://127.0.0.1:${port}`), SENTINEL_TOKEN), 'tooLarge');
      await delay(100);
      assert.ok(closedEarly, 'the client stopped reading and closed the connection');
    } finally {
      streaming.closeAllConnections();
      await new Promise((resolve) => streaming.close(resolve));
    }
  });
});

describe('redirects', () => {
  for (const status of [307, 301, 302, 308]) {
    test(`a ${status} to another local server is not followed and that server never gets the token`, async () => {
      const other = await startGeminiServer({ smallImages: true });
      try {
        server.enqueue({ kind: 'redirect', status, location: `${other.url}/v1beta/models/gemini-2.5-flash-image:generateContent` });
        const error = await failure(client().generate(imageJob(), provider(server.url), SENTINEL_TOKEN), 'redirect');
        assert.equal(error.status, status);
        assert.ok(error.message.includes(`a redirect to ${other.url}`), error.message);
        assert.match(error.message, /set geminiImage\.baseUrl/);
        assert.equal(other.requests.length, 0);
        assert.equal(server.requests.length, 1);
      } finally {
        await other.close();
      }
    });
  }
});

interface ProxySighting {
  readonly method: string;
  readonly target: string;
  readonly proxyAuthorization?: string;
  readonly authorization?: string;
}

/** A tiny HTTP proxy on 127.0.0.1: tunnels CONNECT over plain TCP and forwards absolute-URI requests. */
async function startProxy(requiredAuthorization?: string): Promise<{ url: string; seen: ProxySighting[]; close(): Promise<void> }> {
  const seen: ProxySighting[] = [];
  const sockets = new Set<net.Socket>();
  const refuse = (proxyAuthorization: string | undefined): boolean => requiredAuthorization !== undefined && proxyAuthorization !== requiredAuthorization;
  const proxy = http.createServer((req, res) => {
    const proxyAuthorization = req.headers['proxy-authorization'];
    seen.push({ method: req.method ?? '', target: req.url ?? '', proxyAuthorization, authorization: req.headers.authorization });
    if (refuse(proxyAuthorization)) {
      res.writeHead(407, { 'proxy-authenticate': 'Basic realm="test"' }).end();
      return;
    }
    const target = new URL(req.url ?? '');
    const headers = { ...req.headers };
    delete headers['proxy-authorization'];
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  proxy.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const proxyAuthorization = req.headers['proxy-authorization'];
    seen.push({ method: 'CONNECT', target: req.url ?? '', proxyAuthorization });
    sockets.add(client);
    client.on('error', () => client.destroy());
    if (refuse(proxyAuthorization)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n');
      return;
    }
    const [host, port] = (req.url ?? '').split(':');
    const upstream = net.connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
  });
  proxy.on('connection', (socket: net.Socket) => sockets.add(socket));
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

describe('proxy', () => {
  async function throughProxy(settings: Omit<ProxySettings, 'url'>, requiredAuthorization?: string): Promise<{ result?: ImageResult; error?: ImageError; seen: ProxySighting[] }> {
    const proxy = await startProxy(requiredAuthorization);
    const proxied = createUndiciTransport({ proxy: { url: proxy.url, ...settings } });
    try {
      const result = await client({ transport: proxied }).generate(imageJob(), provider(server.url, { maxRetries: 0 }), SENTINEL_TOKEN);
      return { result, seen: proxy.seen };
    } catch (error) {
      assert.ok(error instanceof ImageError);
      errorMessages.push(error.message);
      return { error, seen: proxy.seen };
    } finally {
      await proxied.close();
      await proxy.close();
    }
  }

  test('requests go through the proxy (CONNECT or absolute URI) with Proxy-Authorization from the settings', async () => {
    const { result, seen } = await throughProxy({ noProxy: [], strictSSL: true, authorization: 'Basic dGVzdDpwcm94eQ==' });
    assert.equal(result?.images.length, 1);
    assert.equal(server.requests.length, 1);
    const port = new URL(server.url).port;
    assert.equal(seen.length, 1, JSON.stringify(seen));
    const [sighting] = seen;
    if (sighting.method === 'CONNECT') {
      assert.equal(sighting.target, `127.0.0.1:${port}`);
      assert.equal(sighting.authorization, undefined, 'the API token stays inside the tunnel');
    } else {
      assert.equal(sighting.target, `${server.url}/v1beta/models/gemini-2.5-flash-image:generateContent`);
    }
    assert.equal(sighting.proxyAuthorization, 'Basic dGVzdDpwcm94eQ==');
    assert.equal(server.requests[0].headers['proxy-authorization'], undefined, 'the proxy credentials stop at the proxy');
  });

  test('noProxy entries bypass the proxy: host, host:port, "*" and loopback names', async () => {
    const port = new URL(server.url).port;
    for (const entry of ['127.0.0.1', `127.0.0.1:${port}`, '*', 'localhost']) {
      server.reset();
      const { result, seen } = await throughProxy({ noProxy: ['example.com', entry], strictSSL: true });
      assert.equal(result?.images.length, 1, entry);
      assert.deepEqual(seen, [], `${entry}: the proxy saw nothing`);
    }
  });

  test('a noProxy entry for another host or port does not bypass', async () => {
    const { result, seen } = await throughProxy({ noProxy: ['.example.com', '127.0.0.1:1'], strictSSL: true });
    assert.equal(result?.images.length, 1);
    assert.equal(seen.length, 1);
  });

  test('a proxy asking for credentials: a network error that says to set http.proxyAuthorization', async () => {
    const { error, seen } = await throughProxy({ noProxy: [], strictSSL: true }, 'Basic c2VjcmV0');
    assert.equal(error?.kind, 'network');
    assert.match(error?.message ?? '', /proxy 127\.0\.0\.1:\d+ .*407.*http\.proxyAuthorization/);
    assert.equal(seen.length, 1);
    assert.equal(server.requests.length, 0);
  });

  test('an unreachable proxy: a network error naming the proxy', async () => {
    const proxied = createUndiciTransport({ proxy: { url: 'http://127.0.0.1:9', noProxy: [], strictSSL: true } });
    try {
      const error = await failure(client({ transport: proxied }).generate(imageJob(), provider(server.url, { maxRetries: 0 }), SENTINEL_TOKEN), 'network');
      assert.match(error.message, /Could not reach the proxy 127\.0\.0\.1:9 .*http\.proxy/);
      assert.equal(server.requests.length, 0);
    } finally {
      await proxied.close();
    }
  });
});

describe('connection failures', () => {
  test('nothing listening: a network error naming the host', async () => {
    const error = await failure(client({ clock: new FakeClock() }).generate(imageJob(), provider('http://127.0.0.1:9', { maxRetries: 0 }), SENTINEL_TOKEN), 'network');
    assert.match(error.message, /Nothing answers at 127\.0\.0\.1:9/);
  });

  test('a closed transport refuses new requests instead of reopening connections', async () => {
    const closing = createUndiciTransport({});
    await closing.close();
    const error = await failure(client({ transport: closing }).generate(imageJob(), provider(server.url, { maxRetries: 0 }), SENTINEL_TOKEN), 'network');
    assert.match(error.message, /settings changed; try again/);
    assert.equal(server.requests.length, 0);
  });
});

describe('gateway oddities', () => {
  test('a 200 carrying a Google-style error body is reported as that error', async () => {
    const body = JSON.stringify({ error: { code: 429, message: 'Upstream quota exhausted', status: 'RESOURCE_EXHAUSTED' } });
    const stub: Transport = {
      request: async (): Promise<HttpResponse> => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: (async function* () {
          yield Buffer.from(body);
        })(),
      }),
    };
    const error = await failure(client({ transport: stub }).generate(imageJob(), provider('https://gw.example'), SENTINEL_TOKEN), 'quota');
    assert.match(error.message, /gw\.example says the quota is used up \(429 RESOURCE_EXHAUSTED: Upstream quota exhausted\)/);
  });
});

test('the token never appears in any log line or error message', () => {
  assert.ok(log.lines.length > 10 && errorMessages.length > 10);
  for (const text of [...log.lines, ...errorMessages]) assert.ok(!text.includes(SENTINEL_TOKEN), `token leaked: ${text}`);
});
