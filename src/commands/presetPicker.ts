// Choosing a preset for one run (the palette gear): built-ins, then the user's and the workspace's house styles.
import * as vscode from 'vscode';
import { applyPreset, findPreset, type Preset } from '../core/presets';
import type { RunOptions } from '../generation';
import { readPresets } from '../presets';

export const NO_PRESET = 'none';

interface PresetItem extends vscode.QuickPickItem {
  readonly value: string;
}

/** The chosen preset's name, NO_PRESET for "None", undefined when dismissed. */
export async function pickPreset(title = 'Preset for this run'): Promise<string | undefined> {
  const { presets, problems } = readPresets();
  const items: PresetItem[] = [
    { label: 'None', description: 'send the prompt as written', value: NO_PRESET },
    ...presets.map((preset) => ({ label: preset.name, description: describePreset(preset), value: preset.name })),
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title,
    placeHolder: problems.length > 0 ? `${problems.length} preset(s) in settings were ignored: ${problems[0]}` : 'A prompt template with its own defaults',
    ignoreFocusOut: true,
  });
  return picked?.value;
}

/** Options with a preset chosen (its ratio, size and model become the run's defaults) or cleared. */
export function withPresetChoice(options: RunOptions, value: string): RunOptions {
  if (value === NO_PRESET) return { ...options, preset: undefined };
  const preset = findPreset(readPresets().presets, value);
  return preset ? { ...options, preset: preset.name } : options;
}

function describePreset(preset: Preset): string {
  const origin = preset.source === 'built-in' ? '' : ` (${preset.source})`;
  return `${preset.description ?? [preset.aspectRatio, preset.imageSize, preset.background].filter(Boolean).join(' · ')}${origin}`;
}

/** The options as the run will use them: the chosen preset's defaults under the options named for the run. */
export function withPresetDefaults(options: RunOptions): RunOptions {
  const preset = options.preset === undefined ? undefined : findPreset(readPresets().presets, options.preset);
  return preset ? applyPreset(preset, '', options).options : options;
}
