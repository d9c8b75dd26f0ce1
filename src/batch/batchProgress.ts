// The prompt-file batches of this window, running and lately finished, for the panel's batch cards. No vscode import:
// unit-tested in plain Node.
import type { BatchStatus, BatchView } from '../shared/protocol';
import { describeBatchProgress } from '../core/batch/adaptive';

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

interface Entry {
  view: Omit<BatchView, 'progress'>;
  readonly cancel: () => void;
}

export class BatchRuns {
  private readonly entries: Entry[] = [];
  private readonly listeners = new Set<() => void>();
  private nextId = 1;

  constructor(private readonly now: () => number = Date.now) {}

  /** Newest first, each with the notification's text ("37 of 100 · 2 failed · about 3 min left"). */
  get views(): BatchView[] {
    const now = this.now();
    return [...this.entries].reverse().map(({ view }) => ({
      ...view,
      progress: describeBatchProgress({ done: view.done, total: view.total, failed: view.failed, elapsedMs: (view.finishedAt ?? now) - view.startedAt }),
    }));
  }

  onDidChange(listener: () => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  start(start: BatchStart): BatchRun {
    const id = `batch-${this.nextId++}`;
    const entry: Entry = {
      view: { id, title: start.title, mode: start.mode, total: start.total, done: 0, failed: 0, skipped: start.skipped, status: 'running', startedAt: this.now() },
      cancel: start.cancel,
    };
    this.entries.push(entry);
    this.changed();
    return {
      id,
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

  /** Cancels a running batch; false for an unknown id or a finished batch. */
  cancel(id: string): boolean {
    const entry = this.entries.find((candidate) => candidate.view.id === id);
    if (!entry || entry.view.status !== 'running') return false;
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

  private trim(): void {
    const finished = this.entries.filter((entry) => entry.view.status !== 'running');
    for (const old of finished.slice(0, Math.max(0, finished.length - MAX_FINISHED_BATCHES))) this.entries.splice(this.entries.indexOf(old), 1);
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
