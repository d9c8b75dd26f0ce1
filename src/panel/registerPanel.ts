// Registers the Image Studio side panel and the Explorer command that feeds it reference images.
import * as vscode from 'vscode';
import { CommandIds } from '../commands/ids';
import type { ImageGenerator } from '../generation';
import type { Log } from '../log';
import type { BatchRuns } from '../batch/batchProgress';
import type { ModelCatalog } from '../modelCatalog';
import type { TokenStore } from '../tokenStore';
import { PANEL_VIEW_ID, PanelProvider } from './panelProvider';

export interface PanelServices {
  readonly tokens: TokenStore;
  readonly generator: ImageGenerator;
  readonly log: Log;
  readonly catalog: ModelCatalog;
  readonly batches: BatchRuns;
}

export function registerPanel(context: vscode.ExtensionContext, services: PanelServices): void {
  const panel = new PanelProvider({ ...services, extensionUri: context.extensionUri, workspaceState: context.workspaceState });
  context.subscriptions.push(panel);
  context.subscriptions.push(vscode.window.registerWebviewViewProvider(PANEL_VIEW_ID, panel));
  context.subscriptions.push(
    vscode.commands.registerCommand(CommandIds.addReference, (first?: unknown, selection?: unknown) => panel.addReferencesFromCommand(first, selection)),
  );
}
