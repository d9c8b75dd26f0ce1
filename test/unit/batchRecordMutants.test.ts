// What a reload keeps of a running batch: every job option survives the round trip, and a workspace-state record
// that is malformed in any single field is dropped rather than trusted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readRememberedBatches, rememberItem, restoreItems } from '../../src/core/batch/batchRecord';
import type { BatchItemTarget } from '../../src/core/batch/batchResults';

const fullItem: BatchItemTarget<string> = {
  key: 'k1',
  line: 3,
  slug: 'cat',
  folder: '/out',
  job: {
    prompt: 'a cat',
    model: 'gemini-3-pro-image-preview',
    aspectRatio: '16:9',
    imageSize: '2K',
    outputFormat: 'jpeg',
    thinkingLevel: 'high',
    grounding: true,
    includeText: false,
    references: [{ name: 'ref.png', bytes: new Uint8Array([1, 2]), mimeType: 'image/png' }],
  },
};

function goodItem(): Record<string, unknown> {
  return JSON.parse(JSON.stringify(rememberItem(fullItem, (f) => f))) as Record<string, unknown>;
}
function goodBatch(items: unknown[] = [goodItem()]): Record<string, unknown> {
  return { name: 'batches/abc_D-9', baseUrl: 'https://x', model: 'm', displayName: 'd', submittedAt: 't', items };
}
const accepted = (batch: unknown): boolean => readRememberedBatches([batch]).length === 1;
const withJob = (patch: Record<string, unknown>): Record<string, unknown> => {
  const item = goodItem();
  return { ...item, job: { ...(item.job as Record<string, unknown>), ...patch } };
};

describe('batchRecord: remembering and restoring every job option', () => {
  test('all options of a job come back after a JSON round trip', () => {
    const remembered = rememberItem(fullItem, (f) => `uri:${f}`);
    assert.deepEqual(remembered.job, {
      prompt: 'a cat',
      model: 'gemini-3-pro-image-preview',
      aspectRatio: '16:9',
      imageSize: '2K',
      outputFormat: 'jpeg',
      thinkingLevel: 'high',
      grounding: true,
      includeText: false,
      references: ['ref.png'],
    });
    assert.equal(remembered.folder, 'uri:/out');
    const [read] = readRememberedBatches([JSON.parse(JSON.stringify(goodBatch([remembered])))]);
    const [restored] = restoreItems(read, (t) => t);
    assert.equal(restored.job.outputFormat, 'jpeg');
    assert.equal(restored.job.grounding, true);
    assert.deepEqual(restored.job.references, [{ name: 'ref.png', bytes: new Uint8Array(0), mimeType: 'application/octet-stream' }]);
  });

  test('absent options stay absent', () => {
    const plain = rememberItem({ ...fullItem, job: { prompt: 'p', model: 'm', includeText: true, references: [] } }, (f) => f);
    assert.deepEqual(plain.job, { prompt: 'p', model: 'm', includeText: true, references: [] });
  });
});

describe('batchRecord: a malformed record is dropped', () => {
  test('a complete record (png or jpeg, with or without grounding and prompts file) is accepted', () => {
    assert.equal(accepted(goodBatch()), true);
    assert.equal(accepted(goodBatch([withJob({ outputFormat: 'png' })])), true);
    assert.equal(accepted(goodBatch([withJob({ outputFormat: undefined, grounding: false })])), true);
    assert.equal(accepted({ ...goodBatch(), promptsFile: 'file:///p.prompts' }), true);
    assert.equal(accepted(goodBatch([])), true);
  });

  test('not an array, not an object, null or an array as record', () => {
    assert.deepEqual(readRememberedBatches({}), []);
    assert.deepEqual(readRememberedBatches([null, 'x', [goodBatch()], 5]), []);
  });

  for (const name of ['x/batches/abc', 'batches/abc/extra', 'batches/', 'batches/a b', 7]) {
    test(`name ${JSON.stringify(name)} is refused`, () => assert.equal(accepted({ ...goodBatch(), name }), false));
  }
  test('a 128-character id is accepted, 129 refused', () => {
    assert.equal(accepted({ ...goodBatch(), name: `batches/${'a'.repeat(128)}` }), true);
    assert.equal(accepted({ ...goodBatch(), name: `batches/${'a'.repeat(129)}` }), false);
  });
  for (const field of ['baseUrl', 'model', 'displayName', 'submittedAt']) {
    test(`batch ${field} not text is refused`, () => assert.equal(accepted({ ...goodBatch(), [field]: 1 }), false));
  }
  test('promptsFile not text is refused', () => assert.equal(accepted({ ...goodBatch(), promptsFile: 3 }), false));
  test('items not an array is refused', () => assert.equal(accepted({ ...goodBatch(), items: {} }), false));
  test('one bad item among good ones refuses the batch', () => {
    assert.equal(accepted(goodBatch([goodItem(), { ...goodItem(), key: 1 }])), false);
  });

  for (const [field, value] of [['key', 1], ['line', '3'], ['slug', null], ['folder', 2], ['preset', 4], ['background', 'white'], ['job', [1]], ['job', null]] as const) {
    test(`item ${field}=${JSON.stringify(value)} is refused`, () => assert.equal(accepted(goodBatch([{ ...goodItem(), [field]: value }])), false));
  }
  test('an item missing one field is refused', () => {
    for (const field of ['key', 'line', 'slug', 'folder']) {
      const item = goodItem();
      delete item[field];
      assert.equal(accepted(goodBatch([item])), false, field);
    }
  });
  for (const [field, value] of [
    ['prompt', 1], ['model', undefined], ['aspectRatio', 1], ['imageSize', 2], ['outputFormat', 'gif'], ['outputFormat', ''],
    ['thinkingLevel', 3], ['grounding', 'yes'], ['includeText', undefined], ['references', 'ref.png'], ['references', ['a', 2]],
  ] as const) {
    test(`job ${field}=${JSON.stringify(value)} is refused`, () => assert.equal(accepted(goodBatch([withJob({ [field]: value })])), false));
  }
});
