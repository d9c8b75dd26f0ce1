// Image links at their limits: how many and how long, markdown spacing and titles, redirects, statuses, size caps,
// drained error bodies and private addresses; each test fails on a plausible slip in src/core/imageLinks.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ImageError } from '../../src/core/errors';
import { describeLink, downloadLinkedImage, extractImageLinks, isPrivateHost } from '../../src/core/imageLinks';
import type { HttpResponse, Transport, TransportOptions } from '../../src/core/transport';
import { BMP_HEADER, TINY_PNG } from './fixtures/images';
import { rejected } from './fixtures/answers';

const found = (text: string): { links: string[]; rest: string } => {
  const links: string[] = [];
  const rest = extractImageLinks(text, links);
  return { links, rest };
};

/** A body that records how many bytes were pulled from it and whether it was closed early. */
class RecordedBody implements AsyncIterable<Uint8Array> {
  read = 0;
  closed = false;
  constructor(private readonly chunks: readonly Uint8Array[]) {}
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    let index = 0;
    return {
      next: async () => {
        if (index >= this.chunks.length) return { done: true, value: undefined };
        const value = this.chunks[index++];
        this.read += value.length;
        return { done: false, value };
      },
      return: async () => {
        this.closed = true;
        return { done: true, value: undefined };
      },
    };
  }
}

type Reply = { status: number; headers?: Record<string, string>; body?: RecordedBody } | Error;

/** The HTTP boundary: answers each GET with the next scripted reply (the last one repeats) and records the URLs. */
function scripted(...replies: Reply[]): Transport & { urls: string[]; signals: AbortSignal[] } {
  const urls: string[] = [];
  const signals: AbortSignal[] = [];
  return {
    urls,
    signals,
    request: () => Promise.reject(new Error('no API request expected')),
    download: async (url: string, options: TransportOptions): Promise<HttpResponse> => {
      urls.push(url);
      signals.push(options.signal);
      if (urls.length > 20) throw new Error('too many downloads');
      const reply = replies[Math.min(urls.length - 1, replies.length - 1)];
      if (reply instanceof Error) throw reply;
      return { status: reply.status, headers: reply.headers ?? {}, body: reply.body ?? new RecordedBody([]) };
    },
  };
}

const png = (): RecordedBody => new RecordedBody([TINY_PNG]);
const options = (transport: Transport, extra: Partial<{ maxBytes: number; signal: AbortSignal; answerHost: string }> = {}) => ({
  transport,
  answerHost: extra.answerHost ?? 'api.example.com',
  timeoutMs: 5000,
  maxBytes: extra.maxBytes ?? 1 << 20,
  signal: extra.signal,
});


const refusal = (why: string, link = 'https://cdn.example.com/a.png'): string =>
  `The answer from api.example.com linked to an image (${link}), but ${why}; nothing was saved. Try again, or ask the provider to send images inline.`;

describe('image links in text, at their limits', () => {
  test('at most 8 links are kept from one answer', () => {
    const text = Array.from({ length: 10 }, (_, index) => `https://e.example/${index}.png`).join(' ');
    const result = found(text);
    assert.deepEqual(result.links, Array.from({ length: 8 }, (_, index) => `https://e.example/${index}.png`));
  });

  test('a link of exactly 2048 characters is kept, one of 2049 is not', () => {
    const exact = `https://e.example/${'a'.repeat(2048 - 'https://e.example/'.length)}`;
    assert.equal(exact.length, 2048);
    assert.deepEqual(found(exact).links, [exact]);
    assert.deepEqual(found(`${exact}b`).links, []);
  });

  test('several punctuation marks after a bare URL stay text', () => {
    assert.deepEqual(found('Look at https://e.example/a.png!! Nice.'), { links: ['https://e.example/a.png'], rest: 'Look at !! Nice.' });
  });

  test('a bare URL that cannot be parsed is left as text', () => {
    assert.deepEqual(found('See http://e.example:99999/a.png now'), { links: [], rest: 'See http://e.example:99999/a.png now' });
  });

  test('a URL glued to a control character is not taken as an image link', () => {
    const text = 'See https://e.example/a.png\u0001 now';
    assert.deepEqual(found(text), { links: [], rest: text });
  });

  test('alt text broken by a line, or not followed by "(", is no markdown image: only the bare URL is taken', () => {
    assert.deepEqual(found('![a\n(https://e.example/x.png)'), { links: ['https://e.example/x.png'], rest: '![a\n()' });
    assert.deepEqual(found('![a]xhttps://e.example/x.png)'), { links: ['https://e.example/x.png'], rest: '![a]x)' });
  });

  test('the scheme must start the markdown URL', () => {
    assert.deepEqual(found('![a](xhttp://e.example/a.png)'), { links: ['http://e.example/a.png'], rest: '![a](x)' });
  });

  test('a markdown URL needs at least one character after the scheme', () => {
    assert.deepEqual(found('![a](https://) ok'), { links: [], rest: '![a](https://) ok' });
    assert.deepEqual(found('![a](https://e) ok'), { links: ['https://e'], rest: ' ok' });
  });

  test('a markdown URL of 2048 characters after the scheme is taken out of the text but not kept (over the link limit)', () => {
    const url = `https://${'e'.repeat(2044)}.png`;
    assert.equal(url.length, 'https://'.length + 2048);
    assert.deepEqual(found(`![a](${url}) ok`), { links: [], rest: ' ok' });
  });

  test('up to 8 spaces before the URL, not 9', () => {
    assert.deepEqual(found(`![a](${' '.repeat(8)}https://e.example/x)`).links, ['https://e.example/x']);
    assert.deepEqual(found(`![a](${' '.repeat(9)}https://e.example/x.png)`), { links: ['https://e.example/x.png'], rest: `![a](${' '.repeat(9)})` });
  });

  test('every character the regex \\s knows is a space before the URL; others are not', () => {
    const spaces = [0x09, 0x0b, 0x0d, 0x20, 0xa0, 0x1680, 0x2000, 0x2005, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff];
    for (const code of spaces) {
      assert.deepEqual(found(`![a](${String.fromCharCode(code)}https://e.example/x) ok`), { links: ['https://e.example/x'], rest: ' ok' }, code.toString(16));
    }
    for (const code of [0x08, 0x0e, 0x1fff, 0x200b, 0x2027, 0x202e]) {
      const text = `![a](${String.fromCharCode(code)}https://e.example/x) ok`;
      assert.deepEqual(found(text), { links: [], rest: text }, code.toString(16));
    }
  });

  test('a title needs a space before its quote and may be 300 characters, on one line', () => {
    assert.deepEqual(found('![a](https://e.example/x.png )" )'), { links: ['https://e.example/x.png'], rest: '" )' });
    const title = 't'.repeat(300);
    assert.deepEqual(found(`![a](https://e.example/x.png "${title}")`), { links: ['https://e.example/x.png'], rest: '' });
    const long = `![a](https://e.example/x.png "${title}t")`;
    assert.deepEqual(found(long), { links: ['https://e.example/x.png'], rest: `![a]( "${title}t")` });
    assert.deepEqual(found('![a](https://e.example/x.png "ti\ntle")'), { links: ['https://e.example/x.png'], rest: '![a]( "ti\ntle")' });
  });

  test('two markdown images in one text are both found', () => {
    assert.deepEqual(found('A ![first](https://e.example/1) and ![second one](https://e.example/two) end'), {
      links: ['https://e.example/1', 'https://e.example/two'],
      rest: 'A  and  end',
    });
  });

  test('the link kept in recipes is at most 300 characters; an unparsable one is named as such', () => {
    const long = `https://e.example/${'a'.repeat(400)}.png`;
    assert.equal(describeLink(long), long.slice(0, 300));
    assert.equal(describeLink('not a link'), 'an unreadable link');
  });
});

describe('downloading a linked image', () => {
  const link = 'https://cdn.example.com/a.png';

  test('an http link is downloaded and returned with its link', async () => {
    const transport = scripted({ status: 200, body: png() });
    const image = await downloadLinkedImage('http://cdn.example.com/a.png?sig=1', options(transport));
    assert.deepEqual(Buffer.from(image.bytes), TINY_PNG);
    assert.equal(image.format, 'png');
    assert.equal(image.mimeType, 'image/png');
    assert.equal(image.link, 'http://cdn.example.com/a.png');
  });

  test('no pending timer is left once the download is done', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
    const before = timers();
    await downloadLinkedImage(link, options(scripted({ status: 200, body: png() })));
    assert.equal(timers(), before);
  });

  test('without a download-capable connection or with an invalid link it says why', async () => {
    const noDownload: Transport = { request: () => Promise.reject(new Error('unused')) };
    assert.equal((await rejected(downloadLinkedImage(link, options(noDownload)))).message, refusal('this connection cannot download links'));
    const invalid = await rejected(downloadLinkedImage('https://[nope/a.png', options(scripted({ status: 200 }))));
    assert.equal(invalid.message, refusal('the link is not a valid address', 'an unreadable link'));
  });

  test('3 redirects are followed (300 included); a fourth is refused', async () => {
    const hop = (to: string, status = 302): Reply => ({ status, headers: { location: to } });
    const followed = scripted(hop('/b.png', 300), hop('/c.png', 301), hop('/d.png'), { status: 200, body: png() });
    const image = await downloadLinkedImage(link, options(followed));
    assert.equal(image.format, 'png');
    assert.deepEqual(followed.urls, [link, 'https://cdn.example.com/b.png', 'https://cdn.example.com/c.png', 'https://cdn.example.com/d.png']);

    const looping = scripted(hop('/a.png'));
    const error = await rejected(downloadLinkedImage(link, options(looping)));
    assert.equal(error.message, refusal('it redirected more than 3 times'));
    assert.equal(error.host, 'cdn.example.com');
    assert.equal(looping.urls.length, 4);
  });

  test('a redirect without a location says so', async () => {
    const error = await rejected(downloadLinkedImage(link, options(scripted({ status: 302 }))));
    assert.equal(error.message, refusal('cdn.example.com answered 302 without saying where to'));
  });

  for (const status of [100, 400, 404, 503]) {
    test(`a ${status} answer is refused even when its body is an image`, async () => {
      const error = await rejected(downloadLinkedImage(link, options(scripted({ status, body: png() }))));
      assert.equal(error.kind, 'noImage');
      assert.equal(error.message, refusal(`cdn.example.com answered ${status} for it`));
    });
  }

  test('a BMP is refused by name', async () => {
    const error = await rejected(downloadLinkedImage(link, options(scripted({ status: 200, body: new RecordedBody([BMP_HEADER]) }))));
    assert.equal(error.message, refusal('what cdn.example.com sent is a BMP file'));
  });

  test('a declared length over the cap is refused before the body is read; exactly the cap is fine', async () => {
    const lying = scripted({ status: 200, headers: { 'content-length': '5000' }, body: png() });
    const error = await rejected(downloadLinkedImage(link, options(lying, { maxBytes: 1000 })));
    assert.equal(error.message, refusal('it is larger than the 1.0 KB this extension accepts'));
    const exact = scripted({ status: 200, headers: { 'content-length': String(TINY_PNG.length) }, body: png() });
    assert.equal((await downloadLinkedImage(link, options(exact, { maxBytes: TINY_PNG.length }))).format, 'png');
  });

  test('a body over the cap without a declared length is refused while it arrives', async () => {
    const body = new RecordedBody([TINY_PNG, new Uint8Array(100), new Uint8Array(100)]);
    const error = await rejected(downloadLinkedImage(link, options(scripted({ status: 200, body }), { maxBytes: TINY_PNG.length + 150 })));
    assert.match(error.message, /it is larger than the \d+ bytes this extension accepts/);
    assert.equal(body.closed, true);
  });

  test('a redirect body is drained so the connection can be reused; a long one is cut off after 64 KB', async () => {
    const short = new RecordedBody([new Uint8Array(10), new Uint8Array(10), new Uint8Array(10)]);
    await downloadLinkedImage(link, options(scripted({ status: 302, headers: { location: '/b.png' }, body: short }, { status: 200, body: png() })));
    assert.equal(short.read, 30);
    assert.equal(short.closed, false);

    const long = new RecordedBody(Array.from({ length: 100 }, () => new Uint8Array(1024)));
    await downloadLinkedImage(link, options(scripted({ status: 302, headers: { location: '/b.png' }, body: long }, { status: 200, body: png() })));
    assert.equal(long.read, 65 * 1024);
    assert.equal(long.closed, true);
  });

  test('a cancelled download says cancelled', async () => {
    const abort = new AbortController();
    abort.abort();
    const error = await rejected(downloadLinkedImage(link, options(scripted(new Error('aborted')), { signal: abort.signal })));
    assert.equal(error.kind, 'cancelled');
    assert.equal(error.message, 'Cancelled; nothing more is downloaded from cdn.example.com.');
  });

  test('a connection failure keeps its own error; any other failure is named', async () => {
    const network = new ImageError('network', 'Could not connect to cdn.example.com.', { host: 'cdn.example.com' });
    assert.equal(await rejected(downloadLinkedImage(link, options(scripted(network)))), network);
    const error = await rejected(downloadLinkedImage(link, options(scripted(new Error('socket hang up')))));
    assert.equal(error.message, refusal('downloading it failed (socket hang up)'));
  });
});

describe('private addresses, by name', () => {
  test('the private ranges at their edges', () => {
    const privateHosts = ['app.localhost', '[::]', '[::ffff:a00:1]', '[fe80::1]', '[fc12::1]', '0.1.2.3', '10.0.0.1', '127.0.0.1', '169.254.1.1',
      '172.16.0.1', '172.31.255.1', '192.168.0.1', '100.64.0.1', '100.127.0.1'];
    for (const host of privateHosts) assert.equal(isPrivateHost(host), true, host);
    const publicHosts = ['', 'localhost.example.com', '[2001:fd12::1]', '[2001:fe80::1]', '[2001:db8::ffff:1]', '10.0.0.1.example.com', '169.1.0.1',
      '1.254.0.1', '8.16.0.1', '172.15.0.1', '172.32.0.1', '192.1.0.1', '8.168.0.1', '100.63.0.1', '100.128.0.1', '8.64.0.1', '8.8.8.8'];
    for (const host of publicHosts) assert.equal(isPrivateHost(host), false, host);
  });
});
