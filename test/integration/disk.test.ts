// A flooding provider, a symlinked output folder and a broken disk, in a real extension host: files, editors, messages.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SENTINEL_TOKEN } from '../sentinel';
import { enqueueFaults, recordedRequests, resetServer } from './geminiAdmin';
import { workspaceRoot } from './suiteSetup';
import { rejection } from './rejection';

interface GenerateResult {
  files: string[];
}


async function activate(): Promise<void> {
  const extension = vscode.extensions.all.find((candidate) => candidate.packageJSON?.name === 'gemini-image-studio');
  assert.ok(extension, 'extension not found');
  await extension.activate();
}


/** The files open in editor tabs below `folder`. */
function tabsBelow(folder: string): string[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .map((tab) => (tab.input as { uri?: vscode.Uri } | undefined)?.uri)
    .filter((uri): uri is vscode.Uri => uri !== undefined && uri.fsPath.startsWith(folder + path.sep))
    .map((uri) => uri.fsPath);
}

/** Resolves once `condition` holds, re-checking whenever the tabs change; fails the test at the suite timeout. */
async function tabsUntil(condition: () => boolean): Promise<void> {
  if (condition()) return;
  await new Promise<void>((resolve) => {
    const listener = vscode.window.tabGroups.onDidChangeTabs(() => {
      if (!condition()) return;
      listener.dispose();
      resolve();
    });
  });
}

suite('Disk, links and floods', () => {
  const created: string[] = [];

  suiteSetup(async () => {
    await activate();
    await vscode.commands.executeCommand('geminiImage.setToken', { token: SENTINEL_TOKEN });
  });

  setup(async () => {
    await resetServer();
  });

  teardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.workspace.getConfiguration('geminiImage').update('openAfterSave', undefined, vscode.ConfigurationTarget.Workspace);
    for (const item of created.splice(0)) fs.rmSync(item, { recursive: true, force: true });
  });

  test('an answer with 40 images saves the first 16 and opens at most 4 editors', async () => {
    const folderName = 'flood-images';
    const folder = path.join(workspaceRoot(), folderName);
    created.push(folder);
    await vscode.workspace.getConfiguration('geminiImage').update('openAfterSave', true, vscode.ConfigurationTarget.Workspace);
    await enqueueFaults({ kind: 'manyImages', count: 40 });
    const result = (await vscode.commands.executeCommand('geminiImage.generate', {
      prompt: 'A flood of foxes',
      outputFolder: folderName,
    })) as GenerateResult;
    assert.equal(result.files.length, 16, 'the answer was not capped at 16 images');
    const names = fs.readdirSync(folder).sort();
    assert.equal(names.length, 16, `files on disk: ${names.join(', ')}`);
    assert.ok(!names.some((name) => name.endsWith('.part')), 'a temporary file was left behind');
    assert.ok(names.includes('a-flood-of-foxes.png') && names.includes('a-flood-of-foxes-16.png'), `names: ${names.join(', ')}`);
    // Editors open in the order asked: once this later one is open, every earlier request has been handled.
    const marker = path.join(workspaceRoot(), 'flood-marker.txt');
    created.push(marker);
    fs.writeFileSync(marker, 'marker');
    await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(marker), { preview: false });
    await tabsUntil(() => vscode.window.tabGroups.all.some((group) => group.tabs.some((tab) => (tab.input as { uri?: vscode.Uri })?.uri?.fsPath === marker)));
    assert.equal(tabsBelow(folder).length, 4, `editors opened: ${tabsBelow(folder).join(', ')}`);
  });

  test('an output folder that links outside the workspace is refused before anything is sent', async () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-outside-'));
    const link = path.join(workspaceRoot(), 'linked-out');
    created.push(outside, link);
    fs.symlinkSync(outside, link, 'dir');
    const error = await rejection(() =>
      vscode.commands.executeCommand('geminiImage.generate', { prompt: 'Escape through a link', outputFolder: 'linked-out/images' }),
    );
    assert.match(error.message, /links outside the workspace/);
    assert.deepEqual(fs.readdirSync(outside), [], 'something was written outside the workspace');
    assert.equal((await recordedRequests()).filter((request) => request.model !== undefined).length, 0, 'the request was sent (and billed)');
  });

  test('a multi-gigabyte reference is refused from its size, before it is read or anything is sent', async () => {
    const huge = path.join(workspaceRoot(), 'huge-reference.png');
    created.push(huge);
    // Sparse: 3 GB on paper, nothing on the disk.
    fs.writeFileSync(huge, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    fs.truncateSync(huge, 3_000_000_000);
    const error = await rejection(() =>
      vscode.commands.executeCommand('geminiImage.editImage', { prompt: 'Make it smaller', references: [vscode.Uri.file(huge)] }),
    );
    assert.match(error.message, /huge-reference\.png is 3000\.0 MB, too large to send/);
    assert.equal((await recordedRequests()).filter((request) => request.model !== undefined).length, 0, 'the request was sent');
  });

  test('a folder path through a file is reported as a disk failure, not a network one', async () => {
    const blocker = path.join(workspaceRoot(), 'blocker-file');
    created.push(blocker);
    fs.writeFileSync(blocker, 'not a folder');
    const error = await rejection(() =>
      vscode.commands.executeCommand('geminiImage.generate', { prompt: 'Nowhere to go', outputFolder: 'blocker-file/images' }),
    );
    assert.match(error.message, /generated \(and billed\)/);
    assert.match(error.message, /ENOTDIR/);
    assert.ok(error.message.includes(path.join(blocker, 'images')), `the folder is not named: ${error.message}`);
    assert.doesNotMatch(error.message, /Could not reach|network/);
  });
});
