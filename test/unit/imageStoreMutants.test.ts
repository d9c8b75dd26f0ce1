// The disk store's edges: the hourly sweep of temporary files a crash left, a folder with no free name left, a
// processed image replacing one the user deleted meanwhile, and never writing over a file that is already there.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { DiskImageStore, SavingState } from '../../src/core/jobs/imageStore';
import { useLogAndFolder, type RecordingLog } from './fixtures/clientHarness';
import { testPng } from './fixtures/images';

let folder: string;
let log: RecordingLog;

useLogAndFolder('image-store-mutants-', (each) => {
  ({ log, folder } = each);
});

const HOUR = 60 * 60 * 1000;
const RECIPE = { version: 1 as const, prompt: 'a fox', model: 'gemini-3-pro-image', references: [], createdAt: '2026-01-02T03:04:05.000Z' };

/** A temporary file of ours, last written `age` ms before `now`. */
async function temporary(name: string, now: number, age: number): Promise<void> {
  const file = path.join(folder, name);
  await fs.writeFile(file, 'half an image');
  const when = new Date(now - age);
  await fs.utimes(file, when, when);
}

async function listing(): Promise<string[]> {
  return (await fs.readdir(folder)).sort();
}

/** Runs `body` with Date.now() reading `now` (the store takes its clock from there). */
async function at<T>(now: number, body: () => Promise<T>): Promise<T> {
  const real = Date.now;
  Date.now = () => now;
  try {
    return await body();
  } finally {
    Date.now = real;
  }
}

test('the first image of a folder sweeps the temporary files a crash left there, and says how many', async () => {
  const now = Date.now();
  await temporary('.fox.abcdefgh.gemini-image.part', now, 2 * HOUR);
  await temporary('.fox.ijklmnop.gemini-image.part', now, 0);
  const store = new DiskImageStore(folder, new SavingState(log));
  const file = await store.open({ format: 'png', mimeType: 'image/png' }, 'cat', RECIPE);
  await file.abort();
  assert.deepEqual(await listing(), ['.fox.ijklmnop.gemini-image.part']);
  assert.deepEqual(log.lines, [`info Removed 1 temporary file(s) left in ${folder} by an earlier crash`]);
});

test('a folder is swept at most once an hour, and nothing is said when nothing was removed', async () => {
  const start = Date.now();
  const state = new SavingState(log);
  await at(start, () => state.sweep(folder));
  assert.deepEqual(log.lines, []);
  await temporary('.fox.abcdefgh.gemini-image.part', start, 2 * HOUR);
  await at(start + HOUR - 1, () => state.sweep(folder));
  assert.deepEqual(await listing(), ['.fox.abcdefgh.gemini-image.part'], 'swept again within the hour');
  await at(start + HOUR, () => state.sweep(folder));
  assert.deepEqual(await listing(), [], 'not swept again after an hour');
  assert.deepEqual(log.lines, [`info Removed 1 temporary file(s) left in ${folder} by an earlier crash`]);
});

/** fox.<ext>, fox-2.<ext> … fox-10000.<ext>: every name the store would try. */
async function takeEveryName(extension: string): Promise<void> {
  const first = path.join(folder, `fox.${extension}`);
  await fs.writeFile(first, 'the user\'s own file');
  for (let attempt = 2; attempt <= 10_000; attempt++) await fs.link(first, path.join(folder, `fox-${attempt}.${extension}`));
}

test('with every name taken, saving (and replacing a JPEG by a PNG) says so and leaves no temporary file', async () => {
  await takeEveryName('png');
  const jpeg = path.join(folder, 'fox.jpg');
  await fs.writeFile(jpeg, 'the opaque original');
  const store = new DiskImageStore(folder);
  const file = await store.open({ format: 'png', mimeType: 'image/png' }, 'fox', RECIPE);
  await file.write(testPng(8, 8));
  await file.end();
  await assert.rejects(store.commit(file, 'fox', RECIPE), { message: `No free file name for "fox.png" in ${folder}.` });
  await assert.rejects(store.replace(jpeg, testPng(8, 8), 'png', 'fox'), { message: `No free file name for "fox.png" in ${folder}.` });
  assert.equal(await fs.readFile(jpeg, 'utf8'), 'the opaque original');
  assert.equal((await listing()).filter((name) => name.endsWith('.part')).length, 0);
});

test('a processed PNG is saved even when the user deleted the JPEG it replaces meanwhile', async () => {
  const store = new DiskImageStore(folder);
  const png = testPng(8, 8);
  const saved = await store.replace(path.join(folder, 'fox.jpg'), png, 'png', 'fox');
  assert.equal(saved, path.join(folder, 'fox.png'));
  assert.deepEqual(await listing(), ['fox.png']);
  assert.deepEqual(await fs.readFile(saved), png);
});

test('replacing never writes over a file already at the temporary name', async () => {
  const png = path.join(folder, 'fox.png');
  await fs.writeFile(png, 'the image as it arrived');
  const store = new DiskImageStore(folder);
  const random = Math.random;
  // The next temporary name is `.fox.00000000.gemini-image.part`, and something is already there.
  await fs.writeFile(path.join(folder, '.fox.00000000.gemini-image.part'), 'another window\'s image');
  Math.random = () => 0;
  let replacing: Promise<string>;
  try {
    replacing = store.replace(png, testPng(8, 8), 'png', 'fox');
  } finally {
    Math.random = random;
  }
  await assert.rejects(replacing, { code: 'EEXIST' });
  assert.equal(await fs.readFile(png, 'utf8'), 'the image as it arrived');
  // …nor removes it: it is another window's.
  assert.equal(await fs.readFile(path.join(folder, '.fox.00000000.gemini-image.part'), 'utf8'), 'another window\'s image');
});
