// What a UI test file is: a suite of named steps that share one workbench page, run in order by test/runner/ui.ts.
import type { Page } from 'playwright-core';
import type { GeminiServer } from '../server/geminiServer';

export interface UiContext {
  /** The workbench, already showing the fixture workspace with the extension loaded; a fresh browser per suite. */
  readonly page: Page;
  /** The local Gemini server the workspace's geminiImage.baseUrl points at (in-process: enqueue faults, read requests). */
  readonly gemini: GeminiServer;
  /** Absolute path of this run's workspace folder (a copy of test/fixtures/workspace). */
  readonly workspace: string;
  /** Saves test-results/screenshots/<suite>-<NN>-<name>.png. */
  screenshot(name: string): Promise<void>;
}

export interface UiTest {
  readonly name: string;
  readonly timeoutMs?: number;
  run(ui: UiContext): Promise<void>;
}

export interface UiSuite {
  readonly name: string;
  readonly tests: readonly UiTest[];
}

/** Steps run in order on one page; after a failed step the rest of the suite is skipped (they build on it). */
export function uiSuite(name: string, tests: readonly UiTest[]): UiSuite {
  return { name, tests };
}

export function step(name: string, run: (ui: UiContext) => Promise<void>, timeoutMs?: number): UiTest {
  return timeoutMs === undefined ? { name, run } : { name, run, timeoutMs };
}

/**
 * What a step needed beyond its plan (a retried palette, say), printed beside its result: keyed by the suite's page.
 * The runner and each suite file are separate bundles, each with its own copy of this module: the map lives on
 * globalThis so a retry reported by a suite reaches the runner's report.
 */
const RETRIES = Symbol.for('gemini-image-studio.ui.retries');
const retries: WeakMap<Page, string[]> = ((globalThis as { [RETRIES]?: WeakMap<Page, string[]> })[RETRIES] ??= new WeakMap<Page, string[]>());

export function reportRetry(page: Page, what: string): void {
  retries.set(page, [...(retries.get(page) ?? []), what]);
}

/** The retries reported on `page` since the last call (the runner prints them under the step that needed them). */
export function takeRetries(page: Page): string[] {
  const reported = retries.get(page) ?? [];
  retries.delete(page);
  return reported;
}
