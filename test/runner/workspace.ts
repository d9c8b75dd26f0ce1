// Makes a run's workspace: a copy of test/fixtures/workspace whose settings point at this run's Gemini server.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './vscodeServer';

export const FIXTURE_WORKSPACE = path.join(REPO_ROOT, 'test', 'fixtures', 'workspace');

/** Copies the fixture workspace to `dir` and writes its .vscode/settings.json; returns `dir`. */
export function createWorkspace(dir: string, geminiUrl: string, settings: Record<string, unknown> = {}): string {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(FIXTURE_WORKSPACE, dir, { recursive: true });
  fs.mkdirSync(path.join(dir, '.vscode'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, '.vscode', 'settings.json'),
    JSON.stringify({ 'geminiImage.baseUrl': geminiUrl, 'geminiImage.openAfterSave': false, ...settings }, null, 2),
  );
  return dir;
}
