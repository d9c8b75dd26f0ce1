// The temporary image file on its own: where the recipe slot goes (or not), any write pattern, reopen, abort (mutation survivors).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readRecipe, recipeInsertionOfLength, recipeSlot, removeRecipe, type Recipe } from '../../src/core/recipe';
import { piecesAfter, placeWithoutOverwrite, TempImageFile, type PlacingFileSystem, type RecipePlace } from '../../src/core/streamFile';
import type { NewImage } from '../../src/core/streamSink';
import { encodeJpeg, encodePng } from '../server/imageFactory';

const PNG = encodePng('stream file', 20, 12);
const JPEG = encodeJpeg('stream file', 16, 16);
const recipe: Recipe = { version: 1, prompt: 'a red fox', model: 'gemini-3-pro-image', references: [], createdAt: new Date(0).toISOString() };
const png: NewImage = { format: 'png', mimeType: 'image/png' };
const jpeg: NewImage = { format: 'jpeg', mimeType: 'image/jpeg' };

let dir: string;
let count = 0;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-file-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function slotOf(format: 'png' | 'jpeg'): RecipePlace {
  const slot = recipeSlot(format, recipe);
  assert.ok(slot);
  return slot;
}

/** Writes the image in pieces of `step` bytes (through write(), or writeMany() in groups of three), ends and closes it. */
async function written(image: NewImage, bytes: Uint8Array, place: RecipePlace | undefined, step: number, many = false): Promise<{ file: TempImageFile; saved: Buffer }> {
  const file = await TempImageFile.create(path.join(dir, `.image-${count++}.part`), image, place);
  const pieces: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += step) pieces.push(bytes.subarray(at, at + step));
  if (many) {
    for (let at = 0; at < pieces.length; at += 3) await file.writeMany(pieces.slice(at, at + 3));
  } else {
    for (const piece of pieces) await file.write(piece);
  }
  await file.end();
  assert.equal(file.size, bytes.length, 'size counts image bytes only');
  return { file, saved: fs.readFileSync(file.path) };
}

/** A JPEG with its APP0 segment followed by APP1 segments of the given lengths. */
function jpegWithApp1(...lengths: number[]): Buffer {
  const app0End = 4 + ((JPEG[4] << 8) | JPEG[5]);
  const segments = lengths.map((length) => {
    const segment = Buffer.alloc(2 + length, 0x41);
    segment.set([0xff, 0xe1, length >> 8, length & 0xff], 0);
    return segment;
  });
  return Buffer.concat([JPEG.subarray(0, app0End), ...segments, JPEG.subarray(app0End)]);
}

describe('where the recipe slot goes', () => {
  for (const step of [1, 7, 32, 33, 34, 100_000]) {
    for (const many of [false, true]) {
      test(`png in pieces of ${step}${many ? ' (writeMany)' : ''}: the slot right after IHDR, the image bytes untouched`, async () => {
        const place = slotOf('png');
        const { file, saved } = await written(png, PNG, place, step, many);
        assert.deepEqual(saved.subarray(0, 33), PNG.subarray(0, 33));
        assert.deepEqual(saved.subarray(33, 33 + place.bytes.length), Buffer.from(place.bytes));
        assert.deepEqual(saved.subarray(33 + place.bytes.length), PNG.subarray(33));
        assert.equal(file.recipeLength, place.bytes.length);
        assert.deepEqual(readRecipe(saved), recipe);
        await file.abort();
      });
    }
  }

  test('without a recipe the file is the image, whatever the pieces', async () => {
    for (const [image, bytes] of [[png, PNG], [jpeg, JPEG]] as const) {
      for (const step of [1, 5, 64, 1_000_000]) {
        const { file, saved } = await written(image, bytes, undefined, step, step === 5);
        assert.deepEqual(saved, bytes);
        assert.equal(file.recipeLength, undefined);
        assert.equal(await file.writeRecipe(new Uint8Array(10)), false);
        await file.abort();
      }
    }
  });

  test('a png shorter than its header, or whose first chunk is not a 13-byte IHDR, gets no slot and stays as it came', async () => {
    const broken: Buffer[] = [PNG.subarray(0, 20), PNG.subarray(0, 32)];
    for (const [at, value] of [[11, 12], [12, 0x69], [13, 0x68], [14, 0x64], [15, 0x72]]) {
      const copy = Buffer.from(PNG);
      copy[at] = value;
      broken.push(copy);
    }
    for (const bytes of broken) {
      for (const step of [3, 40, 100_000]) {
        const { file, saved } = await written(png, bytes, slotOf('png'), step);
        assert.deepEqual(saved, bytes, `${bytes.length} bytes in pieces of ${step}`);
        assert.equal(file.recipeLength, undefined);
        assert.equal(await file.writeRecipe(slotOf('png').bytes), false);
        await file.abort();
      }
    }
    const exact = await written(png, PNG.subarray(0, 33), slotOf('png'), 33);
    assert.equal(exact.file.recipeLength, slotOf('png').bytes.length, 'a head of exactly 33 bytes has room for the slot');
    await exact.file.abort();
  });

  test('jpeg: after SOI and its APP0/APP1 segments, in any pieces; a file not starting with FF D8 FF gets no slot', async () => {
    const place = slotOf('jpeg');
    for (const bytes of [JPEG, jpegWithApp1(100), jpegWithApp1(3000, 20_000)]) {
      const slotAt = bytes.length - JPEG.length + 4 + ((JPEG[4] << 8) | JPEG[5]);
      for (const step of [1, 3, 4096]) {
        if (step === 1 && bytes.length > 30_000) continue;
        const { file, saved } = await written(jpeg, bytes, place, step, step === 3);
        assert.deepEqual(saved.subarray(0, slotAt), bytes.subarray(0, slotAt), `pieces of ${step}`);
        assert.deepEqual(saved.subarray(slotAt, slotAt + place.bytes.length), Buffer.from(place.bytes), `pieces of ${step}`);
        assert.deepEqual(Buffer.from(removeRecipe(saved)), bytes);
        await file.abort();
      }
    }
    for (const start of [[0xff, 0xd8, 0x00], [0xff, 0xd9, 0xff], [0xfe, 0xd8, 0xff]]) {
      const bytes = Buffer.from(JPEG);
      bytes.set(start, 0);
      for (const step of [2, 100_000]) {
        const { file, saved } = await written(jpeg, bytes, place, step);
        assert.deepEqual(saved, bytes, `${start.join()} in pieces of ${step}`);
        assert.equal(file.recipeLength, undefined);
        await file.abort();
      }
    }
    const tiny = await written(jpeg, JPEG.subarray(0, 2), place, 1);
    assert.deepEqual(tiny.saved, JPEG.subarray(0, 2));
    await tiny.file.abort();
  });

  test('jpeg header segments longer than two full segments: the wait ends and the slot goes right after SOI', async () => {
    const place = slotOf('jpeg');
    const bytes = jpegWithApp1(65_533, 65_533, 60_000);
    const { file, saved } = await written(jpeg, bytes, place, 10_000);
    assert.deepEqual(saved.subarray(0, 2), bytes.subarray(0, 2));
    assert.deepEqual(saved.subarray(2, 2 + place.bytes.length), Buffer.from(place.bytes));
    assert.deepEqual(saved.subarray(2 + place.bytes.length), bytes.subarray(2));
    await file.abort();
    // Just under the limit the file is still held until the segments end.
    const fits = jpegWithApp1(65_533, 65_000);
    const slotAt = fits.length - JPEG.length + 4 + ((JPEG[4] << 8) | JPEG[5]);
    const held = await written(jpeg, fits, place, 10_000);
    assert.deepEqual(held.saved.subarray(slotAt, slotAt + place.bytes.length), Buffer.from(place.bytes));
    await held.file.abort();
  });

  test('the wait ends at exactly two full segments: a head of that length is written with the slot after SOI', async () => {
    const place = slotOf('jpeg');
    const bytes = jpegWithApp1(65_533, 65_533, 60_000);
    const file = await TempImageFile.create(path.join(dir, `.image-${count++}.part`), jpeg, place);
    await file.write(bytes.subarray(0, 2 * 65_540));
    await file.write(bytes.subarray(2 * 65_540));
    await file.end();
    const saved = fs.readFileSync(file.path);
    assert.deepEqual(saved.subarray(2, 2 + place.bytes.length), Buffer.from(place.bytes));
    await file.abort();
  });

  test('bytes held while the header is incomplete are copies: the caller may reuse its memory at once', async () => {
    for (const [image, bytes] of [[jpeg, jpegWithApp1(3000)], [png, PNG]] as const) {
      const place = slotOf(image.format as 'png' | 'jpeg');
      const file = await TempImageFile.create(path.join(dir, `.image-${count++}.part`), image, place);
      const memory = Buffer.alloc(20);
      for (let at = 0; at < 200; at += 20) {
        bytes.copy(memory, 0, at, at + 20);
        await file.write(memory);
        memory.fill(0);
      }
      await file.write(bytes.subarray(200));
      await file.end();
      assert.deepEqual(Buffer.from(removeRecipe(fs.readFileSync(file.path))), bytes, image.format);
      await file.abort();
    }
  });

  test('a format without a recipe place gets no slot, even when one is offered', async () => {
    const webp = Buffer.concat([Buffer.from('RIFF\x10\x00\x00\x00WEBPVP8 ', 'latin1'), Buffer.alloc(64, 1)]);
    const { file, saved } = await written({ format: 'webp', mimeType: 'image/webp' }, webp, slotOf('png'), 100);
    assert.deepEqual(saved, webp);
    assert.equal(file.recipeLength, undefined);
    await file.abort();
  });
});

describe('short writes', () => {
  test('what is left after a write that took only part of the pieces', () => {
    const pieces = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fghi')];
    const text = (rest: Uint8Array[]): string[] => rest.map((piece) => Buffer.from(piece).toString());
    assert.deepEqual(text(piecesAfter(pieces, 0)), ['abc', 'de', 'fghi']);
    assert.deepEqual(text(piecesAfter(pieces, 1)), ['bc', 'de', 'fghi']);
    assert.deepEqual(text(piecesAfter(pieces, 3)), ['de', 'fghi']);
    assert.deepEqual(text(piecesAfter(pieces, 4)), ['e', 'fghi']);
    assert.deepEqual(text(piecesAfter(pieces, 6)), ['ghi']);
    assert.deepEqual(text(piecesAfter(pieces, 9)), []);
    assert.equal(piecesAfter(pieces, 3)[0], pieces[1], 'a whole piece is passed on as it is');
  });
});

describe('the file itself', () => {
  test('create never replaces an existing file', async () => {
    const target = path.join(dir, 'taken.part');
    fs.writeFileSync(target, "the user's file");
    await assert.rejects(TempImageFile.create(target, png, undefined), (error: NodeJS.ErrnoException) => error.code === 'EEXIST');
    assert.equal(fs.readFileSync(target, 'utf8'), "the user's file");
  });

  test('the final recipe is written over the slot after the file closed; a wrong length, none, or a removed file is refused', async () => {
    const place = slotOf('png');
    const { file } = await written(png, PNG, place, 50);
    const final = { ...recipe, usage: { totalTokenCount: 1290 } };
    const bytes = recipeInsertionOfLength('png', final, place.bytes.length);
    assert.ok(bytes);
    assert.equal(await file.writeRecipe(bytes.subarray(1)), false);
    assert.equal(await file.writeRecipe(undefined), false);
    assert.equal(await file.writeRecipe(bytes), true);
    assert.equal(await file.writeRecipe(bytes), true, 'a second write goes to the still open file');
    await file.close();
    await file.close();
    const saved = fs.readFileSync(file.path);
    assert.deepEqual(readRecipe(saved), final);
    assert.deepEqual(Buffer.from(removeRecipe(saved)), PNG);
    await file.abort();
    assert.equal(fs.existsSync(file.path), false);
    assert.equal(await file.writeRecipe(bytes), false, 'no write to a removed file');
    assert.equal(fs.existsSync(file.path), false, 'not recreated');
    await file.abort();
  });

  test('writing the final recipe leaves no descriptor open, whether the file was still open or had to be reopened', async (t) => {
    if (!fs.existsSync('/proc/self/fd')) return t.skip('needs /proc/self/fd');
    const open = (): number => fs.readdirSync('/proc/self/fd').length;
    const place = slotOf('png');
    const bytes = recipeInsertionOfLength('png', recipe, place.bytes.length);
    assert.ok(bytes);
    const before = open();
    const file = await TempImageFile.create(path.join(dir, `.image-${count++}.part`), png, place);
    await file.write(PNG);
    assert.equal(await file.writeRecipe(bytes), true);
    assert.equal(await file.writeRecipe(bytes), true);
    await file.close();
    assert.equal(open(), before, 'a descriptor leaked while the file was open');
    assert.equal(await file.writeRecipe(bytes), true);
    assert.equal(await file.writeRecipe(bytes), true);
    await file.close();
    assert.equal(open(), before, 'a descriptor leaked after reopening');
    await file.abort();
  });

  test('abort removes the file whether it is open or closed; a file of the same name made later is left alone', async () => {
    const open = await TempImageFile.create(path.join(dir, '.open.part'), png, undefined);
    await open.write(PNG.subarray(0, 10));
    await open.abort();
    assert.equal(fs.existsSync(open.path), false);
    const closed = await written(png, PNG, undefined, 1000);
    await closed.file.abort();
    assert.equal(fs.existsSync(closed.file.path), false);
    fs.writeFileSync(closed.file.path, 'someone else');
    await closed.file.abort();
    assert.equal(fs.readFileSync(closed.file.path, 'utf8'), 'someone else', 'a second abort removed a file it does not own');
  });
});

describe('placing without overwriting', () => {
  const failing = (code: string | undefined, copyCode?: string): PlacingFileSystem & { copies: number; removed: string[] } => {
    const files = {
      copies: 0,
      removed: [] as string[],
      link: async () => {
        throw Object.assign(new Error(`link failed ${code}`), code === undefined ? {} : { code });
      },
      copyFile: async (source: string, target: string, mode: number) => {
        files.copies++;
        if (copyCode) throw Object.assign(new Error(`copy failed ${copyCode}`), { code: copyCode });
        await fs.promises.copyFile(source, target, mode);
      },
      rm: async (file: string, options: { force: boolean }) => {
        files.removed.push(file);
        await fs.promises.rm(file, options);
      },
    };
    return files;
  };

  test('every "no hard links here" code falls back to an exclusive copy', async () => {
    for (const code of ['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'ENOSYS', 'EMLINK']) {
      const temporary = path.join(dir, `.${code}.tmp`);
      const target = path.join(dir, `${code}.png`);
      fs.writeFileSync(temporary, code);
      const files = failing(code);
      assert.equal(await placeWithoutOverwrite(temporary, target, files), 'placed', code);
      assert.equal(fs.readFileSync(target, 'utf8'), code);
      assert.deepEqual(files.removed, [temporary]);
      assert.equal(fs.existsSync(temporary), false);
    }
  });

  test('a taken name (link or copy) keeps the temporary file; any other failure is thrown, nothing copied', async () => {
    const temporary = path.join(dir, '.taken.tmp');
    fs.writeFileSync(temporary, 'image');
    const linkTaken = failing('EEXIST');
    assert.equal(await placeWithoutOverwrite(temporary, path.join(dir, 'x.png'), linkTaken), 'taken');
    assert.equal(linkTaken.copies, 0);
    const copyTaken = failing('EXDEV', 'EEXIST');
    assert.equal(await placeWithoutOverwrite(temporary, path.join(dir, 'y.png'), copyTaken), 'taken');
    assert.deepEqual([...linkTaken.removed, ...copyTaken.removed], []);
    for (const code of ['EACCES', 'ENOSPC', undefined]) {
      const files = failing(code);
      await assert.rejects(placeWithoutOverwrite(temporary, path.join(dir, 'z.png'), files), new RegExp(`link failed ${code}`));
      assert.equal(files.copies, 0, String(code));
    }
    await assert.rejects(placeWithoutOverwrite(temporary, path.join(dir, 'z.png'), failing('EPERM', 'ENOSPC')), /copy failed ENOSPC/);
    assert.equal(fs.readFileSync(temporary, 'utf8'), 'image');
    assert.equal(fs.existsSync(path.join(dir, 'z.png')), false);
  });

  test('the real file system links and removes the temporary name', async () => {
    const temporary = path.join(dir, '.real.tmp');
    const target = path.join(dir, 'real.png');
    fs.writeFileSync(temporary, 'real');
    assert.equal(await placeWithoutOverwrite(temporary, target), 'placed');
    assert.equal(fs.readFileSync(target, 'utf8'), 'real');
    assert.equal(fs.existsSync(temporary), false);
    fs.writeFileSync(temporary, 'second');
    assert.equal(await placeWithoutOverwrite(temporary, target), 'taken');
    assert.equal(fs.readFileSync(target, 'utf8'), 'real');
  });
});
