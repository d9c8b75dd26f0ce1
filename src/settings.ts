// Reads the geminiImage.* settings into an immutable, typed snapshot.
import * as vscode from 'vscode';
import { DEFAULT_BATCH_CONCURRENCY, MAX_BATCH_CONCURRENCY, MIN_BATCH_CONCURRENCY } from './core/batch/adaptive';
import { DEFAULT_BASE_URL, DEFAULT_MODEL, DEFAULT_OUTPUT_FOLDER } from './core/defaults';
import type { AuthHeaderMode, OutputFormat } from './core/imageJob';
import { maxRequestBytesFor } from './core/models';
import { readPriceOverrides, type ModelPrice } from './core/prices';

export const SECTION = 'geminiImage';
export { DEFAULT_BASE_URL, DEFAULT_MODEL, DEFAULT_OUTPUT_FOLDER } from './core/defaults';

export interface Settings {
  readonly baseUrl: string;
  readonly authHeader: AuthHeaderMode;
  readonly model: string;
  /** undefined = auto (not sent). */
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  readonly outputFormat?: OutputFormat;
  readonly outputFolder: string;
  readonly variants: number;
  readonly timeoutSeconds: number;
  readonly idleTimeoutSeconds: number;
  readonly maxRetries: number;
  readonly includeText: boolean;
  readonly openAfterSave: boolean;
  /** The provider's request size limit in bytes (geminiImage.maxRequestMB, else 100 MB on Google, 20 MB elsewhere). */
  readonly maxRequestBytes: number;
  /** geminiImage.prices: the user's rows of the price table used for cost estimates. */
  readonly prices: Readonly<Record<string, ModelPrice>>;
  /** geminiImage.batch.concurrency: requests a prompts-file run starts with at once (it adapts to 429s). */
  readonly batchConcurrency: number;
}

/** VS Code's own proxy settings, as the HTTP layer needs them. */
export interface HttpSettings {
  readonly proxy: string;
  readonly noProxy: readonly string[];
  readonly proxyStrictSSL: boolean;
  readonly proxyAuthorization?: string;
}

const AUTH_HEADER_MODES: readonly AuthHeaderMode[] = ['auto', 'bearer', 'x-goog-api-key'];

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const text = (key: string, fallback: string): string => {
    const value = config.get<unknown>(key);
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : fallback;
  };
  const optional = (key: string): string | undefined => {
    const value = text(key, 'auto');
    return value === 'auto' ? undefined : value;
  };
  const authHeader = text('authHeader', 'auto') as AuthHeaderMode;
  const outputFormat = optional('outputFormat');
  const baseUrl = text('baseUrl', DEFAULT_BASE_URL);
  const maxRequestMB = config.get<unknown>('maxRequestMB');
  return Object.freeze({
    baseUrl,
    authHeader: AUTH_HEADER_MODES.includes(authHeader) ? authHeader : 'auto',
    model: text('model', DEFAULT_MODEL),
    aspectRatio: optional('aspectRatio'),
    imageSize: optional('imageSize'),
    outputFormat: outputFormat === 'png' || outputFormat === 'jpeg' ? outputFormat : undefined,
    outputFolder: text('outputFolder', DEFAULT_OUTPUT_FOLDER),
    variants: clampInteger(config.get<unknown>('variants'), 1, 8, 1),
    timeoutSeconds: clampInteger(config.get<unknown>('timeoutSeconds'), 1, 3600, 600),
    idleTimeoutSeconds: clampInteger(config.get<unknown>('idleTimeoutSeconds'), 5, 3600, 60),
    maxRetries: clampInteger(config.get<unknown>('maxRetries'), 0, 10, 3),
    includeText: config.get<unknown>('includeText') !== false,
    openAfterSave: config.get<unknown>('openAfterSave') !== false,
    maxRequestBytes: maxRequestBytesFor(baseUrl, typeof maxRequestMB === 'number' ? Math.min(maxRequestMB, 2000) : 0),
    prices: Object.freeze(readPriceOverrides(config.get<unknown>('prices'))),
    batchConcurrency: clampInteger(config.get<unknown>('batch.concurrency'), MIN_BATCH_CONCURRENCY, MAX_BATCH_CONCURRENCY, DEFAULT_BATCH_CONCURRENCY),
  });
}

export function readHttpSettings(): HttpSettings {
  const config = vscode.workspace.getConfiguration('http');
  const proxy = config.get<unknown>('proxy');
  const noProxy = config.get<unknown>('noProxy');
  const authorization = config.get<unknown>('proxyAuthorization');
  return Object.freeze({
    proxy: typeof proxy === 'string' ? proxy.trim() : '',
    noProxy: Array.isArray(noProxy) ? noProxy.filter((entry): entry is string => typeof entry === 'string') : [],
    proxyStrictSSL: config.get<unknown>('proxyStrictSSL') !== false,
    proxyAuthorization: typeof authorization === 'string' && authorization !== '' ? authorization : undefined,
  });
}

/** True when the user (or the workspace) has chosen a provider, rather than running on the default. */
export function isProviderChosen(): boolean {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<string>('baseUrl');
  return [inspected?.globalValue, inspected?.workspaceValue, inspected?.workspaceFolderValue].some(
    (value) => typeof value === 'string' && value.trim() !== '',
  );
}

function clampInteger(value: unknown, min: number, max: number, fallback: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.round(value)));
}
