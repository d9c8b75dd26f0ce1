// Generations started from the panel: each runs with its own cancellation and reports progress, results and
// failures to its card in the panel instead of notifications.
import * as vscode from 'vscode';
import { isImageError } from '../core/errors';
import { firstFew } from '../core/openLimit';
import { describeCost } from '../core/prices';
import type { GenerationRequest, ImageGenerator } from '../generation';
import type { Log } from '../log';
import { withPreset } from '../presets';
import { readSettings } from '../settings';
import { type ComposeChoices, type JobFailure, type JobView, type ModelChoice, type NextStep } from '../shared/protocol';
import { describeChoices, fitChoices } from './choices';
import { runOptions } from './runOptions';
import type { ImageHistory } from './history';
import { toWorkspacePath } from './workspacePaths';

/** What the panel asked for, with every workspace path already resolved to a file inside the workspace. */
export interface JobRequest {
  readonly id: string;
  readonly prompt: string;
  readonly choices: ComposeChoices;
  readonly model: ModelChoice | undefined;
  readonly references: readonly { readonly path: string; readonly uri: vscode.Uri }[];
  readonly refine?: { readonly path: string; readonly uri: vscode.Uri };
}

interface Job {
  request: JobRequest;
  view: JobView;
  cancellation?: vscode.CancellationTokenSource;
}

/** Finished cards beyond this many are dropped, oldest first. */
const KEPT_JOBS = 12;

export class PanelJobs implements vscode.Disposable {
  private jobs: Job[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly generator: ImageGenerator,
    private readonly history: ImageHistory,
    private readonly log: Log,
  ) {}

  /** Newest first. */
  get views(): readonly JobView[] {
    return this.jobs.map((job) => job.view);
  }

  has(id: string): boolean {
    return this.jobs.some((job) => job.request.id === id);
  }

  start(request: JobRequest): void {
    const job: Job = { request, view: initialView(request) };
    this.jobs.unshift(job);
    this.trim();
    void this.run(job);
  }

  cancel(id: string): void {
    this.find(id)?.cancellation?.cancel();
  }

  /** Runs the same request again on the same card. */
  /** Runs the same request again on the same card; with `model`, on that model instead (after a 404). */
  retry(id: string, model?: ModelChoice): void {
    const job = this.find(id);
    if (!job || job.view.status === 'running') return;
    if (model) job.request = { ...job.request, model, choices: fitChoices({ ...job.request.choices, model: model.id }, model) };
    job.view = initialView(job.request);
    this.jobs = [job, ...this.jobs.filter((other) => other !== job)];
    void this.run(job);
  }

  dismiss(id: string): void {
    const job = this.find(id);
    if (!job) return;
    job.cancellation?.cancel();
    this.jobs = this.jobs.filter((other) => other !== job);
    this.changed.fire();
  }

  private async run(job: Job): Promise<void> {
    const { request } = job;
    const settings = readSettings();
    const cancellation = new vscode.CancellationTokenSource();
    job.cancellation = cancellation;
    this.changed.fire();
    const referencePaths = request.references.map((reference) => reference.path);
    const historyUpdates: Promise<unknown>[] = [];
    const generation: GenerationRequest = {
      prompt: request.prompt,
      references: request.references.map((reference) => reference.uri),
      options: runOptions(request.choices, request.model),
      ...(request.refine ? { refine: request.refine.uri } : {}),
    };
    const shouldOpen = firstFew();
    const onSaved = (file: vscode.Uri): void => {
      const path = toWorkspacePath(file) ?? file.path;
      // The gallery learns about the image from the recipe inside it before the card shows it.
      historyUpdates.push(
        this.history
          .addFile(file, referencePaths)
          .catch((error: unknown) => this.log.warn(`Could not add ${path} to the history: ${String(error)}`))
          .then(() => {
            job.view = { ...job.view, saved: [...job.view.saved, path] };
            this.changed.fire();
          }),
      );
      if (settings.openAfterSave && shouldOpen()) void openBeside(file);
    };
    try {
      // A preset expands the prompt from its template here, as for commands; a preset removed meanwhile fails the card.
      const outcome = await this.generator.run(settings, withPreset(generation), cancellation.token, onSaved);
      await Promise.all(historyUpdates);
      job.view = {
        ...job.view,
        status: 'done',
        finishedAt: Date.now(),
        texts: outcome.texts.map((text) => this.log.redact(text)),
        failures: outcome.failures.map((failure) => this.log.redact(failure)),
        notes: (outcome.warnings ?? []).map((note) => this.log.redact(note)),
        // The card names the model really used: "auto (gemini-3.1-flash-image)".
        model: outcome.autoModel ? `auto (${outcome.model})` : outcome.model,
        ...(outcome.grounding ? { grounding: { queries: outcome.grounding.queries, sources: outcome.grounding.sources } } : {}),
        ...(outcome.cost
          ? {
              cost:
                describeCost(outcome.cost) +
                (outcome.files.length > 1 ? ` · ${describeCost({ ...outcome.cost, usd: outcome.cost.usd / outcome.files.length })} per image` : '') +
                (outcome.sessionCostUsd !== undefined ? ` · this session ≈ $${outcome.sessionCostUsd.toFixed(3)}` : ''),
            }
          : {}),
      };
    } catch (error) {
      await Promise.all(historyUpdates);
      const cancelled = cancellation.token.isCancellationRequested || (isImageError(error) && error.kind === 'cancelled');
      const failure = this.failureOf(error);
      this.log.warn(`Panel job ${cancelled ? 'cancelled' : 'failed'}: ${failure.message}`);
      job.view = { ...job.view, status: cancelled ? 'cancelled' : 'failed', finishedAt: Date.now(), failure };
    } finally {
      job.cancellation = undefined;
      cancellation.dispose();
      this.changed.fire();
    }
  }

  private failureOf(error: unknown): JobFailure {
    const message = this.log.redact(error instanceof Error ? error.message : String(error));
    if (!isImageError(error)) return { kind: 'error', message, texts: [], steps: ['retry', 'showLog'] };
    return {
      kind: error.kind,
      message,
      ...(error.code ? { code: error.code } : {}),
      texts: error.texts.map((text) => this.log.redact(text)),
      steps: stepsFor(error.kind),
    };
  }

  private find(id: string): Job | undefined {
    return this.jobs.find((job) => job.request.id === id);
  }

  private trim(): void {
    while (this.jobs.length > KEPT_JOBS) {
      const oldest = [...this.jobs].reverse().find((job) => job.view.status !== 'running');
      if (!oldest) break;
      this.jobs = this.jobs.filter((job) => job !== oldest);
    }
  }

  dispose(): void {
    this.jobs.forEach((job) => job.cancellation?.cancel());
    this.changed.dispose();
  }
}

function stepsFor(kind: string): NextStep[] {
  switch (kind) {
    case 'noToken':
    case 'authRejected':
      return ['setToken', 'showLog'];
    case 'modelNotFound':
      return ['chooseModel', 'openSettings', 'showLog'];
    case 'redirect':
      return ['openSettings', 'retry', 'showLog'];
    // Retrying the same request cannot help: money, the tier or the location must change, or another model be chosen.
    case 'billing':
    case 'notAvailable':
      return ['openSettings', 'showLog'];
    case 'historyRejected':
      return ['showLog'];
    case 'invalidJob':
    case 'tooLarge':
      return ['showLog'];
    case 'disk':
      return ['openSettings', 'retry', 'showLog'];
    case 'cancelled':
    case 'blocked':
    case 'imageRefused':
    case 'noImage':
      return ['retry'];
    default:
      return ['retry', 'showLog'];
  }
}

function initialView(request: JobRequest): JobView {
  return {
    id: request.id,
    prompt: request.prompt,
    model: request.choices.model,
    summary: describeChoices(request.choices, request.model),
    ...(request.refine ? { refine: request.refine.path } : {}),
    variants: request.choices.variants,
    status: 'running',
    startedAt: Date.now(),
    saved: [],
    texts: [],
    failures: [],
  };
}

async function openBeside(file: vscode.Uri): Promise<void> {
  try {
    await vscode.commands.executeCommand('vscode.open', file, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
  } catch {
    // The image was moved or deleted before its editor opened: there is nothing to show.
  }
}
