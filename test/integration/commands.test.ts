// Generate, Edit and Refine in a real extension host against the local Gemini server: files, wire, failures.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readRecipe, removeRecipe } from '../../src/core/recipe';
import { startGeminiServer } from '../server/geminiServer';
import { SENTINEL_TOKEN } from '../sentinel';
import { enqueueFaults, geminiServerUrl, recordedRequests, resetServer } from './geminiAdmin';
import { outputDir, workspaceRoot } from './suiteSetup';
import { rejection } from './rejection';

interface GenerateResult {
  files: string[];
  texts: string[];
  finishReasons: string[];
  usage?: { totalTokenCount?: number; candidatesTokensDetails?: { modality: string; tokenCount: number }[] };
  model?: string;
  grounding?: { queries: string[]; sources: { title: string; uri: string }[] };
  estimatedCostUsd?: number;
}

interface GeminiImageApi {
  hasToken(): Promise<boolean>;
  generate(args: Record<string, unknown>, cancellation?: vscode.CancellationToken): Promise<GenerateResult>;
}

interface InlinePart {
  text?: string;
  inline_data?: { mime_type: string; data: { bytes: number; sha256: string } };
  thoughtSignature?: string;
}

interface RecordedBody {
  contents: { role?: string; parts: InlinePart[] }[];
  generationConfig?: { responseModalities?: string[]; imageConfig?: Record<string, string>; thinkingConfig?: Record<string, string> };
  tools?: Record<string, unknown>[];
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function filesIn(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

function assertNoToken(value: unknown, where: string): void {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  assert.ok(!text.includes(SENTINEL_TOKEN), `the token leaked into ${where}`);
}

async function api(): Promise<GeminiImageApi> {
  const extension = vscode.extensions.all.find((candidate) => candidate.packageJSON?.name === 'gemini-image-studio');
  assert.ok(extension, 'extension not found');
  return (await extension.activate()) as GeminiImageApi;
}

async function generate(args: Record<string, unknown>): Promise<GenerateResult> {
  const result = (await vscode.commands.executeCommand('geminiImage.generate', args)) as GenerateResult;
  assertNoToken(result, 'the value generate returned');
  return result;
}


async function generatedBodies(): Promise<RecordedBody[]> {
  return (await recordedRequests()).filter((request) => request.model !== undefined).map((request) => request.body as RecordedBody);
}

suite('Generate, edit and refine', () => {
  suiteSetup(async () => {
    await api();
    await vscode.commands.executeCommand('geminiImage.setToken', { token: SENTINEL_TOKEN });
  });

  setup(async () => {
    await resetServer();
    fs.rmSync(outputDir(), { recursive: true, force: true });
  });

  suiteTeardown(async () => {
    fs.rmSync(outputDir(), { recursive: true, force: true });
  });

  test('generate with arguments saves the server\'s exact image with its recipe inside', async () => {
    const result = await generate({ prompt: 'A cyberpunk fox in the forest', aspectRatio: '16:9' });
    assert.equal(result.files.length, 1);
    const file = result.files[0];
    assert.equal(file, path.join(outputDir(), 'a-cyberpunk-fox-in-the-forest.png'));
    const saved = fs.readFileSync(file);
    // The default model is auto: the model list may be asked first; the image request is the generateContent one.
    const [request] = (await recordedRequests()).filter((entry) => entry.model !== undefined);
    assert.equal(request.images.length, 1);
    assert.equal(sha256(removeRecipe(saved)), request.images[0].sha256, 'the saved pixels are not the server\'s bytes');
    const recipe = readRecipe(saved);
    assert.ok(recipe, 'no recipe embedded');
    assert.equal(recipe.prompt, 'A cyberpunk fox in the forest');
    assert.equal(recipe.model, 'gemini-3.1-flash-image', 'the recipe names the model auto picked');
    assert.equal(request.model, 'gemini-3.1-flash-image');
    assert.equal(recipe.aspectRatio, '16:9');
    assert.deepEqual(result.finishReasons, ['STOP']);
    assert.ok((result.usage?.totalTokenCount ?? 0) > 0, 'usage is missing');
    const body = request.body as RecordedBody;
    assert.deepEqual(body.generationConfig?.imageConfig, { aspectRatio: '16:9' }, 'auto options must not be sent');
    assert.equal(request.headers.authorization, `Bearer ${SENTINEL_TOKEN}`);
    assert.deepEqual(filesIn(outputDir()), ['a-cyberpunk-fox-in-the-forest.png'], 'a temporary file was left behind');
  });

  test('two variants make two new files and never overwrite an existing one', async () => {
    fs.mkdirSync(outputDir(), { recursive: true });
    const existing = path.join(outputDir(), 'lighthouse-at-dawn.png');
    fs.writeFileSync(existing, 'the user\'s own file');
    const result = await generate({ prompt: 'Lighthouse at dawn', variants: 2 });
    assert.equal(result.files.length, 2);
    assert.equal(fs.readFileSync(existing, 'utf8'), 'the user\'s own file', 'an existing file was overwritten');
    assert.deepEqual(filesIn(outputDir()), ['lighthouse-at-dawn-2.png', 'lighthouse-at-dawn-3.png', 'lighthouse-at-dawn.png']);
    const [first, second] = result.files.map((file) => sha256(fs.readFileSync(file)));
    assert.notEqual(first, second, 'the two variants are the same image');
    assert.equal((await generatedBodies()).length, 2, 'variants must be separate requests');
  });

  test('editing one image sends it, and the result goes next to it with ${sourceDir}', async () => {
    const source = path.join(workspaceRoot(), 'images', 'photo.jpg');
    const result = (await vscode.commands.executeCommand('geminiImage.editImage', {
      prompt: 'Make the background transparent',
      references: [vscode.Uri.file(source)],
      outputFolder: '${sourceDir}',
    })) as GenerateResult;
    assert.equal(result.files.length, 1);
    assert.equal(path.dirname(result.files[0]), path.dirname(source));
    fs.rmSync(result.files[0]);
    const [body] = await generatedBodies();
    const parts = body.contents[0].parts;
    assert.equal(parts[0].text, 'Make the background transparent');
    assert.equal(parts[1].inline_data?.mime_type, 'image/jpeg');
    assert.equal(parts[1].inline_data?.data.sha256, sha256(fs.readFileSync(source)));
  });

  test('editing three images sends all of them, in order, with the types their bytes have', async () => {
    const names = ['images/sunset.png', 'images/photo.jpg', 'images/checker.png'];
    const result = (await vscode.commands.executeCommand('geminiImage.editImage', {
      prompt: 'Combine these into one poster',
      references: names,
    })) as GenerateResult;
    assert.equal(result.files.length, 1);
    const [body] = await generatedBodies();
    const images = body.contents[0].parts.filter((part) => part.inline_data);
    assert.deepEqual(
      images.map((part) => [part.inline_data?.mime_type, part.inline_data?.data.sha256]),
      names.map((name) => {
        const bytes = fs.readFileSync(path.join(workspaceRoot(), name));
        return [name.endsWith('.jpg') ? 'image/jpeg' : 'image/png', sha256(bytes)];
      }),
    );
    assert.deepEqual(readRecipe(fs.readFileSync(result.files[0]))?.references, ['sunset.png', 'photo.jpg', 'checker.png']);
  });

  test('refine sends the earlier turns back with their thought signatures', async () => {
    const first = await generate({ prompt: 'A red bicycle' });
    const refined = (await vscode.commands.executeCommand('geminiImage.refine', {
      image: first.files[0],
      prompt: 'Make it blue',
    })) as GenerateResult;
    assert.equal(refined.files.length, 1);
    const bodies = await generatedBodies();
    assert.equal(bodies.length, 2);
    const turns = bodies[1].contents;
    assert.deepEqual(turns.map((turn) => turn.role), ['user', 'model', 'user']);
    assert.equal(turns[0].parts[0].text, 'A red bicycle');
    const modelParts = turns[1].parts;
    assert.ok(modelParts.length > 0 && modelParts.every((part) => typeof part.thoughtSignature === 'string'), 'signatures were not sent back');
    assert.equal(turns[2].parts[0].text, 'Make it blue');
    assert.equal(readRecipe(fs.readFileSync(refined.files[0]))?.refinedFrom, 'generated-images/a-red-bicycle.png');
  });

  test('a refused image reports the model\'s reason and leaves no file', async () => {
    await enqueueFaults({ kind: 'refused', reason: 'IMAGE_SAFETY', message: 'The image looked unsafe to the model.' });
    const error = await rejection(() => generate({ prompt: 'Something refused' }));
    assert.match(error.message, /IMAGE_SAFETY|unsafe/);
    assert.match(error.message, /The image looked unsafe to the model\./);
    assert.deepEqual(filesIn(outputDir()), []);
  });

  test('an image sent as a link is downloaded without the token and saved with the link in its recipe', async () => {
    await enqueueFaults({ kind: 'imageLink' });
    const result = await generate({ prompt: 'A linked fox' });
    assert.equal(result.files.length, 1);
    const requests = await recordedRequests();
    const download = requests.find((request) => request.path.startsWith('/__images/'));
    assert.ok(download, 'the linked image was not downloaded');
    assert.equal(download.headers.authorization, undefined);
    assertNoToken(download.headers, 'the request to the image host');
    const saved = fs.readFileSync(result.files[0]);
    assert.equal(sha256(removeRecipe(saved)), requests[0].images[0].sha256, 'the saved pixels are not the linked image');
    assert.equal(readRecipe(saved)?.link, `${geminiServerUrl()}${download.path}`);
  });

  test('a real prepaid-credits 429 (replayed) is not retried and says billing', async () => {
    const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'test', 'fixtures', 'errors', 'google-429-prepayment-credits-depleted.json'), 'utf8')) as {
      status: number;
      headers: Record<string, string>;
      body: unknown;
    };
    await enqueueFaults(...[1, 2, 3, 4].map(() => ({ kind: 'replay' as const, status: fixture.status, headers: fixture.headers, body: fixture.body })));
    const error = await rejection(() => generate({ prompt: 'A fox on credit' }));
    assert.match(error.message, /billing/);
    assert.doesNotMatch(error.message, /Set API Key/);
    assert.equal((await generatedBodies()).length, 1, 'billing must not be retried');
  });

  test('a text-only answer shows the text and leaves no file', async () => {
    await enqueueFaults({ kind: 'textOnly', text: 'I can only describe a fox, not draw one.' });
    const error = await rejection(() => generate({ prompt: 'A fox' }));
    assert.match(error.message, /I can only describe a fox, not draw one\./);
    assert.deepEqual(filesIn(outputDir()), []);
  });

  test('link-shaped provider text reaches the user as text, never as a clickable command', async () => {
    // What VS Code's notification renderer turns into a link.
    const renderedLink = /\[[^\]]+\]\((?:https?:\/\/|command:|file:)[^)\s]+/i;
    await enqueueFaults(
      { kind: 'refused', reason: 'IMAGE_SAFETY', message: 'Blocked. [Open settings to fix](command:workbench.action.quit)' },
      { kind: 'textOnly', text: 'Sorry! [Retry now](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D)' },
    );
    const refused = await rejection(() => generate({ prompt: 'Something refused' }));
    assert.match(refused.message, /Open settings to fix/);
    assert.doesNotMatch(refused.message, renderedLink);
    const textOnly = await rejection(() => generate({ prompt: 'A fox' }));
    assert.match(textOnly.message, /Retry now/);
    assert.doesNotMatch(textOnly.message, renderedLink);
  });

  test('a rejected token (401) names the host and leaves no file', async () => {
    await enqueueFaults({ kind: 'error', status: 401, message: 'API key not valid.' });
    const error = await rejection(() => generate({ prompt: 'A fox' }));
    assert.ok(error.message.includes(new URL(geminiServerUrl()).host), error.message);
    assert.match(error.message, /token|key/i);
    assert.deepEqual(filesIn(outputDir()), []);
    assert.equal((await generatedBodies()).length, 1, 'a 401 must not be retried');
  });

  test('a 429 with Retry-After is retried and then succeeds', async () => {
    await enqueueFaults({ kind: 'error', status: 429, retryAfter: '1', message: 'Resource has been exhausted.' });
    const started = Date.now();
    const result = await generate({ prompt: 'A patient fox' });
    assert.equal(result.files.length, 1);
    assert.ok(Date.now() - started >= 900, 'the Retry-After wait was not honoured');
    const statuses = (await recordedRequests()).filter((request) => request.model !== undefined).map((request) => request.status);
    assert.deepEqual(statuses, [429, 200]);
  });

  test('cancelling a slow generation stops it and leaves no file', async () => {
    await enqueueFaults({ kind: 'delay', ms: 5000 });
    const source = new vscode.CancellationTokenSource();
    const pending = (await api()).generate({ prompt: 'A slow fox' }, source.token);
    setTimeout(() => source.cancel(), 500);
    const started = Date.now();
    const error = await rejection(() => pending);
    assert.ok(Date.now() - started < 4000, 'cancel did not stop the request at once');
    assert.match(error.message, /cancel/i);
    source.dispose();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(filesIn(outputDir()), []);
  });

  test('a token stored for one path of a host is not sent to another path (another tenant)', async () => {
    const config = vscode.workspace.getConfiguration('geminiImage');
    const tenantA = `${geminiServerUrl()}/tenant-a`;
    try {
      await config.update('baseUrl', tenantA, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('geminiImage.setToken', { token: `${SENTINEL_TOKEN}-a` });
      assert.equal(await (await api()).hasToken(), true);
      await rejection(() => generate({ prompt: 'A fox for tenant a' })); // this test server has no tenants: a 404
      const toA = await recordedRequests();
      assert.ok(toA.length > 0 && toA.every((request) => request.path.startsWith('/tenant-a/')), JSON.stringify(toA.map((r) => r.path)));
      assert.equal(toA[0].headers.authorization, `Bearer ${SENTINEL_TOKEN}-a`, 'tenant a did not get its own token');
      await resetServer();

      await config.update('baseUrl', `${geminiServerUrl()}/tenant-b/v1beta/`, vscode.ConfigurationTarget.Workspace);
      assert.equal(await (await api()).hasToken(), false);
      const error = await rejection(() => generate({ prompt: 'A fox for tenant b' }));
      assert.match(error.message, /tenant-b/, 'the message must say which base has no token');
      assert.match(error.message, /Set API Key/);
      const elsewhere = (await recordedRequests()).filter((request) => !request.path.startsWith('/tenant-a/'));
      assert.deepEqual(elsewhere, [], 'tenant b was contacted without a token of its own');
    } finally {
      await config.update('baseUrl', tenantA, vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('geminiImage.clearToken');
      await config.update('baseUrl', geminiServerUrl(), vscode.ConfigurationTarget.Workspace);
    }
    assert.equal(await (await api()).hasToken(), true, 'the token stored for the server\'s root must still serve it');
  });

  test('a token with a line break or characters a header cannot carry is refused when set, and nothing is stored', async () => {
    const config = vscode.workspace.getConfiguration('geminiImage');
    try {
      await config.update('baseUrl', `${geminiServerUrl()}/tenant-c`, vscode.ConfigurationTarget.Workspace);
      for (const [token, reason] of [[`${SENTINEL_TOKEN}\r\nX-Injected: 1`, /line break/], [`“${SENTINEL_TOKEN}”`, /Latin-1/]] as const) {
        const error = await rejection(() => vscode.commands.executeCommand('geminiImage.setToken', { token }));
        assert.match(error.message, reason);
        assert.equal(await (await api()).hasToken(), false, 'a refused token was stored');
      }
      assert.equal(await vscode.commands.executeCommand('geminiImage.setToken', { token: `  ${SENTINEL_TOKEN}-c \n` }), true, 'surrounding whitespace is trimmed');
      await rejection(() => generate({ prompt: 'A fox for tenant c' }));
      const sent = (await recordedRequests()).map((request) => request.headers.authorization);
      assert.ok(sent.length > 0 && sent.every((header) => header === `Bearer ${SENTINEL_TOKEN}-c`), JSON.stringify(sent.length));
    } finally {
      await vscode.commands.executeCommand('geminiImage.clearToken');
      await config.update('baseUrl', geminiServerUrl(), vscode.ConfigurationTarget.Workspace);
    }
  });

  test('a base URL on another origin does not receive the first origin\'s token', async () => {
    const other = await startGeminiServer({ smallImages: true });
    const config = vscode.workspace.getConfiguration('geminiImage');
    try {
      await config.update('baseUrl', other.url, vscode.ConfigurationTarget.Workspace);
      assert.equal(await (await api()).hasToken(), false);
      const error = await rejection(() => generate({ prompt: 'A fox elsewhere' }));
      assert.ok(error.message.includes(new URL(other.url).host), error.message);
      assert.match(error.message, /Set API Key/);
      for (const request of other.requests) assertNoToken(request.headers, 'a request to the other origin');
      assert.equal(other.requests.length, 0, 'the other origin was contacted without a token of its own');
    } finally {
      await config.update('baseUrl', geminiServerUrl(), vscode.ConfigurationTarget.Workspace);
      await other.close();
    }
  });

  test('auto sends the best image model the provider lists; an explicit id is sent exactly as typed', async () => {
    const auto = await generate({ prompt: 'A lighthouse at dawn' });
    assert.equal(auto.model, 'gemini-3.1-flash-image');
    await resetServer();
    const typed = await generate({ prompt: 'A lighthouse at dusk', model: 'gemini-3-pro-image-preview-2k' });
    assert.equal(typed.model, 'gemini-3-pro-image-preview-2k');
    const [request] = (await recordedRequests()).filter((entry) => entry.model !== undefined);
    assert.equal(request.model, 'gemini-3-pro-image-preview-2k');
    assert.equal(readRecipe(fs.readFileSync(typed.files[0]))?.model, 'gemini-3-pro-image-preview-2k');
  });

  test('a model that is not found drops the kept model list: the next auto run asks the provider again', async () => {
    const error = await rejection(() => generate({ prompt: 'A fox', model: 'gemini-9-image' }));
    assert.match(error.message, /gemini-9-image/);
    await resetServer();
    await generate({ prompt: 'A fox after the 404' });
    const asked = (await recordedRequests()).filter((request) => request.method === 'GET' && request.path === '/v1beta/models');
    assert.ok(asked.length > 0, 'the model list was not asked again after the 404');
  });

  test('thinkingLevel and grounding arguments reach the wire; sources, token details and the cost come back', async () => {
    const result = await generate({ prompt: 'Today in Paris as a poster', model: 'gemini-3.1-flash-image', thinkingLevel: 'high', grounding: true, outputFormat: 'jpeg' });
    const [body] = await generatedBodies();
    assert.deepEqual(body.generationConfig?.thinkingConfig, { thinkingLevel: 'high' });
    assert.deepEqual(body.tools, [{ googleSearch: {} }]);
    // 127.0.0.1 is a gateway, not Google's API: the output format is sent.
    assert.deepEqual(body.generationConfig?.imageConfig, { outputFormat: 'jpeg' });
    assert.deepEqual(result.grounding?.sources.map((source) => source.uri), ['https://example.org/weather/today', 'https://news.example.com/story']);
    assert.ok(result.usage?.candidatesTokensDetails?.some((entry) => entry.modality === 'IMAGE' && entry.tokenCount > 0), 'image-token details are missing');
    assert.ok((result.estimatedCostUsd ?? 0) > 0, 'no cost estimate');
    const recipe = readRecipe(fs.readFileSync(result.files[0]));
    assert.equal(recipe?.thinkingLevel, 'high');
    assert.equal(recipe?.grounding, true);
  });

  test('a thinking level or grounding the model cannot take is refused before anything is sent', async () => {
    const level = await rejection(() => generate({ prompt: 'A fox', model: 'gemini-3.1-flash-image', thinkingLevel: 'extreme' }));
    assert.match(level.message, /"thinkingLevel" argument must be "minimal" or "high"/);
    const grounding = await rejection(() => generate({ prompt: 'A fox', model: 'gemini-2.5-flash-image', grounding: true }));
    assert.match(grounding.message, /cannot search Google/);
    assert.equal((await generatedBodies()).length, 0);
  });
});
