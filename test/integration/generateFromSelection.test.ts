// Generate Image from Selection in a real extension host: the prompt sent, the preset used, the link inserted.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { BUILT_IN_PRESETS, expandTemplate } from '../../src/core/presets';
import { recordedRequests } from './geminiAdmin';
import { freshServerAndFolders, outputDir, workspaceRoot } from './suiteSetup';

interface SelectionResult {
  files: string[];
  inserted?: string;
}

const docsDir = (): string => path.join(workspaceRoot(), 'selection-docs');

async function sentPrompt(): Promise<string | undefined> {
  const generated = (await recordedRequests()).filter((request) => request.model !== undefined);
  assert.equal(generated.length, 1, 'one generateContent request');
  return (generated[0].body as { contents: { parts: { text?: string }[] }[] }).contents[0].parts[0].text;
}

async function editorWith(name: string, text: string, select: string): Promise<vscode.TextEditor> {
  fs.mkdirSync(docsDir(), { recursive: true });
  const file = path.join(docsDir(), name);
  fs.writeFileSync(file, text);
  const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(file));
  const start = editor.document.positionAt(text.indexOf(select));
  editor.selection = new vscode.Selection(start, editor.document.positionAt(text.indexOf(select) + select.length));
  return editor;
}

suite('Generate from selection', () => {
  freshServerAndFolders(() => [docsDir(), outputDir()]);

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(docsDir(), { recursive: true, force: true });
    fs.rmSync(outputDir(), { recursive: true, force: true });
  });

  test('in Markdown, the selection goes through the chosen preset and a relative link is inserted after it', async () => {
    const editor = await editorWith('post.md', '# Post\n\nA lighthouse at dawn\n\nMore text.\n', 'A lighthouse at dawn');
    const result = (await vscode.commands.executeCommand('geminiImage.generateFromSelection', { preset: 'Photo' })) as SelectionResult;
    const photo = BUILT_IN_PRESETS.find((preset) => preset.name === 'Photo')!;
    assert.equal(await sentPrompt(), expandTemplate(photo.template, 'A lighthouse at dawn'));
    assert.deepEqual(result.files, [path.join(outputDir(), 'a-lighthouse-at-dawn.png')]);
    assert.equal(result.inserted, '![A lighthouse at dawn](../generated-images/a-lighthouse-at-dawn.png)');
    assert.equal(editor.document.getText(), '# Post\n\nA lighthouse at dawn\n\n![A lighthouse at dawn](../generated-images/a-lighthouse-at-dawn.png)\n\nMore text.\n');
    const linked = path.resolve(docsDir(), '../generated-images/a-lighthouse-at-dawn.png');
    assert.ok(fs.existsSync(linked), 'the inserted link points at the saved file');
  });

  test('code defaults to the Diagram preset, asks nothing, and inserts no link into a source file', async () => {
    const code = 'function add(a, b) {\n  return a + b;\n}';
    const editor = await editorWith('add.js', `${code}\n`, code);
    const result = (await vscode.commands.executeCommand('geminiImage.generateFromSelection', {})) as SelectionResult;
    const diagram = BUILT_IN_PRESETS.find((preset) => preset.name === 'Diagram')!;
    assert.equal(await sentPrompt(), expandTemplate(diagram.template, code));
    assert.equal(result.files.length, 1);
    assert.equal(result.inserted, undefined);
    assert.equal(editor.document.getText(), `${code}\n`, 'a source file is left as it was');
  });

  test('in HTML an <img> with escaped alt text is inserted', async () => {
    const editor = await editorWith('page.html', '<p>A "red" fox</p>\n', 'A "red" fox');
    const result = (await vscode.commands.executeCommand('geminiImage.generateFromSelection', { preset: 'Illustration' })) as SelectionResult;
    assert.equal(result.inserted, '<img src="../generated-images/a-red-fox.png" alt="A &quot;red&quot; fox">');
    assert.equal(editor.document.getText(), `<p>A "red" fox\n${result.inserted}\n</p>\n`);
  });
});
