// Names of saved images: short, lowercase, safe on every OS, numbered instead of overwriting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { candidateName, extensionFor, slugFromPrompt } from '../../src/core/fileName';

test('the slug is the prompt in short lowercase words', () => {
  assert.equal(slugFromPrompt('A cyberpunk fox in the forest'), 'a-cyberpunk-fox-in-the-forest');
  assert.equal(slugFromPrompt('  Make the BACKGROUND transparent!!  '), 'make-the-background-transparent');
  assert.equal(slugFromPrompt('Crème brûlée on a café table'), 'creme-brulee-on-a-cafe-table');
});

test('the slug is cut at a word boundary and never longer than the limit', () => {
  const slug = slugFromPrompt('a very long prompt that goes on and on about many different things in great detail');
  assert.ok(slug.length <= 48, slug);
  assert.equal(slug, 'a-very-long-prompt-that-goes-on-and-on-about');
  assert.equal(slugFromPrompt('x'.repeat(100)).length, 48);
});

test('characters that are unsafe on Windows, macOS or Linux never reach the name', () => {
  const slug = slugFromPrompt('a/b\\c:d*e?f"g<h>i|j\u0000k. ..');
  assert.match(slug, /^[a-z0-9-]+$/);
  assert.ok(!slug.startsWith('-') && !slug.endsWith('-'));
  assert.equal(slugFromPrompt('../../etc/passwd'), 'etc-passwd');
});

test('reserved Windows device names and empty prompts get a usable name', () => {
  assert.equal(slugFromPrompt('CON'), 'con-image');
  assert.equal(slugFromPrompt('lpt1'), 'lpt1-image');
  assert.equal(slugFromPrompt('!!!'), 'image');
  assert.equal(slugFromPrompt('猫の絵'), 'image');
});

test('candidates count up from the plain name', () => {
  assert.equal(candidateName('fox', 'png', 1), 'fox.png');
  assert.equal(candidateName('fox', 'png', 2), 'fox-2.png');
  assert.equal(candidateName('fox', 'jpg', 3), 'fox-3.jpg');
  assert.equal(extensionFor('jpeg'), 'jpg');
  assert.equal(extensionFor('png'), 'png');
});
