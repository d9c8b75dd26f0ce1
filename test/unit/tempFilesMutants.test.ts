// Temporary file names and the sweep at their limits: the suffix, the age boundary, the cap per folder (mutation survivors).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { isOurTemporary, STALE_TEMPORARY_MS, sweepStaleTemporaries, temporaryName } from '../../src/core/tempFiles';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-sweep-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the suffix is eight base-36 characters drawn from the random source', () => {
  assert.equal(temporaryName('fox', () => 0), '.fox.00000000.gemini-image.part');
  assert.equal(temporaryName('fox', () => 0.9999), '.fox.zzzzzzzz.gemini-image.part');
  const draws = [0.1, 0.5, 0.99];
  let i = 0;
  assert.equal(temporaryName('a-b', () => draws[i++ % 3]), '.a-b.3iz3iz3i.gemini-image.part');
  assert.equal(STALE_TEMPORARY_MS, 3_600_000);
});

test('only the exact shape is ours', () => {
  for (const name of ['.fox.abcdefgh.gemini-image.part', '.a-b-1.00000000.gemini-image.part']) assert.equal(isOurTemporary(name), true, name);
  for (const name of ['.fox.abcdefg.gemini-image.part', '.fox.abcdefghi.gemini-image.part', '.fox-.abcdefgh.gemini-image.part', '.-fox.abcdefgh.gemini-image.part', 'x.fox.abcdefgh.gemini-image.part', '.fox.abcdefgh.gemini-imageXpart', '.fox.ABCDEFGH.gemini-image.part', '.fox.abcdefgh.gemini-image.part ']) {
    assert.equal(isOurTemporary(name), false, name);
  }
});

test('a file exactly as old as the limit is swept; one a millisecond younger stays; the age is measured from now', async (t) => {
  const dir = tempDir(t);
  const now = Date.now();
  const edge = temporaryName('edge');
  const young = temporaryName('young');
  fs.writeFileSync(path.join(dir, edge), 'x');
  fs.writeFileSync(path.join(dir, young), 'x');
  fs.utimesSync(path.join(dir, edge), new Date(now - 10_000), new Date(now - 10_000));
  fs.utimesSync(path.join(dir, young), new Date(now - 9_000), new Date(now - 9_000));
  const edgeTime = fs.statSync(path.join(dir, edge)).mtimeMs;
  assert.deepEqual((await sweepStaleTemporaries(dir, edgeTime + 10_000, 10_000)).removed, [edge]);
  assert.deepEqual(fs.readdirSync(dir), [young]);
  assert.deepEqual((await sweepStaleTemporaries(dir, now, 10_000)).removed, []);
});

test('at most 1000 files are swept per folder and call', async (t) => {
  const dir = tempDir(t);
  const old = new Date(Date.now() - 2 * STALE_TEMPORARY_MS);
  for (let i = 0; i < 1001; i++) {
    const file = path.join(dir, temporaryName(`f${i}`));
    fs.writeFileSync(file, '');
    fs.utimesSync(file, old, old);
  }
  assert.equal((await sweepStaleTemporaries(dir)).removed.length, 1000);
  assert.equal(fs.readdirSync(dir).length, 1);
  assert.equal((await sweepStaleTemporaries(dir)).removed.length, 1);
});

test('a symbolic link with our name is left alone, and so is what it points to', async (t) => {
  const dir = tempDir(t);
  const target = path.join(dir, 'precious.png');
  fs.writeFileSync(target, 'user data');
  const link = path.join(dir, temporaryName('link'));
  fs.symlinkSync(target, link);
  const old = new Date(Date.now() - 2 * STALE_TEMPORARY_MS);
  fs.lutimesSync(link, old, old);
  fs.utimesSync(target, old, old);
  assert.deepEqual((await sweepStaleTemporaries(dir)).removed, []);
  assert.equal(fs.readFileSync(target, 'utf8'), 'user data');
  assert.ok(fs.lstatSync(link).isSymbolicLink());
});
