// Saving a finished batch's results: keyless inline results matched by position, failures listed by line, and the
// warning for a result nobody asked for.
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { BatchResult, BatchStatus } from '../../src/core/batch/batchApi';
import { saveBatchResults, type BatchItemTarget, type SaveBatchDeps } from '../../src/core/batch/batchResults';
import type { ImageSinkFile } from '../../src/core/streamSink';
import { ImageClient } from '../../src/core/imageClient';
import { DiskImageStore } from '../../src/core/jobs/imageStore';
import { FakeClock, imageJob, provider, RecordingLog } from './fixtures/clientHarness';
import { testPng } from './fixtures/images';

function item(key: string, line: number): BatchItemTarget<string> {
  return { key, line, slug: `s${line}`, folder: '/out', job: imageJob() };
}

function deps(results: BatchResult[], log: RecordingLog): SaveBatchDeps<ImageSinkFile, string> {
  return {
    api: {
      results: async (_status, onResult) => {
        for (const result of results) await onResult(result);
      },
    },
    reader: { readAnswer: () => Promise.reject(new Error('not read')) },
    provider: provider('https://example.test'),
    token: 't',
    storeFor: () => {
      throw new Error('no store');
    },
    log,
  };
}

describe('batchResults: matching and reporting', () => {
  test('keyless inline results are matched by position, failures sorted by line', async () => {
    const results: BatchResult[] = [{ error: 'first refused' }, { error: 'second refused' }];
    const status: BatchStatus = { name: 'batches/a', state: 'succeeded', inlined: results };
    const log = new RecordingLog();
    const outcome = await saveBatchResults(status, [item('a', 7), item('b', 2)], deps(results, log));
    assert.deepEqual(outcome.failures, [
      { line: 2, message: 'second refused' },
      { line: 7, message: 'first refused' },
    ]);
    assert.deepEqual(log.lines, []);
  });

  test('a result for an unknown key is ignored with a warning naming the key (cut to 64 characters)', async () => {
    const log = new RecordingLog();
    const longKey = 'k'.repeat(70);
    const status: BatchStatus = { name: 'batches/a', state: 'succeeded', responsesFile: 'files/r' };
    const outcome = await saveBatchResults(status, [item('a', 1)], deps([{ key: longKey, error: 'x' }, { error: 'y' }, { key: 'a', error: 'z' }], log));
    assert.deepEqual(log.lines, [
      `warn Batch batches/a: a result for an unknown request (key "${'k'.repeat(64)}") was ignored`,
      'warn Batch batches/a: a result for an unknown request was ignored',
    ]);
    assert.deepEqual(outcome.failures, [{ line: 1, message: 'z' }]);
  });
});

describe('batchResults: each saved image is reported', () => {
  test('onSaved hears of the image the moment it is written', async () => {
    const folder = await fs.mkdtemp(path.join(os.tmpdir(), 'batch-results-mutants-'));
    try {
      const log = new RecordingLog();
      const png = testPng(4, 4).toString('base64');
      const results: BatchResult[] = [{ key: 'a', response: { candidates: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: png } }] } }] } }];
      const saved: string[] = [];
      const outcome = await saveBatchResults({ name: 'batches/a', state: 'succeeded', inlined: results }, [{ ...item('a', 1), folder }], {
        ...deps(results, log),
        reader: new ImageClient({ transport: undefined as never, log, clock: new FakeClock(), random: () => 0.5 }),
        storeFor: (where) => new DiskImageStore(where),
        onSaved: (file) => saved.push(file),
      } as SaveBatchDeps<ImageSinkFile, string>);
      assert.deepEqual(outcome.failures, []);
      assert.equal(outcome.files.length, 1);
      assert.deepEqual(saved, outcome.files);
    } finally {
      await fs.rm(folder, { recursive: true, force: true });
    }
  });
});
