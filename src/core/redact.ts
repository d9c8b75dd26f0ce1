// Scrubs every known token from text before it is written anywhere a person (or a bug report) can read it.
import { REDACTED } from './errors';

/** Tokens shorter than this are not remembered: scrubbing them would mangle ordinary words. */
const MIN_SECRET_LENGTH = 4;

export class SecretRedactor {
  private readonly secrets = new Set<string>();

  /** Remembers a token so that no later text can contain it. */
  addSecret(secret: string): void {
    if (secret.length >= MIN_SECRET_LENGTH) this.secrets.add(secret);
  }

  /** The text with every occurrence of every remembered token replaced. */
  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets) result = result.split(secret).join(REDACTED);
    return result;
  }
}
