// Prompt files: every line checked before anything is sent, messages naming the line; resume and results file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { checkPromptObject, parsePromptFile, parsePromptJobs, PROMPT_KEY_DOCS, PROMPT_KEYS, promptFileKind } from '../../src/core/batch/promptFile';
import { ASPECT_RATIOS, IMAGE_SIZES } from '../../src/core/models';
import { claimExisting, isOutputName, recipeKeyOf, sameRecipe, type ExistingImage } from '../../src/core/batch/resume';
import { formatResults, resultsFileName } from '../../src/core/batch/results';
import { chooseKeyColour, withKeyColour } from '../../src/core/image/keyColour';
import type { ImageJob } from '../../src/core/imageJob';
import type { Recipe } from '../../src/core/recipe';

const messages = (text: string, context = {}): string[] => parsePromptFile(text, 'jsonl', context).problems.map((problem) => problem.message);

describe('prompt file kinds', () => {
  test('by name, any case', () => {
    assert.equal(promptFileKind('covers.prompts.jsonl'), 'jsonl');
    assert.equal(promptFileKind('Icons.PROMPTS.TXT'), 'txt');
    assert.equal(promptFileKind('covers.jsonl'), undefined);
    assert.equal(promptFileKind('prompts.txt'), undefined);
  });
});

describe('jsonl prompt files', () => {
  test('one job per line, blank and // lines skipped, line numbers kept, auto means unset', () => {
    const text = [
      '// product shots',
      '{"prompt": "a red mug", "aspectRatio": "16:9", "imageSize": "2K", "variants": 2}',
      '',
      '{"prompt": "a blue mug", "references": ["shots/mug.png"], "fileName": "Blue Mug.png", "model": "gemini-3-pro-image", "preset": "Photo"}',
      '  {"prompt": "a green mug", "aspectRatio": "auto"}  ',
    ].join('\r\n');
    const parsed = parsePromptFile(text, 'jsonl');
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.mode, undefined);
    assert.deepEqual(parsed.jobs, [
      { line: 2, prompt: 'a red mug', aspectRatio: '16:9', imageSize: '2K', variants: 2 },
      { line: 4, prompt: 'a blue mug', references: ['shots/mug.png'], model: 'gemini-3-pro-image', preset: 'Photo', fileName: 'Blue Mug' },
      { line: 5, prompt: 'a green mug' },
    ]);
  });

  test('a {"mode"} header on the first line chooses the mode; elsewhere it is an error', () => {
    const parsed = parsePromptFile('// header next\n{"mode": "batch"}\n{"prompt": "a"}', 'jsonl');
    assert.equal(parsed.mode, 'batch');
    assert.equal(parsed.modeLine, 2);
    assert.equal(parsed.jobs.length, 1);
    assert.match(messages('{"prompt": "a"}\n{"mode": "batch"}')[0], /^Line 2: .*first line/);
    assert.match(messages('{"mode": "fast"}\n{"prompt": "a"}')[0], /^Line 1: mode must be "interactive" or "batch"/);
    assert.match(messages('{"prompt": "a", "mode": "batch"}')[0], /^Line 1: "mode" goes in the file's first line/);
    assert.match(messages('{"mode": "batch", "model": "x"}\n{"prompt": "a"}')[0], /header holds only "mode"/);
  });

  test('every bad line is reported with its number; nothing is accepted from a bad line', () => {
    const text = [
      '{"prompt": "ok"}',
      '{"prompt": "wide", "aspectRatio": "17:9"}',
      'not json',
      '{"prompt": "big", "imageSize": "2k"}',
      '{"prompt": "many", "variants": 9}',
      '{"prompt": "zero", "variants": 0}',
      '{"prompt": "path", "fileName": "../escape.png"}',
      '{"prompt": "typo", "aspect_ratio": "1:1"}',
      '{"prompt": ""}',
      '{"aspectRatio": "1:1"}',
      '["a list"]',
      '{"prompt": "url", "references": ["https://example.com/a.png"]}',
      '{"prompt": "refs", "references": "a.png"}',
      '{"prompt": "num", "variants": 1.5}',
    ].join('\n');
    const parsed = parsePromptFile(text, 'jsonl');
    assert.deepEqual(parsed.jobs.map((job) => job.line), [1]);
    const byLine = new Map(parsed.problems.map((problem) => [problem.line, problem]));
    assert.deepEqual([...byLine.keys()], [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    for (const problem of parsed.problems) assert.ok(problem.message.startsWith(`Line ${problem.line}`), problem.message);
    assert.match(byLine.get(2)?.message ?? '', /aspect ratio "17:9" is not available/);
    assert.equal(byLine.get(2)?.key, 'aspectRatio');
    assert.match(byLine.get(3)?.message ?? '', /not valid JSON/);
    assert.match(byLine.get(4)?.message ?? '', /uppercase K: "2K"/);
    assert.match(byLine.get(5)?.message ?? '', /from 1 to 8/);
    assert.match(byLine.get(6)?.message ?? '', /from 1 to 8/);
    assert.match(byLine.get(7)?.message ?? '', /without folders/);
    assert.match(byLine.get(8)?.message ?? '', /unknown key "aspect_ratio" \(did you mean "aspectRatio"\?\)/);
    assert.match(byLine.get(9)?.message ?? '', /"prompt" is empty/);
    assert.match(byLine.get(10)?.message ?? '', /"prompt" is missing/);
    assert.match(byLine.get(11)?.message ?? '', /must be a JSON object/);
    assert.match(byLine.get(12)?.message ?? '', /is a URL/);
    assert.match(byLine.get(13)?.message ?? '', /list of image paths/);
    assert.match(byLine.get(14)?.message ?? '', /whole number/);
  });

  test('ratios and sizes are checked against the line\'s model, else the run\'s model', () => {
    assert.deepEqual(messages('{"prompt": "tall", "aspectRatio": "1:8", "model": "gemini-3.1-flash-image"}'), []);
    assert.match(messages('{"prompt": "tall", "aspectRatio": "1:8", "model": "gemini-3-pro-image"}')[0], /not available on gemini-3-pro-image/);
    assert.match(messages('{"prompt": "tall", "aspectRatio": "1:8"}', { model: 'gemini-3-pro-image' })[0], /not available on gemini-3-pro-image/);
    assert.deepEqual(messages('{"prompt": "tall", "aspectRatio": "1:8"}', { model: 'auto' }), []);
    assert.match(messages('{"prompt": "small", "imageSize": "512", "model": "gemini-3-pro-image"}')[0], /image size "512" is not available/);
    assert.match(messages('{"prompt": "old", "imageSize": "1K", "model": "gemini-2.5-flash-image"}')[0], /no size choice/);
    assert.deepEqual(messages('{"prompt": "gateway", "aspectRatio": "4:1", "model": "my-gateway-model"}'), []);
    assert.match(messages('{"prompt": "x", "model": "bad model!"}')[0], /is not a model id/);
  });

  test('presets are checked against the ones that exist', () => {
    assert.deepEqual(messages('{"prompt": "x", "preset": "app icon"}', { presets: ['Photo', 'App icon'] }), []);
    assert.match(messages('{"prompt": "x", "preset": "Watercolor"}', { presets: ['Photo', 'App icon'] })[0], /no preset "Watercolor": choose one of Photo, App icon/);
  });

  test('an empty file says what to write', () => {
    assert.match(messages('\n// nothing\n')[0], /no prompts/);
  });
});

describe('txt prompt files', () => {
  test('one prompt per line, a mode: header on the first line', () => {
    const parsed = parsePromptFile('mode: interactive\na red fox\n\n// not this\n  a blue whale  \nmode: batch\n', 'txt');
    assert.equal(parsed.mode, 'interactive');
    assert.deepEqual(parsed.jobs, [
      { line: 2, prompt: 'a red fox' },
      { line: 5, prompt: 'a blue whale' },
      { line: 6, prompt: 'mode: batch' },
    ]);
    assert.match(parsePromptFile('mode: turbo\nfox', 'txt').problems[0].message, /^Line 1: mode must be/);
  });
});

describe('{jobs} arguments', () => {
  test('checked like lines, numbered from 1', () => {
    const parsed = parsePromptJobs([{ prompt: 'a' }, { prompt: 'b', aspectRatio: '7:5' }]);
    assert.deepEqual(parsed.jobs, [{ line: 1, prompt: 'a' }]);
    assert.match(parsed.problems[0].message, /^Line 2: aspect ratio "7:5"/);
    assert.match(parsePromptJobs([]).problems[0].message, /non-empty list/);
    assert.match(parsePromptJobs('fox').problems[0].message, /non-empty list/);
  });

  test('a prompt may be empty when references say what to do', () => {
    assert.ok('job' in checkPromptObject({ prompt: '', references: ['a.png'] }, 1));
  });
});

const job = (overrides: Partial<ImageJob> = {}): ImageJob => ({ prompt: 'a red mug', references: [], model: 'gemini-3.1-flash-image', includeText: true, ...overrides });
const recipe = (overrides: Partial<Recipe> = {}): Recipe => ({ version: 1, prompt: 'a red mug', model: 'gemini-3.1-flash-image', references: [], createdAt: '2026-12-02T00:00:00Z', ...overrides });

describe('resume', () => {
  test('the same prompt, model and options is the same recipe; any change is not', () => {
    const key = recipeKeyOf(job({ aspectRatio: '16:9', references: [{ name: 'mug.png', bytes: new Uint8Array(), mimeType: 'image/png' }] }), 'Photo');
    const same = recipe({ aspectRatio: '16:9', references: ['mug.png'], preset: 'Photo', usage: { totalTokenCount: 5 } });
    assert.ok(sameRecipe(same, key));
    assert.ok(sameRecipe({ ...same, model: 'models/GEMINI-3.1-flash-image' }, key));
    for (const changed of [{ prompt: 'a red cup' }, { model: 'gemini-3-pro-image' }, { aspectRatio: '1:1' }, { aspectRatio: undefined }, { imageSize: '2K' }, { outputFormat: 'jpeg' }, { references: [] }, { references: ['cup.png'] }, { preset: undefined }]) {
      assert.ok(!sameRecipe({ ...same, ...changed }, key), JSON.stringify(changed));
    }
    assert.ok(sameRecipe(recipe({ prompt: 'a red m…' }), recipeKeyOf(job())), 'a prompt cut to fit the file');
    assert.ok(!sameRecipe(recipe({ prompt: 'a blue m…' }), recipeKeyOf(job())));
  });

  test('a transparent run\'s recipe holds the prompt with its key colour sentence, and matches only a transparent line', () => {
    const plain = job({ prompt: 'a paper plane icon' });
    const key = recipeKeyOf(plain, undefined, 'transparent');
    const sent = withKeyColour('a paper plane icon', chooseKeyColour('a paper plane icon'));
    assert.notEqual(sent, 'a paper plane icon');
    assert.ok(sameRecipe(recipe({ prompt: sent, background: 'transparent' }), key));
    assert.ok(!sameRecipe(recipe({ prompt: sent }), key), 'the key colour was not removed');
    assert.ok(!sameRecipe(recipe({ prompt: sent, background: 'transparent' }), recipeKeyOf(plain)), 'an opaque line is not made by a transparent image');
  });

  test('output names of a slug', () => {
    assert.ok(isOutputName('red-mug', 'red-mug.png'));
    assert.ok(isOutputName('red-mug', 'red-mug-12.jpg'));
    assert.ok(!isOutputName('red-mug', 'red-mug-large.png'));
    assert.ok(!isOutputName('red-mug', 'red-mug.txt'));
    assert.ok(!isOutputName('red-mug', 'red-mugs.png'));
  });

  test('each item claims up to its variants; an image is never claimed twice', () => {
    const key = recipeKeyOf(job());
    const existing: ExistingImage<string>[] = [
      { location: 'A', folder: 'out', name: 'a-red-mug.png', recipe: recipe() },
      { location: 'B', folder: 'out', name: 'a-red-mug-2.png', recipe: recipe() },
      { location: 'C', folder: 'out', name: 'a-red-mug-3.png', recipe: recipe({ aspectRatio: '1:1' }) },
      { location: 'D', folder: 'other', name: 'a-red-mug.png', recipe: recipe() },
    ];
    const claims = claimExisting(
      [
        { folder: 'out', slug: 'a-red-mug', key, variants: 1 },
        { folder: 'out', slug: 'a-red-mug', key, variants: 3 },
        { folder: 'out', slug: 'a-red-mug', key: { ...key, aspectRatio: '1:1' }, variants: 1 },
        { folder: 'out', slug: 'a-red-mug', key, variants: 1 },
      ],
      existing,
    );
    assert.deepEqual(claims, [['A'], ['B'], ['C'], []]);
  });
});

describe('results file', () => {
  test('name beside the prompts file', () => {
    assert.equal(resultsFileName('covers.prompts.jsonl'), 'covers.results.jsonl');
    assert.equal(resultsFileName('icons.PROMPTS.txt'), 'icons.results.jsonl');
    assert.equal(resultsFileName('list.jsonl'), 'list.results.jsonl');
  });

  test('one JSON line per item in line order', () => {
    const text = formatResults([
      { line: 3, status: 'failed', files: [], message: 'refused' },
      { line: 1, status: 'ok', files: ['out/a.png'], model: 'm', usage: { totalTokenCount: 10 }, costUsd: 0.0671234567 },
      { line: 2, status: 'skipped', files: ['out/b.png'] },
    ]);
    const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((line) => [line.line, line.status]), [[1, 'ok'], [2, 'skipped'], [3, 'failed']]);
    assert.equal(lines[0].costUsd, 0.067123);
    assert.ok(text.endsWith('\n'));
    assert.equal(formatResults([]), '');
  });
});

describe('the prompts-line JSON schema', () => {
  const schema = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schemas', 'prompts-line.schema.json'), 'utf8')) as {
    oneOf: { properties: Record<string, { description?: string; enum?: string[] }> }[];
  };
  const line = schema.oneOf[1].properties;

  test('names the same keys, with the same words, as the checks and completions', () => {
    assert.deepEqual(Object.keys(line), [...PROMPT_KEYS]);
    for (const key of PROMPT_KEYS) assert.equal(line[key].description, PROMPT_KEY_DOCS[key], key);
    assert.deepEqual(Object.keys(schema.oneOf[0].properties), ['mode']);
  });

  test('allows the same ratios and sizes', () => {
    assert.deepEqual(line.aspectRatio.enum, ['auto', ...ASPECT_RATIOS]);
    assert.deepEqual(line.imageSize.enum, ['auto', ...IMAGE_SIZES]);
  });
});
