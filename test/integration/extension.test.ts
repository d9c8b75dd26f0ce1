// The foundation in a real extension host: activation, contributed commands, and a token that is stored but never shown.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { SENTINEL_TOKEN } from '../sentinel';

interface Manifest {
  publisher: string;
  name: string;
  contributes: { commands: { command: string }[]; configuration: { properties: Record<string, unknown> } };
}

interface GeminiImageApi {
  hasToken(): Promise<boolean>;
}

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as Manifest;
const EXTENSION_ID = `${manifest.publisher}.${manifest.name}`;

async function activatedApi(): Promise<GeminiImageApi> {
  const extension = vscode.extensions.getExtension<GeminiImageApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is not installed in this host`);
  return extension.activate();
}

function assertNoToken(value: unknown, where: string): void {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  assert.ok(!text.includes(SENTINEL_TOKEN), `the token leaked into ${where}`);
}

/** settings.json files that could hold a setting: the workspace's, and the user's when the runner says where. */
function settingsFilesOnDisk(): string[] {
  const files = (vscode.workspace.workspaceFolders ?? []).map((folder) =>
    path.join(folder.uri.fsPath, '.vscode', 'settings.json'),
  );
  const userData = process.env.GIS_USER_DATA_DIR;
  if (userData) files.push(path.join(userData, 'User', 'settings.json'));
  return files.filter((file) => fs.existsSync(file));
}

suite('Foundation', () => {
  test('the extension activates and exposes its API', async () => {
    const api = await activatedApi();
    assert.equal(vscode.extensions.getExtension(EXTENSION_ID)?.isActive, true);
    assert.equal(typeof api.hasToken, 'function');
  });

  test('every command contributed in package.json is registered', async () => {
    await activatedApi();
    const registered = new Set(await vscode.commands.getCommands(true));
    const contributed = manifest.contributes.commands.map((entry) => entry.command);
    assert.ok(contributed.length > 0, 'package.json contributes no command');
    assert.deepEqual(
      contributed.filter((id) => !registered.has(id)),
      [],
      'contributed commands that are not registered',
    );
  });

  test('setToken stores the token for the base URL and clearToken removes it, without ever showing it', async () => {
    const api = await activatedApi();
    const baseUrl = vscode.workspace.getConfiguration('geminiImage').get<string>('baseUrl');
    assert.equal(baseUrl, process.env.GEMINI_TEST_SERVER, 'the workspace should point at the local Gemini server');
    await vscode.commands.executeCommand('geminiImage.clearToken');
    assert.equal(await api.hasToken(), false, 'a token was stored before the test');

    const stored = await vscode.commands.executeCommand('geminiImage.setToken', { token: SENTINEL_TOKEN });
    assertNoToken(stored, 'the value setToken returned');
    assert.equal(await api.hasToken(), true, 'a second read does not see the token');

    assertNoToken(await vscode.commands.executeCommand('geminiImage.showLog'), 'the value showLog returned');
    const cleared = await vscode.commands.executeCommand('geminiImage.clearToken');
    assertNoToken(cleared, 'the value clearToken returned');
    assert.equal(await api.hasToken(), false, 'the token is still stored after clearToken');
  });

  test('no setting in any scope and no settings.json contains the token', async () => {
    const api = await activatedApi();
    await vscode.commands.executeCommand('geminiImage.setToken', { token: SENTINEL_TOKEN });
    try {
      assert.equal(await api.hasToken(), true);
      const config = vscode.workspace.getConfiguration();
      const keys = Object.keys(manifest.contributes.configuration.properties);
      assert.ok(keys.length > 0, 'package.json contributes no setting');
      for (const key of keys) assertNoToken(config.inspect(key), `the setting ${key}`);
      assertNoToken(vscode.workspace.getConfiguration('geminiImage'), 'the geminiImage configuration section');
      const files = settingsFilesOnDisk();
      assert.ok(files.length > 0, 'found no settings.json to check');
      for (const file of files) assertNoToken(fs.readFileSync(file, 'utf8'), file);
    } finally {
      await vscode.commands.executeCommand('geminiImage.clearToken');
    }
  });
});
