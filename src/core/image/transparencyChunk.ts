// Runs background removal (dist/transparency.js, with pngjs and jpeg-js) in a worker thread beside the bundle that asks.
import * as path from 'node:path';
import type { BackgroundRemoval, RemovalJob } from './backgroundRemoval';
import type { KeyColour } from './keyColour';

/** Removes the key colour around a subject (see core/image/backgroundRemoval); injected so the job runner stays light. */
export type BackgroundRemover = (image: Uint8Array, key: KeyColour) => Promise<BackgroundRemoval>;

/**
 * A remover that starts `<folder>/transparency.js` as a worker for each image: nothing is loaded before the first
 * transparent image, and decoding and encoding a 4K image (seconds) never block the extension host or MCP server.
 */
export function workerBackgroundRemover(folder: string): BackgroundRemover {
  return async (image, key) => {
    // Loaded on first use, like the chunk itself: activation does not pay for worker_threads either.
    const { Worker } = await import('node:worker_threads');
    return new Promise<BackgroundRemoval>((resolve, reject) => {
      const job: RemovalJob = { job: 'remove-key-colour', image, key };
      const worker = new Worker(path.join(folder, 'transparency.js'), { workerData: job });
      let answered = false;
      worker.once('message', (result: BackgroundRemoval) => {
        answered = true;
        resolve(result);
      });
      worker.once('error', reject);
      worker.once('exit', (code) => {
        if (!answered) reject(new Error(`background removal stopped without a result (exit code ${code})`));
      });
    });
  };
}
