// UI runner: Playwright drives the real VS Code web workbench through every suite in out/ui/*.ui.js.
// Prints "N passed, N failed, N skipped" and exits non-zero on failure. Filter suites/steps with GIS_UI_GREP=text.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from 'playwright-core';
import { startGeminiServer } from '../server/geminiServer';
import { takeRetries, type UiContext, type UiSuite } from '../ui/harness';
import { onCleanup, runMain } from './cleanup';
import { formatCounts, type Counts } from './counts';
import {
  REPO_ROOT,
  freshRunDir,
  isNoise,
  launchChromium,
  newWorkbenchPage,
  startVsCodeServer,
  waitForWorkbench,
} from './vscodeServer';
import { createWorkspace } from './workspace';

const SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');
const STEP_TIMEOUT_MS = 30_000;
const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

interface SuiteFile {
  readonly file: string;
  readonly suite: UiSuite;
}

async function main(): Promise<number> {
  const started = Date.now();
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run "node esbuild.js" first');
  const suites = loadSuites(path.join(REPO_ROOT, 'out', 'ui'));
  const grep = process.env.GIS_UI_GREP;

  const runDir = freshRunDir('ui');
  clearScreenshots(suites);
  const gemini = await startGeminiServer({ smallImages: true });
  onCleanup(() => gemini.close());
  const workspace = createWorkspace(path.join(runDir, 'workspace'), gemini.url);
  const server = await startVsCodeServer({ runDir, verbose: process.env.GIS_VERBOSE === '1', env: { GEMINI_TEST_SERVER: gemini.url } });
  const browser = await launchChromium();
  const url = server.workbenchUrl({ folder: workspace });
  const consoleLog = fs.createWriteStream(path.join(runDir, 'browser-console.log'));
  onCleanup(async () => void consoleLog.end());

  const counts: Counts = { passed: 0, failed: 0, skipped: 0 };
  for (const { file, suite } of suites) {
    const tests = suite.tests.filter((test) => !grep || `${suite.name} ${test.name}`.includes(grep));
    if (tests.length === 0) continue;
    console.log(`\n  ${suite.name} (${file})`);
    gemini.reset();
    const page = await newWorkbenchPage(browser);
    page.on('console', (message) => {
      consoleLog.write(`[${suite.name}] [${message.type()}] ${message.text()}\n`);
      // Our extension's errors (a failed activation, say) explain a step that then times out.
      if (message.type() === 'error' && /gemini/i.test(message.text()) && !isNoise(message.text())) {
        console.error(`    [workbench error] ${message.text().slice(0, 1000)}`);
      }
    });
    page.on('pageerror', (error) => {
      if (!isNoise(error.message)) console.error(`    [page error] ${error.message}`);
    });
    const slug = slugOf(file);
    let shot = 0;
    const context: UiContext = {
      page,
      gemini,
      workspace,
      screenshot: async (name) => {
        shot += 1;
        await page.screenshot({ path: path.join(SCREENSHOTS, `${slug}-${String(shot).padStart(2, '0')}-${name}.png`) });
      },
    };
    let failedBefore = false;
    try {
      await page.goto(url);
      await waitForWorkbench(page);
    } catch (error) {
      failedBefore = true;
      console.log(`    ✘ the workbench did not open: ${describe(error)}`);
      await failureScreenshot(page, slug, 'workbench');
      counts.failed += 1;
    }
    for (const test of tests) {
      if (failedBefore) {
        console.log(`    - ${test.name} (skipped: an earlier step failed)`);
        counts.skipped += 1;
        continue;
      }
      const testStarted = Date.now();
      try {
        await withTimeout(test.run(context), test.timeoutMs ?? STEP_TIMEOUT_MS);
        counts.passed += 1;
        console.log(`    ✔ ${test.name} (${Date.now() - testStarted}ms)${retryNote(page)}`);
      } catch (error) {
        failedBefore = true;
        counts.failed += 1;
        console.log(`    ✘ ${test.name} (${Date.now() - testStarted}ms)${retryNote(page)}\n${indent(describe(error), 8)}`);
        await failureScreenshot(page, slug, test.name);
      }
    }
    await page.context().close();
  }

  await browser.close();
  await server.stop();
  if (counts.passed + counts.failed + counts.skipped === 0) {
    console.error(grep ? `ui: no step matches GIS_UI_GREP="${grep}"` : 'ui: found no suite in out/ui/*.ui.js');
    counts.failed += 1;
  }
  console.log(
    `\nui: ${((Date.now() - started) / 1000).toFixed(1)} s, screenshots in ${path.relative(REPO_ROOT, SCREENSHOTS)}, logs in ${path.relative(REPO_ROOT, runDir)}`,
  );
  console.log(formatCounts(counts));
  return counts.failed > 0 ? 1 : 0;
}

/** Removes the earlier screenshots of the suites about to run (only theirs: another run may be writing its own). */
function clearScreenshots(suites: readonly SuiteFile[]): void {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const slugs = suites.map(({ file }) => `${slugOf(file)}-`);
  for (const name of fs.readdirSync(SCREENSHOTS)) {
    if (slugs.some((slug) => name.startsWith(slug))) fs.rmSync(path.join(SCREENSHOTS, name), { force: true });
  }
}

function slugOf(file: string): string {
  return file.replace(/\.ui\.js$/, '');
}

function loadSuites(dir: string): SuiteFile[] {
  if (!fs.existsSync(dir)) throw new Error(`${dir} is missing: run "node esbuild.js --tests" first`);
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.ui.js'))
    .sort()
    .map((file) => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(path.join(dir, file)) as { default?: UiSuite };
      if (!loaded.default?.tests) throw new Error(`${file} must "export default uiSuite(name, [step(...), ...])"`);
      return { file, suite: loaded.default };
    });
}

async function failureScreenshot(page: Page, slug: string, name: string): Promise<void> {
  const file = path.join(SCREENSHOTS, `${slug}-FAILED-${name.replace(/[^\w.-]+/g, '-').slice(0, 60)}.png`);
  try {
    await page.screenshot({ path: file, timeout: 5000 });
    console.log(`        screenshot: ${path.relative(REPO_ROOT, file)}`);
  } catch {
    // the page is gone; the error above says why
  }
}

/** " — needed a retry: …" for each retry a shared move reported during the step, so a flaky start is never silent. */
function retryNote(page: Page): string {
  const retries = takeRetries(page);
  return retries.length === 0 ? '' : `\n        needed ${retries.length === 1 ? 'a retry' : `${retries.length} retries`}: ${retries.join('; ')}`;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Playwright's call logs are long (and coloured); the first lines say what was awaited.
  return (error.stack ?? error.message).replace(ANSI_COLOUR, '').split('\n').slice(0, 12).join('\n');
}

function indent(text: string, spaces: number): string {
  return text
    .split('\n')
    .map((line) => ' '.repeat(spaces) + line)
    .join('\n');
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`step timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

runMain(main);
