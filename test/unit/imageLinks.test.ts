// Images sent as links (`![image](http://…)` or a bare URL) instead of inline data: downloaded without the token, checked, kept with their link.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ImageClient } from '../../src/core/imageClient';
import { describeLink, downloadLinkedImage, extractImageLinks, isPrivateHost } from '../../src/core/imageLinks';
import { type ClosableTransport } from '../../src/http/index';
import { SENTINEL_TOKEN } from '../sentinel';
import { type GeminiServer, type RecordedRequest } from '../server/geminiServer';
import { imageJob, provider, RecordingLog, useServerAndTransport } from './fixtures/clientHarness';
import { createHash } from 'node:crypto';
import { rejected } from './fixtures/answers';

let server: GeminiServer;
let transport: ClosableTransport;
const log = new RecordingLog();

useServerAndTransport((started) => {
  ({ server, transport } = started);
});

function client(): ImageClient {
  return new ImageClient({ transport, log });
}

function imageGets(): RecordedRequest[] {
  return server.requests.filter((request) => request.path.startsWith('/__images/'));
}

function assertNoCredentials(request: RecordedRequest): void {
  assert.equal(request.method, 'GET');
  assert.equal(request.headers.authorization, undefined);
  assert.equal(request.headers['x-goog-api-key'], undefined);
  assert.ok(!JSON.stringify(request).includes(SENTINEL_TOKEN), 'the token reached the image host');
}


describe('an answer that links to its image', () => {
  for (const style of ['markdown', 'bare'] as const) {
    test(`${style}: the image is downloaded without the token and returned with its link`, async () => {
      server.enqueue({ kind: 'imageLink', style });
      const result = await client().generate(imageJob(), provider(server.url), SENTINEL_TOKEN);
      assert.equal(result.images.length, 1);
      const sent = server.requests[0].images[0];
      assert.equal(createHash('sha256').update(result.images[0].bytes).digest('hex'), sent.sha256);
      assert.equal(result.images[0].format, 'png');
      const gets = imageGets();
      assert.equal(gets.length, 1);
      assertNoCredentials(gets[0]);
      assert.equal(result.images[0].link, `${server.url}${gets[0].path}`);
      // The link is not shown again as the model's text.
      assert.ok(result.texts.every((text) => !text.includes('/__images/')), result.texts.join(' | '));
      assert.equal(server.requests[0].headers.authorization, `Bearer ${SENTINEL_TOKEN}`, 'the API request itself was authorised');
    });
  }

  test('a redirect to the image is followed, still without the token', async () => {
    server.enqueue({ kind: 'imageLink', serve: 'redirect' });
    const result = await client().generate(imageJob(), provider(server.url), SENTINEL_TOKEN);
    assert.equal(result.images.length, 1);
    const gets = imageGets();
    assert.equal(gets.length, 2);
    assert.match(gets[0].path, /^\/__images\/hop-/);
    gets.forEach(assertNoCredentials);
    assert.equal(result.images[0].link, `${server.url}${gets[0].path}`, 'the recipe keeps the link the answer gave');
  });

  test('bytes that are not an image are refused with a message, nothing returned', async () => {
    server.enqueue({ kind: 'imageLink', serve: 'notImage' });
    const error = await rejected(client().generate(imageJob(), provider(server.url), SENTINEL_TOKEN));
    assert.equal(error.kind, 'noImage');
    assert.match(error.message, /linked to an image \(http:\/\/127\.0\.0\.1:\d+\/__images\/[\w.]+\), but what 127\.0\.0\.1:\d+ sent is not an image.*nothing was saved/);
    assert.equal(imageGets().length, 1);
  });

  test('a redirect to a file: address is not followed', async () => {
    server.enqueue({ kind: 'imageLink', serve: 'redirectToFile' });
    const error = await rejected(client().generate(imageJob(), provider(server.url), SENTINEL_TOKEN));
    assert.equal(error.kind, 'noImage');
    assert.match(error.message, /leads to a file: address, and only http\(s\) links are followed/);
    assert.equal(imageGets().length, 1);
  });

  test('a linked image over the size cap is refused while it arrives', async () => {
    server.enqueue({ kind: 'imageLink' });
    const small = new ImageClient({ transport, log, maxResponseBytes: 4000 });
    const error = await rejected(small.generate(imageJob({ imageSize: '4K', model: 'gemini-3-pro-image-preview' }), provider(server.url), SENTINEL_TOKEN));
    assert.equal(error.kind, 'noImage');
    assert.match(error.message, /larger than the 4\.0 KB this extension accepts/);
  });

  test('a download that stalls ends at the timeout, nothing returned', async () => {
    server.enqueue({ kind: 'imageLink', serve: 'stall' });
    const error = await rejected(client().generate(imageJob(), provider(server.url, { timeoutSeconds: 1 }), SENTINEL_TOKEN));
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /The linked image at 127\.0\.0\.1:\d+ did not arrive within 1 s; nothing was saved/);
  });

  test('a remote provider linking to a local address is not followed', async () => {
    const error = await rejected(downloadLinkedImage(`${server.url}/__images/anything.png`, { transport, answerHost: 'api.example.com', timeoutMs: 5000, maxBytes: 1 << 20 }));
    assert.equal(error.kind, 'noImage');
    assert.match(error.message, /local or private address \(127\.0\.0\.1:\d+\) although api\.example\.com is not one/);
    assert.equal(server.requests.length, 0, 'nothing may be fetched from the local address');
  });

  test('a cancelled download says cancelled', async () => {
    server.enqueue({ kind: 'imageLink' });
    const abort = new AbortController();
    const counting = {
      request: transport.request.bind(transport),
      download: (url: string, options: Parameters<NonNullable<ClosableTransport['download']>>[1]) => {
        abort.abort();
        return transport.download!(url, options);
      },
    };
    const error = await rejected(new ImageClient({ transport: counting, log }).generate(imageJob(), provider(server.url), SENTINEL_TOKEN, abort.signal));
    assert.equal(error.kind, 'cancelled');
  });
});

describe('finding image links in text', () => {
  const links = (text: string): { links: string[]; rest: string } => {
    const found: string[] = [];
    const rest = extractImageLinks(text, found);
    return { links: found, rest };
  };

  test('markdown images with any http(s) URL, with or without a title', () => {
    assert.deepEqual(links('Here:\n![image](https://cdn.example.com/a/b?sig=1)').links, ['https://cdn.example.com/a/b?sig=1']);
    assert.deepEqual(links('![x]( https://e.example/i.webp "Result" )').links, ['https://e.example/i.webp']);
  });

  test('bare URLs only when the path names an image, a trailing period kept as text', () => {
    const found = links('See https://e.example/out/cat.PNG. Also https://e.example/page.html');
    assert.deepEqual(found.links, ['https://e.example/out/cat.PNG']);
    assert.equal(found.rest, 'See . Also https://e.example/page.html');
  });

  test('a text that is only a URL is taken as the image', () => {
    assert.deepEqual(links('  https://files.example/abc123  ').links, ['https://files.example/abc123']);
  });

  test('no links in plain text, data URLs or other schemes', () => {
    assert.deepEqual(links('A fox in a forest.').links, []);
    assert.deepEqual(links('![a](ftp://e.example/a.png) ![b](javascript:alert(1))').links, []);
  });

  test('local and private addresses are recognised, so a remote provider cannot point the editor at them', () => {
    for (const host of ['localhost', '127.0.0.1', '[::1]', '10.1.2.3', '172.20.0.1', '192.168.1.10', '169.254.169.254', '[fd00::1]', '0.0.0.0']) {
      assert.equal(isPrivateHost(host), true, host);
    }
    for (const host of ['cdn.example.com', '8.8.8.8', '172.32.0.1', '[2001:db8::1]', '192.169.0.1']) assert.equal(isPrivateHost(host), false, host);
  });

  test('the link kept in recipes drops the query string (signed URLs carry credentials)', () => {
    assert.equal(describeLink('https://cdn.example.com/a/b.png?X-Amz-Signature=abc#f'), 'https://cdn.example.com/a/b.png');
  });
});
