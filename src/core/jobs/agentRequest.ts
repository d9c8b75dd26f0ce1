// What an agent may ask for (the VS Code tool and the MCP server), checked before anything is read or sent.
import { slugFromPrompt } from '../fileName';

/** An agent's request, field names as the VS Code tool spells them (the MCP server maps its snake_case onto them). */
export interface AgentImageRequest {
  readonly prompt: string;
  /** Paths of reference images: relative to the workspace (working folder) or absolute inside it. */
  readonly references: readonly string[];
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  readonly model?: string;
  readonly outputFolder?: string;
  /** The file name's stem, already checked (the extension comes from the image bytes). */
  readonly fileStem?: string;
  /** A preset's name (VS Code tool only): its template wraps the prompt and its options fill what the agent left out. */
  readonly preset?: string;
  /** "transparent": an RGBA PNG, the key-coloured background removed; "opaque" overrides a preset's transparency. */
  readonly background?: 'transparent' | 'opaque';
}

const IMAGE_EXTENSION = /\.(png|jpe?g|webp|gif)$/i;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;
const MAX_STEM_LENGTH = 100;
const MAX_REFERENCES = 14;

/** Field names to use in messages: the tool's camelCase, or the MCP tool's snake_case. */
export type FieldNames = Record<'prompt' | 'references' | 'aspectRatio' | 'imageSize' | 'model' | 'outputFolder' | 'fileName', string> & {
  /** Only where presets exist (the VS Code tool). */
  readonly preset?: string;
  readonly background?: string;
};

export const TOOL_FIELDS: FieldNames = {
  prompt: 'prompt',
  references: 'references',
  aspectRatio: 'aspectRatio',
  imageSize: 'imageSize',
  model: 'model',
  outputFolder: 'outputFolder',
  fileName: 'fileName',
  preset: 'preset',
  background: 'background',
};

/** Checks the raw input (an agent may send anything) and throws an Error naming the field and what to send instead. */
export function parseAgentRequest(raw: unknown, names: FieldNames = TOOL_FIELDS): AgentImageRequest {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('The input must be an object with at least a "prompt".');
  const input = raw as Record<string, unknown>;
  const prompt = input[names.prompt];
  if (typeof prompt !== 'string' || prompt.trim() === '') throw new Error(`"${names.prompt}" must be a non-empty description of the image.`);
  const references = input[names.references] ?? [];
  if (!Array.isArray(references) || references.some((item) => typeof item !== 'string' || item.trim() === '')) {
    throw new Error(`"${names.references}" must be a list of image file paths.`);
  }
  if (references.length > MAX_REFERENCES) throw new Error(`"${names.references}" has ${references.length} images; at most ${MAX_REFERENCES} can be sent.`);
  const option = (key: keyof FieldNames): string | undefined => {
    const field = names[key];
    if (field === undefined) return undefined;
    const value = input[field];
    if (value === undefined || value === null || value === 'auto') return undefined;
    if (typeof value !== 'string' || value.trim() === '') throw new Error(`"${field}" must be a non-empty string (or left out).`);
    return value.trim();
  };
  const preset = option('preset');
  const background = option('background');
  if (background !== undefined && background !== 'transparent' && background !== 'opaque') {
    throw new Error(`"${names.background}" must be "transparent" or "opaque" (or left out).`);
  }
  const fileName = option('fileName');
  return {
    prompt: prompt.trim(),
    references: (references as string[]).map((item) => item.trim()),
    aspectRatio: option('aspectRatio'),
    imageSize: option('imageSize'),
    model: option('model'),
    outputFolder: option('outputFolder'),
    fileStem: fileName === undefined ? undefined : fileStemOf(fileName, names.fileName),
    ...(preset === undefined ? {} : { preset }),
    ...(background === undefined ? {} : { background }),
  };
}

/**
 * "App Icon.png" -> "App Icon": a name inside the output folder, never a path. The image's own format decides the
 * extension, so a given one is dropped; a taken name gets -2, -3… like every other save.
 */
export function fileStemOf(fileName: string, field = 'fileName'): string {
  const name = fileName.trim();
  if (/[\\/]/.test(name)) throw new Error(`"${field}" must be a file name without folders ("${name}" has a path separator): use outputFolder for the folder.`);
  const stem = name.replace(IMAGE_EXTENSION, '').replace(/[. ]+$/, '');
  if (stem === '' || stem === '.' || stem === '..' || stem.startsWith('.')) throw new Error(`"${field}" "${name}" is not a usable file name.`);
  if (/[<>:"|?*\u0000-\u001f]/.test(stem)) throw new Error(`"${field}" "${name}" has characters that are not allowed in file names.`);
  if (stem.length > MAX_STEM_LENGTH) throw new Error(`"${field}" is longer than ${MAX_STEM_LENGTH} characters.`);
  return WINDOWS_RESERVED.test(stem) ? `${stem}-image` : stem;
}

/** The name images of this request are saved under (before -2, -3… and the extension). */
export function stemFor(request: AgentImageRequest): string {
  return request.fileStem ?? slugFromPrompt(request.prompt);
}

/** The result text an agent reads: each saved file, then what the model said, the finish reasons and the usage. */
export function describeAgentResult(outcome: {
  files: readonly string[];
  texts: readonly string[];
  finishReasons: readonly string[];
  usage?: { promptTokenCount?: number; candidatesTokenCount?: number; totalTokenCount?: number };
  failures: readonly string[];
  model: string;
  /** Notes on saved images (a background kept opaque, parts skipped). */
  warnings?: readonly string[];
}): string {
  const lines = [`Saved ${outcome.files.length === 1 ? 'one image' : `${outcome.files.length} images`} (model ${outcome.model}):`];
  for (const file of outcome.files) lines.push(`- ${file}`);
  const text = outcome.texts.join(' ').trim();
  if (text) lines.push(`The model said: ${text}`);
  if (outcome.finishReasons.length > 0) lines.push(`Finish reason: ${[...new Set(outcome.finishReasons)].join(', ')}`);
  const usage = outcome.usage;
  if (usage) {
    const parts = [
      usage.promptTokenCount !== undefined ? `${usage.promptTokenCount} prompt` : undefined,
      usage.candidatesTokenCount !== undefined ? `${usage.candidatesTokenCount} output` : undefined,
      usage.totalTokenCount !== undefined ? `${usage.totalTokenCount} total` : undefined,
    ].filter(Boolean);
    if (parts.length > 0) lines.push(`Usage: ${parts.join(', ')} tokens`);
  }
  for (const warning of outcome.warnings ?? []) lines.push(`Note: ${warning}`);
  for (const failure of outcome.failures) lines.push(`Another request failed: ${failure}`);
  lines.push('Reference a file by its path, e.g. in Markdown: ![description](path).');
  return lines.join('\n');
}

/** What a person approves before an agent's request is sent: each line a label and its (untrusted, plain) text. */
export function confirmationLines(facts: {
  request: AgentImageRequest;
  model: string;
  /** What `auto` will send, when the provider's list was read: the user approves a concrete model. */
  autoPick?: string;
  host: string;
  uploads: readonly string[];
  destination: string;
}): [label: string, text: string][] {
  const { request } = facts;
  const options = [
    request.aspectRatio && `aspect ratio ${request.aspectRatio}`,
    request.imageSize && `size ${request.imageSize}`,
    request.background && `${request.background} background`,
  ].filter(Boolean);
  const lines: [string, string][] = [
    ['Prompt', request.prompt],
    ['Model', `${facts.autoPick ? `${facts.autoPick} (auto)` : facts.model} at ${facts.host}`],
  ];
  if (request.preset) lines.push(['Preset', request.preset]);
  if (options.length > 0) lines.push(['Options', options.join(', ')]);
  lines.push(['Uploads', facts.uploads.length > 0 ? facts.uploads.join(', ') : 'no images']);
  lines.push(['Saves to', facts.destination]);
  return lines;
}
