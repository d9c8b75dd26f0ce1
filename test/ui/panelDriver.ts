// Moves the panel UI tests share: open the Image Studio webview, set the token, read saved files as the server sent them.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame, Locator, Page } from 'playwright-core';
import { readRecipe, RECIPE_KEYWORD } from '../../src/core/recipe';
import { SENTINEL_TOKEN } from '../sentinel';
import type { RecordedRequest } from '../server/geminiServer';
import { reportRetry } from './harness';
import { findWebviewFrame, quickInput, runCommand, showImageStudio, waitForNotification } from './workbench';

/** Sets the test token through the palette (each suite's browser starts with empty secret storage). */
export async function setToken(page: Page): Promise<void> {
  await runCommand(page, 'Gemini Image: Set API Key (Token)…');
  const box = quickInput(page);
  await box.input.waitFor({ state: 'visible' });
  await box.input.fill(SENTINEL_TOKEN);
  await page.keyboard.press('Enter');
  await waitForNotification(page, 'saved');
}

/** Opens the Image Studio view and returns the webview frame once the host has sent its state. */
export async function openPanel(page: Page): Promise<Frame> {
  await showImageStudio(page);
  return panelFrame(page);
}

/** The panel's frame once something else (a command) has revealed it; clicking the activity bar would hide it. */
export async function panelFrame(page: Page): Promise<Frame> {
  await page.locator('.activitybar .action-item.checked [aria-label^="Gemini Image Studio"]').first().waitFor({ timeout: 15_000 });
  const frame = await findWebviewFrame(page, '#prompt', 20_000);
  // The model picker is filled by the first state message: the handshake is done.
  await frame.locator('#model option').first().waitFor({ state: 'attached', timeout: 15_000 });
  return frame;
}

/** The generateContent requests the server received, oldest first. */
export function generateRequests(requests: readonly RecordedRequest[]): RecordedRequest[] {
  return requests.filter((request) => request.model !== undefined && request.path.endsWith(':generateContent'));
}

/** The workspace paths of the gallery rows, newest first (only rows in the DOM: the list is virtualised). */
export async function galleryPaths(frame: Frame): Promise<string[]> {
  // Rows far below the fold are not rendered at all: bring the gallery into view first.
  await frame.locator('#gallery-title').evaluate((title) => title.scrollIntoView({ block: 'start' }));
  await frame.waitForTimeout(100);
  return frame.locator('.gallery-row').evaluateAll((rows) =>
    rows
      .map((row) => ({ path: row.getAttribute('data-path') ?? '', position: Number(row.getAttribute('aria-posinset')) }))
      .sort((a, b) => a.position - b.position)
      .map((row) => row.path),
  );
}

/** Waits until a gallery row's thumbnail has really loaded (through asWebviewUri) and returns its src. */
export async function waitForThumbnail(frame: Frame, workspacePath: string, timeoutMs = 15_000): Promise<string> {
  const image = frame.locator(`.gallery-row[data-path="${workspacePath}"] img`);
  await image.waitFor({ state: 'attached', timeout: timeoutMs });
  await frame.waitForFunction(
    (selector) => {
      const element = document.querySelector<HTMLImageElement>(selector);
      return element !== null && element.complete && element.naturalWidth > 0;
    },
    `.gallery-row[data-path="${workspacePath}"] img`,
    { timeout: timeoutMs },
  );
  return (await image.getAttribute('src')) ?? '';
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The image bytes as the server sent them: our recipe (PNG iTXt chunk or JPEG COM segment) taken out again. */
export function withoutRecipe(bytes: Uint8Array): Uint8Array {
  if (bytes[0] === 0x89 && bytes[1] === 0x50) {
    const kept: Uint8Array[] = [bytes.subarray(0, 8)];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let offset = 8; offset + 12 <= bytes.length; ) {
      const length = view.getUint32(offset);
      const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
      const end = offset + 12 + length;
      const keyword = new TextDecoder('latin1').decode(bytes.subarray(offset + 8, offset + 8 + RECIPE_KEYWORD.length));
      if (!(type === 'iTXt' && keyword === RECIPE_KEYWORD)) kept.push(bytes.subarray(offset, end));
      offset = end;
    }
    return Buffer.concat(kept);
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    const kept: Uint8Array[] = [bytes.subarray(0, 2)];
    let offset = 2;
    while (offset + 4 <= bytes.length && bytes[offset] === 0xff && bytes[offset + 1] !== 0xda) {
      const end = offset + 2 + ((bytes[offset + 2] << 8) | bytes[offset + 3]);
      const text = new TextDecoder().decode(bytes.subarray(offset + 4, Math.min(end, offset + 4 + RECIPE_KEYWORD.length + 1)));
      if (!(bytes[offset + 1] === 0xfe && text === `${RECIPE_KEYWORD}:`)) kept.push(bytes.subarray(offset, end));
      offset = end;
    }
    kept.push(bytes.subarray(offset));
    return Buffer.concat(kept);
  }
  return bytes;
}

/** Image files in the workspace's output folder (default generated-images), by workspace path. */
export function savedImages(workspace: string, folder = 'generated-images'): string[] {
  const dir = path.join(workspace, folder);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => /\.(png|jpe?g|webp)$/i.test(name))
    .map((name) => `${folder}/${name}`);
}

/** Merges settings into the workspace's .vscode/settings.json (suites share one workspace; say what you rely on). */
export function setWorkspaceSettings(workspace: string, changes: Record<string, unknown>): void {
  const file = path.join(workspace, '.vscode', 'settings.json');
  const current = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  fs.writeFileSync(file, JSON.stringify({ ...current, ...changes }, null, 2));
}

/** Every image below `folder` that carries our recipe (what a rebuilt history must show), by workspace path. */
export function imagesWithRecipes(workspace: string, folder = 'generated-images'): string[] {
  const dir = path.join(workspace, folder);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((name) => /\.(png|jpe?g)$/i.test(name) && readRecipe(fs.readFileSync(path.join(dir, name))) !== undefined)
    .map((name) => `${folder}/${name.split(path.sep).join('/')}`);
}

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs "Preferences: Color Theme" and picks a theme by its label, e.g. "Dark Modern". */
export async function chooseColorTheme(page: Page, label: string, panel?: Frame): Promise<void> {
  // Not runCommand: it clicks the editor area, which an open image preview (a webview) covers.
  const box = quickInput(page);
  // A webview that takes the focus (an image preview finishing its load) closes the palette: open it again then,
  // and say so beside the step.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.locator('.part.sidebar .composite.title').first().click();
      await page.keyboard.press('F1');
      await box.input.waitFor({ state: 'visible', timeout: 5000 });
      await box.input.fill('>Preferences: Color Theme', { timeout: 5000 });
      await quickPickRow(page, 'Preferences: Color Theme').click({ timeout: 5000 });
      break;
    } catch (error) {
      if (attempt === 3) throw error;
      reportRetry(page, `the palette closed before "Preferences: Color Theme" was chosen (attempt ${attempt})`);
      await page.keyboard.press('Escape');
    }
  }
  await eventually(async () => ((await box.input.inputValue()).startsWith('>') ? undefined : true), 'the theme picker');
  await box.input.fill(label);
  await quickPickRow(page, label).click();
  await box.widget.waitFor({ state: 'hidden' });
  // The theme is applied when the workbench (and the panel's document, which VS Code tells separately) carry its kind.
  const kind = themeKindOf(label);
  await eventually(
    async () => ((await page.locator('.monaco-workbench').first().getAttribute('class'))?.split(/\s+/).includes(kind.workbench) ? true : undefined),
    `the workbench to show ${label}`,
  );
  if (panel) {
    await eventually(
      async () => ((await panel.locator('body').getAttribute('class'))?.split(/\s+/).includes(kind.webview) ? true : undefined),
      `the panel to show ${label}`,
    );
  }
}

/** The classes VS Code puts on the workbench and on webview bodies for a built-in theme's kind. */
function themeKindOf(label: string): { workbench: string; webview: string } {
  if (/high contrast/i.test(label)) {
    return /light/i.test(label) ? { workbench: 'hc-light', webview: 'vscode-high-contrast-light' } : { workbench: 'hc-black', webview: 'vscode-high-contrast' };
  }
  return /light/i.test(label) ? { workbench: 'vs', webview: 'vscode-light' } : { workbench: 'vs-dark', webview: 'vscode-dark' };
}

/** The quick pick row whose label is exactly `label` (not one that merely contains it). */
function quickPickRow(page: Page, label: string): Locator {
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  return page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
}

/** Drags the sidebar's edge so the panel is `width` pixels wide (screenshots read better a little wider). */
export async function widenSidebar(page: Page, width: number): Promise<void> {
  const box = await page.locator('.part.sidebar').boundingBox();
  if (!box) return;
  const y = box.y + box.height / 2;
  await page.mouse.move(box.x + box.width + 1, y);
  await page.mouse.down();
  await page.mouse.move(box.x + width, y, { steps: 5 });
  await page.mouse.up();
}
