// The recipe of a generated image, carried inside the file: a PNG iTXt chunk or a JPEG COM segment.
import type { Usage } from './imageJob';

export const RECIPE_KEYWORD = 'gemini-image-studio';
const JPEG_PREFIX = `${RECIPE_KEYWORD}:`;
const MAX_JPEG_COMMENT = 65533;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface Recipe {
  readonly version: 1;
  /** The prompt as sent (expanded from the preset's template when there is one). */
  readonly prompt: string;
  /** The preset the prompt came from. */
  readonly preset?: string;
  readonly model: string;
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  readonly outputFormat?: string;
  readonly thinkingLevel?: string;
  /** Google Search grounding was on. */
  readonly grounding?: boolean;
  /** File names of the reference images, in the order they were sent. */
  readonly references: readonly string[];
  readonly usage?: Usage;
  /** ISO time the image arrived. */
  readonly createdAt: string;
  /** Workspace-relative path of the image this one refines, if any. */
  readonly refinedFrom?: string;
  /** Where the image was downloaded from (origin and path) when the provider answered with a link instead. */
  readonly link?: string;
  /** The Batch API job the image came from (`batches/…`), for images made at batch price. */
  readonly batch?: string;
  /** "transparent": the prompt asked for a flat key colour, removed after the image arrived. */
  readonly background?: 'transparent';
  /** The key colour asked for (`#RRGGBB`). */
  readonly keyColour?: string;
}

/** The fewest bytes before the recipe: after IHDR in a PNG, after SOI in a JPEG (recipeOffset finds the real place). */
const MIN_OFFSET: Readonly<Record<string, number>> = { png: 33, jpeg: 2 };

/**
 * The bytes to insert and the least offset they go at (see recipeOffset for the place in a given file); undefined
 * for other formats, or when the recipe cannot be made to fit.
 */
export function recipeInsertion(format: string, recipe: Recipe): { offset: number; bytes: Uint8Array } | undefined {
  const bytes = format === 'png' ? pngTextChunk(recipe) : format === 'jpeg' ? jpegComment(recipe) : undefined;
  return bytes && { offset: MIN_OFFSET[format], bytes };
}

/** Header segments a JPEG keeps first: JFIF (APP0) and EXIF (APP1) readers expect them right after SOI. */
const LEADING_JPEG_SEGMENTS = new Set([0xe0, 0xe1]);

/**
 * Where the recipe goes in a file that starts with `head`: after IHDR in a PNG; in a JPEG after SOI and the APP0/APP1
 * (JFIF/EXIF) segments that follow it, so those stay first. 'more' when `head` ends before that is known; undefined
 * when the bytes are not the format's.
 */
export function recipeOffset(format: string, head: Uint8Array): number | 'more' | undefined {
  if (format === 'png') return head.length < 33 ? 'more' : 33;
  if (format !== 'jpeg') return undefined;
  if (head.length < 2) return 'more';
  if (head[0] !== 0xff || head[1] !== 0xd8) return undefined;
  let offset = 2;
  for (;;) {
    if (head.length < offset + 4) return 'more';
    if (head[offset] !== 0xff || !LEADING_JPEG_SEGMENTS.has(head[offset + 1])) return offset;
    const length = (head[offset + 2] << 8) | head[offset + 3];
    if (length < 2) return offset; // a broken segment: keep the recipe before it
    offset += 2 + length;
  }
}

/** Room kept beyond the recipe known when an image starts to arrive: its usage only comes at the end of the answer. */
const RECIPE_ROOM = 512;

/**
 * The recipe bytes to write while an image streams in, padded so that the final recipe (with usage) can later be
 * written over them at the same length: see recipeInsertionOfLength. Undefined for formats without a place for it.
 */
export function recipeSlot(format: string, recipe: Recipe): { offset: number; bytes: Uint8Array } | undefined {
  const plain = recipeInsertion(format, recipe);
  if (!plain) return undefined;
  const length = Math.min(plain.bytes.length + RECIPE_ROOM, format === 'jpeg' ? MAX_JPEG_COMMENT + 4 : Number.MAX_SAFE_INTEGER);
  const bytes = recipeInsertionOfLength(format, recipe, length);
  return bytes && { offset: plain.offset, bytes };
}

/**
 * The recipe chunk (PNG iTXt) or segment (JPEG COM) exactly `length` bytes long, the JSON padded with spaces.
 * When the recipe does not fit, its usage is left out, then its prompt shortened; undefined if even that fails.
 */
export function recipeInsertionOfLength(format: string, recipe: Recipe, length: number): Uint8Array | undefined {
  const overhead = format === 'png' ? 12 + RECIPE_KEYWORD.length + 5 : format === 'jpeg' ? 4 + JPEG_PREFIX.length : -1;
  const room = length - overhead;
  if (overhead < 0 || room < 2 || (format === 'jpeg' && length > MAX_JPEG_COMMENT + 4)) return undefined;
  const bounded = boundedRecipe(recipe);
  for (const candidate of [bounded, { ...bounded, usage: undefined }]) {
    const text = recipeJson(candidate, room);
    if (!text) continue;
    const padded = new Uint8Array(room).fill(0x20);
    padded.set(text, 0);
    return format === 'png' ? pngTextChunkOf(padded) : jpegSegmentOf(new TextEncoder().encode(JPEG_PREFIX), padded);
  }
  return undefined;
}

/**
 * Longest text each field but the prompt keeps (in UTF-16 units, cut at a whole character): with these, everything
 * but the prompt needs at most ~30 KB of JSON even when every character is escaped, so a JPEG comment (64 KiB)
 * always has room, and a 70 KB model id can no longer overflow the segment's 16-bit length.
 */
export const RECIPE_FIELD_LIMITS = { model: 128, option: 32, reference: 200, references: 16, refinedFrom: 1024, link: 300, batch: 200, createdAt: 40 } as const;

/** The recipe with every field but the prompt cut to RECIPE_FIELD_LIMITS (the prompt is shortened to fit instead). */
export function boundedRecipe(recipe: Recipe): Recipe {
  const limits = RECIPE_FIELD_LIMITS;
  const option = (value: string | undefined): string | undefined => (value === undefined ? undefined : cutText(String(value), limits.option));
  const bounded: Recipe = {
    ...recipe,
    model: cutText(String(recipe.model), limits.model),
    references: recipe.references.slice(0, limits.references).map((name) => cutText(String(name), limits.reference)),
    createdAt: cutText(String(recipe.createdAt), limits.createdAt),
  };
  const optional: Partial<Record<'aspectRatio' | 'imageSize' | 'outputFormat' | 'refinedFrom' | 'link' | 'batch', string>> = {};
  if (recipe.aspectRatio !== undefined) optional.aspectRatio = option(recipe.aspectRatio);
  if (recipe.imageSize !== undefined) optional.imageSize = option(recipe.imageSize);
  if (recipe.outputFormat !== undefined) optional.outputFormat = option(recipe.outputFormat);
  if (recipe.refinedFrom !== undefined) optional.refinedFrom = cutText(String(recipe.refinedFrom), limits.refinedFrom);
  if (recipe.link !== undefined) optional.link = cutText(String(recipe.link), limits.link);
  if (recipe.batch !== undefined) optional.batch = cutText(String(recipe.batch), limits.batch);
  return { ...bounded, ...optional };
}

/**
 * The recipe's JSON in UTF-8, at most `room` bytes: the prompt is cut (whole code points, ending in "…") by what its
 * characters cost as JSON, then the result is measured again; undefined when even an empty prompt does not fit.
 */
function recipeJson(recipe: Recipe, room: number): Uint8Array | undefined {
  const encoder = new TextEncoder();
  const whole = encoder.encode(JSON.stringify(recipe));
  if (whole.length <= room) return whole;
  const withoutPrompt = encoder.encode(JSON.stringify({ ...recipe, prompt: '' })).length;
  const ellipsis = 3;
  const budget = room - withoutPrompt - ellipsis;
  if (budget < 0) return undefined;
  const text = encoder.encode(JSON.stringify({ ...recipe, prompt: `${cutJsonString(recipe.prompt, budget)}…` }));
  return text.length <= room ? text : undefined;
}

/** The longest start of `text` of whole code points whose JSON-escaped UTF-8 (without quotes) is at most `maxBytes`. */
export function cutJsonString(text: string, maxBytes: number): string {
  let bytes = 0;
  let index = 0;
  while (index < text.length) {
    const code = text.codePointAt(index) ?? 0;
    const size = jsonSize(code);
    if (bytes + size > maxBytes) break;
    bytes += size;
    index += code >= 0x10000 ? 2 : 1;
  }
  return text.slice(0, index);
}

/** Bytes JSON.stringify spends on one code point: escapes for quote, backslash, controls and lone surrogates. */
function jsonSize(code: number): number {
  if (code === 0x22 || code === 0x5c || code === 0x08 || code === 0x09 || code === 0x0a || code === 0x0c || code === 0x0d) return 2;
  if (code < 0x20 || (code >= 0xd800 && code <= 0xdfff)) return 6;
  return code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
}

/** `text` cut to `max` UTF-16 units at a whole character, with "…" when cut. */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max - 1;
  const code = text.charCodeAt(end - 1);
  return `${text.slice(0, code >= 0xd800 && code <= 0xdbff ? end - 1 : end)}…`;
}

/** Returns the image with its recipe embedded; formats without a place for it come back unchanged. */
export function embedRecipe(image: Uint8Array, format: string, recipe: Recipe): Uint8Array {
  const insertion = recipeInsertion(format, recipe);
  if (!insertion || !hasExpectedHeader(image, format)) return image;
  const found = recipeOffset(format, image);
  // A header that runs past the end of the file (a damaged image) gets the recipe at the least offset.
  const offset = typeof found === 'number' ? found : insertion.offset;
  const result = new Uint8Array(image.length + insertion.bytes.length);
  result.set(image.subarray(0, offset), 0);
  result.set(insertion.bytes, offset);
  result.set(image.subarray(offset), offset + insertion.bytes.length);
  return result;
}

/** Finds our recipe in a PNG or JPEG file, or undefined when there is none (or it is damaged). */
export function readRecipe(image: Uint8Array): Recipe | undefined {
  const text = isPng(image) ? findPngText(image) : isJpeg(image) ? findJpegComment(image) : undefined;
  if (text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as Partial<Recipe>;
    if (parsed.version !== 1 || typeof parsed.prompt !== 'string' || typeof parsed.model !== 'string') return undefined;
    return { ...parsed, references: Array.isArray(parsed.references) ? parsed.references : [] } as Recipe;
  } catch {
    return undefined;
  }
}

/** The image as it arrived, without the recipe we inserted (for comparing with the provider's bytes). */
export function removeRecipe(image: Uint8Array): Uint8Array {
  const span = isPng(image) ? pngRecipeSpan(image) : isJpeg(image) ? jpegRecipeSpan(image) : undefined;
  if (!span) return image;
  const result = new Uint8Array(image.length - (span.end - span.start));
  result.set(image.subarray(0, span.start), 0);
  result.set(image.subarray(span.end), span.start);
  return result;
}

function pngRecipeSpan(image: Uint8Array): { start: number; end: number } | undefined {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  for (let offset = 8; offset + 12 <= image.length; ) {
    const length = view.getUint32(offset);
    const type = ascii(image, offset + 4, 4);
    const end = offset + 12 + length;
    if (end > image.length || type === 'IDAT' || type === 'IEND') return undefined;
    if (type === 'iTXt' && parseITxt(image.subarray(offset + 8, offset + 8 + length)) !== undefined) return { start: offset, end };
    offset = end;
  }
  return undefined;
}

function jpegRecipeSpan(image: Uint8Array): { start: number; end: number } | undefined {
  for (let offset = 2; offset + 4 <= image.length && image[offset] === 0xff; ) {
    const marker = image[offset + 1];
    if (marker === 0xda || marker === 0xd9) return undefined;
    const end = offset + 2 + ((image[offset + 2] << 8) | image[offset + 3]);
    if (marker === 0xfe && new TextDecoder().decode(image.subarray(offset + 4, Math.min(end, offset + 4 + JPEG_PREFIX.length))) === JPEG_PREFIX) {
      return { start: offset, end };
    }
    offset = end;
  }
  return undefined;
}

function hasExpectedHeader(image: Uint8Array, format: string): boolean {
  if (format === 'png') return isPng(image) && image.length >= 33 && ascii(image, 12, 4) === 'IHDR';
  if (format === 'jpeg') return isJpeg(image);
  return false;
}

function isPng(image: Uint8Array): boolean {
  return image.length >= 8 && PNG_SIGNATURE.every((byte, index) => image[index] === byte);
}

function isJpeg(image: Uint8Array): boolean {
  return image.length >= 3 && image[0] === 0xff && image[1] === 0xd8 && image[2] === 0xff;
}

/** iTXt lengths are 31-bit, so nothing wraps; the same field limits keep a hostile model id from bloating the file. */
function pngTextChunk(recipe: Recipe): Uint8Array {
  return pngTextChunkOf(new TextEncoder().encode(JSON.stringify(boundedRecipe(recipe))));
}

function pngTextChunkOf(text: Uint8Array): Uint8Array {
  // iTXt: keyword, NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, UTF-8 text.
  const keyword = new TextEncoder().encode(RECIPE_KEYWORD);
  const data = new Uint8Array(keyword.length + 5 + text.length);
  data.set(keyword, 0);
  data.set(text, keyword.length + 5);
  return pngChunk('iTXt', data);
}

function pngChunk(type: string, data: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(12 + data.length);
  const view = new DataView(chunk.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) chunk[4 + i] = type.charCodeAt(i);
  chunk.set(data, 8);
  view.setUint32(8 + data.length, crc32(chunk.subarray(4, 8 + data.length)));
  return chunk;
}

function findPngText(image: Uint8Array): string | undefined {
  const view = new DataView(image.buffer, image.byteOffset, image.byteLength);
  let offset = 8;
  while (offset + 12 <= image.length) {
    const length = view.getUint32(offset);
    const type = ascii(image, offset + 4, 4);
    const dataStart = offset + 8;
    if (dataStart + length + 4 > image.length) return undefined;
    if (type === 'iTXt') {
      const data = image.subarray(dataStart, dataStart + length);
      const text = parseITxt(data);
      if (text !== undefined) return text;
    }
    if (type === 'IDAT' || type === 'IEND') return undefined;
    offset = dataStart + length + 4;
  }
  return undefined;
}

function parseITxt(data: Uint8Array): string | undefined {
  const keywordEnd = data.indexOf(0);
  if (keywordEnd < 0 || new TextDecoder('latin1').decode(data.subarray(0, keywordEnd)) !== RECIPE_KEYWORD) return undefined;
  if (data[keywordEnd + 1] !== 0) return undefined; // compressed text is not ours
  const languageEnd = data.indexOf(0, keywordEnd + 3);
  const translatedEnd = languageEnd < 0 ? -1 : data.indexOf(0, languageEnd + 1);
  if (translatedEnd < 0) return undefined;
  return new TextDecoder().decode(data.subarray(translatedEnd + 1));
}

/** A COM segment holds 64 KiB at most: the prompt is shortened to fit; undefined if the recipe cannot fit at all. */
function jpegComment(recipe: Recipe): Uint8Array | undefined {
  const prefix = new TextEncoder().encode(JPEG_PREFIX);
  const text = recipeJson(boundedRecipe(recipe), MAX_JPEG_COMMENT - prefix.length);
  return text && jpegSegmentOf(prefix, text);
}

function jpegSegmentOf(...pieces: Uint8Array[]): Uint8Array {
  const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
  // The segment length is 16 bits: a longer one would wrap and corrupt the file, so it is a bug to get here.
  if (length > MAX_JPEG_COMMENT) throw new RangeError(`a JPEG comment of ${length} bytes does not fit in a segment`);
  const segment = new Uint8Array(4 + length);
  segment[0] = 0xff;
  segment[1] = 0xfe;
  new DataView(segment.buffer).setUint16(2, length + 2);
  let at = 4;
  for (const piece of pieces) {
    segment.set(piece, at);
    at += piece.length;
  }
  return segment;
}

function findJpegComment(image: Uint8Array): string | undefined {
  let offset = 2;
  while (offset + 4 <= image.length && image[offset] === 0xff) {
    const marker = image[offset + 1];
    if (marker === 0xda || marker === 0xd9) return undefined; // image data starts: no more header segments
    const length = (image[offset + 2] << 8) | image[offset + 3];
    if (marker === 0xfe) {
      const text = new TextDecoder().decode(image.subarray(offset + 4, offset + 2 + length));
      if (text.startsWith(JPEG_PREFIX)) return text.slice(JPEG_PREFIX.length);
    }
    offset += 2 + length;
  }
  return undefined;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
