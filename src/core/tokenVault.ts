// API tokens kept in a secret store, one per origin + base path, each remembered by the redactor as soon as it is read.
import { tokenProblem, tokenScopeOf } from './tokenScope';

const KEY_PREFIX = 'geminiImage.token:';

/** The part of VS Code's SecretStorage the vault needs. */
export interface SecretStore {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

export interface Redactor {
  addSecret(secret: string): void;
}

export class TokenVault {
  constructor(
    private readonly secrets: SecretStore,
    private readonly redactor: Redactor,
  ) {}

  /** The token for this base URL's scope; a token stored by another window is scrubbed from logs from now on too. */
  async get(baseUrl: string): Promise<string | undefined> {
    const key = tokenKeyFor(baseUrl);
    if (!key) return undefined;
    const token = await this.secrets.get(key);
    if (token) this.redactor.addSecret(token);
    return token || undefined;
  }

  async store(baseUrl: string, token: string): Promise<void> {
    const key = tokenKeyFor(baseUrl);
    if (!key) throw new Error(`"${baseUrl}" is not an http(s) URL: fix geminiImage.baseUrl before setting a token.`);
    const problem = tokenProblem(token);
    if (problem) throw new Error(problem);
    this.redactor.addSecret(token);
    await this.secrets.store(key, token);
  }

  async delete(baseUrl: string): Promise<void> {
    const key = tokenKeyFor(baseUrl);
    if (key) await this.secrets.delete(key);
  }
}

/**
 * The secret store key for a base URL, or undefined when it is not an http(s) URL. Tokens stored by origin alone
 * (before 0.2) have the same key as a base URL without a path, so they keep working.
 */
export function tokenKeyFor(baseUrl: string): string | undefined {
  const scope = tokenScopeOf(baseUrl);
  return scope ? KEY_PREFIX + scope : undefined;
}

/** The scope (origin + base path) a secret store key belongs to, or undefined for any other key. */
export function scopeOfTokenKey(key: string): string | undefined {
  return key.startsWith(KEY_PREFIX) ? key.slice(KEY_PREFIX.length) : undefined;
}
