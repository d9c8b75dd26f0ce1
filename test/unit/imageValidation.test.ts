// What is refused before sending (with a message saying what to change), the model table, and byte sniffing.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ImageJob } from '../../src/core/imageJob';
import { ASPECT_RATIOS, describeModel, IMAGE_SIZES, KNOWN_MODEL_IDS, maxRequestBytesFor } from '../../src/core/models';
import { mimeTypeOf, sniffImageType } from '../../src/core/sniff';
import { findJobProblems, validateJob } from '../../src/core/validate';
import { BMP_HEADER, ftyp, GIF_HEADER, reference, SVG_TEXT, TIFF_HEADER, TINY_PNG, tinyJpeg, WEBP_HEADER } from './fixtures/images';

function job(overrides: Partial<ImageJob>): ImageJob {
  return { prompt: 'a fox', references: [], model: 'gemini-2.5-flash-image', includeText: true, ...overrides };
}

describe('model table', () => {
  test('known models and what they take', () => {
    const flash = describeModel('gemini-2.5-flash-image');
    assert.equal(flash?.maxReferences, 3);
    assert.deepEqual(flash?.imageSizes, []);
    assert.equal(describeModel('gemini-3-pro-image-preview')?.maxReferences, 14);
    assert.deepEqual(describeModel('gemini-3-pro-image-preview')?.imageSizes, ['1K', '2K', '4K']);
    const flash31 = describeModel('gemini-3.1-flash-image-preview');
    assert.deepEqual(flash31?.imageSizes, ['512', '1K', '2K', '4K']);
    for (const ratio of ['1:4', '4:1', '1:8', '8:1']) {
      assert.ok(flash31?.aspectRatios.includes(ratio));
      assert.ok(!describeModel('gemini-3-pro-image-preview')?.aspectRatios.includes(ratio));
    }
    assert.equal(describeModel('gemini-3.1-flash-image-preview-512')?.fixedSize, '512');
    assert.equal(describeModel('gemini-3-pro-image-preview-4k')?.fixedSize, '4K');
    assert.equal(describeModel('models/gemini-3-pro-image-preview-2k')?.fixedSize, '2K');
    assert.equal(describeModel('my-gateway-model'), undefined);
  });

  test('picker lists hold every id and option of the spec', () => {
    for (const id of ['gemini-2.5-flash-image', 'gemini-3-pro-image-preview', 'gemini-3.1-flash-image-preview', 'gemini-2.0-flash-exp',
      'gemini-3-pro-image-preview-1k', 'gemini-3-pro-image-preview-2k', 'gemini-3-pro-image-preview-4k',
      'gemini-3.1-flash-image-preview-512', 'gemini-3.1-flash-image-preview-1k', 'gemini-3.1-flash-image-preview-2k', 'gemini-3.1-flash-image-preview-4k']) {
      assert.ok(KNOWN_MODEL_IDS.includes(id), id);
    }
    assert.equal(ASPECT_RATIOS.length, 14);
    assert.deepEqual(IMAGE_SIZES, ['512', '1K', '2K', '4K']);
  });
});

describe('sniffing', () => {
  test('each format from its magic bytes', () => {
    assert.equal(sniffImageType(TINY_PNG), 'png');
    assert.equal(sniffImageType(tinyJpeg()), 'jpeg');
    assert.equal(sniffImageType(WEBP_HEADER), 'webp');
    assert.equal(sniffImageType(GIF_HEADER), 'gif');
    assert.equal(sniffImageType(BMP_HEADER), 'bmp');
    assert.equal(sniffImageType(TIFF_HEADER), 'tiff');
    assert.equal(sniffImageType(SVG_TEXT), 'svg');
    assert.equal(sniffImageType(ftyp('heic', 'mif1', 'heic')), 'heic');
    assert.equal(sniffImageType(ftyp('mif1', 'mif1', 'heic')), 'heic');
    assert.equal(sniffImageType(ftyp('mif1', 'mif1')), 'heif');
    assert.equal(sniffImageType(ftyp('avif', 'mif1', 'avif')), undefined);
    assert.equal(sniffImageType(ftyp('isom', 'mp41')), undefined);
    assert.equal(sniffImageType(Buffer.from('hello world')), undefined);
    assert.equal(sniffImageType(new Uint8Array(0)), undefined);
  });

  test('mime types', () => {
    assert.equal(mimeTypeOf('png'), 'image/png');
    assert.equal(mimeTypeOf('jpeg'), 'image/jpeg');
    assert.equal(mimeTypeOf('heic'), 'image/heic');
    assert.equal(mimeTypeOf('svg'), 'image/svg+xml');
  });
});

describe('validation before sending', () => {
  test('a plain job passes', () => {
    assert.deepEqual(findJobProblems(job({ aspectRatio: '16:9' })), []);
    assert.doesNotThrow(() => validateJob(job({ references: [reference('a.png', TINY_PNG, 'image/png')] })));
  });

  test('empty prompt with no references', () => {
    assert.deepEqual(findJobProblems(job({ prompt: '   ' })), ['Write a prompt or add a reference image.']);
    assert.deepEqual(findJobProblems(job({ prompt: '', references: [reference('a.jpg', tinyJpeg())] })), []);
  });

  test('unsupported ratio names the choices and the model that takes it', () => {
    const [problem] = findJobProblems(job({ aspectRatio: '1:4' }));
    assert.match(problem, /gemini-2\.5-flash-image does not take aspect ratio 1:4/);
    assert.match(problem, /or auto/);
    // Hints name the models Google serves today, not the shut-down previews.
    assert.match(problem, /or use gemini-3\.1-flash-image\.$/);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3.1-flash-image-preview', aspectRatio: '1:4' })), []);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3.1-flash-image', aspectRatio: '8:1' })), []);
    assert.match(findJobProblems(job({ model: 'gemini-3-pro-image', aspectRatio: '8:1' }))[0], /gemini-3-pro-image does not take aspect ratio 8:1/);
  });

  test('unsupported size, size on a model without sizes, and a size conflicting with a suffix', () => {
    assert.match(findJobProblems(job({ imageSize: '2K' }))[0], /gemini-2\.5-flash-image has no size choice: set the size to auto/);
    assert.match(findJobProblems(job({ model: 'gemini-3-pro-image-preview', imageSize: '512' }))[0], /does not take size 512.*or use gemini-3\.1-flash-image\./);
    assert.match(findJobProblems(job({ model: 'gemini-3.1-flash-lite-image', imageSize: '2K' }))[0], /does not take size 2K: choose one of 1K or auto, or use gemini-3\.1-flash-image or gemini-3-pro-image\./);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3.1-flash-lite-image', imageSize: '1K' })), []);
    assert.match(findJobProblems(job({ model: 'gemini-3-pro-image-preview', imageSize: '2k' }))[0], /uppercase K: 2K/);
    const conflict = findJobProblems(job({ model: 'gemini-3-pro-image-preview-2k', imageSize: '4K' }))[0];
    assert.match(conflict, /always makes 2K images: set the size to auto or use gemini-3-pro-image-preview-4k/);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image-preview-2k', imageSize: '2K' })), []);
  });

  test('too many references says how many to remove', () => {
    const references = [1, 2, 3, 4, 5].map((n) => reference(`r${n}.jpg`, tinyJpeg(n * 10)));
    const [problem] = findJobProblems(job({ references }));
    assert.match(problem, /takes at most 3 reference images and this job has 5: remove 2 or use gemini-3\.1-flash-image or gemini-3-pro-image\.$/);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image-preview', references })), []);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image', references })), []);
  });

  test('unknown model ids pass unvalidated', () => {
    const references = [1, 2, 3, 4, 5].map((n) => reference(`r${n}.jpg`, tinyJpeg(n * 10)));
    assert.deepEqual(findJobProblems(job({ model: 'vendor-image-xl', aspectRatio: '7:3', imageSize: '8K', references })), []);
  });

  test('unsupported input types name the file and what to do', () => {
    const problems = findJobProblems(job({
      references: [reference('scan.bmp', BMP_HEADER), reference('logo.svg', SVG_TEXT), reference('anim.gif', GIF_HEADER)],
    }));
    assert.equal(problems.length, 3);
    assert.match(problems[0], /^scan\.bmp is a BMP image; references must be PNG, JPEG, WebP, HEIC or HEIF: convert it/);
    assert.match(problems[1], /^logo\.svg is a SVG image/);
    assert.match(problems[2], /^anim\.gif is a GIF image/);
    assert.match(findJobProblems(job({ references: [reference('notes.txt', Buffer.from('hello'))] }))[0], /notes\.txt is not an image/);
    assert.deepEqual(findJobProblems(job({ references: [reference('photo.heic', ftyp('heic', 'mif1'), 'image/heic'), reference('w.webp', WEBP_HEADER, 'image/webp')] })), []);
  });

  test('a request over 20 MB names the biggest images', () => {
    const big = (name: string, megabytes: number) => reference(name, Buffer.concat([tinyJpeg(), Buffer.alloc(megabytes * 1_000_000)]));
    const problems = findJobProblems(job({ model: 'gemini-3-pro-image-preview', references: [big('small.jpg', 1), big('huge.jpg', 9), big('large.jpg', 6)] }));
    assert.equal(problems.length, 1);
    assert.match(problems[0], /The request would be 21\.\d MB, over this provider's 20\.0 MB limit \(geminiImage\.maxRequestMB\); the biggest images are huge\.jpg \(9\.0 MB\), large\.jpg \(6\.0 MB\), small\.jpg/);
    assert.match(problems[0], /use fewer or smaller reference images/);
  });

  test("the size limit is the provider's: 100 MB on Google's API, 20 MB elsewhere, or the user's", () => {
    const big = (name: string, megabytes: number) => reference(name, Buffer.concat([tinyJpeg(), Buffer.alloc(megabytes * 1_000_000)]));
    const references = [big('a.jpg', 9), big('b.jpg', 9)]; // 24 MB once in base64
    const pro = job({ model: 'gemini-3-pro-image', references });
    assert.equal(maxRequestBytesFor('https://generativelanguage.googleapis.com'), 100_000_000);
    assert.equal(maxRequestBytesFor('https://api.ezmodel.cloud'), 20_000_000);
    assert.equal(maxRequestBytesFor('https://api.ezmodel.cloud', 50), 50_000_000);
    assert.deepEqual(findJobProblems(pro, maxRequestBytesFor('https://generativelanguage.googleapis.com/v1beta')), []);
    assert.match(findJobProblems(pro, maxRequestBytesFor('https://api.ezmodel.cloud'))[0], /over this provider's 20\.0 MB limit/);
    assert.deepEqual(findJobProblems(pro, maxRequestBytesFor('https://api.ezmodel.cloud', 30)), []);
    assert.match(findJobProblems(job({ model: 'gemini-3-pro-image', references: [...references, big('c.jpg', 60), big('d.jpg', 20)] }), 100_000_000)[0], /over this provider's 100\.0 MB limit/);
  });

  test('thinking level and grounding only where the model takes them', () => {
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3.1-flash-image', thinkingLevel: 'high', grounding: true })), []);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3.1-flash-image-preview-2k', thinkingLevel: 'minimal' })), []);
    assert.match(findJobProblems(job({ model: 'gemini-3.1-flash-image', thinkingLevel: 'medium' }))[0], /does not take thinking level medium: choose minimal or high/);
    assert.match(findJobProblems(job({ model: 'gemini-3-pro-image', thinkingLevel: 'high' }))[0], /gemini-3-pro-image has no thinking level to choose/);
    assert.deepEqual(findJobProblems(job({ model: 'gemini-3-pro-image', grounding: true })), []);
    assert.match(findJobProblems(job({ model: 'gemini-2.5-flash-image', grounding: true }))[0], /cannot search Google/);
    assert.deepEqual(findJobProblems(job({ model: 'vendor-image-xl', thinkingLevel: 'ultra', grounding: true })), []);
  });

  test('validateJob throws one invalidJob error with every problem', () => {
    assert.throws(
      () => validateJob(job({ prompt: '', aspectRatio: '8:1' }), 'api.example'),
      (error: Error & { kind?: string; host?: string }) =>
        error.kind === 'invalidJob' && error.host === 'api.example' && /Write a prompt/.test(error.message) && /8:1/.test(error.message),
    );
  });
});
