// The job runner's image store for a workspace folder: node:fs on the local disk, workspace.fs everywhere else.
import * as vscode from 'vscode';
import { extensionFor } from './core/fileName';
import { DiskImageStore, SavingState, type ImageStore } from './core/jobs/imageStore';
import { embedRecipe, type Recipe } from './core/recipe';
import { TempImageFile } from './core/streamFile';
import { MemoryImageFile } from './core/streamSink';
import { temporaryName } from './core/tempFiles';
import type { Log } from './log';

/** An image written while its answer arrived, not yet under its final name. */
export type PendingImage = TempImageFile | MemoryImageFile;

export class ImageWriter {
  /** Free names and swept folders, shared by every run, so two images finishing together never pick the same name. */
  private readonly state: SavingState;

  constructor(log?: Pick<Log, 'info'>) {
    this.state = new SavingState(log);
  }

  /**
   * Where a run's images go: on the local disk (file: URIs) a temporary file next to the final place, with room for
   * the recipe after the header; elsewhere (remote or virtual workspaces) memory, saved through workspace.fs.
   */
  storeFor(folder: vscode.Uri): ImageStore<PendingImage, vscode.Uri> {
    return folder.scheme === 'file' ? new LocalFolderStore(folder, this.state) : new WorkspaceFolderStore(folder, this.state);
  }
}

/** The core disk store, speaking Uris. */
class LocalFolderStore implements ImageStore<PendingImage, vscode.Uri> {
  private readonly disk: DiskImageStore;

  constructor(folder: vscode.Uri, state: SavingState) {
    this.disk = new DiskImageStore(folder.fsPath, state);
  }

  get place(): string {
    return this.disk.place;
  }

  open(image: Parameters<DiskImageStore['open']>[0], slug: string, recipe: Recipe): Promise<PendingImage> {
    return this.disk.open(image, slug, recipe);
  }

  async commit(file: PendingImage, slug: string, recipe: Recipe): Promise<vscode.Uri> {
    if (!(file instanceof TempImageFile)) throw new Error('A local folder only commits files it opened.');
    return vscode.Uri.file(await this.disk.commit(file, slug, recipe));
  }

  async replace(location: vscode.Uri, bytes: Uint8Array, format: 'png' | 'jpeg', slug: string): Promise<vscode.Uri> {
    return vscode.Uri.file(await this.disk.replace(location.fsPath, bytes, format, slug));
  }

  async read(location: vscode.Uri): Promise<Uint8Array> {
    return vscode.workspace.fs.readFile(location);
  }

  describe(location: vscode.Uri): string {
    return location.fsPath;
  }
}

/** Remote and virtual folders: the image is kept in memory while it arrives, then written through workspace.fs. */
class WorkspaceFolderStore implements ImageStore<PendingImage, vscode.Uri> {
  constructor(
    private readonly folder: vscode.Uri,
    private readonly state: SavingState,
  ) {}

  get place(): string {
    return this.folder.toString(true);
  }

  async open(image: MemoryImageFile['image']): Promise<PendingImage> {
    return new MemoryImageFile(image);
  }

  async commit(file: PendingImage, slug: string, recipe: Recipe): Promise<vscode.Uri> {
    if (!(file instanceof MemoryImageFile)) throw new Error('A workspace folder only commits images it kept in memory.');
    const format = file.image.format;
    return this.placeNew(embedRecipe(file.bytes, format, recipe), slug, extensionFor(format));
  }

  async replace(location: vscode.Uri, bytes: Uint8Array, format: 'png' | 'jpeg', slug: string): Promise<vscode.Uri> {
    const extension = extensionFor(format);
    if (!location.path.toLowerCase().endsWith(`.${extension}`)) {
      const placed = await this.placeNew(bytes, slug, extension);
      await deleteQuietly(location);
      return placed;
    }
    const temporary = vscode.Uri.joinPath(this.folder, temporaryName(slug));
    await vscode.workspace.fs.writeFile(temporary, bytes);
    try {
      // The file this run saved a moment ago, replaced in one step.
      await vscode.workspace.fs.rename(temporary, location, { overwrite: true });
      return location;
    } catch (error) {
      await deleteQuietly(temporary);
      throw error;
    }
  }

  /** Writes a temporary file, then renames it to the first free `<slug>.<ext>`, `<slug>-2.<ext>`… */
  private async placeNew(bytes: Uint8Array, slug: string, extension: string): Promise<vscode.Uri> {
    await vscode.workspace.fs.createDirectory(this.folder);
    const temporary = vscode.Uri.joinPath(this.folder, temporaryName(slug));
    await vscode.workspace.fs.writeFile(temporary, bytes);
    try {
      const name = await this.state.names.placeFree(this.folder.toString(), slug, extension, async (candidate) => {
        const target = vscode.Uri.joinPath(this.folder, candidate);
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
      if (name === undefined) throw new Error(`No free file name for "${slug}.${extension}" in ${this.folder.fsPath}.`);
      return vscode.Uri.joinPath(this.folder, name);
    } catch (error) {
      await deleteQuietly(temporary);
      throw error;
    }
  }

  async read(location: vscode.Uri): Promise<Uint8Array> {
    return vscode.workspace.fs.readFile(location);
  }

  describe(location: vscode.Uri): string {
    return location.fsPath;
  }
}

/** Whether anything (file or folder) is at `uri`, through workspace.fs so remote workspaces answer too. */
export async function exists(uri: vscode.Uri): Promise<boolean> {
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
