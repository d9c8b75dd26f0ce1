// Markdown image links, the edges the first tests left open (found by mutation testing): definitions in code, the
// first definition winning, escapes, nested brackets, angle-bracket targets, the 512-character limits, labels,
// headings, CRLF and fences, and the file name a prompt falls back to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findImageLinks, nearestHeading, normalizedExtension, promptForMissingImage, relativeImagePath } from '../../src/core/markdownImages';

const targets = (text: string): string[] => findImageLinks(text).map((link) => link.path);

/** Every link's offsets point at what they claim: the whole link and its target as written. */
function assertOffsets(text: string, whole: string[]): void {
  const links = findImageLinks(text);
  assert.deepEqual(links.map((link) => text.slice(link.start, link.end)), whole);
  for (const link of links) assert.equal(text.slice(link.targetStart, link.targetEnd), link.rawTarget);
}

test('a reference definition inside a code block defines nothing; the first definition of a label wins', () => {
  assert.deepEqual(targets('![Logo][logo]\n\n```\n[logo]: in-code.png\n```'), []);
  assert.deepEqual(targets('![Logo][logo]\n\n[logo]: first.png\n[LOGO]: second.png'), ['first.png']);
});

test('the written label, not the alt text, names the definition; offsets cover the whole link', () => {
  const text = 'See ![A company logo][logo] and ![Hero][ ] and\nthen ![banner]!\n\n[logo]: l.png\n[hero]: h.png\n[banner]: b.png';
  const links = findImageLinks(text);
  assert.deepEqual(links.map((link) => [link.alt, link.path]), [['A company logo', 'l.png'], ['Hero', 'h.png'], ['banner', 'b.png']]);
  assertOffsets(text, ['![A company logo][logo]', '![Hero][ ]', '![banner]']);
  assert.deepEqual(targets('![Logo][logo\n\n[logo]: l.png'), [], 'an unclosed label is not a link');
  assert.deepEqual(targets('![Logo][logox\n\n[logo]: l.png'), [], 'an unclosed label is not a link');
});

test('labels match without regard to case, surrounding spaces and runs of spaces, but spaces still separate words', () => {
  const defs = '\n\n[my logo]: l.png';
  assert.deepEqual(targets(`![a][ My  Logo ]${defs}`), ['l.png']);
  assert.deepEqual(targets(`![a][my\tlogo]${defs}`), ['l.png']);
  assert.deepEqual(targets('![a][my logo]\n\n[mylogo]: l.png'), []);
});

test('a label is looked for up to 510 characters (the link-part limit), no further', () => {
  const at = (length: number): string[] => {
    const label = 'x'.repeat(length);
    return targets(`${'words '.repeat(60)}![a][${label}]\n\n[${label}]: long.png`);
  };
  assert.deepEqual(at(510), ['long.png']);
  assert.deepEqual(at(511), []);
});

test('two links on a later line are both found, with offsets into the whole text', () => {
  const text = 'first line\n![a](a.png)![b](b.png) ![c][c]\n\n[c]: c.png';
  assert.deepEqual(targets(text), ['a.png', 'b.png', 'c.png']);
  assertOffsets(text, ['![a](a.png)', '![b](b.png)', '![c][c]']);
});

test('an unclosed alt text or target, or an empty target, is not a link', () => {
  assert.deepEqual(targets('![(a.png)'), []);
  assert.deepEqual(targets('![a](a.png'), []);
  assert.deepEqual(targets('![a](a.png "title"'), []);
  assert.deepEqual(targets('![a]()'), []);
  assert.deepEqual(targets('![a](   )'), []);
  assert.deepEqual(targets('![a](<>)'), []);
});

test('escaped and nested brackets in the alt text, escaped parentheses in the target', () => {
  const text = '![a \\] b](x.png) ![see [1] here](y.png) ![z](z\\)1.png)';
  const links = findImageLinks(text);
  assert.deepEqual(links.map((link) => link.alt), ['a \\] b', 'see [1] here', 'z']);
  assert.deepEqual(links.map((link) => link.rawTarget), ['x.png', 'y.png', 'z\\)1.png']);
  assertOffsets(text, ['![a \\] b](x.png)', '![see [1] here](y.png)', '![z](z\\)1.png)']);
});

test('spaces around the target are not part of it; angle brackets keep parentheses and spaces in the path', () => {
  const text = '![a](  x.png ) ![b]( <my fig (1).png>) ![c](<fig 2).png>) ![d](d.png "x < y")';
  const links = findImageLinks(text);
  assert.deepEqual(links.map((link) => link.rawTarget), ['x.png', 'my fig (1).png', 'fig 2).png', 'd.png']);
  assertOffsets(text, ['![a](  x.png )', '![b]( <my fig (1).png>)', '![c](<fig 2).png>)', '![d](d.png "x < y")']);
  assert.deepEqual(targets('![a](a<b.png)'), ['a<b.png'], 'a "<" inside the target opens no angle brackets');
  assert.deepEqual(targets('![e]( <fig 3).png>)'), ['fig 3).png'], 'spaces before the angle brackets');
});

test('alt text and target are looked for up to 511 characters each', () => {
  assert.deepEqual(targets(`![${'a'.repeat(511)}](x.png)`), ['x.png']);
  assert.deepEqual(targets(`![${'a'.repeat(512)}](x.png)`), []);
  const path = (length: number): string => `${'d'.repeat(length - 4)}.png`;
  assert.deepEqual(targets(`![a](${path(511)})`), [path(511)]);
  assert.deepEqual(targets(`![a](${path(512)})`), []);
  assert.deepEqual(targets(`![a](${path(600)}) tail`), []);
});

test('inline code hides links even with spaces or backticks inside, and keeps the offsets after it', () => {
  assert.deepEqual(targets('`see ![x](x.png) here`'), []);
  assert.deepEqual(targets('``a`b`` ![x](x.png) `'), ['x.png'], 'a double-backtick span may hold a single backtick');
  const text = '`code` and ``more`` ![x](x.png)';
  assertOffsets(text, ['![x](x.png)']);
});

test('query and fragment are cut from the path', () => {
  assert.deepEqual(targets('![a](a.png?v=2#top) ![b](b.png#f) ![c](c%20d.png?x)'), ['a.png', 'b.png', 'c d.png']);
});

test('CRLF line endings: fences close and offsets stay right, even with a stray carriage return inside a line', () => {
  assert.deepEqual(targets('```\r\n![code](c.png)\r\n```\r\n![real](r.png)\r\n'), ['r.png']);
  const text = 'a\rb ![x](x.png)\r\n![y](y.png)\r\n';
  assertOffsets(text, ['![x](x.png)', '![y](y.png)']);
});

test('a fence closes only with the same character, at least as long, and nothing else on the line', () => {
  assert.deepEqual(targets('```\n~~~\n![a](a.png)\n```\n![b](b.png)'), ['b.png']);
  assert.deepEqual(targets('````\n```\n![a](a.png)\n````\n![b](b.png)'), ['b.png']);
  assert.deepEqual(targets('```\n```js\n![a](a.png)\n```\n![b](b.png)'), ['b.png']);
  assert.deepEqual(targets('```\n![a](a.png)\n  ```  \n![b](b.png)'), ['b.png'], 'spaces around a closing fence');
});

test('only local relative paths: a colon later in the path is no scheme; UNC paths, folders and "." are refused', () => {
  assert.deepEqual(relativeImagePath({ path: 'img/a:b.png' }), ['img', 'a:b.png']);
  assert.equal(relativeImagePath({ path: '\\\\server\\share\\a.png' }), undefined);
  assert.deepEqual(relativeImagePath({ path: 'img\\sub\\' }), ['img', 'sub']);
  assert.equal(relativeImagePath({ path: './' }), undefined);
  assert.equal(relativeImagePath({ path: '.' }), undefined);
});

test('the nearest heading: not one below the link, the heading the link sits in, ATX forms only', () => {
  const text = '# Intro\n\ntext\n\n# Setup ![s](s.png)\n\n## Later';
  assert.equal(nearestHeading(text, text.indexOf('text')), 'Intro');
  assert.equal(nearestHeading(text, text.indexOf('# Setup')), 'Setup ![s](s.png)');
  assert.equal(nearestHeading('# Real\n\nWe use C # here\n', 15), 'Real', 'a # inside a paragraph is no heading');
  assert.equal(nearestHeading('#   Spaced out   ##\n', 5), 'Spaced out');
  assert.equal(nearestHeading('# Real\n\n## \nx', 12), 'Real', 'an empty heading does not hide the one above');
});

test("the prompt: the alt text trimmed, else the file's name without its last extension, separators as single spaces", () => {
  assert.equal(promptForMissingImage('  A fox  ', 'x.png', undefined), 'A fox');
  assert.equal(promptForMissingImage('', '_hero_.png', undefined), 'hero');
  assert.equal(promptForMissingImage('', 'team.photo.png', undefined), 'team.photo');
  assert.equal(promptForMissingImage('', 'cover--art__v2.png', undefined), 'cover art v2');
});

test('the extension is the last one, lower-cased; only jpeg is respelt', () => {
  assert.equal(normalizedExtension('img.v2/fox'), undefined);
  assert.equal(normalizedExtension('a.PNG'), 'png');
  assert.equal(normalizedExtension('a.jpg'), 'jpg');
  assert.equal(normalizedExtension('a.webp'), 'webp');
});
