// The preview downscale, pixel by pixel: which source pixels average into each preview pixel, and how
// transparency blends towards white (issue #15: these conditions decide every colour a preview shows).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Pixels } from '../../src/core/image/pixels';
import { downscale } from '../../src/core/image/thumbnail';

/** A source whose pixel (x, y) has the given RGBA. */
function image(width: number, height: number, rgba: (x: number, y: number) => [number, number, number, number]): Pixels {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) data.set(rgba(x, y), (y * width + x) * 4);
  }
  return { width, height, data };
}

/** The expected preview pixel: the listed source pixels blended onto white, then averaged and rounded. */
function blend(source: Pixels, points: Array<[number, number]>): number[] {
  const sum = [0, 0, 0];
  for (const [x, y] of points) {
    const at = (y * source.width + x) * 4;
    const alpha = source.data[at + 3] / 255;
    for (let c = 0; c < 3; c++) sum[c] += source.data[at + c] * alpha + 255 * (1 - alpha);
  }
  return [...sum.map((value) => Math.round(value / points.length)), 255];
}

test('a 3×3 picture shrunk to 2 px averages uneven blocks: 1 and 2 source pixels per side', () => {
  const source = image(3, 3, (x, y) => [10 + 30 * x + 7 * y, 200 - 20 * x - 40 * y, 5 + 11 * x * y, 255]);
  const preview = downscale(source, 2);
  assert.deepEqual([preview.width, preview.height], [2, 2]);
  assert.deepEqual([...preview.data], [
    ...blend(source, [[0, 0]]),
    ...blend(source, [[1, 0], [2, 0]]),
    ...blend(source, [[0, 1], [0, 2]]),
    ...blend(source, [[1, 1], [2, 1], [1, 2], [2, 2]]),
  ]);
});

test('a wide 6×2 picture shrunk to 3 px averages 2×… blocks left to right, keeping the aspect ratio', () => {
  const source = image(6, 2, (x, y) => [20 * x + y, 250 - 30 * x, 100 + 50 * y, 255]);
  const preview = downscale(source, 3);
  assert.deepEqual([preview.width, preview.height], [3, 1]);
  assert.deepEqual([...preview.data], [
    ...blend(source, [[0, 0], [1, 0], [0, 1], [1, 1]]),
    ...blend(source, [[2, 0], [3, 0], [2, 1], [3, 1]]),
    ...blend(source, [[4, 0], [5, 0], [4, 1], [5, 1]]),
  ]);
});

test('a tall 2×6 picture shrunk to 3 px averages blocks top to bottom', () => {
  const source = image(2, 6, (x, y) => [20 * y + x, 250 - 30 * y, 100 + 50 * x, 255]);
  const preview = downscale(source, 3);
  assert.deepEqual([preview.width, preview.height], [1, 3]);
  assert.deepEqual([...preview.data], [
    ...blend(source, [[0, 0], [1, 0], [0, 1], [1, 1]]),
    ...blend(source, [[0, 2], [1, 2], [0, 3], [1, 3]]),
    ...blend(source, [[0, 4], [1, 4], [0, 5], [1, 5]]),
  ]);
});

test('transparent pixels show as white and half-transparent ones blend halfway towards white', () => {
  const source = image(2, 2, (x, y) => [[0, 0, 0, 0], [100, 40, 20, 255], [0, 60, 200, 128], [255, 0, 0, 255]][y * 2 + x] as [number, number, number, number]);
  const same = downscale(source, 2);
  assert.deepEqual([same.width, same.height], [2, 2]);
  assert.deepEqual([...same.data], [255, 255, 255, 255, 100, 40, 20, 255, ...blend(source, [[0, 1]]), 255, 0, 0, 255]);
  assert.deepEqual(same.data.slice(8, 10), Uint8Array.from([127, 157]));
  const one = downscale(source, 1);
  assert.deepEqual([...one.data], blend(source, [[0, 0], [1, 0], [0, 1], [1, 1]]));
});

test('a small picture is not enlarged: every pixel comes out as it went in (opaque)', () => {
  const source = image(3, 2, (x, y) => [x * 50, y * 90, 7 + x + y, 255]);
  const preview = downscale(source, 256);
  assert.deepEqual([preview.width, preview.height], [3, 2]);
  assert.deepEqual([...preview.data], [...source.data]);
});
