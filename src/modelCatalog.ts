// The models the configured provider offers for images, asked once per host and session, else the built-in table.
import type { ModelList } from './core/imageClient';
import type { ImageClientProvider } from './imageClientProvider';
import { readSettings } from './settings';
import type { TokenStore } from './tokenStore';

export class ModelCatalog {
  private readonly lists = new Map<string, Promise<ModelList>>();

  constructor(
    private readonly tokens: TokenStore,
    private readonly clients: ImageClientProvider,
  ) {}

  /** Never rejects: a provider that does not answer gives the built-in table (with the reason). */
  list(): Promise<ModelList> {
    const settings = readSettings();
    const key = `${settings.baseUrl}|${settings.authHeader}`;
    let list = this.lists.get(key);
    if (!list) {
      list = this.fetch(settings);
      this.lists.set(key, list);
      // Only a provider's own answer is worth keeping; ask again next time after a fallback.
      void list.then((result) => {
        if (result.source === 'builtin') this.lists.delete(key);
      });
    }
    return list;
  }

  private async fetch(settings: ReturnType<typeof readSettings>): Promise<ModelList> {
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
