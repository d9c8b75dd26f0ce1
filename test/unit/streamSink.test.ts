// Reuse of the decoder's memory: files that release their bytes get recycled blocks, and no byte is overwritten early.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Base64Stream } from '../../src/core/streamBase64';
import { ImageStreamWriter, type ImageSink, type ImageSinkFile } from '../../src/core/streamSink';

const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
/** Several decode blocks (1 MiB each), so blocks are retired and reused many times. */
const IMAGE = Buffer.concat([PNG_HEAD, randomBytes(5_300_000)]);

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function answerOf(image: Buffer): Buffer {
  return Buffer.from(`{"candidates":[{"content":{"parts":[{"text":"hi"},{"inlineData":{"mimeType":"image/png","data":"${image.toString('base64')}"}}]}}]}`);
}

/** Uneven chunks, as a socket might hand them out. */
function chunksOf(body: Buffer): Buffer[] {
  const sizes = [65536, 7, 300_001, 1, 4096, 1_500_000, 3];
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < body.length; i++) {
    const size = sizes[i % sizes.length];
    chunks.push(Buffer.from(body.subarray(at, at + size)));
    at += size;
  }
  return chunks;
}

/** Reads the bytes only when a write finishes (after a pause): memory reused too early would change the hash. */
class SlowHashFile implements ImageSinkFile {
  private readonly hash = createHash('sha256');
  size = 0;
  writes = 0;
  constructor(readonly releasesBytes: boolean) {}
  async write(bytes: Uint8Array): Promise<void> {
    await this.writeMany([bytes]);
  }
  async writeMany(pieces: readonly Uint8Array[]): Promise<void> {
    this.writes++;
    await new Promise((resolve) => setTimeout(resolve, 1));
    for (const piece of pieces) {
      this.hash.update(piece);
      this.size += piece.length;
    }
  }
  async end(): Promise<void> {}
  async abort(): Promise<void> {}
  digest(): string {
    return this.hash.digest('hex');
  }
}

async function streamInto(releasesBytes: boolean): Promise<SlowHashFile> {
  let file: SlowHashFile | undefined;
  const sink: ImageSink<SlowHashFile> = {
    open: async () => (file = new SlowHashFile(releasesBytes)),
  };
  const writer = new ImageStreamWriter(sink, 'test', 200);
  for (const chunk of chunksOf(answerOf(IMAGE))) await writer.push(chunk);
  await writer.end();
  const outcome = writer.outcome(0);
  assert.ok('image' in outcome);
  assert.ok(file);
  return file;
}

describe('decoder memory reuse', () => {
  test('a file that releases its bytes gets every byte intact, though blocks are reused while writes are in flight', async () => {
    const file = await streamInto(true);
    assert.equal(file.size, IMAGE.length);
    assert.equal(file.digest(), sha256(IMAGE));
    assert.ok(file.writes > 3);
  });

  test('a file that keeps references is never handed reused memory', async () => {
    const kept: Uint8Array[] = [];
    const sink: ImageSink<ImageSinkFile> = {
      open: async () => ({ write: async (bytes) => void kept.push(bytes), end: async () => undefined, abort: async () => undefined }),
    };
    const writer = new ImageStreamWriter(sink, 'test', 200);
    for (const chunk of chunksOf(answerOf(IMAGE))) await writer.push(chunk);
    await writer.end();
    assert.equal(sha256(Buffer.concat(kept)), sha256(IMAGE));
  });

  test('recycled ranges come back as later blocks; ranges still lent are never written over', () => {
    const data = new Base64Stream();
    data.recycleTaken();
    const text = IMAGE.toString('base64');
    const step = 1 << 20; // ~768 KiB decoded per feed
    const memories = new Set<ArrayBufferLike>();
    const lent: { at: number; piece: Buffer }[] = [];
    let at = 0;
    for (let batch = 0, from = 0; from < text.length; batch++, from += step) {
      data.feed(text.substring(from, from + step));
      const pieces = data.take(1);
      for (const piece of pieces) {
        memories.add(piece.buffer);
        // Every other batch stays lent for good; the rest are checked at once, then given back.
        if (batch % 2 === 1) lent.push({ at, piece });
        else assert.ok(piece.equals(IMAGE.subarray(at, at + piece.length)));
        at += piece.length;
      }
      if (batch % 2 === 0) data.recycle(pieces);
    }
    data.finish();
    for (const piece of data.take(0)) at += piece.length;
    assert.equal(at, IMAGE.length);
    for (const { at: offset, piece } of lent) assert.ok(piece.equals(IMAGE.subarray(offset, offset + piece.length)), `lent bytes at ${offset} were overwritten`);
    // Without reuse, 5.3 MB would take 7 blocks.
    assert.ok(memories.size < 7, `${memories.size} blocks for 5.3 MB: none was reused`);
  });
});
