// The README's preset table: every built-in preset has a row with its small example image (scripts/preset-examples.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILT_IN_PRESETS } from '../../src/core/presets';

const ROOT = path.resolve(__dirname, '..', '..');

test('every built-in preset has a README row with an example image of at most 30 KB', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const preset of BUILT_IN_PRESETS) {
    const file = `media/presets/${preset.name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.jpg`;
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${preset.name}\` |`));
    assert.ok(row, `the README's preset table has no row for ${preset.name}`);
    assert.ok(row.includes(`](${file})`), `the README row of ${preset.name} does not show ${file}`);
    const bytes = fs.readFileSync(path.join(ROOT, file));
    assert.deepEqual([...bytes.subarray(0, 3)], [0xff, 0xd8, 0xff], `${file} is not a JPEG`);
    assert.ok(bytes.length <= 30 * 1024, `${file} is ${bytes.length} bytes`);
  }
});
