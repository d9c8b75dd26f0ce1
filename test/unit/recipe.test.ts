// The recipe travels inside the image file and the image stays valid.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import * as jpeg from 'jpeg-js';
import { crc32, embedRecipe, readRecipe, removeRecipe, type Recipe } from '../../src/core/recipe';
import { testPng } from './fixtures/images';

function pngChunks(png: Uint8Array): { type: string; data: Buffer; crcOk: boolean }[] {
  const buffer = Buffer.from(png);
  const chunks = [];
  let offset = 8;
  while (offset < buffer.length) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    const data = buffer.subarray(offset + 8, offset + 8 + length);
    const crcOk = buffer.readUInt32BE(offset + 8 + length) === crc32(buffer.subarray(offset + 4, offset + 8 + length));
    chunks.push({ type, data, crcOk });
    offset += 12 + length;
  }
  return chunks;
}

const recipe: Recipe = {
  version: 1,
  prompt: 'A cyberpunk fox in the forest — ünïcödé ✓',
  model: 'gemini-3-pro-image-preview',
  aspectRatio: '16:9',
  imageSize: '2K',
  references: ['screenshot.png', 'logo.jpg'],
  usage: { promptTokenCount: 12, candidatesTokenCount: 1290, totalTokenCount: 1302 },
  createdAt: '2026-11-22T04:00:00.000Z',
};

test('a PNG gets an iTXt chunk right after IHDR, every CRC stays valid and the pixels are untouched', () => {
  const png = testPng(4, 3);
  const withRecipe = embedRecipe(png, 'png', recipe);
  const chunks = pngChunks(withRecipe);
  assert.deepEqual(chunks.map((c) => c.type), ['IHDR', 'iTXt', 'IDAT', 'IEND']);
  assert.ok(chunks.every((c) => c.crcOk));
  assert.equal(inflateSync(chunks[2].data).length, 3 * (1 + 4 * 3));
  assert.deepEqual(readRecipe(withRecipe), recipe);
});

test('a JPEG gets a COM segment after SOI and its JFIF segment, and still decodes to the same pixels', () => {
  const width = 16;
  const height = 8;
  const pixels = Buffer.alloc(width * height * 4, 200);
  const encoded = jpeg.encode({ data: pixels, width, height }, 90).data;
  const withRecipe = embedRecipe(encoded, 'jpeg', recipe);
  assert.deepEqual(jpegMarkers(withRecipe).slice(0, 3), ['d8', 'e0', 'fe'], 'JFIF (APP0) must stay right after SOI');
  const decoded = jpeg.decode(Buffer.from(withRecipe));
  assert.equal(decoded.width, width);
  assert.deepEqual(Buffer.from(decoded.data), Buffer.from(jpeg.decode(encoded).data));
  assert.deepEqual(readRecipe(withRecipe), recipe);
});

test('a prompt too long for a JPEG comment is shortened, the rest of the recipe kept', () => {
  const long = { ...recipe, prompt: 'p'.repeat(100_000) };
  const encoded = jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 10), width: 8, height: 8 }, 80).data;
  const read = readRecipe(embedRecipe(encoded, 'jpeg', long));
  assert.ok(read);
  assert.ok(read.prompt.length < 65_536 && read.prompt.length > 60_000);
  assert.equal(read.model, recipe.model);
  assert.deepEqual(read.references, recipe.references);
});

/** The markers of a JPEG's header segments, up to the start of the image data, as hex. */
function jpegMarkers(image: Uint8Array): string[] {
  const markers = ['d8'];
  for (let offset = 2; offset + 4 <= image.length && image[offset] === 0xff; ) {
    markers.push(image[offset + 1].toString(16));
    if (image[offset + 1] === 0xda) break;
    offset += 2 + ((image[offset + 2] << 8) | image[offset + 3]);
  }
  return markers;
}

/** The JPEG with an EXIF (APP1) segment of `size` bytes after its JFIF segment, as cameras and editors write it. */
function withExif(encoded: Uint8Array, size: number): Buffer {
  const app0End = 4 + ((encoded[4] << 8) | encoded[5]);
  const exif = Buffer.alloc(size + 4);
  exif.set([0xff, 0xe1, ((size + 2) >> 8) & 0xff, (size + 2) & 0xff], 0);
  exif.write('Exif\0\0', 4, 'latin1');
  return Buffer.concat([encoded.subarray(0, app0End), exif, encoded.subarray(app0End)]);
}

test('with EXIF as well, the COM segment follows both APP0 and APP1, and removing it restores the file', () => {
  const encoded = withExif(jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 90), width: 8, height: 8 }, 80).data, 30_000);
  const withRecipe = embedRecipe(encoded, 'jpeg', recipe);
  assert.deepEqual(jpegMarkers(withRecipe).slice(0, 4), ['d8', 'e0', 'e1', 'fe']);
  assert.deepEqual(readRecipe(withRecipe), recipe);
  assert.deepEqual(Buffer.from(removeRecipe(withRecipe)), encoded);
  assert.equal(jpeg.decode(Buffer.from(withRecipe)).width, 8);
});

test('an emoji prompt too long for a JPEG comment is cut at whole characters and keeps nearly all the room', () => {
  const foxes = { ...recipe, prompt: '🦊'.repeat(40_000) };
  const encoded = jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 10), width: 8, height: 8 }, 80).data;
  const read = readRecipe(embedRecipe(encoded, 'jpeg', foxes));
  assert.ok(read);
  assert.match(read.prompt, /^(🦊)+…$/u, 'the prompt must be whole foxes and an ellipsis');
  assert.ok(read.prompt.length > 2 * 15_000, `only ${read.prompt.length} units kept: the cut counted UTF-16 units as bytes`);
  assert.ok(!read.prompt.includes('\ufffd'));
});

test('a prompt of characters JSON escapes still fits after shortening', () => {
  const quoted = { ...recipe, prompt: '"\u0001\\'.repeat(30_000) };
  const encoded = jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 10), width: 8, height: 8 }, 80).data;
  const withRecipe = embedRecipe(encoded, 'jpeg', quoted);
  const read = readRecipe(withRecipe);
  assert.ok(read && read.prompt.endsWith('…') && read.prompt.length > 5000, 'the recipe did not fit after shortening');
  assert.deepEqual(Buffer.from(removeRecipe(withRecipe)), Buffer.from(encoded));
});

test('a 70 KB model id and huge other fields are capped: the JPEG stays valid and the recipe readable', () => {
  const hostile: Recipe = {
    ...recipe,
    model: 'm'.repeat(70_000),
    aspectRatio: 'a'.repeat(70_000),
    references: Array.from({ length: 1000 }, (_, index) => `${index}-${'r'.repeat(5000)}.png`),
    refinedFrom: 'f'.repeat(70_000),
    link: `https://cdn.example/${'l'.repeat(70_000)}.png`,
    createdAt: 'c'.repeat(70_000),
  };
  const encoded = jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 60), width: 8, height: 8 }, 80).data;
  const withRecipe = embedRecipe(encoded, 'jpeg', hostile);
  assert.deepEqual(jpegMarkers(withRecipe).slice(0, 3), ['d8', 'e0', 'fe']);
  assert.deepEqual(Buffer.from(removeRecipe(withRecipe)), Buffer.from(encoded), 'the COM length wrapped');
  assert.deepEqual(Buffer.from(jpeg.decode(Buffer.from(withRecipe)).data), Buffer.from(jpeg.decode(encoded).data));
  const read = readRecipe(withRecipe);
  assert.ok(read);
  assert.equal(read.prompt, recipe.prompt);
  assert.ok(read.model.startsWith('mmm') && read.model.length <= 128);
  assert.ok(read.references.length <= 16 && read.references.every((name) => name.length <= 200));
  assert.ok(read.link?.startsWith('https://cdn.example/') && read.link.length <= 300);
  const png = embedRecipe(testPng(2, 2), 'png', hostile);
  assert.ok(png.length < 60_000, `the PNG recipe is ${png.length} bytes`);
  assert.equal(readRecipe(png)?.model, read.model);
});

test('files without our recipe, other formats and damaged input read as no recipe', () => {
  assert.equal(readRecipe(testPng(2, 2)), undefined);
  assert.equal(readRecipe(new Uint8Array([1, 2, 3])), undefined);
  const webp = new TextEncoder().encode('RIFF\u0000\u0000\u0000\u0000WEBPVP8 ');
  assert.equal(embedRecipe(webp, 'webp', recipe), webp);
  const truncated = embedRecipe(testPng(2, 2), 'png', recipe).subarray(0, 60);
  assert.equal(readRecipe(truncated), undefined);
});

test('removeRecipe gives back exactly the bytes that arrived', () => {
  const png = testPng(5, 4);
  assert.deepEqual(Buffer.from(removeRecipe(embedRecipe(png, 'png', recipe))), png);
  const encoded = jpeg.encode({ data: Buffer.alloc(8 * 8 * 4, 50), width: 8, height: 8 }, 80).data;
  assert.deepEqual(Buffer.from(removeRecipe(embedRecipe(encoded, 'jpeg', recipe))), Buffer.from(encoded));
  assert.equal(removeRecipe(png), png);
});
