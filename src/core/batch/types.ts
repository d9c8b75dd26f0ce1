// The contract between prompt files (what a user asks for, line by line) and the two ways a batch runs:
// interactive requests (src/batch/runBatch.ts) and Google's Batch API (src/batch/batchApiMode.ts).
import type { ImageJob } from '../imageJob';
import type { Background } from '../presets';

export type BatchMode = 'interactive' | 'batch';

/** One validated job of a prompts file (or of `{jobs}` command arguments), as the user wrote it. */
export interface PromptJob {
  /** 1-based line in the prompts file (the index + 1 for `{jobs}` arguments): failures and diagnostics name it. */
  readonly line: number;
  readonly prompt: string;
  /** Reference images, workspace-relative paths or paths relative to the prompts file. */
  readonly references?: readonly string[];
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  readonly model?: string;
  readonly preset?: string;
  /** File name without folder (extension optional): the output is saved under it (-2, -3… when taken by another). */
  readonly fileName?: string;
  readonly variants?: number;
}

/** One request of a batch, ready to send: presets expanded, references read, `auto` options resolved. */
export interface PreparedBatchItem<L> {
  /** Unique within the batch (the Batch API's request key; results come back under it). */
  readonly key: string;
  readonly line: number;
  readonly job: ImageJob;
  /** The file name without extension that outputs are saved under. */
  readonly slug: string;
  /** The folder outputs are saved into (checked to be inside the workspace). */
  readonly folder: L;
  readonly preset?: string;
  /** "transparent": the image is asked for on a key colour that is removed once it is saved (both modes). */
  readonly background?: Background;
}
