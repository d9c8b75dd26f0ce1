// Sends image jobs and model-list requests through a Transport: deadlines, size cap, retries, one log line per attempt.
import { errorFromAnswer, errorKindOf, readErrorAnswer } from './errorAnswer';
import { describeBytes, describeDuration, ImageError, isImageError, redactSecret } from './errors';
import type { ApiContent, GeneratedImage, ImageJob, ImageResult, ProviderSettings } from './imageJob';
import { readGrounding, readTokenDetails } from './answerExtras';
import { downloadLinkedImage, extractImageLinks, type LinkedImage } from './imageLinks';
import { acceptsOutputFormat, describeModel, KNOWN_MODEL_IDS, maxRequestBytesFor, normalizeModelId, type ModelCapabilities } from './models';
import { hostOf } from './origin';
import { authHeaderFor, buildGenerateRequest, buildModelsRequest, userTurnFor } from './request';
import { parseAnswer, parseAnswerJson, resultFromAnswer } from './response';
import { isDailyQuota, isRetryableAnswer, RetryPolicy, systemClock, type Clock, type HeaderValues } from './retry';
import { StreamedImageData, withImageData } from './streamAnswer';
import { ImageStreamWriter, MAX_IMAGES_PER_ANSWER, memorySink, type ImageSink, type ImageSinkFile, type StreamedImage } from './streamSink';
import { headerValue, type HttpRequest, type Transport } from './transport';
import { validateJob } from './validate';

export interface ClientLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface ImageClientDeps {
  readonly transport: Transport;
  readonly log: ClientLog;
  readonly clock?: Clock;
  /** In [0, 1), for backoff jitter. */
  readonly random?: () => number;
  /** Answers larger than this are refused while they stream in (default 64 MiB). */
  readonly maxResponseBytes?: number;
  /** Longest retry wait sat through; longer requested waits fail at once (default 60 s). */
  readonly retryCapMs?: number;
}

export interface ModelInfo {
  /** The id to put in geminiImage.model (no `models/` prefix). */
  readonly id: string;
  readonly displayName?: string;
  readonly description?: string;
  /** Known capabilities, when the id is in the built-in table. */
  readonly capabilities?: ModelCapabilities;
}

export interface ModelList {
  readonly models: readonly ModelInfo[];
  /** 'builtin' when the provider could not be asked or did not answer usefully. */
  readonly source: 'provider' | 'builtin';
  /** Why the built-in table was used. */
  readonly reason?: string;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** The model list is a small answer: do not wait the image timeout for it. */
const MODEL_LIST_TIMEOUT_MS = 30_000;
const MAX_MODEL_PAGES = 20;
/** A body that sends nothing for this long has stalled (geminiImage.idleTimeoutSeconds). */
export const DEFAULT_IDLE_TIMEOUT_SECONDS = 60;
/**
 * Connection failures before any answer came: nothing was generated (or billed), so trying again is safe.
 * A proxy that closes the tunnel (PROXY_TUNNEL_CLOSED) is deliberately absent: it is a proxy problem, reported at once.
 */
const RETRYABLE_NETWORK_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

/** An answer: a 2xx read by the streaming reader has `streamed`, every other one its `text`. */
type Exchange<V> =
  | { readonly ok: true; readonly status: number; readonly headers: HeaderValues; readonly text: string; readonly bytes: number; readonly streamed?: V }
  | { readonly ok: false; readonly error: ImageError; readonly beforeAnswer: boolean };

/** Reads a 2xx body as it arrives (the body is already capped and stops on abort). */
type StreamReader<V> = (body: AsyncIterable<Uint8Array>, status: number) => Promise<V>;

/** The result with each image in its (uncommitted) file; the conversation holds StreamedImageData where image data was. */
export type StreamedResult<F> = Omit<ImageResult, 'images'> & { readonly images: readonly StreamedImage<F>[] };

interface ExchangeContext {
  readonly host: string;
  readonly timeoutMs: number;
  /** Longest wait for the next body chunk. */
  readonly idleMs: number;
  readonly signal?: AbortSignal;
  /** For "model not found" messages; '' for requests that are not about one model. */
  readonly model: string;
  /** The size asked for, for messages about gateway time limits. */
  readonly imageSize?: string;
  /** Overrides the client's answer size cap (a Batch API result holds many images). */
  readonly maxResponseBytes?: number;
}

/** A request that is not an image job (see ImageClient.call); the client adds the auth header. */
export interface ApiCall<V = string> {
  readonly request: HttpRequest;
  /** For the log line after method and host, e.g. `batches/abc poll`. */
  readonly summary: string;
  /** For "model not found" messages. */
  readonly model?: string;
  /** At most this many retries (never more than the provider's): 0 for calls that must not be sent twice. */
  readonly maxRetries?: number;
  readonly maxResponseBytes?: number;
  /** Consumes a 2xx body as it arrives (it is capped and stops on abort); without it the text is returned. */
  readonly read?: (body: AsyncIterable<Uint8Array>) => Promise<V>;
}

export interface ApiAnswer<V = string> {
  readonly status: number;
  readonly headers: HeaderValues;
  readonly value: V;
}

export class ImageClient {
  private readonly transport: Transport;
  private readonly log: ClientLog;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly maxResponseBytes: number;
  private readonly retryCapMs?: number;

  constructor(deps: ImageClientDeps) {
    this.transport = deps.transport;
    this.log = deps.log;
    this.clock = deps.clock ?? systemClock;
    this.random = deps.random ?? Math.random;
    this.maxResponseBytes = deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.retryCapMs = deps.retryCapMs;
  }

  /**
   * Generates images for the job. Resolves with at least one validated image; otherwise rejects with an
   * ImageError saying why (never containing the token). The bytes are kept in memory: see stream() for files.
   */
  async generate(job: ImageJob, provider: ProviderSettings, token: string | undefined, signal?: AbortSignal): Promise<ImageResult> {
    const result = await this.stream(job, provider, token, signal, memorySink);
    const bytesOf = new Map(result.images.filter((image) => image.placeholder).map((image) => [image.placeholder, image.file.bytes]));
    const images: GeneratedImage[] = result.images.map((image) => ({
      bytes: image.file.bytes,
      format: image.format,
      mimeType: image.mimeType,
      ...(image.link ? { link: image.link } : {}),
    }));
    const conversation = withImageData(result.conversation, (placeholder) => {
      const bytes = bytesOf.get(placeholder);
      return bytes && Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    });
    return { ...result, images, conversation };
  }

  /**
   * Generates images for the job, writing each image into a file from `sink` while the answer arrives.
   * Resolves once the whole answer was read and checked, with every image complete in its file; the caller
   * commits or aborts those files. On failure every file opened for this job is aborted before the rejection.
   */
  async stream<F extends ImageSinkFile>(
    job: ImageJob,
    provider: ProviderSettings,
    token: string | undefined,
    signal: AbortSignal | undefined,
    sink: ImageSink<F>,
  ): Promise<StreamedResult<F>> {
    const host = hostOf(provider.baseUrl);
    const log = redactingLog(this.log, token);
    try {
      if (!token) {
        throw new ImageError('noToken', `No API token is set for ${host}. Run "Gemini Image: Set API Key (Token)…" to add one.`, { host });
      }
      validateJob(job, host, provider.maxRequestBytes ?? maxRequestBytesFor(provider.baseUrl));
      const { url, headers, body, userTurn } = buildGenerateRequest(job, provider, token);
      const request: HttpRequest = { method: 'POST', url, headers, body };
      const sent: ApiContent[] = [...(job.history ?? []), userTurn];
      const summary = `POST ${host} model=${normalizeModelId(job.model)} ${describeOptions(job, provider.baseUrl)} request=${describeBytes(Buffer.byteLength(body))}`;
      const context: ExchangeContext = { host, signal, timeoutMs: timeoutMsOf(provider), idleMs: idleMsOf(provider), model: job.model, imageSize: job.imageSize };
      const read = this.answerReader(sink, host);
      return await this.sendWithRetries(request, provider, context, summary, log, read, async (exchange) => {
        const { json, writer } = exchange.streamed ?? { json: undefined, writer: new ImageStreamWriter(sink, host, exchange.status) };
        return this.finishAnswer(json, writer, job, provider, sent, signal, log);
      });
    } catch (error) {
      throw finalError(error, host, token);
    }
  }

  /**
   * Reads one generateContent answer that came another way (a Batch API result) through the same streaming path as
   * stream(): each image into a file from `sink`, checked, drafts dropped; the caller commits or aborts the files.
   */
  async readAnswer<F extends ImageSinkFile>(
    body: AsyncIterable<Uint8Array>,
    job: ImageJob,
    provider: ProviderSettings,
    token: string | undefined,
    sink: ImageSink<F>,
  ): Promise<StreamedResult<F>> {
    const host = hostOf(provider.baseUrl);
    const log = redactingLog(this.log, token);
    try {
      const streamed = await this.answerReader(sink, host)(body, 200);
      return await this.finishAnswer(streamed.json, streamed.writer, job, provider, [...(job.history ?? []), userTurnFor(job)], undefined, log);
    } catch (error) {
      throw finalError(error, host, token);
    }
  }

  /**
   * One API call that is not an image request (the Batch API's create, poll, cancel, upload and download), with the
   * same auth, deadlines, retries, log line and error messages. `read` consumes a 2xx body as it arrives; without it
   * the answer's text is returned. Rejects with an ImageError that cannot contain the token.
   */
  async call<V = string>(call: ApiCall<V>, provider: ProviderSettings, token: string | undefined, signal?: AbortSignal): Promise<ApiAnswer<V>> {
    const host = hostOf(provider.baseUrl);
    const log = redactingLog(this.log, token);
    try {
      if (!token) {
        throw new ImageError('noToken', `No API token is set for ${host}. Run "Gemini Image: Set API Key (Token)…" to add one.`, { host });
      }
      const request: HttpRequest = { ...call.request, headers: { ...call.request.headers, ...authHeaderFor(provider.authHeader, provider.baseUrl, token) } };
      const context: ExchangeContext = {
        host,
        signal,
        timeoutMs: timeoutMsOf(provider),
        idleMs: idleMsOf(provider),
        model: call.model ?? '',
        ...(call.maxResponseBytes ? { maxResponseBytes: call.maxResponseBytes } : {}),
      };
      const retries = call.maxRetries === undefined ? provider : { ...provider, maxRetries: Math.min(call.maxRetries, provider.maxRetries) };
      const read = call.read;
      const reader: StreamReader<V> | undefined = read && ((body) => read(body));
      return await this.sendWithRetries(request, retries, context, `${call.request.method} ${host} ${call.summary}`, log, reader, (exchange) => ({
        status: exchange.status,
        headers: exchange.headers,
        value: (reader ? exchange.streamed : exchange.text) as V,
      }));
    } catch (error) {
      throw finalError(error, host, token);
    }
  }

  /**
   * The image models the provider lists (all pages), or the built-in table when it cannot be asked or does not
   * answer usefully. Rejects only when cancelled.
   */
  async listModels(provider: ProviderSettings, token: string | undefined, signal?: AbortSignal): Promise<ModelList> {
    const host = hostOf(provider.baseUrl);
    const log = redactingLog(this.log, token);
    if (!token) return builtinModels(`no API token is set for ${host}`);
    const context: ExchangeContext = { host, signal, timeoutMs: Math.min(timeoutMsOf(provider), MODEL_LIST_TIMEOUT_MS), idleMs: idleMsOf(provider), model: '' };
    const found: ModelInfo[] = [];
    let listed = 0;
    try {
      let pageToken: string | undefined;
      for (let page = 1; page <= MAX_MODEL_PAGES; page++) {
        const { url, headers } = buildModelsRequest(provider, token, pageToken);
        const json = await this.sendWithRetries({ method: 'GET', url, headers }, { ...provider, maxRetries: 0 }, context, `GET ${host} models page ${page}`, log, undefined, (exchange) =>
          parseAnswerJson(exchange.text, host, exchange.status),
        );
        const body = isObject(json) ? json : {};
        const models = Array.isArray(body.models) ? body.models.filter(isObject) : [];
        listed += models.length;
        found.push(...models.filter(canMakeImages).map(toModelInfo));
        pageToken = typeof body.nextPageToken === 'string' && body.nextPageToken !== '' ? body.nextPageToken : undefined;
        if (!pageToken) break;
      }
    } catch (error) {
      const failure = finalError(error, host, token);
      if (failure.kind === 'cancelled') throw failure;
      log.warn(`Model list from ${host} unavailable, using the built-in list: ${failure.message}`);
      return builtinModels(failure.message);
    }
    if (found.length === 0) {
      const reason = listed === 0 ? `${host} listed no models` : `${host} listed ${listed} models but none that make images`;
      log.info(`${reason}; using the built-in list`);
      return builtinModels(reason);
    }
    return { models: dedupe(found), source: 'provider' };
  }

  /**
   * Downloads the images the texts link to; the texts come back without those links. Undefined when there are no
   * links; rejects with the first failure when none could be downloaded (others are logged and skipped).
   */
  private async downloadLinks(
    texts: readonly string[],
    host: string,
    provider: ProviderSettings,
    signal: AbortSignal | undefined,
    log: ClientLog,
  ): Promise<{ images: LinkedImage[]; texts: string[] } | undefined> {
    const links: string[] = [];
    const rest = texts.map((text) => extractImageLinks(text, links).trim()).filter((text) => text !== '');
    if (links.length === 0) return undefined;
    const images: LinkedImage[] = [];
    let failure: unknown;
    for (const link of links) {
      const started = this.clock.now();
      try {
        const image = await downloadLinkedImage(link, { transport: this.transport, answerHost: host, timeoutMs: timeoutMsOf(provider), maxBytes: this.maxResponseBytes, signal });
        log.info(`GET ${image.link} (linked image) → ${image.format} ${describeBytes(image.bytes.length)} in ${Math.round(this.clock.now() - started)} ms`);
        images.push(image);
      } catch (error) {
        if (isImageError(error) && error.kind === 'cancelled') throw error;
        log.warn(`Linked image not saved: ${error instanceof Error ? error.message : String(error)}`);
        failure ??= error;
      }
    }
    if (images.length === 0) throw failure;
    return { images, texts: rest };
  }

  /** Reads a 2xx body as it arrives, each image into a file from `sink`. */
  private answerReader<F extends ImageSinkFile>(sink: ImageSink<F>, host: string): StreamReader<{ json: unknown; writer: ImageStreamWriter<F> }> {
    return async (chunks, status) => {
      const writer = new ImageStreamWriter(sink, host, status);
      try {
        for await (const chunk of chunks) await writer.push(chunk);
        return { json: await writer.end(), writer };
      } catch (error) {
        // The answer broke: images that had already arrived whole are handed over before the rest is removed.
        const salvaged = sink.salvage ? writer.completed() : [];
        for (const image of salvaged) await sink.salvage?.(image).catch(() => undefined);
        await writer.abortAll(new Set(salvaged.map((image) => image.file)));
        throw error;
      }
    };
  }

  /** Turns a whole answer (images already in their files) into the result; every file not handed on is aborted. */
  private async finishAnswer<F extends ImageSinkFile>(
    json: unknown,
    writer: ImageStreamWriter<F>,
    job: ImageJob,
    provider: ProviderSettings,
    sent: readonly ApiContent[],
    signal: AbortSignal | undefined,
    log: ClientLog,
  ): Promise<StreamedResult<F>> {
    const host = hostOf(provider.baseUrl);
    try {
      // Some gateways answer 200 with a Google-style error body.
      const embedded = embeddedError(json);
      if (embedded) throw errorFromAnswer(readErrorAnswer(embedded, JSON.stringify(json)), { host, model: job.model, attempts: 1, imageSize: job.imageSize });
      const answer = parseAnswer(json, host, (data) => {
        if (!(data instanceof StreamedImageData)) return undefined;
        const outcome = writer.outcome(data.id);
        if ('image' in outcome) return { image: { ...outcome.image, placeholder: data } };
        return 'problem' in outcome ? outcome : { problem: 'invalid' };
      });
      for (const problem of answer.problems) log.warn(`${host}: skipped ${problem}`);
      // Some gateways link to the image instead of sending it: only fetched when nothing came inline.
      const linked = answer.images.length === 0 ? await this.downloadLinks(answer.texts, host, provider, signal, log) : undefined;
      const complete = linked ? { ...answer, images: [...answer.images, ...linked.images], texts: linked.texts } : answer;
      const parsed = resultFromAnswer(complete, sent, host);
      const images: StreamedImage<F>[] = [];
      // Images that came as data URLs inside text are small: they go through the same sink whole.
      for (const image of parsed.images) {
        const saved = 'file' in image ? image : await writer.saveWhole(image);
        if (saved) images.push(saved);
      }
      await writer.abortAll(new Set(images.map((image) => image.file)));
      const warnings = [...(parsed.warnings ?? [])];
      if (writer.skipped > 0) {
        const note = `${host} sent ${images.length + writer.skipped} images in one answer; only the first ${MAX_IMAGES_PER_ANSWER} were saved, ${writer.skipped} skipped.`;
        log.warn(note);
        warnings.push(note);
      }
      const described = images.map((image) => `${image.format} ${describeBytes(image.size)}`).join(', ');
      const drafts = answer.draftsSkipped ? `, ${answer.draftsSkipped} draft part(s) skipped` : '';
      log.info(`${host}: ${images.length} image(s) (${described})${drafts}, finishReason ${parsed.finishReasons.join(', ') || 'none'}`);
      const details = readTokenDetails(json);
      const usage = parsed.usage && details ? { ...parsed.usage, candidatesTokensDetails: details } : parsed.usage;
      const grounding = readGrounding(json);
      if (grounding) log.info(`${host}: grounded in Google Search, ${grounding.sources.length} source(s)`);
      return { ...parsed, images, warnings, usage, ...(grounding ? { grounding } : {}) };
    } catch (error) {
      await writer.abortAll();
      throw error;
    }
  }

  /** One request, retried as the policy allows; `stream` reads a 2xx body as it arrives, `onSuccess` makes the result. */
  private async sendWithRetries<T, V>(
    request: HttpRequest,
    provider: ProviderSettings,
    context: ExchangeContext,
    summary: string,
    log: ClientLog,
    stream: StreamReader<V> | undefined,
    onSuccess: (exchange: Extract<Exchange<V>, { ok: true }>) => T | Promise<T>,
  ): Promise<T> {
    const { host, signal, model, imageSize } = context;
    const policy = new RetryPolicy({ maxRetries: provider.maxRetries, random: this.random, capMs: this.retryCapMs });
    for (let attempt = 1; ; attempt++) {
      throwIfCancelled(signal, host);
      const started = this.clock.now();
      const exchange = await this.exchange(request, context, stream);
      const took = `in ${Math.round(this.clock.now() - started)} ms, attempt ${attempt}/${policy.maxAttempts}`;
      const line = (outcome: string): string => `${summary} → ${outcome} ${took}`;

      if (!exchange.ok) {
        const { error } = exchange;
        const retryable = exchange.beforeAnswer && error.kind === 'network' && RETRYABLE_NETWORK_CODES.has(error.code ?? '');
        if (retryable && policy.hasAttemptsAfter(attempt)) {
          const wait = policy.backoffMs(attempt);
          log.warn(`${line(`failed: ${error.kind} (${error.code})`)}; retrying in ${describeDuration(wait)} (backoff)`);
          await this.sleep(wait, signal, host);
          continue;
        }
        log.error(`${line(`failed: ${error.kind}${error.code ? ` (${error.code})` : ''}`)}`);
        throw error;
      }

      const { status, headers, text } = exchange;
      const received = `${status} (${describeBytes(exchange.bytes)})`;
      if (status >= 200 && status < 300) {
        log.info(line(received));
        return await onSuccess(exchange);
      }
      if (status >= 300 && status < 400) {
        log.error(line(received));
        throw redirectError(status, headerValue(headers, 'location'), request.url, host);
      }
      const answer = readErrorAnswer(status, text);
      const retryable = isRetryableAnswer(errorKindOf(answer), status);
      const wait = retryable ? policy.waitAfter(attempt, headers, answer.json, this.clock.now()) : undefined;
      const daily = status === 429 && isDailyQuota(answer.json);
      const handedBack = status === 429 && provider.retryQuota === false;
      if (wait && !daily && !handedBack && policy.hasAttemptsAfter(attempt)) {
        if (wait.ms <= policy.capMs) {
          log.warn(`${line(received)}; retrying in ${describeDuration(wait.ms)} (${wait.source})`);
          await this.sleep(wait.ms, signal, host);
          continue;
        }
        log.error(`${line(received)}; not retrying: ${host} asks to wait ${describeDuration(wait.ms)}, longer than ${describeDuration(policy.capMs)}`);
        throw errorFromAnswer(answer, { host, model, attempts: attempt, retryAfterMs: wait.ms, imageSize });
      }
      log.error(line(received) + (daily ? '; daily quota, not retrying' : ''));
      const askedMs = wait && wait.source !== 'backoff' ? wait.ms : undefined;
      throw errorFromAnswer(answer, { host, model, attempts: attempt, retryAfterMs: askedMs, imageSize });
    }
  }

  /** Sends once and reads the whole answer, under the deadline, the idle limit and the size cap. Never throws. */
  private async exchange<V>(request: HttpRequest, context: ExchangeContext, stream?: StreamReader<V>): Promise<Exchange<V>> {
    const { host, timeoutMs, idleMs, signal } = context;
    const maxResponseBytes = context.maxResponseBytes ?? this.maxResponseBytes;
    const deadline = new AbortController();
    const stalled = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error('deadline')), timeoutMs);
    const combined = AbortSignal.any(signal ? [signal, deadline.signal, stalled.signal] : [deadline.signal, stalled.signal]);
    let beforeAnswer = true;
    try {
      const response = await this.transport.request(request, { signal: combined, headersTimeoutMs: timeoutMs, bodyTimeoutMs: idleMs });
      beforeAnswer = false;
      const counted = { bytes: 0 };
      const idle = { ms: idleMs, controller: stalled };
      const body = cappedBody(response.body, response.headers, maxResponseBytes, combined, host, counted, idle);
      if (stream && response.status >= 200 && response.status < 300) {
        const streamed = await stream(body, response.status);
        return { ok: true, status: response.status, headers: response.headers, text: '', bytes: counted.bytes, streamed };
      }
      const chunks: Uint8Array[] = [];
      for await (const chunk of body) chunks.push(chunk);
      return { ok: true, status: response.status, headers: response.headers, text: Buffer.concat(chunks).toString('utf8'), bytes: counted.bytes };
    } catch (thrown) {
      let error: ImageError;
      if (signal?.aborted) error = cancelledError(host);
      else if (deadline.signal.aborted) error = timeoutError(host, timeoutMs, beforeAnswer);
      else if (stalled.signal.aborted) error = stallError(host, idleMs);
      else error = asImageError(thrown, host);
      if (error.kind === 'timeout' && !deadline.signal.aborted && !stalled.signal.aborted) {
        error = error.code === 'UND_ERR_BODY_TIMEOUT' ? stallError(host, idleMs) : timeoutError(host, timeoutMs, beforeAnswer);
      }
      return { ok: false, error, beforeAnswer };
    } finally {
      clearTimeout(timer);
    }
  }

  private async sleep(ms: number, signal: AbortSignal | undefined, host: string): Promise<void> {
    try {
      await this.clock.sleep(ms, signal);
    } catch {
      throw cancelledError(host);
    }
    throwIfCancelled(signal, host);
  }
}

/** The body's chunks, refused as soon as they pass the cap, ending when the signal aborts; `counted` keeps the total. */
async function* cappedBody(
  body: AsyncIterable<Uint8Array>,
  headers: HeaderValues,
  maxBytes: number,
  signal: AbortSignal,
  host: string,
  counted: { bytes: number },
  idle: { readonly ms: number; readonly controller: AbortController },
): AsyncGenerator<Uint8Array, void, undefined> {
  const declared = Number(headerValue(headers, 'content-length'));
  const tooLarge = (size: string): ImageError =>
    new ImageError(
      'tooLarge',
      `The answer from ${host} is ${size}, more than the ${describeBytes(maxBytes)} this extension accepts. Ask for a smaller size or fewer images.`,
      { host },
    );
  const iterator = body[Symbol.asyncIterator]();
  let onAbort: (() => void) | undefined;
  // A transport that ignores the signal must not hold the client past its deadline.
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  let finished = false;
  try {
    if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(describeBytes(declared));
    for (;;) {
      // Only the wait for the network counts as idle, not the time the reader spends writing what it got.
      const stall = setTimeout(() => idle.controller.abort(new Error('stalled')), idle.ms);
      const next = await Promise.race([iterator.next(), aborted]).finally(() => clearTimeout(stall));
      if (next.done) break;
      counted.bytes += next.value.length;
      if (counted.bytes > maxBytes) throw tooLarge(`over ${describeBytes(maxBytes)}`);
      yield next.value;
    }
    finished = true;
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
    // Stops the download (and frees the socket) when the answer is refused midway.
    if (!finished) iterator.return?.().catch(() => undefined);
  }
}

function timeoutMsOf(provider: ProviderSettings): number {
  const seconds = Number.isFinite(provider.timeoutSeconds) && provider.timeoutSeconds > 0 ? provider.timeoutSeconds : 600;
  return Math.round(seconds * 1000);
}

function idleMsOf(provider: ProviderSettings): number {
  const seconds = provider.idleTimeoutSeconds;
  return Math.round((seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : DEFAULT_IDLE_TIMEOUT_SECONDS) * 1000);
}

function describeOptions(job: ImageJob, baseUrl: string): string {
  const options = [
    `refs=${job.references.length}`,
    job.aspectRatio ? `ratio=${job.aspectRatio}` : undefined,
    job.imageSize ? `size=${job.imageSize}${describeModel(job.model)?.fixedSize ? ' (fixed by model, not sent)' : ''}` : undefined,
    job.outputFormat ? `format=${job.outputFormat}${acceptsOutputFormat(baseUrl) ? '' : " (not sent: Google's API has no output format)"}` : undefined,
    job.thinkingLevel ? `thinking=${job.thinkingLevel}` : undefined,
    job.grounding ? 'grounding=googleSearch' : undefined,
    job.includeText ? 'text+image' : 'image',
    job.history?.length ? `turns=${job.history.length + 1}` : undefined,
  ];
  return options.filter(Boolean).join(' ');
}

function redirectError(status: number, location: string | undefined, requestUrl: string, host: string): ImageError {
  let target = 'another address';
  if (location) {
    try {
      const url = new URL(location, requestUrl);
      target = url.host === host ? `${url.origin}${url.pathname}` : url.origin;
    } catch {
      target = 'an unreadable address';
    }
  }
  return new ImageError(
    'redirect',
    `${host} answered ${status}, a redirect to ${target}. Redirects are not followed, so the token is never sent anywhere else: ` +
      'if that address is right, set geminiImage.baseUrl to it.',
    { host, status },
  );
}

function timeoutError(host: string, timeoutMs: number, beforeAnswer: boolean): ImageError {
  const seconds = Math.round(timeoutMs / 1000);
  const what = beforeAnswer ? `No answer from ${host} within ${seconds} s` : `The answer from ${host} was still arriving when the ${seconds} s limit ran out`;
  return new ImageError(
    'timeout',
    `${what}. Large images can take minutes: try again, or raise geminiImage.timeoutSeconds.`,
    { host },
  );
}

/** No body bytes for the idle limit: the connection stalled, which is not the same as a slow model. */
function stallError(host: string, idleMs: number): ImageError {
  return new ImageError(
    'timeout',
    `${host} stopped sending its answer: nothing arrived for ${describeDuration(idleMs)}, so the connection stalled. ` +
      'Try again; on a very slow connection, raise geminiImage.idleTimeoutSeconds.',
    { host, code: 'STALLED' },
  );
}

function cancelledError(host: string): ImageError {
  return new ImageError('cancelled', `Cancelled; nothing more is sent to ${host}.`, { host });
}

function throwIfCancelled(signal: AbortSignal | undefined, host: string): void {
  if (signal?.aborted) throw cancelledError(host);
}

function asImageError(thrown: unknown, host: string): ImageError {
  if (isImageError(thrown)) return thrown;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  const code = thrown && typeof thrown === 'object' && 'code' in thrown && typeof thrown.code === 'string' ? thrown.code : undefined;
  return new ImageError('network', `Could not reach ${host} (${message}). Check the network, the proxy settings and geminiImage.baseUrl.`, {
    host,
    code,
    cause: thrown,
  });
}

/** Whatever went wrong, as an ImageError whose text cannot contain the token. */
function finalError(thrown: unknown, host: string, token: string | undefined): ImageError {
  const error = isImageError(thrown)
    ? thrown
    : new ImageError('malformedAnswer', `Unexpected problem with the answer from ${host}: ${thrown instanceof Error ? thrown.message : String(thrown)}`, {
        host,
        cause: thrown,
      });
  return error.redacted(token);
}

function redactingLog(log: ClientLog, token: string | undefined): ClientLog {
  return {
    info: (message) => log.info(redactSecret(message, token)),
    warn: (message) => log.warn(redactSecret(message, token)),
    error: (message) => log.error(redactSecret(message, token)),
  };
}

/** The status of an `{"error": {...}}` (or Vertex `[{"error": {...}}]`) body sent with a 2xx (its `code`, else 500); undefined for a normal answer. */
function embeddedError(json: unknown): number | undefined {
  const first: unknown = Array.isArray(json) && json.length > 0 ? json[0] : json;
  if (!isObject(first) || !isObject(first.error) || 'candidates' in first) return undefined;
  const code = first.error.code;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : 500;
}

function canMakeImages(model: Record<string, unknown>): boolean {
  const methods = model.supportedGenerationMethods;
  if (Array.isArray(methods) && !methods.includes('generateContent')) return false;
  const id = typeof model.name === 'string' ? normalizeModelId(model.name) : '';
  return id !== '' && (describeModel(id) !== undefined || /image/i.test(id));
}

function toModelInfo(model: Record<string, unknown>): ModelInfo {
  const id = normalizeModelId(String(model.name));
  return {
    id,
    displayName: typeof model.displayName === 'string' ? model.displayName : undefined,
    description: typeof model.description === 'string' ? model.description : undefined,
    capabilities: describeModel(id),
  };
}

function builtinModels(reason: string): ModelList {
  return { models: KNOWN_MODEL_IDS.map((id) => ({ id, capabilities: describeModel(id) })), source: 'builtin', reason };
}

function dedupe(models: ModelInfo[]): ModelInfo[] {
  const seen = new Set<string>();
  return models.filter((model) => !seen.has(model.id) && seen.add(model.id));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
