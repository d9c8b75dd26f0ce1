// Runs one generation (N variants in parallel), saving every image the moment its answer arrives.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ImageError, isImageError } from './core/errors';
import { slugFromPrompt } from './core/fileName';
import { mergeGrounding } from './core/answerExtras';
import type { ApiContent, Grounding, ImageJob, ProviderSettings, ReferenceImage, Usage } from './core/imageJob';
import { estimateCost, type CostEstimate } from './core/prices';
import type { Background } from './core/presets';
import { hostOf } from './core/origin';
import { tokenScopeLabel } from './core/tokenScope';
import { parseOutputFolder, symlinkEscape } from './core/outputFolder';
import { removeRecipe, type Recipe } from './core/recipe';
import { mimeTypeOf, sniffImageType } from './core/sniff';
import { streamedImages, withImageData, type StreamedImageData } from './core/streamAnswer';
import { referenceTooLarge } from './core/validate';
import type { ImageSink } from './core/streamSink';
import type { ImageClientProvider } from './imageClientProvider';
import type { ImageWriter, PendingImage } from './imageWriter';
import type { Log } from './log';
import type { Settings } from './settings';
import type { TokenStore } from './tokenStore';

const MAX_PARALLEL_REQUESTS = 4;
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
  /** Exactly where to save, already checked to be inside the workspace (a Markdown link's folder). */
  readonly folder?: vscode.Uri;
  /** The file's name without extension, instead of one made from the prompt. */
  readonly fileName?: string;
}

export interface GenerationOutcome {
  readonly files: readonly vscode.Uri[];
  readonly texts: readonly string[];
  readonly finishReasons: readonly string[];
  readonly usage?: Usage;
  /** One message per variant that failed while others succeeded. */
  readonly failures: readonly string[];
  /** What was skipped in answers that did bring images (images over the per-answer cap, unreadable parts). */
  readonly warnings?: readonly string[];
  /** The model id sent (what `auto` picked, or the id as typed). */
  readonly model: string;
  readonly autoModel: boolean;
  /** Google Search sources, to be shown with the images. */
  readonly grounding?: Grounding;
  /** Estimated cost of this run and of every run in this session. */
  readonly cost?: CostEstimate;
  readonly sessionCostUsd?: number;
}

/** Resolves `auto` to a model the provider lists, and forgets its list when a model was not found. */
export interface ModelResolver {
  resolve(model: string, settings: Settings, imageSize?: string): Promise<{ id: string; auto: boolean }>;
  forget(settings: Settings): void;
}

/**
 * A conversation kept for refinement without the image data in memory: each streamed image's placeholder maps to
 * the file it was saved as, read back (recipe removed) only when the conversation is continued.
 */
interface Conversation {
  readonly turns: readonly ApiContent[];
  readonly images: ReadonlyMap<StreamedImageData, vscode.Uri>;
}

export class ImageGenerator {
  /** The conversation behind each recent result, for true multi-turn refinement. */
  private readonly conversations = new Map<string, Conversation>();
  /** Estimated spend since the window opened (cost estimates only). */
  private sessionCostUsd = 0;

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

  async run(
    settings: Settings,
    request: GenerationRequest,
    cancellation: vscode.CancellationToken,
    onSaved: (file: vscode.Uri) => void = () => undefined,
  ): Promise<GenerationOutcome> {
    const token = await this.tokens.get(settings.baseUrl);
    const host = hostOf(settings.baseUrl);
    if (!token) {
      // Named with its path: a token stored for another path on this host (another tenant) is not used here.
      throw new ImageError('noToken', `No API token is set for ${tokenScopeLabel(settings.baseUrl)}. Run "Gemini Image: Set API Key (Token)…" first.`, { host });
    }
    const earlier = request.refine ? this.conversations.get(request.refine.toString()) : undefined;
    const history = earlier ? await this.withImages(earlier) : undefined;
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
    const provider: ProviderSettings = {
      baseUrl: settings.baseUrl,
      authHeader: settings.authHeader,
      timeoutSeconds: settings.timeoutSeconds,
      idleTimeoutSeconds: settings.idleTimeoutSeconds,
      maxRetries: settings.maxRetries,
      maxRequestBytes: settings.maxRequestBytes,
    };
    const folder = await this.outputFolder(settings, request);
    const variants = Math.min(8, Math.max(1, Math.round(chosen.variants)));
    const client = this.clients.get();
    const abort = new AbortController();
    const subscription = cancellation.onCancellationRequested(() => abort.abort());

    const files: vscode.Uri[] = [];
    const texts: string[] = [];
    const finishReasons: string[] = [];
    const usages: Usage[] = [];
    const warnings: string[] = [];
    const groundings: (Grounding | undefined)[] = [];
    const errors: unknown[] = [];
    const slug = request.fileName ?? slugFromPrompt(request.subject ?? request.prompt);
    const known: Recipe = {
      version: 1,
      prompt: job.prompt,
      ...(request.options.preset ? { preset: request.options.preset } : {}),
      model: job.model,
      aspectRatio: job.aspectRatio,
      imageSize: job.imageSize,
      outputFormat: job.outputFormat,
      thinkingLevel: job.thinkingLevel,
      grounding: job.grounding || undefined,
      references: references.map((reference) => reference.name),
      createdAt: new Date().toISOString(),
      refinedFrom: request.refine ? vscode.workspace.asRelativePath(request.refine) : undefined,
    };
    const runVariant = async (): Promise<void> => {
      try {
        // Each image streams into a temporary file next to its final place while the answer arrives.
        const sink: ImageSink<PendingImage> = {
          ...this.writer.sinkFor(folder, slug, known),
          // The answer broke after this image had arrived: keep it (without usage, which comes at the answer's end).
          salvage: async (image) => {
            const file = await this.writer.commit(folder, slug, image.file, known);
            files.push(file);
            this.log.warn(`Saved ${file.fsPath} (${image.size} bytes, ${image.format}) from an answer that broke off later`);
            onSaved(file);
          },
        };
        const result = await client.stream(job, provider, token, abort.signal, sink);
        const recipe: Recipe = { ...known, usage: result.usage, createdAt: new Date().toISOString() };
        const saved = new Map<StreamedImageData, vscode.Uri>(earlier?.images);
        const conversation: Conversation = { turns: [...(earlier?.turns ?? []), ...result.conversation.slice(history?.length ?? 0)], images: saved };
        const pending = new Set<PendingImage>(result.images.map((image) => image.file));
        try {
          for (const image of result.images) {
            pending.delete(image.file);
            const file = await this.writer.commit(folder, slug, image.file, image.link ? { ...recipe, link: image.link } : recipe);
            if (image.placeholder) saved.set(image.placeholder, file);
            this.remember(file, conversation);
            files.push(file);
            this.log.info(`Saved ${file.fsPath} (${image.size} bytes, ${image.format})`);
            onSaved(file);
          }
        } finally {
          await Promise.all([...pending].map((file) => file.abort()));
        }
        texts.push(...result.texts);
        finishReasons.push(...result.finishReasons);
        warnings.push(...(result.warnings ?? []));
        if (result.usage) usages.push(result.usage);
        groundings.push(result.grounding);
        if (result.images.length === 0) {
          throw new ImageError('noImage', `The model at ${host} answered without an image.`, { host, texts: result.texts });
        }
      } catch (error) {
        errors.push(error);
      }
    };
    try {
      await runBounded(variants, MAX_PARALLEL_REQUESTS, runVariant);
    } finally {
      subscription.dispose();
    }
    if (files.length === 0) {
      const error = firstMeaningfulError(errors);
      // The kept model list named a model the provider no longer has: ask it again next time.
      if (isImageError(error) && error.kind === 'modelNotFound') this.models?.forget(settings);
      throw error;
    }
    const usage = sumUsage(usages);
    const cost = estimateCost(job.model, usage, settings.prices);
    if (cost) this.sessionCostUsd += cost.usd;
    return {
      files,
      texts,
      finishReasons,
      usage,
      failures: errors.map((error) => messageOf(error)),
      warnings,
      model: job.model,
      autoModel: model.auto,
      grounding: mergeGrounding(groundings),
      ...(cost ? { cost, sessionCostUsd: this.sessionCostUsd } : {}),
    };
  }

  private async outputFolder(settings: Settings, request: GenerationRequest): Promise<vscode.Uri> {
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

  /** The conversation as it is sent: each image read back from its file; undefined (start afresh) if one is gone. */
  private async withImages(conversation: Conversation): Promise<ApiContent[] | undefined> {
    const data = new Map<StreamedImageData, string>();
    try {
      for (const placeholder of streamedImages(conversation.turns)) {
        const file = conversation.images.get(placeholder);
        if (!file) continue;
        const bytes = removeRecipe(await vscode.workspace.fs.readFile(file));
        data.set(placeholder, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'));
      }
    } catch (error) {
      this.log.warn(`An image of the earlier conversation could not be read (${messageOf(error)}); refining it as a new reference instead.`);
      return undefined;
    }
    return withImageData(conversation.turns, (placeholder) => data.get(placeholder));
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

/** Reads reference images and detects their type from the bytes (the extension may lie). */
export async function readReferences(uris: readonly vscode.Uri[], maxRequestBytes?: number): Promise<ReferenceImage[]> {
  return Promise.all(
    uris.map(async (uri) => {
      const name = path.posix.basename(uri.path);
      // A multi-gigabyte file is refused from its size, before it is read into memory.
      const tooLarge = referenceTooLarge(name, (await vscode.workspace.fs.stat(uri)).size, maxRequestBytes);
      if (tooLarge) throw new ImageError('invalidJob', tooLarge, { host: '' });
      const bytes = await vscode.workspace.fs.readFile(uri);
      const type = sniffImageType(bytes);
      // Unknown or unsupported types are passed on as such: validation names the file and the accepted types.
      return { name, bytes, mimeType: type ? mimeTypeOf(type) : 'application/octet-stream' };
    }),
  );
}

async function runBounded(count: number, limit: number, task: () => Promise<void>): Promise<void> {
  let started = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      await task();
    }
  };
  await Promise.all(Array.from({ length: Math.min(count, limit) }, worker));
}

function firstMeaningfulError(errors: readonly unknown[]): unknown {
  // A cancellation explains itself; otherwise the first real failure says the most.
  return errors.find((error) => !(isImageError(error) && error.kind === 'cancelled')) ?? errors[0] ?? new Error('No image was made.');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function sumUsage(usages: readonly Usage[]): Usage | undefined {
  if (usages.length === 0) return undefined;
  const sum = (key: keyof Usage): number | undefined => {
    const values = usages.map((usage) => usage[key]).filter((value): value is number => typeof value === 'number');
    return values.length > 0 ? values.reduce((a, b) => a + b, 0) : undefined;
  };
  return {
    promptTokenCount: sum('promptTokenCount'),
    candidatesTokenCount: sum('candidatesTokenCount'),
    totalTokenCount: sum('totalTokenCount'),
    thoughtsTokenCount: sum('thoughtsTokenCount'),
    ...sumDetails(usages),
  };
}

function sumDetails(usages: readonly Usage[]): Pick<Usage, 'candidatesTokensDetails'> {
  const totals = new Map<string, number>();
  for (const entry of usages.flatMap((usage) => usage.candidatesTokensDetails ?? [])) {
    totals.set(entry.modality, (totals.get(entry.modality) ?? 0) + entry.tokenCount);
  }
  return totals.size > 0 ? { candidatesTokensDetails: [...totals].map(([modality, tokenCount]) => ({ modality, tokenCount })) } : {};
}
