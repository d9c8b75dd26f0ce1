// The extension's log channel, with every known token scrubbed from each line before it is written.
import * as vscode from 'vscode';

export const LOG_CHANNEL_NAME = 'Gemini Image Studio';
const REDACTED = '[redacted]';

export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel(LOG_CHANNEL_NAME, { log: true });
  private readonly secrets = new Set<string>();

  /** Remembers a token so that no later line can contain it. */
  addSecret(secret: string): void {
    if (secret.length >= 4) this.secrets.add(secret);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join(REDACTED);
    return result;
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
