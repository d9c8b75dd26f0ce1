// Keeps API tokens in SecretStorage, one per origin + base path, so another host or path never receives a token it was not given.
import * as vscode from 'vscode';
import { scopeOfTokenKey, TokenVault } from './core/tokenVault';
import type { Log } from './log';

export class TokenStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the scope (origin + base path) whose token was stored or removed (also from another window). */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private readonly vault: TokenVault;

  constructor(secrets: vscode.SecretStorage, log: Log) {
    this.vault = new TokenVault(secrets, log);
    this.subscription = secrets.onDidChange((event) => {
      const scope = scopeOfTokenKey(event.key);
      if (scope !== undefined) this.changed.fire(scope);
    });
  }

  get(baseUrl: string): Promise<string | undefined> {
    return this.vault.get(baseUrl);
  }

  async has(baseUrl: string): Promise<boolean> {
    return (await this.get(baseUrl)) !== undefined;
  }

  store(baseUrl: string, token: string): Promise<void> {
    return this.vault.store(baseUrl, token);
  }

  delete(baseUrl: string): Promise<void> {
    return this.vault.delete(baseUrl);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
