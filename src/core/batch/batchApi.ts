// Google's Batch API for image jobs: the submission (inline or a JSONL file), the batch's state, its results per key.
import { errorFromAnswer, readErrorAnswer } from '../errorAnswer';
import { describeBytes, ImageError, isImageError } from '../errors';
import type { ApiAnswer, ApiCall, ClientLog } from '../imageClient';
import type { ImageJob, ProviderSettings } from '../imageJob';
import { GATEWAY_MAX_REQUEST_BYTES, isGoogleBaseUrl, normalizeModelId } from '../models';
import { hostOf } from '../origin';
import { apiUrl, buildGenerateBody } from '../request';
import { systemClock, type Clock } from '../retry';
import { headerValue } from '../transport';

/** What a batch is doing, in the user's words (Google's BATCH_STATE_… without the prefix). */
export type BatchState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'expired' | 'unknown';

/** A batch in one of these states changes no more: its results (if any) can be read. */
export const FINISHED_STATES: ReadonlySet<BatchState> = new Set(['succeeded', 'failed', 'cancelled', 'expired']);

/**
 * Inline requests while the whole create call stays under this; above it the requests go as a JSONL file through
 * the Files API. Google documents 20 MB for inline batches whatever the interactive limit is.
 */
export const INLINE_BATCH_BYTES = GATEWAY_MAX_REQUEST_BYTES;
/**
 * A finished inline batch answers with every image in one JSON document, read whole; a results file is read one answer
 * at a time. So a batch whose answers would pass this (by estimateAnswerBytes) goes as a file even when its requests
 * are small: memory then holds one image, not the whole batch.
 */
export const INLINE_RESULTS_BYTES = 64 * 1024 * 1024;
/** The most one answer is expected to weigh (base64 PNG in JSON, worst case), by the size asked for. */
const ANSWER_BYTES_BY_SIZE: Readonly<Record<string, number>> = { '512': 1_000_000, '1K': 3_000_000, '2K': 10_000_000, '4K': 32_000_000 };

/** What a batch's answers may weigh together when they come back inline. */
export function estimateAnswerBytes(entries: readonly BatchEntry[]): number {
  return entries.reduce((sum, entry) => sum + (ANSWER_BYTES_BY_SIZE[entry.job.imageSize ?? '1K'] ?? ANSWER_BYTES_BY_SIZE['1K']), 0);
}

/** A results file holds every image of the batch (read line by line): up to the Files API's 2 GB. */
export const BATCH_RESULTS_MAX_BYTES = 2 * 1024 * 1024 * 1024;
/** A finished inline batch's status holds every image too, read whole: below V8's longest string. */
export const BATCH_STATUS_MAX_BYTES = 512 * 1024 * 1024;
/** First poll (within 5 s), then doubling up to a minute between polls. */
export const FIRST_POLL_MS = 5_000;
export const MAX_POLL_MS = 60_000;

/** One request of a batch: the key the result comes back under and the job it asks for. */
export interface BatchEntry {
  readonly key: string;
  readonly job: ImageJob;
}

/** What a poll (or the create call) says about a batch. */
export interface BatchStatus {
  /** `batches/…` */
  readonly name: string;
  readonly state: BatchState;
  /** Requests in the batch, and how many are done each way (when the provider says). */
  readonly total?: number;
  readonly succeeded?: number;
  readonly failed?: number;
  /** `files/…` holding one result per line, once a file-based batch is done. */
  readonly responsesFile?: string;
  /** Each request's result, once an inline batch is done (same order as sent). */
  readonly inlined?: readonly BatchResult[];
  /** Why the whole batch failed. */
  readonly error?: string;
}

/** The result of one request: its answer (a generateContent answer) or why it has none. */
export interface BatchResult {
  /** Undefined when the provider did not echo it (inline results then follow the order sent). */
  readonly key?: string;
  readonly response?: unknown;
  readonly error?: string;
}

/** Whether batch mode is offered by default: Google's own API has it; gateways rarely do (still honoured when asked). */
export function offersBatchApi(baseUrl: string): boolean {
  return isGoogleBaseUrl(baseUrl);
}

/** The delay before poll number `poll` (0 = the first after submitting or resuming). */
export function pollDelayMs(poll: number): number {
  return Math.min(MAX_POLL_MS, FIRST_POLL_MS * 2 ** Math.max(0, Math.min(poll, 10)));
}

/** How the requests go: inline in the create call, or a JSONL file uploaded first. */
export type BatchSubmission =
  | { readonly kind: 'inline'; readonly body: string }
  | { readonly kind: 'file'; readonly jsonl: string; readonly body: (fileName: string) => string };

/**
 * The create call's body (inline while the whole body is at most `inlineLimit` bytes and the answers are expected to
 * stay under `resultsLimit`), or the JSONL file and the body naming it.
 */
export function buildBatchSubmission(
  entries: readonly BatchEntry[],
  displayName: string,
  baseUrl: string,
  inlineLimit = INLINE_BATCH_BYTES,
  resultsLimit = INLINE_RESULTS_BYTES,
): BatchSubmission {
  const requests = entries.map((entry) => ({ key: entry.key, request: JSON.stringify(buildGenerateBody(entry.job, undefined, baseUrl)) }));
  const name = JSON.stringify(displayName);
  const inlineRequests = requests.map((entry) => `{"request":${entry.request},"metadata":{"key":${JSON.stringify(entry.key)}}}`);
  const inline = `{"batch":{"displayName":${name},"inputConfig":{"requests":{"requests":[${inlineRequests.join(',')}]}}}}`;
  if (Buffer.byteLength(inline) <= inlineLimit && estimateAnswerBytes(entries) <= resultsLimit) return { kind: 'inline', body: inline };
  const jsonl = requests.map((entry) => `{"key":${JSON.stringify(entry.key)},"request":${entry.request}}\n`).join('');
  return { kind: 'file', jsonl, body: (fileName) => `{"batch":{"displayName":${name},"inputConfig":{"fileName":${JSON.stringify(fileName)}}}}` };
}

const STATE_NAMES: Readonly<Record<string, BatchState>> = {
  BATCH_STATE_PENDING: 'pending',
  BATCH_STATE_RUNNING: 'running',
  BATCH_STATE_SUCCEEDED: 'succeeded',
  BATCH_STATE_FAILED: 'failed',
  BATCH_STATE_CANCELLED: 'cancelled',
  BATCH_STATE_EXPIRED: 'expired',
  // Vertex and some SDKs spell them JOB_STATE_…
  JOB_STATE_PENDING: 'pending',
  JOB_STATE_QUEUED: 'pending',
  JOB_STATE_RUNNING: 'running',
  JOB_STATE_SUCCEEDED: 'succeeded',
  JOB_STATE_FAILED: 'failed',
  JOB_STATE_CANCELLED: 'cancelled',
  JOB_STATE_EXPIRED: 'expired',
};

const BATCH_NAME = /^batches\/[A-Za-z0-9_-]{1,128}$/;
const FILE_NAME = /^files\/[A-Za-z0-9_-]{1,128}$/;

/**
 * Reads a create or poll answer: a long-running operation (`{name, metadata: {state, batchStats}, done, response,
 * error}`) or the batch resource itself (`{name, state, batchStats, output}`). Throws malformedAnswer when it names no batch.
 */
export function parseBatchStatus(json: unknown, host: string): BatchStatus {
  const operation = asObject(json);
  const batch = asObject(operation.metadata);
  const source = Object.keys(batch).length > 0 ? batch : operation;
  const name = [operation.name, batch.name].find((value): value is string => typeof value === 'string' && BATCH_NAME.test(value));
  if (!name) {
    throw new ImageError('malformedAnswer', `${host} did not answer with a batch (no batches/… name): it may not offer Google's Batch API.`, { host });
  }
  const output = { ...asObject(source.output), ...asObject(operation.response) };
  const stats = asObject(source.batchStats);
  let state = STATE_NAMES[String(source.state)] ?? 'unknown';
  const failure = asObject(operation.error);
  if (Object.keys(failure).length > 0) state = state === 'cancelled' ? state : 'failed';
  else if (operation.done === true && state === 'unknown') state = 'succeeded';
  const inlinedList = asObject(output.inlinedResponses).inlinedResponses;
  const responsesFile = typeof output.responsesFile === 'string' && FILE_NAME.test(output.responsesFile) ? output.responsesFile : undefined;
  return {
    name,
    state,
    ...numberField('total', stats.requestCount),
    ...numberField('succeeded', stats.successfulRequestCount),
    ...numberField('failed', stats.failedRequestCount),
    ...(responsesFile ? { responsesFile } : {}),
    ...(Array.isArray(inlinedList) ? { inlined: inlinedList.map((item) => readResult(item, host)) } : {}),
    ...(Object.keys(failure).length > 0 ? { error: typeof failure.message === 'string' ? failure.message : JSON.stringify(failure) } : {}),
  };
}

/** One inlined response or one results-file line: `{key?, metadata?: {key}, response?, error?}`. */
export function readResult(value: unknown, host: string, model = ''): BatchResult {
  const item = asObject(value);
  const metadata = asObject(item.metadata);
  const key = typeof item.key === 'string' ? item.key : typeof metadata.key === 'string' ? metadata.key : undefined;
  const error = asObject(item.error);
  if (Object.keys(error).length > 0 || !('response' in item)) {
    const code = typeof error.code === 'number' && error.code >= 400 && error.code < 600 ? error.code : 500;
    const message = Object.keys(error).length > 0 ? errorFromAnswer(readErrorAnswer(code, JSON.stringify({ error })), { host, model, attempts: 1 }).message : `${host} sent no answer for this request.`;
    return { ...(key !== undefined ? { key } : {}), error: message };
  }
  return { ...(key !== undefined ? { key } : {}), response: item.response };
}

/** The operations of Google's Batch API, through the image client (same transport, auth, retries, log and errors). */
export interface BatchApiClient {
  call<V = string>(call: ApiCall<V>, provider: ProviderSettings, token: string | undefined, signal?: AbortSignal): Promise<ApiAnswer<V>>;
}

export interface BatchApiDeps {
  readonly client: BatchApiClient;
  readonly provider: ProviderSettings;
  readonly token: string;
  readonly log: ClientLog;
  /** Inline requests up to this many bytes (default INLINE_BATCH_BYTES), a JSONL file above. */
  readonly inlineLimitBytes?: number;
  /** Inline only while the answers are expected under this many bytes (default INLINE_RESULTS_BYTES). */
  readonly inlineResultsBytes?: number;
}

/** Submits, polls, cancels and reads one provider's batches. */
export class BatchApi {
  private readonly host: string;

  constructor(private readonly deps: BatchApiDeps) {
    this.host = hostOf(deps.provider.baseUrl);
  }

  /** Submits the entries as one batch for `model`; resolves with its first status (its name above all). */
  async submit(model: string, entries: readonly BatchEntry[], displayName: string, signal?: AbortSignal): Promise<BatchStatus> {
    const submission = buildBatchSubmission(entries, displayName, this.deps.provider.baseUrl, this.deps.inlineLimitBytes, this.deps.inlineResultsBytes);
    let body: string;
    if (submission.kind === 'inline') {
      body = submission.body;
    } else {
      this.deps.log.info(
        `Batch ${displayName}: ${entries.length} requests (${describeBytes(Buffer.byteLength(submission.jsonl))}, answers up to ~${describeBytes(estimateAnswerBytes(entries))}) go as a file through the Files API`,
      );
      body = submission.body(await this.upload(submission.jsonl, displayName, signal));
    }
    const url = apiUrl(this.deps.provider.baseUrl, `models/${encodeURIComponent(normalizeModelId(model))}:batchGenerateContent`).toString();
    // Never sent twice: a retry after an answer that was lost could start (and bill) the same batch twice.
    const answer = await this.call(
      { request: { method: 'POST', url, headers: jsonHeaders(), body }, summary: `model=${normalizeModelId(model)} batch of ${entries.length} (${submission.kind})`, model, maxRetries: 0 },
      signal,
    );
    return parseBatchStatus(parseJson(answer.value, this.host), this.host);
  }

  async status(name: string, signal?: AbortSignal): Promise<BatchStatus> {
    const answer = await this.call(
      { request: { method: 'GET', url: this.batchUrl(name), headers: { accept: 'application/json' } }, summary: `${name} status`, maxResponseBytes: BATCH_STATUS_MAX_BYTES },
      signal,
    );
    return parseBatchStatus(parseJson(answer.value, this.host), this.host);
  }

  /** Asks the provider to stop the batch; what it finished is still delivered. */
  async cancel(name: string, signal?: AbortSignal): Promise<void> {
    await this.call({ request: { method: 'POST', url: `${this.batchUrl(name)}:cancel`, headers: jsonHeaders(), body: '{}' }, summary: `${name} cancel` }, signal);
  }

  /**
   * Each result of a finished batch, in order: the inline ones from its status, or a results file read line by line
   * as it downloads (a line is handed on before the next is read, so memory holds one answer at a time).
   */
  async results(status: BatchStatus, onResult: (result: BatchResult) => Promise<void>, signal?: AbortSignal): Promise<void> {
    if (status.inlined) {
      for (const result of status.inlined) await onResult(result);
      return;
    }
    if (!status.responsesFile) return;
    const url = this.filesUrl(`download/v1beta/${status.responsesFile}:download`);
    url.searchParams.set('alt', 'media');
    await this.call<void>(
      {
        request: { method: 'GET', url: url.toString(), headers: {} },
        summary: `${status.responsesFile} download`,
        maxResponseBytes: BATCH_RESULTS_MAX_BYTES,
        read: async (body) => {
          for await (const line of jsonLines(body)) {
            let parsed: unknown;
            try {
              parsed = JSON.parse(line);
            } catch {
              this.deps.log.warn(`${this.host}: skipped a results line that is not JSON (${describeBytes(Buffer.byteLength(line))})`);
              continue;
            }
            await onResult(readResult(parsed, this.host));
          }
        },
      },
      signal,
    );
  }

  /** Uploads the JSONL through the Files API (resumable: start, then upload and finalize); resolves with `files/…`. */
  private async upload(jsonl: string, displayName: string, signal?: AbortSignal): Promise<string> {
    const start = await this.call(
      {
        request: {
          method: 'POST',
          url: this.filesUrl('upload/v1beta/files').toString(),
          headers: {
            ...jsonHeaders(),
            'x-goog-upload-protocol': 'resumable',
            'x-goog-upload-command': 'start',
            'x-goog-upload-header-content-length': String(Buffer.byteLength(jsonl)),
            'x-goog-upload-header-content-type': 'application/jsonl',
          },
          body: JSON.stringify({ file: { displayName } }),
        },
        summary: `file upload start (${describeBytes(Buffer.byteLength(jsonl))})`,
      },
      signal,
    );
    const uploadUrl = headerValue(start.headers, 'x-goog-upload-url');
    // The token goes with the upload: only to the provider the base URL names.
    if (!uploadUrl || !sameOrigin(uploadUrl, this.deps.provider.baseUrl)) {
      throw new ImageError('malformedAnswer', `${this.host} did not give an upload address of its own for the batch file: it may not offer the Files API.`, { host: this.host });
    }
    const finished = await this.call(
      {
        request: { method: 'POST', url: uploadUrl, headers: { 'content-type': 'application/jsonl', 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' }, body: jsonl },
        summary: 'file upload',
        maxRetries: 0,
      },
      signal,
    );
    const file = asObject(asObject(parseJson(finished.value, this.host)).file);
    if (typeof file.name !== 'string' || !FILE_NAME.test(file.name)) {
      throw new ImageError('malformedAnswer', `${this.host} did not name the uploaded batch file (files/…).`, { host: this.host });
    }
    return file.name;
  }

  private call<V = string>(call: ApiCall<V>, signal?: AbortSignal): Promise<ApiAnswer<V>> {
    return this.deps.client.call(call, this.deps.provider, this.deps.token, signal);
  }

  private batchUrl(name: string): string {
    if (!BATCH_NAME.test(name)) throw new ImageError('invalidJob', `"${name}" is not a batch name (batches/…).`, { host: this.host });
    return apiUrl(this.deps.provider.baseUrl, name).toString();
  }

  /** `{origin}{base path}/{path}`: the Files API's upload and download live beside /v1beta, not under it. */
  private filesUrl(path: string): URL {
    const url = apiUrl(this.deps.provider.baseUrl, 'x');
    url.pathname = `${url.pathname.slice(0, -'/v1beta/x'.length)}/${path}`;
    return url;
  }
}

export interface FollowOptions {
  readonly clock?: Clock;
  readonly signal?: AbortSignal;
  /** Each status as it is read. */
  readonly onStatus?: (status: BatchStatus) => void;
  readonly log?: ClientLog;
  /** The wait before each poll (default pollDelayMs). */
  readonly schedule?: (poll: number) => number;
}

/**
 * Polls until the batch is finished (first poll within 5 s, then backing off to a minute). A poll that fails for
 * network reasons, a timeout or a server error is logged and the next one tried; any other failure ends the wait.
 */
export async function followBatch(api: Pick<BatchApi, 'status'>, name: string, options: FollowOptions = {}): Promise<BatchStatus> {
  const clock = options.clock ?? systemClock;
  const schedule = options.schedule ?? pollDelayMs;
  for (let poll = 0; ; poll++) {
    await clock.sleep(schedule(poll), options.signal);
    let status: BatchStatus;
    try {
      status = await api.status(name, options.signal);
    } catch (error) {
      if (isImageError(error) && ['network', 'timeout', 'serverError', 'quota'].includes(error.kind) && !options.signal?.aborted) {
        options.log?.warn(`Batch ${name}: poll failed (${error.message}); trying again later`);
        continue;
      }
      throw error;
    }
    options.onStatus?.(status);
    if (FINISHED_STATES.has(status.state)) return status;
  }
}

/** Why a request has no result after the batch finished in `status`. */
export function missingResultMessage(status: BatchStatus): string {
  switch (status.state) {
    case 'cancelled':
      return `Not made: batch ${status.name} was cancelled before this request was done.`;
    case 'expired':
      return `Not made: batch ${status.name} expired (Google runs a batch for at most 48 hours); run this line again.`;
    case 'failed':
      return `Not made: batch ${status.name} failed${status.error ? ` (${status.error})` : ''}.`;
    default:
      return `No result for this request came back in batch ${status.name}.`;
  }
}

/** The lines of a body, as text, without their line ends; empty lines skipped. */
export async function* jsonLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string, void, undefined> {
  let pending: Buffer[] = [];
  for await (const chunk of body) {
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let end = bytes.indexOf(0x0a); end >= 0; end = bytes.indexOf(0x0a)) {
      pending.push(bytes.subarray(0, end));
      const line = Buffer.concat(pending).toString('utf8').trim();
      pending = [];
      if (line !== '') yield line;
      bytes = bytes.subarray(end + 1);
    }
    if (bytes.length > 0) pending.push(Buffer.from(bytes));
  }
  const last = Buffer.concat(pending).toString('utf8').trim();
  if (last !== '') yield last;
}

function parseJson(text: string, host: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ImageError('malformedAnswer', `${host} answered the Batch API call with something that is not JSON: it may not offer Google's Batch API.`, { host });
  }
}

function jsonHeaders(): Record<string, string> {
  return { 'content-type': 'application/json', accept: 'application/json' };
}

function sameOrigin(url: string, baseUrl: string): boolean {
  try {
    return new URL(url).origin === apiUrl(baseUrl, 'x').origin;
  } catch {
    return false;
  }
}

function numberField<K extends string>(name: K, value: unknown): Partial<Record<K, number>> {
  const number = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : undefined;
  return number === undefined ? {} : ({ [name]: number } as Partial<Record<K, number>>);
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
