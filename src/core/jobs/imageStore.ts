// Where a job's images go: the port the job runner writes through, and its node:fs implementation (a local folder).
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { asDiskError } from '../diskError';
import { extensionFor, FreeNamePicker } from '../fileName';
import { recipeInsertionOfLength, recipeSlot, type Recipe } from '../recipe';
import { placeWithoutOverwrite, TempImageFile } from '../streamFile';
import type { ImageSinkFile, NewImage } from '../streamSink';
import { STALE_TEMPORARY_MS, sweepStaleTemporaries, temporaryName } from '../tempFiles';

/**
 * One output folder. `F` is an image being written (not yet visible), `L` where a saved image is (a path, a Uri).
 * Nothing a store commits ever replaces an existing file.
 */
export interface ImageStore<F extends ImageSinkFile, L> {
  /** The folder, named when the file system fails (the failure is about the disk, not the network). */
  readonly place: string;
  /** Starts a file for an image whose bytes are about to stream in; `recipe` is what is known before the answer. */
  open(image: NewImage, slug: string, recipe: Recipe): Promise<F>;
  /** Gives a complete image its final name (`<slug>.<ext>`, or `<slug>-2.<ext>`… if taken) with the final recipe. */
  commit(file: F, slug: string, recipe: Recipe): Promise<L>;
  /**
   * Puts a processed version of an image this store has just saved in its place (a transparent background): under
   * the same name when the extension stays, otherwise under a free `<slug>.<ext>`, the old file removed only once
   * the new one is there. Never replaces anything else.
   */
  replace(location: L, bytes: Uint8Array, format: 'png' | 'jpeg', slug: string): Promise<L>;
  /** The bytes of a saved image (to continue its conversation). */
  read(location: L): Promise<Uint8Array>;
  /** For log lines. */
  describe(location: L): string;
}

/** What every store of a process shares: free names (claims and the last number used), and when folders were swept. */
export class SavingState {
  readonly names = new FreeNamePicker();
  private readonly swept = new Map<string, number>();

  constructor(private readonly log?: { info(message: string): void }) {}

  /** Removes our temporary files a crash left in the folder (at most once an hour per folder). */
  async sweep(folder: string): Promise<void> {
    const now = Date.now();
    if (now - (this.swept.get(folder) ?? -Infinity) < STALE_TEMPORARY_MS) return;
    this.swept.set(folder, now);
    const { removed } = await sweepStaleTemporaries(folder, now);
    if (removed.length > 0) this.log?.info(`Removed ${removed.length} temporary file(s) left in ${folder} by an earlier crash`);
  }
}

/** A folder on the local disk: each image streams into a temporary file next to its final place, recipe slot included. */
export class DiskImageStore implements ImageStore<TempImageFile, string> {
  private created: Promise<unknown> | undefined;

  constructor(
    readonly folder: string,
    private readonly state: SavingState = new SavingState(),
  ) {}

  get place(): string {
    return this.folder;
  }

  async open(image: NewImage, slug: string, recipe: Recipe): Promise<TempImageFile> {
    this.created ??= fs.mkdir(this.folder, { recursive: true }).then(() => this.state.sweep(this.folder));
    await this.created;
    const temporary = path.join(this.folder, temporaryName(slug));
    return TempImageFile.create(temporary, image, recipeSlot(image.format, recipe));
  }

  async commit(file: TempImageFile, slug: string, recipe: Recipe): Promise<string> {
    try {
      const length = file.recipeLength;
      if (length !== undefined) await file.writeRecipe(recipeInsertionOfLength(file.image.format, recipe, length));
      await file.close();
      const extension = extensionFor(file.image.format);
      const name = await this.state.names.placeFree(this.folder, slug, extension, async (candidate) => (await placeWithoutOverwrite(file.path, path.join(this.folder, candidate))) === 'placed');
      if (name === undefined) throw new Error(`No free file name for "${slug}.${extension}" in ${this.folder}.`);
      return path.join(this.folder, name);
    } catch (error) {
      throw asDiskError(error, this.folder);
    } finally {
      // Removes the temporary name (or the whole file when placing it failed).
      await file.abort();
    }
  }

  async replace(location: string, bytes: Uint8Array, format: 'png' | 'jpeg', slug: string): Promise<string> {
    const extension = extensionFor(format);
    const temporary = path.join(this.folder, temporaryName(slug));
    // Written first and on its own: a file already at that name is someone else's and stays where it is.
    await fs.writeFile(temporary, bytes, { flag: 'wx' }).catch((error: unknown) => {
      throw asDiskError(error, this.folder);
    });
    try {
      if (path.extname(location).slice(1).toLowerCase() === extension) {
        // The file this run saved a moment ago, replaced in one step (a rename never leaves half a file).
        await fs.rename(temporary, location);
        return location;
      }
      const name = await this.state.names.placeFree(this.folder, slug, extension, async (candidate) => (await placeWithoutOverwrite(temporary, path.join(this.folder, candidate))) === 'placed');
      if (name === undefined) throw new Error(`No free file name for "${slug}.${extension}" in ${this.folder}.`);
      await fs.rm(location, { force: true });
      return path.join(this.folder, name);
    } catch (error) {
      throw asDiskError(error, this.folder);
    } finally {
      await fs.rm(temporary, { force: true });
    }
  }

  async read(location: string): Promise<Uint8Array> {
    return fs.readFile(location);
  }

  describe(location: string): string {
    return location;
  }
}
