// The exact texts a user reads when a job is refused before sending, and the limits behind them (issue 15: the
// wording, joins and full stops of the suggestions, the cut of a long model id, the request size boundaries).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ImageJob } from '../../src/core/imageJob';
import { estimateRequestBytes, findJobProblems, referenceTooLarge, validateJob } from '../../src/core/validate';
import { BMP_HEADER, reference, TINY_PNG } from './fixtures/images';

function job(overrides: Partial<ImageJob>): ImageJob {
  return { prompt: 'a fox', references: [], model: 'gemini-2.5-flash-image', includeText: true, ...overrides };
}

/** A PNG reference of exactly `size` bytes (a real PNG header, then padding). */
function png(name: string, size: number) {
  return reference(name, Buffer.concat([TINY_PNG, Buffer.alloc(size - TINY_PNG.length)]), 'image/png');
}

const BASE_RATIOS = '1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9';

describe('the model id', () => {
  test('no model at all asks for one', () => {
    const text = 'Choose a model (geminiImage.model), for example gemini-3.1-flash-image, or auto.';
    for (const model of ['', '   ', 'models/']) assert.deepEqual(findJobProblems(job({ model })), [text], JSON.stringify(model));
  });

  test('a bad id is quoted whole up to 60 characters, cut with … after that', () => {
    const sixty = `gemini/${'x'.repeat(53)}`;
    assert.equal(sixty.length, 60);
    const rule = "(geminiImage.model) has characters a model id cannot have: use letters, digits, '.', '-' and '_' only.";
    assert.deepEqual(findJobProblems(job({ model: sixty })), [`The model id "${sixty}" ${rule}`]);
    assert.deepEqual(findJobProblems(job({ model: `${sixty}y` })), [`The model id "${sixty}…" ${rule}`]);
    assert.deepEqual(findJobProblems(job({ model: 'gemini 3' })), [`The model id "gemini 3" ${rule}`]);
    // 129 allowed characters are still too long for a model id.
    assert.deepEqual(findJobProblems(job({ model: 'a'.repeat(129) })), [`The model id "${'a'.repeat(60)}…" ${rule}`]);
    assert.deepEqual(findJobProblems(job({ model: 'a'.repeat(128) })), []);
  });
});

describe('options the model cannot take', () => {
  test('an aspect ratio: the model’s own list, then the model that takes it, or a full stop when none does', () => {
    assert.deepEqual(findJobProblems(job({ aspectRatio: '1:4' })), [
      `gemini-2.5-flash-image does not take aspect ratio 1:4: choose one of ${BASE_RATIOS} or auto, or use gemini-3.1-flash-image.`,
    ]);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image', aspectRatio: '7:3' })), [
      `gemini-3-pro-image does not take aspect ratio 7:3: choose one of ${BASE_RATIOS} or auto.`,
    ]);
    assert.deepEqual(findJobProblems(job({ aspectRatio: '' })), []);
  });

  test('a size on a size-suffixed model: the id with that size, or a full stop when there is none', () => {
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image-preview-2k', imageSize: '4K' })), [
      'gemini-3-pro-image-preview-2k always makes 2K images: set the size to auto or use gemini-3-pro-image-preview-4k.',
    ]);
    // No Pro id makes 512 images: the 3.1 Flash one of that size is not Pro and is not offered.
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image-preview-2k', imageSize: '512' })), [
      'gemini-3-pro-image-preview-2k always makes 2K images: set the size to auto.',
    ]);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3.1-flash-image-preview-4k', imageSize: '1K' })), [
      'gemini-3.1-flash-image-preview-4k always makes 4K images: set the size to auto or use gemini-3.1-flash-image-preview-1k.',
    ]);
    // A lowercase size still finds the id of that size (the suggestion compares sizes as the conflict check does).
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image-preview-2k', imageSize: '4k' })), [
      'gemini-3-pro-image-preview-2k always makes 2K images: set the size to auto or use gemini-3-pro-image-preview-4k.',
    ]);
    // Its own size, in either case, is no conflict.
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image-preview-2k', imageSize: '2k' })), []);
    assert.deepEqual(findJobProblems(job({ model: 'GEMINI-3-PRO-IMAGE-PREVIEW-2K', imageSize: '2K' })), []);
  });

  test('a size on a model without sizes: every model that takes it, joined by "or"', () => {
    assert.deepEqual(findJobProblems(job({ imageSize: '2K' })), [
      'gemini-2.5-flash-image has no size choice: set the size to auto or use gemini-3.1-flash-image or gemini-3-pro-image.',
    ]);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-2.0-flash-exp', imageSize: '1K' })), [
      'gemini-2.0-flash-exp has no size choice: set the size to auto or use gemini-3.1-flash-image or gemini-3-pro-image or gemini-3.1-flash-lite-image.',
    ]);
    assert.deepEqual(findJobProblems(job({ imageSize: '8K' })), ['gemini-2.5-flash-image has no size choice: set the size to auto.']);
  });

  test('a size the model does not take: its sizes, the uppercase-K hint, the models that take it', () => {
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image-preview', imageSize: '512' })), [
      'gemini-3-pro-image-preview does not take size 512: choose one of 1K, 2K, 4K or auto, or use gemini-3.1-flash-image.',
    ]);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3.1-flash-lite-image', imageSize: '4K' })), [
      'gemini-3.1-flash-lite-image does not take size 4K: choose one of 1K or auto, or use gemini-3.1-flash-image or gemini-3-pro-image.',
    ]);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image', imageSize: '2k' })), [
      'gemini-3-pro-image does not take size 2k (sizes use an uppercase K: 2K): choose one of 1K, 2K, 4K or auto.',
    ]);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image', imageSize: '8K' })), [
      'gemini-3-pro-image does not take size 8K: choose one of 1K, 2K, 4K or auto.',
    ]);
  });

  test('thinking level and grounding', () => {
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3.1-flash-image', thinkingLevel: 'medium' })), [
      'gemini-3.1-flash-image does not take thinking level medium: choose minimal or high, or auto.',
    ]);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image', thinkingLevel: 'high' })), [
      'gemini-3-pro-image has no thinking level to choose: set it to auto.',
    ]);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image', thinkingLevel: '' })), []);
    assert.deepEqual(findJobProblems(job({ grounding: true })), [
      'gemini-2.5-flash-image cannot search Google while it draws: turn grounding off, or use gemini-3.1-flash-image or gemini-3-pro-image.',
    ]);
    assert.deepEqual(findJobProblems(job({ grounding: false })), []);
  });

  test('too many references: how many to remove, and the bigger models only when they take them all', () => {
    const images = (count: number) => Array.from({ length: count }, (_, index) => png(`r${index + 1}.png`, 100));
    assert.deepEqual(findJobProblems(job({ references: images(3) })), []);
    assert.deepEqual(findJobProblems(job({ references: images(4) })), [
      'gemini-2.5-flash-image takes at most 3 reference images and this job has 4: remove 1 or use gemini-3.1-flash-image or gemini-3-pro-image.',
    ]);
    // 14 is exactly what the bigger models take.
    assert.deepEqual(findJobProblems(job({ references: images(14) })), [
      'gemini-2.5-flash-image takes at most 3 reference images and this job has 14: remove 11 or use gemini-3.1-flash-image or gemini-3-pro-image.',
    ]);
    assert.deepEqual(findJobProblems(job({ references: images(15) })), [
      'gemini-2.5-flash-image takes at most 3 reference images and this job has 15: remove 12.',
    ]);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image', references: images(14) })), []);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image', references: images(15) })), [
      'gemini-3-pro-image takes at most 14 reference images and this job has 15: remove 1.',
    ]);
  });
});

describe('reference types', () => {
  test('empty, unsupported and unknown files, each named with what to do', () => {
    const advice = 'references must be PNG, JPEG, WebP, HEIC or HEIF: convert it (for example to PNG) or remove it.';
    assert.deepEqual(
      findJobProblems(job({ model: 'gemini-3-pro-image', references: [png('ok.png', 100), reference('blank.png', new Uint8Array(0)), reference('scan.bmp', BMP_HEADER), reference('notes.txt', Buffer.from('hello'))] })),
      [`blank.png is empty; ${advice}`, `scan.bmp is a BMP image; ${advice}`, `notes.txt is not an image the API knows; ${advice}`],
    );
  });
});

describe('request size', () => {
  test('the estimate: prompt and earlier turns in UTF-8 bytes, images in base64, plus room for the JSON', () => {
    assert.equal(estimateRequestBytes(job({ prompt: '' })), 1024);
    assert.equal(estimateRequestBytes(job({ prompt: 'é' })), 1026);
    // base64: 1 byte → 4, 3 → 4, 4 → 8.
    assert.equal(estimateRequestBytes(job({ prompt: '', references: [png('a.png', 100)] })), 1024 + 136);
    assert.equal(estimateRequestBytes(job({ prompt: '', references: [png('a.png', 101), png('b.png', 102)] })), 1024 + 136 + 136);
    assert.equal(estimateRequestBytes(job({ prompt: '', references: [png('a.png', 103)] })), 1024 + 140);
    // [{"role":"user","parts":[{"text":"hé"}]}] is 42 bytes.
    assert.equal(estimateRequestBytes(job({ prompt: '', history: [{ role: 'user', parts: [{ text: 'hé' }] }] })), 1024 + 42);
  });

  test('a request exactly at the limit passes; one byte over is refused with its size and the limit', () => {
    // 'a fox' is 5 bytes: 1029 with the JSON room.
    assert.deepEqual(findJobProblems(job({}), 1029), []);
    assert.deepEqual(findJobProblems(job({}), 1028), [
      "The request would be 1.0 KB, over this provider's 1.0 KB limit (geminiImage.maxRequestMB): use fewer or smaller reference images (images grow by a third when sent).",
    ]);
    assert.deepEqual(findJobProblems(job({ history: [{ role: 'user', parts: [{ text: 'hé' }] }] }), 1028), [
      "The request would be 1.1 KB including the earlier turns of this refinement, over this provider's 1.0 KB limit (geminiImage.maxRequestMB): use fewer or smaller reference images (images grow by a third when sent).",
    ]);
  });

  test('the three biggest images are named, biggest first', () => {
    const references = [png('a.png', 3000), png('b.png', 6000), png('d.png', 1500), png('c.png', 9000)];
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image', references }), 20_000), [
      "The request would be 27.0 KB, over this provider's 20.0 KB limit (geminiImage.maxRequestMB); the biggest images are c.png (9.0 KB), b.png (6.0 KB), a.png (3.0 KB): use fewer or smaller reference images (images grow by a third when sent).",
    ]);
    // The job's own list keeps its order.
    assert.deepEqual(references.map((image) => image.name), ['a.png', 'b.png', 'd.png', 'c.png']);
  });

  test('the default limit is the gateways’ 20 MB', () => {
    const justUnder = png('big.png', 14_999_232); // 19,998,976 bytes in base64 + 1024: exactly 20 MB without a prompt
    assert.equal(estimateRequestBytes(job({ prompt: '', references: [justUnder] })), 20_000_000);
    assert.deepEqual(findJobProblems(job({ prompt: '', references: [justUnder] })), []);
    assert.equal(findJobProblems(job({ references: [justUnder] })).length, 1);
  });

  test('one image too large to ever send, checked from its size before it is read', () => {
    // 3 bytes are 4 in base64: 1028 with the JSON room.
    assert.equal(referenceTooLarge('a.png', 3, 1028), undefined);
    assert.equal(
      referenceTooLarge('a.png', 4, 1028),
      'a.png is 4 bytes, too large to send: this provider takes at most 1.0 KB a request and images grow by a third when sent. Use a smaller or compressed copy of the image.',
    );
    assert.equal(referenceTooLarge('big.png', 14_999_232), undefined);
    assert.equal(
      referenceTooLarge('big.png', 14_999_233),
      'big.png is 15.0 MB, too large to send: this provider takes at most 20.0 MB a request and images grow by a third when sent. Use a smaller or compressed copy of the image.',
    );
  });
});

describe('validateJob', () => {
  test('one invalidJob error whose message is every problem, separated by a space', () => {
    assert.throws(
      () => validateJob(job({ prompt: '', grounding: true })),
      (error: Error & { kind?: string; host?: string }) => {
        assert.equal(error.kind, 'invalidJob');
        assert.equal(error.host, '');
        assert.equal(
          error.message,
          'Write a prompt or add a reference image. gemini-2.5-flash-image cannot search Google while it draws: turn grounding off, or use gemini-3.1-flash-image or gemini-3-pro-image.',
        );
        return true;
      },
    );
    assert.throws(() => validateJob(job({}), 'api.example', 1028), /over this provider's 1\.0 KB limit/);
    assert.doesNotThrow(() => validateJob(job({}), 'api.example', 1029));
  });
});
