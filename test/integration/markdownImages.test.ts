// The Markdown quick fix in a real extension host: offered on a missing image link only; running it creates the file.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readRecipe } from '../../src/core/recipe';
import { recordedRequests, resetServer } from './geminiAdmin';
import { activateWithToken, workspaceRoot } from './suiteSetup';

const TITLE = 'Generate this image with Gemini';
const docsDir = (): string => path.join(workspaceRoot(), 'md-docs');

async function actionsAt(document: vscode.TextDocument, needle: string): Promise<vscode.CodeAction[]> {
  const position = document.positionAt(document.getText().indexOf(needle) + 3);
  // VS Code cancels a code-action request when the document changes under it (the file was just rewritten): ask again.
  for (let attempt = 1; ; attempt++) {
    try {
      const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', document.uri, new vscode.Range(position, position), vscode.CodeActionKind.QuickFix.value);
      return (actions ?? []).filter((action) => action.title === TITLE);
    } catch (error) {
      if (attempt >= 5 || !(error instanceof Error) || error.message !== 'Canceled') throw error;
    }
  }
}

async function run(action: vscode.CodeAction): Promise<{ files: string[]; updatedLink?: string }> {
  assert.ok(action.command, 'the quick fix runs a command');
  return (await vscode.commands.executeCommand(action.command.command, ...(action.command.arguments ?? []))) as { files: string[]; updatedLink?: string };
}

suite('Markdown image links', () => {
  let document: vscode.TextDocument;
  let tests = 0;

  suiteSetup(activateWithToken);

  setup(async () => {
    await resetServer();
    fs.rmSync(docsDir(), { recursive: true, force: true });
    fs.mkdirSync(path.join(docsDir(), 'img'), { recursive: true });
    fs.writeFileSync(path.join(docsDir(), 'img', 'exists.png'), 'the user\'s own file');
    const text = [
      '# Guide',
      '## Harbour at night',
      'Here: ![A lighthouse at dawn](<img/new folder/light house.png> "Cover")',
      'Existing: ![Kept](img/exists.png)',
      'Remote: ![Web](https://example.invalid/a.png)',
      'Escape: ![Out](../../outside.png)',
      'Jpeg: ![A red fox](img/fox.jpg)',
      '```',
      '![In code](img/code.png)',
      '```',
    ].join('\n');
    // A new file per test: a document still open from the previous test (edited and saved there) would keep its old
    // text until VS Code's file watcher noticed the rewrite, and "revert" does nothing to a document that is not dirty.
    const file = path.join(docsDir(), `guide-${++tests}.md`);
    fs.writeFileSync(file, text);
    document = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(document);
    assert.equal(document.getText(), text, 'the editor shows the rewritten file');
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(docsDir(), { recursive: true, force: true });
  });

  test('the quick fix is offered on a missing relative link only', async () => {
    assert.equal((await actionsAt(document, '![A lighthouse')).length, 1, 'missing link');
    assert.equal((await actionsAt(document, '![Kept]')).length, 0, 'existing file');
    assert.equal((await actionsAt(document, '![Web]')).length, 0, 'remote URL');
    assert.equal((await actionsAt(document, '![Out]')).length, 0, 'outside the workspace');
    assert.equal((await actionsAt(document, '![In code]')).length, 0, 'inside a code fence');
    assert.equal((await actionsAt(document, '# Guide')).length, 0, 'no link there');
  });

  test('running it saves exactly at the link\'s path, prompt from alt text and heading', async () => {
    const [action] = await actionsAt(document, '![A lighthouse');
    const result = await run(action);
    const expected = path.join(docsDir(), 'img', 'new folder', 'light house.png');
    assert.deepEqual(result.files, [expected]);
    assert.ok(fs.existsSync(expected), 'the file is at the link\'s path');
    assert.deepEqual(fs.readdirSync(path.dirname(expected)), ['light house.png'], 'nothing else was written');
    assert.equal(readRecipe(fs.readFileSync(expected))?.prompt, 'A lighthouse at dawn (an image for the section "Harbour at night" of a document)');
    const [request] = (await recordedRequests()).filter((recorded) => recorded.model !== undefined);
    assert.match(JSON.stringify(request.body), /A lighthouse at dawn/);
    assert.equal(document.getText().includes('<img/new folder/light house.png>'), true, 'the link is unchanged');
    assert.equal((await actionsAt(document, '![A lighthouse')).length, 0, 'no quick fix once the file exists');

    const position = document.positionAt(document.getText().indexOf('![A lighthouse') + 4);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, position);
    const text = hovers.flatMap((hover) => hover.contents.map((content) => (typeof content === 'string' ? content : content.value))).join('\n')
      .replace(/&nbsp;/g, ' ')
      .replace(/\\([-()\\])/g, '$1');
    assert.match(text, /Generated with Gemini/, 'the hover shows the recipe');
    assert.match(text, /A lighthouse at dawn \(an image for the section "Harbour at night"/, 'the prompt, escaped as text');
    const model = readRecipe(fs.readFileSync(expected))?.model ?? 'no model in the recipe';
    assert.ok(text.includes(model), `the hover names the model (${model})`);
    assert.match(text, /command:geminiImage\.refine\?/);
    assert.match(text, /command:geminiImage\.generate\?/);
    const kept = document.positionAt(document.getText().indexOf('![Kept]') + 3);
    const plain = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', document.uri, kept);
    assert.ok(!plain.some((hover) => hover.contents.some((content) => (typeof content === 'string' ? content : content.value).includes('Generated with Gemini'))), 'no recipe hover on a file without one');
  });

  test('a folder that is a symbolic link out of the workspace is refused before anything is sent', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-outside-'));
    try {
      fs.symlinkSync(outside, path.join(docsDir(), 'img', 'linked'));
      const edit = new vscode.WorkspaceEdit();
      edit.insert(document.uri, document.positionAt(document.getText().length), '\n\n![Escaping](img/linked/escape.png)\n');
      assert.ok(await vscode.workspace.applyEdit(edit));
      const [action] = await actionsAt(document, '![Escaping]');
      await assert.rejects(run(action), /links outside the workspace/);
      assert.deepEqual(fs.readdirSync(outside), [], 'nothing was written outside');
      assert.equal((await recordedRequests()).filter((recorded) => recorded.model !== undefined).length, 0, 'nothing was sent');
    } finally {
      await document.save();
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  test('bytes in another format than the extension: the right extension, and the link updated in the document', async () => {
    const [action] = await actionsAt(document, '![A red fox]');
    const result = await run(action);
    const saved = result.files[0];
    const header = fs.readFileSync(saved).subarray(0, 4).toString('latin1');
    assert.ok(header.includes('PNG'), 'the test server answers PNG');
    assert.equal(saved, path.join(docsDir(), 'img', 'fox.png'));
    assert.equal(fs.existsSync(path.join(docsDir(), 'img', 'fox.jpg')), false);
    assert.equal(result.updatedLink, 'img/fox.png');
    assert.ok(document.getText().includes('![A red fox](img/fox.png)'), 'the link now points at the saved file');
    assert.equal(fs.readFileSync(path.join(docsDir(), 'img', 'exists.png'), 'utf8'), 'the user\'s own file');
  });
});
