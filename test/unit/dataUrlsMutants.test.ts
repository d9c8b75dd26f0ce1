// The edges of the data-URL scan (core/dataUrls): what makes a markdown image, a bare URL, or nothing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findDataUrls, MAX_ALT_TEXT } from '../../src/core/dataUrls';

const URL = 'data:image/png;base64,';

function spans(text: string): [start: number, end: number, data: string][] {
  return findDataUrls(text).map((span) => [span.start, span.end, span.data]);
}

test('only data:image/<type>;base64, with a type and the marker is a data URL', () => {
  assert.deepEqual(spans('data:image/;base64,AAAA'), [], 'no type');
  assert.deepEqual(spans('data:image/png,AAAA'), [], 'no ;base64,');
  assert.deepEqual(spans('data:image/png;base64'), [], 'cut before the comma');
  assert.deepEqual(spans('data:image/png'), [], 'cut inside the type');
  assert.deepEqual(spans('data:image/svg+xml;base64,AB=='), [[0, 30, 'AB==']]);
  assert.deepEqual(spans(`${URL}`), [], 'no data after the marker');
});

test('a markdown image is removed whole, from its ! to its )', () => {
  const text = `x ![alt](${URL}AAAA) y`;
  assert.deepEqual(spans(text), [[2, text.indexOf(')') + 1, 'AAAA']]);
  // Spaces and line breaks inside the parentheses and the data are allowed; the data keeps its inner spaces.
  const wrapped = `![a](  ${URL}AA AA\nBB )`;
  assert.deepEqual(spans(wrapped), [[0, wrapped.length, 'AA AA\nBB']]);
});

test('up to 16 spaces between ( and the URL; with 17 only the bare URL is found', () => {
  const sixteen = `![a](${' '.repeat(16)}${URL}AAAA)`;
  assert.deepEqual(spans(sixteen), [[0, sixteen.length, 'AAAA']]);
  const seventeen = `![a](${' '.repeat(17)}${URL}AAAA)`;
  assert.deepEqual(spans(seventeen), [[seventeen.indexOf('data:'), seventeen.length - 1, 'AAAA']]);
});

test('anything but ![alt]( right before the URL leaves a bare URL, without the markdown around it', () => {
  for (const before of ['[a](', 'x[a](', '!a](', '![a]x(', '![ab(', '![a]]', '![a] (', '![a](x', '(', '](', '![a]b](']) {
    const text = `${before}${URL}AAAA)`;
    const at = text.indexOf('data:');
    assert.deepEqual(spans(text), [[at, at + URL.length + 4, 'AAAA']], before);
  }
});

test('a markdown image without its closing ) or without data is not one', () => {
  const open = `![a](${URL}AAAA`;
  assert.deepEqual(spans(open), [[5, open.length, 'AAAA']], 'the bare URL to the end');
  assert.deepEqual(spans(`![a](${URL} )`), [], 'only a space where the data should be');
});

test(`alt text of up to ${MAX_ALT_TEXT} characters is looked through; a longer one leaves the bare URL`, () => {
  const longest = `![${'a'.repeat(MAX_ALT_TEXT)}](${URL}AAAA)`;
  assert.deepEqual(spans(longest), [[0, longest.length, 'AAAA']]);
  const tooLong = `![${'a'.repeat(MAX_ALT_TEXT + 1)}](${URL}AAAA)`;
  const at = tooLong.indexOf('data:');
  assert.deepEqual(spans(tooLong), [[at, at + URL.length + 4, 'AAAA']]);
});

test('URLs right after one another are all found, each once', () => {
  const bare = `${URL}AA ${URL}BB`;
  assert.deepEqual(spans(bare), [[0, URL.length + 2, 'AA'], [URL.length + 3, bare.length, 'BB']]);
  const first = `![a](${URL}AA)`;
  const images = `${first}![b](${URL}BB)`;
  assert.deepEqual(spans(images), [[0, first.length, 'AA'], [first.length, images.length, 'BB']]);
});
