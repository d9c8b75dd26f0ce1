// Reads the presets a run may use (built-in, user and workspace settings) and applies one to a generation request.
import * as vscode from 'vscode';
import { allPresets, applyPreset, findPreset, unknownPresetMessage, type ParsedPresets } from './core/presets';
import type { GenerationRequest } from './generation';
import { SECTION } from './settings';

/** Built-ins, then the user's, then the workspace's presets, with a sentence for each refused entry. */
export function readPresets(): ParsedPresets {
  const inspected = vscode.workspace.getConfiguration(SECTION).inspect<unknown>('presets');
  const workspace = [inspected?.workspaceValue, inspected?.workspaceFolderValue]
    .filter((value): value is unknown[] => Array.isArray(value))
    .flat();
  return allPresets(inspected?.globalValue, inspected?.workspaceValue === undefined && inspected?.workspaceFolderValue === undefined ? undefined : workspace);
}

/**
 * The request as it is sent when it names a preset: the prompt expanded from the template, the preset's options
 * under the run's own. The user's words stay the request's subject (file name, recipe). Throws the user's message.
 */
export function withPreset(request: GenerationRequest, presets: ParsedPresets = readPresets()): GenerationRequest {
  const name = request.options.preset;
  if (name === undefined) return request;
  const preset = findPreset(presets.presets, name);
  if (!preset) throw new Error(unknownPresetMessage(name, presets.presets, presets.problems));
  const applied = applyPreset(preset, request.prompt, request.options);
  return { ...request, prompt: applied.prompt, subject: request.subject ?? request.prompt, options: { ...applied.options, preset: preset.name } };
}
