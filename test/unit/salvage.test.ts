// An answer that breaks after an image arrived whole still hands that image over: an image that arrived is never lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ImageClient } from '../../src/core/imageClient';
import { MemoryImageFile, type ImageSink, type StreamedImage } from '../../src/core/streamSink';
import type { HttpResponse, Transport } from '../../src/core/transport';
import { SENTINEL_TOKEN } from '../sentinel';
import { testPng } from './fixtures/images';

/** A transport whose 200 answer stops after `cutAt` bytes with a connection reset, like a gateway dropping the socket. */
function brokenTransport(body: string, cutAt: number): Transport {
  return {
    async request(): Promise<HttpResponse> {
      async function* chunks(): AsyncIterable<Uint8Array> {
        const bytes = Buffer.from(body);
        for (let offset = 0; offset < cutAt; offset += 1000) yield bytes.subarray(offset, Math.min(cutAt, offset + 1000));
        throw Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
      }
      return { status: 200, headers: { 'content-type': 'application/json' }, body: chunks() };
    },
  };
}

test('the first of two images is handed over when the answer breaks during the second', async () => {
  const first = testPng(1000, 1, true);
  const second = testPng(1000, 1, true);
  const answer = JSON.stringify({
    candidates: [{ content: { role: 'model', parts: [
      { inlineData: { mimeType: 'image/png', data: first.toString('base64') } },
      { inlineData: { mimeType: 'image/png', data: second.toString('base64') } },
    ] }, finishReason: 'STOP' }],
  });
  const cutAt = answer.indexOf(second.toString('base64')) + 200;
  const salvaged: StreamedImage<MemoryImageFile>[] = [];
  const opened: MemoryImageFile[] = [];
  const sink: ImageSink<MemoryImageFile> = {
    open: async (image) => {
      const file = new MemoryImageFile(image);
      opened.push(file);
      return file;
    },
    salvage: async (image) => {
      salvaged.push(image);
    },
  };
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), error: (m: string) => lines.push(m) };
  const client = new ImageClient({ transport: brokenTransport(answer, cutAt), log });
  const job = { prompt: 'two images', references: [], model: 'gemini-2.5-flash-image', includeText: false };
  await assert.rejects(
    client.stream(job, { baseUrl: 'http://127.0.0.1:9', authHeader: 'bearer', timeoutSeconds: 10, maxRetries: 0 }, SENTINEL_TOKEN, undefined, sink),
    (error: Error) => !error.message.includes(SENTINEL_TOKEN),
  );
  assert.ok(first.length > 2000 && second.length > 2000, 'the fixture images are too small to be cut in the middle');
  assert.equal(salvaged.length, 1, 'the complete image was not handed over exactly once');
  assert.deepEqual(Buffer.from(salvaged[0].file.bytes), first);
  assert.equal(salvaged[0].file.aborted, false, 'the salvaged image was thrown away');
  assert.equal(opened.length, 2);
  assert.equal(opened[1].aborted, true, 'the broken second image was kept');
});

test('without a salvage hook every file of a broken answer is removed', async () => {
  const image = testPng(1000, 1, true);
  const answer = JSON.stringify({ candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: image.toString('base64') } }] } }] });
  const opened: MemoryImageFile[] = [];
  const sink: ImageSink<MemoryImageFile> = {
    open: async (meta) => {
      const file = new MemoryImageFile(meta);
      opened.push(file);
      return file;
    },
  };
  const log = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const client = new ImageClient({ transport: brokenTransport(answer, answer.length - 5), log });
  const job = { prompt: 'one image', references: [], model: 'gemini-2.5-flash-image', includeText: false };
  await assert.rejects(client.stream(job, { baseUrl: 'http://127.0.0.1:9', authHeader: 'bearer', timeoutSeconds: 10, maxRetries: 0 }, SENTINEL_TOKEN, undefined, sink));
  assert.equal(opened.length, 1);
  assert.equal(opened[0].aborted, true);
});
