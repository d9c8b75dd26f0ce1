// Presets from settings at their limits, with the exact sentences a user reads when one is refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyPreset, parsePresets, unknownPresetMessage, type Preset } from '../../src/core/presets';

const RATIOS = '1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9, 1:4, 4:1, 1:8, 8:1';

test('no presets setting (undefined or null) gives no presets and no problems', () => {
  assert.deepEqual(parsePresets(undefined, 'user'), { presets: [], problems: [] });
  assert.deepEqual(parsePresets(null, 'workspace'), { presets: [], problems: [] });
  assert.deepEqual(parsePresets({}, 'user').problems, ['geminiImage.presets in the user settings must be an array of presets.']);
  assert.deepEqual(parsePresets('Logo', 'workspace').problems, ['geminiImage.presets in the workspace settings must be an array of presets.']);
});

test('without taken names any name is free', () => {
  assert.deepEqual(parsePresets([{ name: 'Stryker was here', template: '{prompt}' }], 'user').presets.map((preset) => preset.name), ['Stryker was here']);
});

test('refusals say which entry (counted from 1) in which settings and why', () => {
  const { presets, problems } = parsePresets(
    [
      null,
      { name: 'Logo', template: '{prompt}', colour: 'red' },
      { template: 'a {prompt}' },
      { name: 'Wide', template: 'a {prompt}', aspectRatio: '2:1' },
      { name: 'Huge', template: 'a {prompt}', imageSize: '8K' },
      { name: 'Long', template: `{prompt}${'x'.repeat(3993)}` },
    ],
    'workspace',
  );
  assert.deepEqual(presets, []);
  assert.deepEqual(problems, [
    'Preset 1 in the workspace settings must be an object with a name and a template.',
    'Preset 2 in the workspace settings ("Logo") was ignored: unknown key "colour" (allowed: name, template, aspectRatio, imageSize, model, background, description).',
    'Preset 3 in the workspace settings needs a "name" of 1 to 60 characters.',
    `Preset 4 in the workspace settings ("Wide") was ignored: "aspectRatio" must be one of ${RATIOS}.`,
    'Preset 5 in the workspace settings ("Huge") was ignored: "imageSize" must be one of 512, 1K, 2K, 4K.',
    'Preset 6 in the workspace settings ("Long") was ignored: its "template" is longer than 4000 characters.',
  ]);
  assert.deepEqual(parsePresets([[]], 'user').problems, ['Preset 1 in the user settings must be an object with a name and a template.']);
});

test('a name of 60 characters and a template of 4000 are the longest taken', () => {
  const longest = { name: 'n'.repeat(60), template: `{prompt}${'x'.repeat(3992)}` };
  const { presets, problems } = parsePresets([longest, { name: 'n'.repeat(61), template: '{prompt}' }], 'user');
  assert.deepEqual(presets.map((preset) => preset.name), ['n'.repeat(60)]);
  assert.equal(presets[0].template.length, 4000);
  assert.deepEqual(problems, ['Preset 2 in the user settings needs a "name" of 1 to 60 characters.']);
});

test('name and model are trimmed, a long description is cut to 200 characters', () => {
  const { presets, problems } = parsePresets([{ name: '  Logo  ', template: '{prompt}', model: ' gemini-3-pro-image ', description: 'd'.repeat(250) }], 'user');
  assert.deepEqual(problems, []);
  assert.deepEqual(presets, [{ name: 'Logo', template: '{prompt}', model: 'gemini-3-pro-image', description: 'd'.repeat(200), source: 'user' }]);
});

test('a preset without options leaves the run\'s options as they are (no empty keys added)', () => {
  const plain: Preset = { name: 'Plain', template: 'A {prompt}', source: 'user' };
  const applied = applyPreset(plain, ' fox ', {});
  assert.deepEqual(applied, { prompt: 'A fox', options: {} });
  assert.deepEqual(Object.keys(applyPreset(plain, 'fox', { imageSize: '2K' }).options), ['imageSize']);
});

test('an unknown preset name is quoted trimmed, and a refused preset of that name explains itself', () => {
  const presets: Preset[] = [{ name: 'Photo', template: '{prompt}', source: 'built-in' }];
  assert.equal(unknownPresetMessage('  Logo  ', presets, []), 'There is no preset named "Logo". Presets: Photo.');
  const problem = 'Preset 1 in the user settings ("Logo") was ignored: its "template" must contain {prompt}.';
  assert.equal(unknownPresetMessage('  Logo ', presets, [problem]), problem);
});
