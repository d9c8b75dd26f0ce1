// What is remembered of a running batch (in workspace state) so a window reload resumes polling and saves its images.
import type { ImageJob } from '../imageJob';
import type { BatchItemTarget } from './batchResults';

/** One submitted batch: enough to poll it, cancel it and save each result where its line asked. */
export interface RememberedBatch {
  /** `batches/…` */
  readonly name: string;
  /** The base URL it was submitted to: polls go there even if the setting changed since. */
  readonly baseUrl: string;
  readonly model: string;
  readonly displayName: string;
  /** The prompts file it came from (a URI string), if any. */
  readonly promptsFile?: string;
  /** ISO time it was submitted. */
  readonly submittedAt: string;
  readonly items: readonly RememberedItem[];
}

/** An item without its reference images' bytes (the recipe keeps their names only). */
export interface RememberedItem {
  readonly key: string;
  readonly line: number;
  readonly slug: string;
  /** The output folder (a URI string). */
  readonly folder: string;
  readonly preset?: string;
  readonly background?: 'transparent';
  readonly job: RememberedJob;
}

/** The job as sent, its references by name only (a batch never continues a conversation: no history). */
export type RememberedJob = Omit<ImageJob, 'references' | 'history'> & { readonly references: readonly string[] };

export function rememberItem<L>(item: BatchItemTarget<L>, folder: (location: L) => string): RememberedItem {
  const { job } = item;
  return {
    key: item.key,
    line: item.line,
    slug: item.slug,
    folder: folder(item.folder),
    ...(item.preset ? { preset: item.preset } : {}),
    ...(item.background === 'transparent' ? { background: 'transparent' as const } : {}),
    job: {
      prompt: job.prompt,
      model: job.model,
      ...(job.aspectRatio ? { aspectRatio: job.aspectRatio } : {}),
      ...(job.imageSize ? { imageSize: job.imageSize } : {}),
      ...(job.outputFormat ? { outputFormat: job.outputFormat } : {}),
      ...(job.thinkingLevel ? { thinkingLevel: job.thinkingLevel } : {}),
      ...(job.grounding ? { grounding: true } : {}),
      includeText: job.includeText,
      references: job.references.map((reference) => reference.name),
    },
  };
}

/** The items as saving needs them; a reference comes back as its name only (its bytes were sent already). */
export function restoreItems<L>(batch: RememberedBatch, folder: (text: string) => L): BatchItemTarget<L>[] {
  return batch.items.map((item) => {
    const job: ImageJob = {
      ...item.job,
      references: item.job.references.map((name) => ({ name, bytes: new Uint8Array(0), mimeType: 'application/octet-stream' })),
    };
    return {
      key: item.key,
      line: item.line,
      slug: item.slug,
      folder: folder(item.folder),
      job,
      ...(item.preset ? { preset: item.preset } : {}),
      ...(item.background === 'transparent' ? { background: 'transparent' as const } : {}),
    };
  });
}

/** The remembered batches found in workspace state; anything malformed is dropped, never trusted. */
export function readRememberedBatches(value: unknown): RememberedBatch[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRememberedBatch);
}

function isRememberedBatch(value: unknown): value is RememberedBatch {
  if (!isObject(value)) return false;
  const { name, baseUrl, model, displayName, submittedAt, items, promptsFile } = value;
  return (
    typeof name === 'string' &&
    /^batches\/[A-Za-z0-9_-]{1,128}$/.test(name) &&
    typeof baseUrl === 'string' &&
    typeof model === 'string' &&
    typeof displayName === 'string' &&
    typeof submittedAt === 'string' &&
    (promptsFile === undefined || typeof promptsFile === 'string') &&
    Array.isArray(items) &&
    items.every(isRememberedItem)
  );
}

function isRememberedItem(value: unknown): value is RememberedItem {
  if (!isObject(value) || !isObject(value.job)) return false;
  const job = value.job;
  const optionalText = (field: unknown): boolean => field === undefined || typeof field === 'string';
  return (
    typeof value.key === 'string' &&
    typeof value.line === 'number' &&
    typeof value.slug === 'string' &&
    typeof value.folder === 'string' &&
    optionalText(value.preset) &&
    (value.background === undefined || value.background === 'transparent') &&
    typeof job.prompt === 'string' &&
    typeof job.model === 'string' &&
    optionalText(job.aspectRatio) &&
    optionalText(job.imageSize) &&
    (job.outputFormat === undefined || job.outputFormat === 'png' || job.outputFormat === 'jpeg') &&
    optionalText(job.thinkingLevel) &&
    (job.grounding === undefined || typeof job.grounding === 'boolean') &&
    typeof job.includeText === 'boolean' &&
    Array.isArray(job.references) &&
    job.references.every((name) => typeof name === 'string')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
