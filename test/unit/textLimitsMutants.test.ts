// Cutting text for notifications, history and alt text at exactly their limits, and relative link targets (mutation survivors).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clipText, newestWithin } from '../../src/core/historyBounds';
import { notificationText } from '../../src/core/notificationText';
import { altTextFrom, relativeTarget } from '../../src/core/selectionImage';

test('notification text: exactly the limit is kept whole; one more is cut with an ellipsis; never inside a surrogate pair', () => {
  assert.equal(notificationText('abcde', 5), 'abcde');
  assert.equal(notificationText('abcdef', 5), 'abcd…');
  for (const pair of ['\ud800\udc00', '\udbff\udfff']) {
    assert.equal(notificationText(`abc${pair}xyz`, 5), 'abc…', escape(pair));
    assert.equal(notificationText(`ab${pair}xyz`, 5), `ab${pair}…`, escape(pair));
  }
  assert.equal(notificationText('abc\ud7ffxyz', 5), 'abc\ud7ff…');
  assert.equal(notificationText('abc\udc00xyz', 5), 'abc\udc00…');
});

test('history text: the same limits', () => {
  assert.equal(clipText('abcde', 5), 'abcde');
  assert.equal(clipText('abcdef', 5), 'abcd…');
  for (const pair of ['\ud800\udc00', '\udbff\udfff']) {
    assert.equal(clipText(`abc${pair}xyz`, 5), 'abc…', escape(pair));
    assert.equal(clipText(`ab${pair}xyz`, 5), `ab${pair}…`, escape(pair));
  }
  assert.equal(clipText('abc\ud7ffxyz', 5), 'abc\ud7ff…');
});

test('history items: everything that fits exactly is kept, one byte over drops the older ones', () => {
  const items = ['aaaa', 'bbbb', 'cccc'];
  // "[" and "]" (2) + each item's JSON (6) and its comma (1): 2 + 7 * 3 = 23.
  assert.deepEqual(newestWithin(items, 23), items);
  assert.deepEqual(newestWithin(items, 22), ['aaaa', 'bbbb']);
  assert.deepEqual(newestWithin(items, 9), ['aaaa']);
  assert.deepEqual(newestWithin(items, 8), []);
  assert.deepEqual(newestWithin([], 2), []);
  const kept = newestWithin(items, 100);
  assert.notEqual(kept, items, 'a copy');
});

test('alt text: the first line with a letter or digit, cut at a word past half the limit, trimmed', () => {
  assert.equal(altTextFrom('```\n---\nA red fox'), 'A red fox');
  assert.equal(altTextFrom('first\rline\nsecond'), 'first line');
  assert.equal(altTextFrom('***\n42'), '42');
  assert.equal(altTextFrom('!!!'), 'Generated image');
  assert.equal(altTextFrom('abcdefghij', 10), 'abcdefghij');
  assert.equal(altTextFrom('abcd efghijk', 10), 'abcd efghi…', 'a space before half the limit is not used');
  assert.equal(altTextFrom('abcdef ghijk', 10), 'abcdef…', 'cut at the last space past half');
  assert.equal(altTextFrom('abcde fghijk', 10), 'abcde fghi…', 'a space at exactly half is not used');
  assert.equal(altTextFrom('abcdefgh  ijk', 10), 'abcdefgh…');
  assert.equal(altTextFrom(`${'word '.repeat(30)}`), `${'word '.repeat(20).trim()}…`);
});

test('relative link targets between workspace paths', () => {
  assert.equal(relativeTarget('/ws/docs/page.md', '/ws/docs/img/fox.png'), 'img/fox.png');
  assert.equal(relativeTarget('/ws/docs/page.md', '/ws/images/fox.png'), '../images/fox.png');
  assert.equal(relativeTarget('/ws/a/b/page.md', '/ws/c/fox.png'), '../../c/fox.png');
  assert.equal(relativeTarget('/ws/page.md', '/ws/fox.png'), 'fox.png');
  assert.equal(relativeTarget('/ws/docs/page.md', '/ws/docs/my fox (1).png'), 'my%20fox%20(1).png');
  assert.equal(relativeTarget('/ws/fox/page.md', '/ws/fox'), '../fox', 'a file named like the folder');
  assert.equal(relativeTarget('/ws/a/b/page.md', '/ws/a/b'), '../b');
});
