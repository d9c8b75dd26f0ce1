// The foundation as a user sees it: set a token from the palette, then open the Image Studio panel.
import assert from 'node:assert/strict';
import { SENTINEL_TOKEN } from '../sentinel';
import { step, uiSuite } from './harness';
import { findWebviewFrame, openViewContainer, quickInput, runCommand, sidebarView, visibleText, waitForNotification } from './workbench';

export default uiSuite('Foundation', [
  step('the workbench opens the fixture workspace', async ({ page, screenshot }) => {
    await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'images' }).first().waitFor();
    await screenshot('workbench');
  }),

  step('Set API Token… asks for the token in a password box naming the host', async ({ page, gemini, screenshot }) => {
    const host = new URL(gemini.url).host;
    await runCommand(page, 'Gemini Image: Set API Token…');
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
    await openViewContainer(page, 'Gemini Image Studio');
    await sidebarView(page, 'Image Studio').waitFor({ state: 'visible', timeout: 10_000 });
    const frame = await findWebviewFrame(page, { title: 'Image Studio' });
    await frame.locator('button').first().waitFor({ state: 'visible', timeout: 10_000 });
    const text = await frame.locator('body').innerText();
    assert.ok(text.trim().length > 40, `the panel shows almost nothing: "${text}"`);
    await screenshot('panel');
  }),
]);
