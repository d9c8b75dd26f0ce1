// Resolves the outputFolder setting to a place inside the workspace, refusing anything that would leave it.

export const SOURCE_DIR = '${sourceDir}';
const DEFAULT_FOLDER = 'generated-images';

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
  if (fromSource && !hasSource) return { ok: true, base: 'workspace', segments: [DEFAULT_FOLDER, ...segments] };
  return { ok: true, base: fromSource ? 'source' : 'workspace', segments };
}

/** True when `candidate` (a normalised path with "/" separators) is `root` or lies below it. */
export function isInside(root: string, candidate: string): boolean {
  const trimmedRoot = root.replace(/\/+$/, '');
  return candidate === trimmedRoot || candidate.startsWith(`${trimmedRoot}/`);
}
