// The manifest and the code agree: every command id in the typed table is contributed, and vice versa.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CommandIds } from '../../src/commands/ids';

interface Manifest {
  name: string;
  engines: { vscode: string };
  contributes: {
    commands: { command: string; title: string; category: string }[];
    configuration: { properties: Record<string, { markdownDescription?: string; enum?: string[]; enumDescriptions?: string[] }> };
  };
}

const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as Manifest;

test('every command in the typed table is contributed with the Gemini Image category', () => {
  const contributed = manifest.contributes.commands.map((command) => command.command).sort();
  assert.deepEqual(contributed, Object.values(CommandIds).sort());
  for (const command of manifest.contributes.commands) assert.equal(command.category, 'Gemini Image', command.command);
});

test('the extension id and engine match the spec', () => {
  assert.equal(manifest.name, 'gemini-image-studio');
  assert.equal(manifest.engines.vscode, '^1.100.0');
});

test('every setting has a markdownDescription and every enum has enumDescriptions', () => {
  for (const [key, property] of Object.entries(manifest.contributes.configuration.properties)) {
    assert.ok(key.startsWith('geminiImage.'), key);
    assert.ok(property.markdownDescription, `${key} has no markdownDescription`);
    if (property.enum) assert.equal(property.enumDescriptions?.length, property.enum.length, `${key} enumDescriptions`);
  }
});

interface Walkthrough {
  id: string;
  steps: { id: string; title: string; description: string; media: { markdown?: string; image?: string }; completionEvents?: string[] }[];
}

test('the walkthrough teaches the first run: API key (where, billing, gateways), first image, Explorer edit, panel', () => {
  const walkthroughs = (manifest.contributes as unknown as { walkthroughs: Walkthrough[] }).walkthroughs;
  assert.equal(walkthroughs.length, 1);
  const steps = walkthroughs[0].steps;
  assert.deepEqual(steps.map((step) => step.id), ['setApiKey', 'generateFirstImage', 'editFromExplorer', 'openPanel']);
  const key = steps[0].description;
  assert.match(key, /https:\/\/aistudio\.google\.com\/apikey/);
  assert.match(key, /billing/i);
  assert.match(key, /gateway/i);
  assert.match(key, /command:geminiImage\.setToken/);
  assert.deepEqual(steps.map((step) => step.completionEvents?.[0]), [
    'onCommand:geminiImage.setToken',
    'onCommand:geminiImage.generate',
    'onCommand:geminiImage.editImage',
    'onView:geminiImage.panel',
  ]);
  const root = join(__dirname, '..', '..');
  for (const step of steps) {
    const media = step.media.markdown ?? step.media.image;
    assert.ok(media?.startsWith('media/walkthrough/'), `${step.id} has no media in media/walkthrough/`);
    if (!media) continue;
    assert.ok(readFileSync(join(root, media)).length > 0, `${media} is empty`);
  }
});

test('the token commands say API Key and still answer to "token"', () => {
  const title = (id: string) => manifest.contributes.commands.find((command) => command.command === id)?.title ?? '';
  assert.match(title('geminiImage.setToken'), /^Set API Key\b.*Token/);
  assert.equal(title('geminiImage.clearToken'), 'Clear API Key');
});
