// `npm run test:online`: the same integration suite in a downloaded desktop VS Code (@vscode/test-cli), for machines
// with internet access. Offline, `npm run test:integration` runs it in VS Code's server build instead.
// Build first: node esbuild.js && node esbuild.js --tests.
import { defineConfig } from '@vscode/test-cli';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

// Tests write images into the workspace: give them a fresh copy of the fixture, never the fixture itself.
const root = path.dirname(fileURLToPath(import.meta.url));
const workspaceFolder = path.join(root, '.vscode-test', 'online-workspace');
fs.rmSync(workspaceFolder, { recursive: true, force: true });
fs.cpSync(path.join(root, 'test', 'fixtures', 'workspace'), workspaceFolder, { recursive: true });

export default defineConfig({
  label: 'integration',
  files: 'out/integration/**/*.test.js',
  version: '1.100.3',
  // Its .vscode/settings.json points geminiImage.baseUrl at port 8799, where globalSetup starts the local server.
  workspaceFolder,
  launchArgs: ['--disable-extensions'],
  mocha: {
    ui: 'tdd',
    timeout: 60_000,
    color: false,
    // Loaded before the suite; its mochaGlobalSetup starts the local Gemini server unless GEMINI_TEST_SERVER is set.
    preload: './out/integration/globalSetup.js',
  },
});
