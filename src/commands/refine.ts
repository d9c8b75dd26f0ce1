// "Refine": continue the conversation behind a result with a follow-up instruction (a true multi-turn request).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from '../settings';
import { isArgumentObject, parseGenerateArgs, toUri, type GenerateResult } from './arguments';
import { askForPrompt } from './promptInput';
import { runGeneration, type GenerationContext } from './runGeneration';

/**
 * `refine(uri)` asks for the instruction; `refine({image, prompt, ...})` asks nothing. An image whose conversation
 * is no longer in memory (e.g. after a reload) is refined as an edit of the file itself.
 */
export async function refine(context: GenerationContext, target?: unknown): Promise<GenerateResult | undefined> {
  if (isArgumentObject(target) && 'prompt' in target) {
    const parsed = parseGenerateArgs(target);
    const image = toUri(target.image);
    return runGeneration(context, { prompt: parsed.prompt, references: parsed.references, options: parsed, refine: image }, false);
  }
  const image = target instanceof vscode.Uri ? target : activeImage();
  if (!image) return undefined;
  const answer = await askForPrompt(readSettings(), `Refine ${path.posix.basename(image.path)}`, 'What should change? e.g. warmer light, remove the text', context.catalog);
  if (!answer) return undefined;
  return runGeneration(context, { prompt: answer.prompt, references: [], options: answer.options, refine: image }, true);
}

/** The image shown in the active editor tab (the image preview is a custom editor). */
function activeImage(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom || input instanceof vscode.TabInputText ? input.uri : undefined;
}
