// Starts VS Code's server build (from code-server) and a headless Chromium that opens its web workbench.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { killGroupWhenWeDie, onCleanup } from './cleanup';

/** The repository: out/runner/*.js live two folders below it. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..');

const CODE_SERVER_VERSION = '4.100.3';
const CHROMIUM = process.env.GIS_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Settings that keep the workbench quiet and offline, so nothing steals focus from what a test drives. */
const QUIET_USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'git.enabled': false,
  'security.workspace.trust.enabled': false,
  'chat.commandCenter.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

/** Lines every offline run prints and that mean nothing for us. */
const NOISE = [
  /ENOTFOUND/,
  /open-vsx\.org/,
  /vsda(\.js|_bg\.wasm)?/,
  /\[: .*unexpected operator/,
  /getaddrinfo/,
  /marketplace/i,
  /Failed to fetch/,
  /\[Service Worker\] registration/,
  /net::ERR_/,
  /^\s*$/,
  /^\[\d\d:\d\d:\d\d\]\s*$/,
];

export function isNoise(line: string): boolean {
  return NOISE.some((pattern) => pattern.test(line));
}

/** Where install-vscode.sh put VS Code's server build (lib/vscode inside the code-server package). */
export function vscodeServerDir(): string {
  const cache = process.env.GIS_VSCODE_CACHE ?? path.join(os.homedir(), '.cache', 'gemini-image-studio');
  const dir = path.join(cache, `code-server-${CODE_SERVER_VERSION}`, 'node_modules', 'code-server', 'lib', 'vscode');
  if (!fs.existsSync(path.join(dir, 'out', 'server-main.js'))) {
    throw new Error(`VS Code's server build is not installed in ${dir}: run "bash test/runner/install-vscode.sh" first.`);
  }
  return dir;
}

/**
 * A fresh folder .vscode-test/runs/<name>-<pid> (git-ignored), kept after the run so its logs can be read. Runs in
 * the same checkout may overlap (two terminals, several agents), so each gets its own folder; folders of earlier runs
 * whose process is gone are removed.
 */
export function freshRunDir(name: string): string {
  const runs = path.join(REPO_ROOT, '.vscode-test', 'runs');
  fs.mkdirSync(runs, { recursive: true });
  for (const entry of fs.readdirSync(runs)) {
    const owner = new RegExp(`^${name}-(\\d+)$`).exec(entry);
    if (owner && !isAlive(Number(owner[1]))) fs.rmSync(path.join(runs, entry), { recursive: true, force: true });
  }
  const dir = path.join(runs, `${name}-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface VsCodeServerOptions {
  /** The run folder (see freshRunDir); user data, extensions, server data and the server log go inside. */
  readonly runDir: string;
  /** Port on 127.0.0.1; 0 (default) lets the server pick a free one. */
  readonly port?: number;
  /** Extra environment for the server, which passes it on to the extension host (e.g. GEMINI_TEST_SERVER). */
  readonly env?: Record<string, string>;
  /** Merged over the quiet defaults into the user settings.json. */
  readonly userSettings?: Record<string, unknown>;
  /** Echo the server's output (minus noise) to stderr; otherwise it only goes to vscode-server.log. */
  readonly verbose?: boolean;
}

export interface WorkbenchUrlOptions {
  /** Absolute path of the folder to open. */
  readonly folder: string;
  /** Absolute path of the extension under development; default: this repository. */
  readonly extensionDevelopmentPath?: string;
  /** Absolute path of a compiled test index exporting run(); the host runs it and reports the exit code. */
  readonly extensionTestsPath?: string;
}

export interface VsCodeServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  readonly userDataDir: string;
  readonly serverDataDir: string;
  readonly extensionsDir: string;
  readonly logFile: string;
  /** The page URL that opens `folder` with the extension loaded (the server ignores the CLI flags for this). */
  workbenchUrl(options: WorkbenchUrlOptions): string;
  /** The last lines the server printed, for error messages. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

export async function startVsCodeServer(options: VsCodeServerOptions): Promise<VsCodeServer> {
  const serverMain = path.join(vscodeServerDir(), 'out', 'server-main.js');
  const userDataDir = path.join(options.runDir, 'user-data');
  const serverDataDir = path.join(options.runDir, 'server-data');
  const extensionsDir = path.join(options.runDir, 'extensions');
  const logFile = path.join(options.runDir, 'vscode-server.log');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(serverDataDir, { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify({ ...QUIET_USER_SETTINGS, ...options.userSettings }, null, 2),
  );

  const args = [
    serverMain,
    '--host', '127.0.0.1',
    '--port', String(options.port ?? 0),
    '--without-connection-token',
    '--accept-server-license-terms',
    '--enable-smoke-test-driver',
    '--disable-telemetry',
    '--disable-workspace-trust',
    '--user-data-dir', userDataDir,
    '--extensions-dir', extensionsDir,
    '--server-data-dir', serverDataDir,
  ];
  // detached = its own process group, so one kill(-pid) also stops the extension hosts and file watchers.
  const child = spawn(process.execPath, args, {
    cwd: options.runDir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inheritableEnv(), ...options.env },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the VS Code server');
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => (exited = true));
  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  };
  const stop = async (): Promise<void> => {
    killGroup('SIGTERM');
    const timer = setTimeout(() => killGroup('SIGKILL'), 3000);
    await exitedPromise;
    clearTimeout(timer);
    // Its children may outlive it for a moment; the group kill reaches them too.
    killGroup('SIGKILL');
  };
  const unregister = onCleanup(stop, () => killGroup('SIGKILL'));
  killGroupWhenWeDie(pid);

  const log = fs.createWriteStream(logFile);
  const recent: string[] = [];
  let resolvePort: (port: number) => void = () => undefined;
  const portPromise = new Promise<number>((resolve) => (resolvePort = resolve));
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      log.write(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        recent.push(line);
        if (recent.length > 200) recent.shift();
        const listening = /Extension host agent listening on (\d+)/.exec(line);
        if (listening) resolvePort(Number(listening[1]));
        if (options.verbose && !isNoise(line)) process.stderr.write(`[vscode-server] ${line}\n`);
      }
    });
  }
  const tail = (lines = 40): string => recent.slice(-lines).join('\n');

  let timer: NodeJS.Timeout | undefined;
  try {
    const port = await Promise.race([
      portPromise,
      exitedPromise.then(() => {
        throw new Error(`the VS Code server exited before listening:\n${tail()}`);
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the VS Code server did not listen within 30 s:\n${tail()}`)), 30_000);
      }),
    ]);
    const origin = `http://127.0.0.1:${port}`;
    return {
      port,
      origin,
      userDataDir,
      serverDataDir,
      extensionsDir,
      logFile,
      tail,
      workbenchUrl: (url) => workbenchUrl(origin, url),
      stop: async () => {
        unregister();
        if (!exited) await stop();
        log.end();
      },
    };
  } catch (error) {
    await stop();
    unregister();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

function workbenchUrl(origin: string, options: WorkbenchUrlOptions): string {
  // The workbench resolves these against the server it was loaded from, so the authority must match the page's.
  const remote = (file: string): string => `vscode-remote://${new URL(origin).host}${path.resolve(file)}`;
  const payload: [string, string][] = [
    ['extensionDevelopmentPath', remote(options.extensionDevelopmentPath ?? REPO_ROOT)],
    ['skipWelcome', 'true'],
    ['skipReleaseNotes', 'true'],
  ];
  if (options.extensionTestsPath) payload.push(['extensionTestsPath', remote(options.extensionTestsPath)]);
  return `${origin}/?folder=${encodeURIComponent(path.resolve(options.folder))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** The runner's environment minus what would make the server think it runs inside another VS Code. */
function inheritableEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (name.startsWith('VSCODE_') || name === 'ELECTRON_RUN_AS_NODE') continue;
    env[name] = value;
  }
  return env;
}

/** Headless Debian Chromium driven by playwright-core (which downloads nothing). */
export async function launchChromium(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run "bash test/runner/install-vscode.sh" (it installs Debian's chromium).`);
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    // We stop the browser ourselves, in order, from our own signal handlers.
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  });
  const unregister = onCleanup(() => browser.close());
  browser.once('disconnected', () => unregister());
  return browser;
}

/** A new page (own browser context, so its SecretStorage starts empty) with a screenshot-friendly size. */
export async function newWorkbenchPage(browser: Browser): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  return context.newPage();
}

/** Waits until the workbench shows the opened folder's files in the Explorer. */
export async function waitForWorkbench(page: Page, timeoutMs = 60_000): Promise<void> {
  await page.locator('.monaco-workbench').waitFor({ timeout: timeoutMs });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: timeoutMs });
}
