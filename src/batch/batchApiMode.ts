// Google's Batch API mode of a prompts-file run: submit, remember in workspace state, poll (status bar), save, cancel.
import * as vscode from 'vscode';
import { CommandIds } from '../commands/ids';
import { BatchApi, followBatch, offersBatchApi, type BatchStatus } from '../core/batch/batchApi';
import { readRememberedBatches, rememberItem, restoreItems, type RememberedBatch } from '../core/batch/batchRecord';
import { saveBatchResults, type BatchItemTarget } from '../core/batch/batchResults';
import type { PreparedBatchItem } from '../core/batch/types';
import { keyedPrompt } from '../core/image/keyColour';
import { workerBackgroundRemover } from '../core/image/transparencyChunk';
import { ImageError, isImageError } from '../core/errors';
import type { ImageClient } from '../core/imageClient';
import type { ProviderSettings } from '../core/imageJob';
import { notificationText } from '../core/notificationText';
import { hostOf } from '../core/origin';
import type { Clock } from '../core/retry';
import { tokenScopeLabel } from '../core/tokenScope';
import type { ImageWriter } from '../imageWriter';
import { readSettings, type Settings } from '../settings';
import { existingImages } from './existingImages';

/** workspaceState key of the batches submitted and not yet saved. */
export const RUNNING_BATCHES_KEY = 'geminiImage.runningBatches';

export interface BatchApiRunResult {
  readonly files: readonly vscode.Uri[];
  readonly failures: readonly { line: number; message: string }[];
}

/** What Batch API mode works with; activate() passes the extension's own services, tests may pass their own. */
export interface BatchApiServices {
  readonly tokens: { get(baseUrl: string): Promise<string | undefined> };
  readonly clients: { get(): ImageClient };
  readonly writer: Pick<ImageWriter, 'storeFor'>;
  readonly log: { info(message: string): void; warn(message: string): void; error(message: string): void; show(): void };
  /** ExtensionContext.workspaceState: running batches are kept here so a window reload resumes them. */
  readonly state: vscode.Memento;
  /** The settings snapshot (default: readSettings()). */
  readonly settings?: () => Settings;
  /** The wait before each poll (default: first within 5 s, doubling to a minute). */
  readonly pollDelayMs?: (poll: number) => number;
  readonly clock?: Clock;
  /** A batch resumed after a reload finished (no caller is waiting for it): e.g. to write its results file. */
  readonly onResumedBatchFinished?: (batch: RememberedBatch, result: BatchApiRunResult) => void;
  /** A remembered batch is picked up after a reload (e.g. to show its card); the listener returned hears its states. */
  readonly onResumingBatch?: (batch: RememberedBatch) => BatchStatusListener | undefined;
  /** A resumed batch could not be collected (no token, the provider refused it): why. */
  readonly onResumedBatchFailed?: (batch: RememberedBatch, message: string) => void;
}

/** Hears each state the provider reports for a followed batch: on submit, on every poll, and the final one. */
export type BatchStatusListener = (status: BatchStatus) => void;

export interface BatchApiRunOptions {
  /** Cancels the batches at the provider (batches.cancel) and resolves with what was finished. */
  readonly cancellation?: vscode.CancellationToken;
  /** The batch's display name at the provider (default: the prompts file's name). */
  readonly displayName?: string;
  /** Hears each batch's states (the panel's card). */
  readonly onStatus?: BatchStatusListener;
}

/** One batch being followed in this window. */
interface Follower {
  readonly record: RememberedBatch;
  status?: BatchStatus;
  readonly abort: AbortController;
  cancelRequested: boolean;
}

/**
 * Batch API mode for the whole window: runs submitted batches to the end, resumes remembered ones on activation,
 * shows them in one status bar item whose command lists them (and cancels one).
 */
export class BatchApiMode implements vscode.Disposable {
  private readonly followers = new Map<string, Follower>();
  /** Remembered batches being picked up (their token is read before they are followed). */
  private readonly resuming = new Set<string>();
  /** Made when the first batch is followed: activation stays light. */
  private statusItem: vscode.StatusBarItem | undefined;
  private disposed = false;

  /** Background removal off the extension host's thread, loaded on first use (as interactive runs do). */
  private readonly removeBackground = workerBackgroundRemover(__dirname);

  constructor(private readonly services: BatchApiServices) {}

  /**
   * Submits the items (one batch per model), remembers each batch in workspace state, polls until each is finished
   * and saves every image through the same path as interactive runs. A line whose request was refused or failed is a
   * failure of that line only. Rejects when nothing could be submitted (no token, the provider refused the batch).
   */
  async run(promptsFile: vscode.Uri | undefined, items: readonly PreparedBatchItem<vscode.Uri>[], options: BatchApiRunOptions = {}): Promise<BatchApiRunResult> {
    if (items.length === 0) return { files: [], failures: [] };
    // A transparent line asks for its key colour in the request itself; the key is removed once the image is saved.
    const sent = items.map((item) => (item.background === 'transparent' ? { ...item, job: { ...item.job, prompt: keyedPrompt(item.job.prompt).prompt } } : item));
    const settings = this.settings();
    const token = await this.services.tokens.get(settings.baseUrl);
    const host = hostOf(settings.baseUrl);
    if (!token) {
      throw new ImageError('noToken', `No API token is set for ${tokenScopeLabel(settings.baseUrl)}. Run "Gemini Image: Set API Key (Token)…" first.`, { host });
    }
    this.announce(settings.baseUrl, sent.length);
    // Google keeps display names short; the file name is what the user recognises in the list.
    const displayName = (options.displayName ?? (promptsFile ? promptsFile.path.split('/').pop() ?? 'prompts' : 'Gemini Image Studio batch')).slice(0, 128);
    const abort = new AbortController();
    const subscription = options.cancellation?.onCancellationRequested(() => abort.abort());
    const api = this.api(settings.baseUrl, token);
    const submitted: Promise<BatchApiRunResult>[] = [];
    const failures: { line: number; message: string }[] = [];
    try {
      for (const [model, group] of groupByModel(sent)) {
        let status: BatchStatus;
        try {
          if (abort.signal.aborted) throw new ImageError('cancelled', `Cancelled; nothing more is sent to ${host}.`, { host });
          status = await api.submit(model, group.map((item) => ({ key: item.key, job: item.job })), displayName, abort.signal);
        } catch (error) {
          // Nothing accepted yet: the run fails as a whole, with the provider's reason.
          if (submitted.length === 0) throw error;
          failures.push(...group.map((item) => ({ line: item.line, message: messageOf(error) })));
          continue;
        }
        const record: RememberedBatch = {
          name: status.name,
          baseUrl: settings.baseUrl,
          model,
          displayName,
          ...(promptsFile ? { promptsFile: promptsFile.toString() } : {}),
          submittedAt: new Date().toISOString(),
          items: group.map((item) => rememberItem(item, (folder) => folder.toString())),
        };
        // Remembered before the first poll: a reload from here on resumes it.
        await this.remember(record);
        this.services.log.info(`Batch ${status.name} (${displayName}): ${group.length} request(s) for ${model} submitted to ${host}`);
        submitted.push(this.follow(record, group, status, abort.signal, token, options.onStatus));
      }
      const results = await Promise.all(submitted);
      return {
        files: results.flatMap((result) => result.files),
        failures: [...failures, ...results.flatMap((result) => result.failures)].sort((a, b) => a.line - b.line),
      };
    } finally {
      subscription?.dispose();
    }
  }

  /**
   * Resumes polling every batch remembered in workspace state that is not followed yet: on activation after a
   * reload, and again when a token is stored (a batch whose token was missing is collected once it is set).
   */
  resumeRemembered(): void {
    for (const record of readRememberedBatches(this.services.state.get(RUNNING_BATCHES_KEY))) {
      if (this.followers.has(record.name) || this.resuming.has(record.name)) continue;
      this.resuming.add(record.name);
      void this.resume(record).finally(() => this.resuming.delete(record.name));
    }
  }

  /** The status bar item's command: lists the running batches; picking one offers to cancel it. */
  async showBatches(): Promise<void> {
    const running = [...this.followers.values()];
    if (running.length === 0) {
      void vscode.window.showInformationMessage('No Gemini Batch API job is running in this workspace.');
      return;
    }
    const picked = await vscode.window.showQuickPick(
      running.map((follower) => ({ label: follower.record.displayName, description: `${follower.record.name} · ${describeStatus(follower)}`, follower })),
      { title: 'Gemini Batch API jobs', placeHolder: 'Pick a batch to cancel it or see its log' },
    );
    if (!picked) return;
    const cancel = 'Cancel Batch';
    const log = 'Show Log';
    const answer = await vscode.window.showInformationMessage(
      notificationText(`${picked.follower.record.displayName} (${picked.follower.record.name}) is ${describeStatus(picked.follower)}. Images arrive within 24 hours at half the interactive price.`),
      cancel,
      log,
    );
    if (answer === cancel) this.cancel(picked.follower.record.name);
    if (answer === log) this.services.log.show();
  }

  /** Cancels one followed batch (batches.cancel); what it finished is still saved. */
  cancel(name: string): void {
    const follower = this.followers.get(name);
    if (!follower) return;
    follower.cancelRequested = true;
    follower.abort.abort();
  }

  /** What the status bar item shows (undefined when no batch is followed). */
  get statusText(): string | undefined {
    return this.followers.size > 0 ? this.statusItem?.text : undefined;
  }

  /** Names of the batches followed now. */
  get running(): readonly string[] {
    return [...this.followers.keys()];
  }

  dispose(): void {
    this.disposed = true;
    // Stops polling in this window only: the batches stay remembered and resume on the next activation.
    for (const follower of this.followers.values()) follower.abort.abort();
    this.followers.clear();
    this.statusItem?.dispose();
  }

  private async resume(record: RememberedBatch): Promise<void> {
    const label = `Batch ${record.displayName} (${record.name})`;
    const onStatus = this.services.onResumingBatch?.(record);
    try {
      const token = await this.services.tokens.get(record.baseUrl);
      if (!token) throw new ImageError('noToken', `No API token is set for ${tokenScopeLabel(record.baseUrl)}: set it again to collect this batch.`, { host: hostOf(record.baseUrl) });
      this.services.log.info(`${label}: resuming after a reload`);
      const items = restoreItems(record, (text) => vscode.Uri.parse(text, true));
      const result = await this.follow(record, items, undefined, undefined, token, onStatus);
      if (this.disposed) return;
      this.services.onResumedBatchFinished?.(record, result);
      const failed = result.failures.length > 0 ? `, ${result.failures.length} failed (see the log)` : '';
      void vscode.window.showInformationMessage(notificationText(`${label} finished: ${result.files.length} image(s) saved${failed}.`));
    } catch (error) {
      if (this.disposed) return;
      this.services.log.error(`${label}: ${messageOf(error)}`);
      this.services.onResumedBatchFailed?.(record, messageOf(error));
      void vscode.window.showWarningMessage(notificationText(`${label} could not be collected: ${messageOf(error)}`));
    }
  }

  /** Polls one batch to its end (or its cancel), saves its results and forgets it. */
  private async follow(
    record: RememberedBatch,
    items: readonly BatchItemTarget<vscode.Uri>[],
    first: BatchStatus | undefined,
    outer: AbortSignal | undefined,
    knownToken?: string,
    onStatus?: BatchStatusListener,
  ): Promise<BatchApiRunResult> {
    const token = knownToken ?? (await this.services.tokens.get(record.baseUrl)) ?? '';
    const api = this.api(record.baseUrl, token);
    const follower: Follower = { record, status: first, abort: new AbortController(), cancelRequested: false };
    const onOuterAbort = (): void => {
      follower.cancelRequested = true;
      follower.abort.abort();
    };
    if (outer?.aborted) onOuterAbort();
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    this.followers.set(record.name, follower);
    this.updateStatusItem();
    if (first) onStatus?.(first);
    try {
      let final: BatchStatus;
      try {
        final = await followBatch(api, record.name, {
          clock: this.services.clock,
          schedule: this.services.pollDelayMs,
          signal: follower.abort.signal,
          log: this.services.log,
          onStatus: (status) => {
            follower.status = status;
            this.updateStatusItem();
            onStatus?.(status);
          },
        });
      } catch (error) {
        // A batch the provider no longer knows (deleted, or past its retention) is not asked about again.
        if (isImageError(error) && error.status === 404) await this.forget(record.name);
        if (!follower.cancelRequested) throw error;
        final = await this.cancelAtProvider(api, record);
      }
      onStatus?.(final);
      const outcome = await saveBatchResults(final, this.targetsInWorkspace(items), {
        api,
        reader: this.services.clients.get(),
        provider: this.provider(record.baseUrl),
        token,
        storeFor: (folder) => this.services.writer.storeFor(folder),
        log: this.services.log,
        removeBackground: this.removeBackground,
        // A reload while saving left some images on disk: the resumed batch keeps them instead of saving copies.
        existing: { list: existingImages, folderKey: (folder) => folder.toString() },
      });
      const outside = items.filter((item) => !vscode.workspace.getWorkspaceFolder(item.folder));
      const failures = [...outcome.failures, ...outside.map((item) => ({ line: item.line, message: `${item.folder.fsPath} is not inside the workspace: images are only saved there.` }))];
      this.services.log.info(`Batch ${record.name} ${final.state}: ${outcome.files.length} image(s) saved, ${failures.length} line(s) failed`);
      await this.forget(record.name);
      return { files: outcome.files, failures: failures.sort((a, b) => a.line - b.line) };
    } finally {
      outer?.removeEventListener('abort', onOuterAbort);
      if (this.followers.get(record.name) === follower) this.followers.delete(record.name);
      this.updateStatusItem();
    }
  }

  /** Sends batches.cancel and reads the state once; a batch the provider has not stopped yet counts as cancelled. */
  private async cancelAtProvider(api: BatchApi, record: RememberedBatch): Promise<BatchStatus> {
    this.services.log.info(`Batch ${record.name}: cancelling at the provider`);
    await api.cancel(record.name);
    const status = await api.status(record.name);
    return status.state === 'pending' || status.state === 'running' ? { ...status, state: 'cancelled' } : status;
  }

  /** Items whose folder is (still) inside the workspace: a remembered folder is not trusted blindly. */
  private targetsInWorkspace(items: readonly BatchItemTarget<vscode.Uri>[]): BatchItemTarget<vscode.Uri>[] {
    return items.filter((item) => vscode.workspace.getWorkspaceFolder(item.folder) !== undefined);
  }

  private announce(baseUrl: string, count: number): void {
    const host = hostOf(baseUrl);
    void vscode.window.showInformationMessage(
      notificationText(
        `Submitting ${count} image request(s) to Google's Batch API: half the price of interactive requests, results within 24 hours ` +
          '(often much sooner). You can keep working or reload the window: the batch is followed in the status bar and resumed.',
      ),
    );
    if (!offersBatchApi(baseUrl)) {
      this.services.log.warn(`Batch API mode on ${host}, which is not Google's API: trying it because batch mode was asked for`);
      void vscode.window.showWarningMessage(
        notificationText(`${host} is not Google's API. Gateways rarely offer the Batch API (batchGenerateContent); trying it because batch mode was asked for. If it fails, run the batch with mode "interactive".`),
      );
    }
  }

  private updateStatusItem(): void {
    if (this.disposed) return;
    const followers = [...this.followers.values()];
    if (followers.length === 0) {
      this.statusItem?.hide();
      return;
    }
    if (!this.statusItem) {
      this.statusItem = vscode.window.createStatusBarItem('geminiImage.batches', vscode.StatusBarAlignment.Left, 10);
      this.statusItem.name = 'Gemini Image batches';
      this.statusItem.command = CommandIds.showBatches;
    }
    const total = followers.reduce((sum, follower) => sum + (follower.status?.total ?? follower.record.items.length), 0);
    const done = followers.reduce((sum, follower) => sum + (follower.status?.succeeded ?? 0) + (follower.status?.failed ?? 0), 0);
    const states = followers.map((follower) => follower.status?.state ?? 'pending');
    const state = states.includes('running') ? 'running' : states.includes('pending') ? 'pending' : states[0];
    this.statusItem.text = `$(cloud) Gemini batch: ${state} ${done}/${total}`;
    this.statusItem.tooltip = `${followers.length} Gemini Batch API job(s): half price, results within 24 hours. Click to see or cancel them.`;
    this.statusItem.show();
  }

  private api(baseUrl: string, token: string): BatchApi {
    return new BatchApi({ client: this.services.clients.get(), provider: this.provider(baseUrl), token, log: this.services.log });
  }

  private provider(baseUrl: string): ProviderSettings {
    const settings = this.settings();
    return {
      baseUrl,
      authHeader: settings.authHeader,
      timeoutSeconds: settings.timeoutSeconds,
      idleTimeoutSeconds: settings.idleTimeoutSeconds,
      maxRetries: settings.maxRetries,
      maxRequestBytes: settings.maxRequestBytes,
    };
  }

  private settings(): Settings {
    return (this.services.settings ?? readSettings)();
  }

  private async remember(record: RememberedBatch): Promise<void> {
    const kept = readRememberedBatches(this.services.state.get(RUNNING_BATCHES_KEY)).filter((batch) => batch.name !== record.name);
    await this.services.state.update(RUNNING_BATCHES_KEY, [...kept, record]);
  }

  private async forget(name: string): Promise<void> {
    const kept = readRememberedBatches(this.services.state.get(RUNNING_BATCHES_KEY)).filter((batch) => batch.name !== name);
    await this.services.state.update(RUNNING_BATCHES_KEY, kept.length > 0 ? kept : undefined);
  }
}

/**
 * Runs prepared items through Google's Batch API (the `mode: "batch"` of geminiImage.runBatch) and resolves with the
 * images saved and the lines that failed; the caller writes the results file.
 */
export function runBatchApiMode(
  promptsFile: vscode.Uri | undefined,
  items: readonly PreparedBatchItem<vscode.Uri>[],
  batchApi: BatchApiMode,
  options: BatchApiRunOptions = {},
): Promise<BatchApiRunResult> {
  return batchApi.run(promptsFile, items, options);
}

function groupByModel(items: readonly PreparedBatchItem<vscode.Uri>[]): Map<string, PreparedBatchItem<vscode.Uri>[]> {
  const groups = new Map<string, PreparedBatchItem<vscode.Uri>[]>();
  for (const item of items) {
    const group = groups.get(item.job.model) ?? [];
    group.push(item);
    groups.set(item.job.model, group);
  }
  return groups;
}

function describeStatus(follower: Follower): string {
  const status = follower.status;
  const total = status?.total ?? follower.record.items.length;
  const done = (status?.succeeded ?? 0) + (status?.failed ?? 0);
  return `${status?.state ?? 'submitted'} ${done}/${total}`;
}

function messageOf(error: unknown): string {
  return isImageError(error) || error instanceof Error ? error.message : String(error);
}
