// Presets in a real extension host: the request body the local server received, the saved file's name and recipe.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { MAGENTA, withKeyColour } from '../../src/core/image/keyColour';
import { BUILT_IN_PRESETS, expandTemplate } from '../../src/core/presets';
import { readRecipe } from '../../src/core/recipe';
import { recordedRequests, resetServer } from './geminiAdmin';
import { freshServerAndFolders, outputDir } from './suiteSetup';

interface RecordedBody {
  contents: { parts: { text?: string }[] }[];
  generationConfig?: { imageConfig?: Record<string, string> };
}


async function lastBody(): Promise<RecordedBody> {
  const generated = (await recordedRequests()).filter((request) => request.model !== undefined);
  assert.equal(generated.length, 1, 'one generateContent request');
  return generated[0].body as RecordedBody;
}

suite('Presets', () => {
  freshServerAndFolders(() => [outputDir()]);

  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('geminiImage').update('presets', undefined, vscode.ConfigurationTarget.Workspace);
    fs.rmSync(outputDir(), { recursive: true, force: true });
  });

  test('a built-in preset sends its expanded template and its aspect ratio; the file is named from the user\'s words', async () => {
    const result = (await vscode.commands.executeCommand('geminiImage.generate', { prompt: 'a paper plane', preset: 'App icon' })) as { files: string[] };
    const body = await lastBody();
    const appIcon = BUILT_IN_PRESETS.find((preset) => preset.name === 'App icon')!;
    // App icon carries a transparent background: its template, then the key colour sentence.
    const sent = withKeyColour(expandTemplate(appIcon.template, 'a paper plane'), MAGENTA);
    assert.equal(body.contents[0].parts[0].text, sent);
    assert.deepEqual(body.generationConfig?.imageConfig, { aspectRatio: '1:1' });
    assert.equal(path.basename(result.files[0]), 'a-paper-plane.png');
    const recipe = readRecipe(fs.readFileSync(result.files[0]));
    assert.equal(recipe?.preset, 'App icon');
    assert.equal(recipe?.prompt, sent);
    assert.equal(recipe?.background, 'transparent');
  });

  test('options named in the run win over the preset\'s', async () => {
    await vscode.commands.executeCommand('geminiImage.generate', { prompt: 'a paper plane', preset: 'Diagram', aspectRatio: '4:3' });
    assert.deepEqual((await lastBody()).generationConfig?.imageConfig, { aspectRatio: '4:3' });
    await resetServer();
    await vscode.commands.executeCommand('geminiImage.generate', { prompt: 'a paper plane', preset: 'Diagram', aspectRatio: 'auto' });
    assert.equal((await lastBody()).generationConfig?.imageConfig, undefined, 'an explicit auto sends no ratio');
  });

  test('a workspace preset is used; one that sets the base URL is refused before anything is sent', async () => {
    await vscode.workspace.getConfiguration('geminiImage').update(
      'presets',
      [
        { name: 'House', template: 'In the house style: {prompt}', aspectRatio: '21:9' },
        { name: 'Elsewhere', template: '{prompt}', baseUrl: 'http://127.0.0.1:9' },
      ],
      vscode.ConfigurationTarget.Workspace,
    );
    await vscode.commands.executeCommand('geminiImage.generate', { prompt: 'a harbour', preset: 'house' });
    const body = await lastBody();
    assert.equal(body.contents[0].parts[0].text, 'In the house style: a harbour');
    assert.deepEqual(body.generationConfig?.imageConfig, { aspectRatio: '21:9' });
    await resetServer();
    await assert.rejects(
      Promise.resolve(vscode.commands.executeCommand('geminiImage.generate', { prompt: 'a harbour', preset: 'Elsewhere' })),
      /cannot set "baseUrl"/,
    );
    assert.equal((await recordedRequests()).length, 0, 'nothing may be sent for a refused preset');
  });

  test('background "opaque" in the run wins over a transparent preset: the template is sent as it is', async () => {
    const result = (await vscode.commands.executeCommand('geminiImage.generate', { prompt: 'a paper plane', preset: 'Sticker', background: 'opaque' })) as { files: string[] };
    const sticker = BUILT_IN_PRESETS.find((preset) => preset.name === 'Sticker')!;
    assert.equal(sticker.background, 'transparent');
    assert.equal((await lastBody()).contents[0].parts[0].text, expandTemplate(sticker.template, 'a paper plane'));
    assert.equal(readRecipe(fs.readFileSync(result.files[0]))?.background, undefined);
  });
});
