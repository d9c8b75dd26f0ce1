// Saves generated images into the workspace through workspace.fs: temporary name, then rename, never overwriting.
import * as vscode from 'vscode';
import { candidateName, extensionFor } from './core/fileName';
import type { GeneratedImage } from './core/imageJob';
import { embedRecipe, type Recipe } from './core/recipe';

const MAX_ATTEMPTS = 10_000;

export class ImageWriter {
  /** Names claimed by saves still in flight, so two variants finishing together never pick the same name. */
  private readonly claimed = new Set<string>();

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

  private async renameToFreeName(temporary: vscode.Uri, folder: vscode.Uri, slug: string, extension: string): Promise<vscode.Uri> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const target = vscode.Uri.joinPath(folder, candidateName(slug, extension, attempt));
      const key = target.toString();
      // Claim the name before the first await, so a variant finishing at the same moment skips it.
      if (this.claimed.has(key)) continue;
      this.claimed.add(key);
      try {
        if (await exists(target)) continue;
        await vscode.workspace.fs.rename(temporary, target, { overwrite: false });
        return target;
      } catch (error) {
        // Another program created the file between our check and the rename: try the next name.
        if (error instanceof vscode.FileSystemError && error.code === 'FileExists') continue;
        throw error;
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
