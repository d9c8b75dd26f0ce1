// Saving images safely: disk failures named as such, no overwrite without hard links, bounded files per answer,
// stale temporary files swept, free names found without starting over, huge references refused unread.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { isImageError } from '../../src/core/errors';
import { FreeNamePicker } from '../../src/core/fileName';
import { ImageClient } from '../../src/core/imageClient';
import { firstFew, MAX_EDITORS_PER_RUN } from '../../src/core/openLimit';
import { placeWithoutOverwrite, TempImageFile, type PlacingFileSystem } from '../../src/core/streamFile';
import { MAX_IMAGES_PER_ANSWER, MemoryImageFile, type ImageSink } from '../../src/core/streamSink';
import { isOurTemporary, STALE_TEMPORARY_MS, sweepStaleTemporaries, temporaryName } from '../../src/core/tempFiles';
import type { HttpResponse, Transport } from '../../src/core/transport';
import { referenceTooLarge } from '../../src/core/validate';
import { SENTINEL_TOKEN } from '../sentinel';
import { testPng } from './fixtures/images';

const PROVIDER = { baseUrl: 'http://127.0.0.1:9', authHeader: 'bearer' as const, timeoutSeconds: 10, maxRetries: 0 };
const JOB = { prompt: 'fox', references: [], model: 'gemini-2.5-flash-image', includeText: false };

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-disk-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function answerWith(images: readonly Buffer[]): string {
  const parts = images.map((image) => ({ inlineData: { mimeType: 'image/png', data: image.toString('base64') } }));
  return JSON.stringify({ candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP' }] });
}

function transportOf(body: string): Transport {
  return {
    async request(): Promise<HttpResponse> {
      async function* chunks(): AsyncIterable<Uint8Array> {
        const bytes = Buffer.from(body);
        for (let offset = 0; offset < bytes.length; offset += 4096) yield bytes.subarray(offset, offset + 4096);
      }
      return { status: 200, headers: { 'content-type': 'application/json' }, body: chunks() };
    },
  };
}

function quietLog(lines: string[] = []): { info(m: string): void; warn(m: string): void; error(m: string): void } {
  return { info: (m) => lines.push(m), warn: (m) => lines.push(m), error: (m) => lines.push(m) };
}

/** A sink like the extension's: the folder is created when the first image arrives, each image in its own file. */
function folderSink(folder: string): ImageSink<TempImageFile> {
  let n = 0;
  return {
    place: folder,
    open: async (image) => {
      await fs.promises.mkdir(folder, { recursive: true });
      return TempImageFile.create(path.join(folder, temporaryName(`img-${++n}`)), image, undefined);
    },
  };
}

function openDescriptors(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

describe('disk failures', () => {
  test('a folder path through a file (ENOTDIR) is a disk failure naming the folder, not "Could not reach"', async (t) => {
    const dir = tempDir(t);
    fs.writeFileSync(path.join(dir, 'blocker'), 'a file, not a folder');
    const folder = path.join(dir, 'blocker', 'images');
    const client = new ImageClient({ transport: transportOf(answerWith([testPng(64, 1, true)])), log: quietLog() });
    await assert.rejects(client.stream(JOB, PROVIDER, SENTINEL_TOKEN, undefined, folderSink(folder)), (error: Error) => {
      assert.ok(isImageError(error) && error.kind === 'disk', `kind: ${isImageError(error) ? error.kind : error.name}`);
      assert.match(error.message, /generated \(and billed\)/);
      assert.ok(error.message.includes(folder), error.message);
      assert.match(error.message, /ENOTDIR/);
      assert.doesNotMatch(error.message, /Could not reach|network/);
      return true;
    });
  });

  test('a read-only folder (EACCES) is a disk failure too', async (t) => {
    if (process.getuid?.() === 0) return t.skip('root may write into read-only folders');
    const dir = tempDir(t);
    const folder = path.join(dir, 'locked');
    fs.mkdirSync(folder, { mode: 0o555 });
    const client = new ImageClient({ transport: transportOf(answerWith([testPng(64, 1, true)])), log: quietLog() });
    await assert.rejects(client.stream(JOB, PROVIDER, SENTINEL_TOKEN, undefined, folderSink(folder)), /generated \(and billed\).*EACCES/s);
  });
});

describe('never overwrite without hard links', () => {
  const noLinks = (onLink: (target: string) => void = () => undefined): PlacingFileSystem => ({
    link: async (_existing, target) => {
      onLink(target);
      throw Object.assign(new Error('operation not permitted, link'), { code: 'EPERM' });
    },
    copyFile: fs.promises.copyFile,
    rm: fs.promises.rm,
  });

  test('where link() fails with EPERM the image is copied exclusively and the temporary file removed', async (t) => {
    const dir = tempDir(t);
    const temporary = path.join(dir, '.fox.tmp');
    fs.writeFileSync(temporary, 'image bytes');
    assert.equal(await placeWithoutOverwrite(temporary, path.join(dir, 'fox.png'), noLinks()), 'placed');
    assert.equal(fs.readFileSync(path.join(dir, 'fox.png'), 'utf8'), 'image bytes');
    assert.equal(fs.existsSync(temporary), false, 'the temporary file was left');
  });

  test('a file created at the target at the same moment is never overwritten', async (t) => {
    const dir = tempDir(t);
    const temporary = path.join(dir, '.fox.tmp');
    const target = path.join(dir, 'fox.png');
    fs.writeFileSync(temporary, 'image bytes');
    // Another program creates the file between our attempt to link and the fallback.
    const racing = noLinks((name) => fs.writeFileSync(name, "the user's file"));
    assert.equal(await placeWithoutOverwrite(temporary, target, racing), 'taken');
    assert.equal(fs.readFileSync(target, 'utf8'), "the user's file", 'the user\'s file was overwritten');
    assert.equal(fs.readFileSync(temporary, 'utf8'), 'image bytes', 'the image was lost');
  });

  test('many images racing for one name: exactly one gets it, the others are told it is taken', async (t) => {
    const dir = tempDir(t);
    const target = path.join(dir, 'fox.png');
    const temporaries = Array.from({ length: 12 }, (_, i) => {
      const file = path.join(dir, `.fox-${i}.tmp`);
      fs.writeFileSync(file, `image ${i}`);
      return file;
    });
    const results = await Promise.all(temporaries.map((file) => placeWithoutOverwrite(file, target, noLinks())));
    assert.equal(results.filter((result) => result === 'placed').length, 1, results.join(', '));
    const winner = results.indexOf('placed');
    assert.equal(fs.readFileSync(target, 'utf8'), `image ${winner}`);
  });
});

describe('images per answer', () => {
  test(`an answer with 40 images keeps the first ${MAX_IMAGES_PER_ANSWER}, says so, and holds no descriptor after each image ends`, async (t) => {
    const dir = tempDir(t);
    const images = Array.from({ length: 40 }, () => testPng(200, 1, true));
    const lines: string[] = [];
    const before = openDescriptors();
    let mostOpen = 0;
    const sink = folderSink(dir);
    const counting: ImageSink<TempImageFile> = {
      place: dir,
      open: async (image) => {
        mostOpen = Math.max(mostOpen, openDescriptors() - before);
        return sink.open(image);
      },
    };
    const client = new ImageClient({ transport: transportOf(answerWith(images)), log: quietLog(lines) });
    const result = await client.stream(JOB, PROVIDER, SENTINEL_TOKEN, undefined, counting);
    assert.equal(result.images.length, MAX_IMAGES_PER_ANSWER);
    assert.equal(fs.readdirSync(dir).length, MAX_IMAGES_PER_ANSWER, 'files were made for skipped images');
    assert.ok(mostOpen <= 3, `${mostOpen} descriptors were open while the answer streamed`);
    assert.equal(openDescriptors(), before, 'finished images still hold open descriptors');
    assert.ok(result.warnings?.some((warning) => /40 images.*16 were saved, 24 skipped/.test(warning)), `warnings: ${result.warnings?.join(' | ')}`);
    assert.ok(lines.some((line) => /24 skipped/.test(line)), 'no log line about the skipped images');
    // The recipe slot is still written after the descriptor was closed.
    for (const image of result.images) {
      assert.equal(fs.readFileSync(image.file.path).subarray(0, 8).toString('latin1'), images[0].subarray(0, 8).toString('latin1'));
      await image.file.abort();
    }
  });

  test('images in memory are capped the same way', async () => {
    const opened: MemoryImageFile[] = [];
    const sink: ImageSink<MemoryImageFile> = { open: async (image) => opened[opened.push(new MemoryImageFile(image)) - 1] };
    const client = new ImageClient({ transport: transportOf(answerWith(Array.from({ length: 20 }, () => testPng(64, 1, true)))), log: quietLog() });
    const result = await client.stream(JOB, PROVIDER, SENTINEL_TOKEN, undefined, sink);
    assert.equal(result.images.length, MAX_IMAGES_PER_ANSWER);
    assert.equal(opened.length, MAX_IMAGES_PER_ANSWER);
  });

  test(`openAfterSave opens the first ${MAX_EDITORS_PER_RUN} images of a run, no more`, () => {
    const shouldOpen = firstFew();
    const opened = Array.from({ length: 30 }, () => shouldOpen()).filter(Boolean).length;
    assert.equal(opened, MAX_EDITORS_PER_RUN);
    assert.ok(MAX_EDITORS_PER_RUN >= 1 && MAX_EDITORS_PER_RUN <= 4);
  });
});

describe('free names', () => {
  test('the n-th image of a run tries two names, not n', async () => {
    const taken = new Set<string>(['fox.png']);
    const picker = new FreeNamePicker();
    let attempts = 0;
    const place = async (name: string): Promise<boolean> => {
      attempts++;
      if (taken.has(name)) return false;
      taken.add(name);
      return true;
    };
    const names: string[] = [];
    for (let i = 0; i < 100; i++) names.push((await picker.placeFree('/out', 'fox', 'png', place)) ?? 'none');
    assert.deepEqual(names.slice(0, 3), ['fox-2.png', 'fox-3.png', 'fox-4.png']);
    assert.equal(names[99], 'fox-101.png');
    assert.ok(attempts <= 2 * 100 + 1, `${attempts} attempts for 100 images`);
  });

  test('the plain name is used again once it is free, and other folders and slugs start afresh', async () => {
    const taken = new Set<string>();
    const picker = new FreeNamePicker();
    const place = async (name: string): Promise<boolean> => !taken.has(name) && Boolean(taken.add(name));
    for (let i = 0; i < 5; i++) await picker.placeFree('/out', 'fox', 'png', place);
    taken.delete('fox.png');
    assert.equal(await picker.placeFree('/out', 'fox', 'png', place), 'fox.png');
    assert.equal(await picker.placeFree('/out', 'fox', 'png', place), 'fox-6.png');
    assert.equal(await picker.placeFree('/out', 'owl', 'png', place), 'owl.png');
    const elsewhere = new Set<string>();
    assert.equal(await picker.placeFree('/other', 'fox', 'png', async (name) => !elsewhere.has(name) && Boolean(elsewhere.add(name))), 'fox.png');
  });

  test('images finishing together never get the same name', async () => {
    const taken = new Set<string>();
    const picker = new FreeNamePicker();
    const place = async (name: string): Promise<boolean> => {
      await new Promise((resolve) => setImmediate(resolve));
      if (taken.has(name)) return false;
      taken.add(name);
      return true;
    };
    const names = await Promise.all(Array.from({ length: 8 }, () => picker.placeFree('/out', 'fox', 'png', place)));
    assert.equal(new Set(names).size, 8, names.join(', '));
  });
});

describe('stale temporary files', () => {
  test('our temporary files older than an hour are swept; fresh ones and a user\'s look-alikes stay', async (t) => {
    const dir = tempDir(t);
    const now = Date.now();
    const old = new Date(now - STALE_TEMPORARY_MS - 60_000);
    const stale = temporaryName('a-cyberpunk-fox');
    const fresh = temporaryName('a-cyberpunk-fox');
    const lookAlikes = ['.notes.part', '.fox.abcdefgh.part', '.fox.abcdefgh.gemini-image.part.bak', 'fox.abcdefgh.gemini-image.part', '.Fox.abcdefgh.gemini-image.part'];
    for (const name of [stale, fresh, ...lookAlikes]) fs.writeFileSync(path.join(dir, name), 'x');
    for (const name of [stale, ...lookAlikes]) fs.utimesSync(path.join(dir, name), old, old);
    fs.mkdirSync(path.join(dir, temporaryName('a-folder')));
    fs.utimesSync(path.join(dir, fs.readdirSync(dir).find((name) => name.startsWith('.a-folder')) ?? ''), old, old);

    const { removed } = await sweepStaleTemporaries(dir, now);
    assert.deepEqual(removed, [stale]);
    const left = fs.readdirSync(dir);
    assert.ok(!left.includes(stale), 'the stale temporary file is still there');
    for (const name of [fresh, ...lookAlikes]) assert.ok(left.includes(name), `${name} was removed`);
  });

  test('temporary names are ours and only ours', () => {
    assert.ok(isOurTemporary(temporaryName('image')));
    assert.ok(isOurTemporary(temporaryName('a-b-c-1')));
    assert.ok(!isOurTemporary('.notes.part'));
    assert.ok(!isOurTemporary('.a.12345678.part'));
    assert.ok(!isOurTemporary('..12345678.gemini-image.part'));
  });

  test('a folder that does not exist is not an error', async () => {
    assert.deepEqual(await sweepStaleTemporaries(path.join(os.tmpdir(), 'gis-no-such-folder', 'x')), { removed: [] });
  });
});

describe('reference size', () => {
  test('a reference too large to ever be sent is refused from its size alone', () => {
    const message = referenceTooLarge('huge.png', 3_000_000_000);
    assert.ok(message);
    assert.match(message, /huge\.png is 3000\.0 MB, too large to send/);
    assert.equal(referenceTooLarge('photo.jpg', 5_000_000), undefined);
    assert.ok(referenceTooLarge('edge.png', 15_000_000), 'a 15 MB image is 20 MB in base64: it cannot fit');
  });
});
