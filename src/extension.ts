// Wires the extension together: the log first, then each service, each disposed with the extension.
import * as vscode from 'vscode';
import { createApi, type GeminiImageApi } from './api';
import { BatchApiMode } from './batch/batchApiMode';
import { BatchRuns, resumedBatchCards } from './batch/batchProgress';
import { clearToken } from './commands/clearToken';
import { editImage } from './commands/editImage';
import { generate } from './commands/generate';
import { generateFromSelection } from './commands/generateFromSelection';
import { PROMPT_FILE_SELECTOR, PromptFileCodeLenses, PromptFileCompletions, PromptFileDiagnostics } from './batch/promptFileEditor';
import { recordResumedBatch, runBatch } from './batch/runBatch';
import { CommandIds } from './commands/ids';
import { refine } from './commands/refine';
import { setToken, type SetTokenArgs } from './commands/setToken';
import { ImageGenerator } from './generation';
import { ImageClientProvider } from './imageClientProvider';
import { ImageWriter } from './imageWriter';
import { Log } from './log';
import { ImageRecipeHover } from './markdown/imageRecipeHover';
import { generateMissingImage, MissingImageActions, type MissingImageArgs } from './markdown/missingImages';
import { ModelCatalog } from './modelCatalog';
import { PANEL_VIEW_ID } from './panel/panelProvider';
import { registerPanel } from './panel/registerPanel';
import { registerGenerateImageTool } from './tools/generateImageTool';
import { TokenStore } from './tokenStore';

export type { GeminiImageApi };

export function activate(context: vscode.ExtensionContext): GeminiImageApi {
  const log = new Log();
  context.subscriptions.push(log);
  const tokens = new TokenStore(context.secrets, log);
  context.subscriptions.push(tokens);
  const clients = new ImageClientProvider(log);
  context.subscriptions.push(clients);
  const catalog = new ModelCatalog(tokens, clients);
  context.subscriptions.push(catalog);
  const writer = new ImageWriter(log);
  const generator = new ImageGenerator(tokens, clients, writer, log, catalog);
  // Google Batch API jobs outlive the window: the ones remembered in this workspace are followed again at once.
  const batches = new BatchRuns();
  context.subscriptions.push(batches);
  const batchApi: BatchApiMode = new BatchApiMode({
    tokens,
    clients,
    writer,
    log,
    state: context.workspaceState,
    // A resumed batch gets its card in the panel; its results file is written before the card offers it.
    ...resumedBatchCards(batches, { cancel: (name) => batchApi.cancel(name), record: recordResumedBatch, log }),
  });
  context.subscriptions.push(batchApi);
  batchApi.resumeRemembered();
  // A batch remembered without a token to collect it with (secret storage did not survive, or the key was cleared)
  // is picked up as soon as one is set.
  context.subscriptions.push(tokens.onDidChange(() => batchApi.resumeRemembered()));
  const generation = { generator, catalog, log };
  registerPanel(context, { tokens, generator, log, catalog, batches });
  context.subscriptions.push(registerGenerateImageTool(generator, log, catalog));

  const register = (id: string, handler: (...args: never[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, handler));
  };
  register(CommandIds.generate, (args?: unknown) => generate(generation, args));
  register(CommandIds.editImage, (first?: unknown, selection?: unknown) => editImage(generation, first, selection));
  register(CommandIds.refine, (target?: unknown) => refine(generation, target));
  register(CommandIds.openPanel, () => vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`));
  register(CommandIds.setToken, (args?: SetTokenArgs) => setToken(tokens, log, args));
  register(CommandIds.clearToken, () => clearToken(tokens, log));
  register(CommandIds.showLog, () => log.show());
  register(CommandIds.showBatches, () => batchApi.showBatches());
  register(CommandIds.generateFromSelection, (args?: unknown) => generateFromSelection(generation, args));
  register(CommandIds.generateMissingImage, (args: MissingImageArgs) => generateMissingImage(generation, args));
  register(CommandIds.runBatch, (args?: unknown) => runBatch({ ...generation, batchApi, batches }, args));
  context.subscriptions.push(new PromptFileDiagnostics());
  context.subscriptions.push(vscode.languages.registerCodeLensProvider(PROMPT_FILE_SELECTOR, new PromptFileCodeLenses()));
  context.subscriptions.push(vscode.languages.registerCompletionItemProvider(PROMPT_FILE_SELECTOR, new PromptFileCompletions(), ...PromptFileCompletions.triggers));
  context.subscriptions.push(
    vscode.languages.registerCodeActionsProvider({ language: 'markdown' }, new MissingImageActions(), { providedCodeActionKinds: MissingImageActions.kinds }),
  );
  context.subscriptions.push(vscode.languages.registerHoverProvider({ language: 'markdown' }, new ImageRecipeHover()));
  return createApi(tokens, generator);
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
