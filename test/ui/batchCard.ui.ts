// A prompts-file batch run from the palette shows in the Image Studio panel as a card: progress, Cancel, results.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { step, uiSuite } from './harness';
import { eventually, generateRequests, openPanel, setToken, setWorkspaceSettings } from './panelDriver';
import { quickInput, runCommand } from './workbench';

let frame: Frame;

function writePrompts(workspace: string, name: string, prompts: readonly string[]): void {
  const folder = path.join(workspace, 'batch-card');
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, name), `${prompts.join('\n')}\n`);
}

/** "Gemini Image: Run Image Batch…" from the palette, choosing `name` from the workspace's prompts files. */
async function runBatchFromPalette(page: Parameters<typeof runCommand>[0], name: string): Promise<void> {
  await runCommand(page, 'Gemini Image: Run Image Batch…');
  const box = quickInput(page);
  await box.input.waitFor({ state: 'visible' });
  await box.input.fill(name);
  await box.widget.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ state: 'visible', timeout: 15_000 });
  await page.keyboard.press('Enter');
}

export default uiSuite('Batch card', [
  step('the panel is open with a token', async ({ page, workspace }) => {
    setWorkspaceSettings(workspace, { 'geminiImage.outputFolder': 'generated-images' });
    await setToken(page);
    frame = await openPanel(page);
  }),

  step('Run Image Batch… on a 3-line file: the card shows "3 of 3" and Open Results', async ({ page, gemini, workspace, screenshot }) => {
    writePrompts(workspace, 'cards.prompts.txt', ['a red kite over dunes', 'a blue kite over a lake', 'a green kite over a forest']);
    const before = generateRequests(gemini.requests).length;
    await runBatchFromPalette(page, 'cards.prompts.txt');
    const card = frame.locator('li.batch', { hasText: 'cards.prompts.txt' });
    await card.locator('.batch-progress', { hasText: /^3 of 3$/ }).waitFor({ state: 'visible', timeout: 30_000 });
    await card.locator('button', { hasText: 'Open Results' }).waitFor({ state: 'visible' });
    assert.equal(await card.getAttribute('aria-busy'), 'false');
    assert.equal(await card.locator('.progress').getAttribute('aria-valuenow'), '3');
    assert.equal(generateRequests(gemini.requests).length - before, 3, 'one request per line');
    const results = path.join(workspace, 'batch-card', 'cards.results.jsonl');
    assert.equal(fs.readFileSync(results, 'utf8').trimEnd().split('\n').length, 3);
    await screenshot('batch-card');
  }),

  step('Open Results opens the results file the run wrote', async ({ page }) => {
    await frame.locator('li.batch', { hasText: 'cards.prompts.txt' }).locator('button', { hasText: 'Open Results' }).click();
    await page.locator('.tabs-container .tab', { hasText: 'cards.results.jsonl' }).first().waitFor({ state: 'visible', timeout: 15_000 });
  }),

  step('Cancel on a running card stops the run, like the notification’s Cancel', async ({ page, gemini, workspace }) => {
    // Answers take long enough that the run is still going when Cancel is pressed; nothing waits for this time.
    gemini.setOptions({ latencyMs: 60_000 });
    try {
      writePrompts(workspace, 'slow.prompts.txt', ['a slow kite one', 'a slow kite two', 'a slow kite three']);
      await runBatchFromPalette(page, 'slow.prompts.txt');
      const card = frame.locator('li.batch', { hasText: 'slow.prompts.txt' });
      await card.locator('.batch-progress', { hasText: /^0 of 3$/ }).waitFor({ state: 'visible', timeout: 20_000 });
      await eventually(() => (generateRequests(gemini.requests).some((request) => JSON.stringify(request.body).includes('a slow kite')) ? true : undefined), 'a slow request');
      await card.getByRole('button', { name: 'Cancel the batch slow.prompts.txt' }).click();
      await card.locator('.job-meta', { hasText: 'Cancelled' }).waitFor({ state: 'visible', timeout: 20_000 });
      assert.equal(await card.getAttribute('aria-busy'), 'false');
      // The notification's run ended too: its results file is written and no progress notification is left.
      await eventually(() => (fs.existsSync(path.join(workspace, 'batch-card', 'slow.results.jsonl')) ? true : undefined), 'the results file');
      await page.locator('.notification-list-item-message', { hasText: 'Image batch slow.prompts.txt' }).waitFor({ state: 'hidden', timeout: 15_000 });
    } finally {
      gemini.setOptions({ latencyMs: 0 });
    }
  }),

  step('Dismiss removes a finished card', async () => {
    const card = frame.locator('li.batch', { hasText: 'cards.prompts.txt' });
    await card.getByRole('button', { name: 'Dismiss' }).click();
    await card.waitFor({ state: 'detached', timeout: 10_000 });
    assert.equal(await frame.locator('li.batch', { hasText: 'slow.prompts.txt' }).count(), 1, 'the other card stays');
  }),
]);
