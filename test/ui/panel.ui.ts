// The Image Studio panel as a user drives it: compose with options, references from the Explorer and the picker,
// inline refusals, Cancel, history after a reload, and screenshots in light, dark and high-contrast themes.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { BUILT_IN_PRESETS, expandTemplate, findPreset } from '../../src/core/presets';
import { embedRecipe, readRecipe, type Recipe } from '../../src/core/recipe';
import { SENTINEL_TOKEN } from '../sentinel';
import { step, uiSuite } from './harness';
import {
  chooseColorTheme,
  eventually,
  galleryPaths,
  generateRequests,
  openPanel,
  panelFrame,
  savedImages,
  setToken,
  setWorkspaceSettings,
  sha256,
  waitForThumbnail,
  widenSidebar,
  withoutRecipe,
} from './panelDriver';
import { quickInput, showExplorer } from './workbench';

let frame: Frame;
let historyBeforeReload: string[] = [];

interface InlineData {
  readonly sha256: string;
  readonly bytes: number;
}

/** The reference images a recorded request carried, in order (the server replaces base64 by its hash). */
function sentImages(body: unknown): InlineData[] {
  const contents = (body as { contents?: { parts?: Record<string, unknown>[] }[] }).contents ?? [];
  const parts = contents.at(-1)?.parts ?? [];
  return parts
    .map((part) => (part.inline_data ?? part.inlineData) as { data?: InlineData } | undefined)
    .filter((data): data is { data: InlineData } => data?.data !== undefined)
    .map((data) => data.data);
}

async function typePrompt(text: string): Promise<void> {
  await frame.locator('#prompt').fill(text);
}

export default uiSuite('Image Studio panel', [
  step('the panel opens with the pickers and a token indicator', async ({ page, gemini, workspace, screenshot }) => {
    // Images go to generated-images whatever an earlier suite chose.
    setWorkspaceSettings(workspace, { 'geminiImage.outputFolder': 'generated-images' });
    await setToken(page);
    frame = await openPanel(page);
    const host = new URL(gemini.url).host;
    await frame.locator('#token-bar', { hasText: `Token set for ${host}` }).waitFor();
    // Everything the host sends from now on is kept, to prove no token and no image bytes cross into the webview.
    await frame.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seenMessages: string[] }).seenMessages = seen;
      window.addEventListener('message', (event) => seen.push(JSON.stringify(event.data)));
    });
    for (const label of ['Prompt', 'Model', 'Aspect ratio', 'Size', 'Format', 'Thinking', 'Google Search', 'Images']) {
      assert.equal(await frame.getByLabel(label, { exact: true }).count(), 1, `no control is labelled "${label}"`);
    }
    await screenshot('panel-empty');
  }),

  step('16:9 and 2K on gemini-3-pro-image-preview: Generate saves the server’s image and shows its thumbnail', async ({ gemini, workspace, screenshot }) => {
    const before = generateRequests(gemini.requests).length;
    // The default model is auto: the picker says what it stands for at this provider once the model list came.
    await frame.locator('#model option:checked', { hasText: 'auto (gemini-3.1-flash-image)' }).waitFor({ state: 'attached', timeout: 20_000 });
    // gemini-2.5-flash-image has no size choice, thinking level or Search: those pickers offer nothing for it.
    await frame.locator('#model').selectOption('gemini-2.5-flash-image');
    assert.equal(await frame.locator('#image-size').isDisabled(), true, 'the size picker is enabled for a model without sizes');
    assert.equal(await frame.locator('#thinking-level').isDisabled(), true, 'the thinking picker is enabled for a model without it');
    assert.equal(await frame.locator('#grounding').isDisabled(), true, 'the Search picker is enabled for a model without it');
    await frame.locator('#model').selectOption('gemini-3-pro-image-preview');
    assert.deepEqual(await frame.locator('#image-size option').allTextContents(), ['Auto', '1K', '2K', '4K']);
    assert.ok(!(await frame.locator('#aspect-ratio option').allTextContents()).includes('8:1'), '3-pro is offered 8:1');
    await frame.locator('#aspect-ratio').selectOption('16:9');
    await frame.locator('#image-size').selectOption('2K');
    await typePrompt('A lighthouse on a cliff at dawn');
    await frame.locator('#prompt').press('Control+Enter');

    const row = frame.locator('.gallery-row', { hasText: 'A lighthouse on a cliff at dawn' }).first();
    await row.waitFor({ timeout: 20_000 });
    const workspacePath = (await row.getAttribute('data-path')) ?? '';
    const src = await waitForThumbnail(frame, workspacePath);
    assert.ok(!src.startsWith('data:'), 'the thumbnail is a data URL');
    assert.match(src, /^https:\/\/.*vscode-(resource|cdn)|^https:\/\/file\+|vscode-resource/, `the thumbnail does not come through asWebviewUri: ${src}`);

    const requests = generateRequests(gemini.requests).slice(before);
    assert.equal(requests.length, 1, 'one request per variant');
    const [request] = requests;
    assert.equal(request.model, 'gemini-3-pro-image-preview');
    const imageConfig = (request.body as { generationConfig?: { imageConfig?: Record<string, unknown> } }).generationConfig?.imageConfig;
    assert.deepEqual(imageConfig, { aspectRatio: '16:9', imageSize: '2K' }, 'the request did not carry exactly the chosen options');

    const saved = fs.readFileSync(path.join(workspace, workspacePath));
    assert.equal(sha256(withoutRecipe(saved)), request.images[0].sha256, 'the file on disk is not the image the server sent');
    await frame.locator('.job.job-done').first().waitFor();
    const messages = await frame.evaluate(() => (window as unknown as { seenMessages: string[] }).seenMessages);
    assert.ok(messages.some((message) => message.includes('"type":"historyAdded"')), 'no history message was seen');
    for (const message of messages) {
      assert.ok(!message.includes(SENTINEL_TOKEN), 'a message to the webview contains the token');
      assert.ok(!/data:image|base64|iVBORw0KGgo/.test(message), `a message to the webview carries image bytes: ${message.slice(0, 200)}`);
    }
    assert.ok(!(await frame.content()).includes(SENTINEL_TOKEN), 'the webview shows the token');
    await screenshot('generated');
  }),

  step('a reference added from the Explorer context menu and one from the picker are both sent', async ({ page, gemini, workspace, screenshot }) => {
    await showExplorer(page);
    const explorerRow = (name: string) => page.locator('.explorer-folders-view').getByRole('treeitem', { name, exact: true });
    await explorerRow('images').waitFor();
    if ((await explorerRow('sunset.png').count()) === 0) await explorerRow('images').click();
    await explorerRow('sunset.png').click({ button: 'right' });
    const menuItem = page.getByRole('menuitem', { name: 'Add to Gemini Image References' });
    // A click that lands while the menu is still opening only highlights the item; the keyboard has no such race:
    // point at the item, wait until the menu has focused it, then Enter runs it and the menu closes.
    await menuItem.hover();
    await eventually(
      () => menuItem.evaluate((item) => (item.matches(':focus') || item.closest('.action-item')?.matches(':focus-within') ? true : undefined)),
      'the menu to focus "Add to Gemini Image References"',
    );
    await page.keyboard.press('Enter');
    await menuItem.waitFor({ state: 'hidden' });
    // The command brings the panel back (a webview view that was hidden is loaded afresh).
    frame = await panelFrame(page);
    await frame.locator('.reference[data-path="images/sunset.png"]').waitFor();

    await frame.locator('#add-references').click();
    // The web workbench's own file dialog: a path box.
    const box = quickInput(page);
    await box.input.waitFor({ state: 'visible' });
    // The dialog fills in the folder a moment after it opens: type over it only then, and check what it holds.
    const photo = path.join(workspace, 'images', 'photo.jpg');
    await eventually(async () => ((await box.input.inputValue()).endsWith('/') ? true : undefined), 'the file dialog to show its folder');
    await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'generated-images' }).waitFor();
    // It may still be listing the folder (and rewrite the box) when Enter comes: Enter only once the box holds the
    // path and the dialog has followed it into images/ (photo.jpg listed), then wait for it to close or try again.
    const listedPhoto = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: 'photo.jpg' }).first();
    await eventually(async () => {
      if (!(await box.widget.isVisible())) return true;
      if ((await box.input.inputValue()) !== photo) await box.input.fill(photo);
      if (!(await listedPhoto.isVisible()) || (await box.input.inputValue()) !== photo) return undefined;
      await box.input.press('Enter');
      await box.widget.waitFor({ state: 'hidden', timeout: 3000 }).catch(() => undefined);
      return undefined;
    }, 'the file dialog to accept photo.jpg', 15_000);
    await frame.locator('.reference[data-path="images/photo.jpg"]').waitFor();
    assert.match(await frame.locator('#reference-limits').innerText(), /^2 of 14 · /);

    const before = generateRequests(gemini.requests).length;
    await typePrompt('Blend these two into a postcard');
    await frame.locator('#generate').click();
    await frame.locator('.gallery-row', { hasText: 'Blend these two into a postcard' }).first().waitFor({ timeout: 20_000 });
    const [request] = generateRequests(gemini.requests).slice(before);
    const expected = ['sunset.png', 'photo.jpg'].map((name) => sha256(fs.readFileSync(path.join(workspace, 'images', name))));
    assert.deepEqual(
      sentImages(request.body).map((image) => image.sha256),
      expected,
      'the request did not carry the two references in order',
    );
    await screenshot('references');
  }),

  step('a dropped Explorer file (text/uri-list) is added; a URI outside the workspace is refused', async ({ page, workspace }) => {
    const authority = new URL(page.url()).host;
    const inside = `vscode-remote://${authority}${path.join(workspace, 'images', 'checker.png')}`;
    const outside = `vscode-remote://${authority}/etc/hostname`;
    await frame.evaluate(
      ([first, second]) => {
        const data = new DataTransfer();
        data.setData('text/uri-list', `${first}\r\n${second}`);
        document.getElementById('references')?.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      },
      [inside, outside],
    );
    await frame.locator('.reference[data-path="images/checker.png"]').waitFor();
    await frame.locator('#reference-notice', { hasText: 'not inside the workspace' }).waitFor();
    // Keyboard: Alt+Left moves the focused reference earlier; Delete removes it.
    const checker = frame.locator('.reference[data-path="images/checker.png"]');
    await checker.focus();
    await checker.press('Alt+ArrowLeft');
    await eventually(
      async () => ((await frame.locator('.reference').nth(1).getAttribute('data-path')) === 'images/checker.png' ? true : undefined),
      'checker.png to move to the second place',
    );
    for (const name of ['checker.png', 'photo.jpg', 'sunset.png']) {
      await frame.locator(`.reference[data-path="images/${name}"]`).focus();
      await page.keyboard.press('Delete');
      await frame.locator(`.reference[data-path="images/${name}"]`).waitFor({ state: 'detached' });
    }
  }),

  step('Search grounding and thinking on 3.1 Flash: the card lists the sources as links and an estimated cost', async ({ gemini, screenshot }) => {
    const before = generateRequests(gemini.requests).length;
    await frame.locator('#model').selectOption('gemini-3.1-flash-image');
    await frame.locator('#thinking-level').selectOption('high');
    await frame.locator('#grounding').selectOption('on');
    await typePrompt('The weather in Paris today as a poster');
    await frame.locator('#generate').click();
    const card = frame.locator('.job.job-done', { hasText: 'The weather in Paris today' }).first();
    await card.waitFor({ timeout: 20_000 });
    const [request] = generateRequests(gemini.requests).slice(before);
    const body = request.body as { tools?: unknown; generationConfig?: { thinkingConfig?: unknown } };
    assert.deepEqual(body.tools, [{ googleSearch: {} }]);
    assert.deepEqual(body.generationConfig?.thinkingConfig, { thinkingLevel: 'high' });
    const suggestion = card.locator('.search-suggestions a');
    assert.equal(await suggestion.getAttribute('href'), 'https://www.google.com/search?q=The%20weather%20in%20Paris%20today%20as%20a%20poster');
    const links = card.locator('.grounding li a');
    assert.deepEqual(await links.allTextContents(), ['Weather today - Example Org', 'A news story [with brackets](command:evil)']);
    assert.deepEqual(
      await links.evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute('href'))),
      ['https://example.org/weather/today', 'https://news.example.com/story'],
      'a source that is not an http(s) link was offered',
    );
    assert.match(await card.locator('.job-cost').innerText(), /Estimated cost: ≈ \$0\.\d+ \(estimate/);
    assert.match(await card.locator('.job-meta').innerText(), /gemini-3\.1-flash-image/);
    await frame.locator('#grounding').selectOption('off');
    await screenshot('panel-grounded');
  }),

  step('the App icon preset: its defaults fill the pickers, the request carries its template, the recipe names it', async ({ page, gemini, workspace, screenshot }) => {
    const appIcon = findPreset(BUILT_IN_PRESETS, 'App icon');
    assert.ok(appIcon);
    await frame.locator('#aspect-ratio').selectOption('16:9');
    await frame.locator('#preset').selectOption({ label: 'App icon' });
    await frame.locator('#preset-description', { hasText: appIcon.description ?? '' }).waitFor();
    assert.equal(await frame.locator('#aspect-ratio').inputValue(), '1:1', 'choosing App icon did not put its 1:1 into the picker');
    const transparent = frame.locator('#transparent');
    assert.equal(await transparent.isChecked(), appIcon.background === 'transparent', 'the checkbox does not follow the preset');
    // Unticked, the run is opaque even if the preset is transparent: the file holds exactly the server's image.
    if (await transparent.isChecked()) await transparent.uncheck();
    const before = generateRequests(gemini.requests).length;
    await typePrompt('a paper plane');
    await frame.locator('#generate').click();
    const card = frame.locator('.job.job-done', { hasText: 'a paper plane' }).first();
    await card.waitFor({ timeout: 20_000 });
    assert.match(await card.innerText(), /App icon · 1:1/);

    const [request] = generateRequests(gemini.requests).slice(before);
    const body = request.body as { contents: { parts: { text?: string }[] }[]; generationConfig?: { imageConfig?: Record<string, unknown> } };
    const sentText = body.contents.at(-1)?.parts.find((part) => typeof part.text === 'string')?.text;
    assert.equal(sentText, expandTemplate(appIcon.template, 'a paper plane'), 'the request did not carry the App icon template');
    assert.equal(body.generationConfig?.imageConfig?.aspectRatio, '1:1');

    // The file is named from the user's words; its recipe names the preset and keeps the prompt as sent.
    const row = frame.locator('.gallery-row', { hasText: 'a paper plane' }).first();
    await row.waitFor();
    const savedPath = (await row.getAttribute('data-path')) ?? '';
    assert.match(savedPath, /^generated-images\/a-paper-plane(-\d+)?\.png$/);
    const bytes = fs.readFileSync(path.join(workspace, savedPath));
    assert.equal(sha256(withoutRecipe(bytes)), request.images[0].sha256, 'the file on disk is not the image the server sent');
    const recipe = readRecipe(bytes);
    assert.equal(recipe?.preset, 'App icon');
    assert.equal(recipe?.prompt, sentText);

    await frame.evaluate(() => window.scrollTo({ top: 0 }));
    // The pictures show the preset as it comes (ticked again if it is transparent); unticked again after them.
    if (appIcon.background === 'transparent') await transparent.check();
    await screenshot('panel-preset');
    // The README's picture of the picker: the activity bar and the panel's compose area.
    await widenSidebar(page, 400);
    await frame.locator('#preset').focus();
    const sidebar = await page.locator('.part.sidebar').boundingBox();
    const options = await frame.locator('.options').boundingBox();
    if (sidebar && options) {
      const dir = path.resolve(__dirname, '..', '..', 'test-results', 'screenshots');
      const height = Math.min(sidebar.y + sidebar.height, options.y + options.height + 16);
      await page.screenshot({ path: path.join(dir, 'panel-preset-sidebar.png'), clip: { x: 0, y: 0, width: sidebar.x + sidebar.width, height } });
    }

    await transparent.uncheck();
    // A workspace preset shows up as soon as the settings say so; one that asks for a transparent background ticks the box.
    setWorkspaceSettings(workspace, {
      'geminiImage.presets': [{ name: 'House cut-out', template: '{prompt}, in our flat house style', aspectRatio: '4:3', background: 'transparent' }],
    });
    const house = frame.locator('#preset option', { hasText: 'House cut-out (workspace)' });
    await house.waitFor({ state: 'attached', timeout: 15_000 });
    assert.equal(await frame.locator('#transparent').isChecked(), false);
    await frame.locator('#preset').selectOption({ label: 'House cut-out (workspace)' });
    assert.equal(await frame.locator('#transparent').isChecked(), true, 'a transparent preset did not tick Transparent background');
    assert.equal(await frame.locator('#aspect-ratio').inputValue(), '4:3');
    // Removed from the settings, it leaves the picker and the panel is back on None.
    setWorkspaceSettings(workspace, { 'geminiImage.presets': [] });
    await house.waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal(await frame.locator('#preset').inputValue(), '');
    await frame.locator('#preset-description', { hasText: 'The prompt is sent as written.' }).waitFor();
    // The steps after this one write their prompts as they are, opaque.
    await frame.locator('#transparent').uncheck();
  }),

  step('a refusal shows the model’s message and finishReason inline, with Retry', async ({ gemini }) => {
    gemini.enqueue({ kind: 'refused', reason: 'IMAGE_SAFETY', message: 'The lighthouse keeper asked not to be drawn.' });
    await typePrompt('A portrait of the lighthouse keeper');
    await frame.locator('#generate').click();
    const card = frame.locator('.job.job-failed').first();
    await card.waitFor({ timeout: 15_000 });
    const text = await card.innerText();
    assert.ok(text.includes('The lighthouse keeper asked not to be drawn.'), `the model's message is not shown: ${text}`);
    assert.ok(text.includes('IMAGE_SAFETY'), 'the finishReason is not shown');
    await card.getByRole('button', { name: 'Retry' }).waitFor();
    assert.equal(await card.getAttribute('aria-busy'), 'false');
  }),

  step('Cancel stops a slow job at once and saves nothing', async ({ gemini, workspace }) => {
    const filesBefore = savedImages(workspace).length;
    const requestsBefore = generateRequests(gemini.requests).length;
    gemini.enqueue({ kind: 'delay', ms: 30_000 });
    await typePrompt('A very slow painting');
    await frame.locator('#generate').click();
    const card = frame.locator('.job.job-running').first();
    await card.waitFor();
    await eventually(() => (generateRequests(gemini.requests).length > requestsBefore ? true : undefined), 'the slow request to reach the server');
    const started = Date.now();
    await card.getByRole('button', { name: 'Cancel this generation' }).click();
    await frame.locator('.job.job-cancelled').first().waitFor({ timeout: 5000 });
    const took = Date.now() - started;
    assert.ok(took < 3000, `cancelling took ${took} ms`);
    assert.match(await frame.locator('.job.job-cancelled').first().innerText(), /Cancelled/);
    assert.equal(savedImages(workspace).length, filesBefore, 'a cancelled job saved a file');
  }),

  step('reloading the window keeps the history', async ({ page, screenshot }) => {
    historyBeforeReload = await galleryPaths(frame);
    assert.ok(historyBeforeReload.length >= 2, `expected at least 2 images, found ${historyBeforeReload.length}`);
    await page.reload();
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    frame = await openPanel(page);
    await frame.locator('#gallery-summary', { hasText: `${historyBeforeReload.length} images` }).waitFor({ timeout: 15_000 });
    assert.deepEqual(await galleryPaths(frame), historyBeforeReload);
    await waitForThumbnail(frame, historyBeforeReload[0]);
    await screenshot('after-reload');
  }),

  step('an image saved while the window was closed joins the remembered history; a deleted one leaves it', async ({ page, workspace }) => {
    const url = page.url();
    await page.goto('about:blank');
    const recipe: Recipe = {
      version: 1,
      prompt: 'Made on another machine',
      model: 'gemini-2.5-flash-image',
      references: [],
      createdAt: new Date(Date.now() + 60_000).toISOString(),
    };
    const elsewhere = 'generated-images/made-on-another-machine.png';
    fs.writeFileSync(path.join(workspace, elsewhere), embedRecipe(fs.readFileSync(path.join(workspace, 'images', 'sunset.png')), 'png', recipe));
    const deleted = historyBeforeReload[historyBeforeReload.length - 1];
    const parked = path.join(workspace, '..', 'parked.png');
    fs.renameSync(path.join(workspace, deleted), parked);
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    frame = await openPanel(page);
    const expected = [elsewhere, ...historyBeforeReload.slice(0, -1)];
    await frame.locator('#gallery-summary', { hasText: `${expected.length} images` }).waitFor({ timeout: 15_000 });
    await eventually(async () => (JSON.stringify(await galleryPaths(frame)) === JSON.stringify(expected) ? true : undefined), 'the reconciled history');
    fs.renameSync(parked, path.join(workspace, deleted));
    fs.rmSync(path.join(workspace, elsewhere));
  }),

  step('screenshots in dark, light and high-contrast themes', async ({ page, gemini, screenshot }) => {
    await widenSidebar(page, 400);
    frame = await openPanel(page);
    // Secret storage may or may not survive the reload in the web workbench; the panel says which.
    if ((await frame.locator('#token-bar.missing').count()) > 0) await setToken(page);
    // A finished two-image job, a reference and a prompt: the panel as people use it.
    await frame.locator('#variants').selectOption('2');
    await typePrompt('Isometric cozy reading nook, soft morning light, watercolor');
    await frame.locator('#generate').click();
    await frame.locator('.job.job-done').first().waitFor({ timeout: 20_000 });
    await frame.locator('#variants').selectOption('1');
    const newest = frame.locator('.gallery-row[aria-posinset="1"]');
    await newest.getByRole('button', { name: 'Use as reference' }).click();
    await frame.locator('.reference').first().waitFor();
    await typePrompt('Same nook at night, warm lamp light');
    // The next run through a preset: the picture shows the picker and what the preset is for.
    await frame.locator('#preset').selectOption({ label: 'Illustration' });
    await newest.getByRole('button', { name: 'Open', exact: true }).click();
    await page.locator('.editor-instance').first().waitFor();
    // The image preview is loaded (and done taking the focus) when the status bar shows the image's size.
    await page.locator('.statusbar-item', { hasText: /^\s*\d+x\d+\s*$/ }).first().waitFor({ timeout: 15_000 });
    await waitForThumbnail(frame, (await galleryPaths(frame))[0]);
    assert.ok(gemini.requests.length > 0);

    await frame.evaluate(() => window.scrollTo({ top: 0 }));
    await chooseColorTheme(page, 'Dark Modern', frame);
    await screenshot('theme-dark');
    // The README's picture: the activity bar and the panel, tall enough to show the history too.
    await page.setViewportSize({ width: 1400, height: 1180 });
    await eventually(async () => {
      const box = await page.locator('.part.sidebar').boundingBox();
      return box && box.y + box.height > 900 ? true : undefined;
    }, 'the side bar to grow with the window');
    const sidebar = await page.locator('.part.sidebar').boundingBox();
    if (sidebar) {
      const dir = path.resolve(__dirname, '..', '..', 'test-results', 'screenshots');
      await page.screenshot({ path: path.join(dir, 'panel-dark-sidebar.png'), clip: { x: 0, y: 0, width: sidebar.x + sidebar.width, height: 1180 } });
    }
    await page.setViewportSize({ width: 1400, height: 900 });
    await chooseColorTheme(page, 'Light Modern', frame);
    await screenshot('theme-light');
    await chooseColorTheme(page, 'Dark High Contrast', frame);
    await screenshot('theme-high-contrast');
    await chooseColorTheme(page, 'Light High Contrast', frame);
    await screenshot('theme-high-contrast-light');
    await chooseColorTheme(page, 'Dark Modern');
  }, 90_000),
]);
