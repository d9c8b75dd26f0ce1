// Background removal and the key colour it asks for: real PNG/JPEG bytes in, a real RGBA PNG out, read back pixel by pixel.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { DEFAULT_TOLERANCE, encodeRgbaPng, KEY_MATCH, removeKeyColour, type BackgroundRemoval } from '../../src/core/image/backgroundRemoval';
import { BLUE, chooseKeyColour, GREEN, keyColourIn, keyColourSentence, MAGENTA, withKeyColour, type KeyColour } from '../../src/core/image/keyColour';
import { confirmationLines, describeAgentResult, parseAgentRequest, TOOL_FIELDS } from '../../src/core/jobs/agentRequest';
import { keyColourAsked, keyedRgba, makeImage, SUBJECT_COLOUR } from '../server/imageFactory';

type Rgb = readonly [number, number, number];

interface Decoded {
  readonly width: number;
  readonly height: number;
  readonly colourType: number;
  rgba(x: number, y: number): [number, number, number, number];
}

function decoded(png: Uint8Array): Decoded {
  const bytes = Buffer.from(png);
  const read = PNG.sync.read(bytes);
  return {
    width: read.width,
    height: read.height,
    colourType: bytes[25],
    rgba: (x, y) => {
      const at = (y * read.width + x) * 4;
      return [read.data[at], read.data[at + 1], read.data[at + 2], read.data[at + 3]];
    },
  };
}

function transparent(result: BackgroundRemoval): Extract<BackgroundRemoval, { kind: 'transparent' }> {
  assert.equal(result.kind, 'transparent', result.kind === 'opaque' ? result.message : '');
  return result as Extract<BackgroundRemoval, { kind: 'transparent' }>;
}

function distance(a: readonly number[], b: readonly number[]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

/** An opaque RGBA PNG of `width`×`height` in `fill`, with some pixels set. */
function pngOf(width: number, height: number, fill: Rgb, pixels: [x: number, y: number, colour: Rgb][] = []): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...fill, 255], i * 4);
  for (const [x, y, colour] of pixels) data.set([...colour, 255], (y * width + x) * 4);
  return encodeRgbaPng({ width, height, data });
}

function everyPixel(image: Decoded): [number, number, [number, number, number, number]][] {
  const all: [number, number, [number, number, number, number]][] = [];
  for (let y = 0; y < image.height; y++) for (let x = 0; x < image.width; x++) all.push([x, y, image.rgba(x, y)]);
  return all;
}

function checkKeyedResult(result: BackgroundRemoval, key: KeyColour, subjectTolerance: number): void {
  const image = decoded(transparent(result).png);
  assert.equal(image.colourType, 6, 'the PNG is not RGBA (colour type 6)');
  for (const [x, y] of [[0, 0], [image.width - 1, 0], [0, image.height - 1], [image.width - 1, image.height - 1]]) {
    assert.equal(image.rgba(x, y)[3], 0, `corner ${x},${y} is not transparent`);
  }
  const centre = image.rgba(image.width >> 1, image.height >> 1);
  assert.equal(centre[3], 255, 'the subject is not opaque');
  assert.ok(distance(centre, SUBJECT_COLOUR) <= subjectTolerance, `the subject's colour changed: ${centre.join(',')}`);
  const partial = everyPixel(image).filter(([, , pixel]) => pixel[3] > 0 && pixel[3] < 255);
  assert.ok(partial.length >= 8, `only ${partial.length} edge pixels are partly transparent: the edge is not soft`);
  // Spill removed: an edge pixel's colour is the subject's, not the subject's mixed with the key.
  for (const [x, y, pixel] of partial) {
    assert.ok(distance(pixel, SUBJECT_COLOUR) <= subjectTolerance, `edge pixel ${x},${y} keeps key spill: ${pixel.join(',')} (key ${key.hex})`);
  }
  // Cleared pixels carry no colour either: an editor that scales without alpha shows no key-coloured fringe.
  for (const [x, y, pixel] of everyPixel(image)) if (pixel[3] === 0) assert.deepEqual(pixel, [0, 0, 0, 0], `cleared pixel ${x},${y} keeps its colour`);
  // Nothing of the key is left visible: every pixel that shows is far from the key colour.
  for (const [x, y, pixel] of everyPixel(image)) {
    if (pixel[3] >= 32) assert.ok(distance(pixel, key.rgb) > DEFAULT_TOLERANCE, `pixel ${x},${y} still shows the key: ${pixel.join(',')}`);
  }
}

test('a subject on a magenta PNG background becomes an RGBA PNG: corners clear, subject opaque, soft edges without spill', () => {
  const keyed = makeImage('png', 64, 64, 'icon', MAGENTA.rgb);
  const result = removeKeyColour(keyed.bytes, MAGENTA);
  checkKeyedResult(result, MAGENTA, 6);
  const done = transparent(result);
  assert.equal(done.found, '#FF00FF');
  assert.ok(done.cleared > 64 * 64 * 0.6, `only ${done.cleared} pixels cleared`);
  assert.ok(done.softened >= 8);
});

test('a JPEG on a green key (with its compression noise) becomes an RGBA PNG the same way', () => {
  const keyed = makeImage('jpeg', 96, 96, 'green', GREEN.rgb);
  assert.equal(keyed.mimeType, 'image/jpeg');
  // JPEG blurs the rim and shifts colours a little: the subject may move a few units, never towards the key.
  checkKeyedResult(removeKeyColour(keyed.bytes, GREEN), GREEN, 40);
});

test('a photo-like image (gradient and noise to the edges) is kept opaque with a message', () => {
  const photo = makeImage('png', 64, 64, 'a beach at dusk');
  const result = removeKeyColour(photo.bytes, MAGENTA);
  assert.equal(result.kind, 'opaque');
  assert.match(result.kind === 'opaque' ? result.message : '', /^was kept opaque: the background was not a flat colour \(magenta #FF00FF was asked for\)\.$/);
});

test('a flat background far from the key asked for is kept opaque; one within KEY_MATCH is removed', () => {
  const subject: [number, number, Rgb][] = [[4, 4, SUBJECT_COLOUR]];
  assert.equal(removeKeyColour(pngOf(9, 9, [255, 255, 255], subject), MAGENTA).kind, 'opaque', 'a white background was removed for a magenta key');
  // KEY_MATCH away along the green channel: still the key (models draw it a little off).
  const near: Rgb = [255, KEY_MATCH, 255];
  assert.equal(removeKeyColour(pngOf(9, 9, near, subject), MAGENTA).kind, 'transparent');
  assert.equal(removeKeyColour(pngOf(9, 9, [255, KEY_MATCH + 1, 255], subject), MAGENTA).kind, 'opaque');
});

test('a subject covering most of the border keeps the image opaque: the background is not flat', () => {
  // 9×9: 32 border pixels; the subject takes 17 of them (over half), magenta the rest.
  const pixels: [number, number, Rgb][] = [];
  for (let x = 0; x < 9; x++) pixels.push([x, 0, SUBJECT_COLOUR], [x, 8, SUBJECT_COLOUR]);
  pixels.push([0, 4, SUBJECT_COLOUR]);
  assert.equal(removeKeyColour(pngOf(9, 9, MAGENTA.rgb, pixels), MAGENTA).kind, 'opaque');
  // 15 of 32: the background still holds most of the border.
  assert.equal(removeKeyColour(pngOf(9, 9, MAGENTA.rgb, pixels.slice(0, 15)), MAGENTA).kind, 'transparent');
});

test('the tolerance is a boundary: a pixel exactly that far from the key is background, one unit further is not', () => {
  const atTolerance: Rgb = [255, DEFAULT_TOLERANCE, 255];
  const beyond: Rgb = [255, DEFAULT_TOLERANCE + 1, 255];
  const image = pngOf(20, 20, MAGENTA.rgb, [
    [2, 2, atTolerance],
    [2, 17, beyond],
    [10, 10, SUBJECT_COLOUR],
  ]);
  const result = decoded(transparent(removeKeyColour(image, MAGENTA)).png);
  assert.equal(result.rgba(2, 2)[3], 0, 'a pixel at the tolerance was kept');
  assert.ok(result.rgba(2, 17)[3] > 0, 'a pixel beyond the tolerance was removed');
  assert.equal(result.rgba(10, 10)[3], 255);
  const wider = decoded(transparent(removeKeyColour(image, MAGENTA, { tolerance: DEFAULT_TOLERANCE + 1 })).png);
  assert.equal(wider.rgba(2, 17)[3], 0, 'a wider tolerance did not take the pixel');
});

test('only background joined to the border is removed: the key colour enclosed by the subject stays', () => {
  // A ring of subject colour around a magenta hole: the hole is not reached from the border.
  const ring: [number, number, Rgb][] = [];
  for (let y = 5; y <= 11; y++) for (let x = 5; x <= 11; x++) if (x === 5 || x === 11 || y === 5 || y === 11) ring.push([x, y, SUBJECT_COLOUR]);
  const result = decoded(transparent(removeKeyColour(pngOf(17, 17, MAGENTA.rgb, ring), MAGENTA)).png);
  assert.equal(result.rgba(8, 8)[3], 255, 'the enclosed key colour was removed');
  assert.equal(result.rgba(0, 8)[3], 0);
  assert.equal(result.rgba(16, 16)[3], 0, 'the last pixel of the border was not flooded');
  assert.equal(result.rgba(16, 0)[3], 0);
});

test('every border pixel starts the flood: a strip of background cut off along each edge is still cleared', () => {
  // The subject runs along the second row/column of each side and takes that side's corners: each outer strip is
  // joined to the rest of the background only through the border pixels themselves.
  const size = 17;
  const subject: [number, number, Rgb][] = [];
  for (let i = 0; i < size; i++) subject.push([i, 1, SUBJECT_COLOUR], [i, size - 2, SUBJECT_COLOUR], [1, i, SUBJECT_COLOUR], [size - 2, i, SUBJECT_COLOUR]);
  for (const [x, y] of [[0, 0], [size - 1, 0], [0, size - 1], [size - 1, size - 1]]) subject.push([x, y, SUBJECT_COLOUR]);
  const result = decoded(transparent(removeKeyColour(pngOf(size, size, MAGENTA.rgb, subject), MAGENTA)).png);
  for (const [x, y] of [[8, 0], [8, size - 1], [0, 8], [size - 1, 8]]) assert.equal(result.rgba(x, y)[3], 0, `the strip at ${x},${y} was not cleared`);
  assert.equal(result.rgba(8, 8)[3], 255, 'the key colour enclosed by the subject was cleared');
});

test('images that cannot be read are kept opaque with a message', () => {
  const result = removeKeyColour(new TextEncoder().encode('not an image'), MAGENTA);
  assert.equal(result.kind, 'opaque');
  assert.match(result.kind === 'opaque' ? result.message : '', /kept opaque: its pixels could not be read/);
});

test('the key colour is one the prompt does not name: magenta, else green, else blue', () => {
  assert.equal(chooseKeyColour('a red fox in the snow'), MAGENTA);
  assert.equal(chooseKeyColour('a Pink flamingo'), GREEN);
  assert.equal(chooseKeyColour('a purple octopus'), GREEN);
  assert.equal(chooseKeyColour('a violet and green frog'), BLUE);
  assert.equal(chooseKeyColour('pink, lime and navy stripes'), MAGENTA, 'with all three named, magenta stays the default');
  assert.equal(chooseKeyColour('a lime'), MAGENTA);
  assert.equal(chooseKeyColour('a green leaf'), MAGENTA);
});

test('the sentence asks for the exact colour; it is added once and found again in a recipe\'s prompt', () => {
  const sent = withKeyColour('An app icon of a paper plane', MAGENTA);
  assert.equal(sent, `An app icon of a paper plane. ${keyColourSentence(MAGENTA)}`);
  assert.match(sent, /pure magenta \(#FF00FF\)/);
  assert.equal(withKeyColour('A plane.', GREEN), `A plane. ${keyColourSentence(GREEN)}`);
  assert.equal(withKeyColour(sent, MAGENTA), sent, 'the sentence was added twice');
  assert.equal(keyColourIn(sent), MAGENTA);
  assert.equal(keyColourIn(withKeyColour('a pink pig', GREEN)), GREEN);
  assert.equal(keyColourIn('a paper plane'), undefined);
  // The local test server reads the same sentence: it draws on exactly the colour asked for.
  assert.deepEqual(keyColourAsked(withKeyColour('x', BLUE)), [0, 0, 255]);
});

test('the test server\'s keyed picture has a real anti-aliased rim (otherwise the soft-edge checks prove nothing)', () => {
  const rgba = keyedRgba(MAGENTA.rgb, 32, 32);
  let rim = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const pixel = [rgba[i], rgba[i + 1], rgba[i + 2]];
    if (distance(pixel, MAGENTA.rgb) > 0 && distance(pixel, SUBJECT_COLOUR) > 0) rim++;
  }
  assert.ok(rim >= 16, `only ${rim} rim pixels`);
});

test('agents ask with background "transparent" or "opaque"; anything else is refused naming the field', () => {
  assert.equal(parseAgentRequest({ prompt: 'a rocket', background: 'transparent' }).background, 'transparent');
  assert.equal(parseAgentRequest({ prompt: 'a rocket', background: 'opaque' }).background, 'opaque');
  assert.equal(parseAgentRequest({ prompt: 'a rocket' }).background, undefined);
  assert.throws(() => parseAgentRequest({ prompt: 'a rocket', background: 'white' }), /"background" must be "transparent" or "opaque"/);
  const request = parseAgentRequest({ prompt: 'a rocket', background: 'transparent' }, TOOL_FIELDS);
  const lines = confirmationLines({ request, model: 'm', host: 'h', uploads: [], destination: 'd' });
  assert.deepEqual(lines.find(([label]) => label === 'Options'), ['Options', 'transparent background']);
  const text = describeAgentResult({ files: ['a.png'], texts: [], finishReasons: [], failures: [], model: 'm', warnings: ['a.png was kept opaque: …'] });
  assert.match(text, /^Note: a\.png was kept opaque: …$/m);
});
