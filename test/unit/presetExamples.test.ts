// The README's preset table: every built-in preset has a row with its small example image (scripts/preset-examples.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodePng } from '../../src/core/image/pixels';
import { BUILT_IN_PRESETS } from '../../src/core/presets';

const ROOT = path.resolve(__dirname, '..', '..');

test('every built-in preset has a README row with an example image of at most 30 KB; transparent ones are see-through PNGs', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const preset of BUILT_IN_PRESETS) {
    const transparent = preset.background === 'transparent';
    const file = `media/presets/${preset.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.${transparent ? 'png' : 'jpg'}`;
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${preset.name}\` |`));
    assert.ok(row, `the README's preset table has no row for ${preset.name}`);
    assert.ok(row.includes(`](${file})`), `the README row of ${preset.name} does not show ${file}`);
    const bytes = fs.readFileSync(path.join(ROOT, file));
    assert.ok(bytes.length <= 30 * 1024, `${file} is ${bytes.length} bytes`);
    if (!transparent) {
      assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff], `${file} is not a JPEG`);
      continue;
    }
    // The example shows what the preset really gives: the background removed (corners clear, the subject solid).
    const pixels = decodePng(bytes);
    assert.ok(pixels, `${file} is not a PNG`);
    const alphaAt = (x: number, y: number): number => pixels.data[(y * pixels.width + x) * 4 + 3];
    assert.equal(alphaAt(0, 0), 0, `${file}: top-left corner`);
    assert.equal(alphaAt(pixels.width - 1, pixels.height - 1), 0, `${file}: bottom-right corner`);
    assert.equal(alphaAt(pixels.width >> 1, pixels.height >> 1), 255, `${file}: centre`);
  }
});
