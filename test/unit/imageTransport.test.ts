// The wire under the image client: timeouts vs cancel, cut and oversize answers, redirects, proxies.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as zlib from 'node:zlib';
import * as http from 'node:http';
import * as net from 'node:net';
import type { LookupFunction } from 'node:net';
import { describe, test } from 'node:test';
import { ImageError, type ImageErrorKind } from '../../src/core/errors';
import { ImageClient } from '../../src/core/imageClient';
import type { ImageResult, ProxySettings } from '../../src/core/imageJob';
import type { HttpRequest, HttpResponse, Transport, TransportOptions } from '../../src/core/transport';
import { createUndiciTransport, type ClosableTransport } from '../../src/http/index';
import { PROXY_CONNECT_TIMEOUT_MS } from '../../src/http/proxyTunnel';
import { SENTINEL_TOKEN } from '../sentinel';
import { startGeminiServer, type GeminiServer } from '../server/geminiServer';
import { delay, FakeClock, imageJob, provider, RecordingLog, useServerAndTransport } from './fixtures/clientHarness';

let server: GeminiServer;
let transport: ClosableTransport;
const log = new RecordingLog();
const errorMessages: string[] = [];

useServerAndTransport((started) => {
  ({ server, transport } = started);
});

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

  test('a body still arriving when the whole timeout runs out: the total timeout, not a stall', async () => {
    server.enqueue({ kind: 'stallBody', afterBytes: 100 });
    const error = await failure(client().generate(imageJob(), provider(server.url, { timeoutSeconds: 1, idleTimeoutSeconds: 30 }), SENTINEL_TOKEN), 'timeout');
    assert.match(error.message, /was still arriving when the 1 s limit ran out.*geminiImage\.timeoutSeconds/);
    assert.equal(server.requests.length, 1);
  });

  test('a body that sends nothing for the idle limit: reported as a stall long before the total timeout, not retried', { timeout: 10_000 }, async () => {
    server.enqueue({ kind: 'stallBody', afterBytes: 100 });
    const error = await failure(client().generate(imageJob(), provider(server.url, { timeoutSeconds: 600, idleTimeoutSeconds: 0.3 }), SENTINEL_TOKEN), 'timeout');
    assert.equal(error.code, 'STALLED');
    assert.match(error.message, /stopped sending its answer: nothing arrived for 300 ms, so the connection stalled.*geminiImage\.idleTimeoutSeconds/);
    assert.equal(server.requests.length, 1);
  });

  test('a slow but steady body is not a stall: the idle limit restarts with every chunk', async () => {
    const answer = await transport.request(
      { method: 'POST', url: `${server.url}/v1beta/models/gemini-2.5-flash-image:generateContent`, headers: { authorization: `Bearer ${SENTINEL_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ contents: [{ parts: [{ text: 'a fox' }] }] }) },
      { signal: new AbortController().signal, headersTimeoutMs: 5000, bodyTimeoutMs: 5000 },
    );
    const chunks: Uint8Array[] = [];
    for await (const chunk of answer.body) chunks.push(chunk);
    const whole = Buffer.concat(chunks);
    const slow = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const pieces = 6;
      let sent = 0;
      const timer = setInterval(() => {
        const from = Math.floor((whole.length * sent) / pieces);
        const to = Math.floor((whole.length * (sent + 1)) / pieces);
        sent++;
        if (sent < pieces) res.write(whole.subarray(from, to));
        else {
          clearInterval(timer);
          res.end(whole.subarray(from, to));
        }
      }, 120);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const { port } = slow.address() as net.AddressInfo;
    try {
      // 6 pieces 120 ms apart take ~700 ms in all, longer than the 300 ms idle limit but never silent that long.
      const result = await client().generate(imageJob(), provider(`http://127.0.0.1:${port}`, { idleTimeoutSeconds: 0.3 }), SENTINEL_TOKEN);
      assert.equal(result.images.length, 1);
    } finally {
      slow.closeAllConnections();
      await new Promise((resolve) => slow.close(resolve));
    }
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
    assert.ok(seen[0].headersTimeoutMs >= 6 * 60_000, JSON.stringify(seen[0]));
    assert.equal(seen[0].bodyTimeoutMs, 60_000, 'between body chunks the idle limit (default 60 s) applies');
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

/**
 * A tiny HTTP proxy on 127.0.0.1: tunnels CONNECT over plain TCP and forwards absolute-URI requests, always to
 * 127.0.0.1 whatever the host name (the test server answers for gemini.test), so nothing leaves the machine.
 */
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
      { host: '127.0.0.1', port: target.port, path: `${target.pathname}${target.search}`, method: req.method, headers },
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
    const port = (req.url ?? '').split(':').pop();
    const upstream = net.connect(Number(port), '127.0.0.1', () => {
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

/** The test server under a name that is not loopback; only the proxy (or `toLoopback`) turns it into 127.0.0.1. */
const gatewayUrl = (): string => `http://gemini.test:${new URL(server.url).port}`;

/** Resolves every name to 127.0.0.1, for direct connections to gemini.test that must not ask a real DNS server. */
const toLoopback: LookupFunction = (_hostname, options, callback) => {
  const done = callback as (error: null, address: string | { address: string; family: number }[], family?: number) => void;
  if (options.all) done(null, [{ address: '127.0.0.1', family: 4 }]);
  else done(null, '127.0.0.1', 4);
};

describe('proxy', () => {
  async function throughProxy(
    settings: Omit<ProxySettings, 'url'>,
    requiredAuthorization?: string,
    baseUrl = gatewayUrl(),
  ): Promise<{ result?: ImageResult; error?: ImageError; seen: ProxySighting[] }> {
    const proxy = await startProxy(requiredAuthorization);
    const proxied = createUndiciTransport({ proxy: { url: proxy.url, ...settings }, lookup: toLoopback });
    try {
      const result = await client({ transport: proxied }).generate(imageJob(), provider(baseUrl, { maxRetries: 0 }), SENTINEL_TOKEN);
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
      assert.equal(sighting.target, `gemini.test:${port}`);
      assert.equal(sighting.authorization, undefined, 'the API token stays inside the tunnel');
    } else {
      assert.equal(sighting.target, `${gatewayUrl()}/v1beta/models/gemini-2.5-flash-image:generateContent`);
    }
    assert.equal(sighting.proxyAuthorization, 'Basic dGVzdDpwcm94eQ==');
    assert.equal(server.requests[0].headers['proxy-authorization'], undefined, 'the proxy credentials stop at the proxy');
  });

  test('loopback base URLs never go through the proxy, even with an empty noProxy', async () => {
    const port = new URL(server.url).port;
    for (const baseUrl of [server.url, `http://localhost:${port}`]) {
      server.reset();
      const { result, seen } = await throughProxy({ noProxy: [], strictSSL: true }, undefined, baseUrl);
      assert.equal(result?.images.length, 1, baseUrl);
      assert.deepEqual(seen, [], `${baseUrl}: the proxy saw the request (and the token could travel through it)`);
      assert.equal(server.requests[0].headers.authorization, `Bearer ${SENTINEL_TOKEN}`);
    }
  });

  test('noProxy entries bypass the proxy: host, host:port, domain and "*"', async () => {
    const port = new URL(server.url).port;
    for (const entry of ['gemini.test', `gemini.test:${port}`, '.test', '*']) {
      server.reset();
      const { result, seen } = await throughProxy({ noProxy: ['example.com', entry], strictSSL: true });
      assert.equal(result?.images.length, 1, entry);
      assert.deepEqual(seen, [], `${entry}: the proxy saw nothing`);
    }
  });

  test('a noProxy entry for another host or port does not bypass', async () => {
    const { result, seen } = await throughProxy({ noProxy: ['.example.com', 'gemini.test:1', 'localhost'], strictSSL: true });
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
      const error = await failure(client({ transport: proxied }).generate(imageJob(), provider(gatewayUrl(), { maxRetries: 0 }), SENTINEL_TOKEN), 'network');
      assert.match(error.message, /Could not reach the proxy 127\.0\.0\.1:9 .*http\.proxy/);
      assert.equal(server.requests.length, 0);
    } finally {
      await proxied.close();
    }
  });
});

/** A "proxy" that accepts each TCP connection and closes it at once (no CONNECT support, a dead local proxy tool). */
async function startClosingProxy(mode: 'close' | 'silent' = 'close'): Promise<{ url: string; connections(): number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const proxy = net.createServer((socket) => {
    connections++;
    socket.on('error', () => socket.destroy());
    if (mode === 'close') socket.destroy();
    else sockets.add(socket);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const { port } = proxy.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    },
  };
}

// Without the guard these requests never end (undici keeps reconnecting): the timeout turns that into a failure.
describe('a proxy that drops the tunnel (undici 7 reconnect loop, nodejs/undici#3897)', { timeout: 20_000 }, () => {
  for (const scheme of ['https', 'http'] as const) {
    test(`${scheme}: the request fails after at most 3 connections to the proxy, naming it and the next step, not retried`, async () => {
      const proxy = await startClosingProxy();
      const proxied = createUndiciTransport({ proxy: { url: proxy.url, noProxy: [], strictSSL: true } });
      const clock = new FakeClock();
      try {
        const job = client({ transport: proxied, clock }).generate(imageJob(), provider(`${scheme}://gemini-gateway.test`, { maxRetries: 3, timeoutSeconds: 600 }), SENTINEL_TOKEN);
        const error = await failure(job, 'network');
        const proxyHost = new URL(proxy.url).host;
        assert.ok(error.message.includes(`The proxy ${proxyHost} closed the connection before the tunnel to gemini-gateway.test was set up`), error.message);
        assert.match(error.message, /http\.proxy \/ HTTPS_PROXY.*add gemini-gateway\.test to http\.noProxy/);
        assert.equal(error.code, 'PROXY_TUNNEL_CLOSED');
        assert.deepEqual(clock.sleeps, [], 'a proxy error is not retried');
        // Settle: a looping agent would keep connecting after the rejection.
        await delay(200);
        assert.ok(proxy.connections() >= 1 && proxy.connections() <= 3, `${proxy.connections()} connections to the proxy`);
      } finally {
        await proxied.close();
        await proxy.close();
      }
    });
  }

  test('the model list falls back to the built-in table after at most 3 connections, with the proxy in the reason', async () => {
    const proxy = await startClosingProxy();
    const proxied = createUndiciTransport({ proxy: { url: proxy.url, noProxy: [], strictSSL: true } });
    try {
      const list = await client({ transport: proxied }).listModels(provider('https://gemini-gateway.test', { maxRetries: 3 }), SENTINEL_TOKEN);
      assert.equal(list.source, 'builtin');
      assert.match(list.reason ?? '', /closed the connection before the tunnel/);
      await delay(200);
      assert.ok(proxy.connections() >= 1 && proxy.connections() <= 3, `${proxy.connections()} connections to the proxy`);
    } finally {
      await proxied.close();
      await proxy.close();
    }
  });

  test('variants in parallel: one connection each, every one fails with the proxy message', async () => {
    const proxy = await startClosingProxy();
    const proxied = createUndiciTransport({ proxy: { url: proxy.url, noProxy: [], strictSSL: true } });
    try {
      const jobs = [1, 2, 3, 4].map(() => client({ transport: proxied, clock: new FakeClock() }).generate(imageJob(), provider('https://gemini-gateway.test'), SENTINEL_TOKEN));
      for (const job of jobs) assert.equal((await failure(job, 'network')).code, 'PROXY_TUNNEL_CLOSED');
      await delay(200);
      assert.ok(proxy.connections() <= 4 * 3, `${proxy.connections()} connections for 4 requests`);
    } finally {
      await proxied.close();
      await proxy.close();
    }
  });

  test('a proxy that never answers CONNECT: a network error naming the proxy once its short wait is over, not retried', async () => {
    const proxy = await startClosingProxy('silent');
    const proxied = createUndiciTransport({ proxy: { url: proxy.url, noProxy: [], strictSSL: true }, proxyConnectTimeoutMs: 300 });
    const clock = new FakeClock();
    try {
      // The request's own deadline (600 s) is not what ends it: the CONNECT wait is.
      const job = client({ transport: proxied, clock }).generate(imageJob(), provider('https://gemini-gateway.test', { maxRetries: 3, timeoutSeconds: 600 }), SENTINEL_TOKEN);
      const error = await failure(job, 'network');
      const proxyHost = new URL(proxy.url).host;
      assert.ok(error.message.includes(`The proxy ${proxyHost} accepted the connection but did not open the tunnel to gemini-gateway.test in time`), error.message);
      assert.match(error.message, /http\.proxy \/ HTTPS_PROXY.*add gemini-gateway\.test to http\.noProxy/);
      assert.equal(error.code, 'PROXY_TUNNEL_TIMEOUT');
      assert.deepEqual(clock.sleeps, [], 'a proxy error is not retried');
      assert.equal(proxy.connections(), 1);
      assert.ok(!error.message.includes(SENTINEL_TOKEN));
    } finally {
      await proxy.close();
      await proxied.close();
    }
  });

  test('the proxy gets 30 s to answer CONNECT by default (undici alone would wait 300 s)', () => {
    assert.equal(PROXY_CONNECT_TIMEOUT_MS, 30_000);
  });

  test('cancel while a silent proxy holds the tunnel: cancelled at once, not after the proxy gives up', async () => {
    const proxy = await startClosingProxy('silent');
    const proxied = createUndiciTransport({ proxy: { url: proxy.url, noProxy: [], strictSSL: true } });
    const controller = new AbortController();
    try {
      const job = client({ transport: proxied }).generate(imageJob(), provider('https://gemini-gateway.test', { timeoutSeconds: 600 }), SENTINEL_TOKEN, controller.signal);
      while (proxy.connections() === 0) await delay(10);
      controller.abort();
      await failure(job, 'cancelled');
    } finally {
      // The proxy goes first: undici's graceful close waits for the request it still holds.
      await proxy.close();
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
  for (const encoding of ['gzip', 'deflate', 'br']) {
    test(`an answer compressed with ${encoding} (never asked for) is decoded and the image saved intact`, async () => {
      server.enqueue({ kind: 'compressed', encoding });
      const result = await client().generate(imageJob(), provider(server.url), SENTINEL_TOKEN);
      assert.equal(result.images.length, 1);
      assert.equal(createHash('sha256').update(result.images[0].bytes).digest('hex'), server.requests[0].images[0].sha256);
    });
  }

  test('an encoding nobody can decode is named in the error instead of "not JSON"', async () => {
    server.enqueue({ kind: 'compressed', encoding: 'zstd-weird' });
    const error = await failure(client().generate(imageJob(), provider(server.url), SENTINEL_TOKEN), 'malformedAnswer');
    assert.match(error.message, /answered 200 compressed as "zstd-weird", which this extension cannot decode/);
  });

  test('a gzipped error page is decoded too, so the message quotes its text', async () => {
    const gateway = http.createServer((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
      res.end(zlib.gzipSync('<html><body><h1>Bad gateway: upstream unreachable</h1></body></html>'));
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    const { port } = gateway.address() as net.AddressInfo;
    try {
      const error = await failure(client().generate(imageJob(), provider(`http://127.0.0.1:${port}`, { maxRetries: 0 }), SENTINEL_TOKEN), 'serverError');
      assert.match(error.message, /Bad gateway: upstream unreachable/);
    } finally {
      gateway.closeAllConnections();
      await new Promise((resolve) => gateway.close(resolve));
    }
  });

  test('an answer labelled gzip that is not: says it could not be decoded', async () => {
    const liar = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end('{"candidates":[]}');
    });
    await new Promise<void>((resolve) => liar.listen(0, '127.0.0.1', resolve));
    const { port } = liar.address() as net.AddressInfo;
    try {
      const error = await failure(client().generate(imageJob(), provider(`http://127.0.0.1:${port}`, { maxRetries: 0 }), SENTINEL_TOKEN), 'malformedAnswer');
      assert.match(error.message, /says it is compressed with gzip but could not be decoded/);
    } finally {
      liar.closeAllConnections();
      await new Promise((resolve) => liar.close(resolve));
    }
  });

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
