// Lets a palette run change model, ratio, size, format, thinking, grounding, background and variants without opening the settings.
import * as vscode from 'vscode';
import { acceptsOutputFormat, ASPECT_RATIOS, AUTO_MODEL, IMAGE_SIZES, THINKING_LEVELS, describeModel, isAutoModel } from '../core/models';
import type { ModelCatalog } from '../modelCatalog';
import { effectiveOptions, type RunOptions } from '../generation';
import type { Settings } from '../settings';
import { pickPreset, withPresetChoice, withPresetDefaults } from './presetPicker';

type OptionKey = 'model' | 'aspectRatio' | 'imageSize' | 'outputFormat' | 'thinkingLevel' | 'grounding' | 'background' | 'variants' | 'preset';

const OPTION_TITLES: Record<OptionKey, string> = {
  model: 'Model',
  aspectRatio: 'Aspect ratio',
  imageSize: 'Size',
  outputFormat: 'Output format',
  thinkingLevel: 'Thinking level',
  grounding: 'Google Search grounding',
  background: 'Transparent background',
  variants: 'Variants',
  preset: 'Preset',
};

/** Why the output format cannot be chosen on Google's API (shown in the picker). */
export const OUTPUT_FORMAT_OFF_FOR_GOOGLE = "off: Google's API has no output format (only gateways take it)";

interface OptionItem extends vscode.QuickPickItem {
  readonly key?: OptionKey;
}

/** `auto (gemini-…)` once the catalog knows what auto picks. */
function modelLabel(model: string, catalog?: ModelCatalog): string {
  return catalog ? catalog.label(model) : model;
}

export function describeOptions(settings: Settings, options: RunOptions, catalog?: ModelCatalog): string {
  const withDefaults = withPresetDefaults(options);
  const effective = effectiveOptions(settings, withDefaults);
  return [
    ...(options.preset ? [`preset ${options.preset}`] : []),
    modelLabel(effective.model, catalog),
    effective.aspectRatio ?? 'auto ratio',
    describeModel(effective.model)?.fixedSize ?? effective.imageSize ?? 'auto size',
    acceptsOutputFormat(settings.baseUrl) ? (effective.outputFormat ?? 'auto format') : undefined,
    effective.thinkingLevel ? `thinking ${effective.thinkingLevel}` : undefined,
    effective.grounding ? 'Google Search' : undefined,
    withDefaults.background === 'transparent' ? 'transparent background' : undefined,
    effective.variants > 1 ? `${effective.variants} variants` : '1 image',
  ]
    .filter((part): part is string => part !== undefined)
    .join(' · ');
}

/** Shows the option list until the user picks "Done" (returns the new options) or escapes (undefined). */
export async function pickRunOptions(settings: Settings, initial: RunOptions, catalog: ModelCatalog): Promise<RunOptions | undefined> {
  let options = { ...initial };
  // Learn what auto stands for at this provider, so the list can say it (the list is kept for a day).
  if (isAutoModel(effectiveOptions(settings, options).model)) await catalog.resolve(AUTO_MODEL, settings).catch(() => undefined);
  for (;;) {
    const withDefaults = withPresetDefaults(options);
    const effective = effectiveOptions(settings, withDefaults);
    const capabilities = describeModel(isAutoModel(effective.model) ? (catalog.autoPick(settings) ?? effective.model) : effective.model);
    const googleApi = !acceptsOutputFormat(settings.baseUrl);
    const items: OptionItem[] = [
      { label: '$(check) Done', description: describeOptions(settings, options, catalog), alwaysShow: true },
      { label: 'Model', description: modelLabel(effective.model, catalog), key: 'model' },
      { label: 'Preset', description: options.preset ?? 'none', key: 'preset' },
      { label: 'Aspect ratio', description: effective.aspectRatio ?? 'auto', key: 'aspectRatio' },
      { label: 'Size', description: describeModel(effective.model)?.fixedSize ?? effective.imageSize ?? 'auto', key: 'imageSize' },
      googleApi
        ? { label: 'Output format', description: OUTPUT_FORMAT_OFF_FOR_GOOGLE }
        : { label: 'Output format', description: effective.outputFormat ?? 'auto', key: 'outputFormat' },
      capabilities && capabilities.thinkingLevels.length === 0
        ? { label: 'Thinking level', description: `not offered by ${capabilities.id}` }
        : { label: 'Thinking level', description: effective.thinkingLevel ?? 'auto (model default)', key: 'thinkingLevel' },
      capabilities && !capabilities.grounding
        ? { label: 'Google Search grounding', description: `not offered by ${capabilities.id}` }
        : { label: 'Google Search grounding', description: effective.grounding ? 'on (sources are shown with the result)' : 'off', key: 'grounding' },
      {
        label: 'Transparent background',
        description: withDefaults.background === 'transparent' ? 'on (a flat key colour is asked for and removed; saved as PNG)' : 'off',
        key: 'background',
      },
      { label: 'Variants', description: String(effective.variants), key: 'variants' },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: 'Options for this run', ignoreFocusOut: true });
    if (!picked) return undefined;
    if (!picked.key) {
      if (picked.label.startsWith('$(check)')) return options;
      continue; // an option the model or provider does not offer: the description says why
    }
    const value = await pickValue(picked.key, effective.model, catalog);
    if (value === undefined) continue;
    options = applyValue(options, picked.key, value);
  }
}

async function pickValue(key: OptionKey, model: string, catalog: ModelCatalog): Promise<string | undefined> {
  const capabilities = describeModel(model);
  const choices: Record<Exclude<OptionKey, 'model' | 'preset'>, readonly string[]> = {
    background: ['off', 'on'],
    aspectRatio: ['auto', ...(capabilities?.aspectRatios ?? ASPECT_RATIOS)],
    imageSize: capabilities?.fixedSize ? [capabilities.fixedSize] : ['auto', ...(capabilities?.imageSizes ?? IMAGE_SIZES)],
    outputFormat: ['auto', 'png', 'jpeg'],
    thinkingLevel: ['auto', ...(capabilities?.thinkingLevels ?? THINKING_LEVELS)],
    grounding: ['off', 'on'],
    variants: ['1', '2', '3', '4', '5', '6', '7', '8'],
  };
  if (key === 'model') return pickModel(model, catalog);
  if (key === 'preset') return pickPreset();
  return vscode.window.showQuickPick([...choices[key]], { title: `${OPTION_TITLES[key]} for this run`, ignoreFocusOut: true });
}

function applyValue(options: RunOptions, key: OptionKey, value: string): RunOptions {
  switch (key) {
    case 'variants':
      return { ...options, variants: Number(value) };
    case 'outputFormat':
      return { ...options, outputFormat: value === 'png' || value === 'jpeg' ? value : undefined };
    case 'grounding':
      return { ...options, grounding: value === 'on' ? true : undefined };
    case 'background':
      // "off" is named (present but undefined), so it also wins over a transparent preset.
      return { ...options, background: value === 'on' ? 'transparent' : undefined };
    case 'preset':
      return withPresetChoice(options, value);
    case 'model': {
      // A new model may not take the ratio or size chosen for the old one: keep only what it accepts.
      const capabilities = describeModel(value);
      let next: RunOptions = { ...options, model: value.trim() };
      if (capabilities && next.aspectRatio && !capabilities.aspectRatios.includes(next.aspectRatio)) next = { ...next, aspectRatio: undefined };
      if (capabilities && next.imageSize && !capabilities.imageSizes.includes(next.imageSize)) next = { ...next, imageSize: undefined };
      if (capabilities && next.thinkingLevel && !capabilities.thinkingLevels.includes(next.thinkingLevel)) next = { ...next, thinkingLevel: undefined };
      if (capabilities && next.grounding && !capabilities.grounding) next = { ...next, grounding: undefined };
      return next;
    }
    default:
      return { ...options, [key]: value === 'auto' ? undefined : value };
  }
}

interface ModelItem extends vscode.QuickPickItem {
  readonly id?: string;
}

/** The provider's image models (or the built-in table, saying why), plus any id typed by hand. */
async function pickModel(current: string, catalog: ModelCatalog): Promise<string | undefined> {
  const quickPick = vscode.window.createQuickPick<ModelItem>();
  quickPick.title = 'Model for this run';
  quickPick.ignoreFocusOut = true;
  quickPick.busy = true;
  quickPick.placeholder = 'Asking the provider for its image models…';
  quickPick.show();
  const list = await catalog.list();
  const other: ModelItem = { label: '$(edit) Another model id…', alwaysShow: true };
  const auto: ModelItem = {
    label: catalog.label(AUTO_MODEL),
    description: isAutoModel(current) ? '(current)' : undefined,
    detail: 'The best image model your provider lists now',
    id: AUTO_MODEL,
  };
  quickPick.items = [
    auto,
    ...list.models.map((model) => ({
      label: model.id,
      description: model.id === current ? '(current)' : model.displayName,
      detail: model.capabilities ? describeCapabilities(model.capabilities) : undefined,
      id: model.id,
    })),
    other,
  ];
  quickPick.busy = false;
  quickPick.placeholder = list.source === 'provider' ? 'Image models your provider offers' : `Built-in list (${list.reason ?? 'the provider did not answer'})`;
  // Resolve only once the pick is hidden: the next quick input must not open while this one is still closing.
  const picked = await new Promise<ModelItem | undefined>((resolve) => {
    let accepted: ModelItem | undefined;
    quickPick.onDidAccept(() => {
      accepted = quickPick.selectedItems[0];
      quickPick.hide();
    });
    quickPick.onDidHide(() => resolve(accepted));
  });
  quickPick.dispose();
  if (!picked) return undefined;
  if (picked.id) return picked.id;
  return vscode.window.showInputBox({ title: 'Model id', prompt: 'Sent as typed, e.g. a gateway-specific id', value: current });
}

function describeCapabilities(capabilities: NonNullable<ReturnType<typeof describeModel>>): string {
  const sizes = capabilities.fixedSize ? `size ${capabilities.fixedSize}` : capabilities.imageSizes.length ? `sizes ${capabilities.imageSizes.join(' ')}` : 'no size choice';
  return `${sizes} · ${capabilities.aspectRatios.length} aspect ratios · up to ${capabilities.maxReferences} references`;
}
