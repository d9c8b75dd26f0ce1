// The quick fix on a Markdown image link whose file does not exist yet: generate it at exactly that path.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findImageLinks, nearestHeading, normalizedExtension, promptForMissingImage, relativeImagePath, withExtension, type MarkdownImageLink } from '../core/markdownImages';
import { isInside } from '../core/outputFolder';
import { relativeTarget } from '../core/selectionImage';
import { CommandIds } from '../commands/ids';
import { runGeneration, type GenerationContext } from '../commands/runGeneration';
import type { GenerateResult } from '../commands/arguments';
import { exists } from '../imageWriter';

export const QUICK_FIX_TITLE = 'Generate this image with Gemini';

/** What the quick fix passes to its command: the document and the link's target offset when it was offered. */
export interface MissingImageArgs {
  readonly document: string;
  readonly targetStart: number;
}

export interface MissingImageResult extends GenerateResult {
  /** The link's new target when the image arrived in another format than its extension said. */
  readonly updatedLink?: string;
}

export class MissingImageActions implements vscode.CodeActionProvider {
  static readonly kinds = [vscode.CodeActionKind.QuickFix];

  async provideCodeActions(document: vscode.TextDocument, range: vscode.Range | vscode.Selection): Promise<vscode.CodeAction[]> {
    const text = document.getText();
    const actions: vscode.CodeAction[] = [];
    for (const link of findImageLinks(text)) {
      const linkRange = new vscode.Range(document.positionAt(link.start), document.positionAt(link.end));
      if (!linkRange.intersection(range) && !range.intersection(linkRange) && linkRange.start.line !== range.start.line) continue;
      const target = targetUri(document.uri, link);
      if (!target || (await exists(target))) continue;
      const action = new vscode.CodeAction(QUICK_FIX_TITLE, vscode.CodeActionKind.QuickFix);
      const args: MissingImageArgs = { document: document.uri.toString(), targetStart: link.targetStart };
      action.command = { command: CommandIds.generateMissingImage, title: QUICK_FIX_TITLE, arguments: [args] };
      actions.push(action);
    }
    return actions;
  }
}

/** The file a link points at, when it is a relative path that stays inside the document's workspace folder. */
export function targetUri(documentUri: vscode.Uri, link: MarkdownImageLink): vscode.Uri | undefined {
  const segments = relativeImagePath(link);
  const folder = vscode.workspace.getWorkspaceFolder(documentUri);
  if (!segments || !folder) return undefined;
  const target = vscode.Uri.joinPath(documentUri, '..', ...segments);
  if (target.scheme !== folder.uri.scheme || !isInside(folder.uri.path, target.path)) return undefined;
  return target;
}

/**
 * Generates the missing image of the link at `targetStart`: the alt text (and the nearest heading) as the prompt,
 * saved at the link's path (folders created, nothing overwritten). If the bytes are another format than the
 * extension says, the file gets the right extension and the link is updated in one edit.
 */
export async function generateMissingImage(context: GenerationContext, args: MissingImageArgs): Promise<MissingImageResult | undefined> {
  const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(args.document, true));
  const text = document.getText();
  const link = findImageLinks(text).find((candidate) => candidate.targetStart === args.targetStart);
  if (!link) throw new Error('The image link has changed since the quick fix was offered: try again.');
  const target = targetUri(document.uri, link);
  if (!target) throw new Error(`"${link.rawTarget}" is not a path inside the workspace: the image cannot be saved there.`);
  if (await exists(target)) throw new Error(`${vscode.workspace.asRelativePath(target)} already exists: it is never overwritten.`);
  const name = path.posix.basename(target.path);
  const prompt = promptForMissingImage(link.alt, name, nearestHeading(text, link.start));
  const result = await runGeneration(
    context,
    {
      prompt,
      references: [],
      options: { variants: 1 },
      folder: vscode.Uri.joinPath(target, '..'),
      fileStem: name.replace(/\.[^.]*$/, '') || name,
    },
    false,
  );
  if (!result) return undefined;
  const saved = vscode.Uri.file(result.files[0]);
  let final = saved;
  const savedName = path.posix.basename(saved.path);
  if (savedName !== name && normalizedExtension(savedName) === normalizedExtension(name) && savedName.replace(/\.[^.]*$/, '') === name.replace(/\.[^.]*$/, '')) {
    // Same format, other spelling (.jpeg asked, .jpg written): the link's own name wins.
    await vscode.workspace.fs.rename(saved, target, { overwrite: false });
    final = target;
  }
  const finalName = path.posix.basename(final.path);
  let updatedLink: string | undefined;
  if (finalName !== name) {
    const extension = path.posix.extname(finalName).slice(1);
    updatedLink = savedName.replace(/\.[^.]*$/, '') === name.replace(/\.[^.]*$/, '') ? withExtension(link.rawTarget, extension) : relativeTarget(document.uri.path, final.path);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(document.positionAt(link.targetStart), document.positionAt(link.targetEnd)), updatedLink);
    await vscode.workspace.applyEdit(edit);
  }
  return { ...result, files: [final.scheme === 'file' ? final.fsPath : final.toString()], ...(updatedLink ? { updatedLink } : {}) };
}
