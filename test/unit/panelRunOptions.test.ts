// The run the panel starts: its choices (preset, transparent background, options) become the job's options exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUILT_IN_PRESETS, allPresets, applyPreset, findPreset } from '../../src/core/presets';
import { describeChoices, fitChoices, modelChoice, modelChoices, presetViews, resolveChoices } from '../../src/panel/choices';
import { runOptions } from '../../src/panel/runOptions';
import { presetChange } from '../../src/webview/presetChoice';
import type { ComposeChoices } from '../../src/shared/protocol';

const plain: ComposeChoices = {
  model: 'gemini-3.1-flash-image',
  aspectRatio: '1:1',
  imageSize: 'auto',
  outputFormat: 'auto',
  thinkingLevel: 'auto',
  grounding: false,
  variants: 1,
};
const flash = modelChoice('gemini-3.1-flash-image');

test('a preset and a transparent background are passed to the run; None names no preset', () => {
  const options = runOptions({ ...plain, preset: 'App icon', background: 'transparent' }, flash);
  assert.equal(options.preset, 'App icon');
  assert.equal(options.background, 'transparent');
  assert.equal(options.aspectRatio, '1:1');
  assert.equal(options.model, 'gemini-3.1-flash-image');
  const none = runOptions(plain, flash);
  assert.ok(!('preset' in none), 'None still names a preset');
  assert.equal(none.background, undefined);
});

test('an unticked Transparent background wins over a transparent preset; a ticked one over an opaque preset', () => {
  const { presets } = allPresets([{ name: 'Cut-out', template: '{prompt} on a flat background', background: 'transparent' }], undefined);
  const cutOut = findPreset(presets, 'Cut-out');
  const photo = findPreset(presets, 'Photo');
  assert.ok(cutOut && photo);
  const unticked = applyPreset(cutOut, 'a cat', runOptions({ ...plain, preset: 'Cut-out' }, flash)).options;
  assert.ok('background' in unticked, 'the opaque choice is not named, so the preset’s transparency fills it in');
  assert.equal(unticked.background, undefined);
  assert.equal(applyPreset(cutOut, 'a cat', runOptions({ ...plain, preset: 'Cut-out', background: 'transparent' }, flash)).options.background, 'transparent');
  assert.equal(applyPreset(photo, 'a cat', runOptions({ ...plain, preset: 'Photo', background: 'transparent' }, flash)).options.background, 'transparent');
});

test('the panel’s run through a preset sends the expanded template with the controls’ ratio, not the preset’s', () => {
  const appIcon = findPreset(BUILT_IN_PRESETS, 'App icon');
  assert.ok(appIcon);
  const options = runOptions({ ...plain, preset: 'App icon', aspectRatio: '16:9' }, flash);
  const applied = applyPreset(appIcon, '  a paper plane ', options);
  assert.equal(applied.prompt, appIcon.template.replace('{prompt}', 'a paper plane'));
  // The control shows what is sent: a ratio the user changed after choosing the preset wins over its default.
  assert.equal(applied.options.aspectRatio, '16:9');
  // Auto is sent as "not set" and still wins over the preset (the picker put the preset's ratio there first).
  assert.equal(applyPreset(appIcon, 'x', runOptions({ ...plain, aspectRatio: 'auto' }, flash)).options.aspectRatio, undefined);
});

test('the picker lists every preset with its description, source and defaults', () => {
  const { presets } = allPresets(
    [{ name: 'House style', template: 'In our house style: {prompt}', aspectRatio: '4:3', background: 'transparent' }],
    [{ name: 'Team banner', template: '{prompt}, banner', imageSize: '2K', description: 'Wide banners for the wiki' }],
  );
  const views = presetViews(presets);
  assert.deepEqual(
    views.map((view) => view.name),
    [...BUILT_IN_PRESETS.map((preset) => preset.name), 'House style', 'Team banner'],
  );
  assert.deepEqual(views.find((view) => view.name === 'Photo'), {
    name: 'Photo',
    description: 'Photorealistic, natural light, 3:2',
    source: 'built-in',
    aspectRatio: '3:2',
  });
  // Every built-in carries its own defaults into the picker.
  for (const preset of BUILT_IN_PRESETS) {
    const view = views.find((candidate) => candidate.name === preset.name);
    assert.equal(view?.aspectRatio, preset.aspectRatio, preset.name);
    assert.equal(view?.background, preset.background, preset.name);
    assert.equal(view?.description, preset.description, preset.name);
  }
  assert.deepEqual(views.find((view) => view.name === 'House style'), {
    name: 'House style',
    description: '4:3 · transparent',
    source: 'user',
    aspectRatio: '4:3',
    background: 'transparent',
  });
  assert.deepEqual(views.find((view) => view.name === 'Team banner'), {
    name: 'Team banner',
    description: 'Wide banners for the wiki',
    source: 'workspace',
    imageSize: '2K',
  });
  // The template stays in the host.
  assert.ok(views.every((view) => !('template' in view)));
});

test('a remembered preset comes back while the settings define it, and is dropped when they no longer do', () => {
  const models = modelChoices('auto');
  const remembered = { ...plain, preset: 'House style', background: 'transparent' };
  const kept = resolveChoices(remembered, models, { model: 'auto', variants: 1 }, ['Photo', 'House style']);
  assert.equal(kept.preset, 'House style');
  assert.equal(kept.background, 'transparent');
  const dropped = resolveChoices(remembered, models, { model: 'auto', variants: 1 }, ['Photo']);
  assert.ok(!('preset' in dropped), 'a preset removed from the settings is still chosen');
  assert.equal(dropped.background, 'transparent');
  const hostile = resolveChoices({ ...plain, background: 'opaque', preset: 42 }, models, { model: 'auto', variants: 1 }, ['Photo']);
  assert.ok(!('background' in hostile) && !('preset' in hostile));
});

test('changing the model keeps the preset and the background; the job card names both', () => {
  const fitted = fitChoices({ ...plain, preset: 'Sticker', background: 'transparent' }, modelChoice('gemini-2.5-flash-image'));
  assert.equal(fitted.preset, 'Sticker');
  assert.equal(fitted.background, 'transparent');
  assert.equal(describeChoices(fitted, modelChoice('gemini-2.5-flash-image')), 'Sticker · 1:1 · transparent');
});

test('choosing a preset in the panel puts its defaults into the pickers; None leaves them alone', () => {
  const models = modelChoices('auto');
  const { presets } = allPresets(
    [
      { name: 'Pro poster', template: 'A poster of {prompt}', model: 'gemini-3-pro-image-preview', imageSize: '2K', aspectRatio: '2:3' },
      { name: 'Cut-out', template: '{prompt} on a flat background', background: 'transparent' },
      { name: 'Gateway only', template: '{prompt}', model: 'not-offered-here' },
    ],
    undefined,
  );
  const views = presetViews(presets);
  assert.deepEqual(presetChange('Photo', views, models), { preset: 'Photo', aspectRatio: '3:2', background: undefined });
  assert.deepEqual(presetChange('Pro poster', views, models), {
    preset: 'Pro poster',
    model: 'gemini-3-pro-image-preview',
    aspectRatio: '2:3',
    imageSize: '2K',
    background: undefined,
  });
  // The checkbox follows the preset both ways.
  assert.deepEqual(presetChange('Cut-out', views, models), { preset: 'Cut-out', background: 'transparent' });
  // A model hint the pickers do not offer is left out; the preset still applies.
  assert.deepEqual(presetChange('Gateway only', views, models), { preset: 'Gateway only', background: undefined });
  assert.deepEqual(presetChange('', views, models), { preset: undefined });
  assert.deepEqual(presetChange('Removed meanwhile', views, models), { preset: undefined });
  // Applied to the choices and fitted to the model, the run sends what the pickers show.
  const chosen = fitChoices({ ...plain, ...presetChange('Pro poster', views, models) } as ComposeChoices, modelChoice('gemini-3-pro-image-preview'));
  assert.deepEqual(runOptions(chosen, modelChoice('gemini-3-pro-image-preview')), {
    model: 'gemini-3-pro-image-preview',
    aspectRatio: '2:3',
    imageSize: '2K',
    outputFormat: undefined,
    thinkingLevel: undefined,
    grounding: undefined,
    variants: 1,
    preset: 'Pro poster',
    background: undefined,
  });
});
