// A loopback HTTP server that answers like Gemini's generateContent endpoint, with faults on demand, for tests and demos.
//
// Order of checks for POST /v1beta/models/{model}:generateContent:
//   1. a `?key=` query parameter is refused with 400 (the product must never put the token in the URL, so a
//      request that does is refused loudly, like a proxy that forbids keys in URLs), then
//   2. auth (Authorization: Bearer T or x-goog-api-key: T; missing or wrong -> 401), so a 401 beats any fault;
//   2b. the rate limit (option `rateLimit`, also POST /__admin/options): over it, an immediate 429 RESOURCE_EXHAUSTED
//      with QuotaFailure and RetryInfo as Google sends them (the queued fault waits for the next request);
//   3. the next queued fault, if any, takes effect whatever the body says (simpler for tests);
//      `delay` only waits, then the request carries on normally;
//   4. body size (over 20 MB, or 100 MB as Google -> 400), JSON, unknown model (404), schema and model rules (400);
// Two personalities (option `provider`): 'gateway' (default) takes the gateway field imageConfig.outputFormat and
// serves every model in its table; 'google' answers like Google's own API today: outputFormat is an unknown name
// (400), the limit is 100 MB, and the ids shut down on Google (previews, 2.5 Flash Image, size suffixes) are 404.
//   5. the success answer.
// Images: the prompt text and the references pick the picture; a request counter (mod 8) makes variants of the
// same prompt differ while letting the image cache serve repeated large requests. Recorded `images` are what was
// fully sent: empty for stallBody/cutBody; thoughtDraft's draft is recorded with `thought: true`.
// Every request except /__admin/* is recorded, unknown paths included.
// `replay` answers a recorded real body verbatim (test/fixtures/errors; also POST /__admin/replay); `imageLink` answers
// with a link to GET /__images/{name} on this server instead of inline data (those GETs are recorded with their headers).
// Success answers are built around markers where each inline image's base64 goes, then sent as the small JSON pieces
// and each image's base64 cached once as a Buffer: a 4K answer (~23 MB) costs the server no JSON.stringify or base64
// per request, so benchmarks measure the clients, and parallel requests are not serialized behind the server's thread.
import * as http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import type { AddressInfo, Socket } from 'node:net';
import { SENTINEL_TOKEN } from '../sentinel';
import { BATCH_MAX_BODY_BYTES, BatchRoutes, type GeneratedAnswer } from './batchApi';
import type { Fault } from './faults';
import { perMinuteQuotaBody, RateLimiter, rateLimitProblem, type RateLimitOptions } from './rateLimit';
import { base64Of, keyColourAsked, makeImage, MadeImage, PHOTO_MARKER } from './imageFactory';
import { findModel, imageTokens, modelResource, pixelSize, SERVER_MODELS, ServerModel } from './models';
import { checkRequest, decodeBase64, GOOGLE_MAX_REQUEST_BYTES, ImageRequest, MAX_REQUEST_BYTES, RequestProblem } from './requestCheck';

export interface GeminiServerOptions {
  host?: string; // default '127.0.0.1' (only loopback allowed)
  port?: number; // default 0 = any free port
  tokens?: string[]; // accepted tokens; default [SENTINEL_TOKEN]
  smallImages?: boolean; // true: images scaled down 1/16 in each dimension (fast unit tests); default false
  latencyMs?: number; // added before every generateContent answer; default 0
  provider?: 'gateway' | 'google'; // whose rules to follow (see the top of this file); default 'gateway'
  holdBatches?: boolean; // Batch API: batches change state only through POST /__admin/batches/advance; default false
  batchPollsPerState?: number; // Batch API: polls a batch stays pending, then running (see batchApi.ts); default 1
  batchCreateStatus?: number; // Batch API: answer every batchGenerateContent with this error status (0 = off); default 0
  rateLimit?: RateLimitOptions | null; // generateContent requests per minute; over it a Google-shaped 429 with RetryInfo; default none
}

export interface RecordedImage {
  mimeType: string;
  sha256: string;
  bytes: number;
  width: number;
  height: number;
  /** Set on `thought: true` draft images (the thoughtDraft fault): never to be saved. */
  thought?: boolean;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  model?: string; // for generateContent
  headers: Record<string, string>; // lower-case names
  body?: unknown; // parsed JSON; inline data replaced by {"bytes": n, "sha256": "<hex>"}
  bodyBytes: number;
  status: number; // what the server answered (0: no answer, e.g. noHeaders or reset)
  images: RecordedImage[]; // images it returned
}

export interface GeminiServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  enqueue(...faults: Fault[]): void;
  setOptions(o: Partial<GeminiServerOptions>): void;
  /** The Batch API's batches and files (see batchApi.ts): advance() moves a batch's state. */
  readonly batches: BatchRoutes;
  reset(): void;
  close(): Promise<void>;
}

const STATUS_NAMES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  429: 'RESOURCE_EXHAUSTED',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNIMPLEMENTED',
  502: 'UNAVAILABLE',
  503: 'UNAVAILABLE',
  504: 'DEADLINE_EXCEEDED',
};

const DEFAULT_MESSAGES: Record<number, string> = {
  400: 'Request contains an invalid argument.',
  401: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  403: 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.',
  404: 'Requested entity was not found.',
  429: 'Resource has been exhausted (e.g. check quota).',
  500: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  503: 'The model is overloaded. Please try again later.',
  504: 'Deadline expired before operation could complete.',
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const GENERATE = /^\/v1beta\/models\/([^/:]+):generateContent$/;
const MODEL_PATH = /^\/v1beta\/models\/([^/:]+)$/;
const FAULT_KINDS = new Set([
  'error', 'html', 'garbageJson', 'noHeaders', 'stallBody', 'cutBody', 'reset', 'blocked', 'refused', 'textOnly',
  'twoImages', 'manyImages', 'thoughtDraft', 'mislabelled', 'markdownDataUrl', 'snakeCase', 'delay', 'redirect', 'huge', 'replay', 'imageLink',
  'compressed', 'cutSecondImage',
]);
const LINKED_IMAGE = /^\/__images\/([\w.-]+)$/;

/** Checks a fault that arrived over HTTP, so a typo in another process fails loudly instead of answering 500s. */
function faultProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'a fault must be an object';
  const fault = value as Record<string, unknown>;
  const kind = String(fault.kind);
  if (!FAULT_KINDS.has(kind)) return `unknown fault kind ${kind}`;
  const isStatus = (status: unknown): boolean => typeof status === 'number' && Number.isInteger(status) && status >= 200 && status <= 599;
  if ((kind === 'error' || kind === 'html') && !isStatus(fault.status)) return `${kind} needs a status from 200 to 599`;
  if (kind === 'redirect' && (![301, 302, 303, 307, 308].includes(fault.status as number) || typeof fault.location !== 'string')) {
    return 'redirect needs status 301, 302, 303, 307 or 308 and a location';
  }
  if (kind === 'delay' && typeof fault.ms !== 'number') return 'delay needs ms';
  if (kind === 'huge' && typeof fault.bytes !== 'number') return 'huge needs bytes';
  if (kind === 'manyImages' && !(typeof fault.count === 'number' && fault.count >= 1 && fault.count <= 100_000)) return 'manyImages needs a count from 1 to 100000';
  if (kind === 'refused' && typeof fault.reason !== 'string') return 'refused needs a reason';
  if (kind === 'replay' && (!isStatus(fault.status) || !('body' in fault))) return 'replay needs a status from 200 to 599 and a body';
  if (kind === 'replay' && fault.headers !== undefined && (typeof fault.headers !== 'object' || fault.headers === null)) return 'replay headers must be an object';
  return undefined;
}

function googleError(status: number, message?: string, details?: unknown[]): Record<string, unknown> {
  const error: Record<string, unknown> = {
    code: status,
    message: message ?? DEFAULT_MESSAGES[status] ?? http.STATUS_CODES[status] ?? 'Error',
    status: STATUS_NAMES[status] ?? (status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION'),
  };
  if (details && details.length > 0) error.details = details;
  return { error };
}

/** Replaces every inline image's base64 with its length and hash so recorded bodies stay small. */
function summariseBody(value: unknown, key?: string): unknown {
  if (Array.isArray(value)) return value.map((item) => summariseBody(item));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    const inline = key === 'inline_data' || key === 'inlineData';
    for (const [name, inner] of Object.entries(value as Record<string, unknown>)) {
      if (inline && name === 'data' && typeof inner === 'string') {
        const bytes = decodeBase64(inner) ?? Buffer.from(inner);
        out[name] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
      } else {
        out[name] = summariseBody(inner, name);
      }
    }
    return out;
  }
  return value;
}

function blockedBody(fault: Extract<Fault, { kind: 'blocked' }>, modelId: string): Record<string, unknown> {
  return {
    promptFeedback: {
      blockReason: fault.reason ?? 'PROHIBITED_CONTENT',
      blockReasonMessage: fault.message ?? 'The prompt was blocked because it may contain prohibited content.',
      safetyRatings: [],
    },
    usageMetadata: { promptTokenCount: 12, totalTokenCount: 12 },
    modelVersion: modelId,
  };
}

/** Real refusals come without content: only the reason and its message. */
function refusedBody(fault: Extract<Fault, { kind: 'refused' }>, modelId: string): Record<string, unknown> {
  return {
    candidates: [{ finishReason: fault.reason, finishMessage: fault.message ?? `Unable to show the generated image (${fault.reason}).`, index: 0 }],
    usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 0, totalTokenCount: 12 },
    modelVersion: modelId,
  };
}

/** Tracks a waiting timer so close() can cut it short. */
interface Waiter {
  timer: NodeJS.Timeout;
  resolve(): void;
}

export async function startGeminiServer(options: GeminiServerOptions = {}): Promise<GeminiServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.has(host)) throw new Error(`The Gemini test server only listens on loopback, not on ${host}`);
  const initial: Required<Omit<GeminiServerOptions, 'host' | 'port'>> = {
    tokens: options.tokens ?? [SENTINEL_TOKEN],
    smallImages: options.smallImages ?? false,
    latencyMs: options.latencyMs ?? 0,
    provider: options.provider ?? 'gateway',
    holdBatches: options.holdBatches ?? false,
    batchPollsPerState: options.batchPollsPerState ?? 1,
    batchCreateStatus: options.batchCreateStatus ?? 0,
    rateLimit: options.rateLimit ?? null,
  };
  let current = { ...initial };
  let limiter = current.rateLimit ? new RateLimiter(current.rateLimit) : undefined;
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  /** What GET /__images/{name} answers: images linked from imageLink answers (and what their links lead to). */
  const linked = new Map<string, { status: number; body: Buffer; headers: http.OutgoingHttpHeaders; stall?: boolean }>();
  const sockets = new Set<Socket>();
  const waiters = new Set<Waiter>();
  let counter = 0;
  let closing = false;

  function wait(ms: number): Promise<void> {
    if (ms <= 0 || closing) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter: Waiter = {
        timer: setTimeout(() => {
          waiters.delete(waiter);
          resolve();
        }, ms),
        resolve,
      };
      waiters.add(waiter);
    });
  }

  function requestLimit(): number {
    return current.provider === 'google' ? GOOGLE_MAX_REQUEST_BYTES : MAX_REQUEST_BYTES;
  }

  /** The model as this personality serves it: Google no longer answers the ids it shut down. */
  function servedModel(id: string): ServerModel | undefined {
    const model = findModel(id);
    return model && (current.provider !== 'google' || model.onGoogle) ? model : undefined;
  }

  function readBody(req: http.IncomingMessage, limit = requestLimit()): Promise<{ body: Buffer; bytes: number; tooBig: boolean }> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        // Over the limit: keep reading (so the client sees our answer, not a reset) but stop keeping it.
        if (bytes <= limit) chunks.push(chunk);
      });
      req.on('end', () => resolve({ body: Buffer.concat(chunks), bytes, tooBig: bytes > limit }));
      req.on('error', reject);
    });
  }

  function send(res: http.ServerResponse, record: RecordedRequest | undefined, status: number, body: string | Buffer, headers: http.OutgoingHttpHeaders = {}): void {
    if (record) record.status = status;
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  }

  function sendJson(res: http.ServerResponse, record: RecordedRequest | undefined, status: number, value: unknown, headers: http.OutgoingHttpHeaders = {}): void {
    send(res, record, status, JSON.stringify(value), headers);
  }

  function sendError(res: http.ServerResponse, record: RecordedRequest | undefined, status: number, message?: string, details?: unknown[], headers: http.OutgoingHttpHeaders = {}): void {
    sendJson(res, record, status, googleError(status, message, details), headers);
  }

  function authorised(req: http.IncomingMessage): boolean {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const apiKey = req.headers['x-goog-api-key'];
    const offered = [bearer, typeof apiKey === 'string' ? apiKey : undefined].filter((token): token is string => token !== undefined);
    return offered.length > 0 && offered.every((token) => current.tokens.includes(token));
  }

  // ---- success answers ------------------------------------------------------------------------------------------

  interface Answer {
    parts: Record<string, unknown>[];
    images: RecordedImage[];
    made: MadeImage[];
    /** The images whose base64 the marker `${dataMarker}${index}"` in `parts` stands for. */
    inline: MadeImage[];
    usage: Record<string, unknown>;
    grounding?: Record<string, unknown>;
  }

  /** Cannot occur in text we serialize (random per server), and JSON.stringify leaves it as it is. */
  const dataMarker = `gis-inline-data-${randomBytes(8).toString('hex')}-`;
  const markerPattern = new RegExp(`${dataMarker}(\\d+)`);

  function imageFor(request: ImageRequest, salt: string): MadeImage {
    const { width, height } = pixelSize(request.aspectRatio, request.imageSize);
    const scale = current.smallImages ? 16 : 1;
    const w = Math.max(1, Math.floor(width / scale));
    const h = Math.max(1, Math.floor(height / scale));
    // The prompt and references pick the picture; the request counter (mod 8, so the cache still helps) tells
    // variants of the same prompt apart.
    const references = request.images.map((image) => createHash('sha256').update(image.bytes).digest('hex')).join(',');
    const seed = `${request.prompt}|${references}|${counter % 8}|${salt}`;
    // Asked for a key colour (a transparent background): the subject on exactly that colour, unless told to act like a photo.
    const key = request.prompt.includes(PHOTO_MARKER) ? undefined : keyColourAsked(request.prompt);
    return makeImage(request.outputFormat, w, h, seed, key);
  }

  function signature(seed: string): string {
    return createHash('sha256').update(`thought-signature:${seed}`).digest().toString('base64');
  }

  /** The part with a marker for its data: answerPieces() puts the image's cached base64 there. */
  function imagePart(inline: MadeImage[], image: MadeImage, snakeCase = false, mimeType: string = image.mimeType): Record<string, unknown> {
    const data = `${dataMarker}${inline.length}`;
    inline.push(image);
    return snakeCase ? { inline_data: { mime_type: mimeType, data } } : { inlineData: { mimeType, data } };
  }

  function recordImage(image: MadeImage, mimeType: string = image.mimeType, thought = false): RecordedImage {
    const recorded: RecordedImage = { mimeType, sha256: image.sha256, bytes: image.bytes.length, width: image.width, height: image.height };
    if (thought) recorded.thought = true;
    return recorded;
  }

  function usage(model: ServerModel, request: ImageRequest, imagesOut: number, textOut: number): Record<string, unknown> {
    const promptTokenCount = request.words + 258 * request.images.length + 4;
    const imageTokenCount = imagesOut * imageTokens(request.imageSize, model);
    const candidatesTokenCount = imageTokenCount + textOut;
    const result: Record<string, unknown> = { promptTokenCount, candidatesTokenCount, totalTokenCount: promptTokenCount + candidatesTokenCount };
    // Google's per-modality split of the output (what the image tokens cost apart from the text).
    result.candidatesTokensDetails = [
      ...(textOut > 0 ? [{ modality: 'TEXT', tokenCount: textOut }] : []),
      ...(imageTokenCount > 0 ? [{ modality: 'IMAGE', tokenCount: imageTokenCount }] : []),
    ];
    if (model.thinks) {
      const thoughts = (request.thinkingLevel === 'high' ? 900 : 180) + (request.words % 50);
      result.thoughtsTokenCount = thoughts;
      result.totalTokenCount = promptTokenCount + candidatesTokenCount + thoughts;
    }
    return result;
  }

  function describePrompt(request: ImageRequest): string {
    const short = request.prompt.trim().slice(0, 80) || 'your picture';
    return `Here is an image for "${short}".`;
  }

  function buildAnswer(model: ServerModel, request: ImageRequest, fault: Fault | undefined): Answer {
    counter++;
    const seedBase = `${request.prompt}|${counter}`;
    const parts: Record<string, unknown>[] = [];
    const images: RecordedImage[] = [];
    const made: MadeImage[] = [];
    const inline: MadeImage[] = [];
    let textTokens = 0;
    const sig = signature(seedBase);
    const addText = (text: string, extra: Record<string, unknown> = {}): void => {
      parts.push({ text, ...extra });
      textTokens += text.split(/\s+/).filter(Boolean).length;
    };
    const addImage = (salt: string, extra: Record<string, unknown> = {}, thought = false): void => {
      const image = imageFor(request, salt);
      const mimeType = fault?.kind === 'mislabelled' ? 'image/jpeg' : image.mimeType;
      parts.push({ ...imagePart(inline, image, fault?.kind === 'snakeCase', mimeType), ...extra });
      images.push(recordImage(image, mimeType, thought));
      made.push(image);
    };

    if (fault?.kind === 'textOnly' || !request.wantsImage) {
      addText(fault?.kind === 'textOnly' ? (fault.text ?? 'I can only describe it: a quiet lake at dawn, mist over the water.') : describePrompt(request), { thoughtSignature: sig });
    } else {
      if (fault?.kind === 'thoughtDraft') {
        addText('**Sketching the composition**\n\nI am drafting a first layout before the final render.', { thought: true });
        addImage('draft', { thought: true }, true);
      }
      if (request.wantsText) addText(describePrompt(request), { thoughtSignature: sig });
      if (fault?.kind === 'imageLink') {
        const image = imageFor(request, 'final');
        const name = `${createHash('sha256').update(`${seedBase}|link`).digest('hex').slice(0, 16)}.${image.mimeType === 'image/jpeg' ? 'jpg' : 'png'}`;
        const notImage = Buffer.from('<!doctype html><html><head><title>Image expired</title></head><body>gone</body></html>');
        const serve = fault.serve ?? 'image';
        linked.set(
          name,
          serve === 'notImage'
            ? { status: 200, body: notImage, headers: { 'content-type': 'image/png' } }
            : { status: 200, body: image.bytes, headers: { 'content-type': image.mimeType }, stall: serve === 'stall' },
        );
        let link = `${server.url}/__images/${name}`;
        if (serve === 'redirect' || serve === 'redirectToFile') {
          const hop = `hop-${name}`;
          linked.set(hop, { status: 302, body: Buffer.alloc(0), headers: { location: serve === 'redirect' ? `/__images/${name}` : 'file:///etc/passwd' } });
          link = `${server.url}/__images/${hop}`;
        }
        addText(fault.style === 'bare' ? link : `Here is your image:\n\n![image](${link})`);
        if (serve === 'image' || serve === 'redirect') {
          images.push(recordImage(image));
          made.push(image);
        }
      } else if (fault?.kind === 'markdownDataUrl') {
        const image = imageFor(request, 'final');
        addText(`Here is your image:\n\n![image](data:${image.mimeType};base64,${image.bytes.toString('base64')})`);
        images.push(recordImage(image));
        made.push(image);
      } else {
        addImage('final', { thoughtSignature: sig });
        if (fault?.kind === 'twoImages' || fault?.kind === 'cutSecondImage') addImage('second', { thoughtSignature: signature(`${seedBase}|2`) });
        if (fault?.kind === 'manyImages') for (let n = 2; n <= fault.count; n++) addImage(`extra ${n % 8}`);
      }
    }
    const imagesOut = images.filter((image) => !image.thought).length;
    return { parts, images, made, inline, usage: usage(model, request, imagesOut, textTokens), grounding: request.grounding ? groundingFor(request) : undefined };
  }

  /** What Google sends for a Search-grounded answer: the queries, the web sources and its search chip. */
  function groundingFor(request: ImageRequest): Record<string, unknown> {
    const query = request.prompt.trim().slice(0, 60) || 'image';
    return {
      webSearchQueries: [query],
      groundingChunks: [
        { web: { uri: 'https://example.org/weather/today', title: 'Weather today - Example Org' } },
        { web: { uri: 'https://news.example.com/story', title: 'A news story [with brackets](command:evil)' } },
        { web: { uri: 'javascript:alert(1)', title: 'Not a link' } },
      ],
      searchEntryPoint: { renderedContent: `<div class="container"><a class="chip" href="https://www.google.com/search?q=${encodeURIComponent(query)}">${query.replace(/[<>&]/g, '')}</a></div>` },
    };
  }

  function answerBody(model: ServerModel, answer: Answer, extraParts: Record<string, unknown>[] = []): Record<string, unknown> {
    return {
      candidates: [
        {
          content: { role: 'model', parts: [...answer.parts, ...extraParts] },
          finishReason: 'STOP',
          index: 0,
          ...(answer.grounding ? { groundingMetadata: answer.grounding } : {}),
        },
      ],
      usageMetadata: answer.usage,
      modelVersion: model.id,
      responseId: createHash('sha256').update(`response:${counter}`).digest('base64url').slice(0, 22),
    };
  }

  /** The answer's JSON as Buffers in order: the serialized small JSON between markers, each image's cached base64. */
  function answerPieces(model: ServerModel, answer: Answer, extraParts: Record<string, unknown>[] = []): Buffer[] {
    const split = JSON.stringify(answerBody(model, answer, extraParts)).split(markerPattern);
    // split() alternates text and captured marker indexes: text, index, text, index, ..., text.
    return split.map((piece, i) => (i % 2 === 0 ? Buffer.from(piece) : base64Of(answer.inline[Number(piece)])));
  }

  // ---- faults that replace the answer -----------------------------------------------------------------------------

  /** Answers for faults that need no valid request; returns true when the fault has answered. */
  function answerFault(fault: Fault, res: http.ServerResponse, req: http.IncomingMessage, record: RecordedRequest, modelId: string): boolean {
    switch (fault.kind) {
      case 'error': {
        const details: unknown[] = [];
        const headers: http.OutgoingHttpHeaders = {};
        if (fault.retryAfter !== undefined) headers['retry-after'] = fault.retryAfter;
        if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
        if (fault.quotaId !== undefined) {
          details.push({
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              {
                quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                quotaId: fault.quotaId,
                quotaDimensions: { location: 'global', model: modelId },
                quotaValue: '10',
              },
            ],
          });
          details.push({ '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] });
        }
        if (fault.retryDelay !== undefined) details.push({ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: fault.retryDelay });
        sendError(res, record, fault.status, fault.message, details, headers);
        return true;
      }
      case 'html': {
        const reason = http.STATUS_CODES[fault.status] ?? 'Error';
        const page = `<html>\r\n<head><title>${fault.status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${fault.status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
        send(res, record, fault.status, page, { 'content-type': 'text/html' });
        return true;
      }
      case 'garbageJson':
        send(res, record, 200, '{"candidates":[{"content": <upstream timed out> not json at all');
        return true;
      case 'noHeaders':
        record.status = 0;
        return true; // the socket stays open until the client gives up or close() destroys it
      case 'reset':
        record.status = 0;
        req.socket.resetAndDestroy();
        return true;
      case 'blocked':
        sendJson(res, record, 200, blockedBody(fault, modelId));
        return true;
      case 'refused':
        sendJson(res, record, 200, refusedBody(fault, modelId));
        return true;
      case 'redirect':
        send(res, record, fault.status, JSON.stringify({ moved: fault.location }), { location: fault.location });
        return true;
      case 'replay': {
        const body = typeof fault.body === 'string' ? fault.body : JSON.stringify(fault.body);
        const headers: http.OutgoingHttpHeaders = { ...(fault.headers ?? {}) };
        // The body is sent as it is (no content-encoding applied), so a recorded length header would lie.
        for (const name of Object.keys(headers)) if (/^(content-length|content-encoding|transfer-encoding)$/i.test(name)) delete headers[name];
        send(res, record, fault.status, body, headers);
        return true;
      }
      default:
        return false;
    }
  }

  /** Sends a success body in pieces: `stallBody` stops after some bytes, `cutBody` and `cutSecondImage` close mid-image. */
  function sendPartial(res: http.ServerResponse, record: RecordedRequest, bytes: Buffer, fault: Fault): void {
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': bytes.length });
    if (fault.kind === 'stallBody') {
      res.write(bytes.subarray(0, Math.min(bytes.length - 1, fault.afterBytes ?? 64)));
      return; // stalls until the client gives up or close() destroys the socket
    }
    const dataAt = fault.kind === 'cutSecondImage' ? bytes.lastIndexOf('"data":"') : bytes.indexOf('"data":"');
    const cutAt = dataAt >= 0 ? dataAt + 8 + Math.floor((bytes.length - dataAt - 8) / 3) : Math.floor(bytes.length / 2);
    res.write(bytes.subarray(0, cutAt), () => res.socket?.destroy());
  }

  /** Streams a success answer padded by a leading text part to at least `size` bytes, without building it whole. */
  async function sendHuge(res: http.ServerResponse, record: RecordedRequest, model: ServerModel, answer: Answer, size: number): Promise<void> {
    const marker = '__PADDING__';
    // The padding part comes last, so its marker is in the last piece, after every image.
    const pieces = answerPieces(model, answer, [{ text: marker }]);
    const [lastHead, tail] = pieces[pieces.length - 1].toString().split(`"${marker}"`);
    const headPieces = [...pieces.slice(0, -1), Buffer.from(`${lastHead}"`)];
    const headBytes = headPieces.reduce((sum, piece) => sum + piece.length, 0);
    const padding = Math.max(0, size - headBytes - Buffer.byteLength(tail) - 1);
    record.status = 200;
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': headBytes + padding + 1 + Buffer.byteLength(tail) });
    const write = (chunk: string | Buffer): Promise<void> =>
      new Promise((resolve) => {
        if (res.destroyed || res.write(chunk)) {
          resolve();
          return;
        }
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    for (const piece of headPieces) await write(piece);
    const block = Buffer.alloc(1 << 20, 'x');
    for (let left = padding; left > 0 && !res.destroyed; left -= block.length) {
      await write(left >= block.length ? block : block.subarray(0, left));
    }
    if (!res.destroyed) res.end(`"${tail}`);
  }

  // ---- Batch API ------------------------------------------------------------------------------------------------

  /** What one request inside a batch gets: the same checks, faults and answers as POST …:generateContent. */
  function generateAnswer(modelId: string, parsed: unknown, fault: Fault | undefined): GeneratedAnswer {
    const model = servedModel(modelId);
    if (!model) return { status: 404, error: googleError(404, `models/${modelId} is not found for API version v1beta.`).error as Record<string, unknown> };
    if (fault?.kind === 'error') return { status: fault.status, error: googleError(fault.status, fault.message).error as Record<string, unknown> };
    if (fault?.kind === 'blocked') return { status: 200, text: JSON.stringify(blockedBody(fault, modelId)) };
    if (fault?.kind === 'refused') return { status: 200, text: JSON.stringify(refusedBody(fault, modelId)) };
    let request: ImageRequest;
    try {
      request = checkRequest(parsed, model, current.provider);
    } catch (error) {
      if (error instanceof RequestProblem) return { status: error.status, error: googleError(error.status, error.message).error as Record<string, unknown> };
      throw error;
    }
    return { status: 200, text: Buffer.concat(answerPieces(model, buildAnswer(model, request, fault))).toString('utf8') };
  }

  const recordOf = new WeakMap<http.ServerResponse, RecordedRequest>();
  const batchRoutes = new BatchRoutes({
    url: () => server.url,
    authorised,
    modelServes: (id) => servedModel(id)?.methods.includes('generateContent') === true,
    generate: generateAnswer,
    nextFault: () => faults.shift(),
    sendJson: (res, status, value, headers) => sendJson(res, recordOf.get(res), status, value, headers),
    sendError: (res, status, message) => sendError(res, recordOf.get(res), status, message),
    sendBytes: (res, status, body, headers) => send(res, recordOf.get(res), status, body, headers),
    options: () => ({ holdBatches: current.holdBatches, batchPollsPerState: Math.max(1, current.batchPollsPerState), batchCreateStatus: current.batchCreateStatus }),
  });

  async function handleBatch(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const record = newRecord(req, url);
    requests.push(record);
    recordOf.set(res, record);
    const { body, bytes, tooBig } = await readBody(req, BATCH_MAX_BODY_BYTES);
    record.bodyBytes = bytes;
    if (!tooBig && /json/.test(String(req.headers['content-type'] ?? ''))) {
      try {
        record.body = summariseBody(JSON.parse(body.toString('utf8')));
      } catch {
        // Recorded without a body; the route answers 400.
      }
    }
    await batchRoutes.handle(req, res, url, body, tooBig);
  }

  // ---- routes -----------------------------------------------------------------------------------------------------

  function newRecord(req: http.IncomingMessage, url: URL): RecordedRequest {
    return {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : (value ?? '')])),
      bodyBytes: 0,
      status: 0,
      images: [],
    };
  }

  async function handleGenerate(req: http.IncomingMessage, res: http.ServerResponse, url: URL, modelId: string): Promise<void> {
    const record = newRecord(req, url);
    record.model = modelId;
    requests.push(record);
    const { body, bytes, tooBig } = await readBody(req);
    record.bodyBytes = bytes;
    let parsed: unknown;
    let parseError: string | undefined;
    if (!tooBig) {
      try {
        parsed = JSON.parse(body.toString('utf8'));
        record.body = summariseBody(parsed);
      } catch (error) {
        parseError = error instanceof Error ? error.message : String(error);
      }
    }

    if (url.searchParams.has('key')) {
      sendError(res, record, 400, 'API keys are not accepted in the URL by this server: send Authorization: Bearer or x-goog-api-key.');
      return;
    }
    if (!authorised(req)) {
      const missing = req.headers.authorization === undefined && req.headers['x-goog-api-key'] === undefined;
      sendError(res, record, 401, missing ? undefined : 'API key not valid. Please pass a valid API key.');
      return;
    }

    // Over the rate limit: answered at once, like Google, and the queued fault stays for the next request.
    const limitedFor = limiter?.take();
    if (limitedFor !== undefined && current.rateLimit) {
      sendJson(res, record, 429, perMinuteQuotaBody(modelId, current.rateLimit.requestsPerMinute, limitedFor));
      return;
    }
    const fault = faults.shift();
    await wait(current.latencyMs);
    if (closing) return;
    if (fault && answerFault(fault, res, req, record, modelId)) return;
    if (fault?.kind === 'delay') await wait(fault.ms);
    if (closing) return;

    if (tooBig) {
      sendError(res, record, 400, `Request payload size exceeds the limit: ${requestLimit()} bytes.`);
      return;
    }
    if (parseError !== undefined) {
      sendError(res, record, 400, `Invalid JSON payload received. ${parseError}`);
      return;
    }
    const model = servedModel(modelId);
    if (!model || !model.methods.includes('generateContent')) {
      sendError(res, record, 404, `models/${modelId} is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`);
      return;
    }
    let request: ImageRequest;
    try {
      request = checkRequest(parsed, model, current.provider);
    } catch (error) {
      if (error instanceof RequestProblem) {
        sendError(res, record, error.status, error.message);
        return;
      }
      throw error;
    }

    const answer = buildAnswer(model, request, fault);
    if (fault?.kind === 'huge') {
      record.images = answer.images;
      await sendHuge(res, record, model, answer, fault.bytes);
      return;
    }
    const pieces = answerPieces(model, answer);
    if (fault?.kind === 'stallBody' || fault?.kind === 'cutBody' || fault?.kind === 'cutSecondImage') {
      sendPartial(res, record, Buffer.concat(pieces), fault);
      return;
    }
    record.images = answer.images;
    record.status = 200;
    if (res.destroyed) return;
    if (fault?.kind === 'compressed') {
      const plain = Buffer.concat(pieces);
      const compress: Record<string, (bytes: Buffer) => Buffer> = { gzip: zlib.gzipSync, deflate: zlib.deflateSync, br: zlib.brotliCompressSync };
      const body = compress[fault.encoding]?.(plain) ?? plain;
      res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-encoding': fault.encoding, 'content-length': body.length });
      res.end(body);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=UTF-8', 'content-length': pieces.reduce((sum, piece) => sum + piece.length, 0) });
    // The cached base64 goes to the socket as it is (no copy); the last piece ends the answer.
    for (const piece of pieces.slice(0, -1)) res.write(piece);
    res.end(pieces[pieces.length - 1]);
  }

  function handleModels(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    const record = newRecord(req, url);
    requests.push(record);
    req.resume();
    if (url.searchParams.has('key')) {
      sendError(res, record, 400, 'API keys are not accepted in the URL by this server: send Authorization: Bearer or x-goog-api-key.');
      return;
    }
    if (!authorised(req)) {
      sendError(res, record, 401);
      return;
    }
    const single = MODEL_PATH.exec(url.pathname);
    if (single) {
      const model = servedModel(decodeURIComponent(single[1]));
      if (model) sendJson(res, record, 200, modelResource(model));
      else sendError(res, record, 404, `models/${single[1]} is not found for API version v1beta.`);
      return;
    }
    const pageSize = Math.min(1000, Math.max(1, Number(url.searchParams.get('pageSize') ?? '3') || 3));
    const token = url.searchParams.get('pageToken');
    let start = 0;
    if (token) {
      const decoded = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
      if (!decoded) {
        sendError(res, record, 400, 'Invalid page token.');
        return;
      }
      start = Number(decoded[1]);
    }
    const served = SERVER_MODELS.filter((model) => servedModel(model.id) !== undefined);
    const page = served.slice(start, start + pageSize);
    const body: Record<string, unknown> = { models: page.map(modelResource) };
    if (start + pageSize < served.length) body.nextPageToken = Buffer.from(`offset:${start + pageSize}`).toString('base64url');
    sendJson(res, record, 200, body);
  }

  /** GET /__images/{name}: the image an imageLink answer points at, recorded like every request. */
  function handleLinkedImage(req: http.IncomingMessage, res: http.ServerResponse, url: URL, name: string): void {
    const record = newRecord(req, url);
    requests.push(record);
    req.resume();
    const entry = linked.get(name);
    if (!entry) {
      send(res, record, 404, 'Not found', { 'content-type': 'text/plain' });
      return;
    }
    if (entry.stall) {
      record.status = entry.status;
      res.writeHead(entry.status, { ...entry.headers, 'content-length': entry.body.length });
      res.write(entry.body.subarray(0, 16));
      return; // stalls until the client gives up or close() destroys the socket
    }
    send(res, record, entry.status, entry.body, entry.headers);
  }

  async function handleAdmin(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const route = `${req.method} ${url.pathname}`;
    const { body } = await readBody(req);
    const json = (): unknown => JSON.parse(body.toString('utf8') || 'null');
    try {
      switch (route) {
        case 'GET /__admin/health':
          sendJson(res, undefined, 200, { ok: true });
          return;
        case 'GET /__admin/requests':
          sendJson(res, undefined, 200, requests);
          return;
        case 'POST /__admin/reset':
          server.reset();
          sendJson(res, undefined, 200, { ok: true });
          return;
        case 'POST /__admin/faults': {
          const list = json();
          const problem = Array.isArray(list) ? list.map(faultProblem).find((text) => text !== undefined) : 'expected a JSON array of faults';
          if (problem !== undefined) {
            sendJson(res, undefined, 400, { ok: false, error: problem });
            return;
          }
          server.enqueue(...(list as Fault[]));
          sendJson(res, undefined, 200, { ok: true, queued: faults.length });
          return;
        }
        case 'POST /__admin/replay': {
          // A fixture file's content ({status, headers?, body, ...}) answers the next generateContent request.
          const fixture = json() as Record<string, unknown> | null;
          const fault = { kind: 'replay', status: fixture?.status, headers: fixture?.headers, body: fixture?.body };
          const problem = fixture === null || typeof fixture !== 'object' ? 'expected a JSON object {status, headers?, body}' : faultProblem(fault);
          if (problem !== undefined) {
            sendJson(res, undefined, 400, { ok: false, error: problem });
            return;
          }
          server.enqueue(fault as Fault);
          sendJson(res, undefined, 200, { ok: true, queued: faults.length });
          return;
        }
        case 'GET /__admin/batches':
          sendJson(res, undefined, 200, batchRoutes.describe());
          return;
        case 'POST /__admin/batches/advance': {
          // {name?, to: running | succeeded | failed | cancelled | expired}: the newest batch when no name is given.
          const order = json() as { name?: unknown; to?: unknown } | null;
          const batch = batchRoutes.advance(typeof order?.name === 'string' ? order.name : undefined, String(order?.to));
          sendJson(res, undefined, 200, { ok: true, name: batch.name, state: batch.state });
          return;
        }
        case 'POST /__admin/options': {
          const partial = json();
          if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) {
            sendJson(res, undefined, 400, { ok: false, error: 'expected a JSON object of options' });
            return;
          }
          const problem = rateLimitProblem((partial as Record<string, unknown>).rateLimit);
          if (problem !== undefined) {
            sendJson(res, undefined, 400, { ok: false, error: problem });
            return;
          }
          server.setOptions(partial as Partial<GeminiServerOptions>);
          sendJson(res, undefined, 200, { ok: true });
          return;
        }
        default:
          sendError(res, undefined, 404, `No admin route ${route}.`);
      }
    } catch (error) {
      sendJson(res, undefined, 400, { ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/__admin/')) return handleAdmin(req, res, url);
    if (batchRoutes.matches(req.method ?? 'GET', url.pathname)) return handleBatch(req, res, url);
    const generate = GENERATE.exec(url.pathname);
    if (generate && req.method === 'POST') return handleGenerate(req, res, url, decodeURIComponent(generate[1]));
    const image = LINKED_IMAGE.exec(url.pathname);
    if (image && req.method === 'GET') return handleLinkedImage(req, res, url, image[1]);
    if (req.method === 'GET' && (url.pathname === '/v1beta/models' || MODEL_PATH.test(url.pathname))) return handleModels(req, res, url);
    // Recorded too: a test can then see that the product called a wrong URL or method.
    const record = newRecord(req, url);
    requests.push(record);
    record.bodyBytes = (await readBody(req)).bytes;
    sendError(res, record, 404, `The requested URL ${url.pathname} was not found on this server.`);
  }

  const httpServer = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) sendError(res, undefined, 500, `Test server failure: ${error instanceof Error ? error.message : String(error)}`);
      else res.destroy();
    });
  });
  httpServer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // Large 4K answers and slow clients: never time out on our side.
  httpServer.requestTimeout = 0;
  httpServer.headersTimeout = 0;
  httpServer.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 0, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const address = httpServer.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const server: GeminiServer = {
    url: `http://${urlHost}:${address.port}`,
    requests,
    enqueue(...more: Fault[]): void {
      const problem = more.map(faultProblem).find((text) => text !== undefined);
      if (problem !== undefined) throw new Error(`Gemini test server: ${problem}`);
      faults.push(...more);
    },
    setOptions(partial: Partial<GeminiServerOptions>): void {
      if (partial.tokens !== undefined) current.tokens = [...partial.tokens];
      if (partial.smallImages !== undefined) current.smallImages = partial.smallImages;
      if (partial.latencyMs !== undefined) current.latencyMs = partial.latencyMs;
      if (partial.provider !== undefined) current.provider = partial.provider;
      if (partial.holdBatches !== undefined) current.holdBatches = partial.holdBatches;
      if (partial.batchPollsPerState !== undefined) current.batchPollsPerState = partial.batchPollsPerState;
      if (partial.batchCreateStatus !== undefined) current.batchCreateStatus = partial.batchCreateStatus;
      if (partial.rateLimit !== undefined) {
        current.rateLimit = partial.rateLimit;
        limiter = partial.rateLimit ? new RateLimiter(partial.rateLimit) : undefined;
      }
    },
    batches: batchRoutes,
    reset(): void {
      batchRoutes.reset();
      requests.length = 0;
      faults.length = 0;
      linked.clear();
      current = { ...initial, tokens: [...initial.tokens] };
      limiter = current.rateLimit ? new RateLimiter(current.rateLimit) : undefined;
      counter = 0;
    },
    async close(): Promise<void> {
      closing = true;
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
      waiters.clear();
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      httpServer.closeAllConnections();
      await closed;
    },
  };
  return server;
}
