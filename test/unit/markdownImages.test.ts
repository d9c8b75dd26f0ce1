// Markdown image links: which links there are, where their targets are, and what a missing one is generated from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findImageLinks, nearestHeading, normalizedExtension, promptForMissingImage, relativeImagePath, withExtension } from '../../src/core/markdownImages';

const targets = (text: string): string[] => findImageLinks(text).map((link) => link.path);

test('inline links with and without titles; offsets point at the target as written', () => {
  const text = 'Intro ![A fox](img/fox.png) and ![Owl](img/owl.jpg "An owl") and ![Bat](bat.webp \'t\') ![Cat](cat.png (t))';
  const links = findImageLinks(text);
  assert.deepEqual(links.map((link) => [link.alt, link.path]), [['A fox', 'img/fox.png'], ['Owl', 'img/owl.jpg'], ['Bat', 'bat.webp'], ['Cat', 'cat.png']]);
  for (const link of links) {
    assert.equal(text.slice(link.targetStart, link.targetEnd), link.rawTarget);
    assert.equal(text.slice(link.start, link.start + 2), '![');
    assert.equal(text[link.end - 1], ')');
  }
});

test('angle brackets, spaces and URL-encoded paths', () => {
  const text = '![a](<my images/cover art.png>) ![b](my%20images/b%C3%A9.png) ![c](<x.png> "t") ![d](plain space.png)';
  const links = findImageLinks(text);
  assert.deepEqual(links.map((link) => link.path), ['my images/cover art.png', 'my images/bé.png', 'x.png', 'plain space.png']);
  assert.equal(links[0].rawTarget, 'my images/cover art.png');
  assert.equal(text.slice(links[0].targetStart, links[0].targetEnd), 'my images/cover art.png');
  assert.equal(links[1].rawTarget, 'my%20images/b%C3%A9.png');
});

test('reference-style links point at their definition', () => {
  const text = ['![Logo][logo] ![Hero][] ![Banner]', '', '[logo]: assets/logo.png "Our logo"', '[HERO]: <assets/hero image.jpg>', '[banner]: banner.png'].join('\n');
  const links = findImageLinks(text);
  assert.deepEqual(links.map((link) => [link.alt, link.path]), [['Logo', 'assets/logo.png'], ['Hero', 'assets/hero image.jpg'], ['Banner', 'banner.png']]);
  for (const link of links) assert.equal(text.slice(link.targetStart, link.targetEnd), link.rawTarget);
  assert.deepEqual(targets('![Missing][nowhere]'), [], 'an undefined reference is not a link');
});

test('images inside code fences, inline code and escapes are ignored', () => {
  const text = ['```md', '![in fence](a.png)', '```', '~~~~', '![tilde](b.png)', '```', 'still code ![x](c.png)', '~~~~', '`![inline](d.png)` \\![escaped](e.png) ![real](f.png)', '    '].join('\n');
  assert.deepEqual(targets(text), ['f.png']);
  assert.deepEqual(targets('```\n![unclosed](a.png)'), []);
});

test('only local relative paths can be generated', () => {
  assert.deepEqual(relativeImagePath({ path: 'img/./a b.png' }), ['img', 'a b.png']);
  assert.deepEqual(relativeImagePath({ path: '../shared/x.png' }), ['..', 'shared', 'x.png'], 'the adapter checks the workspace');
  for (const path of ['https://x.test/a.png', 'data:image/png;base64,AA', '/abs/a.png', '//cdn/a.png', 'C:/x.png', '']) {
    assert.equal(relativeImagePath({ path }), undefined, path);
  }
});

test('the prompt is the alt text with the nearest heading above as context', () => {
  const text = '# Guide\n\n## Setting up the lighthouse\n\ntext ![A lighthouse at dawn](x.png)\n\n```\n# not a heading\n```\n![y](y.png)';
  assert.equal(nearestHeading(text, text.indexOf('![A')), 'Setting up the lighthouse');
  assert.equal(nearestHeading(text, text.indexOf('![y')), 'Setting up the lighthouse', 'a # inside code is not a heading');
  assert.equal(nearestHeading('no headings', 5), undefined);
  assert.equal(promptForMissingImage('A lighthouse', 'x.png', 'Setup'), 'A lighthouse (an image for the section "Setup" of a document)');
  assert.equal(promptForMissingImage(' ', 'cover-art_final.png', undefined), 'cover art final');
});

test('a link keeps everything but its extension when the bytes are another format', () => {
  assert.equal(withExtension('img/my%20fox.jpg', 'png'), 'img/my%20fox.png');
  assert.equal(withExtension('a.b/fox.webp?v=2#top', 'jpg'), 'a.b/fox.jpg?v=2#top');
  assert.equal(withExtension('fox', 'png'), 'fox.png');
  assert.equal(normalizedExtension('x/Y.JPEG'), 'jpg');
  assert.equal(normalizedExtension('noext'), undefined);
});

test('a long line full of "![" is scanned in bounded steps per link (no quadratic blow-up)', () => {
  const line = '![a'.repeat(200_000) + ' ![real](r.png)';
  assert.deepEqual(targets(line), ['r.png']);
});
