// The models the pickers offer and the choices they start from, always limited to what the chosen model accepts.
// No vscode import: unit-tested in plain Node.
import { ASPECT_RATIOS, AUTO_MODEL, describeModel, IMAGE_SIZES, isAutoModel, KNOWN_MODEL_IDS, normalizeModelId, THINKING_LEVELS } from '../core/models';
import type { Preset } from '../core/presets';
import { AUTO, MAX_REFERENCES, MAX_VARIANTS, type ComposeChoices, type ModelChoice, type OutputFormatChoice, type PresetView } from '../shared/protocol';
import { MODEL_ID_PATTERN } from './messageValidation';

/** The settings the pickers start from when nothing is remembered for the workspace. */
export interface ChoiceDefaults {
  readonly model: string;
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  readonly outputFormat?: 'png' | 'jpeg';
  readonly variants: number;
}

/**
 * `auto` first (labelled with what it picked, and limited like that model once known), the built-in models, plus
 * the settings' model when it is another id (a gateway's own name).
 */
export function modelChoices(settingsModel: string, autoPick?: string): ModelChoice[] {
  const ids = [...KNOWN_MODEL_IDS];
  const extra = normalizeModelId(settingsModel);
  if (!isAutoModel(extra) && MODEL_ID_PATTERN.test(extra) && !ids.some((id) => id.toLowerCase() === extra.toLowerCase())) ids.unshift(extra);
  const picked = autoPick ? modelChoice(autoPick) : undefined;
  const auto: ModelChoice = {
    ...(picked ?? modelChoice(AUTO_MODEL)),
    id: AUTO_MODEL,
    known: true,
    label: autoPick ? `auto (${autoPick})` : 'auto (best model the provider lists)',
  };
  return [auto, ...ids.map((id) => modelChoice(id))];
}

export function modelChoice(id: string): ModelChoice {
  const known = describeModel(id);
  if (!known) {
    // Nothing is known about this id: offer everything and let the provider decide.
    return { id, aspectRatios: ASPECT_RATIOS, imageSizes: IMAGE_SIZES, maxReferences: MAX_REFERENCES, thinkingLevels: THINKING_LEVELS, grounding: true, known: false };
  }
  return {
    id: known.id,
    aspectRatios: known.aspectRatios,
    imageSizes: known.imageSizes,
    ...(known.fixedSize ? { fixedSize: known.fixedSize } : {}),
    maxReferences: known.maxReferences,
    thinkingLevels: known.thinkingLevels,
    grounding: known.grounding,
    known: true,
  };
}

/**
 * Turns remembered choices (or the settings, when nothing valid is remembered) into choices the pickers can show:
 * an unknown model falls back to the settings' model, and options the model cannot take become auto.
 */
export function resolveChoices(
  remembered: unknown,
  models: readonly ModelChoice[],
  defaults: ChoiceDefaults,
  presetNames: readonly string[] = [],
): ComposeChoices {
  const stored = typeof remembered === 'object' && remembered !== null ? (remembered as Partial<Record<keyof ComposeChoices, unknown>>) : {};
  const storedModel = typeof stored.model === 'string' ? findModel(models, stored.model) : undefined;
  const model = storedModel ?? findModel(models, defaults.model) ?? models[0];
  // Remembered options belong to the remembered model; with the settings' model, the settings' options apply.
  const fromStore = storedModel !== undefined;
  const pick = (value: unknown, fallback: string | undefined): string => (typeof value === 'string' && fromStore ? value : fallback ?? AUTO);
  // A remembered preset that the settings no longer define is dropped (None).
  const preset = typeof stored.preset === 'string' && presetNames.includes(stored.preset) ? stored.preset : undefined;
  return fitChoices(
    {
      model: model.id,
      aspectRatio: pick(stored.aspectRatio, defaults.aspectRatio),
      imageSize: pick(stored.imageSize, defaults.imageSize),
      outputFormat: pick(stored.outputFormat, defaults.outputFormat) as OutputFormatChoice,
      thinkingLevel: pick(stored.thinkingLevel, undefined),
      grounding: stored.grounding === true && fromStore,
      variants: typeof stored.variants === 'number' && fromStore ? stored.variants : defaults.variants,
      ...(preset === undefined ? {} : { preset }),
      ...(stored.background === 'transparent' ? { background: 'transparent' as const } : {}),
    },
    model,
  );
}

/** The same choices with everything the model cannot take set back to auto (and variants kept in 1–8). */
export function fitChoices(choices: ComposeChoices, model: ModelChoice): ComposeChoices {
  const sizes = model.fixedSize ? [] : model.imageSizes;
  return {
    model: model.id,
    aspectRatio: model.aspectRatios.includes(choices.aspectRatio) ? choices.aspectRatio : AUTO,
    imageSize: sizes.includes(choices.imageSize) ? choices.imageSize : AUTO,
    outputFormat: choices.outputFormat === 'png' || choices.outputFormat === 'jpeg' ? choices.outputFormat : AUTO,
    thinkingLevel: model.thinkingLevels.includes(choices.thinkingLevel) ? choices.thinkingLevel : AUTO,
    grounding: choices.grounding === true && model.grounding,
    variants: Number.isInteger(choices.variants) ? Math.min(MAX_VARIANTS, Math.max(1, choices.variants)) : 1,
    ...(choices.preset === undefined ? {} : { preset: choices.preset }),
    ...(choices.background === 'transparent' ? { background: 'transparent' as const } : {}),
  };
}

/** The presets as the panel's picker shows them: name, what it is for, and the defaults it puts into the controls. */
export function presetViews(presets: readonly Preset[]): PresetView[] {
  return presets.map((preset) => ({
    name: preset.name,
    description: preset.description ?? ([preset.aspectRatio, preset.imageSize, preset.background].filter(Boolean).join(' · ') || 'Your template'),
    source: preset.source,
    ...(preset.aspectRatio ? { aspectRatio: preset.aspectRatio } : {}),
    ...(preset.imageSize ? { imageSize: preset.imageSize } : {}),
    ...(preset.model ? { model: preset.model } : {}),
    ...(preset.background ? { background: preset.background } : {}),
  }));
}

/** "16:9 · 2K · png · 2 variants": what a run asks for beyond the model, for job cards. */
export function describeChoices(choices: ComposeChoices, model: ModelChoice | undefined): string {
  const parts: string[] = [];
  if (choices.preset !== undefined) parts.push(choices.preset);
  if (choices.aspectRatio !== AUTO) parts.push(choices.aspectRatio);
  if (model?.fixedSize) parts.push(model.fixedSize);
  else if (choices.imageSize !== AUTO) parts.push(choices.imageSize);
  if (choices.outputFormat !== AUTO) parts.push(choices.outputFormat);
  if (choices.thinkingLevel !== AUTO) parts.push(`thinking ${choices.thinkingLevel}`);
  if (choices.grounding) parts.push('Google Search');
  if (choices.background === 'transparent') parts.push('transparent');
  if (choices.variants > 1) parts.push(`${choices.variants} variants`);
  return parts.join(' · ');
}

/** Keeps a prompt on top of the recent list (newest first, no duplicates, at most `limit`). */
export function rememberPrompt(recent: readonly string[], prompt: string, limit = 20): string[] {
  const trimmed = prompt.trim();
  if (trimmed === '') return [...recent];
  return [trimmed, ...recent.filter((entry) => entry !== trimmed)].slice(0, limit);
}

function findModel(models: readonly ModelChoice[], id: string): ModelChoice | undefined {
  const normalized = normalizeModelId(id).toLowerCase();
  return models.find((model) => model.id.toLowerCase() === normalized);
}
