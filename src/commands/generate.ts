// "Generate Image…": from the palette (prompt box), or with an argument object and no questions at all.
import { readSettings } from '../settings';
import { isArgumentObject, parseGenerateArgs, type GenerateResult } from './arguments';
import { askForPrompt } from './promptInput';
import { runGeneration, type GenerationContext } from './runGeneration';

export async function generate(context: GenerationContext, args?: unknown): Promise<GenerateResult | undefined> {
  if (isArgumentObject(args) && 'prompt' in args) {
    const parsed = parseGenerateArgs(args);
    return runGeneration(context, { prompt: parsed.prompt, references: parsed.references, options: parsed }, false);
  }
  const answer = await askForPrompt(readSettings(), 'Generate Image', 'Describe the image, e.g. a 16:9 cover of a lighthouse at dawn', context.catalog);
  if (!answer) return undefined;
  return runGeneration(context, { prompt: answer.prompt, references: [], options: answer.options }, true);
}
