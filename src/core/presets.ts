// Presets: a prompt template plus default run options, built in or from the user's and the workspace's settings.
import { ASPECT_RATIOS, IMAGE_SIZES } from './models';

export type Background = 'transparent';
export type PresetSource = 'built-in' | 'user' | 'workspace';

export interface Preset {
  readonly name: string;
  /** The prompt sent, with `{prompt}` replaced by the user's words. */
  readonly template: string;
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  /** A model hint; the user's explicit choice for a run wins over it. */
  readonly model?: string;
  readonly background?: Background;
  readonly description?: string;
  readonly source: PresetSource;
}

/** Options a preset fills in; the same shape the generation's run options use. */
export interface PresetOptions {
  readonly model?: string;
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  readonly background?: Background;
}

export const PROMPT_PLACEHOLDER = '{prompt}';
const MAX_TEMPLATE_LENGTH = 4000;
const MAX_NAME_LENGTH = 60;
const ALLOWED_KEYS = new Set(['name', 'template', 'aspectRatio', 'imageSize', 'model', 'background', 'description']);
/** Keys users might try that a preset must never carry: where requests go, with what token, where files land. */
const FORBIDDEN_KEYS = new Set(['baseUrl', 'authHeader', 'token', 'apiKey', 'key', 'outputFolder', 'folder', 'path', 'fileName']);
/** A model id goes into the request URL's path: letters, digits, dots, dashes, underscores only. */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export const BUILT_IN_PRESETS: readonly Preset[] = [
  {
    name: 'Photo',
    template:
      'A photorealistic photograph of {prompt}. Natural light, accurate colours and materials, shallow depth of field, shot on a full-frame camera with a 50 mm lens, sharp focus on the subject, no text or watermark.',
    aspectRatio: '3:2',
    description: 'Photorealistic, natural light, 3:2',
    source: 'built-in',
  },
  {
    name: 'Illustration',
    template:
      'A clean editorial illustration of {prompt}. Flat shapes with subtle texture, a limited harmonious palette, clear silhouettes, friendly and modern, no text unless asked for.',
    description: 'Editorial flat illustration',
    source: 'built-in',
  },
  {
    name: 'App icon',
    template:
      'An app icon of {prompt}: one bold, centred symbol on a rounded-square tile, simple geometric shapes, a strong limited palette, soft depth, readable at 32 px, no text, no mock-up frame.',
    aspectRatio: '1:1',
    background: 'transparent',
    description: 'One bold symbol on a rounded tile, 1:1, transparent',
    source: 'built-in',
  },
  {
    name: 'Sticker',
    template:
      'A die-cut sticker of {prompt}: bold outlines, a thick white border around the whole shape, vivid flat colours, a single subject centred with empty space around it, no text unless asked for.',
    aspectRatio: '1:1',
    background: 'transparent',
    description: 'Die-cut sticker with a white border, 1:1, transparent',
    source: 'built-in',
  },
  {
    name: 'Seamless pattern',
    template:
      'A seamless, tileable repeating pattern of {prompt}. Evenly distributed motifs, edges that continue exactly on the opposite side, no border, no vignette, no single focal point, flat even lighting.',
    aspectRatio: '1:1',
    description: 'Tileable repeat, 1:1',
    source: 'built-in',
  },
  {
    name: 'Diagram',
    template:
      'A clear technical diagram that explains the following (a description, a Mermaid or PlantUML block, or source code): {prompt}\nUse labelled boxes and arrows, a white background, a clean sans-serif font, short exact labels spelled as written above, left-to-right flow, no decoration.',
    aspectRatio: '16:9',
    description: 'Boxes and arrows from text or code, 16:9',
    source: 'built-in',
  },
  {
    name: 'UI mockup',
    template:
      'A high-fidelity user-interface mockup of {prompt}. A realistic, modern layout with a clear hierarchy, consistent spacing on an 8 px grid, legible placeholder text, accessible contrast, shown flat and straight-on without a device frame.',
    aspectRatio: '16:9',
    description: 'Flat, straight-on screen design, 16:9',
    source: 'built-in',
  },
  {
    name: 'Pixel-art sprite',
    template:
      'A pixel-art game sprite of {prompt}: crisp square pixels on a 32×32 grid scaled up without smoothing, a limited 16-colour palette, a dark one-pixel outline, no anti-aliasing, a single sprite centred on a plain background.',
    aspectRatio: '1:1',
    background: 'transparent',
    description: '32×32 sprite, limited palette, 1:1, transparent',
    source: 'built-in',
  },
];

/** The prompt a preset sends: every `{prompt}` replaced by the user's words (trimmed). */
export function expandTemplate(template: string, prompt: string): string {
  return template.split(PROMPT_PLACEHOLDER).join(prompt.trim());
}

export interface ParsedPresets {
  readonly presets: readonly Preset[];
  /** One sentence per refused entry, naming it and why. */
  readonly problems: readonly string[];
}

/**
 * Checks the entries of a `geminiImage.presets` value from one settings scope. A preset can only shape the prompt
 * and the image options: keys that would change where requests go, the token, or where files land are refused,
 * as are unknown keys. No preset replaces an earlier one of the same name, so a workspace (from a repository anyone
 * can clone) cannot redefine a built-in or a user's own preset.
 */
export function parsePresets(raw: unknown, source: Exclude<PresetSource, 'built-in'>, taken: readonly string[] = []): ParsedPresets {
  if (raw === undefined || raw === null) return { presets: [], problems: [] };
  const where = source === 'workspace' ? 'workspace settings' : 'user settings';
  if (!Array.isArray(raw)) return { presets: [], problems: [`geminiImage.presets in the ${where} must be an array of presets.`] };
  const presets: Preset[] = [];
  const problems: string[] = [];
  const names = new Set(taken.map((name) => name.toLowerCase()));
  raw.forEach((entry: unknown, index) => {
    const checked = parsePreset(entry, source, `Preset ${index + 1} in the ${where}`);
    if (typeof checked === 'string') {
      problems.push(checked);
      return;
    }
    const key = checked.name.toLowerCase();
    if (names.has(key)) {
      problems.push(`Preset "${checked.name}" in the ${where} was ignored: a preset with that name already exists.`);
      return;
    }
    names.add(key);
    presets.push(checked);
  });
  return { presets, problems };
}

function parsePreset(entry: unknown, source: Exclude<PresetSource, 'built-in'>, label: string): Preset | string {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return `${label} must be an object with a name and a template.`;
  const record = entry as Record<string, unknown>;
  const name = typeof record.name === 'string' ? record.name.trim() : '';
  const named = `${label} ("${name}") was ignored`;
  for (const key of Object.keys(record)) {
    if (FORBIDDEN_KEYS.has(key)) return `${named}: a preset cannot set "${key}" (only the prompt and the image options).`;
    if (!ALLOWED_KEYS.has(key)) return `${named}: unknown key "${key}" (allowed: ${[...ALLOWED_KEYS].join(', ')}).`;
  }
  if (name === '' || name.length > MAX_NAME_LENGTH || /[\u0000-\u001f]/.test(name)) {
    return `${label} needs a "name" of 1 to ${MAX_NAME_LENGTH} characters.`;
  }
  const template = record.template;
  if (typeof template !== 'string' || !template.includes(PROMPT_PLACEHOLDER)) return `${named}: its "template" must contain ${PROMPT_PLACEHOLDER}.`;
  if (template.length > MAX_TEMPLATE_LENGTH) return `${named}: its "template" is longer than ${MAX_TEMPLATE_LENGTH} characters.`;
  const aspectRatio = optionalChoice(record.aspectRatio, ASPECT_RATIOS);
  if (aspectRatio === false) return `${named}: "aspectRatio" must be one of ${ASPECT_RATIOS.join(', ')}.`;
  const imageSize = optionalChoice(record.imageSize, IMAGE_SIZES);
  if (imageSize === false) return `${named}: "imageSize" must be one of ${IMAGE_SIZES.join(', ')}.`;
  const model = record.model;
  if (model !== undefined && (typeof model !== 'string' || !MODEL_ID.test(model.trim()))) {
    return `${named}: "model" must be a plain model id (letters, digits, ".", "-", "_").`;
  }
  const background = record.background;
  if (background !== undefined && background !== 'transparent') return `${named}: "background" can only be "transparent".`;
  const description = typeof record.description === 'string' ? record.description.slice(0, 200) : undefined;
  return {
    name,
    template,
    ...(aspectRatio ? { aspectRatio } : {}),
    ...(imageSize ? { imageSize } : {}),
    ...(typeof model === 'string' ? { model: model.trim() } : {}),
    ...(background ? { background } : {}),
    ...(description ? { description } : {}),
    source,
  };
}

/** undefined when absent, the value when it is one of the choices, false when it is not. */
function optionalChoice(value: unknown, choices: readonly string[]): string | undefined | false {
  if (value === undefined) return undefined;
  return typeof value === 'string' && choices.includes(value) ? value : false;
}

/** Built-ins first, then user presets, then workspace presets (which never replace an earlier name). */
export function allPresets(user: unknown, workspace: unknown): ParsedPresets {
  const builtIn = BUILT_IN_PRESETS.map((preset) => preset.name);
  const fromUser = parsePresets(user, 'user', builtIn);
  const fromWorkspace = parsePresets(workspace, 'workspace', [...builtIn, ...fromUser.presets.map((preset) => preset.name)]);
  return {
    presets: [...BUILT_IN_PRESETS, ...fromUser.presets, ...fromWorkspace.presets],
    problems: [...fromUser.problems, ...fromWorkspace.problems],
  };
}

/** Finds a preset by name, ignoring case and surrounding spaces. */
export function findPreset(presets: readonly Preset[], name: string): Preset | undefined {
  const wanted = name.trim().toLowerCase();
  return presets.find((preset) => preset.name.toLowerCase() === wanted);
}

/**
 * The prompt and options of a run through a preset. The preset's options are defaults: any option the run names
 * (even as "auto", i.e. present but undefined) wins.
 */
export function applyPreset<T extends PresetOptions>(preset: Preset, prompt: string, options: T): { prompt: string; options: T } {
  const defaults: Partial<Record<keyof PresetOptions, string>> = {};
  if (preset.model) defaults.model = preset.model;
  if (preset.aspectRatio) defaults.aspectRatio = preset.aspectRatio;
  if (preset.imageSize) defaults.imageSize = preset.imageSize;
  if (preset.background) defaults.background = preset.background;
  return { prompt: expandTemplate(preset.template, prompt), options: { ...defaults, ...options } as T };
}

/** Why a requested preset cannot be used, naming the ones that can. */
export function unknownPresetMessage(name: string, presets: readonly Preset[], problems: readonly string[]): string {
  const refused = problems.find((problem) => problem.includes(`"${name.trim()}"`));
  if (refused) return refused;
  return `There is no preset named "${name.trim()}". Presets: ${presets.map((preset) => preset.name).join(', ')}.`;
}
