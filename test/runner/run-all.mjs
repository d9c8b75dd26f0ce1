// Runs the three test runtimes in order (unit, integration, UI), all of them even when one fails, then prints the
// total "N passed, N failed, N skipped" as the last line and exits non-zero if anything failed or did not report.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const resultsDir = path.join(repoRoot, 'test-results');
// Per process while it is written (runs may overlap), then kept as test-results/unit.tap.
const unitTap = path.join(resultsDir, `unit-${process.pid}.tap`);
const COUNTS_LINE = /^(\d+) passed, (\d+) failed, (\d+) skipped$/;
const minutes = (n) => n * 60_000;

const steps = [
  {
    name: 'unit',
    // spec for people on stdout, TAP into a file for the counts.
    args: [
      '--test',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${unitTap}`,
      'out/unit/',
    ],
    timeoutMs: minutes(5),
    counts: () => countsFromTap(unitTap),
  },
  { name: 'integration', args: ['out/runner/integration.js'], timeoutMs: minutes(5), counts: countsFromOutput },
  // A safety net, not a speed goal: on a loaded 2-core machine the UI suites (two VS Code servers, with the demo's)
  // take 4 minutes or more.
  { name: 'ui', args: ['out/runner/ui.js'], timeoutMs: minutes(12), counts: countsFromOutput },
];

let current;
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(signal, () => {
    // The runners clean up after themselves on these signals; wait for that, then leave.
    if (current) {
      current.kill(signal);
      current.once('exit', () => process.exit(code));
    } else {
      process.exit(code);
    }
  });
}

fs.mkdirSync(resultsDir, { recursive: true });
const total = { passed: 0, failed: 0, skipped: 0 };
const summary = [];
for (const step of steps) {
  console.log(`\n=== ${step.name} tests ===\n`);
  const started = Date.now();
  if (step.name === 'unit') fs.rmSync(unitTap, { force: true });
  const { code, output } = await run(step);
  let counts = step.counts(output);
  if (step.name === 'unit' && fs.existsSync(unitTap)) fs.renameSync(unitTap, path.join(resultsDir, 'unit.tap'));
  if (!counts) {
    console.error(`run-all: ${step.name} printed no counts (exit code ${code})`);
    counts = { passed: 0, failed: 1, skipped: 0 };
  } else if (code !== 0 && counts.failed === 0) {
    console.error(`run-all: ${step.name} exited with code ${code} although no test failed`);
    counts.failed += 1;
  }
  for (const key of Object.keys(total)) total[key] += counts[key];
  summary.push(`${step.name}: ${format(counts)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

console.log(`\n=== summary ===\n${summary.join('\n')}\n${format(total)}`);
process.exit(total.failed > 0 ? 1 : 0);

/** Runs one step with node, streaming its output and keeping stdout to parse. */
function run(step) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, step.args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    current = child;
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      output += chunk;
      process.stdout.write(chunk);
    });
    const timer = setTimeout(() => {
      console.error(`run-all: ${step.name} took longer than ${step.timeoutMs / 1000} s, stopping it`);
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    }, step.timeoutMs);
    child.on('error', (error) => console.error(`run-all: could not start ${step.name}: ${error.message}`));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      current = undefined;
      resolve({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

/** The last "N passed, N failed, N skipped" line a runner printed. */
function countsFromOutput(output) {
  const line = output.split('\n').map((text) => text.trim()).filter((text) => COUNTS_LINE.test(text)).pop();
  if (!line) return undefined;
  const [, passed, failed, skipped] = COUNTS_LINE.exec(line).map(Number);
  return { passed, failed, skipped };
}

/** node:test's TAP summary: "# pass N", "# fail N", "# cancelled N", "# skipped N", "# todo N". */
function countsFromTap(file) {
  if (!fs.existsSync(file)) return undefined;
  const tap = fs.readFileSync(file, 'utf8');
  const field = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? Number.NaN);
  const counts = {
    passed: field('pass'),
    failed: field('fail') + field('cancelled'),
    skipped: field('skipped') + field('todo'),
  };
  return Object.values(counts).some(Number.isNaN) ? undefined : counts;
}

function format(counts) {
  return `${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`;
}
