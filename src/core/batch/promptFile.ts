// Reads prompt files (*.prompts.jsonl, *.prompts.txt) and `{jobs}` arguments into PromptJobs, every line checked first.
//
// Format (README "Many images at once"):
// - Blank lines and lines whose first non-space characters are `//` are skipped in both formats.
// - jsonl: one JSON object per line with the keys of PROMPT_KEYS. A first object holding only `mode`
//   (`{"mode": "batch"}`) is the file's header and chooses how the whole file runs; `mode` anywhere else is an error.
// - txt: one prompt per line, everything else from the run's settings. A first line `mode: batch` (or
//   `mode: interactive`) is the header.
import { fileStemOf } from '../jobs/agentRequest';
import { ASPECT_RATIOS, describeModel, IMAGE_SIZES, isAutoModel, MODEL_ID_PATTERN, normalizeModelId } from '../models';
import type { BatchMode, PromptJob } from './types';

export type PromptFileKind = 'jsonl' | 'txt';

/** The keys a jsonl line may have, for messages, completions and the schema. */
export const PROMPT_KEYS = ['prompt', 'references', 'aspectRatio', 'imageSize', 'model', 'preset', 'fileName', 'variants'] as const;
/** What each key means, for completions; schemas/prompts-line.schema.json says the same (a unit test keeps them equal). */
export const PROMPT_KEY_DOCS: Readonly<Record<(typeof PROMPT_KEYS)[number], string>> = {
  prompt: 'What the image shows (required).',
  references: 'Images to edit or follow: paths relative to this file or to the workspace folder, inside the workspace.',
  aspectRatio: 'Width:height, like "16:9"; left out or "auto" lets the model choose.',
  imageSize: '"512", "1K", "2K" or "4K" (uppercase K) where the model offers it.',
  model: 'A model id for this line; otherwise geminiImage.model.',
  preset: 'A preset name (built-in or from geminiImage.presets) wrapping the prompt.',
  fileName: 'File name without folders; -2, -3… are added when taken.',
  variants: 'How many images of this line, 1 to 8.',
};
export const BATCH_MODES: readonly BatchMode[] = ['interactive', 'batch'];
export const MAX_BATCH_VARIANTS = 8;
/** Reference images one request can carry on the models that take the most. */
const MAX_REFERENCES = 14;
const MAX_PROMPT_LENGTH = 20_000;

export interface PromptFileProblem {
  /** 1-based line. */
  readonly line: number;
  readonly message: string;
  /** The key the problem is about, so an editor can underline it. */
  readonly key?: string;
}

export interface ParsedPromptFile {
  readonly mode?: BatchMode;
  /** The line of the `mode` header, if any. */
  readonly modeLine?: number;
  readonly jobs: readonly PromptJob[];
  readonly problems: readonly PromptFileProblem[];
}

/** What a line is checked against besides its own text. */
export interface PromptCheckContext {
  /** The run's model (geminiImage.model), used to check ratios and sizes of lines that name none. */
  readonly model?: string;
  /** Names of the presets that exist; unchecked when undefined. */
  readonly presets?: readonly string[];
}

/** `*.prompts.jsonl` or `*.prompts.txt` (any case), else undefined. */
export function promptFileKind(fileName: string): PromptFileKind | undefined {
  const match = /\.prompts\.(jsonl|txt)$/i.exec(fileName);
  return match ? (match[1].toLowerCase() as PromptFileKind) : undefined;
}

/** Every job and every problem of a prompts file; nothing should be sent while `problems` is not empty. */
export function parsePromptFile(text: string, kind: PromptFileKind, context: PromptCheckContext = {}): ParsedPromptFile {
  const jobs: PromptJob[] = [];
  const problems: PromptFileProblem[] = [];
  let mode: BatchMode | undefined;
  let modeLine: number | undefined;
  let first = true;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('//')) return;
    const isFirst = first;
    first = false;
    if (kind === 'txt') {
      const header = /^mode\s*:\s*(\S+)$/i.exec(trimmed);
      if (header && isFirst) {
        const value = header[1].toLowerCase();
        if (isBatchMode(value)) [mode, modeLine] = [value, line];
        else problems.push({ line, message: `Line ${line}: mode must be "interactive" or "batch", not "${header[1]}".` });
        return;
      }
      const problem = trimmed.length > MAX_PROMPT_LENGTH ? `Line ${line}: the prompt is longer than ${MAX_PROMPT_LENGTH} characters.` : undefined;
      if (problem) problems.push({ line, message: problem });
      else jobs.push({ line, prompt: trimmed });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      problems.push({ line, message: `Line ${line} is not valid JSON (${reason}): write one object per line, like {"prompt": "a red fox"}.` });
      return;
    }
    if (isObject(value) && 'mode' in value && !('prompt' in value)) {
      const extra = Object.keys(value).filter((key) => key !== 'mode');
      if (!isFirst) problems.push({ line, key: 'mode', message: `Line ${line}: {"mode": …} is the file's header and belongs on its first line.` });
      else if (!isBatchMode(value.mode)) problems.push({ line, key: 'mode', message: `Line ${line}: mode must be "interactive" or "batch".` });
      else if (extra.length > 0) problems.push({ line, key: extra[0], message: `Line ${line}: the mode header holds only "mode", not ${extra.map((key) => `"${key}"`).join(', ')}.` });
      else [mode, modeLine] = [value.mode, line];
      return;
    }
    const checked = checkPromptObject(value, line, context);
    if ('job' in checked) jobs.push(checked.job);
    else problems.push(...checked.problems);
  });
  if (jobs.length === 0 && problems.length === 0) {
    problems.push({ line: 1, message: kind === 'txt' ? 'The file has no prompts: write one prompt per line.' : 'The file has no prompts: write one object per line, like {"prompt": "a red fox"}.' });
  }
  return { mode, modeLine, jobs, problems };
}

/** The `{jobs}` argument of geminiImage.runBatch, checked like file lines (job n is "line" n). */
export function parsePromptJobs(value: unknown, context: PromptCheckContext = {}): ParsedPromptFile {
  if (!Array.isArray(value) || value.length === 0) {
    return { jobs: [], problems: [{ line: 1, message: '"jobs" must be a non-empty list of objects like {"prompt": "a red fox"}.' }] };
  }
  const jobs: PromptJob[] = [];
  const problems: PromptFileProblem[] = [];
  value.forEach((item, index) => {
    const checked = checkPromptObject(item, index + 1, context);
    if ('job' in checked) jobs.push(checked.job);
    else problems.push(...checked.problems);
  });
  return { jobs, problems };
}

/** One line's object as a PromptJob, or every problem it has (each naming the line). */
export function checkPromptObject(value: unknown, line: number, context: PromptCheckContext = {}): { job: PromptJob } | { problems: PromptFileProblem[] } {
  const at = `Line ${line}`;
  if (!isObject(value)) return { problems: [{ line, message: `${at} must be a JSON object like {"prompt": "a red fox"}.` }] };
  const problems: PromptFileProblem[] = [];
  const fail = (key: string, message: string): void => {
    problems.push({ line, key, message: `${at}: ${message}` });
  };
  for (const key of Object.keys(value)) {
    if ((PROMPT_KEYS as readonly string[]).includes(key)) continue;
    if (key === 'mode') fail(key, '"mode" goes in the file\'s first line, as {"mode": "batch"}, not in a prompt line.');
    else {
      const near = PROMPT_KEYS.find((known) => known.toLowerCase() === key.toLowerCase().replace(/[_-]/g, ''));
      fail(key, `unknown key "${key}"${near ? ` (did you mean "${near}"?)` : ''}; a line may have ${PROMPT_KEYS.join(', ')}.`);
    }
  }
  const text = (key: string): string | undefined => {
    const field = value[key];
    if (field === undefined || field === null) return undefined;
    if (typeof field !== 'string' || field.trim() === '') {
      fail(key, `"${key}" must be a non-empty string.`);
      return undefined;
    }
    return field.trim();
  };

  const references: string[] = [];
  if (value.references !== undefined) {
    if (!Array.isArray(value.references) || value.references.some((item) => typeof item !== 'string' || item.trim() === '')) {
      fail('references', '"references" must be a list of image paths, like ["images/product.png"].');
    } else if (value.references.length > MAX_REFERENCES) {
      fail('references', `"references" has ${value.references.length} images; at most ${MAX_REFERENCES} can be sent.`);
    } else {
      for (const reference of value.references as string[]) {
        const problem = referencePathProblem(reference.trim());
        if (problem) fail('references', problem);
        else references.push(reference.trim());
      }
    }
  }

  const prompt = typeof value.prompt === 'string' ? value.prompt.trim() : undefined;
  if (value.prompt === undefined) fail('prompt', '"prompt" is missing: say what the image shows.');
  else if (typeof value.prompt !== 'string') fail('prompt', '"prompt" must be a string.');
  else if (prompt === '' && references.length === 0) fail('prompt', '"prompt" is empty: say what the image shows.');
  else if ((prompt ?? '').length > MAX_PROMPT_LENGTH) fail('prompt', `"prompt" is longer than ${MAX_PROMPT_LENGTH} characters.`);

  const model = optionText(text('model'));
  if (model !== undefined && !MODEL_ID_PATTERN.test(normalizeModelId(model))) fail('model', `"model" ${JSON.stringify(model.slice(0, 60))} is not a model id: use letters, digits, ".", "-" and "_".`);
  const aspectRatio = optionText(text('aspectRatio'));
  const imageSize = optionText(text('imageSize'));
  const checkedModel = model ?? context.model;
  const capabilities = checkedModel === undefined || isAutoModel(checkedModel) ? undefined : describeModel(checkedModel);
  if (aspectRatio !== undefined) {
    const allowed = capabilities?.aspectRatios ?? ASPECT_RATIOS;
    if (!allowed.includes(aspectRatio)) {
      const on = capabilities ? ` on ${capabilities.id}` : '';
      fail('aspectRatio', `aspect ratio "${aspectRatio}" is not available${on}: choose one of ${allowed.join(', ')} or "auto".`);
    }
  }
  if (imageSize !== undefined) {
    const allowed = capabilities ? (capabilities.fixedSize ? [capabilities.fixedSize] : capabilities.imageSizes) : IMAGE_SIZES;
    if (!allowed.includes(imageSize)) {
      const hint = allowed.includes(imageSize.toUpperCase()) ? ` (sizes use an uppercase K: "${imageSize.toUpperCase()}")` : '';
      const on = capabilities ? ` on ${capabilities.id}` : '';
      fail('imageSize', allowed.length === 0 ? `${capabilities?.id ?? 'this model'} has no size choice: leave "imageSize" out.` : `image size "${imageSize}" is not available${on}${hint}: choose one of ${allowed.join(', ')} or "auto".`);
    }
  }
  const preset = text('preset');
  if (preset !== undefined && context.presets && !context.presets.some((name) => name.toLowerCase() === preset.toLowerCase())) {
    fail('preset', `there is no preset "${preset}": choose one of ${context.presets.join(', ')}.`);
  }
  const fileNameText = text('fileName');
  let fileName: string | undefined;
  if (fileNameText !== undefined) {
    try {
      fileName = fileStemOf(fileNameText);
    } catch (error) {
      fail('fileName', error instanceof Error ? error.message : String(error));
    }
  }
  let variants: number | undefined;
  if (value.variants !== undefined) {
    if (typeof value.variants !== 'number' || !Number.isInteger(value.variants) || value.variants < 1 || value.variants > MAX_BATCH_VARIANTS) {
      fail('variants', `"variants" must be a whole number from 1 to ${MAX_BATCH_VARIANTS}.`);
    } else variants = value.variants;
  }
  if (problems.length > 0) return { problems };
  const job: PromptJob = {
    line,
    prompt: prompt ?? '',
    ...(references.length > 0 ? { references } : {}),
    ...(aspectRatio !== undefined ? { aspectRatio } : {}),
    ...(imageSize !== undefined ? { imageSize } : {}),
    ...(model !== undefined ? { model } : {}),
    ...(preset !== undefined ? { preset } : {}),
    ...(fileName !== undefined ? { fileName } : {}),
    ...(variants !== undefined ? { variants } : {}),
  };
  return { job };
}

/** Why a reference can never be a workspace image, judged from its text (the adapter then checks where it leads). */
export function referencePathProblem(reference: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(reference)) return `reference "${reference}" is a URL: use the path of an image in the workspace.`;
  if (reference.includes('\0')) return 'a reference path cannot contain a NUL character.';
  return undefined;
}

/** `auto` is the same as leaving the option out. */
function optionText(value: string | undefined): string | undefined {
  return value === undefined || value.toLowerCase() === 'auto' ? undefined : value;
}

function isBatchMode(value: unknown): value is BatchMode {
  return typeof value === 'string' && (BATCH_MODES as readonly string[]).includes(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
