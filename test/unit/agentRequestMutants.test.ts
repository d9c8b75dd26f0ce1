// An agent's request at its limits and with odd input (null, numbers, blanks), and the exact texts the agent and the
// person approving the request read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confirmationLines, describeAgentResult, fileStemOf, parseAgentRequest } from '../../src/core/jobs/agentRequest';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  assert.fail('accepted');
}

test('an input that is not an object is refused with what to send', () => {
  for (const raw of [null, undefined, 'a fox', ['a fox']]) {
    assert.equal(refusal(() => parseAgentRequest(raw)), 'The input must be an object with at least a "prompt".', String(raw));
  }
});

test('references: each must be a non-blank path; they are trimmed; 14 at most', () => {
  const listRefusal = '"references" must be a list of image file paths.';
  assert.equal(refusal(() => parseAgentRequest({ prompt: 'a fox', references: [42] })), listRefusal);
  assert.equal(refusal(() => parseAgentRequest({ prompt: 'a fox', references: ['a.png', '   '] })), listRefusal);
  assert.equal(refusal(() => parseAgentRequest({ prompt: 'a fox', references: 'a.png' })), listRefusal);
  assert.deepEqual(parseAgentRequest({ prompt: 'a fox', references: ['  photos/a.png  '] }).references, ['photos/a.png']);
  const paths = (count: number) => Array.from({ length: count }, (_, index) => `ref-${index}.png`);
  assert.equal(parseAgentRequest({ prompt: 'a fox', references: paths(14) }).references.length, 14);
  assert.equal(refusal(() => parseAgentRequest({ prompt: 'a fox', references: paths(15) })), '"references" has 15 images; at most 14 can be sent.');
});

test('an option sent as null or "auto" is left out; a blank one is refused', () => {
  const request = parseAgentRequest({ prompt: 'a fox', aspectRatio: null, imageSize: 'auto', model: ' gemini-3-pro-image-preview ' });
  assert.equal(request.aspectRatio, undefined);
  assert.equal(request.imageSize, undefined);
  assert.equal(request.model, 'gemini-3-pro-image-preview');
  assert.equal(refusal(() => parseAgentRequest({ prompt: 'a fox', imageSize: '   ' })), '"imageSize" must be a non-empty string (or left out).');
  assert.equal(refusal(() => parseAgentRequest({ prompt: 'a fox', imageSize: 2 })), '"imageSize" must be a non-empty string (or left out).');
});

test('file names: trimmed, trailing dots and spaces dropped, refusals name the field and the name', () => {
  assert.equal(fileStemOf('  App Icon.png  '), 'App Icon');
  assert.equal(fileStemOf('cover..'), 'cover');
  assert.equal(fileStemOf('cover. .'), 'cover');
  assert.equal(refusal(() => fileStemOf('.png')), '"fileName" ".png" is not a usable file name.');
  assert.equal(refusal(() => fileStemOf('...')), '"fileName" "..." is not a usable file name.');
  assert.equal(refusal(() => fileStemOf('.hidden', 'file_name')), '"file_name" ".hidden" is not a usable file name.');
  assert.equal(refusal(() => fileStemOf('a<b.png')), '"fileName" "a<b.png" has characters that are not allowed in file names.');
  assert.equal(fileStemOf(`${'a'.repeat(100)}.png`), 'a'.repeat(100));
  assert.equal(refusal(() => fileStemOf(`${'a'.repeat(101)}.png`)), '"fileName" is longer than 100 characters.');
  assert.equal(refusal(() => parseAgentRequest({ prompt: 'a fox', fileName: '.png' })), '"fileName" ".png" is not a usable file name.');
});

const CLOSING = 'Reference a file by its path, e.g. in Markdown: ![description](path).';

test('the result text for one image with nothing else to say', () => {
  assert.equal(
    describeAgentResult({ files: ['images/fox.png'], texts: [], finishReasons: [], failures: [], model: 'gemini-2.5-flash-image' }),
    ['Saved one image (model gemini-2.5-flash-image):', '- images/fox.png', CLOSING].join('\n'),
  );
  // Blank texts and a usage without counts add nothing either.
  assert.equal(
    describeAgentResult({ files: ['images/fox.png'], texts: ['  ', ''], finishReasons: [], usage: {}, failures: [], model: 'm' }),
    ['Saved one image (model m):', '- images/fox.png', CLOSING].join('\n'),
  );
});

test('the result text with texts, finish reasons, partial usage, notes and failures', () => {
  assert.equal(
    describeAgentResult({
      files: ['a.png', 'a-2.png'],
      texts: ['  Here is your fox.', 'Enjoy!  '],
      finishReasons: ['STOP', 'STOP', 'MAX_TOKENS'],
      usage: { totalTokenCount: 2600 },
      failures: ['The model at 127.0.0.1 answered without an image.'],
      warnings: ['a-2.png kept its magenta background.'],
      model: 'm',
    }),
    [
      'Saved 2 images (model m):',
      '- a.png',
      '- a-2.png',
      'The model said: Here is your fox. Enjoy!',
      'Finish reason: STOP, MAX_TOKENS',
      'Usage: 2600 total tokens',
      'Note: a-2.png kept its magenta background.',
      'Another request failed: The model at 127.0.0.1 answered without an image.',
      CLOSING,
    ].join('\n'),
  );
  assert.match(describeAgentResult({ files: ['a.png'], texts: [], finishReasons: [], usage: { promptTokenCount: 7, candidatesTokenCount: 1290 }, failures: [], model: 'm' }), /^Usage: 7 prompt, 1290 output tokens$/m);
});

test('the confirmation lists every option, and says when nothing is uploaded', () => {
  const lines = confirmationLines({
    request: parseAgentRequest({ prompt: 'a fox', aspectRatio: '16:9', imageSize: '2K', background: 'transparent' }),
    model: 'gemini-3-pro-image-preview',
    host: 'generativelanguage.googleapis.com',
    uploads: [],
    destination: 'images/a-fox.png',
  });
  assert.deepEqual(lines, [
    ['Prompt', 'a fox'],
    ['Model', 'gemini-3-pro-image-preview at generativelanguage.googleapis.com'],
    ['Options', 'aspect ratio 16:9, size 2K, transparent background'],
    ['Uploads', 'no images'],
    ['Saves to', 'images/a-fox.png'],
  ]);
  const sized = confirmationLines({ request: parseAgentRequest({ prompt: 'a fox', imageSize: '4K' }), model: 'm', host: 'h', uploads: ['a.png', 'b.png'], destination: 'd' });
  assert.deepEqual(sized.slice(2, 4), [['Options', 'size 4K'], ['Uploads', 'a.png, b.png']]);
});
