// Wires the extension together: the log first, then each service, each disposed with the extension.
import * as vscode from 'vscode';
import { clearToken } from './commands/clearToken';
import { CommandIds } from './commands/ids';
import { setToken, type SetTokenArgs } from './commands/setToken';
import { Log } from './log';
import { PANEL_VIEW_ID, PanelProvider } from './panel/panelProvider';
import { readSettings } from './settings';
import { TokenStore } from './tokenStore';

/** What other extensions and our tests can ask of us. Never exposes a token. */
export interface GeminiImageApi {
  /** Whether a token is stored for the currently configured base URL. */
  hasToken(): Promise<boolean>;
}

export function activate(context: vscode.ExtensionContext): GeminiImageApi {
  const log = new Log();
  context.subscriptions.push(log);
  const tokens = new TokenStore(context.secrets, log);
  context.subscriptions.push(tokens);
  const panel = new PanelProvider(context.extensionUri, tokens, log);
  context.subscriptions.push(panel);
  context.subscriptions.push(vscode.window.registerWebviewViewProvider(PANEL_VIEW_ID, panel));
  context.subscriptions.push(
    vscode.commands.registerCommand(CommandIds.setToken, (args?: SetTokenArgs) => setToken(tokens, log, args)),
  );
  context.subscriptions.push(vscode.commands.registerCommand(CommandIds.clearToken, () => clearToken(tokens, log)));
  context.subscriptions.push(vscode.commands.registerCommand(CommandIds.showLog, () => log.show()));
  return { hasToken: () => tokens.has(readSettings().baseUrl) };
}

export function deactivate(): void {
  // Everything is disposed through context.subscriptions.
}
