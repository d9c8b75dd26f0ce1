// Saves a finished batch's results: each answer through the interactive runs' streaming path and recipe, by item key.
import type { ClientLog, StreamedResult } from '../imageClient';
import type { ImageJob, ProviderSettings } from '../imageJob';
import type { ImageStore } from '../jobs/imageStore';
import type { BackgroundRemover } from '../image/transparencyChunk';
import { runImageJob, type ImageStreamer } from '../jobs/runImageJob';
import type { ImageSink, ImageSinkFile } from '../streamSink';
import type { PreparedBatchItem } from './types';
import { missingResultMessage, type BatchApi, type BatchResult, type BatchStatus } from './batchApi';
import { claimExisting, recipeKeyOf, type ExistingImage } from './resume';

/** Reads one answer that already arrived (ImageClient.readAnswer). */
export interface AnswerReader {
  readAnswer<F extends ImageSinkFile>(body: AsyncIterable<Uint8Array>, job: ImageJob, provider: ProviderSettings, token: string | undefined, sink: ImageSink<F>): Promise<StreamedResult<F>>;
}

/** An item of a batch as saving needs it: the prepared item, or one remembered across a reload (same fields). */
export type BatchItemTarget<L> = PreparedBatchItem<L>;

/** The images already in the items' folders, as the interactive rerun finds them (see `claimExisting`). */
export interface ExistingImages<L> {
  /** The images in the items' folders named after their slugs, with their recipes. */
  list(items: readonly BatchItemTarget<L>[]): Promise<readonly ExistingImage<L>[]>;
  /** A folder as text, as `ExistingImage.folder` names it. */
  folderKey(folder: L): string;
}

export interface SaveBatchDeps<F extends ImageSinkFile, L> {
  readonly api: Pick<BatchApi, 'results'>;
  readonly reader: AnswerReader;
  readonly provider: ProviderSettings;
  readonly token: string;
  readonly storeFor: (folder: L) => ImageStore<F, L>;
  readonly log: ClientLog;
  readonly signal?: AbortSignal;
  readonly now?: () => Date;
  /** Each image the moment it is saved. */
  readonly onSaved?: (file: L) => void;
  /** Makes transparent backgrounds (items with `background: "transparent"`), as interactive runs do. */
  readonly removeBackground?: BackgroundRemover;
  /** What is on disk already: an image this batch saved before a window reload counts as saved, never saved twice. */
  readonly existing?: ExistingImages<L>;
}

export interface BatchOutcome<L> {
  readonly files: readonly L[];
  readonly failures: readonly { line: number; message: string }[];
}

/**
 * Saves every result of the finished batch to its item's folder under its slug, the recipe naming the batch. A refusal,
 * an error or a missing answer fails that item's line only; items the batch never answered fail with the reason.
 * An item whose image this batch already saved (the window reloaded while saving) is not saved again: its file counts.
 */
export async function saveBatchResults<F extends ImageSinkFile, L>(
  status: BatchStatus,
  items: readonly BatchItemTarget<L>[],
  deps: SaveBatchDeps<F, L>,
): Promise<BatchOutcome<L>> {
  const byKey = new Map(items.map((item) => [item.key, item]));
  const answered = new Set<string>();
  const files: L[] = [];
  const failures: { line: number; message: string }[] = [];
  const before = await savedBefore(status.name, items, deps.existing);
  for (const item of items) {
    const image = before.get(item.key);
    if (image === undefined) continue;
    files.push(image.location);
    deps.log.info(`Batch ${status.name}: line ${item.line} already saved before the reload (${image.name}), not saved again`);
  }
  let index = 0;
  await deps.api.results(
    status,
    async (result) => {
      // Inline results follow the order sent; a result without its key is matched by position.
      const item = result.key !== undefined ? byKey.get(result.key) : status.inlined ? items[index] : undefined;
      index++;
      if (item && before.has(item.key)) return;
      if (!item || answered.has(item.key)) {
        deps.log.warn(`Batch ${status.name}: a result for an unknown request${result.key !== undefined ? ` (key ${JSON.stringify(result.key.slice(0, 64))})` : ''} was ignored`);
        return;
      }
      answered.add(item.key);
      try {
        files.push(...(await saveResult(status.name, result, item, deps)));
      } catch (error) {
        failures.push({ line: item.line, message: error instanceof Error ? error.message : String(error) });
      }
    },
    deps.signal,
  );
  for (const item of items) {
    if (!answered.has(item.key) && !before.has(item.key)) failures.push({ line: item.line, message: missingResultMessage(status) });
  }
  failures.sort((a, b) => a.line - b.line);
  return { files, failures };
}

/**
 * By item key, the image this very batch already saved for it (same folder, a name of its slug, the same request, the
 * recipe naming the batch): each image claimed once, so two identical items need two. Another run's image never counts:
 * a new batch paid for a new image.
 */
async function savedBefore<L>(batch: string, items: readonly BatchItemTarget<L>[], existing: ExistingImages<L> | undefined): Promise<Map<string, ExistingImage<L>>> {
  const found = new Map<string, ExistingImage<L>>();
  if (!existing) return found;
  const ours = (await existing.list(items)).filter((image) => image.recipe.batch === batch);
  const byLocation = new Map(ours.map((image) => [image.location, image]));
  const claims = claimExisting(
    items.map((item) => ({ folder: existing.folderKey(item.folder), slug: item.slug, key: recipeKeyOf(item.job, item.preset, item.background), variants: 1 })),
    ours,
  );
  items.forEach((item, index) => {
    const image = byLocation.get(claims[index][0]);
    if (image) found.set(item.key, image);
  });
  return found;
}

async function saveResult<F extends ImageSinkFile, L>(batch: string, result: BatchResult, item: BatchItemTarget<L>, deps: SaveBatchDeps<F, L>): Promise<L[]> {
  if (result.error !== undefined) throw new Error(result.error);
  const body = Buffer.from(JSON.stringify(result.response));
  // The answer is already here: the "request" reads it through the same streaming path as an interactive answer.
  const streamer: ImageStreamer = {
    stream: (job, provider, token, _signal, sink) => deps.reader.readAnswer(once(body), job, provider, token, sink),
  };
  const outcome = await runImageJob(
    { job: item.job, provider: deps.provider, token: deps.token, variants: 1, slug: item.slug, preset: item.preset, batch, background: item.background },
    {
      client: streamer,
      store: deps.storeFor(item.folder),
      log: deps.log,
      signal: deps.signal,
      now: deps.now,
      onSaved: (file) => deps.onSaved?.(file),
      removeBackground: deps.removeBackground,
    },
  );
  return [...outcome.files];
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array, void, undefined> {
  yield bytes;
}
