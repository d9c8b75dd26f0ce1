// Playwright moves on VS Code's web workbench that UI tests share: palette, input boxes, notifications, views, webviews.
import type { Frame, Locator, Page } from 'playwright-core';

const QUICK_INPUT = '.quick-input-widget';

/** Runs a command from the palette by its full title, e.g. "Gemini Image: Set API Token…". */
export async function runCommand(page: Page, title: string): Promise<void> {
  // Right after the workbench shows, the palette can open before the extension's commands are known, and an open
  // palette never learns of them: close it and try again, waiting longer each time.
  const waits = [2000, 4000, 8000];
  for (let attempt = 0; ; attempt++) {
    try {
      await page.locator('.monaco-workbench .part.editor').click({ position: { x: 200, y: 200 } });
      await page.keyboard.press('F1');
      const input = page.locator(`${QUICK_INPUT} input`);
      await input.waitFor({ state: 'visible', timeout: 5000 });
      await input.fill(`>${title}`);
      const row = page.locator(`${QUICK_INPUT} .quick-input-list .monaco-list-row`, { hasText: title }).first();
      await row.waitFor({ state: 'visible', timeout: waits[attempt] });
      await page.keyboard.press('Enter');
      return;
    } catch (error) {
      if (attempt + 1 >= waits.length) throw error;
      await page.keyboard.press('Escape');
    }
  }
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

/** Opens an activity-bar view container by its title (e.g. "Gemini Image Studio") unless it is already showing. */
export async function openViewContainer(page: Page, title: string): Promise<void> {
  const item = page.locator(`.activitybar [aria-label^="${title}"]`).first();
  await item.waitFor({ state: 'visible', timeout: 10_000 });
  const checked = page.locator(`.activitybar .action-item.checked [aria-label^="${title}"]`);
  if ((await checked.count()) === 0) await item.click();
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
