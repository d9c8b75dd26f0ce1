// The image stream writer on its own: what each image data string becomes, the cap, drafts, failures and cleanup (mutation survivors).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ImageError } from '../../src/core/errors';
import { ImageStreamWriter, MAX_IMAGES_PER_ANSWER, memorySink, MemoryImageFile, type ImageSink, type ImageSinkFile, type NewImage } from '../../src/core/streamSink';
import { encodeJpeg, encodePng } from '../server/imageFactory';

const PNG = encodePng('sink', 30, 20);
const JPEG = encodeJpeg('sink', 16, 16);
const BMP = Buffer.concat([Buffer.from('BM'), Buffer.alloc(60, 1)]);

const inline = (bytes: Buffer | string, extra = ''): string =>
  `{"inlineData":{"mimeType":"image/png","data":"${typeof bytes === 'string' ? bytes : bytes.toString('base64')}"}${extra}}`;
const answer = (...parts: string[]): Buffer => Buffer.from(`{"candidates":[{"content":{"parts":[${parts.join(',')}]}}]}`);

/** A file in memory that records what happened to it. */
class RecordingFile implements ImageSinkFile {
  readonly pieces: Uint8Array[] = [];
  calls: string[] = [];
  ended = false;
  aborted = 0;
  constructor(
    readonly image: NewImage,
    private readonly failWrite?: Error,
    readonly releasesBytes = false,
  ) {}
  async write(bytes: Uint8Array): Promise<void> {
    this.calls.push(`write ${bytes.length}`);
    if (this.failWrite) throw this.failWrite;
    this.pieces.push(Uint8Array.from(bytes));
  }
  async end(): Promise<void> {
    this.ended = true;
  }
  async abort(): Promise<void> {
    this.aborted++;
  }
  get bytes(): Buffer {
    return Buffer.concat(this.pieces);
  }
}

function recordingSink(options: { failWrite?: Error; failOpen?: Error; place?: string } = {}): ImageSink<RecordingFile> & { files: RecordingFile[] } {
  const files: RecordingFile[] = [];
  return {
    files,
    ...(options.place ? { place: options.place } : {}),
    open: async (image) => {
      if (options.failOpen) throw options.failOpen;
      const file = new RecordingFile(image, options.failWrite);
      files.push(file);
      return file;
    },
  };
}

async function run<F extends ImageSinkFile>(sink: ImageSink<F>, ...chunks: Buffer[]): Promise<{ writer: ImageStreamWriter<F>; json: unknown }> {
  const writer = new ImageStreamWriter(sink, 'gw.example', 200);
  for (const chunk of chunks) await writer.push(chunk);
  return { writer, json: await writer.end() };
}

function split(body: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) chunks.push(body.subarray(at, at + size));
  return chunks;
}

describe('what each image becomes', () => {
  test('images are sniffed and written whole, in any chunking; the declared type does not matter', async () => {
    for (const size of [1, 10, 63, 64, 65, 1_000_000]) {
      const sink = recordingSink();
      const { writer } = await run(sink, ...split(answer(inline(JPEG), inline(PNG)), size));
      assert.deepEqual(sink.files.map((file) => file.image), [{ format: 'jpeg', mimeType: 'image/jpeg' }, { format: 'png', mimeType: 'image/png' }]);
      assert.deepEqual(sink.files[0].bytes, JPEG, `chunks of ${size}`);
      assert.deepEqual(sink.files[1].bytes, PNG, `chunks of ${size}`);
      assert.ok(sink.files.every((file) => file.ended && file.aborted === 0));
      const outcome = writer.outcome(1);
      assert.ok('image' in outcome);
      assert.equal(outcome.image.size, PNG.length);
      assert.equal(outcome.image.format, 'png');
      assert.equal(outcome.image.mimeType, 'image/png');
      assert.equal(outcome.image.file, sink.files[1]);
      assert.deepEqual(writer.completed().map((image) => image.file), sink.files);
    }
  });

  test('an image shorter than the sniffing window is still written once its data ends', async () => {
    const tiny = PNG.subarray(0, 40);
    const sink = recordingSink();
    const { writer } = await run(sink, ...split(answer(inline(tiny)), 7));
    assert.deepEqual(sink.files[0].bytes, tiny);
    assert.deepEqual(writer.completed().length, 1);
  });

  test('nothing is opened before 64 bytes arrived (enough to tell the format), unless the data ended', async () => {
    const body = answer(inline(PNG));
    const dataAt = body.indexOf('"data":"') + 8;
    const sink = recordingSink();
    const writer = new ImageStreamWriter(sink, 'gw.example', 200);
    await writer.push(body.subarray(0, dataAt + 84)); // 63 bytes decoded
    assert.equal(sink.files.length, 0);
    await writer.push(body.subarray(dataAt + 84, dataAt + 88)); // 66
    assert.equal(sink.files.length, 1);
    await writer.push(body.subarray(dataAt + 88));
    await writer.end();
    assert.deepEqual(sink.files[0].bytes, PNG);
  });

  test('empty data, bad base64, and bytes that are not a PNG, JPEG, WebP or GIF open no file and say why', async () => {
    const sink = recordingSink();
    const { writer } = await run(sink, answer(inline(''), inline('QUJD$$$$'), inline(BMP), inline(Buffer.from('hello there, not an image at all'.repeat(4))), inline(PNG)));
    assert.deepEqual(writer.outcome(0), { problem: 'noData' });
    assert.deepEqual(writer.outcome(1), { problem: 'invalid' });
    assert.deepEqual(writer.outcome(2), { problem: 'notImage', type: 'bmp' });
    assert.deepEqual(writer.outcome(3), { problem: 'notImage', type: undefined });
    assert.ok('image' in writer.outcome(4));
    assert.deepEqual(writer.outcome(5), { problem: 'invalid' }, 'an id the answer never had');
    assert.equal(sink.files.length, 1);
    assert.equal(writer.completed().length, 1);
  });

  test('bad base64 after the file was opened removes the file', async () => {
    const text = PNG.toString('base64');
    const sink = recordingSink();
    const body = answer(inline(`${text.slice(0, 200)}$${text.slice(200)}`));
    const cut = body.indexOf('$');
    const { writer } = await run(sink, body.subarray(0, cut), body.subarray(cut));
    assert.deepEqual(writer.outcome(0), { problem: 'invalid' });
    assert.equal(sink.files[0].aborted, 1);
    assert.deepEqual(writer.completed(), []);
  });

  test('a draft flagged after its data is dropped, its file removed, and its place under the cap given back', async () => {
    const draft = inline(PNG, ',"thought":true');
    const parts = [draft, ...Array.from({ length: MAX_IMAGES_PER_ANSWER }, () => inline(JPEG))];
    const body = answer(...parts);
    const sink = recordingSink();
    const { writer } = await run(sink, ...split(body, 500));
    assert.deepEqual(writer.outcome(0), { draft: true });
    assert.equal(sink.files[0].aborted, 1);
    assert.equal(writer.skipped, 0, 'the draft no longer counts toward the cap');
    assert.equal(writer.completed().length, MAX_IMAGES_PER_ANSWER);
    assert.ok(writer.completed().every((image) => image.format === 'jpeg'));
  });

  test('an image already complete when its late draft flag arrives is dropped at once and reported as a draft', async () => {
    const body = answer(inline(PNG, ',"thought":true'), inline(JPEG));
    const flagAt = body.indexOf(',"thought":true');
    const sink = recordingSink();
    const writer = new ImageStreamWriter(sink, 'gw.example', 200);
    await writer.push(body.subarray(0, flagAt));
    assert.ok('image' in writer.outcome(0), 'complete before the flag');
    await writer.push(body.subarray(flagAt));
    assert.deepEqual(writer.outcome(0), { draft: true });
    assert.equal(sink.files[0].aborted, 1);
    await writer.end();
    assert.deepEqual(writer.completed().map((image) => image.format), ['jpeg']);
  });

  test(`images past ${MAX_IMAGES_PER_ANSWER} are skipped and counted; whole images (data URLs) share the cap`, async () => {
    const parts = Array.from({ length: MAX_IMAGES_PER_ANSWER + 2 }, () => inline(PNG));
    const sink = recordingSink();
    const { writer } = await run(sink, answer(...parts));
    assert.equal(sink.files.length, MAX_IMAGES_PER_ANSWER);
    assert.equal(writer.skipped, 2);
    assert.deepEqual(writer.outcome(MAX_IMAGES_PER_ANSWER), { problem: 'overLimit', type: 'png' });
    assert.equal(await writer.saveWhole({ bytes: PNG, format: 'png', mimeType: 'image/png' }), undefined);
    assert.equal(writer.skipped, 3);

    const roomy = recordingSink();
    const { writer: one } = await run(roomy, answer(inline(PNG)));
    const saved = await one.saveWhole({ bytes: JPEG, format: 'jpeg', mimeType: 'image/jpeg', link: 'https://cdn.example/a.jpg' });
    assert.ok(saved);
    assert.deepEqual({ ...saved, file: undefined }, { file: undefined, format: 'jpeg', mimeType: 'image/jpeg', size: JPEG.length, link: 'https://cdn.example/a.jpg' });
    assert.deepEqual(roomy.files[1].bytes, JPEG);
    assert.equal(roomy.files[1].ended, true);
    const plain = await one.saveWhole({ bytes: PNG, format: 'png', mimeType: 'image/png' });
    assert.equal(plain && 'link' in plain, false);
  });

  test('whole images count toward the cap like streamed ones; drafts that never had a file give back nothing', async () => {
    const sink = recordingSink();
    const writer = new ImageStreamWriter(sink, 'gw.example', 200);
    for (let i = 0; i < MAX_IMAGES_PER_ANSWER; i++) assert.ok(await writer.saveWhole({ bytes: PNG, format: 'png', mimeType: 'image/png' }));
    assert.equal(await writer.saveWhole({ bytes: PNG, format: 'png', mimeType: 'image/png' }), undefined);
    await writer.push(answer(inline(JPEG)));
    await writer.end();
    assert.deepEqual(writer.outcome(0), { problem: 'overLimit', type: 'jpeg' });
    assert.equal(sink.files.length, MAX_IMAGES_PER_ANSWER);

    const drafts = Array.from({ length: 5 }, () => `{"thought":true,${inline(PNG).slice(1)}`);
    const images = Array.from({ length: MAX_IMAGES_PER_ANSWER + 2 }, () => inline(PNG));
    const capped = recordingSink();
    const { writer: second } = await run(capped, ...split(answer(...drafts, ...images), 300));
    assert.equal(capped.files.length, MAX_IMAGES_PER_ANSWER);
    assert.equal(second.skipped, 2);
  });

  test('thousands of images cost no file past the cap and every outcome is still known', async () => {
    const parts = Array.from({ length: 2000 }, (_, index) => (index % 2 ? inline(PNG) : '{"text":"x"}'));
    const sink = recordingSink();
    const { writer } = await run(sink, ...split(answer(...parts), 4096));
    assert.equal(sink.files.length, MAX_IMAGES_PER_ANSWER);
    assert.equal(writer.skipped, 1000 - MAX_IMAGES_PER_ANSWER);
    assert.deepEqual(writer.outcome(999), { problem: 'overLimit', type: 'png' });
  });
});

describe('failures and cleanup', () => {
  test('an answer that is not JSON removes every file, takes no more bytes, and end() throws the parse error', async () => {
    const body = answer(inline(PNG), inline(JPEG));
    const sink = recordingSink();
    const writer = new ImageStreamWriter(sink, 'gw.example', 200);
    await writer.push(body.subarray(0, body.indexOf(inline(JPEG))));
    await writer.push(Buffer.from('}}} not json'));
    assert.equal(sink.files[0].aborted, 1);
    await writer.push(body.subarray(body.indexOf(inline(JPEG))));
    assert.equal(sink.files.length, 1, 'nothing more was parsed');
    await assert.rejects(writer.end(), (error: unknown) => error instanceof ImageError && error.kind === 'malformedAnswer' && /not JSON/.test(error.message));
  });

  test('a file-system failure while writing is a disk error naming the folder', async () => {
    const enospc = Object.assign(new Error('no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    for (const [place, named] of [['/work/images', '/work/images'], [undefined, 'the output folder']] as const) {
      const sink = recordingSink({ failWrite: enospc, ...(place ? { place } : {}) });
      await assert.rejects(run(sink, answer(inline(PNG))), (error: unknown) => {
        assert.ok(error instanceof ImageError);
        assert.equal(error.kind, 'disk');
        assert.equal(error.host, 'gw.example');
        assert.ok(error.message.includes(`could not be saved in ${named}: the disk is full`), error.message);
        return true;
      });
    }
    const eacces = Object.assign(new Error('permission denied, open'), { code: 'EACCES', syscall: 'open' });
    await assert.rejects(run(recordingSink({ failOpen: eacces, place: '/ro' }), answer(inline(PNG))), /could not be saved in \/ro: permission denied/);
    const other = new Error('not a file-system error');
    await assert.rejects(run(recordingSink({ failWrite: other }), answer(inline(PNG))), (error: unknown) => error === other);
  });

  test('abortAll removes every file opened (whole images too) except those kept, and waits for writes in flight', async () => {
    const sink = recordingSink();
    const { writer } = await run(sink, answer(inline(PNG), inline(JPEG)));
    await writer.saveWhole({ bytes: PNG, format: 'png', mimeType: 'image/png' });
    await writer.abortAll(new Set([sink.files[1]]));
    assert.deepEqual(sink.files.map((file) => file.aborted), [1, 0, 1]);
    await writer.abortAll();
    assert.deepEqual(sink.files.map((file) => file.aborted), [2, 1, 2]);
  });

  test('a file whose abort fails does not stop the others being removed', async () => {
    const aborted: string[] = [];
    const sink: ImageSink<ImageSinkFile> = {
      open: async (image) => ({
        write: async () => undefined,
        end: async () => undefined,
        abort: async () => {
          aborted.push(image.format);
          if (image.format === 'png') throw new Error('busy');
        },
      }),
    };
    const { writer } = await run(sink, answer(inline(PNG), inline(JPEG)));
    await writer.abortAll();
    assert.deepEqual(aborted.sort(), ['jpeg', 'png']);
  });
});

describe('writing in batches', () => {
  test('a file is removed only after the write in flight finished', async () => {
    const big = Buffer.concat([PNG.subarray(0, 64), Buffer.alloc(1_600_000, 9)]);
    const text = big.toString('base64');
    const body = answer(inline(`${text.slice(0, 2_000_000)}$${text.slice(2_000_000)}`));
    const cut = body.indexOf('$');
    const events: string[] = [];
    const sink: ImageSink<ImageSinkFile> = {
      open: async () => ({
        write: async () => {
          events.push('write started');
          await new Promise((resolve) => setTimeout(resolve, 20));
          events.push('write done');
        },
        end: async () => void events.push('end'),
        abort: async () => void events.push('abort'),
      }),
    };
    const writer = new ImageStreamWriter(sink, 'gw.example', 200);
    await writer.push(body.subarray(0, cut));
    await writer.push(body.subarray(cut));
    await writer.end();
    assert.deepEqual(writer.outcome(0), { problem: 'invalid' });
    assert.deepEqual(events.slice(-2), ['write done', 'abort'], events.join(', '));
    assert.ok(!events.includes('end'));
  });


  test('large images go out in batches of at least 1 MiB; writeMany is used for several pieces, write for one', async () => {
    const big = Buffer.concat([PNG.subarray(0, 64), Buffer.alloc(3_000_000, 7)]);
    const body = answer(inline(big));
    const calls: string[] = [];
    let total = 0;
    const sink: ImageSink<ImageSinkFile> = {
      open: async () => ({
        releasesBytes: true,
        write: async (bytes) => {
          calls.push(`write ${bytes.length}`);
          total += bytes.length;
        },
        writeMany: async (pieces) => {
          calls.push(`writeMany ${pieces.length}`);
          total += pieces.reduce((sum, piece) => sum + piece.length, 0);
        },
        end: async () => void calls.push('end'),
        abort: async () => undefined,
      }),
    };
    await run(sink, ...split(body, 100_000));
    assert.equal(total, big.length);
    assert.equal(calls.at(-1), 'end');
    const writes = calls.slice(0, -1);
    assert.ok(writes.length <= 4, `${writes.length} writes for 3 MB: ${writes.join(', ')}`);
    assert.ok(writes.some((call) => call.startsWith('writeMany')), writes.join(', '));
    assert.ok(writes.every((call) => !/^writeMany [01]$/.test(call)), writes.join(', '));
  });

  test('memory files keep the bytes, joined once; abort empties them', async () => {
    const { writer } = await run(memorySink, ...split(answer(inline(PNG)), 50));
    const outcome = writer.outcome(0);
    assert.ok('image' in outcome);
    const file = outcome.image.file;
    assert.ok(file instanceof MemoryImageFile);
    assert.deepEqual(Buffer.from(file.bytes), PNG);
    const single = new MemoryImageFile({ format: 'png', mimeType: 'image/png' });
    const only = new Uint8Array([1, 2, 3]);
    await single.write(only);
    await single.end();
    assert.equal(single.bytes, only, 'one piece is kept as it is');
    await single.abort();
    assert.equal(single.aborted, true);
    assert.equal(single.bytes.length, 0);
    const empty = new MemoryImageFile({ format: 'png', mimeType: 'image/png' });
    await empty.write(only);
    await empty.abort();
    await empty.end();
    assert.equal(empty.bytes.length, 0, 'nothing written before abort comes back');
  });
});
