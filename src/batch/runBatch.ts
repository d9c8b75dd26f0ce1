// "Run Image Batch…": every line of a prompts file (or `{jobs}`) checked, then run at an adaptive concurrency with one
// progress notification, resumable (images already there with the same recipe are skipped), results beside the file.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeBatchProgress, runAdaptively, type ItemOutcome } from '../core/batch/adaptive';
import { BATCH_MODES, promptFileKind, type ParsedPromptFile } from '../core/batch/promptFile';
import { claimExisting, recipeKeyOf, isOutputName } from '../core/batch/resume';
import type { RememberedBatch } from '../core/batch/batchRecord';
import { formatResults, resultsFileName, type ResultLine } from '../core/batch/results';
import type { BatchMode } from '../core/batch/types';
import type { Usage } from '../core/imageJob';
import { sumUsage } from '../core/jobs/runImageJob';
import { describeCost } from '../core/prices';
import { notificationText } from '../core/notificationText';
import { systemClock } from '../core/retry';
import type { GenerationOutcome } from '../generation';
import { readSettings, type Settings } from '../settings';
import type { GenerationContext } from '../commands/runGeneration';
import { toWorkspacePath } from '../panel/workspacePaths';
import { runBatchApiMode, type BatchApiMode, type BatchApiRunResult } from './batchApiMode';
import type { BatchRuns } from './batchProgress';
import { existingImages } from './existingImages';
import { describeProblems, parseJobsArgument, prepareJobs, readPromptsFile, referenceProblems, type PreparedJob } from './promptSource';

/**
 * The services a batch uses: the generator's for interactive runs, Batch API mode for `mode: "batch"`, and the list
 * of this window's batches the panel shows as cards.
 */
export type BatchContext = GenerationContext & { readonly batchApi: BatchApiMode; readonly batches?: BatchRuns };

/** What the command resolves to for programmatic callers (fsPaths for file: URIs, URI strings otherwise). */
export interface BatchRunResult {
  readonly files: string[];
  readonly failures: { line: number; message: string }[];
  readonly skipped: number;
  /** The results file written beside the prompts file (absent for `{jobs}`). */
  readonly resultsFile?: string;
}

interface BatchArgs {
  readonly file?: vscode.Uri;
  readonly jobs?: unknown;
  readonly mode?: BatchMode;
  /** Only this line of the file (the "Run this line" CodeLens). */
  readonly line?: number;
}

export async function runBatch(context: BatchContext, raw?: unknown): Promise<BatchRunResult | undefined> {
  const programmatic = raw !== undefined && !(raw instanceof vscode.Uri);
  try {
    const args = parseArgs(raw);
    const file = args.jobs === undefined ? (args.file ?? (await askForPromptsFile())) : undefined;
    if (args.jobs === undefined && !file) return undefined;
    return await runChecked(context, args, file);
  } catch (error) {
    const message = notificationText(error instanceof Error ? error.message : String(error));
    context.log.error(`Batch: ${message}`);
    if (programmatic) throw new Error(message);
    void vscode.window.showErrorMessage(message, 'Show Log').then((choice) => choice && context.log.show());
    return undefined;
  }
}

async function runChecked(context: BatchContext, args: BatchArgs, file: vscode.Uri | undefined): Promise<BatchRunResult> {
  const settings = readSettings();
  let parsed: ParsedPromptFile;
  if (file) {
    if (!promptFileKind(file.path)) throw new Error(`${path.posix.basename(file.path)} is not a prompts file: name it *.prompts.jsonl or *.prompts.txt.`);
    // Its results file is written beside it: only inside the workspace.
    if (!vscode.workspace.getWorkspaceFolder(file)) throw new Error(`${file.scheme === 'file' ? file.fsPath : file.toString()} is not inside the workspace: open its folder, or move the prompts file into the workspace.`);
    parsed = await readPromptsFile(file, settings);
  } else {
    parsed = parseJobsArgument(args.jobs, settings);
  }
  const only = args.line;
  const jobs = only === undefined ? parsed.jobs : parsed.jobs.filter((job) => job.line === only);
  const problems = [...parsed.problems.filter((problem) => only === undefined || problem.line === only), ...(await referenceProblems(jobs, file))];
  if (problems.length > 0) throw new Error(describeProblems(problems));
  if (jobs.length === 0) throw new Error(only === undefined ? 'There is nothing to run.' : `Line ${only} has no prompt to run.`);
  if (!vscode.workspace.workspaceFolders?.length) throw new Error('Open a folder before running a batch: its images are saved into the workspace.');
  await context.generator.tokenFor(settings);

  const prepared = await prepareJobs(jobs, file, settings, { generator: context.generator, models: context.catalog });
  const mode = args.mode ?? parsed.mode ?? 'interactive';
  context.log.info(`Batch ${file ? vscode.workspace.asRelativePath(file) : '(jobs)'}: ${prepared.length} item(s), mode ${mode}`);
  const plan = await planRun(context, prepared);
  return mode === 'batch' ? runWithBatchApi(context, plan, file) : runInteractive(context, settings, plan, file);
}

type PlannedJob = PreparedJob & { readonly have: readonly vscode.Uri[] };

interface RunPlan {
  /** Lines already made with the same recipe. */
  readonly results: Map<number, ResultLine>;
  readonly toRun: readonly PlannedJob[];
  readonly skipped: number;
}

/** Which lines are already made (skipped) and how many images each other line still needs. */
async function planRun(context: GenerationContext, prepared: readonly PreparedJob[]): Promise<RunPlan> {
  const existing = await existingImages(prepared.map(({ item }) => item));
  const claims = claimExisting(
    prepared.map(({ item, variants }) => ({ folder: item.folder.toString(), slug: item.slug, key: recipeKeyOf(item.job, item.preset, item.background), variants })),
    existing,
  );
  const results = new Map<number, ResultLine>();
  const toRun: PlannedJob[] = [];
  prepared.forEach((entry, index) => {
    const have = claims[index];
    if (have.length >= entry.variants) {
      results.set(entry.item.line, { line: entry.item.line, status: 'skipped', files: have.map(relative), model: entry.item.job.model, message: 'Already made with the same recipe.' });
    } else {
      toRun.push({ ...entry, have });
    }
  });
  const skipped = prepared.length - toRun.length;
  if (skipped > 0) context.log.info(`Batch: ${skipped} item(s) already made with the same recipe, skipped`);
  return { results, toRun, skipped };
}

/**
 * Google's Batch API: one request per missing image (keys `line-N`, `line-N-2`…), saved by Batch API mode; the results
 * file is written here like an interactive run's (files matched to lines by name, folder and order).
 */
async function runWithBatchApi(context: BatchContext, plan: RunPlan, file: vscode.Uri | undefined): Promise<BatchRunResult> {
  const { results, toRun, skipped } = plan;
  const items = toRun.flatMap((entry) =>
    Array.from({ length: entry.variants - entry.have.length }, (_, index) => ({ ...entry.item, key: index === 0 ? entry.item.key : `${entry.item.key}-${index + 1}` })),
  );
  const name = file ? path.posix.basename(file.path) : undefined;
  // The card's Cancel is the same batches.cancel as "Show Batch API Jobs…" → Cancel Batch: what finished is saved.
  const cancellation = new vscode.CancellationTokenSource();
  const card = context.batches?.startBatchApi({
    title: name ?? `${skipped + toRun.length} job${skipped + toRun.length === 1 ? '' : 's'}`,
    total: items.length,
    skipped,
    cancel: () => cancellation.cancel(),
  });
  try {
    const result = await runBatchApiMode(file, items, context.batchApi, { cancellation: cancellation.token, ...(card ? { onStatus: (status) => card.polled(status) } : {}) });
    const failures = [...result.failures].sort((a, b) => a.line - b.line);
    const lines = batchResultLines(
      toRun.map((entry) => ({ line: entry.item.line, folder: entry.item.folder.toString(), slug: entry.item.slug, model: entry.item.job.model, wanted: entry.variants - entry.have.length, have: entry.have })),
      result,
    );
    for (const line of lines) results.set(line.line, line);
    const outcome = await finish(context, file, results, { files: [...result.files], failures, skipped, throttled: 0 });
    const resultsFile = file ? toWorkspacePath(vscode.Uri.joinPath(file, '..', resultsFileName(path.posix.basename(file.path)))) : undefined;
    card?.settle({ saved: result.files.length, failed: failures.length }, resultsFile ? { resultsFile } : {});
    return outcome;
  } catch (error) {
    card?.finish(cancellation.token.isCancellationRequested ? 'cancelled' : 'failed', { message: notificationText(error instanceof Error ? error.message : String(error)) });
    throw error;
  } finally {
    cancellation.dispose();
  }
}

/** A finished Batch API run's lines: its files matched to lines by folder, name and order, its failures by line. */
function batchResultLines(
  entries: readonly { line: number; folder: string; slug: string; model: string; wanted: number; have: readonly vscode.Uri[] }[],
  result: BatchApiRunResult,
): ResultLine[] {
  const unclaimed = [...result.files];
  return entries.map((entry) => {
    const made: vscode.Uri[] = [];
    for (let i = 0; i < unclaimed.length && made.length < entry.wanted; ) {
      const candidate = unclaimed[i];
      if (candidate.toString().startsWith(`${entry.folder}/`) && isOutputName(entry.slug, path.posix.basename(candidate.path))) {
        made.push(candidate);
        unclaimed.splice(i, 1);
      } else i++;
    }
    const failure = result.failures.find((candidate) => candidate.line === entry.line);
    return {
      line: entry.line,
      status: failure ? 'failed' : 'ok',
      files: [...entry.have, ...made].map(relative),
      model: entry.model,
      ...(failure ? { message: failure.message } : {}),
    };
  });
}

/**
 * A Batch API run that finished after a window reload (nobody was waiting for it): its lines are written into the
 * prompts file's results file, the other lines kept as they were. Resolves with the file's workspace path.
 */
export async function recordResumedBatch(batch: RememberedBatch, result: BatchApiRunResult): Promise<string | undefined> {
  if (!batch.promptsFile) return undefined;
  const file = vscode.Uri.parse(batch.promptsFile, true);
  if (!vscode.workspace.getWorkspaceFolder(file)) return undefined;
  const resultsFile = vscode.Uri.joinPath(file, '..', resultsFileName(path.posix.basename(file.path)));
  const kept = new Map<number, ResultLine>();
  try {
    for (const text of new TextDecoder().decode(await vscode.workspace.fs.readFile(resultsFile)).split('\n')) {
      try {
        const line = JSON.parse(text) as ResultLine;
        if (typeof line.line === 'number') kept.set(line.line, line);
      } catch {
        // not one of ours: dropped
      }
    }
  } catch {
    // no results file yet
  }
  const wanted = new Map<number, { line: number; folder: string; slug: string; model: string; wanted: number; have: vscode.Uri[] }>();
  for (const item of batch.items) {
    const entry = wanted.get(item.line) ?? { line: item.line, folder: item.folder, slug: item.slug, model: item.job.model, wanted: 0, have: [] };
    entry.wanted++;
    wanted.set(item.line, entry);
  }
  for (const line of batchResultLines([...wanted.values()], result)) kept.set(line.line, line);
  await vscode.workspace.fs.writeFile(resultsFile, new TextEncoder().encode(formatResults([...kept.values()])));
  // The workspace path of the file written: the panel's card opens it.
  return toWorkspacePath(resultsFile);
}

async function runInteractive(context: BatchContext, settings: Settings, plan: RunPlan, file: vscode.Uri | undefined): Promise<BatchRunResult> {
  const { toRun } = plan;

  // Every image is its own request through the scheduler, so each 429 is seen (and paced by) and the concurrency
  // counts requests, whatever the variants of a line.
  const units = toRun.flatMap((entry) => Array.from({ length: entry.variants - entry.have.length }, () => entry));
  const name = file ? path.posix.basename(file.path) : undefined;
  const title = notificationText(`Image batch${name ? ` ${name}` : ''}`);
  const started = Date.now();
  let done = 0;
  let failed = 0;
  // One abort for the notification's Cancel and the panel card's Cancel.
  const abort = new AbortController();
  const card = context.batches?.start({
    title: name ?? `${plan.skipped + toRun.length} job${plan.skipped + toRun.length === 1 ? '' : 's'}`,
    mode: 'interactive',
    total: units.length,
    skipped: plan.skipped,
    cancel: () => abort.abort(),
  });
  let outcome: BatchRunResult;
  try {
    const run = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, async (progress, cancellation) => {
      const subscription = cancellation.onCancellationRequested(() => abort.abort());
      const report = (): void => {
        progress.report({ message: describeBatchProgress({ done, total: units.length, failed, elapsedMs: Date.now() - started }) });
        card?.progress(done, failed);
      };
      report();
      try {
        return await runAdaptively<(typeof units)[number], GenerationOutcome>(
          units,
          (entry, signal) => context.generator.runBatchItem(settings, entry.item, 1, signal),
          {
            concurrency: settings.batchConcurrency,
            clock: systemClock,
            signal: abort.signal,
            onSettled: (settled) => {
              done++;
              if (settled.status !== 'ok') failed++;
              report();
            },
            onThrottled: (entry, waitMs, limit) =>
              context.log.warn(`Batch: line ${entry.item.line} met the provider's rate limit; waiting ${Math.round(waitMs)} ms, ${limit} at a time now`),
          },
        );
      } finally {
        subscription.dispose();
      }
    });
    outcome = await collect(context, plan, file, run);
  } catch (error) {
    card?.finish(abort.signal.aborted ? 'cancelled' : 'failed', { message: notificationText(error instanceof Error ? error.message : String(error)) });
    throw error;
  }
  const resultsFile = outcome.resultsFile === undefined || !file ? undefined : toWorkspacePath(vscode.Uri.joinPath(file, '..', resultsFileName(path.posix.basename(file.path))));
  const status = abort.signal.aborted ? 'cancelled' : units.length > 0 && failed === units.length ? 'failed' : 'done';
  card?.finish(status, { ...(resultsFile ? { resultsFile } : {}) });
  return outcome;
}

/** The run's outcomes gathered by line into the results file and the command's result. */
async function collect(
  context: GenerationContext,
  plan: RunPlan,
  file: vscode.Uri | undefined,
  run: { readonly outcomes: readonly ItemOutcome<PlannedJob, GenerationOutcome>[]; readonly throttled: number },
): Promise<BatchRunResult> {
  const { results, toRun } = plan;
  const byLine = new Map<number, { entry: (typeof toRun)[number]; made: vscode.Uri[]; usages: Usage[]; cost: number; errors: string[] }>();
  for (const entry of toRun) byLine.set(entry.item.line, { entry, made: [], usages: [], cost: 0, errors: [] });
  for (const outcome of run.outcomes) {
    const line = byLine.get(outcome.item.item.line);
    if (!line) continue;
    if (outcome.status === 'ok') {
      line.made.push(...outcome.result.files);
      if (outcome.result.usage) line.usages.push(outcome.result.usage);
      line.cost += outcome.result.cost?.usd ?? 0;
    } else {
      line.errors.push(outcome.error instanceof Error ? outcome.error.message : String(outcome.error));
    }
  }
  const files: vscode.Uri[] = [];
  const failures: { line: number; message: string }[] = [];
  for (const [number, { entry, made, usages, cost, errors }] of byLine) {
    files.push(...made);
    const wanted = entry.variants - entry.have.length;
    const message = errors.length === 0 ? undefined : errors.length < wanted ? `${errors.length} of ${wanted} images failed: ${errors[0]}` : errors[0];
    if (message) failures.push({ line: number, message });
    const usage = sumUsage(usages);
    results.set(number, {
      line: number,
      status: message ? 'failed' : 'ok',
      files: [...entry.have, ...made].map(relative),
      model: entry.item.job.model,
      ...(message ? { message } : {}),
      ...(usage ? { usage } : {}),
      ...(usages.length > 0 && cost > 0 ? { costUsd: cost } : {}),
    });
  }
  failures.sort((a, b) => a.line - b.line);
  return finish(context, file, results, { files, failures, skipped: plan.skipped, throttled: run.throttled });
}

/** Writes the results file beside the prompts file, says how it went, and makes the command's result. */
async function finish(
  context: GenerationContext,
  file: vscode.Uri | undefined,
  results: ReadonlyMap<number, ResultLine>,
  outcome: { files: readonly vscode.Uri[]; failures: { line: number; message: string }[]; skipped: number; throttled: number },
): Promise<BatchRunResult> {
  const { files, failures, skipped, throttled } = outcome;
  const resultsFile = file ? vscode.Uri.joinPath(file, '..', resultsFileName(path.posix.basename(file.path))) : undefined;
  if (resultsFile) await vscode.workspace.fs.writeFile(resultsFile, new TextEncoder().encode(formatResults([...results.values()])));
  context.log.info(`Batch done: ${files.length} image(s) saved, ${failures.length} failed, ${skipped} skipped, ${throttled} rate-limit answer(s)`);
  announce(context, { saved: files.length, failed: failures.length, skipped, cost: totalCost(results), resultsFile });
  return { files: files.map(pathOf), failures, skipped, ...(resultsFile ? { resultsFile: pathOf(resultsFile) } : {}) };
}

function totalCost(results: ReadonlyMap<number, ResultLine>): number | undefined {
  const costs = [...results.values()].map((line) => line.costUsd).filter((cost): cost is number => cost !== undefined);
  return costs.length > 0 ? costs.reduce((a, b) => a + b, 0) : undefined;
}

function announce(
  context: GenerationContext,
  summary: { saved: number; failed: number; skipped: number; cost?: number; resultsFile?: vscode.Uri },
): void {
  const parts = [`${summary.saved} image${summary.saved === 1 ? '' : 's'} saved`];
  if (summary.failed > 0) parts.push(`${summary.failed} failed`);
  if (summary.skipped > 0) parts.push(`${summary.skipped} already made, skipped`);
  if (summary.cost !== undefined) parts.push(describeCost({ usd: summary.cost, priceOf: '', custom: Object.keys(readSettings().prices).length > 0 }));
  const text = `Image batch done: ${parts.join(' · ')}.`;
  const actions = [...(summary.resultsFile ? ['Open Results'] : []), ...(summary.failed > 0 ? ['Show Log'] : [])];
  const shown = summary.failed > 0 ? vscode.window.showWarningMessage(text, ...actions) : vscode.window.showInformationMessage(text, ...actions);
  void shown.then((choice) => {
    if (choice === 'Open Results' && summary.resultsFile) void vscode.window.showTextDocument(summary.resultsFile, { preview: true });
    if (choice === 'Show Log') context.log.show();
  });
}

function parseArgs(raw: unknown): BatchArgs {
  if (raw === undefined || raw === null) return {};
  if (raw instanceof vscode.Uri) return { file: raw };
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new Error('Run Image Batch takes {file} or {jobs}, and optionally mode.');
  const args = raw as Record<string, unknown>;
  const unknown = Object.keys(args).filter((key) => !['file', 'jobs', 'mode', 'line'].includes(key));
  if (unknown.length > 0) throw new Error(`Run Image Batch does not take ${unknown.map((key) => `"${key}"`).join(', ')}: give {file} or {jobs}, and optionally mode.`);
  if ((args.file === undefined) === (args.jobs === undefined)) throw new Error('Run Image Batch takes either {file} (a *.prompts.jsonl or *.prompts.txt file) or {jobs}, not both or neither.');
  if (args.mode !== undefined && !(BATCH_MODES as readonly unknown[]).includes(args.mode)) throw new Error('"mode" must be "interactive" or "batch".');
  if (args.line !== undefined && !(typeof args.line === 'number' && Number.isInteger(args.line) && args.line >= 1)) throw new Error('"line" must be a line number.');
  return {
    ...(args.file !== undefined ? { file: fileUri(args.file) } : {}),
    ...(args.jobs !== undefined ? { jobs: args.jobs } : {}),
    ...(args.mode !== undefined ? { mode: args.mode as BatchMode } : {}),
    ...(args.line !== undefined ? { line: args.line as number } : {}),
  };
}

/** A Uri, an absolute path, a URI string, or a path relative to the (first) workspace folder. */
function fileUri(value: unknown): vscode.Uri {
  if (value instanceof vscode.Uri) return value;
  if (typeof value !== 'string' || value.trim() === '') throw new Error('"file" must be a path or Uri of a *.prompts.jsonl or *.prompts.txt file.');
  const text = value.trim();
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(text)) return vscode.Uri.parse(text, true);
  if (path.isAbsolute(text)) return vscode.Uri.file(text);
  const root = vscode.workspace.workspaceFolders?.[0];
  if (!root) throw new Error(`"${text}" is relative, but no folder is open.`);
  return vscode.Uri.joinPath(root.uri, text);
}

/** The active editor's prompts file, else one the user picks from the workspace's. */
async function askForPromptsFile(): Promise<vscode.Uri | undefined> {
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && promptFileKind(active.path)) return active;
  const found = await vscode.workspace.findFiles('**/*.prompts.{jsonl,txt}', '**/node_modules/**', 200);
  if (found.length === 0) {
    void vscode.window.showInformationMessage(
      'No prompts file in this workspace. Create one named like covers.prompts.jsonl (one {"prompt": …} per line) or covers.prompts.txt (one prompt per line).',
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: path.posix.basename(uri.path), description: vscode.workspace.asRelativePath(uri), uri })),
    { title: 'Run Image Batch', placeHolder: 'Choose a prompts file' },
  );
  return picked?.uri;
}

function relative(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, false);
}

function pathOf(uri: vscode.Uri): string {
  return uri.scheme === 'file' ? uri.fsPath : uri.toString();
}
