// The images already in a batch's output folders, with their recipes: what a rerun skips and a resumed batch keeps.
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import { isOutputName, type ExistingImage } from '../core/batch/resume';
import { readRecipe } from '../core/recipe';

/** Enough of a recipe's head to find it: it sits after PNG's IHDR or JPEG's APP0/APP1 segments. */
const RECIPE_HEAD_BYTES = 256 * 1024;

/** Images already in the items' folders under their names, with their recipes (read from each file's head). */
export async function existingImages(items: readonly { readonly folder: vscode.Uri; readonly slug: string }[]): Promise<ExistingImage<vscode.Uri>[]> {
  const folders = new Map<string, { uri: vscode.Uri; slugs: Set<string> }>();
  for (const item of items) {
    const entry = folders.get(item.folder.toString()) ?? { uri: item.folder, slugs: new Set<string>() };
    entry.slugs.add(item.slug);
    folders.set(item.folder.toString(), entry);
  }
  const found: ExistingImage<vscode.Uri>[] = [];
  for (const [key, { uri, slugs }] of folders) {
    const names = (await listFiles(uri)).filter((name) => [...slugs].some((slug) => isOutputName(slug, name))).sort(byNumber);
    for (const name of names) {
      const location = vscode.Uri.joinPath(uri, name);
      const recipe = readRecipe(await readHead(location).catch(() => new Uint8Array()));
      if (recipe) found.push({ location, folder: key, name, recipe });
    }
  }
  return found;
}

/** The folder's file names; none when it does not exist yet (nothing made yet). */
async function listFiles(folder: vscode.Uri): Promise<string[]> {
  try {
    if (folder.scheme === 'file') return (await fs.readdir(folder.fsPath, { withFileTypes: true })).filter((entry) => entry.isFile()).map((entry) => entry.name);
    return (await vscode.workspace.fs.readDirectory(folder)).filter(([, type]) => type === vscode.FileType.File).map(([name]) => name);
  } catch {
    return [];
  }
}

/** "fox.png" before "fox-2.png" before "fox-10.png". */
function byNumber(a: string, b: string): number {
  const number = (name: string): number => Number(/-(\d+)\.[^.]+$/.exec(name)?.[1] ?? 1);
  return number(a) - number(b) || a.localeCompare(b);
}

async function readHead(uri: vscode.Uri): Promise<Uint8Array> {
  if (uri.scheme !== 'file') return vscode.workspace.fs.readFile(uri);
  const handle = await fs.open(uri.fsPath, 'r');
  try {
    const buffer = Buffer.alloc(RECIPE_HEAD_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
