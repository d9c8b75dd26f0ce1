// Saves generated images into the workspace: streamed into a temporary file, then given a free name, never overwriting.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { candidateName, extensionFor } from './core/fileName';
import type { GeneratedImage } from './core/imageJob';
import { embedRecipe, recipeInsertionOfLength, recipeSlot, type Recipe } from './core/recipe';
import { placeWithoutOverwrite, TempImageFile } from './core/streamFile';
import { MemoryImageFile, type ImageSink } from './core/streamSink';

const MAX_ATTEMPTS = 10_000;

/** An image written while its answer arrived, not yet under its final name. */
export type PendingImage = TempImageFile | MemoryImageFile;

export class ImageWriter {
  /** Names claimed by saves still in flight, so two variants finishing together never pick the same name. */
  private readonly claimed = new Set<string>();

  /**
   * Where a run's images stream to: on the local disk (file: URIs) a temporary file next to the final place, with
   * room for the recipe after the header; elsewhere (remote or virtual workspaces) memory, saved through workspace.fs.
   * `recipe` is what is known before the answer (its usage is filled in at commit).
   */
  sinkFor(folder: vscode.Uri, slug: string, recipe: Recipe): ImageSink<PendingImage> {
    if (folder.scheme !== 'file') return { open: async (image) => new MemoryImageFile(image) };
    let created: Promise<unknown> | undefined;
    return {
      open: async (image) => {
        created ??= fs.mkdir(folder.fsPath, { recursive: true });
        await created;
        const temporary = path.join(folder.fsPath, `.${slug}.${randomSuffix()}.part`);
        return TempImageFile.create(temporary, image, recipeSlot(image.format, recipe));
      },
    };
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
    } finally {
      // Removes the temporary name (or the whole file when placing it failed).
      await image.abort();
    }
  }

  /** Writes the image (with its recipe inside) as `<slug>.<ext>` in `folder`, or `<slug>-2.<ext>`… if taken. */
  async save(folder: vscode.Uri, slug: string, image: GeneratedImage, recipe: Recipe): Promise<vscode.Uri> {
    const bytes = embedRecipe(image.bytes, image.format, recipe);
    await vscode.workspace.fs.createDirectory(folder);
    const temporary = vscode.Uri.joinPath(folder, `.${slug}.${randomSuffix()}.part`);
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
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const target = vscode.Uri.joinPath(folder, candidateName(slug, extension, attempt));
      const key = target.toString();
      // Claim the name before the first await, so a variant finishing at the same moment skips it.
      if (this.claimed.has(key)) continue;
      this.claimed.add(key);
      try {
        if (await place(target)) return target;
      } finally {
        this.claimed.delete(key);
      }
    }
    throw new Error(`No free file name for "${slug}.${extension}" in ${folder.fsPath}.`);
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

function randomSuffix(): string {
  return Math.random().toString(36).slice(2, 10);
}
