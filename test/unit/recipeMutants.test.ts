// The edges of the recipe carried inside an image (core/recipe): where it goes, how it is cut to fit, which chunks and
// segments are read as ours, and which files are left alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  boundedRecipe,
  cutJsonString,
  embedRecipe,
  readRecipe,
  recipeInsertion,
  recipeInsertionOfLength,
  recipeOffset,
  recipeSlot,
  removeRecipe,
  RECIPE_KEYWORD,
  type Recipe,
} from '../../src/core/recipe';
import { pngChunk, testPng, tinyJpeg } from './fixtures/images';

const recipe: Recipe = {
  version: 1,
  prompt: 'A lighthouse at dusk, oil painting',
  model: 'gemini-3-pro-image-preview',
  references: [],
  usage: { promptTokenCount: 10, candidatesTokenCount: 1290, totalTokenCount: 1300 },
  createdAt: '2026-12-02T10:00:00.000Z',
};

const PNG_OVERHEAD = 12 + RECIPE_KEYWORD.length + 5;
const JPEG_PREFIX = `${RECIPE_KEYWORD}:`;
const JPEG_OVERHEAD = 4 + JPEG_PREFIX.length;
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
/** iTXt data as we write it: keyword, NUL, flag 0, method 0, empty language NUL, empty translated keyword NUL, text. */
const itxtData = (text: Buffer, keyword = RECIPE_KEYWORD): Buffer => Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.alloc(5), text]);
/** The PNG header up to and including IHDR (33 bytes), then the IDAT and IEND of a real 2×2 image. */
const png = testPng(2, 2);
const head = png.subarray(0, 33);
const tail = png.subarray(33);
const idat = tail.subarray(0, tail.length - 12);
const iend = tail.subarray(tail.length - 12);
/** A JPEG segment: marker, 16-bit length (itself included), payload. */
function segment(marker: number, payload: Buffer): Buffer {
  const bytes = Buffer.alloc(4 + payload.length);
  bytes.set([0xff, marker, ((payload.length + 2) >> 8) & 0xff, (payload.length + 2) & 0xff], 0);
  payload.copy(bytes, 4);
  return bytes;
}
const SOI = Buffer.from([0xff, 0xd8]);
const ourCom = (value: unknown = recipe): Buffer => segment(0xfe, Buffer.concat([Buffer.from(JPEG_PREFIX), json(value)]));
/** Reads the recipe back from an insertion made for a PNG, by putting it after IHDR of a real PNG. */
const readPngInsertion = (bytes: Uint8Array | undefined): Recipe | undefined => {
  assert.ok(bytes, 'no insertion');
  return readRecipe(Buffer.concat([head, bytes, tail]));
};

test('recipeOffset: a PNG recipe goes after IHDR, once 33 bytes are known', () => {
  assert.equal(recipeOffset('png', new Uint8Array(32)), 'more');
  assert.equal(recipeOffset('png', new Uint8Array(33)), 33);
  assert.equal(recipeOffset('png', png), 33);
  assert.equal(recipeOffset('webp', png), undefined);
  assert.equal(recipeOffset('gif', new Uint8Array(0)), undefined);
});

test('recipeOffset: a JPEG needs its SOI, then keeps APP0/APP1 first', () => {
  assert.equal(recipeOffset('jpeg', new Uint8Array([0xff])), 'more');
  assert.equal(recipeOffset('jpeg', new Uint8Array([0x00, 0x00])), undefined, 'two bytes are enough to refuse');
  assert.equal(recipeOffset('jpeg', new Uint8Array([0xff, 0x00, 0xff, 0xe0])), undefined, 'no SOI');
  assert.equal(recipeOffset('jpeg', new Uint8Array([0x00, 0xd8, 0xff, 0xe0])), undefined, 'no SOI');
  assert.equal(recipeOffset('jpeg', new Uint8Array([0xff, 0xd8])), 'more');
  assert.equal(recipeOffset('jpeg', new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 0x00])), 'more', 'the next segment is not known yet');
  // Exactly the four bytes of the next segment's header are enough to know it is not APP0/APP1.
  assert.equal(recipeOffset('jpeg', new Uint8Array([0xff, 0xd8, 0xff, 0xdb, 0x00, 0x43])), 2);
  assert.equal(recipeOffset('jpeg', new Uint8Array([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x04, 0x41, 0x42, 0xff, 0xe0, 0x00, 0x02])), 2);
  const app0 = segment(0xe0, Buffer.from('JFIF\0'));
  const app1 = segment(0xe1, Buffer.from('Exif\0\0'));
  assert.equal(recipeOffset('jpeg', Buffer.concat([SOI, app0, app1, Buffer.from([0xff, 0xdb, 0x00, 0x43])])), 2 + app0.length + app1.length);
  assert.equal(recipeOffset('jpeg', Buffer.concat([SOI, app0, app1])), 'more');
  assert.equal(recipeOffset('jpeg', tinyJpeg()), 2 + ((tinyJpeg()[4] << 8) | tinyJpeg()[5]) + 2);
  // A segment must start with 0xff: an APP1 marker byte after anything else is not a segment to skip.
  const notMarker = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0, 0, 0x00, 0xe1, 0x00, 0x04, 0, 0, 0xff, 0xdb, 0x00, 0x43]);
  assert.equal(recipeOffset('jpeg', notMarker), 8);
});

test('recipeOffset: a broken APP0 length (below 2) keeps the recipe before it; a length of 2 is an empty segment', () => {
  for (const length of [0, 1]) {
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, length, 0xff, 0xdb, 0x00, 0x43, 0, 0, 0, 0]);
    assert.equal(recipeOffset('jpeg', bytes), 2, `length ${length}`);
  }
  const empty = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x02, 0xff, 0xdb, 0x00, 0x43, 0, 0]);
  assert.equal(recipeOffset('jpeg', empty), 6);
});

test('recipeInsertion and recipeInsertionOfLength offer nothing for other formats', () => {
  assert.equal(recipeInsertion('webp', recipe), undefined);
  assert.equal(recipeInsertion('gif', recipe), undefined);
  assert.equal(recipeInsertionOfLength('webp', recipe, 2000), undefined);
  assert.equal(recipeInsertionOfLength('gif', recipe, 70_000), undefined);
  assert.equal(recipeSlot('webp', recipe), undefined);
  assert.deepEqual(recipeInsertion('png', recipe)?.offset, 33);
  assert.deepEqual(recipeInsertion('jpeg', recipe)?.offset, 2);
});

test('recipeInsertionOfLength: a JPEG segment may be 65537 bytes in all, not one more; a PNG chunk has no such limit', () => {
  const big = { ...recipe, prompt: 'x'.repeat(100_000) };
  const fits = recipeInsertionOfLength('jpeg', big, 65_537);
  assert.equal(fits?.length, 65_537);
  assert.equal(readRecipe(Buffer.concat([SOI, Buffer.from(fits), Buffer.from([0xff, 0xd9])]))?.prompt.endsWith('x…'), true);
  assert.equal(recipeInsertionOfLength('jpeg', big, 65_538), undefined);
  assert.equal(recipeInsertionOfLength('jpeg', recipe, 65_538), undefined, 'even when the recipe is small');
  const pngBytes = recipeInsertionOfLength('png', big, 70_000);
  assert.equal(pngBytes?.length, 70_000);
  assert.equal(readPngInsertion(pngBytes)?.prompt.length, 70_000 - PNG_OVERHEAD - JSON.stringify({ ...big, prompt: '' }).length - 3 + 1);
});

test('recipeInsertionOfLength: a recipe of exactly the room is kept whole; one byte less cuts the prompt by what fits', () => {
  const exact = JSON.stringify(recipe).length;
  const whole = recipeInsertionOfLength('png', recipe, PNG_OVERHEAD + exact);
  assert.deepEqual(readPngInsertion(whole), recipe);
  const short = recipeInsertionOfLength('png', recipe, PNG_OVERHEAD + exact - 1);
  // One byte short: the prompt loses 4 characters and gains "…" (3 bytes in UTF-8).
  assert.deepEqual(readPngInsertion(short), { ...recipe, prompt: `${recipe.prompt.slice(0, -4)}…` });
  const jpeg = recipeInsertionOfLength('jpeg', recipe, JPEG_OVERHEAD + exact);
  assert.deepEqual(readRecipe(Buffer.concat([SOI, Buffer.from(jpeg!), Buffer.from([0xff, 0xd9])])), recipe);
});

test('recipeInsertionOfLength: with room for an empty prompt and its "…" the usage is kept; less drops the usage', () => {
  const withoutPrompt = JSON.stringify({ ...recipe, prompt: '' }).length;
  const tight = readPngInsertion(recipeInsertionOfLength('png', recipe, PNG_OVERHEAD + withoutPrompt + 3));
  assert.deepEqual(tight, { ...recipe, prompt: '…' });
  const tighter = readPngInsertion(recipeInsertionOfLength('png', recipe, PNG_OVERHEAD + withoutPrompt + 2));
  assert.equal(tighter?.usage, undefined);
  assert.equal(tighter?.model, recipe.model);
  assert.equal(recipeInsertionOfLength('png', recipe, PNG_OVERHEAD + 1), undefined);
  assert.equal(recipeInsertionOfLength('png', recipe, PNG_OVERHEAD + 2), undefined);
});

test('recipeSlot: room for the usage to come, at most a full JPEG segment', () => {
  const plainPng = recipeInsertion('png', recipe)!;
  assert.equal(recipeSlot('png', recipe)?.bytes.length, plainPng.bytes.length + 512);
  const big = { ...recipe, prompt: 'y'.repeat(100_000) };
  const bigPng = recipeSlot('png', big);
  assert.equal(bigPng?.bytes.length, recipeInsertion('png', big)!.bytes.length + 512, 'a PNG chunk is not held to the JPEG limit');
  assert.equal(readPngInsertion(bigPng?.bytes)?.prompt, big.prompt);
  const bigJpeg = recipeSlot('jpeg', big);
  assert.equal(bigJpeg?.offset, 2);
  assert.equal(bigJpeg?.bytes.length, 65_537, 'a full comment segment');
  const plainJpeg = recipeInsertion('jpeg', recipe)!;
  assert.equal(recipeSlot('jpeg', recipe)?.bytes.length, plainJpeg.bytes.length + 512);
});

test('boundedRecipe: a recipe within the limits comes back as it was, without fields it did not have', () => {
  assert.deepStrictEqual(boundedRecipe(recipe), recipe);
  const full: Recipe = { ...recipe, aspectRatio: '16:9', imageSize: '2K', outputFormat: 'png', refinedFrom: 'a/b.png', link: 'https://x/y', batch: 'batches/1' };
  assert.deepStrictEqual(boundedRecipe(full), full);
});

test('boundedRecipe: every option, the batch and the model are cut at their limits, with "…"', () => {
  const long = (letter: string): string => letter.repeat(500);
  const cut = boundedRecipe({ ...recipe, aspectRatio: long('a'), imageSize: long('i'), outputFormat: long('o'), batch: long('b'), model: long('m') });
  assert.equal(cut.aspectRatio, `${'a'.repeat(31)}…`);
  assert.equal(cut.imageSize, `${'i'.repeat(31)}…`);
  assert.equal(cut.outputFormat, `${'o'.repeat(31)}…`);
  assert.equal(cut.batch, `${'b'.repeat(199)}…`);
  assert.equal(cut.model, `${'m'.repeat(127)}…`);
  assert.equal(boundedRecipe({ ...recipe, model: long('m').slice(0, 128) }).model, 'm'.repeat(128), 'exactly the limit is kept');
  assert.equal(boundedRecipe({ ...recipe, model: long('m').slice(0, 129) }).model, `${'m'.repeat(127)}…`);
});

test('boundedRecipe: a cut never splits an emoji, and keeps one that ends right at the cut', () => {
  const model = (before: number, emoji: string): string => `${'a'.repeat(before)}${emoji}${'b'.repeat(100)}`;
  // The emoji's high surrogate is the last unit kept (index 126): the whole emoji goes.
  assert.equal(boundedRecipe({ ...recipe, model: model(126, '🦊') }).model, `${'a'.repeat(126)}…`);
  assert.equal(boundedRecipe({ ...recipe, model: model(126, '\u{10000}') }).model, `${'a'.repeat(126)}…`, 'U+D800');
  assert.equal(boundedRecipe({ ...recipe, model: model(126, '\u{10FC00}') }).model, `${'a'.repeat(126)}…`, 'U+DBFF');
  // The emoji ends at index 126: it is kept whole.
  assert.equal(boundedRecipe({ ...recipe, model: model(125, '🦊') }).model, `${'a'.repeat(125)}🦊…`);
  assert.equal(boundedRecipe({ ...recipe, model: model(125, '\u{10FC00}') }).model, `${'a'.repeat(125)}\u{10FC00}…`);
});

test('cutJsonString counts what each character costs in JSON', () => {
  assert.equal(cutJsonString('abc', 3), 'abc');
  assert.equal(cutJsonString('abc', 2), 'ab');
  assert.equal(cutJsonString('abc', -1), '');
  assert.equal(cutJsonString('  ', 2), '  ', 'a space is one byte');
  for (const control of ['\b', '\t', '\n', '\f', '\r', '"', '\\']) {
    assert.equal(cutJsonString(control.repeat(2), 4), control.repeat(2), `${JSON.stringify(control)} costs 2`);
    assert.equal(cutJsonString(control.repeat(2), 3), control, `${JSON.stringify(control)} costs 2`);
  }
  assert.equal(cutJsonString('\u0001\u0001', 11), '\u0001', 'other controls cost 6');
  assert.equal(cutJsonString('\u001f', 6), '\u001f');
  for (const lone of ['\ud800', '\udbff', '\udc00', '\udfff']) {
    assert.equal(cutJsonString(lone, 5), '', `a lone surrogate ${JSON.stringify(lone)} costs 6`);
    assert.equal(cutJsonString(lone, 6), lone);
  }
  assert.equal(cutJsonString('\u007f', 1), '\u007f');
  assert.equal(cutJsonString('\u0080', 1), '', 'U+0080 costs 2');
  assert.equal(cutJsonString('\u0080', 2), '\u0080');
  assert.equal(cutJsonString('\u07ff', 2), '\u07ff', 'U+07FF costs 2');
  assert.equal(cutJsonString('\u0800', 2), '', 'U+0800 costs 3');
  assert.equal(cutJsonString('€', 3), '€');
  assert.equal(cutJsonString('\uffff', 3), '\uffff');
  assert.equal(cutJsonString('\u{10000}', 3), '', 'U+10000 costs 4');
  assert.equal(cutJsonString('\u{10000}x', 5), '\u{10000}x', 'an astral character is one code point of 4 bytes');
  assert.equal(cutJsonString('🦊🦊', 7), '🦊');
  for (const text of ['a"b\\c\n\u0001é€🦊\ud800z', 'plain text']) {
    const bytes = Buffer.byteLength(JSON.stringify(text)) - 2;
    assert.equal(cutJsonString(text, bytes), text);
  }
});

test('embedRecipe leaves alone a file that is not the format it claims', () => {
  const jpegFile = tinyJpeg();
  assert.equal(embedRecipe(jpegFile, 'png', recipe), jpegFile);
  assert.equal(embedRecipe(png, 'jpeg', recipe), png);
  assert.equal(embedRecipe(png, 'webp', recipe), png);
  const badSignature = Buffer.from(png);
  badSignature[1] = 0x51;
  assert.equal(embedRecipe(badSignature, 'png', recipe), badSignature, 'IHDR alone does not make a PNG');
  const cgbi = Buffer.concat([SIGNATURE, pngChunk('CgBI', Buffer.alloc(4)), png.subarray(8)]);
  assert.equal(embedRecipe(cgbi, 'png', recipe), cgbi, 'the first chunk must be IHDR');
  const short = png.subarray(0, 20);
  assert.equal(embedRecipe(short, 'png', recipe), short, 'IHDR cut short');
  for (const bad of [[0x00, 0xd8, 0xff], [0xff, 0x00, 0xff], [0xff, 0xd8, 0x00], [0x00, 0x00, 0xff]]) {
    const file = Buffer.concat([Buffer.from(bad), jpegFile.subarray(bad.length)]);
    assert.equal(embedRecipe(file, 'jpeg', recipe), file, `header ${bad.join(',')}`);
  }
});

test('embedRecipe: the smallest files of the format still get the recipe', () => {
  const withRecipe = embedRecipe(head, 'png', recipe);
  assert.notEqual(withRecipe, head);
  assert.deepEqual(readRecipe(Buffer.concat([withRecipe, tail])), recipe);
  const three = new Uint8Array([0xff, 0xd8, 0xff]);
  const jpeg = embedRecipe(three, 'jpeg', recipe);
  assert.equal(jpeg.length, 3 + recipeInsertion('jpeg', recipe)!.bytes.length);
  assert.deepEqual([...jpeg.subarray(0, 4)], [0xff, 0xd8, 0xff, 0xfe]);
  assert.deepEqual(Buffer.from(removeRecipe(jpeg)), Buffer.from(three));
});

test('readRecipe: only version 1 with a text prompt and model is a recipe', () => {
  const read = (value: unknown): Recipe | undefined => readRecipe(Buffer.concat([head, pngChunk('iTXt', itxtData(json(value))), tail]));
  assert.deepEqual(read(recipe), recipe);
  assert.equal(read({ ...recipe, version: 2 }), undefined);
  assert.equal(read({ ...recipe, version: '1' }), undefined);
  assert.equal(read({ ...recipe, prompt: 5 }), undefined);
  assert.equal(read({ ...recipe, prompt: undefined }), undefined);
  assert.equal(read({ ...recipe, model: null }), undefined);
  assert.equal(read({ ...recipe, model: undefined }), undefined);
  assert.deepEqual(read({ ...recipe, references: 'a.png' }), recipe, 'references that are not a list read as none');
  assert.equal(readRecipe(Buffer.concat([head, pngChunk('iTXt', itxtData(Buffer.from('{not json'))), tail])), undefined);
});

test('PNG: only an uncompressed iTXt chunk with our keyword, before the image data, is our recipe', () => {
  const ours = pngChunk('iTXt', itxtData(json(recipe)));
  const foreign = pngChunk('iTXt', itxtData(json(recipe), 'Description'));
  const cases: [string, Buffer, boolean][] = [
    ['ours', Buffer.concat([head, ours, tail]), true],
    ['after another iTXt', Buffer.concat([head, foreign, ours, tail]), true],
    ['the last chunk of a file cut after it', Buffer.concat([head, ours]), true],
    ['another keyword', Buffer.concat([head, foreign, tail]), false],
    ['a tEXt chunk', Buffer.concat([head, pngChunk('tEXt', itxtData(json(recipe))), tail]), false],
    ['compressed', Buffer.concat([head, pngChunk('iTXt', Buffer.concat([Buffer.from(RECIPE_KEYWORD), Buffer.from([0, 1, 0, 0, 0]), json(recipe)])), tail]), false],
    ['after IDAT', Buffer.concat([head, idat, ours, iend]), false],
    ['after IEND', Buffer.concat([head, idat, iend, ours]), false],
    ['after an IEND with no IDAT', Buffer.concat([head, iend, ours]), false],
    ['its CRC cut off', Buffer.concat([head, ours.subarray(0, ours.length - 4)]), false],
    ['its text cut off', Buffer.concat([head, ours.subarray(0, ours.length - 10)]), false],
    ['no chunk after IHDR', head, false],
  ];
  for (const [name, file, found] of cases) {
    assert.deepEqual(readRecipe(file), found ? recipe : undefined, `read: ${name}`);
    const removed = Buffer.from(removeRecipe(file));
    assert.deepEqual(removed, found ? Buffer.concat([file.subarray(0, file.indexOf(ours)), file.subarray(file.indexOf(ours) + ours.length)]) : file, `remove: ${name}`);
  }
});

test('PNG: an iTXt chunk with our keyword but a broken header is not removed as ours', () => {
  const keyword = Buffer.from(RECIPE_KEYWORD);
  const broken = [
    Buffer.concat([keyword, Buffer.from([0, 0])]), // no language tag
    Buffer.concat([keyword, Buffer.from([0, 0, 0, 0]), Buffer.from('xyz')]), // no translated keyword
    Buffer.concat([keyword, Buffer.from([0, 1, 0, 0, 0]), Buffer.from('xyz')]), // compressed
    Buffer.concat([keyword, Buffer.from('-other'), Buffer.from([0, 0, 0, 0, 0]), Buffer.from('xyz')]),
    Buffer.from('no zero byte at all, gemini-image-studio'),
  ];
  for (const data of broken) {
    const file = Buffer.concat([head, pngChunk('iTXt', data), tail]);
    assert.equal(removeRecipe(file), file, JSON.stringify(data.toString('latin1')));
    assert.equal(readRecipe(file), undefined);
  }
  assert.equal(removeRecipe(png), png);
});

test('JPEG: only a COM segment that starts with our prefix, among the header segments, is our recipe', () => {
  const app0 = segment(0xe0, Buffer.from('JFIF\0\x01\x01\0\0\x01\0\x01\0\0'));
  const ours = ourCom();
  const end = Buffer.from([0xff, 0xd9]);
  const sos = segment(0xda, Buffer.from([1, 2, 3, 4]));
  const cases: [string, Buffer, boolean][] = [
    ['ours', Buffer.concat([SOI, app0, ours, end]), true],
    ['right after SOI', Buffer.concat([SOI, ours, end]), true],
    ['after another comment', Buffer.concat([SOI, segment(0xfe, Buffer.from('Created with GIMP')), ours, end]), true],
    ['after a short comment', Buffer.concat([SOI, segment(0xfe, Buffer.from('gem')), ours, end]), true],
    ['in an APP1 segment', Buffer.concat([SOI, segment(0xe1, Buffer.concat([Buffer.from(JPEG_PREFIX), json(recipe)])), end]), false],
    ['after the image data starts', Buffer.concat([SOI, app0, sos, ours, end]), false],
    ['after the end of the image', Buffer.concat([SOI, app0, end, ours]), false],
    // Two bytes after EOI that would read as a segment length leading right to our comment.
    ['after the end of the image and two more bytes', Buffer.concat([SOI, app0, end, Buffer.from([0x00, 0x02]), ours]), false],
    ['not after a marker byte', Buffer.concat([SOI, app0, Buffer.from([0x00]), ours.subarray(1), end]), false],
    ['a header with nothing after it', Buffer.concat([SOI, app0]), false],
    ['a real JPEG without one', tinyJpeg(), false],
  ];
  for (const [name, file, found] of cases) {
    assert.deepEqual(readRecipe(file), found ? recipe : undefined, `read: ${name}`);
    const removed = Buffer.from(removeRecipe(file));
    assert.deepEqual(removed, found ? Buffer.concat([file.subarray(0, file.indexOf(ours)), file.subarray(file.indexOf(ours) + ours.length)]) : file, `remove: ${name}`);
  }
});

test('JPEG: a file is only read as a JPEG with SOI and a marker after it', () => {
  const file = Buffer.concat([SOI, ourCom(), Buffer.from([0xff, 0xd9])]);
  for (const index of [0, 1]) {
    const bad = Buffer.from(file);
    bad[index] = 0x00;
    assert.equal(readRecipe(bad), undefined, `byte ${index}`);
    assert.equal(removeRecipe(bad), bad, `byte ${index}`);
  }
  // A JPEG whose first segment length puts a PNG signature byte at its place (0x0a at index 5) is still a JPEG.
  const lookalike = Buffer.concat([SOI, segment(0xe0, Buffer.alloc(8)), ourCom(), Buffer.from([0xff, 0xd9])]);
  assert.equal(lookalike[5], 0x0a);
  assert.deepEqual(readRecipe(lookalike), recipe);
});
