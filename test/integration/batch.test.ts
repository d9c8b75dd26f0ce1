// Prompt-file batches in a real extension host: files on disk, the results file, what the server received, diagnostics.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import * as vscode from 'vscode';
import { recordResumedBatch } from '../../src/batch/runBatch';
import type { RememberedBatch } from '../../src/core/batch/batchRecord';
import { readRecipe, removeRecipe } from '../../src/core/recipe';
import { advanceBatch, enqueueFaults, recordedRequests, resetServer, serverBatches, setServerOptions } from './geminiAdmin';
import { freshServerAndFolders, outputDir, workspaceRoot } from './suiteSetup';

interface BatchResult {
  files: string[];
  failures: { line: number; message: string }[];
  skipped: number;
  resultsFile?: string;
}

const batchDir = (): string => path.join(workspaceRoot(), 'batches');
const MODEL = 'gemini-3.1-flash-image';

async function generateRequests(): Promise<{ status: number; body?: unknown }[]> {
  return (await recordedRequests()).filter((request) => request.model !== undefined);
}

function writePrompts(name: string, lines: readonly string[]): string {
  fs.mkdirSync(batchDir(), { recursive: true });
  const file = path.join(batchDir(), name);
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function runBatch(args: Record<string, unknown>): Promise<BatchResult> {
  return (await vscode.commands.executeCommand('geminiImage.runBatch', args)) as BatchResult;
}

/** Polls VS Code's own state (diagnostics arrive asynchronously) until `check` passes. */
async function until<T>(read: () => T | Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await read();
    if (check(value)) return value;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

suite('Image batches', () => {
  freshServerAndFolders(() => [outputDir(), batchDir()]);

  suiteTeardown(async () => {
    await resetServer();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(outputDir(), { recursive: true, force: true });
    fs.rmSync(batchDir(), { recursive: true, force: true });
  });

  test('a 20-line prompts file makes 20 files and a results file; a rerun sends nothing', async () => {
    const lines = Array.from({ length: 20 }, (_, i) =>
      JSON.stringify({ prompt: `product shot number ${i + 1}`, model: MODEL, ...(i % 2 ? { aspectRatio: '16:9' } : {}), ...(i === 4 ? { fileName: 'Hero Shot.png' } : {}) }),
    );
    const file = writePrompts('shots.prompts.jsonl', ['// twenty product shots', ...lines]);
    const result = await runBatch({ file: 'batches/shots.prompts.jsonl' });
    assert.equal(result.files.length, 20);
    assert.deepEqual(result.failures, []);
    assert.equal(result.skipped, 0);
    for (const saved of result.files) assert.ok(fs.existsSync(saved), saved);
    assert.ok(result.files.some((saved) => path.basename(saved) === 'Hero Shot.png'));
    const recipe = readRecipe(fs.readFileSync(path.join(outputDir(), 'product-shot-number-2.png')));
    assert.equal(recipe?.prompt, 'product shot number 2');
    assert.equal(recipe?.aspectRatio, '16:9');
    const sent = await generateRequests();
    assert.equal(sent.length, 20);

    assert.equal(result.resultsFile, path.join(batchDir(), 'shots.results.jsonl'));
    const results = fs.readFileSync(result.resultsFile, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(results.map((line) => line.line), Array.from({ length: 20 }, (_, i) => i + 2));
    assert.ok(results.every((line) => line.status === 'ok' && (line.files as string[]).length === 1 && line.model === MODEL));
    assert.ok(results.every((line) => typeof line.costUsd === 'number' && typeof (line.usage as { totalTokenCount?: number }).totalTokenCount === 'number'));
    assert.equal((results[4].files as string[])[0], 'generated-images/Hero Shot.png');

    await resetServer();
    const again = await runBatch({ file: vscode.Uri.file(file) });
    assert.equal(again.skipped, 20);
    assert.deepEqual(again.files, []);
    assert.equal((await generateRequests()).length, 0, 'a rerun sends nothing');
    const rerun = fs.readFileSync(result.resultsFile, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(rerun.every((line) => line.status === 'skipped'));

    // A changed line is made again; the others stay skipped.
    const changed = [...lines];
    changed[2] = JSON.stringify({ prompt: 'product shot number 3', model: MODEL, aspectRatio: '1:1' });
    writePrompts('shots.prompts.jsonl', ['// twenty product shots', ...changed]);
    const third = await runBatch({ file: 'batches/shots.prompts.jsonl' });
    assert.equal(third.skipped, 19);
    assert.equal(third.files.length, 1);
    assert.equal(path.basename(third.files[0]), 'product-shot-number-3-2.png', 'never overwrites the earlier image');
    assert.equal((await generateRequests()).length, 1);
  });

  test('a line with a bad ratio fails before any request, and diagnostics show it on that line', async () => {
    const file = writePrompts('bad.prompts.jsonl', [
      JSON.stringify({ prompt: 'a lighthouse', model: MODEL }),
      JSON.stringify({ prompt: 'a harbour', model: MODEL, aspectRatio: '17:9' }),
      JSON.stringify({ prompt: 'a boat', model: MODEL, variants: 12 }),
    ]);
    await assert.rejects(Promise.resolve(runBatch({ file })), (error: Error) => {
      assert.match(error.message, /^Lines 2, 3 are not valid, so nothing was sent/);
      assert.match(error.message, /Line 2: aspect ratio "17:9" is not available/);
      assert.match(error.message, /Line 3: "variants" must be a whole number from 1 to 8/);
      return true;
    });
    assert.equal((await recordedRequests()).length, 0, 'nothing may be sent');

    const document = await vscode.workspace.openTextDocument(file);
    await vscode.window.showTextDocument(document);
    const diagnostics = await until(() => vscode.languages.getDiagnostics(document.uri), (found) => found.length === 2, 'two diagnostics');
    const ratio = diagnostics.find((diagnostic) => diagnostic.message.includes('17:9'));
    assert.equal(ratio?.range.start.line, 1);
    assert.equal(document.getText(ratio?.range), '"aspectRatio"');
    assert.equal(ratio?.severity, vscode.DiagnosticSeverity.Error);

    // Fixing the lines clears them as the user edits.
    const edit = new vscode.WorkspaceEdit();
    edit.replace(document.uri, new vscode.Range(1, 0, 2, document.lineAt(2).text.length), [
      JSON.stringify({ prompt: 'a harbour', model: MODEL, aspectRatio: '21:9' }),
      JSON.stringify({ prompt: 'a boat', model: MODEL, variants: 2 }),
    ].join('\n'));
    assert.ok(await vscode.workspace.applyEdit(edit));
    await until(() => vscode.languages.getDiagnostics(document.uri), (found) => found.length === 0, 'the diagnostics to clear');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('CodeLenses: "Run all" at the top and "Run this line" on each prompt; a line runs alone', async () => {
    const file = writePrompts('icons.prompts.txt', ['// app icons', 'a paper plane icon', '', 'a compass icon']);
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const lenses = await until(
      () => Promise.resolve(vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri)),
      (found) => (found ?? []).some((lens) => lens.command?.command === 'geminiImage.runBatch'),
      'the CodeLenses',
    );
    const ours = lenses.filter((lens) => lens.command?.command === 'geminiImage.runBatch');
    assert.deepEqual(ours.map((lens) => [lens.range.start.line, lens.command?.title]), [
      [0, '$(run-all) Run all (2 prompts)'],
      [1, '$(play) Run this line'],
      [3, '$(play) Run this line'],
    ]);
    const single = (await vscode.commands.executeCommand(ours[2].command!.command, ...(ours[2].command!.arguments ?? []))) as BatchResult;
    assert.deepEqual(single.files.map((saved) => path.basename(saved)), ['a-compass-icon.png']);
    const sent = await generateRequests();
    assert.equal(sent.length, 1);
    assert.equal((sent[0].body as { contents: { parts: { text?: string }[] }[] }).contents[0].parts[0].text, 'a compass icon');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test('completion offers the keys a line lacks, and the values of a key', async () => {
    const file = writePrompts('complete.prompts.jsonl', ['{"prompt": "a fox", "', '{"prompt": "a fox", "aspectRatio": "']);
    const uri = vscode.Uri.file(file);
    const document = await vscode.workspace.openTextDocument(uri);
    const labels = async (line: number): Promise<string[]> => {
      const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, new vscode.Position(line, document.lineAt(line).text.length), '"');
      return list.items.filter((item) => item.kind !== vscode.CompletionItemKind.Text).map((item) => (typeof item.label === 'string' ? item.label : item.label.label));
    };
    const keys = await labels(0);
    assert.ok(keys.includes('aspectRatio') && keys.includes('references') && keys.includes('variants'), keys.join(','));
    assert.ok(!keys.includes('prompt'), 'the line has a prompt already');
    const ratios = await labels(1);
    assert.ok(ratios.includes('16:9') && ratios.includes('21:9'), ratios.join(','));
  });

  test('a prompts file outside the workspace is refused before anything is sent', async () => {
    const outside = path.join(path.dirname(workspaceRoot()), `outside-${Date.now()}.prompts.txt`);
    fs.writeFileSync(outside, 'a fox\n');
    try {
      await assert.rejects(Promise.resolve(runBatch({ file: outside })), /is not inside the workspace/);
      assert.equal((await recordedRequests()).length, 0);
      assert.ok(!fs.existsSync(outside.replace('.prompts.txt', '.results.jsonl')));
    } finally {
      fs.rmSync(outside, { force: true });
    }
  });

  test('a file with a {"mode": "batch"} header goes through the Batch API; its results file is written and a rerun sends nothing', async () => {
    await setServerOptions({ holdBatches: true });
    const file = writePrompts('later.prompts.jsonl', [
      JSON.stringify({ mode: 'batch' }),
      JSON.stringify({ prompt: 'a slow sunrise', model: MODEL }),
      JSON.stringify({ prompt: 'a slow sunset', model: MODEL, variants: 2 }),
    ]);
    const running = runBatch({ file });
    const [submitted] = await until(() => serverBatches(), (batches) => batches.length === 1, 'the batch to be submitted');
    assert.deepEqual(submitted.keys, ['line-2', 'line-3', 'line-3-2'], 'one request per image, keyed by line');
    await advanceBatch('succeeded', submitted.name);
    const result = await running;
    assert.equal(result.files.length, 3);
    assert.deepEqual(result.failures, []);
    const lines = fs.readFileSync(path.join(batchDir(), 'later.results.jsonl'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((line) => [line.line, line.status, (line.files as string[]).length]), [[2, 'ok', 1], [3, 'ok', 2]]);

    await resetServer();
    const again = await runBatch({ file });
    assert.equal(again.skipped, 2);
    assert.equal((await recordedRequests()).length, 0, 'nothing submitted again');
  });

  test('a Batch API run that finishes after a reload updates its lines of the results file and keeps the others', async () => {
    const file = writePrompts('resumed.prompts.jsonl', [JSON.stringify({ mode: 'batch' }), JSON.stringify({ prompt: 'a moon', model: MODEL }), JSON.stringify({ prompt: 'a comet', model: MODEL })]);
    const resultsFile = path.join(batchDir(), 'resumed.results.jsonl');
    fs.writeFileSync(resultsFile, `${JSON.stringify({ line: 2, status: 'skipped', files: ['generated-images/a-moon.png'] })}\n${JSON.stringify({ line: 3, status: 'failed', files: [], message: 'was cut short' })}\n`);
    const folder = vscode.Uri.file(outputDir());
    const batch = {
      name: 'batches/resumed',
      baseUrl: 'http://127.0.0.1:9',
      model: MODEL,
      displayName: 'resumed.prompts.jsonl',
      promptsFile: vscode.Uri.file(file).toString(),
      submittedAt: new Date().toISOString(),
      items: [{ key: 'line-3', line: 3, slug: 'a-comet', folder: folder.toString(), job: { prompt: 'a comet', model: MODEL, includeText: true, references: [] } }],
    } satisfies RememberedBatch;
    await recordResumedBatch(batch, { files: [vscode.Uri.joinPath(folder, 'a-comet.png'), vscode.Uri.joinPath(folder, 'elsewhere.png')], failures: [] });
    const lines = fs.readFileSync(resultsFile, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((line) => [line.line, line.status, line.files]), [
      [2, 'skipped', ['generated-images/a-moon.png']],
      [3, 'ok', ['generated-images/a-comet.png']],
    ]);
  });

  test('a line through a transparent preset is saved as an RGBA PNG, skipped on a rerun, and made transparent in Batch API mode too', async () => {
    const file = writePrompts('icons.prompts.jsonl', [JSON.stringify({ prompt: 'a paper plane', preset: 'App icon', model: MODEL })]);
    const result = await runBatch({ file });
    assert.equal(result.files.length, 1);
    const bytes = fs.readFileSync(result.files[0]);
    assert.equal(readRecipe(bytes)?.background, 'transparent');
    const png = PNG.sync.read(Buffer.from(removeRecipe(bytes)));
    assert.equal(png.data[3], 0, 'the top-left corner is transparent');
    await resetServer();
    assert.equal((await runBatch({ file })).skipped, 1, 'the recipe with its key colour counts as the same line');
    assert.equal((await recordedRequests()).length, 0);

    // Batch API mode: the request carries the key colour sentence and the saved result has its background removed.
    await setServerOptions({ holdBatches: true });
    const later = writePrompts('stickers.prompts.jsonl', [JSON.stringify({ mode: 'batch' }), JSON.stringify({ prompt: 'a happy cactus', preset: 'Sticker', model: MODEL })]);
    const running = runBatch({ file: later });
    const [submitted] = await until(() => serverBatches(), (batches) => batches.length === 1, 'the batch to be submitted');
    await advanceBatch('succeeded', submitted.name);
    const batched = await running;
    assert.deepEqual(batched.failures, []);
    assert.equal(path.extname(batched.files[0]), '.png');
    const saved = fs.readFileSync(batched.files[0]);
    assert.equal(readRecipe(saved)?.background, 'transparent');
    assert.match(readRecipe(saved)?.prompt ?? '', /background of pure magenta \(#FF00FF\)/);
    const sticker = PNG.sync.read(Buffer.from(removeRecipe(saved)));
    assert.equal(sticker.data[3], 0, 'the top-left corner of the batch result is transparent');
    assert.equal(sticker.data[((sticker.height >> 1) * sticker.width + (sticker.width >> 1)) * 4 + 3], 255, 'the subject stays opaque');
  });

  test('{jobs}: a refusal fails its line only; the rate limit slows the batch down instead of failing it', async () => {
    await setServerOptions({ rateLimit: { requestsPerMinute: 120 } });
    await enqueueFaults({ kind: 'delay', ms: 0 }, { kind: 'refused', reason: 'IMAGE_SAFETY' });
    const jobs = Array.from({ length: 6 }, (_, i) => ({ prompt: `a tiny planet ${i + 1}`, model: MODEL }));
    const result = await runBatch({ jobs });
    const sent = await generateRequests();
    const throttled = sent.filter((request) => request.status === 429).length;
    assert.ok(throttled > 0, 'the concurrency of 4 meets a limit of one request per 500 ms');
    assert.equal(result.files.length, 5);
    assert.equal(result.failures.length, 1);
    assert.match(result.failures[0].message, /IMAGE_SAFETY/);
    assert.equal(result.resultsFile, undefined);
    assert.equal(sent.filter((request) => request.status === 200).length, 6);
  });
});
