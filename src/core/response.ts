// Reads a generateContent answer: images validated and sniffed, drafts skipped, refusals and blocks made into errors.
import { findDataUrls } from './dataUrls';
import { ImageError } from './errors';
import type { ApiContent, GeneratedImage, ImageFormat, ImageResult, Usage } from './imageJob';
import { mimeTypeOf, sniffImageType } from './sniff';

const OUTPUT_FORMATS: readonly string[] = ['png', 'jpeg', 'webp', 'gif'];

export interface ParsedAnswer<I = GeneratedImage> {
  readonly images: I[];
  readonly texts: string[];
  /** One per candidate that had one. */
  readonly finishReasons: string[];
  readonly finishMessages: string[];
  readonly candidateCount: number;
  readonly blockReason?: string;
  readonly blockReasonMessage?: string;
  readonly usage?: Usage;
  /** The first candidate's content exactly as it came (thoughtSignature and all), for a refinement turn. */
  readonly modelTurn?: ApiContent;
  /** Image parts that could not be used, described for the log and for the error when nothing else came. */
  readonly problems: string[];
  readonly draftsSkipped: number;
}

/** Parses the body text; a body that is not JSON becomes a malformedAnswer naming the host, with a short excerpt. */
export function parseAnswerJson(text: string, host: string, status: number): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    const what = text.trim() === '' ? 'an empty answer' : `an answer that is not JSON ("${excerpt(text)}")`;
    throw new ImageError(
      'malformedAnswer',
      `${host} sent ${what} (HTTP ${status}). Check that geminiImage.baseUrl points at a Gemini-compatible API, or try again.`,
      { host, status, cause },
    );
  }
}

/** What a streamed image's data turned into; parseAnswer turns problems into messages naming the part. */
export type StreamedImageOutcome<S> =
  | { readonly image: S }
  | { readonly problem: 'noData' | 'invalid' | 'notImage' | 'overLimit'; readonly type?: string };

/**
 * Reads an image `data` value that is not a base64 string (the streaming parser put a placeholder there);
 * undefined for ordinary values.
 */
export type StreamedImageReader<S> = (data: unknown) => StreamedImageOutcome<S> | undefined;

/**
 * Everything the answer holds; throws malformedAnswer when it is not a generateContent answer at all.
 * `streamed` reads image data that was decoded while the answer arrived.
 */
export function parseAnswer(json: unknown, host: string): ParsedAnswer;
export function parseAnswer<S>(json: unknown, host: string, streamed: StreamedImageReader<S>): ParsedAnswer<GeneratedImage | S>;
export function parseAnswer<S>(json: unknown, host: string, streamed?: StreamedImageReader<S>): ParsedAnswer<GeneratedImage | S> {
  if (!isObject(json) || (!Array.isArray(json.candidates) && !isObject(json.promptFeedback))) {
    throw new ImageError(
      'malformedAnswer',
      `${host} answered without candidates or promptFeedback, so it is not a generateContent answer. Check geminiImage.baseUrl.`,
      { host },
    );
  }
  const images: (GeneratedImage | S)[] = [];
  const texts: string[] = [];
  const finishReasons: string[] = [];
  const finishMessages: string[] = [];
  const problems: string[] = [];
  let draftsSkipped = 0;
  let modelTurn: ApiContent | undefined;
  const candidates = Array.isArray(json.candidates) ? json.candidates : [];
  for (const candidate of candidates) {
    if (!isObject(candidate)) continue;
    if (typeof candidate.finishReason === 'string') finishReasons.push(candidate.finishReason);
    if (typeof candidate.finishMessage === 'string' && candidate.finishMessage !== '') finishMessages.push(candidate.finishMessage);
    const content = candidate.content;
    if (!isObject(content) || !Array.isArray(content.parts)) continue;
    const parts = content.parts.filter(isObject);
    modelTurn ??= { role: 'model', parts };
    for (const part of parts) {
      if (part.thought === true) {
        draftsSkipped++;
        continue;
      }
      const inline = isObject(part.inlineData) ? part.inlineData : isObject(part.inline_data) ? part.inline_data : undefined;
      if (inline) {
        const declared = typeof inline.mimeType === 'string' ? inline.mimeType : typeof inline.mime_type === 'string' ? inline.mime_type : '';
        const outcome = streamed?.(inline.data);
        const image = outcome ? takeOutcome(outcome, declared, problems) : readImage(inline.data, declared, problems);
        if (image) images.push(image);
      } else if (typeof part.text === 'string') {
        const rest = extractDataUrls(part.text, (image) => images.push(image), problems);
        if (rest.trim() !== '') texts.push(rest.trim());
      }
    }
  }
  const feedback = isObject(json.promptFeedback) ? json.promptFeedback : undefined;
  return {
    images,
    texts,
    finishReasons,
    finishMessages,
    candidateCount: candidates.length,
    blockReason: typeof feedback?.blockReason === 'string' ? feedback.blockReason : undefined,
    blockReasonMessage: typeof feedback?.blockReasonMessage === 'string' ? feedback.blockReasonMessage : undefined,
    usage: readUsage(json.usageMetadata),
    modelTurn,
    problems,
    draftsSkipped,
  };
}

/**
 * The result when at least one image came; otherwise the error that says why not
 * (blocked prompt, refused image, text only, unreadable image data).
 * `sent` is the conversation as sent (earlier turns and this user turn).
 */
export function resultFromAnswer(answer: ParsedAnswer, sent: readonly ApiContent[], host: string): ImageResult;
export function resultFromAnswer<I>(answer: ParsedAnswer<I>, sent: readonly ApiContent[], host: string): Omit<ImageResult, 'images'> & { images: I[] };
export function resultFromAnswer<I>(answer: ParsedAnswer<I>, sent: readonly ApiContent[], host: string): Omit<ImageResult, 'images'> & { images: I[] } {
  if (answer.images.length > 0) {
    return {
      images: answer.images,
      texts: answer.texts,
      finishReasons: answer.finishReasons,
      finishMessages: answer.finishMessages,
      usage: answer.usage,
      conversation: answer.modelTurn ? [...sent, answer.modelTurn] : [...sent],
      warnings: answer.problems,
    };
  }
  const texts = answer.texts;
  if (answer.blockReason) {
    const detail = answer.blockReasonMessage ? `: ${answer.blockReasonMessage}` : '';
    throw new ImageError(
      'blocked',
      `${host} blocked the prompt (${answer.blockReason}${detail}). Rephrase the prompt or change the reference images.`,
      { host, code: answer.blockReason, texts },
    );
  }
  const refusal = answer.finishReasons.find((reason) => reason !== 'STOP' && reason !== 'FINISH_REASON_UNSPECIFIED');
  if (refusal) {
    const message = answer.finishMessages[0];
    const kind = refusal === 'MISSING_THOUGHT_SIGNATURE' ? 'historyRejected' : 'imageRefused';
    throw new ImageError(kind, refusalMessage(refusal, message, host, texts), { host, code: refusal, texts });
  }
  if (answer.problems.length > 0) {
    throw new ImageError(
      'malformedAnswer',
      `${host} sent image data that could not be read (${answer.problems.join('; ')}). Try again.`,
      { host, texts },
    );
  }
  if (texts.length > 0) {
    throw new ImageError(
      'noImage',
      `The model at ${host} answered with text only: "${excerpt(texts.join(' '), 300)}". Ask for an image explicitly (for example "Generate an image of…") or try again.`,
      { host, texts },
    );
  }
  const what = answer.candidateCount === 0 ? 'no candidates' : 'neither an image nor text';
  throw new ImageError('noImage', `The model at ${host} returned ${what}. Try again, or rephrase the prompt.`, { host, texts });
}

function refusalMessage(reason: string, finishMessage: string | undefined, host: string, texts: readonly string[]): string {
  const because = finishMessage ? `: ${finishMessage}` : '';
  const said = texts.length > 0 ? ` It said: "${excerpt(texts.join(' '), 200)}".` : '';
  const tag = `(${reason}${because})`;
  switch (reason) {
    case 'IMAGE_SAFETY':
    case 'SAFETY':
      return `The model at ${host} refused to make this image for safety reasons ${tag}.${said} Rephrase the prompt or change the reference images.`;
    case 'IMAGE_PROHIBITED_CONTENT':
    case 'PROHIBITED_CONTENT':
    case 'BLOCKLIST':
    case 'SPII':
      return `The model at ${host} refused the request as prohibited content ${tag}.${said} Change the prompt or the reference images.`;
    case 'IMAGE_RECITATION':
    case 'RECITATION':
      return `The model at ${host} refused because the image would copy existing material ${tag}.${said} Make the prompt more original.`;
    case 'NO_IMAGE':
      // Google answers a safety block on the flash image models with NO_IMAGE and no content at all.
      if (texts.length === 0 && !finishMessage) {
        return `The model at ${host} made no image and said nothing (${reason}): the request was likely blocked by safety filters. Rephrase the prompt or change the reference images.`;
      }
      return `The model at ${host} made no image ${tag}.${said} Ask for an image explicitly (for example "Generate an image of…").`;
    case 'MISSING_THOUGHT_SIGNATURE':
      return `The model at ${host} refused the earlier turns sent to refine this image ${tag}: a part lost its thought signature. Start a new image instead of refining this one.`;
    case 'MAX_TOKENS':
      return `The answer from ${host} was cut off before an image ${tag}.${said} Try again or ask for less text.`;
    case 'IMAGE_OTHER':
    case 'OTHER':
      return `The model at ${host} stopped without an image ${tag}.${said} Try again or rephrase the prompt.`;
    default:
      return `The model at ${host} stopped without an image (finishReason ${reason}${because}).${said} Try again or rephrase the prompt.`;
  }
}

function readImage(data: unknown, declared: string, problems: string[]): GeneratedImage | undefined {
  if (typeof data !== 'string' || data.length === 0) return takeOutcome({ problem: 'noData' }, declared, problems);
  const bytes = decodeBase64(data);
  if (!bytes) return takeOutcome({ problem: 'invalid' }, declared, problems);
  const type = sniffImageType(bytes);
  if (!type || !OUTPUT_FORMATS.includes(type)) return takeOutcome({ problem: 'notImage', type }, declared, problems);
  const format = type as ImageFormat;
  return { bytes, format, mimeType: mimeTypeOf(format) };
}

/** The image, or undefined with the problem described (naming the declared type) for the log and the error. */
function takeOutcome<S>(outcome: StreamedImageOutcome<S>, declared: string, problems: string[]): S | undefined {
  if ('image' in outcome) return outcome.image;
  // Images over the per-answer cap are counted by the stream writer and reported once, not once per part.
  if (outcome.problem === 'overLimit') return undefined;
  const label = declared || 'no mime type';
  if (outcome.problem === 'noData') problems.push(`an image part (${label}) had no data`);
  else if (outcome.problem === 'invalid') problems.push(`an image part (${label}) was not valid base64`);
  else problems.push(`an image part (${label}) is ${outcome.type ? `a ${outcome.type.toUpperCase()} file` : 'not a PNG, JPEG, WebP or GIF image'}`);
  return undefined;
}

/** Strict base64 (standard or URL-safe alphabet, padding optional); undefined when it is not. */
export function decodeBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/');
  if (compact.length === 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return undefined;
  const padded = compact.endsWith('=') ? compact : compact + '='.repeat((4 - (compact.length % 4)) % 4);
  if (padded.length % 4 !== 0 || compact.length % 4 === 1) return undefined;
  return new Uint8Array(Buffer.from(padded, 'base64'));
}

/** Some gateways put images into text as `![image](data:image/png;base64,…)`: take them out, keep the rest. */
function extractDataUrls(text: string, found: (image: GeneratedImage) => void, problems: string[]): string {
  const spans = findDataUrls(text);
  if (spans.length === 0) return text;
  const kept: string[] = [];
  let from = 0;
  for (const span of spans) {
    kept.push(text.slice(from, span.start));
    const image = readImage(span.data, 'data URL in text', problems);
    if (image) found(image);
    from = span.end;
  }
  kept.push(text.slice(from));
  return kept.join('');
}

function readUsage(value: unknown): Usage | undefined {
  if (!isObject(value)) return undefined;
  const usage: { -readonly [K in keyof Usage]: Usage[K] } = {};
  for (const key of ['promptTokenCount', 'candidatesTokenCount', 'totalTokenCount', 'thoughtsTokenCount'] as const) {
    if (typeof value[key] === 'number') usage[key] = value[key];
  }
  return usage;
}

/** How much of a body excerpt() reads: an error page's title and first words are near its start. */
export const EXCERPT_SCAN_CHARS = 8192;

/**
 * A short single-line piece of a body for messages (an HTML page's title or text, runs of spaces collapsed).
 * Only the first EXCERPT_SCAN_CHARS characters are read, and every pattern is linear: a hostile page costs nothing.
 */
export function excerpt(text: string, max = 160): string {
  const head = text.length > EXCERPT_SCAN_CHARS ? text.slice(0, endOfWholeCharacter(text, EXCERPT_SCAN_CHARS)) : text;
  const html = /^\s*</.test(head) && /<(!doctype|html|head|body|title|h1|center|p)\b/i.test(head);
  // ASCII-only lowering keeps every index the same (toLowerCase can lengthen some characters).
  const lower = html ? head.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()) : '';
  const title = html ? htmlTitle(head, lower) : undefined;
  // A tag cut at the end of the head is dropped too.
  const tagless = html ? withoutBlocks(head, lower, ['script', 'style']).replace(/<[^<>]*(>|$)/g, ' ') : head;
  const plain = (title ?? tagless)
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ')
    .trim();
  return plain.length > max ? `${plain.slice(0, endOfWholeCharacter(plain, max - 1))}…` : plain;
}

/** The text of the first `<title>…</title>`, found with indexOf (a lazy regex is quadratic on many open tags). */
function htmlTitle(head: string, lower: string): string | undefined {
  const open = lower.indexOf('<title');
  if (open < 0) return undefined;
  const start = head.indexOf('>', open);
  const end = start < 0 ? -1 : lower.indexOf('</title>', start);
  return end < 0 ? undefined : head.slice(start + 1, end);
}

/** The text with each `<name …>…</name>` block replaced by a space; an unclosed block is left to the tag stripper. */
function withoutBlocks(head: string, lower: string, names: readonly string[]): string {
  const pieces: string[] = [];
  // The next closed block of each kind, found once and reused until passed: every search moves forward.
  const found = new Map<string, { start: number; end: number } | undefined>();
  let from = 0;
  for (;;) {
    let next: { start: number; end: number } | undefined;
    for (const name of names) {
      let block = found.get(name);
      if (!found.has(name) || (block && block.start < from)) {
        const start = lower.indexOf(`<${name}`, from);
        const close = start < 0 ? -1 : lower.indexOf(`</${name}>`, start);
        block = close < 0 ? undefined : { start, end: close + name.length + 3 };
        found.set(name, block);
      }
      if (block && (!next || block.start < next.start)) next = block;
    }
    if (!next) break;
    pieces.push(head.slice(from, next.start), ' ');
    from = next.end;
  }
  pieces.push(head.slice(from));
  return pieces.join('');
}

/** `at`, or one less when `at` would split a surrogate pair. */
function endOfWholeCharacter(text: string, at: number): number {
  const code = text.charCodeAt(at - 1);
  return code >= 0xd800 && code <= 0xdbff ? at - 1 : at;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
