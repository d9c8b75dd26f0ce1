// Batch API mode in a real extension host against the local server: images saved with recipes, a reload mid-poll
// (state persisted, poller disposed, resumed from workspace state as activation does), a reload mid-save (no copies),
// cancel, a per-line failure.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BatchApiMode, RUNNING_BATCHES_KEY, runBatchApiMode, type BatchApiRunResult, type BatchApiServices } from '../../src/batch/batchApiMode';
import { BatchRuns, resumedBatchCards } from '../../src/batch/batchProgress';
import type { BatchStatus } from '../../src/core/batch/batchApi';
import type { RememberedBatch } from '../../src/core/batch/batchRecord';
import type { PreparedBatchItem } from '../../src/core/batch/types';
import { ImageClient } from '../../src/core/imageClient';
import { readRecipe } from '../../src/core/recipe';
import { createUndiciTransport, type ClosableTransport } from '../../src/http/index';
import { ImageWriter } from '../../src/imageWriter';
import { readSettings } from '../../src/settings';
import { SENTINEL_TOKEN } from '../sentinel';
import { advanceBatch, enqueueFaults, geminiServerUrl, recordedRequests, resetServer, serverBatches, setServerOptions } from './geminiAdmin';

const MODEL = 'gemini-3.1-flash-image';

class RecordingLog {
  readonly lines: string[] = [];
  info(message: string): void {
    this.lines.push(message);
  }
  warn(message: string): void {
    this.lines.push(message);
  }
  error(message: string): void {
    this.lines.push(message);
  }
  show(): void {
    // Nothing to show in a test.
  }
}

/** Workspace state as VS Code keeps it: values go through JSON, like the real storage. */
function memoryState(): vscode.Memento {
  const values = new Map<string, string>();
  return {
    keys: () => [...values.keys()],
    get: ((key: string, fallback?: unknown) => (values.has(key) ? JSON.parse(values.get(key) as string) : fallback)) as vscode.Memento['get'],
    update: async (key: string, value: unknown) => {
      if (value === undefined) values.delete(key);
      else values.set(key, JSON.stringify(value));
    },
  };
}

/** Resolves once `check` holds, asking again after each event-loop turn the server needs (state, not time). */
async function until<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never happened: ${what}`);
}

suite('Batch API mode', () => {
  let transport: ClosableTransport;
  let log: RecordingLog;
  let folder: vscode.Uri;
  const modes: BatchApiMode[] = [];

  const root = (): vscode.Uri => {
    const workspace = vscode.workspace.workspaceFolders?.[0];
    assert.ok(workspace, 'the suite needs a workspace folder');
    return workspace.uri;
  };

  function services(state: vscode.Memento, extra: Partial<BatchApiServices> = {}): BatchApiServices {
    const client = new ImageClient({ transport, log });
    return {
      tokens: { get: async () => SENTINEL_TOKEN },
      clients: { get: () => client },
      writer: new ImageWriter(),
      log,
      state,
      settings: () => ({ ...readSettings(), baseUrl: geminiServerUrl(), maxRetries: 1 }),
      // The local server moves a batch on as it is polled: no need to wait the product's 5 s between polls.
      pollDelayMs: () => 10,
      ...extra,
    };
  }

  function mode(state: vscode.Memento, extra: Partial<BatchApiServices> = {}): BatchApiMode {
    const created = new BatchApiMode(services(state, extra));
    modes.push(created);
    return created;
  }

  function items(count: number): PreparedBatchItem<vscode.Uri>[] {
    return Array.from({ length: count }, (_, index) => ({
      key: `line-${index + 1}`,
      line: index + 1,
      job: { prompt: `studio photo of sneaker ${index + 1}`, references: [], model: MODEL, aspectRatio: '1:1', includeText: false },
      slug: `sneaker-${index + 1}`,
      folder,
    }));
  }

  function saved(): string[] {
    return fs.existsSync(folder.fsPath) ? fs.readdirSync(folder.fsPath).sort() : [];
  }

  setup(async () => {
    await resetServer();
    transport = createUndiciTransport({});
    log = new RecordingLog();
    folder = vscode.Uri.joinPath(root(), 'generated-images', `batch-api-${Date.now()}`);
  });

  teardown(async () => {
    for (const created of modes.splice(0)) created.dispose();
    await transport.close();
    assert.ok(!log.lines.join('\n').includes(SENTINEL_TOKEN), 'the token reached the log');
    fs.rmSync(folder.fsPath, { recursive: true, force: true });
  });

  test('a batch is submitted, polled to its end, and every image saved with a recipe naming the batch', async () => {
    const state = memoryState();
    const heard: BatchStatus[] = [];
    const result = await runBatchApiMode(undefined, items(3), mode(state), { displayName: 'sneakers', onStatus: (status) => heard.push(status) });
    assert.deepEqual(result.failures, []);
    // The panel's card hears the submit, every poll and the final state, all of the one batch.
    assert.equal(heard[0].state, 'pending');
    assert.equal(heard.at(-1)?.state, 'succeeded');
    assert.equal(heard.at(-1)?.succeeded, 3);
    assert.deepEqual([...new Set(heard.map((status) => status.name))], [heard[0].name]);
    assert.deepEqual(result.files.map((file) => path.basename(file.fsPath)).sort(), ['sneaker-1.png', 'sneaker-2.png', 'sneaker-3.png']);
    assert.deepEqual(saved(), ['sneaker-1.png', 'sneaker-2.png', 'sneaker-3.png']);
    const [batch] = await serverBatches();
    assert.equal(batch.state, 'BATCH_STATE_SUCCEEDED');
    assert.deepEqual(batch.keys, ['line-1', 'line-2', 'line-3']);
    const recipe = readRecipe(fs.readFileSync(path.join(folder.fsPath, 'sneaker-2.png')));
    assert.equal(recipe?.prompt, 'studio photo of sneaker 2');
    assert.equal(recipe?.batch, batch.name);
    assert.equal(recipe?.aspectRatio, '1:1');
    const create = (await recordedRequests()).find((request) => request.path.endsWith(':batchGenerateContent'));
    assert.equal(create?.headers.authorization, `Bearer ${SENTINEL_TOKEN}`);
    assert.equal(state.get(RUNNING_BATCHES_KEY), undefined, 'a collected batch is forgotten');
  });

  test('a batch survives a reload mid-poll: remembered in workspace state, resumed, its images saved', async () => {
    await setServerOptions({ holdBatches: true });
    const state = memoryState();
    const before = mode(state);
    const interrupted = before.run(undefined, items(2), { displayName: 'reloaded' }).then(
      () => 'finished',
      () => 'stopped',
    );
    // Mid-poll: the batch exists, is remembered, and has been polled at least once.
    const [submitted] = await until('the batch polled once', async () => {
      const batches = await serverBatches();
      return batches.length === 1 && batches[0].polls >= 1 ? batches : undefined;
    });
    assert.match(before.statusText ?? '', /^\$\(cloud\) Gemini batch: pending 0\/2$/);
    const remembered = state.get<RememberedBatch[]>(RUNNING_BATCHES_KEY);
    assert.equal(remembered?.[0].name, submitted.name);
    // The window goes away: the poller is disposed, nothing is saved, the batch stays remembered.
    before.dispose();
    assert.equal(await interrupted, 'stopped');
    assert.deepEqual(saved(), []);
    assert.equal(state.get<RememberedBatch[]>(RUNNING_BATCHES_KEY)?.length, 1);

    await advanceBatch('succeeded', submitted.name);
    let resumed: ((value: BatchApiRunResult) => void) | undefined;
    const finished = new Promise<BatchApiRunResult>((resolve) => (resumed = resolve));
    const after = mode(state, { onResumedBatchFinished: (batch, result) => batch.name === submitted.name && resumed?.(result) });
    after.resumeRemembered();
    const result = await finished;
    assert.deepEqual(result.failures, []);
    assert.deepEqual(saved(), ['sneaker-1.png', 'sneaker-2.png']);
    assert.equal(readRecipe(fs.readFileSync(path.join(folder.fsPath, 'sneaker-1.png')))?.batch, submitted.name);
    assert.equal(state.get(RUNNING_BATCHES_KEY), undefined);
  });

  test('a reload while its images were being saved: the next window keeps them, saves only the rest, never a -2 copy', async () => {
    const state = memoryState();
    // What workspace state held as each image was saved: the batch must still be remembered then.
    const rememberedAtSave: (RememberedBatch[] | undefined)[] = [];
    const writer = new ImageWriter();
    const watched: BatchApiServices['writer'] = {
      storeFor: (where) => {
        const store = writer.storeFor(where);
        const commit = store.commit.bind(store);
        store.commit = async (file, slug, recipe) => {
          rememberedAtSave.push(state.get<RememberedBatch[]>(RUNNING_BATCHES_KEY));
          return commit(file, slug, recipe);
        };
        return store;
      },
    };
    const run = await runBatchApiMode(undefined, items(2), mode(state, { writer: watched }), { displayName: 'interrupted save' });
    assert.deepEqual(run.failures, []);
    assert.equal(rememberedAtSave.length, 2);
    assert.ok(rememberedAtSave.every((batches) => batches?.length === 1), 'forgotten only once every image is saved');
    assert.equal(state.get(RUNNING_BATCHES_KEY), undefined);

    // The window went away after saving sneaker-1: the batch was still remembered, sneaker-2 not saved yet.
    const [record] = rememberedAtSave[0] ?? [];
    assert.ok(record);
    fs.rmSync(path.join(folder.fsPath, 'sneaker-2.png'));
    const kept = fs.readFileSync(path.join(folder.fsPath, 'sneaker-1.png'));
    const collect = async (): Promise<BatchApiRunResult> => {
      await state.update(RUNNING_BATCHES_KEY, [record]);
      let resumed: ((value: BatchApiRunResult) => void) | undefined;
      const finished = new Promise<BatchApiRunResult>((resolve) => (resumed = resolve));
      mode(state, { onResumedBatchFinished: (batch, result) => batch.name === record.name && resumed?.(result) }).resumeRemembered();
      return finished;
    };
    const first = await collect();
    assert.deepEqual(first.failures, []);
    assert.deepEqual(first.files.map((file) => path.basename(file.fsPath)).sort(), ['sneaker-1.png', 'sneaker-2.png']);
    assert.deepEqual(saved(), ['sneaker-1.png', 'sneaker-2.png']);
    assert.deepEqual(fs.readFileSync(path.join(folder.fsPath, 'sneaker-1.png')), kept, 'the image already saved is left as it was');
    assert.equal(readRecipe(fs.readFileSync(path.join(folder.fsPath, 'sneaker-2.png')))?.batch, record.name);
    assert.equal(state.get(RUNNING_BATCHES_KEY), undefined);
    assert.ok(log.lines.some((line) => line.includes('line 1 already saved before the reload (sneaker-1.png)')));

    // Collected once more (a second reload before it was forgotten): both images are there, nothing is written.
    const second = await collect();
    assert.deepEqual(second.files.map((file) => path.basename(file.fsPath)).sort(), ['sneaker-1.png', 'sneaker-2.png']);
    assert.deepEqual(saved(), ['sneaker-1.png', 'sneaker-2.png']);
  });

  test('cancel sends batches.cancel and every line says it was not made', async () => {
    await setServerOptions({ holdBatches: true });
    const cancellation = new vscode.CancellationTokenSource();
    const state = memoryState();
    const running = runBatchApiMode(undefined, items(2), mode(state), { cancellation: cancellation.token });
    await until('the batch submitted', async () => ((await serverBatches()).length === 1 ? true : undefined));
    cancellation.cancel();
    const result = await running;
    cancellation.dispose();
    assert.deepEqual(result.files, []);
    assert.deepEqual(result.failures.map((failure) => failure.line), [1, 2]);
    assert.match(result.failures[0].message, /cancelled/);
    const [batch] = await serverBatches();
    assert.equal(batch.cancelRequested, true);
    assert.equal(batch.state, 'BATCH_STATE_CANCELLED');
    assert.deepEqual(saved(), []);
    assert.equal(state.get(RUNNING_BATCHES_KEY), undefined);
  });

  test('a refused line is a failure of that line only', async () => {
    await enqueueFaults({ kind: 'refused', reason: 'IMAGE_SAFETY', message: 'Unable to show the generated image.' });
    const result = await runBatchApiMode(undefined, items(3), mode(memoryState()));
    assert.deepEqual(saved(), ['sneaker-2.png', 'sneaker-3.png']);
    assert.deepEqual(result.failures.map((failure) => failure.line), [1]);
    assert.match(result.failures[0].message, /IMAGE_SAFETY|Unable to show/);
  });

  test('the extension registers Show Batch API Jobs, and with nothing running it just says so', async () => {
    const extension = vscode.extensions.all.find((candidate) => candidate.packageJSON?.name === 'gemini-image-studio');
    await extension?.activate();
    assert.ok((await vscode.commands.getCommands(true)).includes('geminiImage.showBatches'));
    await vscode.commands.executeCommand('geminiImage.showBatches');
  });

  test('a provider without the Batch API fails the run before anything is remembered', async () => {
    const state = memoryState();
    const gateway = mode(state, { settings: () => ({ ...readSettings(), baseUrl: `${geminiServerUrl()}/no-batch-here`, maxRetries: 0 }) });
    await assert.rejects(runBatchApiMode(undefined, items(1), gateway), (error: unknown) => error instanceof Error && /404|not found/i.test(error.message));
    assert.equal(state.get(RUNNING_BATCHES_KEY), undefined);
  });

  test('a batch resumed after a reload gets a card: the provider’s state from real polls, and Cancel on it cancels the batch at the provider', async () => {
    await setServerOptions({ holdBatches: true });
    const state = memoryState();
    const before = mode(state);
    const interrupted = before.run(undefined, items(2), { displayName: 'resumed card' }).catch(() => undefined);
    const [submitted] = await until('the batch remembered', async () => {
      const batches = await serverBatches();
      return batches.length === 1 && state.get<RememberedBatch[]>(RUNNING_BATCHES_KEY)?.length === 1 ? batches : undefined;
    });
    before.dispose();
    await interrupted;

    const runs = new BatchRuns();
    const recorded: BatchApiRunResult[] = [];
    const after: BatchApiMode = mode(state, {
      ...resumedBatchCards(runs, {
        cancel: (name) => after.cancel(name),
        record: async (_batch, result) => {
          recorded.push(result as BatchApiRunResult);
          return 'resumed.results.jsonl';
        },
        log,
      }),
    });
    after.resumeRemembered();
    const polled = await until('the card shows a poll', async () => (runs.views[0]?.state === 'Pending at the provider' ? runs.views[0] : undefined));
    assert.equal(polled.title, 'resumed card', 'no prompts file: the display name');
    assert.equal(polled.mode, 'batch');
    assert.equal(polled.progress, '0 of 2');
    assert.equal(runs.cancel(polled.id), true);
    const ended = await until('the card ends', async () => (runs.views[0]?.status !== 'running' ? runs.views[0] : undefined));
    assert.equal(ended.status, 'cancelled');
    assert.equal(ended.resultsFile, 'resumed.results.jsonl');
    assert.equal(ended.state, undefined);
    const [batch] = await serverBatches();
    assert.equal(batch.name, submitted.name);
    assert.equal(batch.cancelRequested, true, 'batches.cancel reached the provider');
    assert.equal(recorded[0].failures.length, 2);
    assert.equal(state.get(RUNNING_BATCHES_KEY), undefined);
  });
});
