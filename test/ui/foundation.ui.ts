// The foundation as a user sees it: set a token from the palette, then open the Image Studio panel.
import assert from 'node:assert/strict';
import { SENTINEL_TOKEN } from '../sentinel';
import { step, uiSuite } from './harness';
import { findWebviewFrame, paletteRow, quickInput, runCommand, sidebarView, visibleText, waitForNotification } from './workbench';

export default uiSuite('Foundation', [
  step('the workbench opens the fixture workspace', async ({ page, screenshot }) => {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'images' }).first().waitFor();
    await screenshot('workbench');
  }),

  step('typing "token" or "key" in the palette finds Set API Key (Token)…', async ({ page, screenshot }) => {
    for (const typed of ['token', 'key']) {
      const row = await paletteRow(page, `>${typed}`, 'Gemini Image: Set API Key (Token)…');
      assert.match(await row.innerText(), /Set API Key \(Token\)…/);
      if (typed === 'token') await screenshot('palette-token');
      await page.keyboard.press('Escape');
    }
  }),

  step('Set API Key (Token)… asks for the token in a password box naming the host', async ({ page, gemini, screenshot }) => {
    const host = new URL(gemini.url).host;
    await runCommand(page, 'Gemini Image: Set API Key (Token)…');
    const box = quickInput(page);
    await box.input.waitFor({ state: 'visible' });
    assert.equal(await box.input.getAttribute('type'), 'password', 'the token box does not hide what is typed');
    const texts = `${await box.title.innerText()} ${await box.message.innerText()}`;
    assert.ok(texts.includes(host), `the token box does not name ${host}: "${texts}"`);
    await screenshot('token-box');
  }),

  step('the typed token is saved and the confirmation names the host', async ({ page, gemini, screenshot }) => {
    const host = new URL(gemini.url).host;
    await quickInput(page).input.fill(SENTINEL_TOKEN);
    await page.keyboard.press('Enter');
    const toast = await waitForNotification(page, 'saved');
    assert.ok((await toast.innerText()).includes(host), `the confirmation does not name ${host}`);
    assert.ok(!(await visibleText(page)).includes(SENTINEL_TOKEN), 'the token is visible on screen');
    await screenshot('token-saved');
  }),

  step('the activity bar opens Gemini Image Studio with the Image Studio panel', async ({ page, screenshot }) => {
    // The Explorer is showing (a fresh window), so a click on our icon opens our container rather than toggling it.
    await page.locator('.activitybar .action-item.checked [aria-label^="Explorer"]').first().waitFor({ timeout: 10_000 });
    await page.locator('.activitybar [aria-label^="Gemini Image Studio"]').first().click();
    await sidebarView(page, 'Image Studio').waitFor({ state: 'visible', timeout: 10_000 });
    const frame = await findWebviewFrame(page, { title: 'Image Studio' });
    await frame.locator('button').first().waitFor({ state: 'visible', timeout: 10_000 });
    const text = await frame.locator('body').innerText();
    assert.ok(text.trim().length > 40, `the panel shows almost nothing: "${text}"`);
    await screenshot('panel');
  }),
]);
