// The prompt-file batches of this window, running and lately finished, for the panel's batch cards. No vscode import:
// unit-tested in plain Node.
import type { BatchStatus, BatchView } from '../shared/protocol';
import { describeBatchProgress } from '../core/batch/adaptive';
import type { BatchStatus as ProviderStatus } from '../core/batch/batchApi';
import type { RememberedBatch } from '../core/batch/batchRecord';

/** Finished cards kept until dismissed; older ones drop off. */
export const MAX_FINISHED_BATCHES = 5;

export interface BatchStart {
  /** The prompts file's name, or "3 jobs". */
  readonly title: string;
  readonly mode: BatchView['mode'];
  /** Images to make in this run (lines already made are `skipped`, not counted). */
  readonly total: number;
  readonly skipped: number;
  /** Stops the run: the same abort the progress notification's Cancel uses. */
  readonly cancel: () => void;
}

/** What the run reports while it goes. */
export interface BatchRun {
  readonly id: string;
  progress(done: number, failed: number): void;
  /** `resultsFile` is the workspace path the run itself wrote (never one from the webview). */
  finish(status: Exclude<BatchStatus, 'running'>, details?: { readonly resultsFile?: string; readonly message?: string }): void;
}

/** A poll's answer for one provider batch: its state and counts (when the provider gives them). */
export type PolledBatch = Pick<ProviderStatus, 'name' | 'state' | 'total' | 'succeeded' | 'failed'>;

/** A run through Google's Batch API: one card for the provider batches it submitted (one per model). */
export interface BatchApiRun extends BatchRun {
  /** Each poll's answer: the card shows the provider's state and its counts. */
  polled(status: PolledBatch): void;
  /** The run's images are saved (and its results file written): done, failed or cancelled from what happened. */
  settle(outcome: { readonly saved: number; readonly failed: number }, details?: { readonly resultsFile?: string; readonly message?: string }): void;
}

interface Entry {
  view: Omit<BatchView, 'progress'>;
  readonly cancel: () => void;
  /** Cancel was asked for on the card. */
  cancelRequested?: boolean;
}

export class BatchRuns {
  private readonly entries: Entry[] = [];
  private readonly listeners = new Set<() => void>();
  /** Running Batch API cards by the provider batches they follow (`batches/…`). */
  private readonly byBatchName = new Map<string, BatchApiRun>();
  private nextId = 1;

  constructor(private readonly now: () => number = Date.now) {}

  /** Newest first, each with the notification's text ("37 of 100 · 2 failed · about 3 min left"). */
  get views(): BatchView[] {
    const now = this.now();
    return [...this.entries].reverse().map(({ view: { state, ...view } }) => ({
      ...view,
      // The provider's state is news only while the run lasts; a finished card says done, failed or cancelled.
      ...(view.status === 'running' && state !== undefined ? { state } : {}),
      // No time estimate for a Batch API run: the provider takes up to 24 hours, whatever the pace so far.
      progress: describeBatchProgress({ done: view.done, total: view.total, failed: view.failed, elapsedMs: view.mode === 'batch' ? 0 : (view.finishedAt ?? now) - view.startedAt }),
    }));
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  start(start: BatchStart): BatchRun {
    return this.handle(this.add(start));
  }

  /**
   * A Batch API run, submitted now or resumed after a reload (its `batchNames` known): its card says the
   * provider's state in words and its counts as polls answer. The card's Cancel calls `start.cancel`.
   */
  startBatchApi(start: Omit<BatchStart, 'mode'> & { readonly batchNames?: readonly string[] }): BatchApiRun {
    const resumed = (start.batchNames ?? []).length > 0;
    const entry = this.add({ ...start, mode: 'batch' }, resumed ? 'Resumed after a reload: asking the provider' : 'Submitting to the provider');
    const polled = new Map<string, PolledBatch>();
    const run = this.handle(entry);
    const api: BatchApiRun = {
      ...run,
      finish: (status, details) => {
        for (const name of polled.keys()) if (this.byBatchName.get(name) === api) this.byBatchName.delete(name);
        run.finish(status, details);
      },
      polled: (status) => {
        if (entry.view.status !== 'running') return;
        polled.set(status.name, status);
        this.byBatchName.set(status.name, api);
        const answers = [...polled.values()];
        const failed = answers.reduce((sum, answer) => sum + (answer.failed ?? 0), 0);
        const done = Math.min(entry.view.total, answers.reduce((sum, answer) => sum + (answer.succeeded ?? 0), 0) + failed);
        entry.view = { ...entry.view, done, failed: Math.min(done, failed), state: describeProviderStates(answers.map((answer) => answer.state)) };
        this.changed();
      },
      settle: (outcome, details) => {
        if (entry.view.status !== 'running') return;
        const states = [...polled.values()].map((answer) => answer.state);
        const status =
          entry.cancelRequested || states.includes('cancelled')
            ? 'cancelled'
            : (states.length > 0 && states.every((state) => state === 'failed' || state === 'expired')) || (outcome.saved === 0 && outcome.failed > 0)
              ? 'failed'
              : 'done';
        const failed = Math.min(entry.view.total, outcome.failed);
        entry.view = { ...entry.view, done: Math.min(entry.view.total, outcome.saved + failed), failed };
        api.finish(status, details);
      },
    };
    for (const name of start.batchNames ?? []) {
      polled.set(name, { name, state: 'pending' });
      this.byBatchName.set(name, api);
    }
    return api;
  }

  /** The running card of the Batch API run that follows the provider batch `name` (`batches/…`). */
  batchApiRun(name: string): BatchApiRun | undefined {
    return this.byBatchName.get(name);
  }

  /** Cancels a running batch; false for an unknown id or a finished batch. */
  cancel(id: string): boolean {
    const entry = this.entries.find((candidate) => candidate.view.id === id);
    if (!entry || entry.view.status !== 'running') return false;
    entry.cancelRequested = true;
    entry.cancel();
    return true;
  }

  /** Removes a finished card; a running batch stays (cancel it first). */
  dismiss(id: string): boolean {
    const index = this.entries.findIndex((candidate) => candidate.view.id === id);
    if (index < 0 || this.entries[index].view.status === 'running') return false;
    this.entries.splice(index, 1);
    this.changed();
    return true;
  }

  /** The results file a finished batch wrote, as a workspace path. */
  resultsFileOf(id: string): string | undefined {
    return this.entries.find((candidate) => candidate.view.id === id)?.view.resultsFile;
  }

  dispose(): void {
    this.listeners.clear();
  }

  private add(start: BatchStart, state?: string): Entry {
    const id = `batch-${this.nextId++}`;
    const entry: Entry = {
      view: {
        id,
        title: start.title,
        mode: start.mode,
        total: start.total,
        done: 0,
        failed: 0,
        skipped: start.skipped,
        status: 'running',
        startedAt: this.now(),
        ...(state ? { state } : {}),
      },
      cancel: start.cancel,
    };
    this.entries.push(entry);
    this.changed();
    return entry;
  }

  private handle(entry: Entry): BatchRun {
    return {
      id: entry.view.id,
      progress: (done, failed) => {
        if (entry.view.status !== 'running') return;
        entry.view = { ...entry.view, done, failed };
        this.changed();
      },
      finish: (status, details = {}) => {
        if (entry.view.status !== 'running') return;
        entry.view = {
          ...entry.view,
          status,
          finishedAt: this.now(),
          ...(details.resultsFile !== undefined ? { resultsFile: details.resultsFile } : {}),
          ...(details.message !== undefined ? { message: details.message } : {}),
        };
        this.trim();
        this.changed();
      },
    };
  }

  private trim(): void {
    const finished = this.entries.filter((entry) => entry.view.status !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_BATCHES))) this.entries.splice(this.entries.indexOf(old), 1);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** The provider's state of a run's batches in words: running as soon as one runs, pending while all wait. */
export function describeProviderStates(states: readonly ProviderStatus['state'][]): string {
  if (states.includes('running')) return 'Running at the provider';
  if (states.includes('pending')) return 'Pending at the provider';
  return states.length > 0 ? 'Finished at the provider: saving the images' : 'Submitting to the provider';
}

/** What the cards of resumed batches work with: BatchApiMode's cancel, the results file writer, the log. */
export interface ResumedBatchServices {
  /** Cancels the provider batch `name` (batches.cancel), as "Show Batch API Jobs…" → Cancel Batch does. */
  cancel(name: string): void;
  /** Writes the resumed batch's lines into its results file; resolves with its workspace path (none without a prompts file). */
  record(batch: RememberedBatch, result: { readonly files: readonly unknown[]; readonly failures: readonly unknown[] }): Promise<string | undefined>;
  readonly log: { warn(message: string): void };
}

/**
 * BatchApiMode's hooks for batches resumed after a window reload: each gets a card when it is picked up, follows its
 * polls, and ends once its results file is written (Open Results) or with why it could not be collected.
 */
export function resumedBatchCards(batches: BatchRuns, services: ResumedBatchServices) {
  /** The card an attempt that could not collect the batch left (no key yet): replaced when the batch is picked up again. */
  const stopped = new Map<string, string>();
  return {
    onResumingBatch: (batch: RememberedBatch): ((status: PolledBatch) => void) => {
      const earlier = stopped.get(batch.name);
      stopped.delete(batch.name);
      if (earlier !== undefined) batches.dismiss(earlier);
      const card = batches.startBatchApi({
        title: (batch.promptsFile && fileNameOf(batch.promptsFile)) || batch.displayName,
        total: batch.items.length,
        skipped: 0,
        batchNames: [batch.name],
        cancel: () => services.cancel(batch.name),
      });
      return (status) => card.polled(status);
    },
    onResumedBatchFinished: (batch: RememberedBatch, result: { readonly files: readonly unknown[]; readonly failures: readonly unknown[] }): void => {
      const card = batches.batchApiRun(batch.name);
      const settle = (resultsFile?: string): void => card?.settle({ saved: result.files.length, failed: result.failures.length }, resultsFile ? { resultsFile } : {});
      void services.record(batch, result).then(settle, (error: unknown) => {
        services.log.warn(`Results file not written: ${String(error)}`);
        settle();
      });
    },
    onResumedBatchFailed: (batch: RememberedBatch, message: string): void => {
      const card = batches.batchApiRun(batch.name);
      if (!card) return;
      card.finish('failed', { message });
      stopped.set(batch.name, card.id);
    },
  };
}

/** The last path segment of a URI's text, decoded ("my%20shots.prompts.jsonl" → "my shots.prompts.jsonl"). */
function fileNameOf(uri: string): string | undefined {
  const last = uri.split(/[?#]/)[0].split('/').pop();
  if (!last) return undefined;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}
