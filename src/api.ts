// The API other extensions get from activate(): generation they can cancel, and whether a token is set. Never a token.
import * as vscode from 'vscode';
import { parseGenerateArgs, toResult, type GenerateResult } from './commands/arguments';
import type { ImageGenerator } from './generation';
import { readSettings } from './settings';
import type { TokenStore } from './tokenStore';

export interface GeminiImageApi {
  /** Whether a token is stored for the currently configured base URL. */
  hasToken(): Promise<boolean>;
  /** Same arguments and result as the geminiImage.generate command, without any UI, cancellable. */
  generate(args: Record<string, unknown>, cancellation?: vscode.CancellationToken): Promise<GenerateResult>;
}

export function createApi(tokens: TokenStore, generator: ImageGenerator): GeminiImageApi {
  return {
    hasToken: () => tokens.has(readSettings().baseUrl),
    generate: async (args, cancellation) => {
      const parsed = parseGenerateArgs(args);
      const source = new vscode.CancellationTokenSource();
      const forward = cancellation?.onCancellationRequested(() => source.cancel());
      if (cancellation?.isCancellationRequested) source.cancel();
      try {
        const outcome = await generator.run(
          readSettings(),
          { prompt: parsed.prompt, references: parsed.references, options: parsed },
          source.token,
        );
        return toResult(outcome);
      } finally {
        forward?.dispose();
        source.dispose();
      }
    },
  };
}
