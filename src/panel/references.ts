// The reference images waiting in the panel: only image files inside the workspace, in the order they will be sent.
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { REFERENCE_TYPES } from '../core/models';
import { sniffImageType } from '../core/sniff';
import { MAX_REFERENCES } from '../shared/protocol';
import { resolveWorkspaceFile, toWorkspacePath } from './workspacePaths';

export interface Reference {
  readonly path: string;
  readonly uri: vscode.Uri;
  readonly bytes: number;
}

export interface AddOutcome {
  readonly added: number;
  /** One sentence per file that was not added, saying why. */
  readonly refused: readonly string[];
}

const STATE_KEY = 'geminiImage.panel.references';
const SNIFF_BYTES = 64;

export class ReferenceList implements vscode.Disposable {
  private entries: Reference[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  get all(): readonly Reference[] {
    return this.entries;
  }

  /** Brings back the references of the last session that still exist. */
  async restore(): Promise<void> {
    const stored = this.state.get<unknown>(STATE_KEY);
    if (!Array.isArray(stored)) return;
    const restored: Reference[] = [];
    for (const item of stored) {
      if (typeof item !== 'string') continue;
      const resolved = await resolveWorkspaceFile(item);
      if (!('uri' in resolved)) continue;
      const checked = await checkImage(resolved.uri, item).catch(() => undefined);
      if (checked && 'reference' in checked) restored.push(checked.reference);
    }
    this.entries = restored.slice(0, MAX_REFERENCES);
    this.changed.fire();
  }

  /** Adds image files from the workspace; anything else is refused with a reason. */
  async add(uris: readonly vscode.Uri[]): Promise<AddOutcome> {
    const refused: string[] = [];
    let added = 0;
    for (const uri of uris) {
      const name = path.posix.basename(uri.path);
      const workspacePath = toWorkspacePath(uri);
      if (!workspacePath) {
        refused.push(`${name} is not inside the workspace: only workspace images can be references.`);
        continue;
      }
      if (this.entries.some((entry) => entry.path === workspacePath)) continue;
      if (this.entries.length >= MAX_REFERENCES) {
        refused.push(`${name} was not added: the panel holds at most ${MAX_REFERENCES} references.`);
        continue;
      }
      const resolved = await resolveWorkspaceFile(workspacePath);
      if ('problem' in resolved) {
        refused.push(`${name}: ${resolved.problem}.`);
        continue;
      }
      const checked = await checkImage(resolved.uri, workspacePath).catch((error: unknown) => ({
        problem: `${name} could not be read (${error instanceof Error ? error.message : String(error)}).`,
      }));
      if ('problem' in checked) {
        refused.push(checked.problem);
        continue;
      }
      this.entries.push(checked.reference);
      added++;
    }
    if (added > 0) await this.changedNow();
    return { added, refused };
  }

  async remove(workspacePath: string): Promise<void> {
    const before = this.entries.length;
    this.entries = this.entries.filter((entry) => entry.path !== workspacePath);
    if (this.entries.length !== before) await this.changedNow();
  }

  /** Moves a reference to `index` (clamped): references are sent in this order. */
  async move(workspacePath: string, index: number): Promise<void> {
    const from = this.entries.findIndex((entry) => entry.path === workspacePath);
    if (from < 0) return;
    const [entry] = this.entries.splice(from, 1);
    this.entries.splice(Math.min(Math.max(0, index), this.entries.length), 0, entry);
    await this.changedNow();
  }

  async clear(): Promise<void> {
    this.entries = [];
    await this.changedNow();
  }

  private async changedNow(): Promise<void> {
    this.changed.fire();
    await this.state.update(
      STATE_KEY,
      this.entries.map((entry) => entry.path),
    );
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** A file the API takes as a reference (its type read from the bytes), or why not. */
async function checkImage(uri: vscode.Uri, workspacePath: string): Promise<{ reference: Reference } | { problem: string }> {
  const name = path.posix.basename(uri.path);
  const stat = await vscode.workspace.fs.stat(uri);
  if (stat.type & vscode.FileType.Directory) return { problem: `${name} is a folder, not an image.` };
  const head = await readStart(uri);
  const type = sniffImageType(head);
  if (!type || !REFERENCE_TYPES.includes(type)) {
    const what = stat.size === 0 ? 'is empty' : type ? `is a ${type.toUpperCase()} image` : 'is not an image';
    return { problem: `${name} ${what}: references must be PNG, JPEG, WebP, HEIC or HEIF.` };
  }
  return { reference: { path: workspacePath, uri, bytes: stat.size } };
}

async function readStart(uri: vscode.Uri): Promise<Uint8Array> {
  if (uri.scheme !== 'file') return (await vscode.workspace.fs.readFile(uri)).subarray(0, SNIFF_BYTES);
  const handle = await fs.open(uri.fsPath, 'r');
  try {
    const buffer = new Uint8Array(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
