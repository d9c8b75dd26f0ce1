// Shared by Generate, Edit and Refine: progress, opening and announcing results, and failures with a next step.
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { describeGrounding } from '../core/answerExtras';
import { isImageError } from '../core/errors';
import { firstFew } from '../core/openLimit';
import { describeCost } from '../core/prices';
import { notificationText } from '../core/notificationText';
import type { GenerationOutcome, GenerationRequest, ImageGenerator } from '../generation';
import type { Log } from '../log';
import type { ModelCatalog } from '../modelCatalog';
import { withPreset } from '../presets';
import { readSettings } from '../settings';
import { toResult, type GenerateResult } from './arguments';
import { CommandIds } from './ids';

export interface GenerationContext {
  readonly generator: ImageGenerator;
  readonly catalog: ModelCatalog;
  readonly log: Log;
}

/**
 * Runs a generation with a cancellable progress notification. Interactive runs show failures and resolve to
 * undefined; programmatic runs (arguments with a prompt) also reject with the message the user sees.
 */
export async function runGeneration(
  context: GenerationContext,
  request: GenerationRequest,
  interactive: boolean,
): Promise<GenerateResult | undefined> {
  const settings = readSettings();
  let fallbackFolder: vscode.Uri | undefined;
  if (!vscode.workspace.workspaceFolders?.length && !request.fallbackFolder) {
    if (!interactive) throw new Error('Open a folder before generating images: they are saved into the workspace.');
    fallbackFolder = await askWhereToSave();
    if (!fallbackFolder) return undefined;
  }
  const variants = request.options.variants ?? settings.variants;
  const model = context.catalog.label(request.options.model ?? settings.model, settings);
  // The model id comes from settings or arguments: outside text, like everything else a notification shows.
  const title = notificationText(`${request.refine ? 'Refining' : request.references.length > 0 ? 'Editing' : 'Generating'} ${
    variants > 1 ? `${variants} images` : 'image'
  } with ${model}`);
  try {
    const sent = withPreset(request);
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (progress, cancellation) => {
        let saved = 0;
        const shouldOpen = firstFew();
        return context.generator.run(settings, { ...sent, fallbackFolder: request.fallbackFolder ?? fallbackFolder }, cancellation, (file) => {
          saved++;
          progress.report({ message: notificationText(`saved ${saved} of ${variants}: ${path.posix.basename(file.path)}`) });
          if (settings.openAfterSave && shouldOpen()) void openBeside(file);
        });
      },
    );
    announce(outcome, context.log);
    return toResult(outcome);
  } catch (error) {
    const full = error instanceof Error ? error.message : String(error);
    context.log.error(full);
    // Rejected with the text the user sees, so a caller never gets a provider's link-shaped message either.
    const message = notificationText(full);
    const retry = interactive ? (options = request.options) => runGeneration(context, { ...request, options }, interactive) : undefined;
    void showFailure(error, message, retry, context.catalog);
    if (interactive) return undefined;
    throw new Error(message);
  }
}

function announce(outcome: GenerationOutcome, log: Log): void {
  const names = outcome.files.map((file) => path.posix.basename(file.path));
  const text = outcome.texts.join(' ').trim();
  const shown = names.length > 8 ? `${names.slice(0, 8).join(', ')} and ${names.length - 8} more` : names.join(', ');
  const skipped = outcome.warnings?.length ? ` ${truncate(outcome.warnings.join(' '), 300)}` : '';
  const cost = outcome.cost
    ? ` ${outcome.autoModel ? `auto (${outcome.model})` : outcome.model}, ${describeCost(outcome.cost)}` +
      (outcome.files.length > 1 ? `, ${describeCost({ ...outcome.cost, usd: outcome.cost.usd / outcome.files.length })} per image` : '') +
      (outcome.sessionCostUsd !== undefined ? `; this session ≈ $${outcome.sessionCostUsd.toFixed(3)}.` : '.')
    : '';
  const grounding = outcome.grounding ? ` ${describeGrounding(outcome.grounding)}.` : '';
  if (outcome.cost) log.info(`Estimated cost${cost}`);
  if (outcome.grounding) log.info(`Grounding: ${describeGrounding(outcome.grounding)}`);
  const summary = notificationText(`Saved ${shown}.${skipped}` + (text ? ` The model said: ${truncate(text, 200)}` : '') + grounding + cost);
  if (outcome.failures.length > 0) {
    log.warn(`${outcome.failures.length} of ${outcome.files.length + outcome.failures.length} requests failed`);
    void vscode.window.showWarningMessage(
      notificationText(`${summary} ${outcome.failures.length} more failed: ${truncate(outcome.failures[0], 200)}`),
      'Show Log',
    ).then((choice) => {
      if (choice === 'Show Log') log.show();
    });
  }
  const first = outcome.files[0];
  const sources = outcome.grounding?.sources ?? [];
  const actions = ['Open', 'Reveal in Explorer', 'Refine', ...(sources.length > 0 ? ['Sources…'] : [])];
  void vscode.window.showInformationMessage(summary, ...actions).then(async (choice) => {
    if (choice === 'Sources…') await openSource(sources);
    if (choice === 'Open') await vscode.commands.executeCommand('vscode.open', first);
    if (choice === 'Reveal in Explorer') await vscode.commands.executeCommand('revealInExplorer', first);
    if (choice === 'Refine') await vscode.commands.executeCommand(CommandIds.refine, first);
  });
}

/** The Google Search sources of a grounded result: the chosen one opens in the browser. */
async function openSource(sources: readonly { title: string; uri: string }[]): Promise<void> {
  const picked = await vscode.window.showQuickPick(
    sources.map((source) => ({ label: source.title, detail: source.uri, uri: source.uri })),
    { title: 'Google Search sources of this image', placeHolder: 'Open a source in the browser' },
  );
  if (picked) await vscode.env.openExternal(vscode.Uri.parse(picked.uri, true));
}

async function showFailure(
  error: unknown,
  message: string,
  retry: ((options?: GenerationRequest['options']) => Promise<unknown>) | undefined,
  catalog: ModelCatalog,
): Promise<void> {
  if (isImageError(error) && error.kind === 'cancelled') {
    void vscode.window.showInformationMessage(message);
    return;
  }
  const needsToken = isImageError(error) && (error.kind === 'noToken' || error.kind === 'authRejected');
  const notFound = isImageError(error) && error.kind === 'modelNotFound';
  const actions = needsToken ? ['Set API Key'] : notFound ? ['Choose a Model…', 'Show Log'] : ['Show Log'];
  const choice = await vscode.window.showErrorMessage(message, ...actions);
  if (choice === 'Choose a Model…') {
    const model = await chooseImageModel(catalog);
    if (model && retry) await retry({ model });
  } else if (choice === 'Set API Key') {
    const stored = await vscode.commands.executeCommand<boolean>(CommandIds.setToken);
    if (stored && retry) await retry();
  } else if (choice === 'Show Log') {
    await vscode.commands.executeCommand(CommandIds.showLog);
  }
}

/** The provider's image models (asked afresh), for a run whose model was not found. */
export async function chooseImageModel(catalog: ModelCatalog): Promise<string | undefined> {
  const list = await catalog.list();
  const picked = await vscode.window.showQuickPick(
    list.models.map((model) => ({ label: model.id, description: model.displayName })),
    {
      title: 'Choose a model',
      placeHolder: list.source === 'provider' ? 'Image models your provider offers now' : `Built-in list (${list.reason ?? 'the provider did not answer'})`,
    },
  );
  return picked?.label;
}

async function openBeside(file: vscode.Uri): Promise<void> {
  try {
    await vscode.commands.executeCommand('vscode.open', file, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true, preview: false });
  } catch {
    // The image was moved or deleted before its editor opened: there is nothing to show.
  }
}

/** With no folder open, images still go somewhere the user chose: never the OS temp folder. */
async function askWhereToSave(): Promise<vscode.Uri | undefined> {
  const home = os.homedir();
  const defaultFolder = ['Pictures', 'Downloads'].map((name) => path.join(home, name)).find((folder) => fs.existsSync(folder)) ?? home;
  const picked = await vscode.window.showOpenDialog({
    title: 'Where should generated images be saved?',
    openLabel: 'Save Images Here',
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(defaultFolder),
  });
  return picked?.[0];
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
