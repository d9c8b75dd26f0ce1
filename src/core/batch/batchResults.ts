// Saves a finished batch's results: each answer through the interactive runs' streaming path and recipe, by item key.
import type { ClientLog, StreamedResult } from '../imageClient';
import type { ImageJob, ProviderSettings } from '../imageJob';
import type { ImageStore } from '../jobs/imageStore';
import type { BackgroundRemover } from '../image/transparencyChunk';
import { runImageJob, type ImageStreamer } from '../jobs/runImageJob';
import type { ImageSink, ImageSinkFile } from '../streamSink';
import type { PreparedBatchItem } from './types';
import { missingResultMessage, type BatchApi, type BatchResult, type BatchStatus } from './batchApi';

/** Reads one answer that already arrived (ImageClient.readAnswer). */
export interface AnswerReader {
  readAnswer<F extends ImageSinkFile>(body: AsyncIterable<Uint8Array>, job: ImageJob, provider: ProviderSettings, token: string | undefined, sink: ImageSink<F>): Promise<StreamedResult<F>>;
}

/** An item of a batch as saving needs it: the prepared item, or one remembered across a reload (same fields). */
export type BatchItemTarget<L> = PreparedBatchItem<L>;

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
}

export interface BatchOutcome<L> {
  readonly files: readonly L[];
  readonly failures: readonly { line: number; message: string }[];
}

/**
 * Saves every result of the finished batch to its item's folder under its slug, the recipe naming the batch. A refusal,
 * an error or a missing answer fails that item's line only; items the batch never answered fail with the reason.
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
  let index = 0;
  await deps.api.results(
    status,
    async (result) => {
      // Inline results follow the order sent; a result without its key is matched by position.
      const item = result.key !== undefined ? byKey.get(result.key) : status.inlined ? items[index] : undefined;
      index++;
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
    if (!answered.has(item.key)) failures.push({ line: item.line, message: missingResultMessage(status) });
  }
  failures.sort((a, b) => a.line - b.line);
  return { files, failures };
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
