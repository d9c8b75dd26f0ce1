// Background removal on small drawn pictures, read back pixel by pixel: which pixels the flood from the border
// reaches (in every direction), which edge pixels get soft alpha, and what the counts say (issue #15).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PNG } from 'pngjs';
import { encodeRgbaPng, removeKeyColour } from '../../src/core/image/backgroundRemoval';
import { MAGENTA } from '../../src/core/image/keyColour';

/** '.' key magenta, '#' a dark subject, 'h' halfway between the two (an anti-aliased rim), 'w' white. */
const COLOURS: Record<string, readonly number[]> = { '.': [255, 0, 255], '#': [20, 40, 20], h: [138, 20, 138], w: [255, 255, 255] };

function pngOf(picture: string[]): Uint8Array {
  const [width, height] = [picture[0].length, picture.length];
  const data = new Uint8Array(width * height * 4);
  picture.forEach((row, y) => [...row].forEach((cell, x) => data.set([...COLOURS[cell], 255], (y * width + x) * 4)));
  return encodeRgbaPng({ width, height, data });
}

/** The result's alpha as a picture: '.' transparent, '#' opaque, else alpha in hex (two digits). */
function removed(picture: string[]): { alpha: string[]; rgba: number[]; cleared: number; softened: number; found: string } {
  const result = removeKeyColour(pngOf(picture), MAGENTA);
  assert.equal(result.kind, 'transparent', result.kind === 'opaque' ? result.message : '');
  const png = PNG.sync.read(Buffer.from(result.png));
  assert.equal(png.width, picture[0].length);
  const alpha = picture.map((_, y) => [...picture[0]].map((__, x) => {
    const a = png.data[(y * png.width + x) * 4 + 3];
    return a === 0 ? '.' : a === 255 ? '#' : `(${a})`;
  }).join(''));
  return { alpha, rgba: [...png.data], cleared: result.cleared, softened: result.softened, found: result.found };
}

test('the flood clears background reached from the border in every direction, around corners, and nothing enclosed', () => {
  const picture = [
    '...........',
    '.####.####.',
    '.####.####.',
    '.###...###.',
    '..........#',
    '.###..#.##.',
    '.####.#.##.',
    '.#.##...##.',
    '.####.####.',
    '...........',
  ];
  const out = removed(picture);
  assert.deepEqual(out.alpha, [
    '...........',
    '.####.####.',
    '.####.####.',
    '.###...###.',
    '..........#',
    '.###..#.##.',
    '.####.#.##.',
    '.#(1)##...##.',
    '.####.####.',
    '...........',
  ]);
  // The enclosed key pixel is kept but, measured against its solid neighbours, is almost fully transparent.
  assert.deepEqual([out.cleared, out.softened, out.found], [60, 1, '#FF00FF']);
});

test('dead-end channels of background are cleared whichever way the flood must go to reach their end', () => {
  // Down from the top (x=4), right from the left (row 5), left from the right (row 6), up from the bottom (x=2).
  const picture = [
    '...........',
    '.###.#####.',
    '.###.#####.',
    '.###.#####.',
    '.#########.',
    '......####.',
    '.######....',
    '.#.#######.',
    '...........',
  ];
  const out = removed(picture);
  assert.deepEqual(out.alpha, picture);
  assert.deepEqual([out.cleared, out.softened], [picture.join('').split('.').length - 1, 0]);
});

test('rim pixels on every side of a subject, at the image edge too, get partial alpha and lose the key colour', () => {
  const picture = [
    '...h....',
    '..h#h...',
    '.h###h..',
    '..h#h..h',
    '...h...#',
    'h......h',
    '#h......',
  ];
  const out = removed(picture);
  assert.deepEqual(out.alpha, [
    '...(127)....',
    '..(127)#(127)...',
    '.(127)###(127)..',
    '..(127)#(127)..(127)',
    '...(127)...#',
    '(127)......(127)',
    '#(127)......',
  ]);
  assert.deepEqual([out.cleared, out.softened], [37, 12]);
  // Every kept pixel shows the subject's own colour (the key un-mixed from the rim); cleared ones are black.
  for (let i = 0; i < out.rgba.length; i += 4) {
    assert.deepEqual(out.rgba.slice(i, i + 3), out.rgba[i + 3] === 0 ? [0, 0, 0] : [20, 40, 20], `pixel ${i / 4}`);
  }
});

test('pictures under 3 pixels on a side are kept opaque (no border to judge); 3×3 is enough', () => {
  for (const picture of [['..', '..', '..'], ['...', '...'], ['.', '.', '.', '.']]) {
    const result = removeKeyColour(pngOf(picture), MAGENTA);
    assert.deepEqual(result, { kind: 'opaque', message: 'was kept opaque: the background was not a flat colour (magenta #FF00FF was asked for).' });
  }
  assert.deepEqual(removed(['...', '.#.', '...']).alpha, ['...', '.#.', '...']);
});

test('a border exactly half flat is enough; less than half is not', () => {
  // 4×4: 12 border pixels; 6 subject ones leave half the border flat (its median colour is near magenta).
  const half = removed(['.###', '...#', '#..#', '....']);
  assert.equal(half.found, '#FF28FF');
  assert.equal(half.cleared, 10);
  assert.equal(removeKeyColour(pngOf(['.###', '...#', '#..#', '#...']), MAGENTA).kind, 'opaque');
  // 5 flat of 12, the rest subject and white: the median colour is still near magenta, yet too little is flat.
  assert.equal(removeKeyColour(pngOf(['.##w', '...#', '#..w', 'w...']), MAGENTA).kind, 'opaque');
});


