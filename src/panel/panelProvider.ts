// The Image Studio side panel: a webview view whose messages are validated before the host acts on them.
import * as vscode from 'vscode';
import { hostOf } from '../core/origin';
import { CommandIds } from '../commands/ids';
import type { Log } from '../log';
import { readSettings } from '../settings';
import type { HostToWebview, PanelState } from '../shared/protocol';
import type { TokenStore } from '../tokenStore';
import { validateWebviewMessage } from './messageValidation';
import { renderPanelHtml } from './panelHtml';

export const PANEL_VIEW_ID = 'geminiImage.panel';

export class PanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly tokens: TokenStore,
    private readonly log: Log,
  ) {
    this.disposables.push(
      tokens.onDidChange(() => void this.postState()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('geminiImage.baseUrl')) void this.postState();
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const distUri = vscode.Uri.joinPath(this.extensionUri, 'dist');
    const mediaUri = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [distUri, mediaUri] };
    view.webview.html = renderPanelHtml(view.webview, distUri, mediaUri);
    const subscriptions = [
      view.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw)),
      view.onDidChangeVisibility(() => {
        if (view.visible) void this.postState();
      }),
    ];
    view.onDidDispose(() => {
      subscriptions.forEach((subscription) => subscription.dispose());
      if (this.view === view) this.view = undefined;
    });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const result = validateWebviewMessage(raw);
    if (!result.ok) {
      this.log.warn(`Panel message refused: ${result.reason}`);
      return;
    }
    switch (result.message.type) {
      case 'ready':
        await this.postState();
        return;
      case 'setToken':
        await vscode.commands.executeCommand(CommandIds.setToken);
        return;
    }
  }

  private async postState(): Promise<void> {
    if (!this.view) return;
    const { baseUrl } = readSettings();
    const state: PanelState = { host: hostOf(baseUrl), hasToken: await this.tokens.has(baseUrl) };
    const message: HostToWebview = { type: 'state', state };
    await this.view.webview.postMessage(message);
  }

  dispose(): void {
    this.disposables.forEach((disposable) => disposable.dispose());
  }
}
