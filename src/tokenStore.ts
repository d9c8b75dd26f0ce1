// Keeps API tokens in SecretStorage, one per origin + base path, so another host or path never receives a token it was not given.
import * as vscode from 'vscode';
import { tokenProblem, tokenScopeOf } from './core/tokenScope';
import type { Log } from './log';

const KEY_PREFIX = 'geminiImage.token:';

export class TokenStore implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<string>();
  /** Fires with the scope (origin + base path) whose token was stored or removed (also from another window). */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    private readonly log: Log,
  ) {
    this.subscription = secrets.onDidChange((event) => {
      if (event.key.startsWith(KEY_PREFIX)) this.changed.fire(event.key.slice(KEY_PREFIX.length));
    });
  }

  async get(baseUrl: string): Promise<string | undefined> {
    const key = keyFor(baseUrl);
    if (!key) return undefined;
    const token = await this.secrets.get(key);
    if (token) this.log.addSecret(token);
    return token || undefined;
  }

  async has(baseUrl: string): Promise<boolean> {
    return (await this.get(baseUrl)) !== undefined;
  }

  async store(baseUrl: string, token: string): Promise<void> {
    const key = keyFor(baseUrl);
    if (!key) throw new Error(`"${baseUrl}" is not an http(s) URL: fix geminiImage.baseUrl before setting a token.`);
    const problem = tokenProblem(token);
    if (problem) throw new Error(problem);
    this.log.addSecret(token);
    await this.secrets.store(key, token);
  }

  async delete(baseUrl: string): Promise<void> {
    const key = keyFor(baseUrl);
    if (key) await this.secrets.delete(key);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** Tokens stored by origin alone (before 0.2) have the same key as a base URL without a path, so they keep working. */
function keyFor(baseUrl: string): string | undefined {
  const scope = tokenScopeOf(baseUrl);
  return scope ? KEY_PREFIX + scope : undefined;
}
