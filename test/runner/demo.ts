// `npm start`: the extension in a real VS Code on 127.0.0.1, talking to the local Gemini server, until Ctrl+C.
// Options: --screenshot FILE opens the workbench in headless Chromium, saves a screenshot and exits (checks the demo).
// Ports: GEMINI_PORT (default 8787) and VSCODE_PORT (default 8080); a busy port falls back to a free one.
// GIS_DEMO_DIR (default .vscode-test) holds the demo's VS Code data and workspace (the demo test uses its own).
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { startGeminiServer } from '../server/geminiServer';
import { onCleanup, runMain } from './cleanup';
import {
  REPO_ROOT,
  launchChromium,
  newWorkbenchPage,
  startVsCodeServer,
  waitForWorkbench,
} from './vscodeServer';
import { createWorkspace } from './workspace';
import { findWebviewFrame, showImageStudio } from '../ui/workbench';

const DEMO_TOKEN = 'demo';

async function main(): Promise<number> {
  const screenshot = optionValue('--screenshot');
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run "node esbuild.js" first');

  const gemini = await startGeminiServer({
    port: await portOrFree(Number(process.env.GEMINI_PORT ?? 8787)),
    tokens: [DEMO_TOKEN],
    smallImages: false,
  });
  onCleanup(() => gemini.close());
  const home = path.resolve(process.env.GIS_DEMO_DIR ?? path.join(REPO_ROOT, '.vscode-test'));
  const demoDir = path.join(home, 'demo');
  fs.mkdirSync(demoDir, { recursive: true });
  // Keep what the user made in an earlier demo, but always point the settings at this run's server.
  const workspace = path.join(home, 'demo-workspace');
  if (fs.existsSync(workspace)) writeWorkspaceSettings(workspace, gemini.url);
  else createWorkspace(workspace, gemini.url);

  const server = await startVsCodeServer({
    runDir: demoDir,
    port: await portOrFree(Number(process.env.VSCODE_PORT ?? 8080)),
    env: { GEMINI_TEST_SERVER: gemini.url },
    verbose: process.env.GIS_VERBOSE === '1',
  });
  const url = server.workbenchUrl({ folder: workspace });

  if (screenshot) {
    const browser = await launchChromium();
    const page = await newWorkbenchPage(browser);
    await page.goto(url);
    await waitForWorkbench(page);
    // Show the extension's panel, so the picture proves the extension loaded.
    await showImageStudio(page);
    await page.locator('.part.sidebar .composite.title', { hasText: /Gemini Image Studio/i }).waitFor({ timeout: 15_000 });
    await page.mouse.move(800, 500);
    // The panel has drawn once the host's first state filled the model picker.
    const panel = await findWebviewFrame(page, '#prompt', 20_000);
    await panel.locator('#model option').first().waitFor({ state: 'attached', timeout: 15_000 });
    fs.mkdirSync(path.dirname(path.resolve(screenshot)), { recursive: true });
    await page.screenshot({ path: screenshot });
    console.log(`demo: the workbench loaded with the extension; screenshot saved to ${screenshot}`);
    await browser.close();
    await server.stop();
    return 0;
  }

  console.log(`
Gemini Image Studio demo is running.

  Open this URL in a browser on this machine:

    ${url}

  The workspace (${path.relative(REPO_ROOT, workspace)}) points geminiImage.baseUrl at the local
  Gemini-compatible server ${gemini.url}, which draws real images offline.
  When the extension asks for a token (Gemini Image: Set API Key (Token)…, or the panel's button), enter:  ${DEMO_TOKEN}

  Logs: ${path.relative(REPO_ROOT, server.logFile)}. Press Ctrl+C to stop everything.
`);
  // Runs until a signal: the cleanup handlers stop both servers and exit.
  return new Promise<number>(() => undefined);
}

function writeWorkspaceSettings(workspace: string, geminiUrl: string): void {
  const file = path.join(workspace, '.vscode', 'settings.json');
  let settings: Record<string, unknown> = {};
  try {
    settings = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // missing or not plain JSON: start over
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...settings, 'geminiImage.baseUrl': geminiUrl }, null, 2));
}

/** The wanted port when it is free on 127.0.0.1, otherwise 0 (any free port). */
function portOrFree(port: number): Promise<number> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(0));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(port)));
  });
}

function optionValue(name: string): string | undefined {
  const index = process.argv.indexOf(name);
  return index >= 0 ? process.argv[index + 1] : undefined;
}

runMain(main);
