// An image that arrived whole before its answer broke off is saved and reported, in a real extension host.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SENTINEL_TOKEN } from '../sentinel';
import { enqueueFaults, resetServer } from './geminiAdmin';
import { freshServerAndFolders } from './suiteSetup';

interface GenerateResult {
  files: string[];
}

const outputDir = (): string => {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite needs a workspace folder');
  return path.join(folder.uri.fsPath, 'salvaged-images');
};

suite('Salvage from a broken answer', () => {
  freshServerAndFolders(() => [outputDir()]);

  suiteTeardown(async () => {
    await resetServer();
    fs.rmSync(outputDir(), { recursive: true, force: true });
  });

  test('the first image of an answer cut in its second is saved and listed in the result', async () => {
    // Every retry of the request breaks the same way, so only the salvaged images can come back.
    await enqueueFaults(...Array.from({ length: 8 }, () => ({ kind: 'cutSecondImage' as const })));
    const result = (await vscode.commands.executeCommand('geminiImage.generate', {
      prompt: 'a lighthouse at dusk',
      outputFolder: 'salvaged-images',
    })) as GenerateResult;
    const onDisk = fs.readdirSync(outputDir()).filter((name) => !name.startsWith('.'));
    assert.ok(onDisk.length >= 1, 'the image that arrived whole was not saved');
    assert.deepEqual(result.files.map((file) => path.basename(file)).sort(), onDisk.sort(), 'a saved image is missing from the result');
    assert.ok(!JSON.stringify(result).includes(SENTINEL_TOKEN));
  });
});
