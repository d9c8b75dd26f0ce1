// `auto` and the model-list cache, the edges the first tests left open (found by mutation testing): which
// size-suffixed id wins when several fit, a gateway's own name listed first, the cache's day limit to the
// millisecond, and a stale answer not dropping the newer list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelList } from '../../src/core/imageClient';
import { ModelListCache, pickAutoModel } from '../../src/core/modelChoice';

const GATEWAY = 'https://gateway.test';
const list = (...ids: string[]): ModelList => ({ source: 'provider', models: ids.map((id) => ({ id })) });

test('of several size-suffixed ids of the size asked for, the better model wins, whatever the listing order', () => {
  const listed = list('gemini-3-pro-image-preview-2k', 'gemini-3.1-flash-image-preview-2k', 'gemini-3-pro-image-preview-1k');
  assert.equal(pickAutoModel(listed, GATEWAY, '2K'), 'gemini-3.1-flash-image-preview-2k');
  assert.equal(pickAutoModel(listed, GATEWAY, '2k'), 'gemini-3.1-flash-image-preview-2k');
  assert.equal(pickAutoModel(listed, GATEWAY), 'gemini-3-pro-image-preview-1k');
  // None of the size asked for: the best suffixed one.
  assert.equal(pickAutoModel(list('gemini-3-pro-image-preview-4k', 'gemini-3.1-flash-image-preview-4k'), GATEWAY, '2K'), 'gemini-3.1-flash-image-preview-4k');
});

test("a known size-suffixed id wins over a gateway's own name listed before it, even when its size differs", () => {
  assert.equal(pickAutoModel(list('vendor-image-xl', 'gemini-3-pro-image-preview-2k'), GATEWAY), 'gemini-3-pro-image-preview-2k');
});

test('the list is kept for less than a day to the millisecond, counted from when it was asked', async () => {
  let now = 5_000;
  const cache = new ModelListCache({ now: () => now }, 1_000);
  let asked = 0;
  const fetch = async (): Promise<ModelList> => list(`m${++asked}`);
  assert.equal((await cache.get('a', fetch)).models[0].id, 'm1');
  now += 999;
  assert.equal((await cache.get('a', fetch)).models[0].id, 'm1', 'kept just under the limit');
  now += 1;
  assert.equal((await cache.get('a', fetch)).models[0].id, 'm2', 'asked again at exactly the limit');
});

test('a forgotten request that falls back late does not drop the list asked for after it', async () => {
  const cache = new ModelListCache({ now: () => 0 });
  let release: (value: ModelList) => void = () => undefined;
  const stale = cache.get('a', () => new Promise<ModelList>((resolve) => (release = resolve)));
  cache.forget('a');
  let asked = 0;
  const fresh = async (): Promise<ModelList> => list(`fresh${++asked}`);
  assert.equal((await cache.get('a', fresh)).models[0].id, 'fresh1');
  release({ source: 'builtin', models: [], reason: 'down' });
  assert.equal((await stale).source, 'builtin');
  assert.equal((await cache.get('a', fresh)).models[0].id, 'fresh1', 'the newer list is still kept');
  assert.equal(asked, 1);
});
