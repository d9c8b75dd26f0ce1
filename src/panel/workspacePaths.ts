// Translates between files and the workspace paths the webview uses, refusing anything outside the workspace folders.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { isInside } from '../core/outputFolder';
import { workspacePathProblem } from './messageValidation';

/** "images/cat.png" in a single-folder workspace, "site/images/cat.png" in a multi-root one; undefined outside. */
export function toWorkspacePath(uri: vscode.Uri): string | undefined {
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  if (!folder) return undefined;
  const relative = path.posix.relative(folder.uri.path, uri.path);
  if (relative === '' || workspacePathProblem(relative) !== undefined) return undefined;
  const folders = vscode.workspace.workspaceFolders ?? [];
  return folders.length > 1 ? `${folder.name}/${relative}` : relative;
}

/** The file a workspace path names, or undefined when it names nothing inside a workspace folder. */
export function fromWorkspacePath(workspacePath: string): vscode.Uri | undefined {
  if (workspacePathProblem(workspacePath) !== undefined) return undefined;
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) return undefined;
  let folder = folders[0];
  let rest = workspacePath;
  if (folders.length > 1) {
    const [first, ...others] = workspacePath.split('/');
    const named = folders.find((candidate) => candidate.name === first);
    if (!named || others.length === 0) return undefined;
    folder = named;
    rest = others.join('/');
  }
  const uri = vscode.Uri.joinPath(folder.uri, ...rest.split('/'));
  return isInside(folder.uri.path, uri.path) ? uri : undefined;
}

/**
 * Resolves a workspace path to a file that really lies inside its workspace folder: on disk, a symbolic link that
 * points outside the folder is refused too. Returns the file or why not.
 */
export async function resolveWorkspaceFile(workspacePath: string): Promise<{ uri: vscode.Uri } | { problem: string }> {
  const uri = fromWorkspacePath(workspacePath);
  if (!uri) return { problem: `${workspacePath} is not inside the workspace` };
  if (uri.scheme === 'file') {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    try {
      const [real, realFolder] = await Promise.all([fs.realpath(uri.fsPath), fs.realpath(folder?.uri.fsPath ?? '')]);
      if (!isInside(toSlashes(realFolder), toSlashes(real))) return { problem: `${workspacePath} links outside the workspace` };
    } catch {
      return { problem: `${workspacePath} does not exist` };
    }
  }
  return { uri };
}

function toSlashes(fsPath: string): string {
  return fsPath.split(path.sep).join('/');
}
