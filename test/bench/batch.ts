// Bench: a prompts-file batch against the local server's rate limit, through the same core the extension runs
// (runAdaptively → runImageJob → ImageClient with retryQuota false → files on disk). Time vs the ideal, and 429s.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DEFAULT_BATCH_CONCURRENCY, runAdaptively } from '../../src/core/batch/adaptive';
import { ImageClient } from '../../src/core/imageClient';
import type { ProviderSettings } from '../../src/core/imageJob';
import { DiskImageStore, SavingState } from '../../src/core/jobs/imageStore';
import { runImageJob } from '../../src/core/jobs/runImageJob';
import { systemClock } from '../../src/core/retry';
import { createUndiciTransport } from '../../src/http/index';
import { SENTINEL_TOKEN } from '../sentinel';
import { admin } from './clients';

export interface BatchBenchFigures {
  readonly prompts: number;
  readonly perMinute: number;
  readonly latencyMs: number;
  readonly seconds: number;
  readonly idealSeconds: number;
  readonly throttled: number;
  readonly files: number;
  readonly limits: readonly number[];
}

/** One prompt for every item: the server makes each of its pictures once and serves them from its cache after that,
 * so the figure is the batch's pacing, not the server drawing 100 different 1K images on this 2-core machine. */
const BATCH_PROMPT = 'A product shot of a ceramic mug, batch bench';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** `prompts` one-image jobs at the default concurrency against `perMinute` requests per minute (steady, no burst). */
export async function batchBench(
  url: string,
  work: string,
  options: { prompts: number; perMinute: number; latencyMs: number; smallImages?: boolean },
): Promise<BatchBenchFigures> {
  const folder = fs.mkdtempSync(path.join(work, 'batch-'));
  const transport = createUndiciTransport({});
  const client = new ImageClient({ transport, log: quiet });
  const store = new DiskImageStore(folder, new SavingState());
  const provider: ProviderSettings = { baseUrl: url, authHeader: 'bearer', timeoutSeconds: 60, maxRetries: 3, retryQuota: false };
  await admin(url, 'reset', {});
  await admin(url, 'options', { smallImages: options.smallImages ?? false });
  const job = { prompt: BATCH_PROMPT, references: [], model: 'gemini-3.1-flash-image', imageSize: '1K', includeText: true };
  // Untimed warm-up: the server draws its 8 pictures of the prompt once, and the connection pool fills.
  for (let i = 0; i < 8; i++) await runImageJob({ job, provider, token: SENTINEL_TOKEN, variants: 1, slug: 'warm-up' }, { client, store, log: quiet });
  for (const name of fs.readdirSync(folder)) fs.rmSync(path.join(folder, name));
  await admin(url, 'options', { rateLimit: { requestsPerMinute: options.perMinute }, latencyMs: options.latencyMs });
  try {
    const items = Array.from({ length: options.prompts }, (_, i) => i + 1);
    const started = performance.now();
    const result = await runAdaptively(
      items,
      (item, signal) =>
        runImageJob(
          {
            job,
            provider,
            token: SENTINEL_TOKEN,
            variants: 1,
            slug: `bench-${item}`,
          },
          { client, store, log: quiet, signal },
        ),
      { concurrency: DEFAULT_BATCH_CONCURRENCY, clock: systemClock },
    );
    const seconds = (performance.now() - started) / 1000;
    const failed = result.outcomes.filter((outcome) => outcome.status !== 'ok');
    if (failed.length > 0) throw new Error(`${failed.length} batch item(s) failed: ${String((failed[0] as { error?: unknown }).error)}`);
    return {
      prompts: options.prompts,
      perMinute: options.perMinute,
      latencyMs: options.latencyMs,
      seconds,
      idealSeconds: (options.prompts * 60) / options.perMinute,
      throttled: result.throttled,
      files: fs.readdirSync(folder).filter((name) => name.endsWith('.png')).length,
      limits: result.concurrency.history.map(([, limit]) => limit),
    };
  } finally {
    await admin(url, 'options', { rateLimit: null, latencyMs: 0, smallImages: false });
    await transport.close();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
