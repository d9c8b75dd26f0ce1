// The models the configured provider offers for images (kept a day per base URL), and what `auto` stands for there.
import type * as vscode from 'vscode';
import type { ModelList } from './core/imageClient';
import { isAutoModel } from './core/models';
import { ModelListCache, pickAutoModel } from './core/modelChoice';
import { systemClock } from './core/retry';
import type { ImageClientProvider } from './imageClientProvider';
import { readSettings, type Settings } from './settings';
import type { TokenStore } from './tokenStore';

/** The model a run uses: the id typed (sent exactly as typed) or the one `auto` picked. */
export interface ResolvedModel {
  readonly id: string;
  readonly auto: boolean;
}

export class ModelCatalog implements vscode.Disposable {
  private readonly cache = new ModelListCache(systemClock);
  /** The last pick of `auto` per base URL, for labels that cannot wait for the list ("auto (gemini-…)"). */
  private readonly picks = new Map<string, string>();
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly tokens: TokenStore,
    private readonly clients: ImageClientProvider,
  ) {
    // A new token may open a model list the old one could not read (or close it): ask again.
    this.subscription = tokens.onDidChange(() => {
      this.cache.clear();
      this.picks.clear();
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }

  /** Never rejects: a provider that does not answer gives the built-in table (with the reason). */
  list(settings: Settings = readSettings()): Promise<ModelList> {
    return this.cache.get(keyOf(settings), () => this.fetch(settings));
  }

  /** The model to send: an explicit id as typed; for `auto`, the best image model the provider lists now. */
  async resolve(model: string, settings: Settings = readSettings(), imageSize?: string): Promise<ResolvedModel> {
    if (!isAutoModel(model)) return { id: model.trim(), auto: false };
    const id = pickAutoModel(await this.list(settings), settings.baseUrl, imageSize);
    this.picks.set(settings.baseUrl, id);
    return { id, auto: true };
  }

  /** What `auto` picked last for this provider, if it was asked yet. */
  autoPick(settings: Settings = readSettings()): string | undefined {
    return this.picks.get(settings.baseUrl);
  }

  /** "auto (gemini-3.1-flash-image)" for auto once known, the id itself otherwise. */
  label(model: string, settings: Settings = readSettings()): string {
    if (!isAutoModel(model)) return model;
    const pick = this.autoPick(settings);
    return pick ? `auto (${pick})` : 'auto';
  }

  /** Drops the kept list (a model it named was not found), so the next run asks the provider again. */
  forget(settings: Settings = readSettings()): void {
    this.cache.forget(keyOf(settings));
    this.picks.delete(settings.baseUrl);
  }

  private async fetch(settings: Settings): Promise<ModelList> {
    const token = await this.tokens.get(settings.baseUrl);
    return this.clients.get().listModels(
      {
        baseUrl: settings.baseUrl,
        authHeader: settings.authHeader,
        timeoutSeconds: settings.timeoutSeconds,
        idleTimeoutSeconds: settings.idleTimeoutSeconds,
        maxRetries: 0,
      },
      token,
    );
  }
}

function keyOf(settings: Settings): string {
  return `${settings.baseUrl}|${settings.authHeader}`;
}
