// Shared by Generate, Edit and Refine: progress, opening and announcing results, and failures with a next step.
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { isImageError } from '../core/errors';
import type { GenerationOutcome, GenerationRequest, ImageGenerator } from '../generation';
import type { Log } from '../log';
import type { ModelCatalog } from '../modelCatalog';
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
  const model = request.options.model ?? settings.model;
  const title = `${request.refine ? 'Refining' : request.references.length > 0 ? 'Editing' : 'Generating'} ${
    variants > 1 ? `${variants} images` : 'image'
  } with ${model}`;
  try {
    const outcome = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title, cancellable: true },
      (progress, cancellation) => {
        let saved = 0;
        return context.generator.run(settings, { ...request, fallbackFolder: request.fallbackFolder ?? fallbackFolder }, cancellation, (file) => {
          saved++;
          progress.report({ message: `saved ${saved} of ${variants}: ${path.posix.basename(file.path)}` });
          if (settings.openAfterSave) void openBeside(file);
        });
      },
    );
    announce(outcome, context.log);
    return toResult(outcome);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    context.log.error(message);
    void showFailure(error, message, interactive ? () => runGeneration(context, request, interactive) : undefined);
    if (interactive) return undefined;
    throw new Error(message);
  }
}

function announce(outcome: GenerationOutcome, log: Log): void {
  const names = outcome.files.map((file) => path.posix.basename(file.path));
  const text = outcome.texts.join(' ').trim();
  const summary =
    `Saved ${names.join(', ')}.` + (text ? ` The model said: ${truncate(text, 200)}` : '');
  if (outcome.failures.length > 0) {
    log.warn(`${outcome.failures.length} of ${outcome.files.length + outcome.failures.length} requests failed`);
    void vscode.window.showWarningMessage(
      `${summary} ${outcome.failures.length} more failed: ${truncate(outcome.failures[0], 200)}`,
      'Show Log',
    ).then((choice) => {
      if (choice === 'Show Log') log.show();
    });
  }
  const first = outcome.files[0];
  void vscode.window.showInformationMessage(summary, 'Open', 'Reveal in Explorer', 'Refine').then(async (choice) => {
    if (choice === 'Open') await vscode.commands.executeCommand('vscode.open', first);
    if (choice === 'Reveal in Explorer') await vscode.commands.executeCommand('revealInExplorer', first);
    if (choice === 'Refine') await vscode.commands.executeCommand(CommandIds.refine, first);
  });
}

async function showFailure(error: unknown, message: string, retry: (() => Promise<unknown>) | undefined): Promise<void> {
  if (isImageError(error) && error.kind === 'cancelled') {
    void vscode.window.showInformationMessage(message);
    return;
  }
  const needsToken = isImageError(error) && (error.kind === 'noToken' || error.kind === 'authRejected');
  const actions = needsToken ? ['Set API Key'] : ['Show Log'];
  const choice = await vscode.window.showErrorMessage(message, ...actions);
  if (choice === 'Set API Key') {
    const stored = await vscode.commands.executeCommand<boolean>(CommandIds.setToken);
    if (stored && retry) await retry();
  } else if (choice === 'Show Log') {
    await vscode.commands.executeCommand(CommandIds.showLog);
  }
}

async function openBeside(file: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('vscode.open', file, {
    viewColumn: vscode.ViewColumn.Beside,
    preserveFocus: true,
    preview: false,
  });
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
