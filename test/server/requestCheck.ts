// Checks a generateContent body the way Google's JSON parser and the image models do, and says what was asked.
import { sniffImage } from './imageFactory';
import { ImageSize, ServerModel } from './models';

/** A refusal: the HTTP status and Google's message text. */
export class RequestProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** An inline image found in the request. */
export interface RequestImage {
  readonly role: string;
  readonly mimeType: string;
  readonly bytes: Buffer;
}

/** What a valid request asks for. */
export interface ImageRequest {
  readonly prompt: string;
  readonly images: readonly RequestImage[];
  readonly wantsText: boolean;
  readonly wantsImage: boolean;
  readonly aspectRatio: string;
  readonly imageSize: ImageSize;
  readonly outputFormat: 'png' | 'jpeg';
  readonly words: number;
  readonly thinkingLevel?: string;
  /** tools: [{googleSearch: {}}] was sent. */
  readonly grounding: boolean;
}

type FieldType =
  | 'string'
  | 'int32'
  | 'float'
  | 'bool'
  | 'bytes'
  | 'modality'
  | { readonly message: Schema }
  | { readonly repeated: FieldType };

/** Fields of a proto message by their proto (snake_case) name; JSON accepts this and the lowerCamelCase spelling. */
type Schema = Readonly<Record<string, FieldType>>;

const BLOB: Schema = { mime_type: 'string', data: 'bytes' };
const FILE_DATA: Schema = { mime_type: 'string', file_uri: 'string' };
const PART: Schema = {
  text: 'string',
  inline_data: { message: BLOB },
  file_data: { message: FILE_DATA },
  thought: 'bool',
  thought_signature: 'bytes',
};
const CONTENT: Schema = { role: 'string', parts: { repeated: { message: PART } } };
const IMAGE_CONFIG: Schema = {
  aspect_ratio: 'string',
  image_size: 'string',
  // A gateway field (the seed gateway documents it); Google itself refuses it (GOOGLE_IMAGE_CONFIG).
  output_format: 'string',
};
/** Google's own ImageConfig has no output format: `400 Unknown name "outputFormat"`. */
const GOOGLE_IMAGE_CONFIG: Schema = { aspect_ratio: 'string', image_size: 'string' };
const TOOL: Schema = { google_search: { message: {} }, google_search_retrieval: { message: {} }, code_execution: { message: {} } };
const THINKING_CONFIG: Schema = { include_thoughts: 'bool', thinking_budget: 'int32', thinking_level: 'string' };
const GENERATION_CONFIG: Schema = {
  response_modalities: { repeated: 'modality' },
  candidate_count: 'int32',
  temperature: 'float',
  top_p: 'float',
  top_k: 'int32',
  seed: 'int32',
  max_output_tokens: 'int32',
  stop_sequences: { repeated: 'string' },
  response_mime_type: 'string',
  image_config: { message: IMAGE_CONFIG },
  thinking_config: { message: THINKING_CONFIG },
};
const SAFETY_SETTING: Schema = { category: 'string', threshold: 'string' };
const REQUEST: Schema = {
  contents: { repeated: { message: CONTENT } },
  generation_config: { message: GENERATION_CONFIG },
  safety_settings: { repeated: { message: SAFETY_SETTING } },
  system_instruction: { message: CONTENT },
  tools: { repeated: { message: TOOL } },
};
const GOOGLE_REQUEST: Schema = {
  ...REQUEST,
  generation_config: { message: { ...GENERATION_CONFIG, image_config: { message: GOOGLE_IMAGE_CONFIG } } },
};

function camel(snake: string): string {
  return snake.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}

function invalid(path: string, type: string, value: unknown): RequestProblem {
  return new RequestProblem(400, `Invalid JSON payload received. Invalid value at '${path}' (${type}), ${describe(value)}`);
}

// Standard or URL-safe alphabet, padding optional: what proto3 JSON accepts for bytes.
const BASE64 = /^[A-Za-z0-9+/\-_]*={0,2}$/;

export function decodeBase64(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  if (text.includes('=') && text.length % 4 !== 0) return undefined;
  return Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** Walks the body against the schema: unknown names, wrong types, undecodable bytes. */
function checkMessage(value: unknown, schema: Schema, path: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RequestProblem(400, `Invalid JSON payload received. Expected an object at '${path || 'request'}', got ${describe(value)}.`);
  }
  const seen = new Set<string>();
  for (const [name, fieldValue] of Object.entries(value as Record<string, unknown>)) {
    const protoName = snake(name);
    const type = schema[protoName];
    if (type === undefined || (name !== protoName && name !== camel(protoName))) {
      const where = path ? ` at '${path}'` : '';
      throw new RequestProblem(400, `Invalid JSON payload received. Unknown name "${name}"${where}: Cannot find field.`);
    }
    if (seen.has(protoName)) {
      throw new RequestProblem(400, `Invalid JSON payload received. Duplicate field "${name}"${path ? ` at '${path}'` : ''}.`);
    }
    seen.add(protoName);
    if (fieldValue === null) continue;
    checkValue(fieldValue, type, path ? `${path}.${protoName}` : protoName);
  }
}

function checkValue(value: unknown, type: FieldType, path: string): void {
  if (typeof type === 'object') {
    if ('repeated' in type) {
      if (!Array.isArray(value)) throw invalid(path, 'TYPE_ARRAY', value);
      value.forEach((item, index) => checkValue(item, type.repeated, `${path}[${index}]`));
      return;
    }
    checkMessage(value, type.message, path);
    return;
  }
  switch (type) {
    case 'string':
      if (typeof value !== 'string') throw invalid(path, 'TYPE_STRING', value);
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw invalid(path, 'TYPE_BOOL', value);
      return;
    case 'int32':
      if (!(typeof value === 'number' && Number.isInteger(value)) && !(typeof value === 'string' && /^-?\d+$/.test(value))) {
        throw invalid(path, 'TYPE_INT32', value);
      }
      return;
    case 'float':
      if (typeof value !== 'number' && !(typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)))) {
        throw invalid(path, 'TYPE_FLOAT', value);
      }
      return;
    case 'bytes':
      if (typeof value !== 'string' || decodeBase64(value) === undefined) {
        const shown = typeof value === 'string' ? value.slice(0, 20) : value;
        throw new RequestProblem(400, `Invalid value at '${path}' (TYPE_BYTES), Base64 decoding failed for ${describe(shown)}`);
      }
      return;
    case 'modality':
      if (value !== 'TEXT' && value !== 'IMAGE') {
        throw invalid(path, 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerationConfig.Modality', value);
      }
      return;
  }
}

/** Reads a field by either spelling. */
function field(object: unknown, protoName: string): unknown {
  if (typeof object !== 'object' || object === null) return undefined;
  const record = object as Record<string, unknown>;
  return record[camel(protoName)] ?? record[protoName];
}

export const SUPPORTED_INPUT_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/heic', 'image/heif'];
export const MAX_REQUEST_BYTES = 20 * 1024 * 1024;
/** Google's inline request limit since 2026-01-08. */
export const GOOGLE_MAX_REQUEST_BYTES = 100 * 1024 * 1024;

/** Checks the parsed body against the schema (Google's own, or a gateway's with outputFormat) and the model's abilities. */
export function checkRequest(body: unknown, model: ServerModel, provider: 'gateway' | 'google' = 'gateway'): ImageRequest {
  checkMessage(body, provider === 'google' ? GOOGLE_REQUEST : REQUEST, '');
  const contents = (field(body, 'contents') as unknown[] | undefined) ?? [];
  if (contents.length === 0) {
    throw new RequestProblem(400, '* GenerateContentRequest.contents: contents is not specified\n');
  }
  const images: RequestImage[] = [];
  const texts: string[] = [];
  contents.forEach((content, index) => {
    const role = (field(content, 'role') as string | undefined) ?? 'user';
    if (role !== 'user' && role !== 'model') {
      throw new RequestProblem(400, 'Please use a valid role: user, model.');
    }
    const parts = (field(content, 'parts') as unknown[] | undefined) ?? [];
    if (parts.length === 0) {
      throw new RequestProblem(400, `* GenerateContentRequest.contents[${index}].parts: contents.parts must not be empty.\n`);
    }
    parts.forEach((part, partIndex) => {
      const path = `contents[${index}].parts[${partIndex}]`;
      const text = field(part, 'text') as string | undefined;
      const inline = field(part, 'inline_data');
      const fileData = field(part, 'file_data');
      if (fileData !== undefined) {
        throw new RequestProblem(400, `* GenerateContentRequest.${path}.file_data.file_uri: Invalid or unsupported file uri.\n`);
      }
      if (text === undefined && inline === undefined) {
        throw new RequestProblem(400, `* GenerateContentRequest.${path}.data: required oneof field 'data' must have one initialized field\n`);
      }
      if (text !== undefined && inline !== undefined) {
        throw new RequestProblem(400, `Invalid JSON payload received. Oneof field 'data' is already set. Cannot set 'inline_data' at '${path}'.`);
      }
      if (text !== undefined && role === 'user' && field(part, 'thought') !== true) texts.push(text);
      if (inline !== undefined) {
        const mimeType = (field(inline, 'mime_type') as string | undefined) ?? '';
        const data = decodeBase64((field(inline, 'data') as string | undefined) ?? '') ?? Buffer.alloc(0);
        if (!SUPPORTED_INPUT_TYPES.includes(mimeType)) {
          throw new RequestProblem(400, `Unsupported MIME type: ${mimeType}`);
        }
        if (sniffImage(data) === undefined) {
          throw new RequestProblem(400, 'Unable to process input image. Please retry or report in https://developers.generativeai.google/guide/troubleshooting');
        }
        images.push({ role, mimeType, bytes: data });
      }
    });
  });

  const config = field(body, 'generation_config');
  const candidateCount = field(config, 'candidate_count');
  if (candidateCount !== undefined && Number(candidateCount) > 1) {
    throw new RequestProblem(400, 'Multiple candidates is not enabled for this model.');
  }
  const modalities = (field(config, 'response_modalities') as string[] | undefined) ?? [];
  // No responseModalities: image models answer text and image, as Google's do.
  const wantsImage = modalities.length === 0 ? model.image : modalities.includes('IMAGE');
  const wantsText = modalities.length === 0 || modalities.includes('TEXT');
  if (wantsImage && !model.image) {
    throw new RequestProblem(400, 'Model does not support the requested response modalities: image');
  }

  const imageConfig = field(config, 'image_config');
  const aspectRatio = field(imageConfig, 'aspect_ratio') as string | undefined;
  const imageSize = field(imageConfig, 'image_size') as string | undefined;
  const outputFormat = field(imageConfig, 'output_format') as string | undefined;
  if (aspectRatio !== undefined && !model.aspectRatios.includes(aspectRatio)) {
    throw new RequestProblem(400, `Unsupported aspect ratio "${aspectRatio}" for model ${model.id}. Supported: ${model.aspectRatios.join(', ')}.`);
  }
  if (imageSize !== undefined) {
    if (model.sizes.length === 0) {
      throw new RequestProblem(400, `Invalid JSON payload received. image_size is not supported for model ${model.id}.`);
    }
    if (!(model.sizes as readonly string[]).includes(imageSize)) {
      throw new RequestProblem(400, `Unsupported image size "${imageSize}". Supported: ${model.sizes.join(', ')}.`);
    }
    if (model.fixedSize !== undefined && imageSize !== model.fixedSize) {
      throw new RequestProblem(400, `Model ${model.id} always makes ${model.fixedSize} images; image_size "${imageSize}" conflicts with it.`);
    }
  }
  if (outputFormat !== undefined && outputFormat !== 'png' && outputFormat !== 'jpeg') {
    throw new RequestProblem(400, `Unsupported output format "${outputFormat}". Supported: png, jpeg.`);
  }
  const thinkingLevel = field(field(config, 'thinking_config'), 'thinking_level') as string | undefined;
  if (thinkingLevel !== undefined && !model.thinkingLevels.includes(thinkingLevel)) {
    throw new RequestProblem(
      400,
      model.thinkingLevels.length === 0
        ? `Thinking level is not supported for this model.`
        : `Unsupported thinking level "${thinkingLevel}" for model ${model.id}. Supported: ${model.thinkingLevels.join(', ')}.`,
    );
  }
  const tools = (field(body, 'tools') as unknown[] | undefined) ?? [];
  const grounding = tools.some((tool) => field(tool, 'google_search') !== undefined);
  if (grounding && !model.grounding) {
    throw new RequestProblem(400, `Search as tool is not enabled for models/${model.id}`);
  }
  const references = images.filter((image) => image.role === 'user').length;
  if (references > model.maxReferences) {
    throw new RequestProblem(400, `Too many input images: ${references}. Model ${model.id} accepts at most ${model.maxReferences}.`);
  }
  const prompt = texts.join('\n');
  return {
    prompt,
    images,
    wantsText,
    wantsImage,
    aspectRatio: aspectRatio ?? '1:1',
    imageSize: (imageSize as ImageSize | undefined) ?? model.fixedSize ?? '1K',
    outputFormat: outputFormat === 'jpeg' ? 'jpeg' : 'png',
    words: prompt.split(/\s+/).filter(Boolean).length,
    thinkingLevel,
    grounding,
  };
}
