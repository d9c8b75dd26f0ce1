// Reads a prompts file (or `{jobs}`) into checked jobs, and turns them into requests ready to send: presets expanded,
// references read from inside the workspace, `auto` resolved.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { parsePromptFile, parsePromptJobs, promptFileKind, type ParsedPromptFile, type PromptCheckContext, type PromptFileProblem } from '../core/batch/promptFile';
import type { PreparedBatchItem, PromptJob } from '../core/batch/types';
import { slugFromPrompt } from '../core/fileName';
import type { ImageJob } from '../core/imageJob';
import { isInside } from '../core/outputFolder';
import { effectiveOptions, readReferences, type GenerationRequest, type ImageGenerator, type ModelResolver } from '../generation';
import { readPresets, withPreset } from '../presets';
import type { Settings } from '../settings';

/** What a line is checked against: the run's model and the presets that exist now. */
export function checkContext(settings: Settings): PromptCheckContext {
  return { model: settings.model, presets: readPresets().presets.map((preset) => preset.name) };
}

/** The document's jobs and problems (the text as the editor has it, saved or not). */
export function parsePromptDocument(document: vscode.TextDocument, settings: Settings): ParsedPromptFile {
  return parsePromptText(document.getText(), document.uri, settings);
}

export function parsePromptText(text: string, uri: vscode.Uri, settings: Settings): ParsedPromptFile {
  const kind = promptFileKind(uri.path) ?? (uri.path.toLowerCase().endsWith('.txt') ? 'txt' : 'jsonl');
  return parsePromptFile(text, kind, checkContext(settings));
}

/** The file as the user sees it: an editor's unsaved text, else what is on disk (an open document may lag behind it). */
export async function readPromptsFile(uri: vscode.Uri, settings: Settings): Promise<ParsedPromptFile> {
  const dirty = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString() && document.isDirty);
  const text = dirty ? dirty.getText() : new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  return parsePromptText(text, uri, settings);
}

export function parseJobsArgument(jobs: unknown, settings: Settings): ParsedPromptFile {
  return parsePromptJobs(jobs, checkContext(settings));
}

/** "Line 3: …; Line 7: …": every problem in one message, as the command rejects with it. */
export function describeProblems(problems: readonly PromptFileProblem[]): string {
  const lines = [...new Set(problems.map((problem) => problem.line))].sort((a, b) => a - b);
  const head = `${lines.length === 1 ? `Line ${lines[0]} is` : `Lines ${lines.join(', ')} are`} not valid, so nothing was sent: `;
  return head + problems.map((problem) => problem.message).join(' ');
}

/**
 * Where a reference goes: relative to the prompts file's folder when it is there, else to the workspace folder.
 * Undefined when it is not an existing file inside the workspace.
 */
export async function resolveReference(reference: string, promptsFile: vscode.Uri | undefined): Promise<{ uri?: vscode.Uri; problem?: string }> {
  const root = (promptsFile && vscode.workspace.getWorkspaceFolder(promptsFile)) ?? vscode.workspace.workspaceFolders?.[0];
  if (!root) return { problem: `reference "${reference}" cannot be read: open the folder it is in first.` };
  const candidates = path.isAbsolute(reference)
    ? [vscode.Uri.file(reference)]
    : [...(promptsFile ? [vscode.Uri.joinPath(promptsFile, '..', reference)] : []), vscode.Uri.joinPath(root.uri, reference)];
  for (const uri of candidates) {
    if (uri.scheme === root.uri.scheme && !isInside(root.uri.path, uri.path)) {
      return { problem: `reference "${reference}" is outside the workspace: only images inside it are sent.` };
    }
    try {
      const stat = await vscode.workspace.fs.stat(uri);
      if (stat.type & vscode.FileType.Directory) return { problem: `reference "${reference}" is a folder, not an image.` };
    } catch {
      continue;
    }
    if (uri.scheme === 'file') {
      // A symbolic link inside the workspace must not send a file from outside it.
      const [real, realRoot] = await Promise.all([fs.realpath(uri.fsPath).catch(() => undefined), fs.realpath(root.uri.fsPath).catch(() => undefined)]);
      if (real && realRoot && !isInside(slashes(realRoot), slashes(real))) {
        return { problem: `reference "${reference}" leads outside the workspace (a symbolic link): only images inside it are sent.` };
      }
    }
    return { uri };
  }
  return { problem: `reference "${reference}" was not found${promptsFile ? ' next to the prompts file or' : ''} in the workspace folder.` };
}

function slashes(value: string): string {
  return value.replace(/\\/g, '/');
}

/** Every reference of every job checked at once: problems name the line. */
export async function referenceProblems(jobs: readonly PromptJob[], promptsFile: vscode.Uri | undefined): Promise<PromptFileProblem[]> {
  const problems: PromptFileProblem[] = [];
  for (const job of jobs) {
    for (const reference of job.references ?? []) {
      const { problem } = await resolveReference(reference, promptsFile);
      if (problem) problems.push({ line: job.line, key: 'references', message: `Line ${job.line}: ${problem}` });
    }
  }
  return problems;
}

export interface PreparedJob {
  readonly item: PreparedBatchItem<vscode.Uri>;
  readonly variants: number;
}

/**
 * The request each job sends, as PreparedBatchItems (the contract with Batch API mode): the preset's template and
 * options applied, references read, `auto` resolved once per distinct choice, the folder and file name fixed.
 */
export async function prepareJobs(
  jobs: readonly PromptJob[],
  promptsFile: vscode.Uri | undefined,
  settings: Settings,
  deps: { readonly generator: ImageGenerator; readonly models: ModelResolver },
): Promise<PreparedJob[]> {
  const presets = readPresets();
  const resolved = new Map<string, string>();
  const prepared: PreparedJob[] = [];
  for (const job of jobs) {
    const references: vscode.Uri[] = [];
    for (const reference of job.references ?? []) {
      const { uri, problem } = await resolveReference(reference, promptsFile);
      if (!uri) throw new Error(`Line ${job.line}: ${problem ?? `reference "${reference}" cannot be read.`}`);
      references.push(uri);
    }
    const request: GenerationRequest = withPreset(
      {
        prompt: job.prompt,
        references,
        options: {
          ...(job.model !== undefined ? { model: job.model } : {}),
          ...(job.aspectRatio !== undefined ? { aspectRatio: job.aspectRatio } : {}),
          ...(job.imageSize !== undefined ? { imageSize: job.imageSize } : {}),
          ...(job.variants !== undefined ? { variants: job.variants } : {}),
          ...(job.preset !== undefined ? { preset: job.preset } : {}),
        },
      },
      presets,
    );
    const chosen = effectiveOptions(settings, request.options);
    const choice = `${chosen.model}|${chosen.imageSize ?? ''}`;
    let model = resolved.get(choice);
    if (model === undefined) {
      model = (await deps.models.resolve(chosen.model, settings, chosen.imageSize)).id;
      resolved.set(choice, model);
    }
    const imageJob: ImageJob = {
      prompt: request.prompt,
      references: await readReferences(references, settings.maxRequestBytes),
      model,
      aspectRatio: chosen.aspectRatio,
      imageSize: chosen.imageSize,
      outputFormat: chosen.outputFormat,
      includeText: settings.includeText,
    };
    const folder = await deps.generator.outputFolder(settings, request);
    prepared.push({
      item: {
        key: `line-${job.line}`,
        line: job.line,
        job: imageJob,
        slug: job.fileName ?? slugFromPrompt(request.subject ?? request.prompt),
        folder,
        ...(request.options.preset !== undefined ? { preset: request.options.preset } : {}),
        ...(request.options.background !== undefined ? { background: request.options.background } : {}),
      },
      variants: chosen.variants,
    });
  }
  return prepared;
}
