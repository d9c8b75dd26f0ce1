// The Image Studio side panel: a webview view whose every message is validated before the host acts on it.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { BatchRuns } from '../batch/batchProgress';
import { CommandIds } from '../commands/ids';
import { chooseImageModel } from '../commands/runGeneration';
import { acceptsOutputFormat, AUTO_MODEL } from '../core/models';
import { notificationText } from '../core/notificationText';
import { tokenScopeLabel } from '../core/tokenScope';
import type { ImageGenerator } from '../generation';
import type { Log } from '../log';
import type { ModelCatalog } from '../modelCatalog';
import { readPresets } from '../presets';
import { readSettings } from '../settings';
import type {
  HistoryItem,
  HostToWebview,
  ImageAction,
  ModelChoice,
  NextStep,
  PanelCommand,
  PanelState,
  WebviewToHost,
} from '../shared/protocol';
import type { TokenStore } from '../tokenStore';
import { modelChoice, modelChoices, presetViews, rememberPrompt, resolveChoices } from './choices';
import { ImageHistory, type StoredImage } from './history';
import { PanelJobs } from './jobs';
import { validateWebviewMessage } from './messageValidation';
import { renderPanelHtml } from './panelHtml';
import { ReferenceList, type AddOutcome } from './references';
import { fromWorkspacePath, resolveWorkspaceFile } from './workspacePaths';

export const PANEL_VIEW_ID = 'geminiImage.panel';

const CHOICES_KEY = 'geminiImage.panel.choices';
const RECENT_PROMPTS_KEY = 'geminiImage.panel.recentPrompts';
const IMAGE_FILTERS = { Images: ['png', 'jpg', 'jpeg', 'webp', 'heic', 'heif'] };

export interface PanelDependencies {
  readonly extensionUri: vscode.Uri;
  readonly workspaceState: vscode.Memento;
  readonly tokens: TokenStore;
  readonly generator: ImageGenerator;
  readonly log: Log;
  /** The provider's models and what `auto` picks there. */
  readonly catalog?: ModelCatalog;
  /** This window's prompt-file batches, shown as cards. */
  readonly batches?: BatchRuns;
}

type Message<T extends WebviewToHost['type']> = Extract<WebviewToHost, { type: T }>;

export class PanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly references: ReferenceList;
  private readonly history: ImageHistory;
  private readonly jobs: PanelJobs;
  private readonly restored: Promise<void>;
  private stateTimer: NodeJS.Timeout | undefined;
  /** A model-list request for `auto` is under way. */
  private askingAuto = false;

  constructor(private readonly deps: PanelDependencies) {
    const { workspaceState, log } = deps;
    this.references = new ReferenceList(workspaceState);
    this.history = new ImageHistory(workspaceState, () => readSettings().outputFolder, log);
    this.jobs = new PanelJobs(deps.generator, this.history, log);
    this.disposables.push(
      this.references,
      this.history,
      this.jobs,
      this.references.onDidChange(() => this.scheduleState()),
      this.jobs.onDidChange(() => this.scheduleState()),
      this.history.onDidChange((change) => {
        if (change.kind === 'added') void this.post({ type: 'historyAdded', items: change.items.map((item) => this.toHistoryItem(item)) });
        else void this.postHistory();
      }),
      deps.tokens.onDidChange(() => this.scheduleState()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('geminiImage')) this.scheduleState();
      }),
      vscode.workspace.onDidChangeWorkspaceFolders(() => {
        if (this.view) this.view.webview.options = this.webviewOptions();
        this.scheduleState();
        void this.postHistory();
      }),
    );
    if (deps.batches) this.disposables.push(deps.batches.onDidChange(() => this.scheduleState()));
    this.restored = this.references.restore().catch((error: unknown) => log.warn(`Could not restore references: ${String(error)}`));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const distUri = vscode.Uri.joinPath(this.deps.extensionUri, 'dist');
    const mediaUri = vscode.Uri.joinPath(this.deps.extensionUri, 'media');
    view.webview.options = this.webviewOptions();
    view.webview.html = renderPanelHtml(view.webview, distUri, mediaUri);
    const subscriptions = [
      view.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw)),
      view.onDidChangeVisibility(() => {
        // A hidden view may have lost its content: it gets everything again.
        if (view.visible) void this.postEverything();
      }),
    ];
    view.onDidDispose(() => {
      subscriptions.forEach((subscription) => subscription.dispose());
      if (this.view === view) this.view = undefined;
    });
    void this.history.load();
  }

  /** The Explorer's "Add to Gemini Image References" (one or several selected files), or a picker without files. */
  async addReferencesFromCommand(first?: unknown, selection?: unknown): Promise<AddOutcome> {
    const uris = urisFrom(first, selection) ?? (await this.pickImages());
    if (!uris || uris.length === 0) return { added: 0, refused: [] };
    await this.restored;
    const outcome = await this.references.add(uris);
    await this.reveal();
    if (outcome.refused.length > 0) void vscode.window.showWarningMessage(notificationText(outcome.refused.join(' ')));
    return outcome;
  }

  private webviewOptions(): vscode.WebviewOptions {
    // Thumbnails of references and results: the output folders and any reference lie inside the workspace folders.
    const folders = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri);
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(this.deps.extensionUri, 'dist'), vscode.Uri.joinPath(this.deps.extensionUri, 'media'), ...folders],
    };
  }

  private async reveal(): Promise<void> {
    if (this.view) this.view.show(true);
    else await vscode.commands.executeCommand(`${PANEL_VIEW_ID}.focus`);
  }

  private async onMessage(raw: unknown): Promise<void> {
    // Presets are read afresh: a preset just removed from the settings is refused, not run.
    const presets = readPresets().presets.map((preset) => preset.name);
    const result = validateWebviewMessage(raw, { models: this.models(), presets });
    if (!result.ok) {
      this.deps.log.warn(`Panel message refused: ${result.reason}`);
      if (result.requestId !== undefined) await this.reply(result.requestId, false, `The extension refused this request: ${result.reason}.`);
      return;
    }
    try {
      await this.handle(result.message);
    } catch (error) {
      const message = this.deps.log.redact(error instanceof Error ? error.message : String(error));
      this.deps.log.error(`Panel ${result.message.type} failed: ${message}`);
      if ('requestId' in result.message) await this.reply(result.message.requestId, false, message);
    }
  }

  private async handle(message: WebviewToHost): Promise<void> {
    switch (message.type) {
      case 'ready':
        await this.restored;
        await this.postEverything();
        return;
      case 'generate':
        return this.generate(message);
      case 'cancel':
        this.jobs.cancel(message.jobId);
        return;
      case 'jobStep':
        return this.jobStep(message.jobId, message.step);
      case 'dismissJob':
        this.jobs.dismiss(message.jobId);
        return;
      case 'cancelBatch':
        this.deps.batches?.cancel(message.batchId);
        return;
      case 'dismissBatch':
        this.deps.batches?.dismiss(message.batchId);
        return;
      case 'openBatchResults':
        return this.openBatchResults(message.requestId, message.batchId);
      case 'choose':
        await this.deps.workspaceState.update(CHOICES_KEY, message.choices);
        return;
      case 'pickReferences': {
        const uris = await this.pickImages();
        const outcome = uris ? await this.references.add(uris) : { added: 0, refused: [] };
        return this.replyAdded(message.requestId, outcome);
      }
      case 'addReferences':
        return this.addPaths(message.requestId, message.paths);
      case 'dropReferences':
        return this.addDropped(message);
      case 'removeReference':
        return this.references.remove(message.path);
      case 'moveReference':
        return this.references.move(message.path, message.index);
      case 'imageAction':
        return this.imageAction(message.requestId, message.action, message.path);
      case 'rescanHistory':
        await this.history.rebuild();
        return this.reply(message.requestId, true, `Found ${this.history.all.length} images with a recipe.`);
      case 'runCommand':
        return this.runCommand(message.command);
    }
  }

  private async generate(message: Message<'generate'>): Promise<void> {
    if (!vscode.workspace.workspaceFolders?.length) {
      return this.reply(message.requestId, false, 'Open a folder first: the studio saves images into the workspace.');
    }
    if (this.jobs.has(message.requestId)) return this.reply(message.requestId, false, 'This generation was already started.');
    const references: { path: string; uri: vscode.Uri }[] = [];
    for (const workspacePath of message.references) {
      const resolved = await resolveWorkspaceFile(workspacePath);
      if ('problem' in resolved) return this.reply(message.requestId, false, `Reference ${resolved.problem}: remove it and try again.`);
      references.push({ path: workspacePath, uri: resolved.uri });
    }
    let refine: { path: string; uri: vscode.Uri } | undefined;
    if (message.refine !== undefined) {
      const resolved = await resolveWorkspaceFile(message.refine);
      if ('problem' in resolved) return this.reply(message.requestId, false, `The image to refine: ${resolved.problem}.`);
      refine = { path: message.refine, uri: resolved.uri };
    }
    const model = this.models().find((candidate) => candidate.id === message.choices.model);
    this.jobs.start({ id: message.requestId, prompt: message.prompt, choices: message.choices, model, references, ...(refine ? { refine } : {}) });
    const recent = rememberPrompt(this.recentPrompts(), message.prompt);
    await Promise.all([
      this.deps.workspaceState.update(RECENT_PROMPTS_KEY, recent),
      this.deps.workspaceState.update(CHOICES_KEY, message.choices),
    ]);
    this.scheduleState();
    await this.reply(message.requestId, true);
  }

  private async jobStep(jobId: string, step: NextStep): Promise<void> {
    switch (step) {
      case 'setToken': {
        const stored = await vscode.commands.executeCommand<boolean>(CommandIds.setToken);
        if (stored) this.jobs.retry(jobId);
        return;
      }
      case 'retry':
        this.jobs.retry(jobId);
        return;
      case 'chooseModel': {
        if (!this.deps.catalog) return;
        const picked = await chooseImageModel(this.deps.catalog);
        if (picked) this.jobs.retry(jobId, modelChoice(picked));
        return;
      }
      case 'showLog':
        return this.runCommand('showLog');
      case 'openSettings':
        return this.runCommand('openSettings');
    }
  }

  private async addPaths(requestId: string, paths: readonly string[]): Promise<void> {
    const uris: vscode.Uri[] = [];
    const refused: string[] = [];
    for (const workspacePath of paths) {
      const resolved = await resolveWorkspaceFile(workspacePath);
      if ('uri' in resolved) uris.push(resolved.uri);
      else refused.push(`${resolved.problem}.`);
    }
    const outcome = await this.references.add(uris);
    return this.replyAdded(requestId, { added: outcome.added, refused: [...refused, ...outcome.refused] });
  }

  private async addDropped(message: Message<'dropReferences'>): Promise<void> {
    const uris: vscode.Uri[] = [];
    const refused: string[] = [];
    for (const text of message.uris) {
      try {
        uris.push(localUriOf(vscode.Uri.parse(text, true)));
      } catch {
        refused.push(`${text.slice(0, 80)} is not a file URI.`);
      }
    }
    // ReferenceList.add refuses anything outside the workspace folders.
    const outcome = await this.references.add(uris);
    return this.replyAdded(message.requestId, { added: outcome.added, refused: [...refused, ...outcome.refused] });
  }

  private async replyAdded(requestId: string, outcome: AddOutcome): Promise<void> {
    const added = outcome.added > 0 ? `Added ${outcome.added} reference image${outcome.added === 1 ? '' : 's'}.` : '';
    const text = [added, ...outcome.refused].filter(Boolean).join(' ');
    return this.reply(requestId, outcome.refused.length === 0, text || undefined);
  }

  private async imageAction(requestId: string, action: ImageAction, workspacePath: string): Promise<void> {
    const resolved = await resolveWorkspaceFile(workspacePath);
    if ('problem' in resolved) return this.reply(requestId, false, `${path.posix.basename(workspacePath)}: ${resolved.problem}.`);
    const { uri } = resolved;
    switch (action) {
      case 'open':
        await vscode.commands.executeCommand('vscode.open', uri, { preview: false });
        return this.reply(requestId, true);
      case 'reveal':
        await vscode.commands.executeCommand('revealInExplorer', uri);
        return this.reply(requestId, true);
      case 'copyPath': {
        const text = uri.scheme === 'file' ? uri.fsPath : uri.toString();
        await vscode.env.clipboard.writeText(text);
        return this.reply(requestId, true, `Copied ${text}`);
      }
    }
  }

  /** Opens only the results file the batch run itself recorded; an unknown batch gets a refusal. */
  private async openBatchResults(requestId: string, batchId: string): Promise<void> {
    const recorded = this.deps.batches?.resultsFileOf(batchId);
    if (recorded === undefined) return this.reply(requestId, false, 'This batch has no results file.');
    const resolved = await resolveWorkspaceFile(recorded);
    if ('problem' in resolved) return this.reply(requestId, false, `${path.posix.basename(recorded)}: ${resolved.problem}.`);
    await vscode.window.showTextDocument(resolved.uri, { preview: true });
    return this.reply(requestId, true);
  }

  private async runCommand(command: PanelCommand): Promise<void> {
    switch (command) {
      case 'setToken':
        await vscode.commands.executeCommand(CommandIds.setToken);
        return;
      case 'showLog':
        await vscode.commands.executeCommand(CommandIds.showLog);
        return;
      case 'openFolder':
        await vscode.commands.executeCommand('workbench.action.files.openFolder');
        return;
      case 'openSettings':
        await vscode.commands.executeCommand('workbench.action.openSettings', 'geminiImage');
        return;
    }
  }

  private async pickImages(): Promise<vscode.Uri[] | undefined> {
    return vscode.window.showOpenDialog({
      title: 'Reference images (from this workspace)',
      openLabel: 'Add References',
      canSelectMany: true,
      canSelectFiles: true,
      canSelectFolders: false,
      defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
      filters: IMAGE_FILTERS,
    });
  }

  private models(): ModelChoice[] {
    const settings = readSettings();
    const catalog = this.deps.catalog;
    const pick = catalog?.autoPick(settings);
    if (catalog && !pick && !this.askingAuto) {
      // Learn what auto stands for at this provider once, then show it ("auto (gemini-…)").
      this.askingAuto = true;
      void catalog
        .resolve(AUTO_MODEL, settings)
        .then(() => this.scheduleState(), (error: unknown) => this.deps.log.warn(`Could not ask for the model list: ${String(error)}`))
        .finally(() => (this.askingAuto = false));
    }
    return modelChoices(settings.model, pick);
  }

  private recentPrompts(): string[] {
    const stored = this.deps.workspaceState.get<unknown>(RECENT_PROMPTS_KEY);
    return Array.isArray(stored) ? stored.filter((entry): entry is string => typeof entry === 'string') : [];
  }

  private async state(): Promise<PanelState> {
    const settings = readSettings();
    const models = this.models();
    const webview = this.view?.webview;
    const presets = readPresets();
    return {
      // The token is per base (host and path): the panel names the same place the token is stored for.
      host: tokenScopeLabel(settings.baseUrl),
      hasToken: await this.deps.tokens.has(settings.baseUrl),
      hasWorkspace: (vscode.workspace.workspaceFolders?.length ?? 0) > 0,
      models,
      choices: resolveChoices(
        this.deps.workspaceState.get<unknown>(CHOICES_KEY),
        models,
        settings,
        presets.presets.map((preset) => preset.name),
      ),
      recentPrompts: this.recentPrompts(),
      references: this.references.all.map((reference) => ({
        path: reference.path,
        name: path.posix.basename(reference.uri.path),
        src: webview ? webview.asWebviewUri(reference.uri).toString() : '',
        bytes: reference.bytes,
      })),
      jobs: this.jobs.views,
      batches: this.deps.batches?.views ?? [],
      maxRequestBytes: settings.maxRequestBytes,
      presets: presetViews(presets.presets),
      presetProblems: presets.problems,
      ...(acceptsOutputFormat(settings.baseUrl) ? {} : { outputFormatOff: "Google's API has no output format (only gateways take one): images come as the model makes them." }),
    };
  }

  private toHistoryItem(item: StoredImage): HistoryItem {
    const uri = fromWorkspacePath(item.path);
    return { ...item, src: uri && this.view ? this.view.webview.asWebviewUri(uri).toString() : '' };
  }

  /** Coalesces bursts of changes (a job saving several images) into one state message. */
  private scheduleState(): void {
    if (this.stateTimer) return;
    this.stateTimer = setTimeout(() => {
      this.stateTimer = undefined;
      void this.postState();
    }, 15);
  }

  private async postEverything(): Promise<void> {
    await this.postState();
    await this.postHistory();
  }

  private async postState(): Promise<void> {
    if (!this.view) return;
    await this.post({ type: 'state', state: await this.state() });
  }

  private async postHistory(): Promise<void> {
    if (!this.view) return;
    await this.post({ type: 'history', items: this.history.all.map((item) => this.toHistoryItem(item)), scanning: this.history.scanning });
  }

  private async reply(requestId: string, ok: boolean, message?: string): Promise<void> {
    await this.post({ type: 'reply', requestId, ok, ...(message === undefined ? {} : { message }) });
  }

  private async post(message: HostToWebview): Promise<void> {
    await this.view?.webview.postMessage(message);
  }

  dispose(): void {
    clearTimeout(this.stateTimer);
    this.disposables.forEach((disposable) => disposable.dispose());
  }
}

/** Explorer passes (clicked, allSelected); a keybinding or another extension may pass a Uri, a path or nothing. */
function urisFrom(first: unknown, selection: unknown): vscode.Uri[] | undefined {
  if (Array.isArray(selection) && selection.length > 0 && selection.every((item) => item instanceof vscode.Uri)) return selection;
  if (first instanceof vscode.Uri) return [first];
  if (Array.isArray(first) && first.every((item) => item instanceof vscode.Uri)) return first;
  return undefined;
}

/**
 * In a remote window the workbench names files vscode-remote://authority/path while the extension host sees the
 * workspace as file:///path: a dropped URI is read as a path of the workspace's own scheme. Whether it lies
 * inside a workspace folder is still checked afterwards.
 */
function localUriOf(uri: vscode.Uri): vscode.Uri {
  if (uri.scheme !== 'vscode-remote' || vscode.workspace.getWorkspaceFolder(uri)) return uri;
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const candidate = folder.uri.with({ path: uri.path, query: '', fragment: '' });
    if (vscode.workspace.getWorkspaceFolder(candidate)) return candidate;
  }
  return uri;
}
