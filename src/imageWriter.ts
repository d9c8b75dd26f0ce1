// Saves generated images into the workspace: streamed into a temporary file, then given a free name, never overwriting.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { asDiskError } from './core/diskError';
import { extensionFor, FreeNamePicker } from './core/fileName';
import type { GeneratedImage } from './core/imageJob';
import { embedRecipe, recipeInsertionOfLength, recipeSlot, type Recipe } from './core/recipe';
import { placeWithoutOverwrite, TempImageFile } from './core/streamFile';
import { MemoryImageFile, type ImageSink } from './core/streamSink';
import { STALE_TEMPORARY_MS, sweepStaleTemporaries, temporaryName } from './core/tempFiles';
import type { Log } from './log';

/** An image written while its answer arrived, not yet under its final name. */
export type PendingImage = TempImageFile | MemoryImageFile;

export class ImageWriter {
  private readonly names = new FreeNamePicker();
  /** When each local folder was last swept of temporary files a crash left behind. */
  private readonly swept = new Map<string, number>();

  constructor(private readonly log?: Pick<Log, 'info'>) {}

  /**
   * Where a run's images stream to: on the local disk (file: URIs) a temporary file next to the final place, with
   * room for the recipe after the header; elsewhere (remote or virtual workspaces) memory, saved through workspace.fs.
   * `recipe` is what is known before the answer (its usage is filled in at commit).
   */
  sinkFor(folder: vscode.Uri, slug: string, recipe: Recipe): ImageSink<PendingImage> {
    if (folder.scheme !== 'file') return { open: async (image) => new MemoryImageFile(image), place: folder.toString(true) };
    let created: Promise<unknown> | undefined;
    return {
      place: folder.fsPath,
      open: async (image) => {
        created ??= fs.mkdir(folder.fsPath, { recursive: true }).then(() => this.sweep(folder.fsPath));
        await created;
        const temporary = path.join(folder.fsPath, temporaryName(slug));
        return TempImageFile.create(temporary, image, recipeSlot(image.format, recipe));
      },
    };
  }

  /** Removes our temporary files a crash left in the folder (at most once an hour per folder). */
  private async sweep(folder: string): Promise<void> {
    const now = Date.now();
    if (now - (this.swept.get(folder) ?? -Infinity) < STALE_TEMPORARY_MS) return;
    this.swept.set(folder, now);
    const { removed } = await sweepStaleTemporaries(folder, now);
    if (removed.length > 0) this.log?.info(`Removed ${removed.length} temporary file(s) left in ${folder} by an earlier crash`);
  }

  /** Gives a complete image its final name `<slug>.<ext>` (or `<slug>-2.<ext>`… if taken) with the final recipe inside. */
  async commit(folder: vscode.Uri, slug: string, image: PendingImage, recipe: Recipe): Promise<vscode.Uri> {
    if (image instanceof MemoryImageFile) {
      return this.save(folder, slug, { bytes: image.bytes, format: image.image.format, mimeType: image.image.mimeType }, recipe);
    }
    try {
      const length = image.recipeLength;
      if (length !== undefined) await image.writeRecipe(recipeInsertionOfLength(image.image.format, recipe, length));
      await image.close();
      return await this.placeOnDisk(image.path, folder, slug, extensionFor(image.image.format));
    } catch (error) {
      throw asDiskError(error, folder.fsPath);
    } finally {
      // Removes the temporary name (or the whole file when placing it failed).
      await image.abort();
    }
  }

  /** Writes the image (with its recipe inside) as `<slug>.<ext>` in `folder`, or `<slug>-2.<ext>`… if taken. */
  async save(folder: vscode.Uri, slug: string, image: GeneratedImage, recipe: Recipe): Promise<vscode.Uri> {
    const bytes = embedRecipe(image.bytes, image.format, recipe);
    await vscode.workspace.fs.createDirectory(folder);
    if (folder.scheme === 'file') await this.sweep(folder.fsPath);
    const temporary = vscode.Uri.joinPath(folder, temporaryName(slug));
    await vscode.workspace.fs.writeFile(temporary, bytes);
    try {
      return await this.renameToFreeName(temporary, folder, slug, extensionFor(image.format));
    } catch (error) {
      await deleteQuietly(temporary);
      throw error;
    }
  }

  private placeOnDisk(temporary: string, folder: vscode.Uri, slug: string, extension: string): Promise<vscode.Uri> {
    return this.firstFreeName(folder, slug, extension, async (target) => (await placeWithoutOverwrite(temporary, target.fsPath)) === 'placed');
  }

  private renameToFreeName(temporary: vscode.Uri, folder: vscode.Uri, slug: string, extension: string): Promise<vscode.Uri> {
    return this.firstFreeName(folder, slug, extension, async (target) => {
      if (await exists(target)) return false;
      try {
        await vscode.workspace.fs.rename(temporary, target, { overwrite: false });
        return true;
      } catch (error) {
        // Another program created the file between our check and the rename: try the next name.
        if (error instanceof vscode.FileSystemError && error.code === 'FileExists') return false;
        throw error;
      }
    });
  }

  /** Tries `<slug>.<ext>`, `<slug>-2.<ext>`… until `place` puts the file there without overwriting anything. */
  private async firstFreeName(
    folder: vscode.Uri,
    slug: string,
    extension: string,
    place: (target: vscode.Uri) => Promise<boolean>,
  ): Promise<vscode.Uri> {
    const name = await this.names.placeFree(folder.toString(), slug, extension, (candidate) => place(vscode.Uri.joinPath(folder, candidate)));
    if (name === undefined) throw new Error(`No free file name for "${slug}.${extension}" in ${folder.fsPath}.`);
    return vscode.Uri.joinPath(folder, name);
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

async function deleteQuietly(uri: vscode.Uri): Promise<void> {
  try {
    await vscode.workspace.fs.delete(uri);
  } catch {
    // The temporary file is already gone.
  }
}
