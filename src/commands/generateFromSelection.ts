// "Generate Image from Selection": the selected text becomes the prompt through a preset; in Markdown, MDX and
// HTML the new image's link is inserted after the selection.
import * as vscode from 'vscode';
import { altTextFrom, defaultPresetFor, imageLinkText, linkStyleFor, relativeTarget } from '../core/selectionImage';
import { isArgumentObject, type GenerateResult } from './arguments';
import { NO_PRESET, pickPreset } from './presetPicker';
import { runGeneration, type GenerationContext } from './runGeneration';

export interface SelectionResult extends GenerateResult {
  /** The link text inserted after the selection, if any. */
  readonly inserted?: string;
}

/** With `{preset?}` it asks nothing (code defaults to Diagram, other text to no preset); from the menu it asks. */
export async function generateFromSelection(context: GenerationContext, args?: unknown): Promise<SelectionResult | undefined> {
  const programmatic = isArgumentObject(args);
  const editor = vscode.window.activeTextEditor;
  const selected = editor?.document.getText(editor.selection).trim() ?? '';
  if (!editor || selected === '') {
    const message = 'Select the text to make an image from (a description, a Mermaid or PlantUML block, or code) first.';
    if (programmatic) throw new Error(message);
    void vscode.window.showInformationMessage(message);
    return undefined;
  }
  const { document } = editor;
  let preset: string | undefined;
  if (programmatic && args.preset !== undefined) {
    if (typeof args.preset !== 'string' || args.preset.trim() === '') throw new Error('The "preset" argument must be a preset name.');
    preset = args.preset;
  } else {
    preset = defaultPresetFor(document.languageId, selected);
    if (preset === undefined && !programmatic) {
      const picked = await pickPreset('Preset for the selected text');
      if (picked === undefined) return undefined;
      preset = picked === NO_PRESET ? undefined : picked;
    }
  }
  const insertAt = editor.selection.end;
  const result = await runGeneration(context, { prompt: selected, references: [], options: preset ? { preset } : {} }, !programmatic);
  if (!result || result.files.length === 0) return result;
  const style = linkStyleFor(document.languageId);
  if (!style || document.isUntitled) return result;
  const links = result.files.map((file) => imageLinkText(style, altTextFrom(selected), relativeTarget(document.uri.path, vscode.Uri.file(file).path)));
  const inserted = links.join('\n');
  const edit = new vscode.WorkspaceEdit();
  // On its own paragraph (Markdown) or line (HTML), without leaving stray blank lines.
  const breakBefore = style === 'markdown' ? '\n\n' : '\n';
  const restOfLine = document.lineAt(insertAt.line).text.slice(insertAt.character);
  edit.insert(document.uri, insertAt, `${breakBefore}${inserted}${restOfLine.trim() === '' ? '' : breakBefore}`);
  if (!(await vscode.workspace.applyEdit(edit))) return result;
  return { ...result, inserted };
}
