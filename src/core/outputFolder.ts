// Resolves the outputFolder setting to a place inside the workspace, refusing anything that would leave it.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

export const SOURCE_DIR = '${sourceDir}';
const DEFAULT_FOLDER = 'generated-images';
/** Names Windows reserves for devices, with or without an extension (`con`, `aux.txt`, `COM1`, `lpt9.png`…). */
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³]|conin\$|conout\$)(\..*)?$/i;

export type OutputFolder =
  | { readonly ok: true; readonly base: 'workspace' | 'source'; readonly segments: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/**
 * Splits the setting into path segments below the workspace folder (or below the edited image's folder for
 * `${sourceDir}`). Absolute paths and `..` are refused: images are only ever written inside the workspace.
 * With `${sourceDir}` but no source image (a plain generation), images go to the default folder instead.
 */
export function parseOutputFolder(setting: string, hasSource: boolean): OutputFolder {
  const trimmed = setting.trim() || DEFAULT_FOLDER;
  const fromSource = trimmed.startsWith(SOURCE_DIR);
  const rest = fromSource ? trimmed.slice(SOURCE_DIR.length) : trimmed;
  if (!fromSource && /^([a-zA-Z]:|[\\/]|~)/.test(rest)) {
    return { ok: false, reason: `outputFolder "${setting}" is an absolute path: use a folder relative to the workspace.` };
  }
  const segments = rest.split(/[\\/]+/).filter((segment) => segment !== '' && segment !== '.');
  if (segments.includes('..')) {
    return { ok: false, reason: `outputFolder "${setting}" leaves the workspace: remove the "..".` };
  }
  if (segments.some((segment) => /[<>:"|?*\u0000-\u001f]/.test(segment))) {
    return { ok: false, reason: `outputFolder "${setting}" has characters that are not allowed in folder names.` };
  }
  const reserved = segments.find((segment) => WINDOWS_RESERVED.test(segment.replace(/[ .]+$/, '')));
  if (reserved !== undefined) {
    return { ok: false, reason: `outputFolder "${setting}" uses "${reserved}", a name Windows reserves for a device: choose another folder name.` };
  }
  if (fromSource && !hasSource) return { ok: true, base: 'workspace', segments: [DEFAULT_FOLDER, ...segments] };
  return { ok: true, base: fromSource ? 'source' : 'workspace', segments };
}

/** True when `candidate` (a normalised path with "/" separators) is `root` or lies below it. */
export function isInside(root: string, candidate: string): boolean {
  const trimmedRoot = root.replace(/\/+$/, '');
  return candidate === trimmedRoot || candidate.startsWith(`${trimmedRoot}/`);
}

/**
 * Why writing into `folder` would leave `workspaceFolder` through a symbolic link (or junction), or undefined when
 * it stays inside. Compares real paths: the workspace folder's, and that of the nearest part of `folder` that
 * exists already (the rest is created as plain folders below it).
 */
export async function symlinkEscape(folder: string, workspaceFolder: string, realpath: (path: string) => Promise<string> = fs.realpath): Promise<string | undefined> {
  let root: string;
  try {
    root = await realpath(workspaceFolder);
  } catch {
    // The workspace folder itself is gone: writing will fail and say so.
    return undefined;
  }
  let existing = path.resolve(folder);
  for (;;) {
    try {
      const real = await realpath(existing);
      if (isInside(normalised(root), normalised(real))) return undefined;
      return (
        `Images are not saved in ${folder}: ${existing} links outside the workspace (to ${real}), and images are only ` +
        'written inside the workspace. Remove the link, or choose another geminiImage.outputFolder.'
      );
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Not there yet (it will be created): check the folder above it.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') return undefined;
      const parent = path.dirname(existing);
      if (parent === existing) return undefined;
      existing = parent;
    }
  }
}

/** A path with "/" separators (and a lower-case drive letter) for comparison. */
function normalised(value: string): string {
  return value.replace(/\\/g, '/').replace(/^([A-Z]):/, (_, drive: string) => `${drive.toLowerCase()}:`);
}
