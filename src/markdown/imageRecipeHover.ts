// A hover on a Markdown image link to a generated file: its recipe (prompt, preset, model, date), Refine, Generate again.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findImageLinks } from '../core/markdownImages';
import { readRecipe, type Recipe } from '../core/recipe';
import { CommandIds } from '../commands/ids';
import { targetUri } from './missingImages';

/** Images larger than this are not read for a hover (the recipe sits near the start, but reading is whole-file). */
const MAX_HOVER_READ_BYTES = 50_000_000;

export class ImageRecipeHover implements vscode.HoverProvider {
  async provideHover(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.Hover | undefined> {
    const offset = document.offsetAt(position);
    const link = findImageLinks(document.getText()).find((candidate) => offset >= candidate.start && offset <= candidate.end);
    const target = link && targetUri(document.uri, link);
    if (!link || !target) return undefined;
    let recipe: Recipe | undefined;
    try {
      const stat = await vscode.workspace.fs.stat(target);
      if (stat.size > MAX_HOVER_READ_BYTES) return undefined;
      recipe = readRecipe(await vscode.workspace.fs.readFile(target));
    } catch {
      return undefined;
    }
    if (!recipe) return undefined;
    const range = new vscode.Range(document.positionAt(link.start), document.positionAt(link.end));
    return new vscode.Hover(recipeMarkdown(target, recipe), range);
  }
}

/** The recipe as trusted Markdown that can run only Refine and Generate; every text from the file is escaped. */
export function recipeMarkdown(file: vscode.Uri, recipe: Recipe): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString(undefined, true);
  markdown.isTrusted = { enabledCommands: [CommandIds.refine, CommandIds.generate] };
  const date = new Date(recipe.createdAt);
  const details = [recipe.model, recipe.preset ? `preset ${recipe.preset}` : undefined, recipe.aspectRatio, recipe.imageSize, Number.isNaN(date.getTime()) ? undefined : date.toLocaleString()]
    .filter((part): part is string => Boolean(part));
  markdown.appendMarkdown(`**$(sparkle) Generated with Gemini** — `);
  markdown.appendText(`${path.posix.basename(file.path)} · ${details.join(' · ')}`);
  markdown.appendMarkdown('\n\n');
  markdown.appendText(recipe.prompt.length > 600 ? `${recipe.prompt.slice(0, 599)}…` : recipe.prompt);
  const again = { prompt: recipe.prompt, model: recipe.model, ...(recipe.aspectRatio ? { aspectRatio: recipe.aspectRatio } : {}), ...(recipe.imageSize ? { imageSize: recipe.imageSize } : {}), ...(recipe.background ? { background: recipe.background } : {}) };
  const refineLink = `command:${CommandIds.refine}?${encodeURIComponent(JSON.stringify([file]))}`;
  const againLink = `command:${CommandIds.generate}?${encodeURIComponent(JSON.stringify([again]))}`;
  markdown.appendMarkdown(`\n\n[Refine…](${refineLink} "Refine this image") · [Generate again](${againLink} "Same prompt and options, new image")`);
  return markdown;
}
