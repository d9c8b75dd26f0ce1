// Bench child: times require('dist/extension.js') + activate() against a stand-in `vscode` module, in a fresh process.
import Module from 'node:module';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';

/** Anything VS Code's API is asked for at activation answers with another stand-in; disposables dispose. */
function standIn(name: string): unknown {
  const target = function () {
    return undefined;
  };
  return new Proxy(target, {
    get(_target, key) {
      if (key === 'then') return undefined;
      if (key === Symbol.toPrimitive) return () => name;
      if (key === 'dispose') return () => undefined;
      return standIn(`${name}.${String(key)}`);
    },
    apply: () => standIn(`${name}()`),
    construct: () => standIn(`new ${name}`) as object,
  });
}

// esbuild copies the module's own keys, so the stand-in lists the API's top-level names.
const API_NAMES = [
  'CancellationTokenSource', 'CodeAction', 'CodeActionKind', 'CodeLens', 'CompletionItem', 'CompletionItemKind', 'ConfigurationTarget',
  'Diagnostic', 'DiagnosticSeverity', 'Disposable', 'EventEmitter', 'FileSystemError', 'SnippetString',
  'FileType', 'Hover', 'LanguageModelTextPart', 'LanguageModelToolResult', 'MarkdownString', 'Position', 'ProgressLocation', 'Range',
  'RelativePattern', 'Selection', 'StatusBarAlignment', 'TabInputCustom', 'TabInputText', 'ThemeIcon', 'Uri', 'ViewColumn', 'WorkspaceEdit', 'commands', 'env',
  'extensions', 'l10n', 'languages', 'lm', 'window', 'workspace',
];
const fakeVscode = Object.fromEntries(API_NAMES.map((name) => [name, standIn(`vscode.${name}`)]));
const moduleInternals = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const load = moduleInternals._load;
moduleInternals._load = function (request: string, parent: unknown, isMain: boolean): unknown {
  if (request === 'vscode') return fakeVscode;
  return load.call(this, request, parent, isMain);
};

const entry = path.resolve(process.argv[2] ?? 'dist/extension.js');
const context = {
  subscriptions: [] as unknown[],
  secrets: standIn('secrets'),
  extensionUri: standIn('extensionUri'),
  extensionPath: path.dirname(path.dirname(entry)),
  globalState: standIn('globalState'),
  workspaceState: standIn('workspaceState'),
  asAbsolutePath: (relative: string) => path.join(path.dirname(path.dirname(entry)), relative),
};

// The extension host has Node's built-ins loaded long before any extension activates: load them here too, untimed.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untimed preload
for (const builtin of ['node:crypto', 'node:fs', 'node:fs/promises', 'node:os', 'node:path']) require(builtin);

const started = performance.now();
// eslint-disable-next-line @typescript-eslint/no-require-imports -- timing the load itself is the point
const extension = require(entry) as { activate(context: unknown): unknown };
const required = performance.now();
extension.activate(context);
const activated = performance.now();
const loaded = Object.keys(require.cache);
process.stdout.write(
  JSON.stringify({
    requireMs: required - started,
    activateMs: activated - required,
    totalMs: activated - started,
    undiciLoaded: loaded.some((file) => /undici/.test(file)) || loaded.some((file) => file.endsWith(`${path.sep}http.js`)),
    transparencyLoaded: loaded.some((file) => file.endsWith(`${path.sep}transparency.js`) || /[\\/](pngjs|jpeg-js)[\\/]/.test(file)),
    modules: loaded.length,
  }),
);
