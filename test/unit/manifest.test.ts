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
