// Outside text never becomes a clickable command link in a notification, and a bad model id is refused before sending.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ImageJob } from '../../src/core/imageJob';
import { notificationText } from '../../src/core/notificationText';
import { findJobProblems } from '../../src/core/validate';

/** What VS Code's notification renderer turns into a link: `[label](` then an https:, command: or file: target. */
const RENDERED_LINK = /\[[^\]]+\]\((?:https?:\/\/|command:|file:)[^)\s]+/i;

test('link-shaped outside text is shown as text, with everything else kept', () => {
  const hostile = 'Refused. [Click here to continue](command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D)';
  assert.ok(RENDERED_LINK.test(hostile), 'the pattern must recognise the hostile text in the first place');
  const shown = notificationText(hostile);
  assert.ok(!RENDERED_LINK.test(shown), shown);
  assert.equal(shown, 'Refused. [Click here to continue] (command:workbench.action.terminal.sendSequence?%7B%22text%22%3A%22rm%22%7D)');
  for (const variant of [
    '[a](https://evil.example/x)',
    '[a](file:///etc/passwd)',
    '[a]\u0000(command:x)',
    '[a]\u200b(command:x)',
    '[a](command:x)[b](command:y)',
    '[[a]](command:x)',
    '[a\n](command:x)',
  ]) {
    assert.ok(!RENDERED_LINK.test(notificationText(variant)), `${JSON.stringify(variant)} stayed a link`);
  }
});

test('line breaks become spaces, control characters go, long text is cut without splitting a character', () => {
  assert.equal(notificationText('one\r\ntwo\tthree\u0007'), 'one two three');
  assert.equal(notificationText('plain text (with parentheses) and [brackets]'), 'plain text (with parentheses) and [brackets]');
  const long = notificationText('🦊'.repeat(3000), 11);
  assert.ok(long.length <= 11, String(long.length));
  assert.ok(long.endsWith('…'));
  assert.doesNotMatch(long, /[\ud800-\udbff](?![\udc00-\udfff])/, 'a surrogate pair was split');
});

test('a model id with characters a model id cannot have is refused before anything is sent', () => {
  const job = (model: string): ImageJob => ({ prompt: 'a fox', references: [], model, includeText: true });
  const problems = findJobProblems(job('[x](command:workbench.action.quit)'));
  assert.equal(problems.length, 1);
  assert.match(problems[0], /geminiImage\.model.*cannot have/);
  assert.equal(findJobProblems(job('a'.repeat(70_000))).length, 1, 'a 70 KB model id must be refused');
  assert.match(findJobProblems(job('../../v1/files'))[0], /cannot have/);
  assert.deepEqual(findJobProblems(job('gemini-3-pro-image-preview')), []);
  assert.deepEqual(findJobProblems(job('models/my-gateway_model.v2')), []);
});
