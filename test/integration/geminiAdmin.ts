// Reaches the local Gemini server from inside the extension host through its admin routes (it runs in another process).
import type { Fault } from '../server/faults';
import type { GeminiServerOptions, RecordedRequest } from '../server/geminiServer';

/** The server's base URL, e.g. http://127.0.0.1:43123; the workspace's geminiImage.baseUrl points at it. */
export function geminiServerUrl(): string {
  const url = process.env.GEMINI_TEST_SERVER;
  if (!url) throw new Error('GEMINI_TEST_SERVER is not set: run the suite through test/runner or .vscode-test.mjs');
  return url;
}

async function admin(method: 'GET' | 'POST', route: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${geminiServerUrl()}/__admin/${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`admin ${method} ${route}: HTTP ${response.status} ${await response.text()}`);
  const text = await response.text();
  return text ? JSON.parse(text) : undefined;
}

/** Every request the server received since the last reset, oldest first. */
export async function recordedRequests(): Promise<RecordedRequest[]> {
  return (await admin('GET', 'requests')) as RecordedRequest[];
}

/** Clears recorded requests, queued faults and option overrides. */
export async function resetServer(): Promise<void> {
  await admin('POST', 'reset');
}

/** Queues faults: each following generateContent request takes the next one. */
export async function enqueueFaults(...faults: Fault[]): Promise<void> {
  await admin('POST', 'faults', faults);
}

/** Overrides server options (e.g. { smallImages: false } for real pixel sizes, { latencyMs: 500 }). */
export async function setServerOptions(options: Partial<GeminiServerOptions>): Promise<void> {
  await admin('POST', 'options', options);
}

/** A batch as the server's Batch API holds it (GET /__admin/batches). */
export interface ServerBatchSummary {
  name: string;
  state: string;
  polls: number;
  cancelRequested: boolean;
  keys: (string | undefined)[];
}

/** The Batch API batches the server holds, oldest first. */
export async function serverBatches(): Promise<ServerBatchSummary[]> {
  return (await admin('GET', 'batches')) as ServerBatchSummary[];
}

/** Moves a batch (default: the newest) to a state now: running, succeeded, failed, cancelled or expired. */
export async function advanceBatch(to: string, name?: string): Promise<void> {
  await admin('POST', 'batches/advance', { to, name });
}
