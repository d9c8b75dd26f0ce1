// The panel's history stays small in workspace state whatever recipes the workspace's files carry.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clipReferences, clipText, MAX_HISTORY_BYTES, MAX_HISTORY_REFERENCES, newestWithin } from '../../src/core/historyBounds';

test('long texts are cut with an ellipsis, never inside an emoji', () => {
  assert.equal(clipText('short', 10), 'short');
  assert.equal(clipText('a'.repeat(50), 10), `${'a'.repeat(9)}…`);
  const cut = clipText(`${'a'.repeat(8)}🦊🦊`, 10);
  assert.ok(cut.length <= 10);
  assert.doesNotThrow(() => encodeURIComponent(cut), 'a lone surrogate was left');
});

test('references are bounded in number and length', () => {
  const clipped = clipReferences(Array.from({ length: 500 }, () => 'x'.repeat(100_000)));
  assert.equal(clipped.length, MAX_HISTORY_REFERENCES);
  assert.ok(clipped.every((reference) => reference.length <= 1024));
});

test('the stored history keeps the newest items within its byte budget', () => {
  const items = Array.from({ length: 10_000 }, (_, index) => ({ path: `generated-images/${index}.png`, prompt: 'p'.repeat(1500) }));
  const kept = newestWithin(items);
  assert.ok(kept.length > 100 && kept.length < items.length, `${kept.length} kept`);
  assert.equal(kept[0], items[0], 'the newest item was dropped');
  assert.ok(Buffer.byteLength(JSON.stringify(kept)) <= MAX_HISTORY_BYTES);
  assert.equal(Buffer.byteLength(JSON.stringify(newestWithin(items.slice(0, kept.length + 1)))) <= MAX_HISTORY_BYTES, true);
  assert.deepEqual(newestWithin(items.slice(0, 3)), items.slice(0, 3));
});
