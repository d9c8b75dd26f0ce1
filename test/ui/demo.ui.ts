// `npm start` as a new user meets it: the demo prints a URL, the page is a workbench with the extension and the local
// Gemini server answering token `demo`, a first image lands in the demo workspace, and Ctrl+C leaves nothing running.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { onCleanup } from '../runner/cleanup';
import { REPO_ROOT, newWorkbenchPage, waitForWorkbench } from '../runner/vscodeServer';
import { step, uiSuite } from './harness';
import { quickInput, runCommand, waitForNotification } from './workbench';

interface Demo {
  readonly child: ChildProcess;
  readonly dir: string;
  readonly url: string;
  readonly geminiUrl: string;
  output(): string;
  readonly exited: Promise<number | null>;
}

let demo: Demo | undefined;
let demoPage: Page | undefined;

/** Starts `node out/runner/demo.js` (what `npm start` ends with) and resolves once it printed its URL. */
async function startDemo(): Promise<Demo> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-demo-'));
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'out', 'runner', 'demo.js')], {
    cwd: REPO_ROOT,
    // Port 0: any free ports, so a demo the developer is running keeps its own.
    env: { ...process.env, GIS_DEMO_DIR: dir, GEMINI_PORT: '0', VSCODE_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const unregister = onCleanup(
    async () => void child.kill('SIGINT'),
    () => void child.kill('SIGKILL'),
  );
  let text = '';
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      unregister();
      resolve(code);
    }),
  );
  const printed = new Promise<{ url: string; geminiUrl: string }>((resolve, reject) => {
    const read = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      const url = /^\s*(http:\/\/127\.0\.0\.1:\d+\/\?folder=\S+)\s*$/m.exec(text)?.[1];
      const geminiUrl = /server (http:\/\/127\.0\.0\.1:\d+)/.exec(text)?.[1];
      if (url && geminiUrl) resolve({ url, geminiUrl });
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    void exited.then((code) => reject(new Error(`the demo exited (${code}) before printing its URL:\n${text}`)));
  });
  const { url, geminiUrl } = await printed;
  return { child, dir, url, geminiUrl, exited, output: () => text };
}

function accepts(origin: string): Promise<boolean> {
  const { hostname, port } = new URL(origin);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Processes that inherited the demo's environment (the VS Code server, its extension hosts, file watchers…). */
function processesOf(geminiUrl: string): string[] {
  const marker = `GEMINI_TEST_SERVER=${geminiUrl}\0`;
  const found: string[] = [];
  for (const pid of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (`${fs.readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`.includes(marker)) {
        found.push(`${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ').slice(0, 120)}`);
      }
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

export default uiSuite('npm start (the demo)', [
  step('the demo prints a URL and the page is a workbench with the extension loaded', async ({ page }) => {
    demo = await startDemo();
    const browser = page.context().browser();
    assert.ok(browser, 'no browser');
    demoPage = await newWorkbenchPage(browser);
    await demoPage.goto(demo.url);
    await waitForWorkbench(demoPage);
    assert.ok(await accepts(demo.geminiUrl), 'the local Gemini server does not answer');
  }, 90_000),

  step('token "demo" and a first image, saved into the demo workspace', async () => {
    assert.ok(demo && demoPage);
    await runCommand(demoPage, 'Gemini Image: Set API Key (Token)…');
    const box = quickInput(demoPage);
    await box.input.waitFor({ state: 'visible' });
    await box.input.fill('demo');
    await demoPage.keyboard.press('Enter');
    await waitForNotification(demoPage, 'saved');
    await runCommand(demoPage, 'Gemini Image: Generate Image…');
    await box.input.waitFor({ state: 'visible' });
    await box.input.fill('A lighthouse for the demo');
    await demoPage.keyboard.press('Enter');
    await waitForNotification(demoPage, 'Saved a-lighthouse-for-the-demo.png', 30_000);
    const file = path.join(demo.dir, 'demo-workspace', 'generated-images', 'a-lighthouse-for-the-demo.png');
    assert.ok(fs.existsSync(file), `${file} was not written`);
    assert.equal(fs.readFileSync(file).toString('latin1', 1, 4), 'PNG');
  }, 60_000),

  step('Ctrl+C stops the demo and everything it started', async () => {
    assert.ok(demo && demoPage);
    await demoPage.context().close();
    const vscodeOrigin = new URL(demo.url).origin;
    demo.child.kill('SIGINT');
    const code = await demo.exited;
    assert.equal(code, 130, `the demo exited with ${code}:\n${demo.output()}`);
    assert.equal(await accepts(vscodeOrigin), false, 'the VS Code server still answers');
    assert.equal(await accepts(demo.geminiUrl), false, 'the Gemini server still answers');
    // A killed process leaves /proc a moment after the kill: wait for that state, then name any that stayed.
    const geminiUrl = demo.geminiUrl;
    const deadline = Date.now() + 10_000;
    while (processesOf(geminiUrl).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(processesOf(geminiUrl), [], 'processes the demo started are still running');
    fs.rmSync(demo.dir, { recursive: true, force: true });
  }, 30_000),
]);
