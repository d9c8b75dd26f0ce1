// Generate from a selection: the default preset, the alt text and the link inserted after the selection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { altTextFrom, defaultPresetFor, imageLinkText, linkStyleFor, relativeTarget } from '../../src/core/selectionImage';

test('code and diagram sources default to Diagram; prose asks', () => {
  assert.equal(defaultPresetFor('typescript', 'function add(a, b) { return a + b; }'), 'Diagram');
  assert.equal(defaultPresetFor('python', 'a cat'), 'Diagram');
  assert.equal(defaultPresetFor('markdown', '```mermaid\ngraph TD; A-->B\n```'), 'Diagram');
  assert.equal(defaultPresetFor('markdown', '@startuml\nAlice -> Bob\n@enduml'), 'Diagram');
  assert.equal(defaultPresetFor('plaintext', 'sequenceDiagram\n A->>B: hi'), 'Diagram');
  assert.equal(defaultPresetFor('markdown', 'A lighthouse at dawn over a calm sea'), undefined);
  assert.equal(defaultPresetFor('html', 'A graph of sales'), undefined);
});

test('the link style follows the language', () => {
  assert.equal(linkStyleFor('markdown'), 'markdown');
  assert.equal(linkStyleFor('mdx'), 'markdown');
  assert.equal(linkStyleFor('html'), 'html');
  assert.equal(linkStyleFor('typescript'), undefined);
});

test('alt text is the first meaningful line without punctuation, cut at a word', () => {
  assert.equal(altTextFrom('```mermaid\ngraph TD; A-->B\n```'), 'graph TD; A-- B');
  assert.equal(altTextFrom('  **A [bold] lighthouse**  at dawn '), 'A bold lighthouse at dawn');
  const long = altTextFrom('word '.repeat(60), 30);
  assert.ok(long.length <= 31 && long.endsWith('…') && !long.includes('wor…'), long);
  assert.equal(altTextFrom('```\n```'), 'Generated image');
});

test('links are escaped for their language', () => {
  assert.equal(imageLinkText('markdown', 'a [b] c', 'img/x.png'), '![a \\[b\\] c](img/x.png)');
  assert.equal(imageLinkText('markdown', 'x', 'my dir/x (1).png'), '![x](<my dir/x (1).png>)');
  assert.equal(imageLinkText('html', 'a "quoted" <b>', 'img/x&y.png'), '<img src="img/x&amp;y.png" alt="a &quot;quoted&quot; &lt;b&gt;">');
});

test('relative targets go up and down from the document', () => {
  assert.equal(relativeTarget('/ws/docs/guide.md', '/ws/generated-images/a fox.png'), '../generated-images/a%20fox.png');
  assert.equal(relativeTarget('/ws/README.md', '/ws/generated-images/fox.png'), 'generated-images/fox.png');
  assert.equal(relativeTarget('/ws/docs/a/b.md', '/ws/docs/a/img.png'), 'img.png');
});
