// The panel's pickers only offer what the chosen model accepts, and remembered choices never outlive the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeChoices, fitChoices, modelChoice, modelChoices, rememberPrompt, resolveChoices } from '../../src/panel/choices';
import { KNOWN_MODEL_IDS } from '../../src/core/models';

const defaults = { model: 'gemini-2.5-flash-image', variants: 1 };

test('the model list is auto, the built-in table, and the settings’ model when it is another id', () => {
  assert.deepEqual(modelChoices('gemini-2.5-flash-image').map((model) => model.id), ['auto', ...KNOWN_MODEL_IDS]);
  assert.deepEqual(modelChoices('models/gemini-3-pro-image-preview').map((model) => model.id), ['auto', ...KNOWN_MODEL_IDS]);
  assert.deepEqual(modelChoices('auto').map((model) => model.id), ['auto', ...KNOWN_MODEL_IDS]);
  const withGateway = modelChoices('nano-banana-pro');
  assert.equal(withGateway[1].id, 'nano-banana-pro');
  assert.equal(withGateway[1].known, false);
  assert.ok(withGateway[1].aspectRatios.includes('8:1') && withGateway[1].imageSizes.includes('4K'), 'an unknown id is not limited');
  // An id with characters that cannot go into a URL path is not offered.
  assert.deepEqual(modelChoices('bad id/../x').map((model) => model.id), ['auto', ...KNOWN_MODEL_IDS]);
});

test('auto says what it picked and is limited like that model once known', () => {
  const [unknown] = modelChoices('auto');
  assert.equal(unknown.label, 'auto (best model the provider lists)');
  const [lite] = modelChoices('auto', 'gemini-3.1-flash-lite-image');
  assert.equal(lite.id, 'auto');
  assert.equal(lite.label, 'auto (gemini-3.1-flash-lite-image)');
  assert.deepEqual(lite.imageSizes, ['1K']);
  assert.deepEqual(lite.thinkingLevels, []);
  const [flash] = modelChoices('auto', 'gemini-3.1-flash-image');
  assert.deepEqual(flash.thinkingLevels, ['minimal', 'high']);
  assert.equal(flash.grounding, true);
  const choices = fitChoices({ model: 'auto', aspectRatio: '8:1', imageSize: '4K', outputFormat: 'auto', thinkingLevel: 'high', grounding: true, variants: 1 }, lite);
  assert.deepEqual(choices, { model: 'auto', aspectRatio: 'auto', imageSize: 'auto', outputFormat: 'auto', thinkingLevel: 'auto', grounding: false, variants: 1 });
  assert.equal(describeChoices({ ...choices, thinkingLevel: 'high', grounding: true }, flash), 'thinking high · Google Search');
});

test('each model offers only its own ratios, sizes and reference count', () => {
  const flash = modelChoice('gemini-2.5-flash-image');
  assert.deepEqual(flash.imageSizes, []);
  assert.equal(flash.maxReferences, 3);
  assert.ok(!flash.aspectRatios.includes('8:1'));
  const pro = modelChoice('gemini-3-pro-image-preview');
  assert.deepEqual(pro.imageSizes, ['1K', '2K', '4K']);
  assert.equal(pro.maxReferences, 14);
  const flash31 = modelChoice('gemini-3.1-flash-image-preview');
  assert.ok(flash31.imageSizes.includes('512') && flash31.aspectRatios.includes('1:8'));
  assert.equal(modelChoice('gemini-3-pro-image-preview-4k').fixedSize, '4K');
});

test('remembered choices are used when the model is still offered, with what it cannot take set to auto', () => {
  const models = modelChoices('gemini-2.5-flash-image');
  assert.deepEqual(
    resolveChoices({ model: 'gemini-3-pro-image-preview', aspectRatio: '16:9', imageSize: '2K', outputFormat: 'png', grounding: true, variants: 3 }, models, defaults),
    { model: 'gemini-3-pro-image-preview', aspectRatio: '16:9', imageSize: '2K', outputFormat: 'png', thinkingLevel: 'auto', grounding: true, variants: 3 },
  );
  assert.deepEqual(
    resolveChoices({ model: 'gemini-2.5-flash-image', aspectRatio: '8:1', imageSize: '4K', outputFormat: 'gif', thinkingLevel: 'high', grounding: true, variants: 99 }, models, defaults),
    { model: 'gemini-2.5-flash-image', aspectRatio: 'auto', imageSize: 'auto', outputFormat: 'auto', thinkingLevel: 'auto', grounding: false, variants: 8 },
  );
});

test('without a usable memory the settings decide, limited to the model', () => {
  const models = modelChoices('gemini-3-pro-image-preview');
  const settings = { model: 'gemini-3-pro-image-preview', aspectRatio: '21:9', imageSize: '4K', outputFormat: 'jpeg' as const, variants: 2 };
  const expected = { model: 'gemini-3-pro-image-preview', aspectRatio: '21:9', imageSize: '4K', outputFormat: 'jpeg', thinkingLevel: 'auto', grounding: false, variants: 2 };
  assert.deepEqual(resolveChoices(undefined, models, settings), expected);
  assert.deepEqual(resolveChoices('garbage', models, settings), expected);
  // A remembered model that is no longer offered falls back to the settings, options included.
  assert.deepEqual(resolveChoices({ model: 'gone-model', aspectRatio: '1:1' }, models, settings), expected);
  // Settings options the model cannot take become auto.
  assert.equal(resolveChoices(undefined, modelChoices('gemini-2.5-flash-image'), { ...settings, model: 'gemini-2.5-flash-image' }).imageSize, 'auto');
});

test('a size-suffixed model shows its size but never sends another one', () => {
  const fixed = modelChoice('gemini-3-pro-image-preview-2k');
  const plain = { thinkingLevel: 'auto', grounding: false };
  assert.equal(fitChoices({ model: fixed.id, aspectRatio: '16:9', imageSize: '2K', outputFormat: 'auto', ...plain, variants: 1 }, fixed).imageSize, 'auto');
  assert.equal(describeChoices({ model: fixed.id, aspectRatio: '16:9', imageSize: 'auto', outputFormat: 'auto', ...plain, variants: 1 }, fixed), '16:9 · 2K');
  assert.equal(describeChoices({ model: 'x', aspectRatio: 'auto', imageSize: 'auto', outputFormat: 'png', ...plain, variants: 3 }, undefined), 'png · 3 variants');
});

test('recent prompts: newest first, trimmed, no duplicates, bounded', () => {
  assert.deepEqual(rememberPrompt(['b', 'a'], ' a '), ['a', 'b']);
  assert.deepEqual(rememberPrompt(['a'], '   '), ['a']);
  assert.equal(rememberPrompt(Array.from({ length: 30 }, (_, index) => `p${index}`), 'new').length, 20);
});
