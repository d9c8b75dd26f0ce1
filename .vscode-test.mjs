// `npm run test:online`: the same integration suite in a downloaded desktop VS Code (@vscode/test-cli), for machines
// with internet access. Offline, `npm run test:integration` runs it in VS Code's server build instead.
// Build first: node esbuild.js && node esbuild.js --tests.
import { defineConfig } from '@vscode/test-cli';

export default defineConfig({
  label: 'integration',
  files: 'out/integration/**/*.test.js',
  version: '1.100.3',
  // Its .vscode/settings.json points geminiImage.baseUrl at port 8799, where globalSetup starts the local server.
  workspaceFolder: 'test/fixtures/workspace',
  launchArgs: ['--disable-extensions'],
  mocha: {
    ui: 'tdd',
    timeout: 60_000,
    color: false,
    // Loaded before the suite; its mochaGlobalSetup starts the local Gemini server unless GEMINI_TEST_SERVER is set.
    preload: './out/integration/globalSetup.js',
  },
});
