// The palette and Explorer flows as a user sees them: Generate Image… and right-click > Edit Image with Gemini….
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SENTINEL_TOKEN } from '../sentinel';
import { step, uiSuite } from './harness';
import { quickInput, runCommand, waitForNotification, waitForNotificationInList } from './workbench';

function setWorkspaceSettings(workspace: string, changes: Record<string, unknown>): void {
  const file = path.join(workspace, '.vscode', 'settings.json');
  const settings = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(file, JSON.stringify({ ...settings, ...changes }, null, 2));
}

async function waitForFile(file: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`${file} was not written within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

export default uiSuite('Palette and Explorer', [
  step('a token is set from the palette', async ({ page, workspace }) => {
    setWorkspaceSettings(workspace, { 'geminiImage.openAfterSave': true });
    await runCommand(page, 'Gemini Image: Set API Key (Token)…');
    await quickInput(page).input.waitFor({ state: 'visible' });
    await quickInput(page).input.fill(SENTINEL_TOKEN);
    await page.keyboard.press('Enter');
    await waitForNotification(page, 'saved');
  }),

  step('Generate Image… turns a typed prompt into an image that opens and shows in the Explorer', async ({ page, workspace, gemini, screenshot }) => {
    await runCommand(page, 'Gemini Image: Generate Image…');
    const box = quickInput(page);
    await box.input.waitFor({ state: 'visible' });
    await box.input.fill('A lighthouse at dawn');
    await screenshot('generate-prompt');
    await page.keyboard.press('Enter');
    const file = path.join(workspace, 'generated-images', 'a-lighthouse-at-dawn.png');
    await waitForNotification(page, 'Saved a-lighthouse-at-dawn.png', 20_000);
    assert.ok(fs.existsSync(file), `${file} was not written`);
    await page.locator('.tabs-container .tab', { hasText: 'a-lighthouse-at-dawn.png' }).first().waitFor({ state: 'visible', timeout: 10_000 });
    const folderRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'generated-images' }).first();
    await folderRow.waitFor({ state: 'visible', timeout: 10_000 });
    const fileRow = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'a-lighthouse-at-dawn.png' }).first();
    if (!(await fileRow.isVisible())) await folderRow.click();
    await fileRow.waitFor({ state: 'visible', timeout: 10_000 });
    const generated = gemini.requests.filter((request) => request.model !== undefined);
    assert.equal(generated.length, 1);
    assert.equal(generated[0].headers.authorization, `Bearer ${SENTINEL_TOKEN}`);
    await screenshot('generated');
  }, 45_000),

  step('the gear on the prompt box changes model, ratio and size for one run', async ({ page, workspace, gemini, screenshot }) => {
    gemini.reset();
    setWorkspaceSettings(workspace, { 'geminiImage.openAfterSave': false });
    await page.keyboard.press('Escape');
    await runCommand(page, 'Gemini Image: Generate Image…');
    const box = quickInput(page);
    await box.input.waitFor({ state: 'visible' });
    await box.input.fill('A cover image for the docs');
    await box.widget.locator('[aria-label^="Model, aspect ratio, size"]').first().click();
    const row = (label: string | RegExp) => box.widget.locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
    // Each pick replaces the list in the same widget: wait for its title, filter by typing, accept with Enter.
    const choose = async (title: string, label: string): Promise<void> => {
      await box.widget.locator('.quick-input-title', { hasText: title }).waitFor({ state: 'visible', timeout: 10_000 });
      await box.input.fill(label);
      await row(label).waitFor({ state: 'visible', timeout: 10_000 });
      // The pointer still rests where the last pick was, so a description's hover can cover the row: click the row's
      // top-left padding, which has no hover, after moving the pointer off the list.
      await page.mouse.move(0, 0);
      await row(label).click({ position: { x: 4, y: 4 } });
    };
    await choose('Options for this run', 'Model');
    await box.widget.locator('.quick-input-title', { hasText: 'Model for this run' }).waitFor({ state: 'visible', timeout: 10_000 });
    // auto comes first and says what it stands for at this provider.
    await row('auto (gemini-3.1-flash-image)').waitFor({ state: 'visible', timeout: 10_000 });
    // The provider's own list (filtered: the list is longer than the widget): image models, not the text-embedding one.
    await box.input.fill('gemini-3-pro-image-preview-4k');
    await row('gemini-3-pro-image-preview-4k').waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await row('text-embedding-004').count(), 0, 'a model that cannot make images is offered');
    await screenshot('model-picker');
    await choose('Model for this run', 'gemini-3-pro-image-preview');
    await choose('Options for this run', 'Aspect ratio');
    await choose('Aspect ratio for this run', '16:9');
    await choose('Options for this run', 'Size');
    await choose('Size for this run', '2K');
    await choose('Options for this run', 'Done');
    await box.title.filter({ hasText: 'Generate Image' }).waitFor({ state: 'visible', timeout: 10_000 });
    await box.input.waitFor({ state: 'visible' });
    assert.equal(await box.input.inputValue(), 'A cover image for the docs', 'the typed prompt was lost');
    assert.match(await box.message.innerText(), /gemini-3-pro-image-preview · 16:9 · 2K/);
    await screenshot('run-options');
    await page.keyboard.press('Enter');
    await waitForNotification(page, 'Saved a-cover-image-for-the-docs.png', 20_000);
    const generated = gemini.requests.filter((request) => request.model !== undefined);
    assert.equal(generated.length, 1);
    assert.equal(generated[0].model, 'gemini-3-pro-image-preview');
    const body = generated[0].body as { generationConfig?: { imageConfig?: Record<string, string> } };
    assert.deepEqual(body.generationConfig?.imageConfig, { aspectRatio: '16:9', imageSize: '2K' });
    assert.ok(fs.existsSync(path.join(workspace, 'generated-images', 'a-cover-image-for-the-docs.png')));
  }, 45_000),

  step('Cancel on the progress notification stops a slow generation and saves nothing', async ({ page, workspace, gemini, screenshot }) => {
    gemini.reset();
    // Far longer than this step may take: if Cancel did not stop the request, the answer never comes in time.
    gemini.enqueue({ kind: 'delay', ms: 120_000 });
    await page.keyboard.press('Escape');
    await runCommand(page, 'Gemini Image: Generate Image…');
    const box = quickInput(page);
    await box.input.waitFor({ state: 'visible' });
    await box.input.fill('A very slow sunrise');
    await page.keyboard.press('Enter');
    const progress = page.locator('.notification-list-item', { hasText: 'Generating image with' }).first();
    await progress.waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot('progress');
    await progress.getByRole('button', { name: 'Cancel' }).click();
    // The product reports the cancel only after the run settled (request aborted, nothing left to write): from then
    // on the folder is final. It is read from the notification list, which holds it even when VS Code skipped the toast.
    const message = await waitForNotificationInList(page, /cancel/i, 15_000);
    assert.match(message, new RegExp(`Cancelled; nothing more is sent to ${new URL(gemini.url).host.replace(/[.]/g, '\\.')}`));
    await progress.waitFor({ state: 'hidden', timeout: 10_000 });
    const sent = gemini.requests.filter((request) => request.model !== undefined);
    assert.equal(sent.length, 1, 'Cancel should end the run, not retry it');
    assert.equal(sent[0].status, 0, 'the server answered: the request was not cancelled');
    const files = fs.readdirSync(path.join(workspace, 'generated-images'));
    assert.ok(!files.some((name) => name.includes('slow-sunrise')), `a file was saved after cancel: ${files.join(', ')}`);
    assert.ok(!files.some((name) => name.endsWith('.part')), `a temporary file was left: ${files.join(', ')}`);
  }, 60_000),

  step('right-click a PNG > Edit Image with Gemini… saves the edit next to it', async ({ page, workspace, screenshot }) => {
    setWorkspaceSettings(workspace, { 'geminiImage.outputFolder': '${sourceDir}' });
    await page.keyboard.press('Escape');
    const explorerRow = (name: string) =>
      page.locator('.explorer-folders-view .monaco-list-row', { hasText: new RegExp(`^\\s*${name.replace(/[.]/g, '\\.')}\\s*$`) }).first();
    const sunset = explorerRow('sunset.png');
    if (!(await sunset.isVisible())) await explorerRow('images').click();
    await sunset.waitFor({ state: 'visible', timeout: 10_000 });
    await sunset.click({ button: 'right' });
    const item = page.getByRole('menuitem', { name: 'Edit Image with Gemini…' });
    await item.waitFor({ state: 'visible', timeout: 10_000 });
    await screenshot('explorer-context-menu');
    await item.click();
    const box = quickInput(page);
    await box.input.waitFor({ state: 'visible' });
    assert.match(await box.title.innerText(), /sunset\.png/);
    await box.input.fill('Make the sky purple');
    await page.keyboard.press('Enter');
    const file = path.join(workspace, 'images', 'make-the-sky-purple.png');
    await waitForFile(file, 20_000);
    // Toasts pile up under load; the Explorer row is what the user looks for.
    await explorerRow('make-the-sky-purple.png').waitFor({ state: 'visible', timeout: 15_000 });
    await screenshot('edited');
    setWorkspaceSettings(workspace, { 'geminiImage.outputFolder': 'generated-images' });
  }, 45_000),
]);
