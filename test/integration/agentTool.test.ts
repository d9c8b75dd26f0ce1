// The agent-mode tool in a real extension host: listed with its schema, invoked against the local Gemini server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readRecipe, removeRecipe } from '../../src/core/recipe';
import { SENTINEL_TOKEN } from '../sentinel';
import { enqueueFaults, recordedRequests, resetServer } from './geminiAdmin';
import { freshServerAndFolders, outputDir, workspaceRoot } from './suiteSetup';

const TOOL = 'geminiImage_generateImage';

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function textOf(result: vscode.LanguageModelToolResult): string {
  const text = result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : JSON.stringify(part))).join('\n');
  assert.ok(!text.includes(SENTINEL_TOKEN), 'the token leaked into a tool result');
  return text;
}

function invoke(input: Record<string, unknown>): Thenable<vscode.LanguageModelToolResult> {
  return vscode.lm.invokeTool(TOOL, { input, toolInvocationToken: undefined });
}

async function failure(input: Record<string, unknown>): Promise<string> {
  try {
    await invoke(input);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    assert.ok(!message.includes(SENTINEL_TOKEN), 'the token leaked into a tool error');
    return message;
  }
  assert.fail('the tool succeeded, but it should have failed');
}

async function generatedRequests(): Promise<Awaited<ReturnType<typeof recordedRequests>>> {
  return (await recordedRequests()).filter((request) => request.model !== undefined);
}

suite('Agent tool', () => {
  freshServerAndFolders(() => [outputDir()]);

  suiteTeardown(() => {
    fs.rmSync(outputDir(), { recursive: true, force: true });
  });

  test('vscode.lm.tools lists the tool with its input schema', () => {
    const tool = vscode.lm.tools.find((candidate) => candidate.name === TOOL);
    assert.ok(tool, `${TOOL} is not registered`);
    assert.match(tool.description, /saves it/);
    const schema = tool.inputSchema as { required: string[]; properties: Record<string, unknown> };
    assert.deepEqual(schema.required, ['prompt']);
    assert.deepEqual(Object.keys(schema.properties).sort(), ['aspectRatio', 'background', 'fileName', 'imageSize', 'model', 'outputFolder', 'preset', 'prompt', 'references']);
  });

  test('invoking it saves the server\'s image and returns its workspace-relative path, model, finish reason and usage', async () => {
    const text = textOf(await invoke({ prompt: 'An app icon of a paper plane', aspectRatio: '1:1', fileName: 'app-icon' }));
    assert.deepEqual(fs.readdirSync(outputDir()), ['app-icon.png']);
    assert.match(text, /^- generated-images\/app-icon\.png$/m);
    assert.match(text, /Finish reason: STOP/);
    assert.match(text, /Usage: .*total tokens/);
    const saved = fs.readFileSync(path.join(outputDir(), 'app-icon.png'));
    const [request] = await generatedRequests();
    assert.ok(request.model && text.includes(`(model ${request.model})`), `the result does not name the model sent (${request.model})`);
    assert.equal(sha256(removeRecipe(saved)), request.images[0].sha256);
    assert.equal(readRecipe(saved)?.prompt, 'An app icon of a paper plane');
    assert.deepEqual((request.body as { generationConfig: { imageConfig: unknown } }).generationConfig.imageConfig, { aspectRatio: '1:1' });

    // The same name again never overwrites: -2.
    const again = textOf(await invoke({ prompt: 'An app icon of a paper plane', fileName: 'app-icon.png' }));
    assert.match(again, /^- generated-images\/app-icon-2\.png$/m);
  });

  test('references are sent inline', async () => {
    const photo = fs.readFileSync(path.join(workspaceRoot(), 'images', 'photo.jpg'));
    const text = textOf(await invoke({ prompt: 'Make it a watercolour', references: ['images/photo.jpg'] }));
    assert.match(text, /generated-images\/make-it-a-watercolour\.png/);
    const [request] = await generatedRequests();
    const parts = (request.body as { contents: { parts: { inline_data?: { data: { sha256: string } } }[] }[] }).contents[0].parts;
    assert.deepEqual(parts.flatMap((part) => (part.inline_data ? [part.inline_data.data.sha256] : [])), [sha256(photo)]);
  });

  test('a reference outside the workspace is refused and nothing is sent', async () => {
    const outside = path.join(path.dirname(workspaceRoot()), 'secret.png');
    for (const reference of [outside, '../secret.png']) {
      const message = await failure({ prompt: 'Use this', references: [reference] });
      assert.match(message, /outside the workspace/);
    }
    assert.match(await failure({ prompt: 'x', fileName: '../escape' }), /without folders/);
    assert.match(await failure({ prompt: 'x', outputFolder: '../elsewhere' }), /leaves the workspace/);
    assert.match(await failure({ prompt: 'x', model: 'gemini-2.5-flash-image', aspectRatio: '8:1' }), /does not take aspect ratio 8:1/);
    assert.equal((await generatedRequests()).length, 0, 'a request was sent for invalid input');
    assert.equal(fs.existsSync(outputDir()), false);
  });

  test('a preset wraps the prompt and sets its defaults; an unknown preset is refused with nothing sent', async () => {
    const text = textOf(await invoke({ prompt: 'a paper plane', preset: 'App icon' }));
    assert.match(text, /^- generated-images\/a-paper-plane\.png$/m, 'the file is named from the agent\'s own words');
    const [request] = await generatedRequests();
    const body = request.body as { contents: { parts: { text?: string }[] }[]; generationConfig: { imageConfig?: { aspectRatio?: string } } };
    const sent = body.contents[0].parts.map((part) => part.text ?? '').join('');
    assert.match(sent, /^An app icon of a paper plane: /, 'the App icon template was not applied');
    assert.equal(body.generationConfig.imageConfig?.aspectRatio, '1:1', 'the preset\'s aspect ratio was not used');
    const recipe = readRecipe(fs.readFileSync(path.join(outputDir(), 'a-paper-plane.png')));
    assert.equal(recipe?.preset, 'App icon');
    assert.equal(recipe?.prompt, sent);

    await resetServer();
    assert.match(await failure({ prompt: 'x', preset: 'No such preset' }), /No such preset/);
    assert.equal((await generatedRequests()).length, 0, 'a request was sent for an unknown preset');
  });

  test('a refusal arrives as an error naming the reason', async () => {
    await enqueueFaults({ kind: 'refused', reason: 'IMAGE_SAFETY', message: 'The image was flagged.' });
    const message = await failure({ prompt: 'Something refused' });
    assert.match(message, /IMAGE_SAFETY|flagged/);
    assert.equal(fs.existsSync(outputDir()) ? fs.readdirSync(outputDir()).length : 0, 0);
  });
});
