// VS Code side of a generation: settings, token, workspace folders and references in; the core job runner does the rest.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ImageError, isImageError } from './core/errors';
import { slugFromPrompt } from './core/fileName';
import type { ImageJob, ProviderSettings, ReferenceImage } from './core/imageJob';
import { referenceFromBytes, resumeConversation, runImageJob, type Conversation as JobConversation, type ImageJobOutcome } from './core/jobs/runImageJob';
import { workerBackgroundRemover } from './core/image/transparencyChunk';
import type { PreparedBatchItem } from './core/batch/types';
import type { Background } from './core/presets';
import { hostOf } from './core/origin';
import { estimateCost, type CostEstimate } from './core/prices';
import { readRecipe } from './core/recipe';
import { tokenScopeLabel } from './core/tokenScope';
import { parseOutputFolder, symlinkEscape } from './core/outputFolder';
import { referenceTooLarge } from './core/validate';
import type { ImageClientProvider } from './imageClientProvider';
import type { ImageWriter } from './imageWriter';
import type { Log } from './log';
import type { Settings } from './settings';
import type { TokenStore } from './tokenStore';

const REMEMBERED_CONVERSATIONS = 16;

/** Options a single run may change without touching the settings. */
export interface RunOptions {
  readonly model?: string;
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  readonly outputFormat?: 'png' | 'jpeg';
  /** Thinking level for models that take one (undefined: the model's default). */
  readonly thinkingLevel?: string;
  /** Let the model search Google while it draws. */
  readonly grounding?: boolean;
  readonly variants?: number;
  /** Overrides the outputFolder setting (same rules: inside the workspace only). */
  readonly outputFolder?: string;
  /** The preset the prompt was expanded from (see src/presets.ts). */
  readonly preset?: string;
  readonly background?: Background;
}

/** The options a run uses: its own choices (an explicit undefined means "auto") over the settings. */
export function effectiveOptions(settings: Settings, options: RunOptions): Omit<RunOptions, 'outputFolder' | 'preset' | 'background'> & { model: string; variants: number } {
  return {
    model: options.model ?? settings.model,
    aspectRatio: 'aspectRatio' in options ? options.aspectRatio : settings.aspectRatio,
    imageSize: 'imageSize' in options ? options.imageSize : settings.imageSize,
    outputFormat: 'outputFormat' in options ? options.outputFormat : settings.outputFormat,
    thinkingLevel: options.thinkingLevel,
    grounding: options.grounding,
    variants: options.variants ?? settings.variants,
  };
}

export interface GenerationRequest {
  readonly prompt: string;
  /** The user's own words when `prompt` was expanded from a preset: names the file. */
  readonly subject?: string;
  readonly references: readonly vscode.Uri[];
  readonly options: RunOptions;
  /** The image being refined, whose conversation is continued. */
  readonly refine?: vscode.Uri;
  /** Where to save when no workspace folder is open (asked by the command). */
  readonly fallbackFolder?: vscode.Uri;
  /** The file name (without extension) to save under instead of the prompt's slug; -2, -3… if taken. */
  readonly fileStem?: string;
  /** Exactly where to save, already checked to be inside the workspace (a Markdown link's folder). */
  readonly folder?: vscode.Uri;
}

export type GenerationOutcome = ImageJobOutcome<vscode.Uri> & {
  /** The model id sent (what `auto` picked, or the id as typed). */
  readonly model: string;
  readonly autoModel: boolean;
  /** Estimated cost of this run and of every run in this session. */
  readonly cost?: CostEstimate;
  readonly sessionCostUsd?: number;
};

/** Resolves `auto` to a model the provider lists, and forgets its list when a model was not found. */
export interface ModelResolver {
  resolve(model: string, settings: Settings, imageSize?: string): Promise<{ id: string; auto: boolean }>;
  forget(settings: Settings): void;
}

type Conversation = JobConversation<vscode.Uri>;

export class ImageGenerator {
  /** The conversation behind each recent result, for true multi-turn refinement. */
  private readonly conversations = new Map<string, Conversation>();
  /** Estimated spend since the window opened (cost estimates only). */
  private sessionCostUsd = 0;
  /** dist/transparency.js in a worker thread, started for each transparent image. */
  private readonly removeBackground = workerBackgroundRemover(__dirname);

  constructor(
    private readonly tokens: TokenStore,
    private readonly clients: ImageClientProvider,
    private readonly writer: ImageWriter,
    private readonly log: Log,
    private readonly models?: ModelResolver,
  ) {}

  hasConversation(uri: vscode.Uri): boolean {
    return this.conversations.has(uri.toString());
  }

  /** The token for the configured provider, or the noToken error the user sees. */
  async tokenFor(settings: Settings): Promise<string> {
    const token = await this.tokens.get(settings.baseUrl);
    if (!token) {
      // Named with its path: a token stored for another path on this host (another tenant) is not used here.
      throw new ImageError('noToken', `No API token is set for ${tokenScopeLabel(settings.baseUrl)}. Run "Gemini Image: Set API Key (Token)…" first.`, {
        host: hostOf(settings.baseUrl),
      });
    }
    return token;
  }

  async run(
    settings: Settings,
    request: GenerationRequest,
    cancellation: vscode.CancellationToken,
    onSaved: (file: vscode.Uri) => void = () => undefined,
  ): Promise<GenerationOutcome> {
    const token = await this.tokenFor(settings);
    const host = hostOf(settings.baseUrl);
    const earlier = request.refine ? this.conversations.get(request.refine.toString()) : undefined;
    const history = earlier ? await resumeConversation(earlier, async (file) => vscode.workspace.fs.readFile(file), this.log) : undefined;
    const references = await readReferences(
      request.refine && !history ? [request.refine, ...request.references] : request.references,
      settings.maxRequestBytes,
    );
    const chosen = effectiveOptions(settings, request.options);
    const model = this.models ? await this.models.resolve(chosen.model, settings, chosen.imageSize) : { id: chosen.model, auto: false };
    if (model.auto) this.log.info(`Model auto: using ${model.id} at ${host}`);
    const job: ImageJob = {
      prompt: request.prompt,
      references,
      model: model.id,
      aspectRatio: chosen.aspectRatio,
      imageSize: chosen.imageSize,
      outputFormat: chosen.outputFormat,
      thinkingLevel: chosen.thinkingLevel,
      grounding: chosen.grounding,
      includeText: settings.includeText,
      history,
    };
    const provider = providerOf(settings);
    const folder = await this.outputFolder(settings, request);
    const abort = new AbortController();
    const subscription = cancellation.onCancellationRequested(() => abort.abort());
    try {
      const outcome = await runImageJob(
        {
          job,
          provider,
          token,
          variants: chosen.variants,
          slug: request.fileStem ?? slugFromPrompt(request.subject ?? request.prompt),
          preset: request.options.preset,
          background: await backgroundOf(request),
          refinedFrom: request.refine ? vscode.workspace.asRelativePath(request.refine) : undefined,
          earlier: history ? earlier : undefined,
        },
        {
          client: this.clients.get(),
          store: this.writer.storeFor(folder),
          log: this.log,
          signal: abort.signal,
          removeBackground: this.removeBackground,
          onSaved: (file, conversation) => {
            if (conversation) this.remember(file, conversation);
            onSaved(file);
          },
        },
      );
      const cost = estimateCost(job.model, outcome.usage, settings.prices);
      if (cost) this.sessionCostUsd += cost.usd;
      return { ...outcome, model: job.model, autoModel: model.auto, ...(cost ? { cost, sessionCostUsd: this.sessionCostUsd } : {}) };
    } catch (error) {
      // The kept model list named a model the provider no longer has: ask it again next time.
      if (isImageError(error) && error.kind === 'modelNotFound') this.models?.forget(settings);
      throw error;
    } finally {
      subscription.dispose();
    }
  }

  /**
   * One prepared item of a batch through the same job runner, `variants` requests of it. A 429 comes back at once
   * with the provider's wait (retryQuota false): the batch around it waits and slows down for every item together.
   */
  async runBatchItem(settings: Settings, item: PreparedBatchItem<vscode.Uri>, variants: number, signal: AbortSignal): Promise<GenerationOutcome> {
    const token = await this.tokenFor(settings);
    try {
      const outcome = await runImageJob(
        { job: item.job, provider: { ...providerOf(settings), retryQuota: false }, token, variants, slug: item.slug, preset: item.preset, background: item.background },
        { client: this.clients.get(), store: this.writer.storeFor(item.folder), log: this.log, signal, removeBackground: this.removeBackground },
      );
      const cost = estimateCost(item.job.model, outcome.usage, settings.prices);
      if (cost) this.sessionCostUsd += cost.usd;
      return { ...outcome, model: item.job.model, autoModel: false, ...(cost ? { cost, sessionCostUsd: this.sessionCostUsd } : {}) };
    } catch (error) {
      if (isImageError(error) && error.kind === 'modelNotFound') this.models?.forget(settings);
      throw error;
    }
  }

  /** The folder a run saves into (the outputFolder setting or the run's own, inside the workspace). */
  async outputFolder(settings: Settings, request: GenerationRequest): Promise<vscode.Uri> {
    if (request.folder) {
      // The caller checked the path; a symbolic link inside the workspace must still not carry the image out of it.
      const root = vscode.workspace.getWorkspaceFolder(request.folder);
      const escape = root && request.folder.scheme === 'file' ? await symlinkEscape(request.folder.fsPath, root.uri.fsPath) : undefined;
      if (!root) throw new Error(`${request.folder.fsPath} is not inside the workspace: images are only saved there.`);
      if (escape) throw new Error(escape);
      return request.folder;
    }
    const source = request.refine ?? request.references[0];
    const sourceFolder = source ? vscode.workspace.getWorkspaceFolder(source) : undefined;
    const workspaceFolder = sourceFolder ?? vscode.workspace.workspaceFolders?.[0];
    if (!workspaceFolder) {
      if (request.fallbackFolder) return request.fallbackFolder;
      throw new Error('Open a folder (or choose where to save) before generating images.');
    }
    const parsed = parseOutputFolder(request.options.outputFolder ?? settings.outputFolder, sourceFolder !== undefined);
    if (!parsed.ok) throw new Error(parsed.reason);
    const base = parsed.base === 'source' && source ? vscode.Uri.joinPath(source, '..') : workspaceFolder.uri;
    const folder = parsed.segments.length > 0 ? vscode.Uri.joinPath(base, ...parsed.segments) : base;
    // A link in the workspace (a cloned repository can ship one) must not lead the images outside it.
    const escape = folder.scheme === 'file' ? await symlinkEscape(folder.fsPath, workspaceFolder.uri.fsPath) : undefined;
    if (escape) throw new Error(escape);
    return folder;
  }

  private remember(file: vscode.Uri, conversation: Conversation): void {
    this.conversations.set(file.toString(), conversation);
    while (this.conversations.size > REMEMBERED_CONVERSATIONS) {
      const oldest = this.conversations.keys().next().value;
      if (oldest === undefined) break;
      this.conversations.delete(oldest);
    }
  }
}

/** The run's background; a refinement that names none keeps the refined image's (a transparent icon stays transparent). */
async function backgroundOf(request: GenerationRequest): Promise<Background | undefined> {
  if ('background' in request.options || !request.refine) return request.options.background;
  try {
    return readRecipe(await vscode.workspace.fs.readFile(request.refine))?.background;
  } catch {
    return undefined; // the file went away: its conversation or the reference read says so
  }
}

function providerOf(settings: Settings): ProviderSettings {
  return {
    baseUrl: settings.baseUrl,
    authHeader: settings.authHeader,
    timeoutSeconds: settings.timeoutSeconds,
    idleTimeoutSeconds: settings.idleTimeoutSeconds,
    maxRetries: settings.maxRetries,
    maxRequestBytes: settings.maxRequestBytes,
  };
}

/** Reads reference images and detects their type from the bytes (the extension may lie). */
export async function readReferences(uris: readonly vscode.Uri[], maxRequestBytes?: number): Promise<ReferenceImage[]> {
  return Promise.all(
    uris.map(async (uri) => {
      const name = path.posix.basename(uri.path);
      // A multi-gigabyte file is refused from its size, before it is read into memory.
      const tooLarge = referenceTooLarge(name, (await vscode.workspace.fs.stat(uri)).size, maxRequestBytes);
      if (tooLarge) throw new ImageError('invalidJob', tooLarge, { host: '' });
      return referenceFromBytes(name, await vscode.workspace.fs.readFile(uri));
    }),
  );
}
