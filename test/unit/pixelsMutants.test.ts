// PNG/JPEG decoding to RGBA, byte by byte: every row filter (with ties in Paeth), palette and grey pixels, and the
// files a decoder must refuse or read past (interlaced, truncated, empty, too large, extra chunks) — issue #15.
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';
import { decodePixels, decodePng } from '../../src/core/image/pixels';
import { pngChunk, tinyJpeg } from './fixtures/images';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number, colorType: number, interlace = 0): Buffer {
  const data = Buffer.alloc(13);
  data.writeUInt32BE(width, 0);
  data.writeUInt32BE(height, 4);
  data[8] = 8;
  data[9] = colorType;
  data[12] = interlace;
  return pngChunk('IHDR', data);
}

/** PNG chunks in the given order, after the signature. */
function png(...chunks: Buffer[]): Buffer {
  return Buffer.concat([SIGNATURE, ...chunks]);
}

const IEND = pngChunk('IEND', Buffer.alloc(0));

/** PNG-filters each row (an encoder, written from the spec) with the given filter type per row. */
function filtered(rows: number[][], channels: number, filters: number[]): Buffer {
  const out: number[] = [];
  rows.forEach((row, y) => {
    out.push(filters[y]);
    row.forEach((value, x) => {
      const a = x >= channels ? row[x - channels] : 0;
      const b = y > 0 ? rows[y - 1][x] : 0;
      const c = y > 0 && x >= channels ? rows[y - 1][x - channels] : 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][filters[y]];
      out.push((value - predictor) & 0xff);
    });
  });
  return Buffer.from(out);
}

/** Deterministic pseudo-random bytes below `limit` (small limits make Paeth ties frequent). */
function bytes(count: number, limit: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return (state >> 8) % limit;
  });
}

function rgbaPng(width: number, height: number, values: number[], filters: number[]): Buffer {
  const rows = Array.from({ length: height }, (_, y) => values.slice(y * width * 4, (y + 1) * width * 4));
  return png(ihdr(width, height, 6), pngChunk('IDAT', deflateSync(filtered(rows, 4, filters))), IEND);
}

test('every row filter, Paeth ties included, decodes an RGBA picture back to its exact bytes', () => {
  for (const [limit, seed] of [[3, 1], [4, 2], [256, 3], [2, 4], [256, 5]]) {
    const width = 7;
    const height = 10;
    const values = bytes(width * height * 4, limit, seed);
    const filters = [4, 4, 2, 3, 1, 4, 0, 3, 2, 4];
    const decoded = decodePng(rgbaPng(width, height, values, filters));
    assert.ok(decoded);
    assert.deepEqual([decoded.width, decoded.height], [width, height]);
    assert.deepEqual([...decoded.data], values, `limit ${limit}`);
  }
});

test('grey pixels are opaque; grey+alpha pixels take their alpha byte', () => {
  const grey = decodePng(png(ihdr(3, 1, 0), pngChunk('IDAT', deflateSync(Buffer.from([0, 10, 20, 30]))), IEND));
  assert.deepEqual(grey && [...grey.data], [10, 10, 10, 255, 20, 20, 20, 255, 30, 30, 30, 255]);
  const greyAlpha = decodePng(png(ihdr(2, 1, 4), pngChunk('IDAT', deflateSync(Buffer.from([0, 10, 99, 30, 7]))), IEND));
  assert.deepEqual(greyAlpha && [...greyAlpha.data], [10, 10, 10, 99, 30, 30, 30, 7]);
});

test('palette pixels take the red, green and blue of their own entry, and its transparency', () => {
  const palette = pngChunk('PLTE', Buffer.from([1, 2, 3, 40, 50, 60, 70, 80, 90]));
  const transparency = pngChunk('tRNS', Buffer.from([0, 128]));
  const image = png(ihdr(4, 1, 3), palette, transparency, pngChunk('IDAT', deflateSync(Buffer.from([0, 2, 1, 0, 2]))), IEND);
  const decoded = decodePng(image);
  assert.deepEqual(decoded && [...decoded.data], [70, 80, 90, 255, 40, 50, 60, 128, 1, 2, 3, 0, 70, 80, 90, 255]);
});

const ONE_RED = deflateSync(Buffer.from([0, 255, 0, 0]));

test('ancillary chunks are skipped and chunks after IEND are ignored', () => {
  const text = pngChunk('tEXt', Buffer.from('Comment\0made by a model'));
  const decoded = decodePng(png(ihdr(1, 1, 2), text, pngChunk('IDAT', ONE_RED), text, IEND, ihdr(2, 2, 2), pngChunk('IDAT', Buffer.from('junk'))));
  assert.deepEqual(decoded && [decoded.width, decoded.height, ...decoded.data], [1, 1, 255, 0, 0, 255]);
});

test('a PNG that ends without IEND (no trailing chunk) still decodes', () => {
  const decoded = decodePng(png(ihdr(1, 1, 2), pngChunk('IDAT', ONE_RED)));
  assert.deepEqual(decoded && [...decoded.data], [255, 0, 0, 255]);
  assert.deepEqual(decodePixels(png(ihdr(1, 1, 2), pngChunk('IDAT', ONE_RED))), decoded);
});

test('interlaced, unknown colour type, empty, truncated and oversized PNGs are refused', () => {
  assert.equal(decodePng(png(ihdr(1, 1, 2, 1), pngChunk('IDAT', ONE_RED), IEND)), undefined, 'interlaced');
  assert.equal(decodePng(png(ihdr(1, 1, 5), pngChunk('IDAT', ONE_RED), IEND)), undefined, 'colour type 5');
  assert.equal(decodePng(png(ihdr(0, 1, 0), pngChunk('IDAT', deflateSync(Buffer.from([0]))), IEND)), undefined, 'width 0');
  assert.equal(decodePng(png(ihdr(1, 0, 0), pngChunk('IDAT', deflateSync(Buffer.alloc(0))), IEND)), undefined, 'height 0');
  // 2×2 RGB needs 2 × (1 + 6) = 14 bytes; one short is refused, not decoded with a made-up last byte.
  assert.equal(decodePng(png(ihdr(2, 2, 2), pngChunk('IDAT', deflateSync(Buffer.alloc(13))), IEND)), undefined, 'truncated');
  assert.ok(decodePng(png(ihdr(2, 2, 2), pngChunk('IDAT', deflateSync(Buffer.alloc(14))), IEND)), 'complete');
  // More than 64 Mi pixels (grey, all data present): refused before decoding.
  const [width, height] = [8193, 8193];
  const big = deflateSync(Buffer.alloc(height * (width + 1)), { level: 1 });
  assert.equal(decodePng(png(ihdr(width, height, 0), pngChunk('IDAT', big), IEND)), undefined, 'too many pixels');
});

test('a PNG whose compressed data is corrupt gives no pixels instead of throwing', () => {
  assert.equal(decodePixels(png(ihdr(1, 1, 2), pngChunk('IDAT', Buffer.from('not zlib at all')), IEND)), undefined);
});

test('a JPEG decodes to RGBA: 4 bytes a pixel, opaque', () => {
  const decoded = decodePixels(tinyJpeg(128, 4, 4));
  assert.ok(decoded);
  assert.equal(decoded.data.length, 4 * 4 * 4);
  assert.equal(decoded.data[3], 255);
  assert.ok(Math.abs(decoded.data[0] - 128) <= 3);
});
