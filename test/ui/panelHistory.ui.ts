// The panel's history at scale and without its saved state: 1,000 images written while no window watched are found
// again from the recipes inside them, the list stays virtualised and keyboard navigable, and each image can be
// generated again or refined.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { embedRecipe, type Recipe } from '../../src/core/recipe';
import { encodePng } from '../server/imageFactory';
import { step, uiSuite } from './harness';
import { SENTINEL_TOKEN } from '../sentinel';
import { eventually, galleryPaths, generateRequests, imagesWithRecipes, openPanel, setWorkspaceSettings, waitForThumbnail } from './panelDriver';
import { quickInput } from './workbench';

const BULK_FOLDER = 'generated-images/bulk';
const BULK_COUNT = 1000;

let frame: Frame;
let before = 0;

/** The "N images" the gallery summary states. */
async function galleryCount(): Promise<number> {
  const text = await frame.locator('#gallery-summary').innerText();
  return Number(/^([\d,]+) image/.exec(text)?.[1].replace(/,/g, '') ?? NaN);
}

export default uiSuite('Image Studio history', [
  step(`${BULK_COUNT} images saved while no window was open are found again from their recipes`, async ({ page, workspace }) => {
    // This suite's browser starts with empty workspace state: whatever the gallery shows comes from the files.
    setWorkspaceSettings(workspace, { 'geminiImage.outputFolder': 'generated-images' });
    before = imagesWithRecipes(workspace).length;
    const folder = path.join(workspace, BULK_FOLDER);
    fs.mkdirSync(folder, { recursive: true });
    const start = Date.parse('2024-01-01T00:00:00Z');
    // Encoding is the slow part: sixteen pictures, each with a thousand different recipes between them.
    const pictures = Array.from({ length: 16 }, (_, index) => encodePng(`bulk-${index}`, 48, 32));
    for (let index = 0; index < BULK_COUNT; index++) {
      const recipe: Recipe = {
        version: 1,
        prompt: `Bulk study number ${index}: a tiny gradient`,
        model: index % 2 ? 'gemini-3-pro-image-preview' : 'gemini-2.5-flash-image',
        aspectRatio: index % 2 ? '16:9' : '1:1',
        ...(index % 2 ? { imageSize: '1K' } : {}),
        references: [],
        usage: { promptTokenCount: 10, candidatesTokenCount: 1290, totalTokenCount: 1300 },
        createdAt: new Date(start + index * 60_000).toISOString(),
      };
      fs.writeFileSync(path.join(folder, `bulk-${String(index).padStart(4, '0')}.png`), embedRecipe(pictures[index % pictures.length], 'png', recipe));
    }
    const expected = imagesWithRecipes(workspace).length;
    assert.equal(expected, BULK_COUNT + before);
    const opened = Date.now();
    frame = await openPanel(page);
    await eventually(async () => ((await galleryCount()) >= expected ? true : undefined), `${expected} images in the gallery`, 30_000);
    const shownAfter = Date.now() - opened;
    const renderMs = Number(await frame.locator('#gallery-list').getAttribute('data-render-ms'));
    const rendered = await frame.locator('.gallery-row').count();
    console.log(`      ${expected} images: in the gallery ${shownAfter} ms after opening the panel (scan included); one full render ${renderMs} ms; ${rendered} rows in the DOM`);
    const onDisk = imagesWithRecipes(workspace);
    assert.equal(await galleryCount(), onDisk.length, `every saved image with a recipe is in the gallery, once (on disk: ${onDisk.filter((file) => !file.includes('/bulk/')).join(', ')})`);
    assert.ok(rendered < 60, `${rendered} rows are in the DOM: the list is not virtualised`);
    assert.ok(renderMs < 250, `rendering the history took ${renderMs} ms`);
    // 1,000 × 1,300 tokens from the recipes, plus what the earlier suite's images used.
    assert.match(await frame.locator('#gallery-summary').innerText(), /tokens in total/);
  }, 60_000),

  step('the list scrolls and is keyboard navigable end to end', async ({ page, screenshot }) => {
    const total = await galleryCount();
    const first = (await galleryPaths(frame))[0];
    await frame.locator(`.gallery-row[data-path="${first}"] .row-prompt`).click();
    assert.equal(await frame.evaluate(() => document.activeElement?.getAttribute('aria-posinset')), '1');
    const started = Date.now();
    await page.keyboard.press('End');
    await eventually(
      async () => ((await frame.evaluate(() => document.activeElement?.getAttribute('aria-posinset'))) === String(total) ? true : undefined),
      'End to focus the last image',
    );
    const endMs = Date.now() - started;
    // The oldest image is the first bulk one.
    assert.equal(await frame.evaluate(() => document.activeElement?.getAttribute('data-path')), `${BULK_FOLDER}/bulk-0000.png`);
    assert.ok((await frame.locator('.gallery-row').count()) < 60, 'scrolling to the end rendered every row');
    await page.keyboard.press('ArrowUp');
    assert.equal(await frame.evaluate(() => document.activeElement?.getAttribute('data-path')), `${BULK_FOLDER}/bulk-0001.png`);
    await page.keyboard.press('Home');
    await eventually(async () => ((await frame.evaluate(() => document.activeElement?.getAttribute('aria-posinset'))) === '1' ? true : undefined), 'Home');
    console.log(`      End key to the last of ${total} rows, rendered and focused: ${endMs} ms`);

    await frame.locator('#gallery-filter').fill('study number 999:');
    await frame.locator('#gallery-summary', { hasText: '1 shown' }).waitFor();
    assert.deepEqual(await galleryPaths(frame), [`${BULK_FOLDER}/bulk-0999.png`]);
    await waitForThumbnail(frame, `${BULK_FOLDER}/bulk-0999.png`);
    await screenshot('filtered');
    await frame.locator('#gallery-filter').fill('');
  }),

  step('"Generate again" without a token offers Set API Key inline, then sends the recipe', async ({ page, gemini }) => {
    await frame.locator('#token-bar.missing').waitFor();
    await frame.locator('#gallery-filter').fill('study number 999:');
    const requestsBefore = generateRequests(gemini.requests).length;
    await frame.locator(`.gallery-row[data-path="${BULK_FOLDER}/bulk-0999.png"]`).getByRole('button', { name: 'Generate again with the same recipe' }).click();
    const card = frame.locator('.job.job-failed').first();
    await card.waitFor({ timeout: 15_000 });
    assert.match(await card.innerText(), /No API token is set for 127\.0\.0\.1/);
    await card.getByRole('button', { name: 'Set API Key…' }).click();
    const box = quickInput(page);
    await box.input.waitFor({ state: 'visible' });
    await box.input.fill(SENTINEL_TOKEN);
    await page.keyboard.press('Enter');
    // The same card runs again once the token is stored.
    await frame.locator('.job.job-done').first().waitFor({ timeout: 20_000 });
    await frame.locator('#token-bar:not(.missing)').waitFor();
    const [request] = generateRequests(gemini.requests).slice(requestsBefore);
    assert.equal(request.model, 'gemini-3-pro-image-preview');
    const body = request.body as { contents: { parts: { text?: string }[] }[]; generationConfig: { imageConfig?: Record<string, unknown> } };
    assert.equal(body.contents[0].parts[0].text, 'Bulk study number 999: a tiny gradient');
    assert.deepEqual(body.generationConfig.imageConfig, { aspectRatio: '16:9', imageSize: '1K' });
    await frame.locator('#gallery-filter').fill('');
  }),

  step('"Refine" continues the conversation of an image made in this session', async ({ gemini }) => {
    const newest = (await galleryPaths(frame))[0];
    assert.match(newest, /^generated-images\/bulk-study-number-999/);
    await frame.locator(`.gallery-row[data-path="${newest}"]`).getByRole('button', { name: 'Refine (continue this conversation)' }).click();
    await frame.locator('#refine-chip', { hasText: 'Refining' }).waitFor();
    assert.equal(await frame.locator('#generate-label').innerText(), 'Refine');
    await frame.locator('#prompt').fill('Make it warmer');
    const requestsBefore = generateRequests(gemini.requests).length;
    await frame.locator('#generate').click();
    await frame.locator('.gallery-row', { hasText: 'Make it warmer' }).first().waitFor({ timeout: 20_000 });
    const [request] = generateRequests(gemini.requests).slice(requestsBefore);
    const contents = (request.body as { contents: { role: string }[] }).contents;
    assert.deepEqual(
      contents.map((turn) => turn.role),
      ['user', 'model', 'user'],
      'the refinement did not send the earlier turns back',
    );
    assert.equal(await frame.locator('#refine-chip').isHidden(), true, 'the refine chip stays after the refinement started');
  }),

  step('deleting the saved files takes them out of the gallery', async ({ workspace }) => {
    const total = await galleryCount();
    fs.rmSync(path.join(workspace, BULK_FOLDER), { recursive: true, force: true });
    await eventually(async () => ((await galleryCount()) === total - BULK_COUNT ? true : undefined), 'the bulk images to leave the gallery', 20_000);
  }, 40_000),
]);
