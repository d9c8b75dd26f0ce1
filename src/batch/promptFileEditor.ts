// Editing prompt files: problems as diagnostics while typing, "Run all" / "Run this line" CodeLenses, and completion
// of keys and values in *.prompts.jsonl (VS Code's JSON schema support does not reach JSON Lines files).
import * as vscode from 'vscode';
import { PROMPT_KEY_DOCS, PROMPT_KEYS, promptFileKind } from '../core/batch/promptFile';
import { ASPECT_RATIOS, IMAGE_SIZES, KNOWN_MODEL_IDS } from '../core/models';
import { CommandIds } from '../commands/ids';
import { readPresets } from '../presets';
import { readSettings, SECTION } from '../settings';
import { parsePromptDocument, referenceProblems } from './promptSource';

export const PROMPT_FILE_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/*.prompts.{jsonl,txt}' },
  { scheme: 'untitled', pattern: '**/*.prompts.{jsonl,txt}' },
  { scheme: 'vscode-remote', pattern: '**/*.prompts.{jsonl,txt}' },
];


/** Diagnostics for every open prompts file, updated as it is edited (reference files are checked too). */
export class PromptFileDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('geminiImage.prompts');
  private readonly subscriptions: vscode.Disposable[] = [];
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>();
  /** The latest check started per document: an older check finishing later must not overwrite it. */
  private readonly versions = new Map<string, number>();
  private checks = 0;

  constructor() {
    this.subscriptions.push(
      vscode.workspace.onDidOpenTextDocument((document) => this.schedule(document, 0)),
      vscode.workspace.onDidChangeTextDocument((event) => this.schedule(event.document, 250)),
      vscode.workspace.onDidCloseTextDocument((document) => {
        this.collection.delete(document.uri);
        this.versions.delete(document.uri.toString());
      }),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration(`${SECTION}.model`) || event.affectsConfiguration(`${SECTION}.presets`)) this.refreshAll();
      }),
    );
    this.refreshAll();
  }

  /** Checks the document now (tests and the run command call this to get the same answer the user sees). */
  async update(document: vscode.TextDocument): Promise<readonly vscode.Diagnostic[]> {
    if (!promptFileKind(document.uri.path)) return [];
    const key = document.uri.toString();
    const check = ++this.checks;
    this.versions.set(key, check);
    const parsed = parsePromptDocument(document, readSettings());
    const problems = [...parsed.problems, ...(await referenceProblems(parsed.jobs, document.uri.scheme === 'untitled' ? undefined : document.uri))];
    const diagnostics = problems.map((problem) => {
      const diagnostic = new vscode.Diagnostic(rangeOf(document, problem.line, problem.key), problem.message, vscode.DiagnosticSeverity.Error);
      diagnostic.source = 'Gemini Image';
      return diagnostic;
    });
    if (this.versions.get(key) === check && !document.isClosed) this.collection.set(document.uri, diagnostics);
    return diagnostics;
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    for (const subscription of this.subscriptions) subscription.dispose();
    this.collection.dispose();
  }

  private refreshAll(): void {
    for (const document of vscode.workspace.textDocuments) this.schedule(document, 0);
  }

  private schedule(document: vscode.TextDocument, delayMs: number): void {
    if (!promptFileKind(document.uri.path)) return;
    const key = document.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(
      key,
      setTimeout(() => {
        this.pending.delete(key);
        void this.update(document).catch(() => undefined);
      }, delayMs),
    );
  }
}

/** The whole line, or just the key's `"name": value` when the problem is about one key. */
function rangeOf(document: vscode.TextDocument, line: number, key: string | undefined): vscode.Range {
  const index = Math.min(Math.max(0, line - 1), document.lineCount - 1);
  const text = document.lineAt(index);
  if (key) {
    const at = text.text.indexOf(`"${key}"`);
    if (at >= 0) return new vscode.Range(index, at, index, at + key.length + 2);
  }
  return new vscode.Range(index, text.firstNonWhitespaceCharacterIndex, index, text.text.length);
}

/** "Run all" on the first line, "Run this line" on each job line. */
export class PromptFileCodeLenses implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!promptFileKind(document.uri.path)) return [];
    const parsed = parsePromptDocument(document, readSettings());
    if (parsed.jobs.length === 0) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const count = parsed.jobs.length;
    const lenses = [
      new vscode.CodeLens(top, {
        title: `$(run-all) Run all (${count} prompt${count === 1 ? '' : 's'}${parsed.mode === 'batch' ? ', Batch API' : ''})`,
        command: CommandIds.runBatch,
        arguments: [{ file: document.uri }],
        tooltip: 'Generate every line of this file; images already made with the same recipe are skipped.',
      }),
    ];
    for (const job of parsed.jobs) {
      lenses.push(
        new vscode.CodeLens(new vscode.Range(job.line - 1, 0, job.line - 1, 0), {
          title: '$(play) Run this line',
          command: CommandIds.runBatch,
          arguments: [{ file: document.uri, line: job.line, mode: 'interactive' }],
        }),
      );
    }
    return lenses;
  }
}

/** Keys, and values of aspectRatio, imageSize, model, preset and variants, in *.prompts.jsonl lines. */
export class PromptFileCompletions implements vscode.CompletionItemProvider {
  static readonly triggers = ['"', ':', ','];

  provideCompletionItems(document: vscode.TextDocument, position: vscode.Position): vscode.CompletionItem[] {
    if (promptFileKind(document.uri.path) !== 'jsonl') return [];
    const before = document.lineAt(position.line).text.slice(0, position.character);
    const value = /"(aspectRatio|imageSize|model|preset|variants)"\s*:\s*"?([^"]*)$/.exec(before);
    if (value) return valueItems(value[1], before.slice(before.lastIndexOf(':') + 1).includes('"'));
    const key = /(^\s*\{|,)\s*"?(\w*)$/.exec(before);
    if (!key) return [];
    const quoted = /"\w*$/.test(before);
    const present = new Set([...document.lineAt(position.line).text.matchAll(/"(\w+)"\s*:/g)].map((match) => match[1]));
    return PROMPT_KEYS.filter((name) => !present.has(name)).map((name, index) => {
      const item = new vscode.CompletionItem(name, vscode.CompletionItemKind.Property);
      item.documentation = PROMPT_KEY_DOCS[name];
      item.sortText = String(index).padStart(2, '0');
      const snippet = name === 'references' ? `${name}": ["$1"]` : name === 'variants' ? `${name}": \${1:2}` : `${name}": "$1"`;
      item.insertText = new vscode.SnippetString(quoted ? snippet : `"${snippet}`);
      if (quoted) item.range = new vscode.Range(position.translate(0, -/(\w*)$/.exec(before)![1].length), position);
      return item;
    });
  }
}

function valueItems(key: string, insideQuotes: boolean): vscode.CompletionItem[] {
  const values =
    key === 'aspectRatio'
      ? ASPECT_RATIOS
      : key === 'imageSize'
        ? IMAGE_SIZES
        : key === 'model'
          ? ['auto', ...KNOWN_MODEL_IDS]
          : key === 'preset'
            ? readPresets().presets.map((preset) => preset.name)
            : ['1', '2', '3', '4', '5', '6', '7', '8'];
  return values.map((value, index) => {
    const item = new vscode.CompletionItem(value, vscode.CompletionItemKind.Value);
    item.sortText = String(index).padStart(2, '0');
    item.insertText = key === 'variants' || insideQuotes ? value : `"${value}"`;
    return item;
  });
}
