// Previews for MCP answers: PNG and JPEG decoded, shrunk to at most 256 px, colours kept, other inputs left alone.
import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';
import * as jpeg from 'jpeg-js';
import { decodePng } from '../../src/core/image/pixels';
import { thumbnailOf } from '../../src/core/image/thumbnail';
import { encodeJpeg, encodePng } from '../server/imageFactory';
import { GIF_HEADER, pngChunk, testPng } from './fixtures/images';

function png(width: number, height: number, colorType: number, raw: Buffer, extra: Buffer[] = []): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = colorType;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), ...extra, pngChunk('IDAT', deflateSync(raw)), pngChunk('IEND', Buffer.alloc(0))]);
}

test('a large PNG becomes a JPEG at most 256 px on its longest side, keeping the aspect ratio and colour', () => {
  const thumbnail = thumbnailOf(testPng(1024, 512));
  assert.ok(thumbnail);
  const decoded = jpeg.decode(thumbnail, { useTArray: true });
  assert.equal(decoded.width, 256);
  assert.equal(decoded.height, 128);
  assert.ok(Math.abs(decoded.data[0] - 0x7f) <= 3, `grey became ${decoded.data[0]}`);
  assert.ok(thumbnail.length < 20_000, `a preview of ${thumbnail.length} bytes is not small`);
});

test('the test server\'s PNG (Sub filter) and JPEG decode to the same picture', () => {
  for (const image of [encodePng('fox', 640, 360), encodeJpeg('fox', 640, 360)]) {
    const thumbnail = thumbnailOf(image);
    assert.ok(thumbnail);
    const decoded = jpeg.decode(thumbnail, { useTArray: true });
    assert.deepEqual([decoded.width, decoded.height], [256, 144]);
  }
  const a = jpeg.decode(thumbnailOf(encodePng('fox', 640, 360)) as Uint8Array, { useTArray: true }).data;
  const b = jpeg.decode(thumbnailOf(encodeJpeg('fox', 640, 360)) as Uint8Array, { useTArray: true }).data;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference += Math.abs(a[i] - b[i]);
  assert.ok(difference / a.length < 8, `the PNG and JPEG previews differ by ${difference / a.length} per channel`);
});

test('every PNG row filter and colour type decodes to the right pixels', () => {
  // 2×2 RGB: rows filtered Up+Paeth; expected pixels (10,20,30) (40,50,60) / (70,80,90) (100,110,120).
  const pixels = [[10, 20, 30, 40, 50, 60], [70, 80, 90, 100, 110, 120]];
  const paethRow = pixels[1].map((value, i) => {
    const a = i >= 3 ? pixels[1][i - 3] : 0;
    const b = pixels[0][i];
    const c = i >= 3 ? pixels[0][i - 3] : 0;
    const p = a + b - c;
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
    const predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    return (value - predictor) & 0xff;
  });
  const averageRow = pixels[0].map((value, i) => (value - ((i >= 3 ? pixels[0][i - 3] : 0) >> 1)) & 0xff);
  const decoded = decodePng(png(2, 2, 2, Buffer.from([3, ...averageRow, 4, ...paethRow])));
  assert.ok(decoded);
  assert.deepEqual([...decoded.data], [10, 20, 30, 255, 40, 50, 60, 255, 70, 80, 90, 255, 100, 110, 120, 255]);

  const palette = pngChunk('PLTE', Buffer.from([255, 0, 0, 0, 0, 255]));
  const transparency = pngChunk('tRNS', Buffer.from([128]));
  const indexed = decodePng(png(2, 1, 3, Buffer.from([0, 0, 1]), [palette, transparency]));
  assert.deepEqual([...(indexed?.data ?? [])], [255, 0, 0, 128, 0, 0, 255, 255]);
  const greyAlpha = decodePng(png(1, 1, 4, Buffer.from([0, 200, 100])));
  assert.deepEqual([...(greyAlpha?.data ?? [])], [200, 200, 200, 100]);
});

test('formats without a decoder get no preview rather than a broken one', () => {
  assert.equal(thumbnailOf(GIF_HEADER), undefined);
  assert.equal(thumbnailOf(Buffer.from('not an image')), undefined);
  const sixteenBit = testPng(4, 4);
  sixteenBit[24] = 16; // IHDR bit depth
  assert.equal(thumbnailOf(sixteenBit), undefined);
});
