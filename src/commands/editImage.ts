// "Edit Image with Gemini…": the Explorer selection, the image preview, the palette (asks for images) or arguments.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readSettings } from '../settings';
import { isArgumentObject, parseGenerateArgs, type GenerateResult } from './arguments';
import { askForPrompt } from './promptInput';
import { runGeneration, type GenerationContext } from './runGeneration';

export const IMAGE_EXTENSIONS = ['png', 'jpg', 'jpeg', 'webp', 'heic', 'heif'];

export async function editImage(context: GenerationContext, first?: unknown, selection?: unknown): Promise<GenerateResult | undefined> {
  if (isArgumentObject(first) && 'prompt' in first) {
    const parsed = parseGenerateArgs(first);
    if (parsed.references.length === 0) throw new Error('Editing needs at least one image in "references".');
    return runGeneration(context, { prompt: parsed.prompt, references: parsed.references, options: parsed }, false);
  }
  const images = imagesFrom(first, selection) ?? (await askForImages());
  if (!images || images.length === 0) return undefined;
  const names = images.map((image) => path.posix.basename(image.path));
  const title = images.length === 1 ? `Edit ${names[0]}` : `Combine ${names.length} images: ${names.join(', ')}`;
  const answer = await askForPrompt(readSettings(), title, 'What should change? e.g. make the background transparent', context.catalog);
  if (!answer) return undefined;
  return runGeneration(context, { prompt: answer.prompt, references: images, options: answer.options }, true);
}

/** Explorer passes (clicked, allSelected); the image preview's title button passes the image. */
function imagesFrom(first: unknown, selection: unknown): vscode.Uri[] | undefined {
  if (Array.isArray(selection) && selection.length > 0 && selection.every((item) => item instanceof vscode.Uri)) {
    return selection as vscode.Uri[];
  }
  if (first instanceof vscode.Uri) return [first];
  return undefined;
}

async function askForImages(): Promise<vscode.Uri[] | undefined> {
  return vscode.window.showOpenDialog({
    title: 'Images to edit (several become references for one new image)',
    openLabel: 'Edit',
    canSelectMany: true,
    canSelectFiles: true,
    canSelectFolders: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: { Images: IMAGE_EXTENSIONS },
  });
}
