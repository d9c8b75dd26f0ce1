// Lets a palette run change model, ratio, size, format and variants without opening the settings.
import * as vscode from 'vscode';
import { ASPECT_RATIOS, IMAGE_SIZES, describeModel } from '../core/models';
import type { ModelCatalog } from '../modelCatalog';
import { effectiveOptions, type RunOptions } from '../generation';
import type { Settings } from '../settings';

type OptionKey = 'model' | 'aspectRatio' | 'imageSize' | 'outputFormat' | 'variants';

const OPTION_TITLES: Record<OptionKey, string> = {
  model: 'Model',
  aspectRatio: 'Aspect ratio',
  imageSize: 'Size',
  outputFormat: 'Output format',
  variants: 'Variants',
};

interface OptionItem extends vscode.QuickPickItem {
  readonly key?: OptionKey;
}

export function describeOptions(settings: Settings, options: RunOptions): string {
  const effective = effectiveOptions(settings, options);
  return [
    effective.model,
    effective.aspectRatio ?? 'auto ratio',
    describeModel(effective.model)?.fixedSize ?? effective.imageSize ?? 'auto size',
    effective.outputFormat ?? 'auto format',
    effective.variants > 1 ? `${effective.variants} variants` : '1 image',
  ].join(' · ');
}

/** Shows the option list until the user picks "Done" (returns the new options) or escapes (undefined). */
export async function pickRunOptions(settings: Settings, initial: RunOptions, catalog: ModelCatalog): Promise<RunOptions | undefined> {
  let options = { ...initial };
  for (;;) {
    const effective = effectiveOptions(settings, options);
    const items: OptionItem[] = [
      { label: '$(check) Done', description: describeOptions(settings, options), alwaysShow: true },
      { label: 'Model', description: effective.model, key: 'model' },
      { label: 'Aspect ratio', description: effective.aspectRatio ?? 'auto', key: 'aspectRatio' },
      { label: 'Size', description: describeModel(effective.model)?.fixedSize ?? effective.imageSize ?? 'auto', key: 'imageSize' },
      { label: 'Output format', description: effective.outputFormat ?? 'auto', key: 'outputFormat' },
      { label: 'Variants', description: String(effective.variants), key: 'variants' },
    ];
    const picked = await vscode.window.showQuickPick(items, { title: 'Options for this run', ignoreFocusOut: true });
    if (!picked) return undefined;
    if (!picked.key) return options;
    const value = await pickValue(picked.key, effective.model, catalog);
    if (value === undefined) continue;
    options = applyValue(options, picked.key, value);
  }
}

async function pickValue(key: OptionKey, model: string, catalog: ModelCatalog): Promise<string | undefined> {
  const capabilities = describeModel(model);
  const choices: Record<Exclude<OptionKey, 'model'>, readonly string[]> = {
    aspectRatio: ['auto', ...(capabilities?.aspectRatios ?? ASPECT_RATIOS)],
    imageSize: capabilities?.fixedSize ? [capabilities.fixedSize] : ['auto', ...(capabilities?.imageSizes ?? IMAGE_SIZES)],
    outputFormat: ['auto', 'png', 'jpeg'],
    variants: ['1', '2', '3', '4', '5', '6', '7', '8'],
  };
  if (key === 'model') return pickModel(model, catalog);
  return vscode.window.showQuickPick([...choices[key]], { title: `${OPTION_TITLES[key]} for this run`, ignoreFocusOut: true });
}

function applyValue(options: RunOptions, key: OptionKey, value: string): RunOptions {
  switch (key) {
    case 'variants':
      return { ...options, variants: Number(value) };
    case 'outputFormat':
      return { ...options, outputFormat: value === 'png' || value === 'jpeg' ? value : undefined };
    case 'model': {
      // A new model may not take the ratio or size chosen for the old one: keep only what it accepts.
      const capabilities = describeModel(value);
      const next: RunOptions = { ...options, model: value.trim() };
      if (capabilities && next.aspectRatio && !capabilities.aspectRatios.includes(next.aspectRatio)) return { ...next, aspectRatio: undefined };
      if (capabilities && next.imageSize && !capabilities.imageSizes.includes(next.imageSize)) return { ...next, imageSize: undefined };
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
  quickPick.items = [
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
