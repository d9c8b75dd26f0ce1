// Runs every out/integration/**/*.test.js with mocha inside the extension host (the offline runner's entry point).
import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';
import { mochaGlobalSetup, mochaGlobalTeardown } from './globalSetup';

/** Lines the offline runner looks for: where mocha's output starts, and the counts (mocha's own text is for people). */
const START_MARKER = 'GIS_MOCHA_START';
const RESULT_MARKER = 'GIS_MOCHA_RESULT ';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  for (const file of testFiles(__dirname)) mocha.addFile(file);
  await mochaGlobalSetup();
  try {
    console.log(START_MARKER);
    const stats = await new Promise<Mocha.Stats>((resolve) => {
      const runner = mocha.run(() => resolve(runner.stats ?? emptyStats()));
    });
    console.log(
      RESULT_MARKER + JSON.stringify({ passed: stats.passes, failed: stats.failures, skipped: stats.pending }),
    );
    if (stats.failures > 0) throw new Error(`${stats.failures} integration test(s) failed`);
  } finally {
    await mochaGlobalTeardown();
  }
}

function testFiles(root: string): string[] {
  return fs
    .readdirSync(root, { recursive: true })
    .map(String)
    .filter((name) => name.endsWith('.test.js'))
    .sort()
    .map((name) => path.join(root, name));
}

function emptyStats(): Mocha.Stats {
  return { suites: 0, tests: 0, passes: 0, pending: 0, failures: 0 };
}
