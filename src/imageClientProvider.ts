// Hands out the image client, loading the undici HTTP chunk (dist/http.js) only when the first request is made.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ImageClient } from './core/imageClient';
import { resolveProxySettings } from './core/proxy';
import type { Transport } from './core/transport';
import type { Log } from './log';
import { readHttpSettings } from './settings';

type HttpModule = typeof import('./http/index');
type ClosableTransport = Transport & { close(): Promise<void> };

export class ImageClientProvider implements vscode.Disposable {
  private current: { key: string; transport: ClosableTransport; client: ImageClient } | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly log: Log) {
    // A new proxy configuration gets a new connection pool; the old one is closed.
    this.subscription = vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('http')) void this.closeCurrent();
    });
  }

  /** The client for the current proxy settings; one long-lived connection pool per configuration. */
  get(): ImageClient {
    const proxy = resolveProxySettings(readHttpSettings(), process.env);
    const key = JSON.stringify(proxy ?? null);
    if (this.current?.key === key) return this.current.client;
    void this.closeCurrent();
    const transport = loadHttpModule().createUndiciTransport({ proxy });
    const client = new ImageClient({ transport, log: this.log });
    this.current = { key, transport, client };
    return client;
  }

  private async closeCurrent(): Promise<void> {
    const previous = this.current;
    this.current = undefined;
    await previous?.transport.close().catch((error: unknown) => this.log.warn(`Closing connections failed: ${String(error)}`));
  }

  dispose(): void {
    this.subscription.dispose();
    void this.closeCurrent();
  }
}

let httpModule: HttpModule | undefined;

function loadHttpModule(): HttpModule {
  // A computed path keeps esbuild from bundling the chunk into extension.js: undici loads on first use only.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous, deliberately late load
  httpModule ??= require(path.join(__dirname, 'http.js')) as HttpModule;
  return httpModule;
}
