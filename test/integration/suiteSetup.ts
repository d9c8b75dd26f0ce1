// The frame most integration suites share: the extension active with the sentinel token, and before each test the
// local server reset and the suite's folders removed (each suite keeps its own teardown).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SENTINEL_TOKEN } from '../sentinel';
import { resetServer } from './geminiAdmin';

/** The test workspace's folder on disk. */
export function workspaceRoot(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the suite needs a workspace folder');
  return folder.uri.fsPath;
}

/** Where images go with the default geminiImage.outputFolder. */
export function outputDir(): string {
  return path.join(workspaceRoot(), 'generated-images');
}

export async function activateWithToken(): Promise<void> {
  const extension = vscode.extensions.all.find((candidate) => candidate.packageJSON?.name === 'gemini-image-studio');
  assert.ok(extension, 'the extension is installed in the test host');
  await extension.activate();
  await vscode.commands.executeCommand('geminiImage.setToken', { token: SENTINEL_TOKEN });
}

export function removeFolders(folders: readonly string[]): void {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
}

/** Registers the suite's setup hooks: activation once, a reset server and the given folders gone before each test. */
export function freshServerAndFolders(folders: () => readonly string[]): void {
  suiteSetup(activateWithToken);
  setup(async () => {
    await resetServer();
    removeFolders(folders());
  });
}
