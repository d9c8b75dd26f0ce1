// Saving a finished batch's results: keyless inline results matched by position, failures listed by line, and the
// warning for a result nobody asked for.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BatchResult, BatchStatus } from '../../src/core/batch/batchApi';
import { saveBatchResults, type BatchItemTarget, type SaveBatchDeps } from '../../src/core/batch/batchResults';
import type { ImageSinkFile } from '../../src/core/streamSink';
import { imageJob, provider, RecordingLog } from './fixtures/clientHarness';

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
