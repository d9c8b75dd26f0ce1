// Offline integration runner: runs the mocha suite out/integration inside a real VS Code extension host, then checks
// that no file the run wrote contains the test token. Prints "N passed, N failed, N skipped" and exits non-zero on failure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { startGeminiServer } from '../server/geminiServer';
import { SENTINEL_TOKEN } from '../sentinel';
import { onCleanup, runMain } from './cleanup';
import { createWorkspace } from './workspace';
import { formatCounts, type Counts } from './counts';
import { findFilesContaining } from './leakScan';
import { REPO_ROOT, freshRunDir, isNoise, launchChromium, newWorkbenchPage, startVsCodeServer } from './vscodeServer';

// Lines test/integration/index.ts logs around mocha's own output.
const START_MARKER = 'GIS_MOCHA_START';
const RESULT_MARKER = 'GIS_MOCHA_RESULT ';
const TIMEOUT_MS = Number(process.env.GIS_INTEGRATION_TIMEOUT_MS ?? 240_000);

async function main(): Promise<number> {
  const started = Date.now();
  const suiteIndex = path.join(REPO_ROOT, 'out', 'integration', 'index.js');
  if (!fs.existsSync(suiteIndex)) throw new Error(`${suiteIndex} is missing: run "node esbuild.js --tests" first`);
  if (!fs.existsSync(path.join(REPO_ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run "node esbuild.js" first');

  const runDir = freshRunDir('integration');
  const gemini = await startGeminiServer({ smallImages: true });
  onCleanup(() => gemini.close());
  const workspace = createWorkspace(path.join(runDir, 'workspace'), gemini.url);
  const server = await startVsCodeServer({
    runDir,
    env: { GEMINI_TEST_SERVER: gemini.url, GIS_USER_DATA_DIR: path.join(runDir, 'user-data') },
    verbose: process.env.GIS_VERBOSE === '1',
  });
  const browser = await launchChromium();
  const page = await newWorkbenchPage(browser);

  let mochaCounts: Counts | undefined;
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (resolveExit = resolve));
  // The workbench forwards its own console too: keep all of it in a file, print the suite's output and real errors.
  const consoleLog = fs.createWriteStream(path.join(runDir, 'workbench-console.log'));
  onCleanup(async () => void consoleLog.end());
  let suiteStarted = false;
  await page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
    const text = Array.isArray(args) ? format(...(args as unknown[])) : String(args);
    consoleLog.write(`[${type}] ${text}\n`);
    if (text.startsWith(START_MARKER)) {
      suiteStarted = true;
    } else if (text.startsWith(RESULT_MARKER)) {
      mochaCounts = JSON.parse(text.slice(RESULT_MARKER.length)) as Counts;
    } else if (type === 'error') {
      // After the counts, the only error left is run()'s rejection, which restates them.
      if (!isNoise(text) && mochaCounts === undefined) process.stderr.write(`${suiteStarted ? '' : '[workbench] '}${text}\n`);
    } else if (suiteStarted) {
      process.stdout.write(`${text}\n`);
    }
  });
  await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
  page.on('crash', () => resolveExit(-1));
  await page.goto(server.workbenchUrl({ folder: workspace, extensionTestsPath: suiteIndex }));

  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), TIMEOUT_MS)));
  const exitCode = await Promise.race([exited, timedOut]);
  clearTimeout(timer);
  await browser.close();
  // Stop the server before scanning, so every log it buffers is on disk.
  await server.stop();

  const counts: Counts = mochaCounts ?? { passed: 0, failed: 0, skipped: 0 };
  if (exitCode === 'timeout') {
    console.error(`integration: the suite did not finish within ${TIMEOUT_MS / 1000} s; server log tail:\n${server.tail()}`);
    counts.failed += 1;
  } else if (mochaCounts === undefined) {
    console.error(`integration: the extension host exited with code ${exitCode} before mocha reported; server log tail:\n${server.tail()}`);
    counts.failed += 1;
  } else if (exitCode !== 0 && counts.failed === 0) {
    console.error(`integration: the extension host exited with code ${exitCode}`);
    counts.failed += 1;
  } else if (counts.passed + counts.failed === 0) {
    console.error('integration: mocha found no test in out/integration/**/*.test.js');
    counts.failed += 1;
  }

  // Counted as one more test: secrets live in the browser, so no file on the server side may contain the token.
  const leakTitle = 'no file written by VS Code or the extension (settings, logs, storage) contains the token';
  const logs = listExtensionLogs(runDir);
  const leaks = findFilesContaining(runDir, SENTINEL_TOKEN);
  if (leaks.length === 0 && logs.length > 0) {
    counts.passed += 1;
    console.log(`  ✔ ${leakTitle} (${logs.length} extension log file(s) scanned)`);
  } else {
    counts.failed += 1;
    console.log(`  ✘ ${leakTitle}`);
    for (const file of leaks) console.log(`      the token is in ${path.relative(runDir, file)}`);
    if (logs.length === 0) console.log(`      found no "Gemini Image Studio" log under ${runDir}: the scan would prove nothing`);
  }

  console.log(`\nintegration: ${((Date.now() - started) / 1000).toFixed(1)} s, logs in ${path.relative(REPO_ROOT, runDir)}`);
  console.log(formatCounts(counts));
  return counts.failed > 0 ? 1 : 0;
}

/** The extension's LogOutputChannel files (user-data/logs/<date>/exthost1/<extension id>/Gemini Image Studio.log). */
function listExtensionLogs(runDir: string): string[] {
  return fs
    .readdirSync(runDir, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith('Gemini Image Studio.log'))
    .map((name) => path.join(runDir, name));
}

runMain(main);
