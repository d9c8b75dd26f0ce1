// Names of the hidden temporary files images stream into, and the sweep of ones a crash left behind.
import { promises as fs } from 'node:fs';
import * as path from 'node:path';

/** A temporary file older than this is no longer being written: the run that made it ended or crashed. */
export const STALE_TEMPORARY_MS = 60 * 60 * 1000;
const MARKER = 'gemini-image';
/** `.<slug>.<8 random base36 chars>.gemini-image.part`: only names of exactly this shape are ever swept. */
const OUR_TEMPORARY = /^\.[a-z0-9]+(?:-[a-z0-9]+)*\.[a-z0-9]{8}\.gemini-image\.part$/;
const MAX_SWEPT_PER_FOLDER = 1000;

/** The hidden name an image streams into before it gets its final name. */
export function temporaryName(slug: string, random: () => number = Math.random): string {
  let suffix = '';
  while (suffix.length < 8) suffix += Math.floor(random() * 36).toString(36);
  return `.${slug}.${suffix}.${MARKER}.part`;
}

/** True only for names this extension gives its temporary files (a user's `.notes.part` is not one). */
export function isOurTemporary(name: string): boolean {
  return OUR_TEMPORARY.test(name);
}

export interface SweepResult {
  readonly removed: readonly string[];
}

/**
 * Removes this extension's temporary files in `folder` that were last written more than an hour ago (left by a
 * crash or a killed window). Other files, and temporary files still being written, are left alone; a folder that
 * does not exist yet or cannot be read is not an error.
 */
export async function sweepStaleTemporaries(folder: string, now: number = Date.now(), maxAgeMs: number = STALE_TEMPORARY_MS): Promise<SweepResult> {
  let names: string[];
  try {
    names = await fs.readdir(folder);
  } catch {
    return { removed: [] };
  }
  const removed: string[] = [];
  for (const name of names.filter(isOurTemporary).slice(0, MAX_SWEPT_PER_FOLDER)) {
    const file = path.join(folder, name);
    try {
      const stat = await fs.lstat(file);
      if (!stat.isFile() || now - stat.mtimeMs < maxAgeMs) continue;
      await fs.rm(file, { force: true });
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove after all: the next sweep tries again.
    }
  }
  return { removed };
}
