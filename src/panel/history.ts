// The gallery's history: every image saved into the output folders, kept in workspace state and rebuilt from the
// recipes inside the files when that state is gone.
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { clipReferences, clipText, MAX_HISTORY_FIELD, MAX_HISTORY_PROMPT, newestWithin } from '../core/historyBounds';
import { parseOutputFolder, SOURCE_DIR } from '../core/outputFolder';
import { readRecipe, type Recipe } from '../core/recipe';
import type { HistoryItem } from '../shared/protocol';
import type { Log } from '../log';
import { fromWorkspacePath, toWorkspacePath } from './workspacePaths';

/** A history item as workspace state keeps it (the webview URI is made per webview). */
export type StoredImage = Omit<HistoryItem, 'src'>;

export type HistoryChange = { readonly kind: 'added'; readonly items: readonly StoredImage[] } | { readonly kind: 'reset' };

const STATE_KEY = 'geminiImage.panel.history';
const MAX_ITEMS = 5000;
/** Our recipe sits right after the PNG header or the JPEG start marker: the head of a file is enough to find it. */
const HEAD_BYTES = 256 * 1024;
const FIRST_READ_BYTES = 16 * 1024;
const PARALLEL_READS = 16;
const IMAGE_GLOB = '**/*.{png,jpg,jpeg}';
const IMAGE_NAME = /\.(png|jpe?g)$/i;
const EXCLUDE_GLOB = '{**/node_modules/**,**/.git/**}';

export class ImageHistory implements vscode.Disposable {
  private items: StoredImage[] = [];
  private loading: Promise<void> | undefined;
  private scanningNow = false;
  private readonly changed = new vscode.EventEmitter<HistoryChange>();
  /** Fires with images just added, or 'reset' when the whole list changed (loaded, rescanned, files deleted). */
  readonly onDidChange = this.changed.event;
  private watchers: vscode.Disposable[] = [];
  private removals = new Set<string>();
  private removalTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly state: vscode.Memento,
    private readonly outputFolderSetting: () => string,
    private readonly log: Log,
  ) {}

  /** Newest first. */
  get all(): readonly StoredImage[] {
    return this.items;
  }

  get scanning(): boolean {
    return this.scanningNow;
  }

  /** Loads once: from workspace state (dropping files that are gone), or by scanning the output folders. */
  load(): Promise<void> {
    this.loading ??= this.loadOnce().catch((error: unknown) => this.log.error(`Loading the image history failed: ${String(error)}`));
    return this.loading;
  }

  /** Rebuilds the list from the recipes in the saved files, keeping what only the state knew (reference paths). */
  async rebuild(): Promise<void> {
    this.scanningNow = true;
    this.changed.fire({ kind: 'reset' });
    const started = Date.now();
    try {
      const found = await itemsFrom(await findImageFiles(this.outputFolderSetting()));
      const known = new Map(this.items.map((item) => [item.path, item]));
      this.items = found
        .map((item) => (known.get(item.path)?.referencesArePaths ? (known.get(item.path) as StoredImage) : item))
        .sort(newestFirst)
        .slice(0, MAX_ITEMS);
      await this.persist();
      this.log.info(`Image history rebuilt from ${found.length} saved images in ${Date.now() - started} ms`);
    } finally {
      this.scanningNow = false;
      this.changed.fire({ kind: 'reset' });
    }
  }

  /**
   * Adds (or updates) the image saved at `uri`, described by the recipe inside it. `references` are the workspace
   * paths the panel sent; without them the recipe's file names are kept.
   */
  async addFile(uri: vscode.Uri, references?: readonly string[]): Promise<StoredImage | undefined> {
    const path = toWorkspacePath(uri);
    if (!path) return undefined;
    const recipe = await readRecipeFrom(uri);
    if (!recipe) return undefined;
    const item = fromRecipe(path, recipe, references);
    this.items = [item, ...this.items.filter((existing) => existing.path !== path)].slice(0, MAX_ITEMS);
    await this.persist();
    this.changed.fire({ kind: 'added', items: [item] });
    return item;
  }

  private async loadOnce(): Promise<void> {
    const stored = this.state.get<unknown>(STATE_KEY);
    if (Array.isArray(stored)) {
      this.items = stored.filter(isStoredImage).sort(newestFirst);
      this.changed.fire({ kind: 'reset' });
      await this.reconcile();
    } else {
      await this.rebuild();
    }
    this.watch();
  }

  /** Images saved by the commands (or another window) join the gallery; deleted ones leave it. */
  private watch(): void {
    this.watchers.forEach((watcher) => watcher.dispose());
    this.watchers = [
      vscode.workspace.onDidChangeConfiguration((event) => {
        // A new output folder is watched from now on; images already there join on the next rescan.
        if (event.affectsConfiguration('geminiImage.outputFolder')) this.watch();
      }),
    ];
    const setting = this.outputFolderSetting();
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      // Everything below the output folder: deleting a folder of images reports only the folder.
      const below = outputFolderPath(setting);
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, below ? `${below}/**` : '**'), false, true, false);
      this.watchers.push(
        watcher,
        watcher.onDidCreate((uri) => void this.onCreated(uri)),
        watcher.onDidDelete((uri) => this.onDeleted(uri)),
      );
    }
  }

  private async onCreated(uri: vscode.Uri): Promise<void> {
    const path = toWorkspacePath(uri);
    if (!path || !IMAGE_NAME.test(path) || this.items.some((item) => item.path === path)) return;
    const recipe = await readRecipeFrom(uri).catch(() => undefined);
    // The panel may have added it (with reference paths) while the file was read: keep that version.
    if (!recipe || this.items.some((item) => item.path === path)) return;
    const item = fromRecipe(path, recipe, undefined);
    this.items = [item, ...this.items].sort(newestFirst).slice(0, MAX_ITEMS);
    await this.persist();
    this.changed.fire({ kind: 'added', items: [item] });
  }

  private onDeleted(uri: vscode.Uri): void {
    const path = toWorkspacePath(uri);
    if (!path || !this.items.some((item) => item.path === path || item.path.startsWith(`${path}/`))) return;
    // Deleting a folder of images fires once per file: update the gallery once.
    this.removals.add(path);
    clearTimeout(this.removalTimer);
    this.removalTimer = setTimeout(() => void this.applyRemovals(), 200);
  }

  private async applyRemovals(): Promise<void> {
    const removed = this.removals;
    this.removals = new Set();
    // A removed path may be a folder: everything below it goes too.
    const gone = (itemPath: string): boolean => [...removed].some((path) => itemPath === path || itemPath.startsWith(`${path}/`));
    this.items = this.items.filter((item) => !gone(item.path));
    await this.persist();
    this.changed.fire({ kind: 'reset' });
  }

  /**
   * Brings remembered items in line with the disk: files that are gone leave, and images saved while no window
   * watched (the commands before the panel was opened, another machine, a git pull) join from their recipes.
   */
  private async reconcile(): Promise<void> {
    const remembered = [...this.items];
    const known = new Set(remembered.map((item) => item.path));
    const files = await findImageFiles(this.outputFolderSetting());
    const unknown = files.filter((uri) => {
      const path = toWorkspacePath(uri);
      return path !== undefined && !known.has(path);
    });
    const [added, present] = await Promise.all([
      itemsFrom(unknown),
      mapBounded(remembered, PARALLEL_READS * 2, async (item) => {
        const uri = fromWorkspacePath(item.path);
        if (!uri) return false;
        try {
          await vscode.workspace.fs.stat(uri);
          return true;
        } catch {
          return false;
        }
      }),
    ]);
    const gone = new Set(remembered.filter((_, index) => !present[index]).map((item) => item.path));
    if (added.length === 0 && gone.size === 0) return;
    // By path, not by position: the panel may have added images while this ran.
    const kept = this.items.filter((item) => !gone.has(item.path));
    const keptPaths = new Set(kept.map((item) => item.path));
    this.items = [...kept, ...added.filter((item) => !keptPaths.has(item.path))].sort(newestFirst).slice(0, MAX_ITEMS);
    await this.persist();
    this.changed.fire({ kind: 'reset' });
  }

  private async persist(): Promise<void> {
    // Workspace state is loaded whole at startup: keep it to a few megabytes, dropping the oldest items.
    const kept = newestWithin(this.items);
    if (kept.length < this.items.length) {
      this.log.warn(`The image history keeps the newest ${kept.length} of ${this.items.length} images (its size limit)`);
      this.items = kept;
    }
    await this.state.update(STATE_KEY, this.items);
  }

  dispose(): void {
    clearTimeout(this.removalTimer);
    this.watchers.forEach((watcher) => watcher.dispose());
    this.watchers = [];
    this.changed.dispose();
  }
}

/** Where saved images are below each workspace folder: the output folder, or '' (anywhere) with `${sourceDir}`. */
function outputFolderPath(setting: string): string {
  const parsed = parseOutputFolder(setting, false);
  if (setting.trim().startsWith(SOURCE_DIR) || !parsed.ok) return '';
  return parsed.segments.join('/');
}

/** Every image file in the output folders (of every workspace folder). */
async function findImageFiles(setting: string): Promise<vscode.Uri[]> {
  const below = outputFolderPath(setting);
  const found = await Promise.all(
    (vscode.workspace.workspaceFolders ?? []).map((folder) =>
      vscode.workspace.findFiles(new vscode.RelativePattern(folder, below ? `${below}/${IMAGE_GLOB}` : IMAGE_GLOB), EXCLUDE_GLOB, MAX_ITEMS),
    ),
  );
  return found.flat();
}

/** History items for the files that carry our recipe; the others are skipped. */
async function itemsFrom(files: readonly vscode.Uri[]): Promise<StoredImage[]> {
  const items = await mapBounded(files, PARALLEL_READS, async (uri) => {
    const path = toWorkspacePath(uri);
    const recipe = path ? await readRecipeFrom(uri).catch(() => undefined) : undefined;
    return path && recipe ? fromRecipe(path, recipe, undefined) : undefined;
  });
  return items.filter((item): item is StoredImage => item !== undefined);
}

async function readRecipeFrom(uri: vscode.Uri): Promise<Recipe | undefined> {
  if (uri.scheme !== 'file') return readRecipe(await vscode.workspace.fs.readFile(uri));
  // Local files are read partially, so a folder of 4K images scans quickly: most recipes fit the first small read.
  const handle = await fs.open(uri.fsPath, 'r');
  try {
    const small = await readStart(handle, FIRST_READ_BYTES);
    const recipe = readRecipe(small);
    if (recipe || small.length < FIRST_READ_BYTES) return recipe;
    return readRecipe(await readStart(handle, HEAD_BYTES));
  } finally {
    await handle.close();
  }
}

async function readStart(handle: fs.FileHandle, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  const { bytesRead } = await handle.read(buffer, 0, length, 0);
  return buffer.subarray(0, bytesRead);
}

function fromRecipe(path: string, recipe: Recipe, references: readonly string[] | undefined): StoredImage {
  return {
    path,
    // Recipes come from files anyone may have put in the workspace: bounded before they are kept.
    prompt: clipText(recipe.prompt, MAX_HISTORY_PROMPT),
    model: clipText(recipe.model, MAX_HISTORY_FIELD),
    ...(recipe.aspectRatio ? { aspectRatio: recipe.aspectRatio } : {}),
    ...(recipe.imageSize ? { imageSize: recipe.imageSize } : {}),
    ...(recipe.outputFormat ? { outputFormat: recipe.outputFormat } : {}),
    references: clipReferences(references ? references : recipe.references.filter((name): name is string => typeof name === 'string')),
    referencesArePaths: references !== undefined,
    ...(recipe.refinedFrom ? { refinedFrom: clipText(recipe.refinedFrom, MAX_HISTORY_FIELD) } : {}),
    ...(recipe.usage ? { usage: recipe.usage } : {}),
    createdAt: typeof recipe.createdAt === 'string' ? recipe.createdAt : new Date(0).toISOString(),
  };
}

function isStoredImage(value: unknown): value is StoredImage {
  if (typeof value !== 'object' || value === null) return false;
  const item = value as Record<string, unknown>;
  return (
    typeof item.path === 'string' &&
    typeof item.prompt === 'string' &&
    typeof item.model === 'string' &&
    typeof item.createdAt === 'string' &&
    Array.isArray(item.references) &&
    typeof item.referencesArePaths === 'boolean'
  );
}

function newestFirst(a: StoredImage, b: StoredImage): number {
  return a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0;
}

async function mapBounded<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
