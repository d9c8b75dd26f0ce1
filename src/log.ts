// The extension's log channel, with every known token scrubbed from each line before it is written.
import * as vscode from 'vscode';
import { SecretRedactor } from './core/redact';

export const LOG_CHANNEL_NAME = 'Gemini Image Studio';
export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true });
  private readonly redactor = new SecretRedactor();

  /** Remembers a token so that no later line can contain it. */
  addSecret(secret: string): void {
    this.redactor.addSecret(secret);
  }

  redact(text: string): string {
    return this.redactor.redact(text);
  }

  info(message: string): void {
    this.channel.info(this.redact(message));
  }

  warn(message: string): void {
    this.channel.warn(this.redact(message));
  }

  error(message: string): void {
    this.channel.error(this.redact(message));
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
