// Presets: template expansion, the built-ins, validation of user/workspace presets, and merging with run options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allPresets, applyPreset, BUILT_IN_PRESETS, expandTemplate, findPreset, parsePresets, unknownPresetMessage } from '../../src/core/presets';

test('the template takes the prompt at every {prompt}, trimmed', () => {
  assert.equal(expandTemplate('A {prompt}, and again {prompt}.', '  red fox '), 'A red fox, and again red fox.');
  assert.equal(expandTemplate('No placeholder', 'fox'), 'No placeholder');
});

test('the eight built-ins exist with the spec names, each with {prompt} once', () => {
  assert.deepEqual(
    BUILT_IN_PRESETS.map((preset) => preset.name),
    ['Photo', 'Illustration', 'App icon', 'Sticker', 'Seamless pattern', 'Diagram', 'UI mockup', 'Pixel-art sprite'],
  );
  for (const preset of BUILT_IN_PRESETS) {
    assert.equal(preset.template.split('{prompt}').length, 2, `${preset.name} has exactly one {prompt}`);
    assert.equal(preset.source, 'built-in');
  }
  assert.equal(findPreset(BUILT_IN_PRESETS, ' app ICON ')?.name, 'App icon');
  assert.equal(findPreset(BUILT_IN_PRESETS, 'App'), undefined);
});

test('a preset fills in options the run did not name; the run wins, even with an explicit auto', () => {
  const preset = { name: 'Banner', template: 'Banner: {prompt}', aspectRatio: '21:9', imageSize: '2K', model: 'm-1', background: 'transparent' as const, source: 'user' as const };
  const filled = applyPreset(preset, 'a lighthouse', {});
  assert.equal(filled.prompt, 'Banner: a lighthouse');
  assert.deepEqual(filled.options, { model: 'm-1', aspectRatio: '21:9', imageSize: '2K', background: 'transparent' });
  const explicit = applyPreset(preset, 'a lighthouse', { aspectRatio: '16:9', imageSize: undefined, background: undefined, variants: 2 });
  assert.deepEqual(explicit.options, { model: 'm-1', aspectRatio: '16:9', imageSize: undefined, background: undefined, variants: 2 });
  assert.ok('imageSize' in explicit.options, 'an explicit auto stays explicit');
});

test('valid user presets are kept with only the known keys', () => {
  const parsed = parsePresets([{ name: 'House', template: 'In our house style: {prompt}', aspectRatio: '4:3', imageSize: '1K', model: 'gemini-3-pro-image', background: 'transparent', description: 'ours' }], 'user');
  assert.deepEqual(parsed.problems, []);
  assert.deepEqual(parsed.presets, [
    { name: 'House', template: 'In our house style: {prompt}', aspectRatio: '4:3', imageSize: '1K', model: 'gemini-3-pro-image', background: 'transparent', description: 'ours', source: 'user' },
  ]);
});

test('a preset can never set where requests go, the token, or where files land; unknown keys are refused', () => {
  for (const key of ['baseUrl', 'authHeader', 'token', 'apiKey', 'outputFolder', 'fileName']) {
    const parsed = parsePresets([{ name: 'Evil', template: '{prompt}', [key]: 'x' }], 'workspace');
    assert.equal(parsed.presets.length, 0, key);
    assert.match(parsed.problems[0], new RegExp(`cannot set "${key}"`));
  }
  const unknown = parsePresets([{ name: 'Typo', template: '{prompt}', aspectratio: '1:1' }], 'user');
  assert.equal(unknown.presets.length, 0);
  assert.match(unknown.problems[0], /unknown key "aspectratio"/);
});

test('invalid values are refused with the reason, the other presets kept', () => {
  const parsed = parsePresets(
    [
      { name: 'NoPlaceholder', template: 'a cat' },
      { name: 'Ratio', template: '{prompt}', aspectRatio: '7:3' },
      { name: 'Size', template: '{prompt}', imageSize: '2k' },
      { name: 'Path', template: '{prompt}', model: '../../upload/v1/files?x=' },
      { name: 'Bg', template: '{prompt}', background: 'white' },
      { template: '{prompt}' },
      'just a string',
      { name: 'Good', template: 'good {prompt}' },
    ],
    'workspace',
  );
  assert.deepEqual(parsed.presets.map((preset) => preset.name), ['Good']);
  assert.equal(parsed.problems.length, 7);
  assert.match(parsed.problems[0], /must contain \{prompt\}/);
  assert.match(parsed.problems[1], /"aspectRatio" must be one of/);
  assert.match(parsed.problems[2], /"imageSize" must be one of/);
  assert.match(parsed.problems[3], /plain model id/);
  assert.match(parsed.problems[4], /"background" can only be "transparent"/);
  assert.match(parsed.problems[5], /needs a "name"/);
  assert.match(parsed.problems[6], /must be an object/);
  assert.match(parsePresets({ name: 'x' }, 'user').problems[0], /must be an array/);
});

test('workspace presets cannot replace a built-in or a user preset; the user cannot redefine a built-in either', () => {
  const merged = allPresets(
    [{ name: 'Mine', template: 'mine {prompt}' }, { name: 'photo', template: 'hijack {prompt}' }],
    [{ name: 'App icon', template: 'evil {prompt}' }, { name: 'MINE', template: 'evil {prompt}' }, { name: 'Team', template: 'team {prompt}' }],
  );
  assert.deepEqual(merged.presets.map((preset) => `${preset.name}:${preset.source}`).slice(BUILT_IN_PRESETS.length), ['Mine:user', 'Team:workspace']);
  assert.equal(findPreset(merged.presets, 'App icon')?.template, BUILT_IN_PRESETS[2].template);
  assert.equal(findPreset(merged.presets, 'mine')?.source, 'user');
  assert.equal(merged.problems.length, 3);
  assert.ok(merged.problems.every((problem) => problem.includes('already exists')));
});

test('asking for a missing preset names the ones there are, or why it was refused', () => {
  const merged = allPresets(undefined, [{ name: 'Evil', template: '{prompt}', baseUrl: 'http://x' }]);
  assert.match(unknownPresetMessage('Evil', merged.presets, merged.problems), /cannot set "baseUrl"/);
  assert.match(unknownPresetMessage('Nope', merged.presets, merged.problems), /no preset named "Nope"\. Presets: Photo, Illustration/);
});
