// The local server's Google Batch API: batchGenerateContent, GET/cancel batches, Files API upload and download.
//
// A batch moves pending -> running -> succeeded as it is polled (`batchPollsPerState` authorised GETs per state,
// default 1), or only when told (option `holdBatches`, then POST /__admin/batches/advance {name?, to}). Each request
// of a batch takes the next queued fault when the batch is created (so `refused`, `blocked`, `error` faults make one
// line fail inside a succeeded batch); its answer is made when the batch succeeds. Create-time checks follow the real
// API: a known model (404), `batch.displayName`, exactly one of `inputConfig.requests.requests` / `inputConfig.fileName`
// (an uploaded file), no unknown fields (400). A request the generateContent checks refuse is a per-request error.
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';
import type { Fault } from './faults';

export type ServerBatchState = 'BATCH_STATE_PENDING' | 'BATCH_STATE_RUNNING' | 'BATCH_STATE_SUCCEEDED' | 'BATCH_STATE_FAILED' | 'BATCH_STATE_CANCELLED' | 'BATCH_STATE_EXPIRED';

/** One request's result as the server made it: a generateContent answer (text) or an error. */
export type GeneratedAnswer = { readonly status: 200; readonly text: string } | { readonly status: number; readonly error: Record<string, unknown> };

/** What the batch routes need from the main server. */
export interface BatchServerHooks {
  readonly url: () => string;
  readonly authorised: (req: http.IncomingMessage) => boolean;
  /** A known model that serves generateContent under the current personality. */
  readonly modelServes: (id: string) => boolean;
  /** The answer a generateContent request would get (checks included), with this fault. */
  readonly generate: (modelId: string, request: unknown, fault: Fault | undefined) => GeneratedAnswer;
  readonly nextFault: () => Fault | undefined;
  readonly sendJson: (res: http.ServerResponse, status: number, value: unknown, headers?: http.OutgoingHttpHeaders) => void;
  readonly sendError: (res: http.ServerResponse, status: number, message?: string) => void;
  readonly sendBytes: (res: http.ServerResponse, status: number, body: Buffer, headers: http.OutgoingHttpHeaders) => void;
  readonly options: () => { readonly holdBatches: boolean; readonly batchPollsPerState: number; readonly batchCreateStatus: number };
}

export interface ServerBatch {
  readonly name: string;
  readonly model: string;
  readonly displayName: string;
  readonly source: 'inline' | 'file';
  state: ServerBatchState;
  /** Authorised polls since the state last changed. */
  polls: number;
  cancelRequested: boolean;
  readonly entries: { readonly key?: string; readonly request: unknown; readonly fault?: Fault; readonly lineError?: string }[];
  results?: unknown[];
  responsesFile?: string;
  readonly createTime: string;
}

const BATCH_CREATE = /^\/v1beta\/models\/([^/:]+):batchGenerateContent$/;
const BATCH_GET = /^\/v1beta\/(batches\/[A-Za-z0-9_-]+)$/;
const BATCH_CANCEL = /^\/v1beta\/(batches\/[A-Za-z0-9_-]+):cancel$/;
const UPLOAD = '/upload/v1beta/files';
const DOWNLOAD = /^\/download\/v1beta\/(files\/[A-Za-z0-9_-]+):download$/;
const MAX_UPLOAD_BYTES = 256 * 1024 * 1024;
const ADVANCE_TO: readonly string[] = ['running', 'succeeded', 'failed', 'cancelled', 'expired'];

export class BatchRoutes {
  readonly batches = new Map<string, ServerBatch>();
  /** Uploaded and generated files by name (`files/…`). */
  readonly files = new Map<string, { readonly displayName: string; readonly mimeType: string; readonly bytes: Buffer }>();
  private readonly uploads = new Map<string, { displayName: string; mimeType: string }>();

  constructor(private readonly hooks: BatchServerHooks) {}

  /** True for the paths this module answers (the caller records the request first). */
  matches(method: string, path: string): boolean {
    return (
      (method === 'POST' && (BATCH_CREATE.test(path) || BATCH_CANCEL.test(path) || path === UPLOAD)) ||
      (method === 'GET' && (BATCH_GET.test(path) || DOWNLOAD.test(path)))
    );
  }

  reset(): void {
    this.batches.clear();
    this.files.clear();
    this.uploads.clear();
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer, tooBig: boolean): Promise<void> {
    if (url.searchParams.has('key')) {
      this.hooks.sendError(res, 400, 'API keys are not accepted in the URL by this server: send Authorization: Bearer or x-goog-api-key.');
      return;
    }
    if (!this.hooks.authorised(req)) {
      this.hooks.sendError(res, 401);
      return;
    }
    if (tooBig) {
      this.hooks.sendError(res, 400, 'Request payload size exceeds the limit.');
      return;
    }
    const path = url.pathname;
    const create = BATCH_CREATE.exec(path);
    if (create) return this.create(res, decodeURIComponent(create[1]), body);
    const cancel = BATCH_CANCEL.exec(path);
    if (cancel) return this.cancel(res, cancel[1]);
    const get = BATCH_GET.exec(path);
    if (get) return this.poll(res, get[1]);
    if (path === UPLOAD) return this.upload(req, res, url, body);
    const download = DOWNLOAD.exec(path);
    if (download) return this.download(res, url, download[1]);
    this.hooks.sendError(res, 404);
  }

  /** POST /__admin/batches/advance {name?, to}: moves one batch (default: the newest) to a state now. */
  advance(name: string | undefined, to: string): ServerBatch {
    const batch = name ? this.batches.get(name) : [...this.batches.values()].pop();
    if (!batch) throw new Error(name ? `no batch ${name}` : 'no batch yet');
    if (!ADVANCE_TO.includes(to)) throw new Error(`to must be one of ${ADVANCE_TO.join(', ')}`);
    this.moveTo(batch, `BATCH_STATE_${to.toUpperCase()}` as ServerBatchState);
    return batch;
  }

  /** What GET /__admin/batches lists. */
  describe(): unknown[] {
    return [...this.batches.values()].map((batch) => ({
      name: batch.name,
      model: batch.model,
      displayName: batch.displayName,
      source: batch.source,
      state: batch.state,
      polls: batch.polls,
      cancelRequested: batch.cancelRequested,
      keys: batch.entries.map((entry) => entry.key),
    }));
  }

  private create(res: http.ServerResponse, modelId: string, body: Buffer): void {
    const refuse = this.hooks.options().batchCreateStatus;
    if (refuse > 0) {
      this.hooks.sendError(res, refuse);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch (error) {
      this.hooks.sendError(res, 400, `Invalid JSON payload received. ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (!this.hooks.modelServes(modelId)) {
      this.hooks.sendError(res, 404, `models/${modelId} is not found for API version v1beta, or is not supported for batchGenerateContent.`);
      return;
    }
    const problem = unknownFields(parsed, ['batch'], '') ?? unknownFields(field(parsed, 'batch'), ['displayName', 'display_name', 'inputConfig', 'input_config', 'priority', 'model'], 'batch');
    if (problem) {
      this.hooks.sendError(res, 400, problem);
      return;
    }
    const batch = field(parsed, 'batch');
    const displayName = field(batch, 'displayName') ?? field(batch, 'display_name');
    if (typeof displayName !== 'string' || displayName === '') {
      this.hooks.sendError(res, 400, '* BatchGenerateContentRequest.batch.display_name: display_name is required\n');
      return;
    }
    const input = field(batch, 'inputConfig') ?? field(batch, 'input_config');
    const inputProblem = unknownFields(input, ['requests', 'fileName', 'file_name'], 'batch.input_config');
    const requests = field(field(input, 'requests'), 'requests');
    const fileName = field(input, 'fileName') ?? field(input, 'file_name');
    if (inputProblem || (requests === undefined) === (fileName === undefined)) {
      this.hooks.sendError(res, 400, inputProblem ?? '* batch.input_config: exactly one of requests or file_name must be set\n');
      return;
    }
    let entries: ServerBatch['entries'];
    if (requests !== undefined) {
      if (!Array.isArray(requests) || requests.length === 0) {
        this.hooks.sendError(res, 400, '* batch.input_config.requests.requests: at least one request is required\n');
        return;
      }
      for (const [index, item] of requests.entries()) {
        const itemProblem = unknownFields(item, ['request', 'metadata'], `batch.input_config.requests.requests[${index}]`);
        const key = field(field(item, 'metadata'), 'key');
        if (itemProblem || typeof field(item, 'request') !== 'object' || (key !== undefined && typeof key !== 'string')) {
          this.hooks.sendError(res, 400, itemProblem ?? `* batch.input_config.requests.requests[${index}]: a request object (and metadata.key a string) is required\n`);
          return;
        }
      }
      entries = requests.map((item) => ({ key: field(field(item, 'metadata'), 'key') as string | undefined, request: field(item, 'request'), fault: this.hooks.nextFault() }));
    } else {
      const file = typeof fileName === 'string' ? this.files.get(fileName) : undefined;
      if (!file) {
        this.hooks.sendError(res, 400, `* batch.input_config.file_name: ${String(fileName)} is not an uploaded file\n`);
        return;
      }
      entries = [];
      for (const line of file.bytes.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          const item = JSON.parse(line) as unknown;
          const key = field(item, 'key');
          entries.push({ key: typeof key === 'string' ? key : undefined, request: field(item, 'request'), fault: this.hooks.nextFault() });
        } catch {
          entries.push({ request: undefined, lineError: 'Invalid JSON in the input file line.' });
        }
      }
    }
    const name = `batches/${randomBytes(9).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x')}`;
    const created: ServerBatch = {
      name,
      model: modelId,
      displayName,
      source: requests !== undefined ? 'inline' : 'file',
      state: 'BATCH_STATE_PENDING',
      polls: 0,
      cancelRequested: false,
      entries,
      createTime: new Date().toISOString(),
    };
    this.batches.set(name, created);
    this.hooks.sendJson(res, 200, this.operation(created));
  }

  private poll(res: http.ServerResponse, name: string): void {
    const batch = this.batches.get(name);
    if (!batch) {
      this.hooks.sendError(res, 404, `Batch ${name} not found.`);
      return;
    }
    batch.polls++;
    const { holdBatches, batchPollsPerState } = this.hooks.options();
    if (!holdBatches && batch.polls >= batchPollsPerState) {
      if (batch.state === 'BATCH_STATE_PENDING') this.moveTo(batch, 'BATCH_STATE_RUNNING');
      else if (batch.state === 'BATCH_STATE_RUNNING') this.moveTo(batch, 'BATCH_STATE_SUCCEEDED');
    }
    this.hooks.sendJson(res, 200, this.operation(batch));
  }

  private cancel(res: http.ServerResponse, name: string): void {
    const batch = this.batches.get(name);
    if (!batch) {
      this.hooks.sendError(res, 404, `Batch ${name} not found.`);
      return;
    }
    batch.cancelRequested = true;
    if (batch.state === 'BATCH_STATE_PENDING' || batch.state === 'BATCH_STATE_RUNNING') this.moveTo(batch, 'BATCH_STATE_CANCELLED');
    this.hooks.sendJson(res, 200, {});
  }

  private moveTo(batch: ServerBatch, state: ServerBatchState): void {
    batch.state = state;
    batch.polls = 0;
    if (state !== 'BATCH_STATE_SUCCEEDED' || batch.results) return;
    batch.results = batch.entries.map((entry) => {
      const metadata = entry.key !== undefined ? { key: entry.key } : undefined;
      const answer: GeneratedAnswer = entry.lineError !== undefined
        ? { status: 400, error: { code: 400, message: entry.lineError, status: 'INVALID_ARGUMENT' } }
        : this.hooks.generate(batch.model, entry.request, entry.fault);
      const outcome = 'text' in answer ? { response: JSON.parse(answer.text) as unknown } : { error: answer.error };
      return batch.source === 'inline' ? { ...outcome, ...(metadata ? { metadata } : {}) } : { ...(entry.key !== undefined ? { key: entry.key } : {}), ...outcome };
    });
    if (batch.source === 'file') {
      const fileName = `files/batch-${batch.name.slice('batches/'.length).toLowerCase()}`;
      this.files.set(fileName, { displayName: `${batch.displayName} results`, mimeType: 'application/jsonl', bytes: Buffer.from(batch.results.map((line) => JSON.stringify(line)).join('\n') + '\n') });
      batch.responsesFile = fileName;
    }
  }

  /** The long-running operation Google answers for create and get. */
  private operation(batch: ServerBatch): Record<string, unknown> {
    const total = batch.entries.length;
    const results = batch.results ?? [];
    const failed = results.filter((result) => typeof result === 'object' && result !== null && 'error' in result).length;
    const done = batch.state !== 'BATCH_STATE_PENDING' && batch.state !== 'BATCH_STATE_RUNNING';
    const metadata: Record<string, unknown> = {
      '@type': 'type.googleapis.com/google.ai.generativelanguage.v1beta.GenerateContentBatch',
      model: `models/${batch.model}`,
      displayName: batch.displayName,
      createTime: batch.createTime,
      updateTime: new Date().toISOString(),
      batchStats: {
        requestCount: String(total),
        ...(batch.results ? { successfulRequestCount: String(total - failed), failedRequestCount: String(failed) } : { pendingRequestCount: String(total) }),
      },
      state: batch.state,
      name: batch.name,
    };
    const operation: Record<string, unknown> = { name: batch.name, metadata };
    if (!done) return operation;
    operation.done = true;
    metadata.endTime = metadata.updateTime;
    // Where Google puts a finished batch's results (the SDKs read metadata.output).
    if (batch.state === 'BATCH_STATE_SUCCEEDED') {
      metadata.output = batch.source === 'inline' ? { inlinedResponses: { inlinedResponses: batch.results } } : { responsesFile: batch.responsesFile };
    } else if (batch.state === 'BATCH_STATE_FAILED') {
      operation.error = { code: 13, message: 'The batch failed: an internal error has occurred.' };
    }
    return operation;
  }

  /** Resumable upload: `start` (answers x-goog-upload-url), then `upload, finalize` to that URL with the bytes. */
  private upload(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): void {
    const command = String(req.headers['x-goog-upload-command'] ?? '').toLowerCase();
    if (command === 'start') {
      if (String(req.headers['x-goog-upload-protocol'] ?? '').toLowerCase() !== 'resumable') {
        this.hooks.sendError(res, 400, 'x-goog-upload-protocol must be resumable.');
        return;
      }
      let metadata: unknown;
      try {
        metadata = JSON.parse(body.toString('utf8') || '{}');
      } catch {
        this.hooks.sendError(res, 400, 'Invalid JSON payload received.');
        return;
      }
      const id = randomBytes(12).toString('hex');
      const displayName = field(field(metadata, 'file'), 'displayName') ?? field(field(metadata, 'file'), 'display_name');
      this.uploads.set(id, { displayName: typeof displayName === 'string' ? displayName : id, mimeType: String(req.headers['x-goog-upload-header-content-type'] ?? 'application/octet-stream') });
      this.hooks.sendJson(res, 200, {}, { 'x-goog-upload-url': `${this.hooks.url()}${UPLOAD}?upload_id=${id}`, 'x-goog-upload-status': 'active' });
      return;
    }
    const id = url.searchParams.get('upload_id') ?? '';
    const pending = this.uploads.get(id);
    if (!pending || !command.includes('upload') || !command.includes('finalize') || req.headers['x-goog-upload-offset'] !== '0') {
      this.hooks.sendError(res, 400, 'Unknown upload, or not a single "upload, finalize" at offset 0.');
      return;
    }
    this.uploads.delete(id);
    const name = `files/${id}`;
    this.files.set(name, { ...pending, bytes: body });
    this.hooks.sendJson(res, 200, {
      file: { name, displayName: pending.displayName, mimeType: pending.mimeType, sizeBytes: String(body.length), state: 'ACTIVE', uri: `${this.hooks.url()}/v1beta/${name}` },
    });
  }

  private download(res: http.ServerResponse, url: URL, name: string): void {
    const file = this.files.get(name);
    if (!file || url.searchParams.get('alt') !== 'media') {
      this.hooks.sendError(res, 404, `File ${name} not found (or alt=media missing).`);
      return;
    }
    this.hooks.sendBytes(res, 200, file.bytes, { 'content-type': file.mimeType });
  }
}

/** Bodies the batch routes read: uploads are much larger than generateContent requests. */
export const BATCH_MAX_BODY_BYTES = MAX_UPLOAD_BYTES;

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

function unknownFields(value: unknown, allowed: readonly string[], path: string): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `* ${path || 'request'}: an object is required\n`;
  const unknown = Object.keys(value).find((key) => !allowed.includes(key));
  return unknown === undefined ? undefined : `Invalid JSON payload received. Unknown name "${unknown}" at '${path}': Cannot find field.`;
}
