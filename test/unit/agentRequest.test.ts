// What agents may ask for: checked before anything is read or sent, with messages naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { confirmationLines, describeAgentResult, fileStemOf, parseAgentRequest, stemFor } from '../../src/core/jobs/agentRequest';

test('a minimal request uses the settings for everything it leaves out', () => {
  const request = parseAgentRequest({ prompt: '  A lighthouse at dawn ' });
  assert.deepEqual(request, {
    prompt: 'A lighthouse at dawn',
    references: [],
    aspectRatio: undefined,
    imageSize: undefined,
    model: undefined,
    outputFolder: undefined,
    fileStem: undefined,
  });
  assert.equal(stemFor(request), 'a-lighthouse-at-dawn');
});

test('"auto" means the setting, and every chosen option is kept', () => {
  const request = parseAgentRequest({ prompt: 'p', aspectRatio: '16:9', imageSize: 'auto', model: 'gemini-3-pro-image', outputFolder: 'art', fileName: 'cover.png', references: ['a.png'] });
  assert.equal(request.aspectRatio, '16:9');
  assert.equal(request.imageSize, undefined);
  assert.equal(request.model, 'gemini-3-pro-image');
  assert.equal(request.outputFolder, 'art');
  assert.equal(stemFor(request), 'cover');
  assert.deepEqual(request.references, ['a.png']);
});

test('snake_case field names (the MCP tool) name themselves in messages', () => {
  const names = { prompt: 'prompt', references: 'references', aspectRatio: 'aspect_ratio', imageSize: 'image_size', model: 'model', outputFolder: 'output', fileName: 'file_name' };
  assert.equal(parseAgentRequest({ prompt: 'p', aspect_ratio: '1:1', file_name: 'x' }, names).aspectRatio, '1:1');
  assert.throws(() => parseAgentRequest({ prompt: 'p', file_name: '../x' }, names), /"file_name"/);
  assert.throws(() => parseAgentRequest({ prompt: 'p', aspect_ratio: 3 }, names), /"aspect_ratio"/);
});

test('bad input is refused with the field named', () => {
  assert.throws(() => parseAgentRequest('draw'), /object/);
  assert.throws(() => parseAgentRequest({ prompt: ' ' }), /"prompt"/);
  assert.throws(() => parseAgentRequest({ prompt: 'p', references: 'a.png' }), /"references"/);
  assert.throws(() => parseAgentRequest({ prompt: 'p', references: [''] }), /"references"/);
  assert.throws(() => parseAgentRequest({ prompt: 'p', references: Array.from({ length: 15 }, () => 'a.png') }), /at most 14/);
  assert.throws(() => parseAgentRequest({ prompt: 'p', model: '' }), /"model"/);
});

test('a file name is a name inside the folder, never a path', () => {
  assert.equal(fileStemOf('app-icon'), 'app-icon');
  assert.equal(fileStemOf('App Icon.JPG'), 'App Icon');
  assert.equal(fileStemOf('hero.webp'), 'hero');
  assert.equal(fileStemOf('notes.v2'), 'notes.v2');
  assert.equal(fileStemOf('con.png'), 'con-image');
  for (const bad of ['../x', 'a/b', 'a\\b', '..', '.', '.hidden', '.png', 'a:b', 'a?b', '/etc/passwd', 'x'.repeat(101)]) {
    assert.throws(() => fileStemOf(bad), Error, bad);
  }
});

test('the result names each file, the text, finish reason and usage', () => {
  const text = describeAgentResult({
    files: ['generated-images/cover.png', 'generated-images/cover-2.png'],
    texts: ['Here is ', 'your cover.'],
    finishReasons: ['STOP', 'STOP'],
    usage: { promptTokenCount: 10, candidatesTokenCount: 1290, totalTokenCount: 1300 },
    failures: [],
    model: 'gemini-3-pro-image',
  });
  assert.match(text, /Saved 2 images \(model gemini-3-pro-image\):\n- generated-images\/cover\.png\n- generated-images\/cover-2\.png/);
  assert.match(text, /The model said: Here is  your cover\./);
  assert.match(text, /Finish reason: STOP\n/);
  assert.match(text, /Usage: 10 prompt, 1290 output, 1300 total tokens/);
});

test('the confirmation shows the prompt, model and host, options, uploads and destination', () => {
  const request = parseAgentRequest({ prompt: 'An icon', aspectRatio: '1:1', references: ['images/a.png'] });
  const lines = confirmationLines({ request, model: 'gemini-3-pro-image', host: 'gateway.example:8443', uploads: ['images/a.png'], destination: 'art/an-icon.<png|jpg>' });
  assert.deepEqual(lines, [
    ['Prompt', 'An icon'],
    ['Model', 'gemini-3-pro-image at gateway.example:8443'],
    ['Options', 'aspect ratio 1:1'],
    ['Uploads', 'images/a.png'],
    ['Saves to', 'art/an-icon.<png|jpg>'],
  ]);
  const plain = confirmationLines({ request: parseAgentRequest({ prompt: 'p' }), model: 'm', host: 'h', uploads: [], destination: 'd' });
  assert.deepEqual(plain.map(([label]) => label), ['Prompt', 'Model', 'Uploads', 'Saves to']);
  assert.deepEqual(plain[2], ['Uploads', 'no images']);
});

test('the confirmation names the model auto will send, and says auto when the list could not be read', () => {
  const request = parseAgentRequest({ prompt: 'An icon' });
  const picked = confirmationLines({ request, model: 'auto', autoPick: 'gemini-3.1-flash-image', host: 'h', uploads: [], destination: 'd' });
  assert.deepEqual(picked[1], ['Model', 'gemini-3.1-flash-image (auto) at h']);
  const unknown = confirmationLines({ request, model: 'auto', host: 'h', uploads: [], destination: 'd' });
  assert.deepEqual(unknown[1], ['Model', 'auto at h']);
});

test('a preset is kept for the VS Code tool, shown in the confirmation, and not read where the tool has no such field', () => {
  const request = parseAgentRequest({ prompt: 'a paper plane', preset: ' App icon ' });
  assert.equal(request.preset, 'App icon');
  const lines = confirmationLines({ request, model: 'm', host: 'h', uploads: [], destination: 'd' });
  assert.deepEqual(lines[2], ['Preset', 'App icon']);
  assert.equal(parseAgentRequest({ prompt: 'p', preset: 'auto' }).preset, undefined);
  assert.throws(() => parseAgentRequest({ prompt: 'p', preset: 7 }), /"preset"/);
  // The MCP tool's field names have no preset: a stray one is not taken up.
  const names = { prompt: 'prompt', references: 'references', aspectRatio: 'aspect_ratio', imageSize: 'image_size', model: 'model', outputFolder: 'output', fileName: 'file_name' };
  assert.equal(parseAgentRequest({ prompt: 'p', preset: 'App icon' }, names).preset, undefined);
  assert.equal('preset' in parseAgentRequest({ prompt: 'p' }), false);
});
