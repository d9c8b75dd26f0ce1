// Hostile bodies and model texts cost what reading them costs: excerpt() reads a bounded head, data URLs are found in one pass.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findDataUrls, MAX_ALT_TEXT } from '../../src/core/dataUrls';
import { readErrorAnswer } from '../../src/core/errorAnswer';
import { extractImageLinks } from '../../src/core/imageLinks';
import { EXCERPT_SCAN_CHARS, excerpt, parseAnswer } from '../../src/core/response';
import { TINY_PNG } from './fixtures/images';

const MEGABYTE = 1 << 20;
const png64 = Buffer.from(TINY_PNG).toString('base64');

/** The shapes that made the old patterns backtrack: open tags never closed, lazy blocks never ended, brackets never shut. */
const HOSTILE_BODIES: readonly string[] = [
  '<html>' + '<title'.repeat(MEGABYTE / 6),
  '<!doctype html><p>' + '<script>'.repeat(MEGABYTE / 8),
  '<html><body>' + '<'.repeat(MEGABYTE),
  '<html><body>' + '<a '.repeat(MEGABYTE / 3),
  '<html><style>' + ' '.repeat(MEGABYTE),
  ' '.repeat(MEGABYTE) + '<p>',
];

describe('excerpt() on hostile bodies', () => {
  test('never looks past EXCERPT_SCAN_CHARS: whatever follows the head, the excerpt is the same', () => {
    for (const body of HOSTILE_BODIES) {
      const head = body.slice(0, EXCERPT_SCAN_CHARS);
      const expected = excerpt(head);
      // Tails that would change the result if they were read: a closing title, closing blocks, visible words.
      for (const tail of ['</title></script></style>', '<title>Read too far</title>', ' visible words '.repeat(1000)]) {
        assert.equal(excerpt(head + tail), expected, `excerpt read past the head of ${JSON.stringify(body.slice(0, 20))}`);
      }
      assert.ok(expected.length <= 160);
    }
  });

  test('a 1 MB error page still gives its title and the error its status', () => {
    const page = `<html><head><title>502 Bad Gateway</title></head><body>${'<div class="x">filler</div>'.repeat(40_000)}</body></html>`;
    assert.ok(page.length > MEGABYTE);
    assert.equal(excerpt(page), '502 Bad Gateway');
    const answer = readErrorAnswer(502, page);
    assert.equal(answer.detail, '502 Bad Gateway');
    const scripted = `<!DOCTYPE html><html><body><script>var a = "<p>not this</p>";</script><STYLE>p{}</STYLE><h1>Upstream   timed out</h1>${'<br>'.repeat(300_000)}`;
    assert.equal(excerpt(scripted), 'Upstream timed out');
    const foxes = excerpt('🦊'.repeat(200), 20);
    assert.equal(foxes, `${'🦊'.repeat(9)}…`, 'a cut must not split a character');
  });
});

describe('data URLs in hostile model text', () => {
  test('one pass over a megabyte of unclosed markdown, with the real image still found', () => {
    const hostile = `data:image/ ${'![x'.repeat(MEGABYTE / 3)} ![ok](data:image/png;base64,${png64}) ${'](('.repeat(MEGABYTE / 3)}`;
    const parsed = parseAnswer({ candidates: [{ content: { parts: [{ text: hostile }] } }] }, 'gw.example');
    assert.equal(parsed.images.length, 1);
    assert.equal(parsed.texts[0].includes('data:image/png'), false, 'the data URL was left in the text');
  });

  test('many near-misses: data URLs without base64, markdown without a closing parenthesis', () => {
    const nearMisses = 'data:image/png;base64,'.repeat(50_000) + `![a](data:image/png;base64,${'A'.repeat(MEGABYTE)}`;
    const spans = findDataUrls(nearMisses);
    // Each "data:image/png;base64," is followed by the next one's "d…": bare URLs of "data" each; the last is bare too.
    assert.ok(spans.every((span) => !nearMisses.slice(span.start, span.end).startsWith('![')));
    assert.equal(spans.at(-1)?.data.length, MEGABYTE);
  });

  test('markdown images: spaces inside, alt text up to MAX_ALT_TEXT, nothing removed twice', () => {
    const wrapped = `see ![a picture]( data:image/png;base64,${png64.slice(0, 20)}\n${png64.slice(20)} ) end`;
    const [span] = findDataUrls(wrapped);
    assert.equal(wrapped.slice(0, span.start) + wrapped.slice(span.end), 'see  end');
    const longAlt = `![${'a'.repeat(MAX_ALT_TEXT + 10)}](data:image/png;base64,${png64})`;
    const [bare] = findDataUrls(longAlt);
    assert.equal(longAlt.slice(bare.start, bare.end), `data:image/png;base64,${png64}`, 'an over-long alt text is not searched through');
    const two = `![a](data:image/png;base64,${png64})![b](data:image/png;base64,${png64})`;
    assert.deepEqual(findDataUrls(two).map((found) => [found.start, two[found.end - 1]]), [[0, ')'], [two.length / 2, ')']]);
  });
});

/** What extractImageLinks matched with a regex before it was a one-pass scan: the reference on small inputs. */
const MARKDOWN_IMAGE_BEFORE = /!\[[^\]\n]{0,300}\]\(\s{0,8}(https?:\/\/[^\s)]{1,2048})(?:\s{1,8}"[^"\n]{0,300}")?\s{0,8}\)/gi;

describe('image links in hostile model text', () => {
  const fillers = ['![x', '![x](https://a', '![x](https://a "', '](https://a![', 'https://a![x', '![a](https://h/p.png "t"'];
  const tail = ' ![real](https://cdn.example/real.png "title") and https://cdn.example/bare.webp.';

  test('a megabyte of near-miss markdown images and URLs: the real links are still found', () => {
    for (const filler of fillers.slice(0, 5)) {
      const links: string[] = [];
      const rest = extractImageLinks(`${filler.repeat(Math.ceil(MEGABYTE / filler.length))}${tail}`, links);
      assert.deepEqual(links, ['https://cdn.example/real.png', 'https://cdn.example/bare.webp'], JSON.stringify(filler));
      assert.ok(rest.endsWith(' and .'), JSON.stringify(filler));
    }
  });

  test('the scan takes out exactly what the former pattern matched', () => {
    const samples = [
      ...fillers.map((filler) => filler.repeat(Math.ceil(5000 / filler.length)) + tail),
      `x ![${'a'.repeat(300)}](https://h/a) y ![${'a'.repeat(301)}](https://h/b) z`,
      `x ![a](https://h/${'p'.repeat(2040)}) y ![a](https://h/${'p'.repeat(2041)}) z`,
      'x ![a](   https://h/a   "a title"   ) y ![a\nb](https://h/b) ![a](https://h/c "no end) ![](HTTP://h/d)',
      '![a](https://h/a)![b](https://h/b) ![c]( https://h/c\t) ![d](https://h/d "t"x) ![e](ftp://h/e)',
    ];
    for (const sample of samples) {
      // The reference: the former pattern for markdown images, then the unchanged bare-URL step (links shared, at most 8).
      const expectedLinks: string[] = [];
      const afterMarkdown = sample.replace(MARKDOWN_IMAGE_BEFORE, (_match: string, url: string) => {
        if (expectedLinks.length < 8 && url.length <= 2048) expectedLinks.push(url);
        return '';
      });
      const expected = extractImageLinks(`${afterMarkdown} https://`, expectedLinks);
      const links: string[] = [];
      const rest = extractImageLinks(`${sample} https://`, links); // the trailing https:// is never "only a URL"
      assert.deepEqual(links, expectedLinks, JSON.stringify(sample.slice(0, 40)));
      assert.equal(rest, expected, JSON.stringify(sample.slice(0, 40)));
    }
  });
});
