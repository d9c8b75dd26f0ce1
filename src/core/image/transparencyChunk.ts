// Loads background removal (dist/transparency.js, with pngjs and jpeg-js) on its first use, from beside the bundle that asks.
import * as path from 'node:path';
import type { BackgroundRemoval } from './backgroundRemoval';
import type { KeyColour } from './keyColour';

/** Removes the key colour around a subject (see core/image/backgroundRemoval); injected so the job runner stays light. */
export type BackgroundRemover = (image: Uint8Array, key: KeyColour) => Promise<BackgroundRemoval>;

type TransparencyModule = typeof import('./backgroundRemoval');

/** A remover that requires `<folder>/transparency.js` the first time an image needs it. */
export function lazyBackgroundRemover(folder: string): BackgroundRemover {
  let loaded: TransparencyModule | undefined;
  return async (image, key) => {
    // A computed path keeps esbuild from bundling the chunk into the caller's bundle.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a synchronous, deliberately late load
    loaded ??= require(path.join(folder, 'transparency.js')) as TransparencyModule;
    return loaded.removeKeyColour(image, key);
  };
}
