// Reads the optional argument object of generate/editImage (keybindings, tasks, other extensions), checking every field.
import * as vscode from 'vscode';
import type { Grounding, Usage } from '../core/imageJob';
import { THINKING_LEVELS } from '../core/models';
import type { RunOptions } from '../generation';

export interface GenerateArgs extends RunOptions {
  readonly prompt: string;
  readonly references: readonly vscode.Uri[];
}

/** The command's answer to programmatic callers. `files` are fsPaths for file: URIs, URI strings otherwise. */
export interface GenerateResult {
  readonly files: string[];
  readonly texts: string[];
  readonly finishReasons: string[];
  readonly usage?: Usage;
  /** The model id sent (what `auto` picked, or the id as given). */
  readonly model?: string;
  /** Google Search sources the images were grounded in: show them with the images (Google's terms). */
  readonly grounding?: Grounding;
  /** Estimated cost in US dollars (an estimate from geminiImage.prices / Google's list prices, not a bill). */
  readonly estimatedCostUsd?: number;
  /** Notes on saved images the user was shown (a background kept opaque, parts of an answer skipped). */
  readonly warnings?: string[];
}

/** True for `{prompt: ...}` objects (as opposed to the Uri VS Code passes from menus). */
export function isArgumentObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !(value instanceof vscode.Uri) && !Array.isArray(value);
}

/** Turns an argument object into checked arguments, or throws an Error that says which field is wrong. */
export function parseGenerateArgs(raw: Record<string, unknown>): GenerateArgs {
  const prompt = raw.prompt;
  if (typeof prompt !== 'string') throw new Error('The "prompt" argument must be a string.');
  const options: Record<string, unknown> = {};
  // Only fields the caller named override the settings; "auto" overrides them with "not sent".
  for (const key of ['model', 'aspectRatio', 'imageSize', 'outputFolder'] as const) {
    if (key in raw) options[key] = optionalString(raw, key);
  }
  if ('outputFormat' in raw) options.outputFormat = parseOutputFormat(raw.outputFormat);
  if ('variants' in raw) options.variants = parseVariants(raw.variants);
  if ('thinkingLevel' in raw) options.thinkingLevel = parseThinkingLevel(raw.thinkingLevel);
  if ('grounding' in raw) options.grounding = parseGrounding(raw.grounding);
  if ('preset' in raw) options.preset = optionalString(raw, 'preset');
  if ('background' in raw) options.background = parseBackground(raw.background);
  return { ...(options as RunOptions), prompt, references: parseReferences(raw.references) };
}

export function toResult(outcome: {
  files: readonly vscode.Uri[];
  texts: readonly string[];
  finishReasons: readonly string[];
  usage?: GenerateResult['usage'];
  model?: string;
  grounding?: Grounding;
  cost?: { usd: number };
  warnings?: readonly string[];
}): GenerateResult {
  return {
    files: outcome.files.map((file) => (file.scheme === 'file' ? file.fsPath : file.toString())),
    texts: [...outcome.texts],
    finishReasons: [...outcome.finishReasons],
    ...(outcome.usage ? { usage: outcome.usage } : {}),
    ...(outcome.model ? { model: outcome.model } : {}),
    ...(outcome.grounding ? { grounding: outcome.grounding } : {}),
    ...(outcome.cost ? { estimatedCostUsd: outcome.cost.usd } : {}),
    ...(outcome.warnings?.length ? { warnings: [...outcome.warnings] } : {}),
  };
}

function optionalString(raw: Record<string, unknown>, key: string): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === 'auto') return undefined;
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`The "${key}" argument must be a non-empty string.`);
  return value.trim();
}

function parseOutputFormat(value: unknown): 'png' | 'jpeg' | undefined {
  if (value === undefined || value === null || value === 'auto') return undefined;
  if (value === 'png' || value === 'jpeg') return value;
  throw new Error('The "outputFormat" argument must be "png" or "jpeg".');
}

function parseThinkingLevel(value: unknown): string | undefined {
  if (value === undefined || value === null || value === 'auto') return undefined;
  if (typeof value === 'string' && THINKING_LEVELS.includes(value.trim().toLowerCase())) return value.trim().toLowerCase();
  throw new Error(`The "thinkingLevel" argument must be ${THINKING_LEVELS.map((level) => `"${level}"`).join(' or ')} (or "auto").`);
}

function parseGrounding(value: unknown): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new Error('The "grounding" argument must be true or false.');
  return value;
}

function parseBackground(value: unknown): 'transparent' | undefined {
  if (value === undefined || value === null || value === 'opaque' || value === 'auto') return undefined;
  if (value !== 'transparent') throw new Error('The "background" argument must be "transparent" or "opaque".');
  return value;
}

function parseVariants(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 8) {
    throw new Error('The "variants" argument must be a whole number from 1 to 8.');
  }
  return value;
}

function parseReferences(value: unknown): vscode.Uri[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new Error('The "references" argument must be an array of URIs or paths.');
  return value.map((item) => toUri(item));
}

/** A Uri, a URI string ("file:///…"), an absolute path, or a path relative to the first workspace folder. */
export function toUri(item: unknown): vscode.Uri {
  if (item instanceof vscode.Uri) return item;
  if (typeof item === 'object' && item !== null && 'scheme' in item && 'path' in item) {
    return vscode.Uri.from(item as { scheme: string; path: string });
  }
  if (typeof item !== 'string' || item.trim() === '') throw new Error('Each reference must be a URI or a file path.');
  if (/^[a-zA-Z][\w+.-]+:\/\//.test(item)) return vscode.Uri.parse(item, true);
  if (/^([a-zA-Z]:[\\/]|\/)/.test(item)) return vscode.Uri.file(item);
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) throw new Error(`"${item}" is a relative path, but no folder is open.`);
  return vscode.Uri.joinPath(folder.uri, ...item.split(/[\\/]+/));
}
