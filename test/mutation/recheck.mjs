// Rechecks the survivors of the last Stryker run for one file after new tests were written, without a full run: each
// surviving (or uncovered) mutant is put into a copy of src/ and the given unit test files are bundled and run against it.
// Usage: node test/mutation/recheck.mjs src/core/X.ts test/unit/A.test.ts [test/unit/B.test.ts …]
// Reads reports/mutation/mutation.json; prints how many are now killed and the ones still alive. A lower bound: only the
// named test files run. The score in TESTING.md comes from Stryker itself; this only tells you what is left to do.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const [target, ...tests] = process.argv.slice(2);
if (!target || tests.length === 0) {
  console.error('usage: node test/mutation/recheck.mjs src/core/X.ts test/unit/A.test.ts […]');
  process.exit(2);
}
const repo = process.cwd();
const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-recheck-'));
fs.cpSync(path.join(repo, 'src'), path.join(copy, 'src'), { recursive: true });
fs.cpSync(path.join(repo, 'test'), path.join(copy, 'test'), { recursive: true });
fs.symlinkSync(path.join(repo, 'node_modules'), path.join(copy, 'node_modules'));

const report = JSON.parse(fs.readFileSync(path.join(repo, 'reports/mutation/mutation.json'), 'utf8'));
const file = report.files[target];
if (!file) {
  console.error(`${target} is not in reports/mutation/mutation.json: run Stryker on it first`);
  process.exit(2);
}
const source = fs.readFileSync(path.join(repo, target), 'utf8');
if (source !== file.source) console.error(`${target} changed since it was measured: mutant locations may be off`);
const lines = file.source.split('\n');
const offsetOf = ({ line, column }) => lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0) + column - 1;

/**
 * A mutant's replacement as it goes into the source. Stryker replaces syntax nodes, so an expression's replacement
 * binds as one: pasted as text, `a || b` inside `x && a || b && y` would parse as another mutant. Expressions are
 * pasted in parentheses; statements, blocks and everything else as they are.
 */
const EXPRESSION_MUTATORS = new Set(['ConditionalExpression', 'LogicalOperator', 'EqualityOperator', 'ArithmeticOperator', 'BooleanLiteral', 'UnaryOperator', 'OptionalChaining', 'MethodExpression']);
const pasted = (mutant) => (EXPRESSION_MUTATORS.has(mutant.mutatorName) ? `(${mutant.replacement})` : mutant.replacement);

/** Bundles the named tests against `text` as the target's source and runs them: 'pass', 'fail' or 'no-build'. */
async function runTests(text) {
  fs.writeFileSync(path.join(copy, target), text);
  try {
    await esbuild.build({
      entryPoints: tests.map((test) => path.join(copy, test)),
      outdir: path.join(copy, 'out'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      packages: 'external',
      external: ['vscode'],
      logLevel: 'silent',
    });
  } catch {
    return 'no-build';
  }
  const bundles = tests.map((test) => path.join(copy, 'out', path.basename(test).replace(/\.ts$/, '.js')));
  // A mutant that makes a test loop forever counts as killed, as Stryker counts a timeout.
  return spawnSync(process.execPath, ['--test', '--test-reporter=dot', ...bundles], { cwd: copy, encoding: 'utf8', timeout: 30_000 }).status === 0 ? 'pass' : 'fail';
}

const alive = [];
const candidates = file.mutants.filter((mutant) => mutant.status === 'Survived' || mutant.status === 'NoCoverage');
try {
  // Without a mutant the tests must pass here, or every mutant would look killed.
  const baseline = await runTests(file.source);
  if (baseline !== 'pass') {
    console.error(`the named tests do not pass on the unmutated ${target} in a copy of src/ and test/ (${baseline}): nothing rechecked`);
    process.exitCode = 2;
  }
  for (const mutant of baseline === 'pass' ? candidates : []) {
    const start = offsetOf(mutant.location.start);
    const end = offsetOf(mutant.location.end);
    // Not building counts as killed: Stryker's checker would drop that mutant.
    const killed = (await runTests(file.source.slice(0, start) + pasted(mutant) + file.source.slice(end))) !== 'pass';
    if (!killed) alive.push(mutant);
  }
} finally {
  fs.rmSync(copy, { recursive: true, force: true });
}
if (process.exitCode !== 2) console.log(`${target}: ${candidates.length} survivors rechecked, ${candidates.length - alive.length} now killed, ${alive.length} alive`);
for (const mutant of alive) {
  const { start, end } = mutant.location;
  const text = lines[start.line - 1].slice(start.column - 1, start.line === end.line ? end.column - 1 : undefined);
  console.log(`  L${start.line} ${mutant.mutatorName}: ${JSON.stringify(text.slice(0, 90))} -> ${JSON.stringify((mutant.replacement ?? '').slice(0, 60))}`);
}
