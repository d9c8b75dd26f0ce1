// Checks every message the webview sends (the webview is untrusted): anything unexpected is refused with a reason.
// No vscode import, so it is unit-tested in plain Node.
import {
  AUTO,
  MAX_PROMPT_BYTES,
  MAX_REFERENCES,
  MAX_VARIANTS,
  type ComposeChoices,
  type ImageAction,
  type ModelChoice,
  type NextStep,
  type PanelCommand,
  type WebviewToHost,
} from '../shared/protocol';
import { MODEL_ID_PATTERN } from '../core/models';

export { MODEL_ID_PATTERN };

export type Validation =
  | { readonly ok: true; readonly message: WebviewToHost }
  /** `requestId` when the refused message had a readable one, so the webview still gets its answer. */
  | { readonly ok: false; readonly reason: string; readonly requestId?: string };

/** What the host offered the webview: choices outside it are refused. */
export interface ValidationContext {
  readonly models: readonly ModelChoice[];
  /** Names of the presets the picker offers (built-in, user, workspace); none when absent. */
  readonly presets?: readonly string[];
}

const MAX_PATH_LENGTH = 1024;
const MAX_DROPPED_URIS = 64;
const MAX_URI_LENGTH = 4096;
const MAX_PATHS = 64;
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const OUTPUT_FORMATS: readonly string[] = ['auto', 'png', 'jpeg'];
const NEXT_STEPS: readonly NextStep[] = ['setToken', 'retry', 'showLog', 'openSettings', 'chooseModel'];
const IMAGE_ACTIONS: readonly ImageAction[] = ['open', 'reveal', 'copyPath'];
const PANEL_COMMANDS: readonly PanelCommand[] = ['setToken', 'showLog', 'openFolder', 'openSettings'];
const DROP_SCHEMES = new Set(['file', 'vscode-remote', 'vscode-vfs', 'vscode-userdata']);

/** Thrown inside the checks and turned into a refusal; never escapes this module. */
class Refusal extends Error {}
/** Refusals thrown here, recognised without `instanceof` (a thrown proxy's getPrototypeOf trap could throw again). */
const refusals = new WeakSet<object>();

type Fields = Record<string, unknown>;

/** Every message type with the fields it may carry (besides `type`), and how to read it. */
const READERS: { readonly [K in WebviewToHost['type']]: (fields: Fields, context: ValidationContext) => Extract<WebviewToHost, { type: K }> } = {
  ready: (fields) => {
    only(fields, []);
    return { type: 'ready' };
  },
  generate: (fields, context) => {
    only(fields, ['requestId', 'prompt', 'choices', 'references'], ['refine']);
    const choices = readChoices(fields.choices, context);
    const model = context.models.find((candidate) => candidate.id === choices.model);
    const references = readPaths(fields.references, 'references', MAX_REFERENCES);
    if (model && references.length > model.maxReferences) {
      refuse(`references: ${choices.model} takes at most ${model.maxReferences} reference images, got ${references.length}`);
    }
    const refine = fields.refine === undefined ? undefined : readWorkspacePath(fields.refine, 'refine');
    return {
      type: 'generate',
      requestId: readId(fields.requestId, 'requestId'),
      prompt: readPrompt(fields.prompt),
      choices,
      references,
      ...(refine === undefined ? {} : { refine }),
    };
  },
  cancel: (fields) => {
    only(fields, ['jobId']);
    return { type: 'cancel', jobId: readId(fields.jobId, 'jobId') };
  },
  jobStep: (fields) => {
    only(fields, ['jobId', 'step']);
    return { type: 'jobStep', jobId: readId(fields.jobId, 'jobId'), step: readEnum(fields.step, 'step', NEXT_STEPS) };
  },
  dismissJob: (fields) => {
    only(fields, ['jobId']);
    return { type: 'dismissJob', jobId: readId(fields.jobId, 'jobId') };
  },
  cancelBatch: (fields) => {
    only(fields, ['batchId']);
    return { type: 'cancelBatch', batchId: readId(fields.batchId, 'batchId') };
  },
  dismissBatch: (fields) => {
    only(fields, ['batchId']);
    return { type: 'dismissBatch', batchId: readId(fields.batchId, 'batchId') };
  },
  openBatchResults: (fields) => {
    only(fields, ['requestId', 'batchId']);
    return { type: 'openBatchResults', requestId: readId(fields.requestId, 'requestId'), batchId: readId(fields.batchId, 'batchId') };
  },
  choose: (fields, context) => {
    only(fields, ['choices']);
    return { type: 'choose', choices: readChoices(fields.choices, context) };
  },
  pickReferences: (fields) => {
    only(fields, ['requestId']);
    return { type: 'pickReferences', requestId: readId(fields.requestId, 'requestId') };
  },
  addReferences: (fields) => {
    only(fields, ['requestId', 'paths']);
    return { type: 'addReferences', requestId: readId(fields.requestId, 'requestId'), paths: readPaths(fields.paths, 'paths', MAX_PATHS) };
  },
  dropReferences: (fields) => {
    only(fields, ['requestId', 'uris']);
    return { type: 'dropReferences', requestId: readId(fields.requestId, 'requestId'), uris: readDroppedUris(fields.uris) };
  },
  removeReference: (fields) => {
    only(fields, ['path']);
    return { type: 'removeReference', path: readWorkspacePath(fields.path, 'path') };
  },
  moveReference: (fields) => {
    only(fields, ['path', 'index']);
    return { type: 'moveReference', path: readWorkspacePath(fields.path, 'path'), index: readInteger(fields.index, 'index', 0, MAX_PATHS) };
  },
  imageAction: (fields) => {
    only(fields, ['requestId', 'action', 'path']);
    return {
      type: 'imageAction',
      requestId: readId(fields.requestId, 'requestId'),
      action: readEnum(fields.action, 'action', IMAGE_ACTIONS),
      path: readWorkspacePath(fields.path, 'path'),
    };
  },
  rescanHistory: (fields) => {
    only(fields, ['requestId']);
    return { type: 'rescanHistory', requestId: readId(fields.requestId, 'requestId') };
  },
  runCommand: (fields) => {
    only(fields, ['command']);
    return { type: 'runCommand', command: readEnum(fields.command, 'command', PANEL_COMMANDS) };
  },
};

/**
 * The message as the host may act on it, or why it was refused (for the log). Never throws: a message with hostile
 * getters, toString/valueOf, a proxy or anything else that fails while being read is refused like any other.
 */
export function validateWebviewMessage(raw: unknown, context: ValidationContext): Validation {
  let type: unknown;
  try {
    if (!isPlainObject(raw)) return refusal(raw, 'not an object');
    const { type: declared, ...fields } = raw;
    type = declared;
    if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(READERS, type)) {
      return refusal(raw, `unknown message type ${describe(type)}`);
    }
    const read = READERS[type as WebviewToHost['type']] as (fields: Fields, context: ValidationContext) => WebviewToHost;
    return { ok: true, message: read(fields, context) };
  } catch (error) {
    const reason = refusals.has(error as object) ? (error as Refusal).message : 'the message could not be read';
    return refusal(raw, typeof type === 'string' ? `${type}: ${reason}` : reason);
  }
}

function refusal(raw: unknown, reason: string): Validation {
  const requestId = safeRequestId(raw);
  return requestId === undefined ? { ok: false, reason } : { ok: false, reason, requestId };
}

/** The message's own `requestId` data property when it is a valid id; no getter, trap or conversion is run. */
function safeRequestId(raw: unknown): string | undefined {
  try {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
    const value = Object.getOwnPropertyDescriptor(raw, 'requestId')?.value as unknown;
    return typeof value === 'string' && ID_PATTERN.test(value) ? value : undefined;
  } catch {
    return undefined; // a proxy's getOwnPropertyDescriptor trap threw
  }
}

/**
 * A workspace path is relative and '/'-separated: no '..' or '.' segments, no leading '/', no drive letter, no
 * scheme (URL), no backslash, no control characters (NUL…). Returns why not, or undefined when it is one.
 */
export function workspacePathProblem(value: string): string | undefined {
  if (value.length === 0) return 'is empty';
  if (value.length > MAX_PATH_LENGTH) return `is longer than ${MAX_PATH_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'contains control characters';
  if (value.includes('\\')) return 'contains a backslash';
  if (value.startsWith('/')) return 'is absolute';
  if (value.startsWith('~')) return 'starts with ~';
  if (/^[A-Za-z]:/.test(value)) return 'starts with a drive letter';
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value)) return 'is a URL';
  const segments = value.split('/');
  if (segments.some((segment) => segment === '..')) return "leaves the workspace ('..')";
  if (segments.some((segment) => segment === '' || segment === '.')) return 'has an empty or "." segment';
  return undefined;
}

function readChoices(value: unknown, context: ValidationContext): ComposeChoices {
  if (!isPlainObject(value)) refuse('choices must be an object');
  only(value, ['model', 'aspectRatio', 'imageSize', 'outputFormat', 'variants'], ['thinkingLevel', 'grounding', 'preset', 'background']);
  const modelId = readString(value.model, 'choices.model', 128);
  if (!MODEL_ID_PATTERN.test(modelId)) refuse(`choices.model ${describe(modelId)} has characters a model id cannot have`);
  const model = context.models.find((candidate) => candidate.id === modelId);
  if (!model) refuse(`choices.model ${describe(modelId)} is not one of the offered models`);
  const aspectRatio = readString(value.aspectRatio, 'choices.aspectRatio', 8);
  if (aspectRatio !== AUTO && !model.aspectRatios.includes(aspectRatio)) {
    refuse(`choices.aspectRatio ${describe(aspectRatio)} is not offered for ${model.id}`);
  }
  const imageSize = readString(value.imageSize, 'choices.imageSize', 8);
  // A size-suffixed model fixes the size: the picker may name it, but nothing else.
  const sizes = model.fixedSize ? [model.fixedSize] : model.imageSizes;
  if (imageSize !== AUTO && !sizes.includes(imageSize)) refuse(`choices.imageSize ${describe(imageSize)} is not offered for ${model.id}`);
  const outputFormat = readEnum(value.outputFormat, 'choices.outputFormat', OUTPUT_FORMATS) as ComposeChoices['outputFormat'];
  const variants = readInteger(value.variants, 'choices.variants', 1, MAX_VARIANTS);
  const thinkingLevel = value.thinkingLevel === undefined ? AUTO : readString(value.thinkingLevel, 'choices.thinkingLevel', 16);
  if (thinkingLevel !== AUTO && !model.thinkingLevels.includes(thinkingLevel)) {
    refuse(`choices.thinkingLevel ${describe(thinkingLevel)} is not offered for ${model.id}`);
  }
  if (value.grounding !== undefined && typeof value.grounding !== 'boolean') refuse('choices.grounding must be true or false');
  const grounding = value.grounding === true;
  if (grounding && !model.grounding) refuse(`choices.grounding is not offered for ${model.id}`);
  const preset = value.preset === undefined ? undefined : readPresetName(value.preset, context);
  if (value.background !== undefined && value.background !== 'transparent') refuse(`choices.background ${describe(value.background)} can only be "transparent"`);
  return {
    model: model.id,
    aspectRatio,
    imageSize,
    outputFormat,
    thinkingLevel,
    grounding,
    variants,
    ...(preset === undefined ? {} : { preset }),
    ...(value.background === 'transparent' ? { background: 'transparent' as const } : {}),
  };
}

/** Exactly the name of a preset the host offered (the host expands the template; the webview only names it). */
function readPresetName(value: unknown, context: ValidationContext): string {
  const name = readString(value, 'choices.preset', 60);
  if (!(context.presets ?? []).includes(name)) refuse(`choices.preset ${describe(name)} is not one of the offered presets`);
  return name;
}

function readPrompt(value: unknown): string {
  if (typeof value !== 'string') refuse('prompt must be a string');
  // Cheap bound before encoding: a UTF-16 unit is at most 3 UTF-8 bytes.
  if (value.length > MAX_PROMPT_BYTES || new TextEncoder().encode(value).length > MAX_PROMPT_BYTES) {
    refuse(`prompt is longer than ${MAX_PROMPT_BYTES / 1024} KB`);
  }
  if (value.trim() === '') refuse('prompt is empty');
  if (value.includes('\u0000')) refuse('prompt contains NUL');
  return value;
}

function readPaths(value: unknown, field: string, max: number): string[] {
  if (!Array.isArray(value)) refuse(`${field} must be an array`);
  if (value.length > max) refuse(`${field} has more than ${max} entries`);
  const paths = value.map((item, index) => readWorkspacePath(item, `${field}[${index}]`));
  if (new Set(paths).size !== paths.length) refuse(`${field} names a file twice`);
  return paths;
}

function readWorkspacePath(value: unknown, field: string): string {
  if (typeof value !== 'string') refuse(`${field} must be a string`);
  const problem = workspacePathProblem(value);
  if (problem) refuse(`${field} ${describe(value)} ${problem}`);
  return value;
}

function readDroppedUris(value: unknown): string[] {
  if (!Array.isArray(value)) refuse('uris must be an array');
  if (value.length === 0 || value.length > MAX_DROPPED_URIS) refuse(`uris must hold 1 to ${MAX_DROPPED_URIS} entries`);
  return value.map((item, index) => {
    const uri = readString(item, `uris[${index}]`, MAX_URI_LENGTH);
    if (/[\u0000-\u001f\u007f]/.test(uri)) refuse(`uris[${index}] contains control characters`);
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
    if (!scheme || !DROP_SCHEMES.has(scheme)) refuse(`uris[${index}] ${describe(uri)} is not a workspace file URI`);
    return uri;
  });
}

function readId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) refuse(`${field} must be 1 to 64 letters, digits, '-' or '_'`);
  return value;
}

function readString(value: unknown, field: string, max: number): string {
  if (typeof value !== 'string') refuse(`${field} must be a string`);
  if (value.length === 0 || value.length > max) refuse(`${field} must be 1 to ${max} characters`);
  return value;
}

function readEnum<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    refuse(`${field} ${describe(value)} is not one of ${allowed.join(', ')}`);
  }
  return value as T;
}

function readInteger(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    refuse(`${field} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

/** Refuses fields the message type does not have, and missing required ones. */
function only(fields: Fields, required: readonly string[], optional: readonly string[] = []): void {
  for (const key of Object.keys(fields)) {
    if (!required.includes(key) && !optional.includes(key)) refuse(`unexpected field ${describe(key)}`);
  }
  for (const key of required) {
    if (!(key in fields)) refuse(`missing field ${key}`);
  }
}

function isPlainObject(value: unknown): value is Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function refuse(reason: string): never {
  const error = new Refusal(reason);
  refusals.add(error);
  throw error;
}

/** A short, log-safe rendering of an untrusted value. */
function describe(value: unknown): string {
  // Only primitives are turned into text: an object's toString or valueOf is the sender's code.
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined || value === null
        ? String(value)
        : `(${Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`})`;
  const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
  return JSON.stringify(shown);
}
