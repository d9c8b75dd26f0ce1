// What choosing a preset in the panel changes: its defaults go into the pickers. No DOM: unit-tested in Node.
import type { ComposeChoices, ModelChoice, PresetView } from '../shared/protocol';

/**
 * The change to the compose choices when the preset named `name` is chosen: its model hint (when that model is
 * offered), aspect ratio, size and background (transparent or not). None (or a name no longer offered) only clears the
 * preset and leaves the pickers as the user set them.
 */
export function presetChange(name: string, presets: readonly PresetView[], models: readonly ModelChoice[]): Partial<ComposeChoices> {
  const preset = presets.find((candidate) => candidate.name === name);
  if (!preset) return { preset: undefined };
  const offered = preset.model !== undefined && models.some((model) => model.id === preset.model);
  return {
    preset: preset.name,
    ...(offered ? { model: preset.model } : {}),
    ...(preset.aspectRatio ? { aspectRatio: preset.aspectRatio } : {}),
    ...(preset.imageSize ? { imageSize: preset.imageSize } : {}),
    // The checkbox follows the preset both ways: a transparent preset ticks it, any other unticks it.
    background: preset.background === 'transparent' ? 'transparent' : undefined,
  };
}
