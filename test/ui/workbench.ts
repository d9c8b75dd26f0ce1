// Playwright moves on VS Code's web workbench that UI tests share: palette, input boxes, notifications, views, webviews.
import type { Frame, Locator, Page } from 'playwright-core';
import { reportRetry } from './harness';

const QUICK_INPUT = '.quick-input-widget';

/** Runs a command from the palette by its full title, e.g. "Gemini Image: Set API Key (Token)…". */
export async function runCommand(page: Page, title: string): Promise<void> {
  await paletteRow(page, `>${title}`, title);
  await page.keyboard.press('Enter');
}

/**
 * Opens the palette, types `text` and waits for a row holding `rowText`; leaves the palette open on it.
 * Right after the workbench shows, the palette can open before the extension's commands are known, and an open
 * palette never learns of them: then it closes and tries again, waiting longer each time, and the step's output
 * says so (a retry is reported, never hidden).
 */
export async function paletteRow(page: Page, text: string, rowText: string | RegExp): Promise<Locator> {
  const waits = [2000, 4000, 8000];
  for (let attempt = 0; ; attempt++) {
    try {
      await page.locator('.monaco-workbench .part.editor').click({ position: { x: 200, y: 200 } });
      await page.keyboard.press('F1');
      const input = page.locator(`${QUICK_INPUT} input`);
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(text);
      const row = page.locator(`${QUICK_INPUT} .quick-input-list .monaco-list-row`, { hasText: rowText }).first();
      await row.waitFor({ state: 'visible', timeout: waits[attempt] });
      if (attempt > 0) reportRetry(page, `the palette listed ${JSON.stringify(String(rowText))} for ${JSON.stringify(text)} only on attempt ${attempt + 1}`);
      return row;
    } catch (error) {
      if (attempt + 1 >= waits.length) throw error;
      await page.keyboard.press('Escape');
    }
  }
}

/**
 * Waits for a notification whose message matches `text` in VS Code's notification list (Notifications: Show
 * Notifications), returns its text and closes the list again. The list holds every notification; a toast is only a
 * view of it that VS Code skips when more than 3 notifications arrive within 800 ms (a test on a fast machine does
 * that, a person does not), hides on Escape and removes after 15 s.
 */
export async function waitForNotificationInList(page: Page, text: string | RegExp, timeoutMs = 10_000): Promise<string> {
  await runCommand(page, 'Notifications: Show Notifications');
  const center = page.locator('.notifications-center');
  const item = center.locator('.notification-list-item-message', { hasText: text }).first();
  await item.waitFor({ state: 'visible', timeout: timeoutMs });
  const message = await item.innerText();
  await runCommand(page, 'Notifications: Hide Notifications');
  await page.locator('.notifications-center.visible').waitFor({ state: 'hidden', timeout: 10_000 });
  return message;
}

/** Shows the Image Studio view with our own command: idempotent, unlike a click on the activity icon (a toggle). */
export async function showImageStudio(page: Page): Promise<void> {
  await runCommand(page, 'Gemini Image: Open Image Studio');
  await page.locator('.activitybar .action-item.checked [aria-label^="Gemini Image Studio"]').first().waitFor({ timeout: 15_000 });
}

/** Shows the Explorer with VS Code's own command (idempotent). */
export async function showExplorer(page: Page): Promise<void> {
  await runCommand(page, 'View: Show Explorer');
  await page.locator('.explorer-folders-view').first().waitFor({ state: 'visible', timeout: 15_000 });
}

/** The open input box (quick input) and its texts. */
export function quickInput(page: Page): {
  readonly widget: Locator;
  readonly input: Locator;
  readonly title: Locator;
  readonly message: Locator;
} {
  const widget = page.locator(QUICK_INPUT);
  return {
    widget,
    input: widget.locator('input').first(),
    title: widget.locator('.quick-input-title'),
    message: widget.locator('.quick-input-message'),
  };
}

/** Waits for a notification toast whose message contains `text`; returns it. */
export async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = 10_000): Promise<Locator> {
  const toast = page.locator('.notification-list-item-message', { hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  return toast;
}

/** The sidebar's pane (or single-view title) whose header names `viewName`. */
export function sidebarView(page: Page, viewName: string): Locator {
  return page.locator('.part.sidebar').locator('.pane-header, .composite.title', { hasText: viewName }).first();
}

/**
 * Finds the webview frame whose document matches: a CSS selector it holds, or `{ title }` (the <title> of the HTML the
 * extension rendered). Webviews nest two iframes deep and several may be open, so this searches page.frames().
 */
export async function findWebviewFrame(
  page: Page,
  match: string | { readonly title: string },
  timeoutMs = 15_000,
): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      try {
        const found = typeof match === 'string' ? (await frame.locator(match).count()) > 0 : (await frame.title()) === match.title;
        if (found) return frame;
      } catch {
        // the frame navigated or went away while we looked
      }
    }
    if (Date.now() > deadline) throw new Error(`no webview shows ${JSON.stringify(match)} within ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}

/** Every visible text of the workbench page (not inside webviews), to prove a secret is not on screen. */
export async function visibleText(page: Page): Promise<string> {
  return page.locator('body').innerText();
}

/**
 * An extension's workspace state (`ExtensionContext.workspaceState`) as the web workbench has written it to the
 * browser's IndexedDB, or undefined while it is not there yet. The workbench keeps a change in memory and writes it
 * about 100 ms later; a page reload in between loses it (the web workbench cannot write during unload). A test that
 * reloads to show that state survives waits for this first, as a person who reloads seconds later implicitly does.
 */
export async function persistedWorkspaceState(page: Page, extensionId: string): Promise<Record<string, unknown> | undefined> {
  const stored = await page.evaluate(async (key) => {
    // VS Code names the databases vscode-web-state-db-global(-<profile>) and vscode-web-state-db-<workspace id>.
    const names = (await indexedDB.databases()).map((db) => db.name ?? '').filter((name) => name.startsWith('vscode-web-state-db-') && !name.startsWith('vscode-web-state-db-global'));
    for (const name of names) {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      try {
        if (!db.objectStoreNames.contains('ItemTable')) continue;
        const value = await new Promise<unknown>((resolve, reject) => {
          const request = db.transaction('ItemTable', 'readonly').objectStore('ItemTable').get(key);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        if (typeof value === 'string') return value;
      } finally {
        db.close();
      }
    }
    return undefined;
  }, extensionId);
  return stored === undefined ? undefined : (JSON.parse(stored) as Record<string, unknown>);
}
