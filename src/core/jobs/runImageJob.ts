// The one job runner every caller uses (commands, panel, agent tool, MCP): request → stream → files → recipe.
import { ImageError, isImageError } from '../errors';
import type { ClientLog, StreamedResult } from '../imageClient';
import { mergeGrounding } from '../answerExtras';
import type { ApiContent, Grounding, ImageJob, ProviderSettings, ReferenceImage, Usage } from '../imageJob';
import { keyedPrompt } from '../image/keyColour';
import type { BackgroundRemover } from '../image/transparencyChunk';
import { hostOf } from '../origin';
import type { Background } from '../presets';
import { embedRecipe, removeRecipe, type Recipe } from '../recipe';
import { mimeTypeOf, sniffImageType } from '../sniff';
import { streamedImages, withImageData, type StreamedImageData } from '../streamAnswer';
import type { ImageSink, ImageSinkFile } from '../streamSink';
import type { ImageStore } from './imageStore';
import { runRequests } from '../parallel';

/** Most variants one job asks for; at most MAX_PARALLEL_REQUESTS (core/parallel) of them are in flight at once. */
export const MAX_VARIANTS = 8;

/** The part of ImageClient the runner needs (a real client in every caller; the seam keeps the runner testable). */
export interface ImageStreamer {
  stream<F extends ImageSinkFile>(
    job: ImageJob,
    provider: ProviderSettings,
    token: string | undefined,
    signal: AbortSignal | undefined,
    sink: ImageSink<F>,
  ): Promise<StreamedResult<F>>;
}

/**
 * A conversation kept for refinement without the image data in memory: each streamed image's placeholder maps to
 * where it was saved, read back (recipe removed) only when the conversation is continued.
 */
export interface Conversation<L> {
  readonly turns: readonly ApiContent[];
  readonly images: ReadonlyMap<StreamedImageData, L>;
}

export interface ImageJobRun<L> {
  /** What is sent; `history` comes from resumeConversation() when an earlier result is refined. */
  readonly job: ImageJob;
  readonly provider: ProviderSettings;
  readonly token: string;
  /** Parallel requests (1–8), each its own answer. */
  readonly variants: number;
  /** File names are `<slug>.<ext>`, `<slug>-2.<ext>`… */
  readonly slug: string;
  /** Where a refined image came from, for the recipe (a workspace-relative path). */
  readonly refinedFrom?: string;
  /** The preset the prompt was expanded from, for the recipe. */
  readonly preset?: string;
  /** "transparent": the prompt asks for a flat key colour, which is removed from each image (saved as RGBA PNG). */
  readonly background?: Background;
  /** The conversation being continued (its images stay where they were saved). */
  readonly earlier?: Conversation<L>;
  /** The Batch API job the answer came from, for the recipe. */
  readonly batch?: string;
}

export interface ImageJobDeps<F extends ImageSinkFile, L> {
  readonly client: ImageStreamer;
  readonly store: ImageStore<F, L>;
  readonly log: ClientLog;
  readonly signal?: AbortSignal;
  /** The recipe's timestamp (default: now). */
  readonly now?: () => Date;
  /** Makes a transparent background (runs with `background: "transparent"`); the caller runs it off the main thread. */
  readonly removeBackground?: BackgroundRemover;
  /** Each image the moment it is saved, with the conversation that continues it (none for a salvaged image). */
  readonly onSaved?: (file: L, conversation?: Conversation<L>) => void;
}

export interface ImageJobOutcome<L> {
  readonly files: readonly L[];
  readonly texts: readonly string[];
  readonly finishReasons: readonly string[];
  readonly usage?: Usage;
  /** One message per variant that failed while others succeeded. */
  readonly failures: readonly string[];
  /** What was skipped in answers that did bring images (images over the per-answer cap, unreadable parts). */
  readonly warnings: readonly string[];
  /** Google Search sources, to be shown with the images. */
  readonly grounding?: Grounding;
}

/**
 * Runs the job's variants (at most MAX_PARALLEL_REQUESTS at once), each image streaming into the store and saved
 * with its recipe the moment its answer is complete. An image that arrived whole is kept even if its answer breaks
 * later. Resolves when at least one image was saved; otherwise rejects with the most telling failure.
 */
export async function runImageJob<F extends ImageSinkFile, L>(run: ImageJobRun<L>, deps: ImageJobDeps<F, L>): Promise<ImageJobOutcome<L>> {
  const { provider, token, slug, earlier } = run;
  // Gemini cannot draw alpha: a transparent run asks for a key colour the subject does not use (a recipe's own prompt keeps its key).
  const keyed = run.background === 'transparent' ? keyedPrompt(run.job.prompt) : undefined;
  const key = keyed?.key;
  const job: ImageJob = keyed ? { ...run.job, prompt: keyed.prompt } : run.job;
  const { client, store, log, signal } = deps;
  const now = deps.now ?? (() => new Date());
  const onSaved = deps.onSaved ?? (() => undefined);
  const host = hostOf(provider.baseUrl);
  const variants = Math.min(MAX_VARIANTS, Math.max(1, Math.round(run.variants)));

  const files: L[] = [];
  const texts: string[] = [];
  const finishReasons: string[] = [];
  const usages: Usage[] = [];
  const warnings: string[] = [];
  const groundings: (Grounding | undefined)[] = [];
  const errors: unknown[] = [];
  const known: Recipe = {
    version: 1,
    prompt: job.prompt,
    ...(run.preset ? { preset: run.preset } : {}),
    model: job.model,
    aspectRatio: job.aspectRatio,
    imageSize: job.imageSize,
    outputFormat: job.outputFormat,
    thinkingLevel: job.thinkingLevel,
    grounding: job.grounding || undefined,
    references: job.references.map((reference) => reference.name),
    createdAt: now().toISOString(),
    refinedFrom: run.refinedFrom,
    ...(run.batch ? { batch: run.batch } : {}),
    ...(key ? { background: 'transparent' as const, keyColour: key.hex } : {}),
  };
  /** The saved image with its key-coloured background removed, in its place as an RGBA PNG; as it arrived when that fails. */
  const finish = async (file: L, recipe: Recipe): Promise<L> => {
    if (!key) return file;
    const name = fileName(store.describe(file));
    try {
      if (!deps.removeBackground) throw new Error('background removal is not available here');
      const removal = await deps.removeBackground(removeRecipe(await store.read(file)), key);
      if (removal.kind === 'opaque') {
        warnings.push(`${name} ${removal.message}`);
        log.warn(`${store.describe(file)} ${removal.message}`);
        return file;
      }
      const transparent = await store.replace(file, embedRecipe(removal.png, 'png', recipe), 'png', slug);
      log.info(`Made the ${removal.found} background of ${store.describe(transparent)} transparent (${removal.cleared} pixels cleared, ${removal.softened} edge pixels softened)`);
      return transparent;
    } catch (error) {
      warnings.push(`${name} was kept as it arrived, with its ${key.name} background: removing it failed (${messageOf(error)}).`);
      log.warn(`Removing the background of ${store.describe(file)} failed: ${messageOf(error)}`);
      return file;
    }
  };
  const runVariant = async (): Promise<void> => {
    try {
      // Each image streams into the store (a temporary file next to its final place) while the answer arrives.
      const sink: ImageSink<F> = {
        open: (image) => store.open(image, slug, known),
        place: store.place,
        // The answer broke after this image had arrived: keep it (without usage, which comes at the answer's end).
        salvage: async (image) => {
          const file = await finish(await store.commit(image.file, slug, known), known);
          files.push(file);
          log.warn(`Saved ${store.describe(file)} (${image.size} bytes, ${image.format}) from an answer that broke off later`);
          onSaved(file);
        },
      };
      const result = await client.stream(job, provider, token, signal, sink);
      const recipe: Recipe = { ...known, usage: result.usage, createdAt: now().toISOString() };
      const saved = new Map<StreamedImageData, L>(earlier?.images);
      const conversation: Conversation<L> = {
        turns: [...(earlier?.turns ?? []), ...result.conversation.slice(job.history?.length ?? 0)],
        images: saved,
      };
      const pending = new Set<F>(result.images.map((image) => image.file));
      try {
        for (const image of result.images) {
          pending.delete(image.file);
          // An image the provider sent as a link keeps where it came from in its recipe.
          const final = image.link ? { ...recipe, link: image.link } : recipe;
          const file = await finish(await store.commit(image.file, slug, final), final);
          if (image.placeholder) saved.set(image.placeholder, file);
          files.push(file);
          log.info(`Saved ${store.describe(file)} (${image.size} bytes, ${image.format})`);
          onSaved(file, conversation);
        }
      } finally {
        await Promise.all([...pending].map((file) => file.abort()));
      }
      texts.push(...result.texts);
      finishReasons.push(...result.finishReasons);
      warnings.push(...(result.warnings ?? []));
      groundings.push(result.grounding);
      if (result.usage) usages.push(result.usage);
      if (result.images.length === 0) {
        throw new ImageError('noImage', `The model at ${host} answered without an image.`, { host, texts: result.texts });
      }
    } catch (error) {
      errors.push(error);
    }
  };
  await runRequests(variants, runVariant);
  if (files.length === 0) throw firstMeaningfulError(errors);
  return { files, texts, finishReasons, usage: sumUsage(usages), failures: errors.map(messageOf), warnings, grounding: mergeGrounding(groundings) };
}

/**
 * The earlier conversation as it is sent again: each image read back from where it was saved, its recipe removed.
 * Undefined (start afresh, the image as a reference) when one of them cannot be read.
 */
export async function resumeConversation<L>(
  conversation: Conversation<L>,
  read: (location: L) => Promise<Uint8Array>,
  log: ClientLog,
): Promise<ApiContent[] | undefined> {
  const data = new Map<StreamedImageData, string>();
  try {
    for (const placeholder of streamedImages(conversation.turns)) {
      const location = conversation.images.get(placeholder);
      if (location === undefined) continue;
      const bytes = removeRecipe(await read(location));
      data.set(placeholder, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'));
    }
  } catch (error) {
    log.warn(`An image of the earlier conversation could not be read (${messageOf(error)}); refining it as a new reference instead.`);
    return undefined;
  }
  return withImageData(conversation.turns, (placeholder) => data.get(placeholder));
}

/** A reference image from its bytes, typed by sniffing (the file's extension may lie). */
export function referenceFromBytes(name: string, bytes: Uint8Array): ReferenceImage {
  const type = sniffImageType(bytes);
  // Unknown or unsupported types are passed on as such: validation names the file and the accepted types.
  return { name, bytes, mimeType: type ? mimeTypeOf(type) : 'application/octet-stream' };
}

function firstMeaningfulError(errors: readonly unknown[]): unknown {
  // A cancellation explains itself; otherwise the first real failure says the most.
  return errors.find((error) => !(isImageError(error) && error.kind === 'cancelled')) ?? errors[0] ?? new Error('No image was made.');
}

/** The last segment of a path or URI, for messages. */
function fileName(location: string): string {
  return location.split(/[\\/]/).pop() ?? location;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function sumUsage(usages: readonly Usage[]): Usage | undefined {
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
