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

test('a JPEG gets a COM segment after SOI and still decodes to the same pixels', () => {
  const width = 16;
  const height = 8;
  const pixels = Buffer.alloc(width * height * 4, 200);
  const encoded = jpeg.encode({ data: pixels, width, height }, 90).data;
  const withRecipe = embedRecipe(encoded, 'jpeg', recipe);
  assert.deepEqual([...withRecipe.subarray(0, 4)], [0xff, 0xd8, 0xff, 0xfe]);
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
