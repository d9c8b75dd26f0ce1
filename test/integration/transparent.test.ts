// Transparent backgrounds in a real extension host: what the local server was asked for and the RGBA PNG in the workspace.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as vscode from 'vscode';
import { readRecipe, removeRecipe } from '../../src/core/recipe';
import { PHOTO_MARKER } from '../server/imageFactory';
import { recordedRequests, resetServer } from './geminiAdmin';
import { freshServerAndFolders, outputDir } from './suiteSetup';


interface GenerateResult {
  files: string[];
  warnings?: string[];
}

async function generate(args: Record<string, unknown>): Promise<GenerateResult> {
  return (await vscode.commands.executeCommand('geminiImage.generate', args)) as GenerateResult;
}

async function sent(): Promise<{ prompt: string; answeredWith: string; sha256: string }> {
  const generated = (await recordedRequests()).filter((request) => request.model !== undefined);
  assert.equal(generated.length, 1, 'one generateContent request');
  const body = generated[0].body as { contents: { parts: { text?: string }[] }[] };
  const image = generated[0].images[0];
  return { prompt: body.contents.at(-1)!.parts.map((part) => part.text ?? '').join(''), answeredWith: image.mimeType, sha256: image.sha256 };
}

/** Colour type and the alpha of the four corners and the centre of a saved PNG. */
function alphaOf(file: string): { colourType: number; corners: number[]; centre: number } {
  const bytes = fs.readFileSync(file);
  const png = PNG.sync.read(bytes);
  const alpha = (x: number, y: number): number => png.data[(y * png.width + x) * 4 + 3];
  const [w, h] = [png.width - 1, png.height - 1];
  return { colourType: bytes[25], corners: [alpha(0, 0), alpha(w, 0), alpha(0, h), alpha(w, h)], centre: alpha(w >> 1, h >> 1) };
}

suite('Transparent backgrounds', () => {
  freshServerAndFolders(() => [outputDir()]);

  suiteTeardown(() => {
    fs.rmSync(outputDir(), { recursive: true, force: true });
  });

  test('the App icon preset asks for a magenta key and saves an RGBA PNG with transparent corners', async () => {
    const result = await generate({ prompt: 'a paper plane', preset: 'App icon' });
    const request = await sent();
    assert.match(request.prompt, /^An app icon of a paper plane: .*background of pure magenta \(#FF00FF\)/s, 'the key colour was not asked for');
    assert.equal(path.basename(result.files[0]), 'a-paper-plane.png');
    assert.deepEqual(fs.readdirSync(outputDir()), ['a-paper-plane.png'], 'the opaque original or a temporary file was left');
    assert.deepEqual(alphaOf(result.files[0]), { colourType: 6, corners: [0, 0, 0, 0], centre: 255 });
    const recipe = readRecipe(fs.readFileSync(result.files[0]));
    assert.equal(recipe?.background, 'transparent');
    assert.equal(recipe?.keyColour, '#FF00FF');
    assert.equal(result.warnings, undefined);
  });

  test('background "transparent" without a preset: a JPEG answer on a green key (the prompt names pink) lands as a PNG', async () => {
    const result = await generate({ prompt: 'a pink pig', background: 'transparent', outputFormat: 'jpeg' });
    const request = await sent();
    assert.equal(request.answeredWith, 'image/jpeg');
    assert.match(request.prompt, /^a pink pig\. .*pure green \(#00FF00\)/s);
    assert.deepEqual(fs.readdirSync(outputDir()), ['a-pink-pig.png'], 'a .jpg was left, or the file was not a PNG');
    assert.deepEqual(alphaOf(result.files[0]), { colourType: 6, corners: [0, 0, 0, 0], centre: 255 });
  });

  test('a photo-like answer is kept opaque, as it arrived, and the caller is told why', async () => {
    const result = await generate({ prompt: `a beach at dusk ${PHOTO_MARKER}`, background: 'transparent' });
    const request = await sent();
    assert.deepEqual(result.warnings, [`${path.basename(result.files[0])} was kept opaque: the background was not a flat colour (magenta #FF00FF was asked for).`]);
    const bytes = fs.readFileSync(result.files[0]);
    assert.equal(createHash('sha256').update(removeRecipe(bytes)).digest('hex'), request.sha256, 'the image that arrived was changed');
  });

  test('refining a transparent result keeps the transparent background without being asked again', async () => {
    const first = await generate({ prompt: 'a paper plane', preset: 'App icon' });
    await resetServer();
    const refined = (await vscode.commands.executeCommand('geminiImage.refine', { image: first.files[0], prompt: 'make it red' })) as GenerateResult;
    assert.match((await sent()).prompt, /^make it red\. .*pure magenta \(#FF00FF\)/s);
    assert.notEqual(refined.files[0], first.files[0]);
    assert.deepEqual(alphaOf(refined.files[0]), { colourType: 6, corners: [0, 0, 0, 0], centre: 255 });
    assert.equal(readRecipe(fs.readFileSync(refined.files[0]))?.background, 'transparent');
  });

  test('the agent tool takes background "transparent" and says nothing was left opaque', async () => {
    const output = await vscode.lm.invokeTool('geminiImage_generateImage', { input: { prompt: 'a rocket', background: 'transparent' }, toolInvocationToken: undefined });
    const text = output.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('\n');
    assert.match(text, /^- generated-images\/a-rocket\.png$/m);
    assert.doesNotMatch(text, /Note:/);
    assert.match((await sent()).prompt, /pure magenta \(#FF00FF\)/);
    assert.deepEqual(alphaOf(path.join(outputDir(), 'a-rocket.png')), { colourType: 6, corners: [0, 0, 0, 0], centre: 255 });
  });
});
