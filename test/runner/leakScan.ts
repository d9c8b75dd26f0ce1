// Finds files under a folder that contain a secret, so a run can prove the token never reached the disk.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every regular file under `root` whose bytes contain `needle` as UTF-8, UTF-16LE (some stores) or base64. */
export function findFilesContaining(root: string, needle: string): string[] {
  const patterns = [
    Buffer.from(needle, 'utf8'),
    Buffer.from(needle, 'utf16le'),
    Buffer.from(Buffer.from(needle, 'utf8').toString('base64').replace(/=+$/, ''), 'utf8'),
  ];
  const found: string[] = [];
  for (const name of fs.readdirSync(root, { recursive: true }).map(String)) {
    const file = path.join(root, name);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(file);
    } catch {
      continue; // removed while we looked
    }
    if (!stat.isFile()) continue;
    const bytes = fs.readFileSync(file);
    if (patterns.some((pattern) => bytes.includes(pattern))) found.push(file);
  }
  return found;
}
