// Lets a palette run change model, ratio, size, format and variants without opening the settings.
import * as vscode from 'vscode';
import { ASPECT_RATIOS, IMAGE_SIZES, KNOWN_MODEL_IDS, describeModel } from '../core/models';
import { effectiveOptions, type RunOptions } from '../generation';
import type { Settings } from '../settings';

type OptionKey = 'model' | 'aspectRatio' | 'imageSize' | 'outputFormat' | 'variants';

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
export async function pickRunOptions(settings: Settings, initial: RunOptions): Promise<RunOptions | undefined> {
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
    const value = await pickValue(picked.key, effective.model);
    if (value === undefined) continue;
    options = applyValue(options, picked.key, value);
  }
}

async function pickValue(key: OptionKey, model: string): Promise<string | undefined> {
  const capabilities = describeModel(model);
  const choices: Record<OptionKey, readonly string[]> = {
    model: KNOWN_MODEL_IDS,
    aspectRatio: ['auto', ...(capabilities?.aspectRatios ?? ASPECT_RATIOS)],
    imageSize: capabilities?.fixedSize ? [capabilities.fixedSize] : ['auto', ...(capabilities?.imageSizes ?? IMAGE_SIZES)],
    outputFormat: ['auto', 'png', 'jpeg'],
    variants: ['1', '2', '3', '4', '5', '6', '7', '8'],
  };
  if (key === 'model') {
    const other = '$(edit) Another model id…';
    const picked = await vscode.window.showQuickPick([...choices.model, other], { title: 'Model for this run' });
    if (picked !== other) return picked;
    return vscode.window.showInputBox({ title: 'Model id', prompt: 'Sent as typed, e.g. a gateway-specific id' });
  }
  return vscode.window.showQuickPick([...choices[key]], { title: `${key} for this run` });
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
