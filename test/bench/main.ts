// npm run bench [-- --quick]: time-to-file, memory, parallel variants, activation and sizes against the local server.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ProviderSettings } from '../../src/core/imageJob';
import { removeRecipe } from '../../src/core/recipe';
import { CLIMB_AFTER_SUCCESSES, DEFAULT_BATCH_CONCURRENCY } from '../../src/core/batch/adaptive';
import { batchBench } from './batch';
import { admin, genaiClient, minimalClient, ourClient, root, startServer, transferOnly, type Client } from './clients';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;
const SIZES = quick ? ['1K'] : ['1K', '2K', '4K'];
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-bench-'));
const lines: string[] = [];

function say(line = ''): void {
  lines.push(line);
  console.log(line);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const ratio = (value: number): string => `${value.toFixed(2)}×`;

/** Wall time, and this process's CPU time (main thread and libuv's pool: steadier than wall time on a busy machine). */
async function timed(client: Client, size: string): Promise<{ ms: number; cpuMs: number; file: string }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const file = await client(size);
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, cpuMs: (used.user + used.system) / 1000, file };
}

function imageBytes(file: string): number {
  return removeRecipe(fs.readFileSync(file)).length;
}

function clean(file: string): void {
  fs.rmSync(file, { force: true });
}

// ---- memory: peak RSS growth from a reset high-water mark (Linux /proc) --------------------------------------

function canMeasurePeak(): boolean {
  return typeof global.gc === 'function' && fs.existsSync('/proc/self/clear_refs');
}

function statusKb(field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

async function peakGrowth(client: Client, size: string): Promise<{ growth: number; image: number }> {
  global.gc?.();
  global.gc?.();
  fs.writeFileSync('/proc/self/clear_refs', '5');
  const before = statusKb('VmRSS');
  const file = await client(size);
  const growth = statusKb('VmHWM') - before;
  const image = imageBytes(file);
  clean(file);
  return { growth, image };
}

// ---- activation, in fresh processes -------------------------------------------------------------------------

function activation(entry: string): { totalMs: number; requireMs: number; activateMs: number; undiciLoaded: boolean; transparencyLoaded: boolean } {
  const runs = Array.from({ length: RUNS }, () =>
    JSON.parse(execFileSync(process.execPath, [path.join(root, 'out', 'bench', 'activation.js'), entry], { encoding: 'utf8' })) as {
      totalMs: number;
      requireMs: number;
      activateMs: number;
      undiciLoaded: boolean;
      transparencyLoaded: boolean;
    },
  );
  return {
    totalMs: median(runs.map((run) => run.totalMs)),
    requireMs: median(runs.map((run) => run.requireMs)),
    activateMs: median(runs.map((run) => run.activateMs)),
    undiciLoaded: runs.some((run) => run.undiciLoaded),
    transparencyLoaded: runs.some((run) => run.transparencyLoaded),
  };
}

function loadTime(module: string): number {
  const script = `const t = performance.now(); require(${JSON.stringify(module)}); process.stdout.write(String(performance.now() - t));`;
  return median(Array.from({ length: RUNS }, () => Number(execFileSync(process.execPath, ['-e', script], { cwd: root, encoding: 'utf8' }))));
}

// ---- main ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  const { url, child } = await startServer();
  try {
    const provider: ProviderSettings = { baseUrl: url, authHeader: 'bearer', timeoutSeconds: 600, maxRetries: 0 };
    const clients: [string, Client][] = [
      ['ours', ourClient(provider, work)],
      ['minimal', minimalClient(provider, work)],
      ['genai', await genaiClient(url, work)],
    ];
    say(`# Benchmark ${quick ? '(quick)' : ''}`);
    say(`${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'} · ${mb(os.totalmem())} RAM · Node ${process.version} · ${os.platform()} ${os.release()}`);
    say(`Command: node --expose-gc out/bench/main.js${quick ? ' --quick' : ''} · ${RUNS} interleaved runs per figure, medians`);
    say();

    say('## Time to file');
    say('| size | image | ours | minimal undici | @google/genai | transfer alone | ours / minimal | ours / genai |');
    say('|---|---|---|---|---|---|---|---|');
    const timeRatios: Record<string, { minimal: number; genai: number }> = {};
    const cpuRows: string[] = [];
    // The transfer alone (every chunk read and dropped) runs in the same rotation: the floor for any client.
    const rotation: [string, Client][] = [...clients, ['transfer', transferOnly(provider)]];
    for (const size of SIZES) {
      // Warm-up, 4 answers per client and size: the server makes its 8 images per prompt and size, and every client
      // gets its connections and its JavaScript optimised (our parser is JS; the others lean on native JSON.parse).
      for (let i = 0; i < 4 * rotation.length; i++) {
        const { file } = await timed(rotation[i % rotation.length][1], size);
        if (file) clean(file);
      }
      const times: Record<string, number[]> = { ours: [], minimal: [], genai: [], transfer: [] };
      const cpu: Record<string, number[]> = { ours: [], minimal: [], genai: [], transfer: [] };
      let image = 0;
      for (let run = 0; run < RUNS; run++) {
        // Rotate the order so no client always goes first.
        for (let k = 0; k < rotation.length; k++) {
          const [name, client] = rotation[(run + k) % rotation.length];
          const { ms: took, cpuMs, file } = await timed(client, size);
          times[name].push(took);
          cpu[name].push(cpuMs);
          if (name === 'ours') image = imageBytes(file);
          if (file) clean(file);
        }
      }
      const [ours, minimal, genai, transfer] = ['ours', 'minimal', 'genai', 'transfer'].map((name) => median(times[name]));
      timeRatios[size] = { minimal: ours / minimal, genai: ours / genai };
      say(`| ${size} | ${mb(image)} | ${ms(ours)} | ${ms(minimal)} | ${ms(genai)} | ${ms(transfer)} | ${ratio(ours / minimal)} | ${ratio(ours / genai)} |`);
      const [oursCpu, minimalCpu, genaiCpu, transferCpu] = ['ours', 'minimal', 'genai', 'transfer'].map((name) => median(cpu[name]));
      cpuRows.push(`| ${size} | ${ms(oursCpu)} | ${ms(minimalCpu)} | ${ms(genaiCpu)} | ${ms(transferCpu)} | ${ratio(oursCpu / minimalCpu)} | ${ratio(oursCpu / genaiCpu)} |`);
    }
    say();
    say('## Client CPU time per answer (this process, main thread + libuv pool; the server runs elsewhere)');
    say('| size | ours | minimal undici | @google/genai | transfer alone | ours / minimal | ours / genai |');
    say('|---|---|---|---|---|---|---|');
    for (const row of cpuRows) say(row);
    say();

    say('## Peak memory growth (RSS high-water mark over the run, ÷ image bytes)');
    if (!canMeasurePeak()) {
      say('(skipped: needs --expose-gc and Linux /proc/self/clear_refs)');
    } else {
      say('| size | ours | minimal undici | @google/genai |');
      say('|---|---|---|---|');
      for (const size of SIZES) {
        const cells: string[] = [];
        for (const [, client] of clients) {
          const samples: { growth: number; image: number }[] = [];
          for (let run = 0; run < Math.min(RUNS, 3); run++) samples.push(await peakGrowth(client, size));
          const growth = median(samples.map((sample) => sample.growth));
          cells.push(`${mb(growth)} (${ratio(growth / samples[0].image)})`);
        }
        say(`| ${size} | ${cells.join(' | ')} |`);
      }
    }
    say();

    say('## 4 variants at once vs 1 (server latency 1 s, our client)');
    say('| size | 1 variant | 4 variants | 4 / 1 |');
    say('|---|---|---|---|');
    await admin(url, 'options', { latencyMs: 1000 });
    const ours = clients[0][1];
    for (const size of quick ? ['1K'] : ['1K', '4K']) {
      const one: number[] = [];
      const four: number[] = [];
      for (let run = 0; run < (quick ? 2 : RUNS); run++) {
        let begin = performance.now();
        clean(await ours(size));
        one.push(performance.now() - begin);
        begin = performance.now();
        const files = await Promise.all([ours(size), ours(size), ours(size), ours(size)]);
        four.push(performance.now() - begin);
        files.forEach(clean);
      }
      say(`| ${size} | ${ms(median(one))} | ${ms(median(four))} | ${ratio(median(four) / median(one))} |`);
    }
    await admin(url, 'options', { latencyMs: 0 });
    say();

    // 100 prompts at 60/min with 1 s answers (1K images). --quick: 20 prompts at 120/min with 500 ms answers and small
    // images (10 s): at 100 ms per request a loaded 2-core machine's timer and scheduling delays alone are 20–30 % of
    // each interval, and a steady-rate limiter makes every late start cost its full delay.
    const batchShape = quick ? { prompts: 20, perMinute: 120, latencyMs: 500, smallImages: true } : { prompts: 100, perMinute: 60, latencyMs: 1000 };
    const imageKind = batchShape.smallImages ? 'small images' : '1K images';
    say(`## Batch against a rate limit (${batchShape.prompts} prompts, ${batchShape.perMinute} requests/min steady, ${batchShape.latencyMs} ms per answer, ${imageKind}, concurrency 4)`);
    const batch = await batchBench(url, work, batchShape);
    const batchRatio = batch.seconds / batch.idealSeconds;
    say('| prompts | images | time | ideal (prompts ÷ rate) | time / ideal | 429s | concurrency over time |');
    say('|---|---|---|---|---|---|---|');
    say(`| ${batch.prompts} | ${batch.files} | ${batch.seconds.toFixed(1)} s | ${batch.idealSeconds.toFixed(1)} s | ${ratio(batchRatio)} | ${batch.throttled} | ${batch.limits.join(' → ')} |`);
    say();

    say('## Activation (fresh process each run; Node built-ins preloaded as in the extension host; stand-in vscode module)');
    const dist = path.join(root, 'dist', 'extension.js');
    const dev = activation(dist);
    say(`dist/extension.js (development build): require ${ms(dev.requireMs)} + activate() ${ms(dev.activateMs)} = ${ms(dev.totalMs)}; undici loaded: ${dev.undiciLoaded ? 'YES' : 'no'}; background removal loaded: ${dev.transparencyLoaded ? 'YES' : 'no'}`);
    say(`For comparison, loading on first use: require('undici') ${ms(loadTime('undici'))}, require('./dist/http.js') ${ms(loadTime('./dist/http.js'))}`);
    say();

    say('## Sizes');
    for (const name of ['extension.js', 'http.js', 'webview.js']) say(`dist/${name} (development build): ${(fs.statSync(path.join(root, 'dist', name)).size / 1024).toFixed(0)} KiB`);
    if (!quick) {
      // vsce runs vscode:prepublish (the production build) into dist/; the development build is restored afterwards.
      const vsix = path.join(work, 'extension.vsix');
      try {
        execFileSync('npx', ['vsce', 'package', '--no-dependencies', '--allow-missing-repository', '--skip-license', '--baseContentUrl', 'https://localhost/', '--baseImagesUrl', 'https://localhost/', '-o', vsix], { cwd: root, stdio: ['pipe', 'ignore', 'inherit'], input: 'y\n' });
        for (const name of ['extension.js', 'http.js', 'webview.js']) say(`dist/${name} (production build): ${(fs.statSync(path.join(root, 'dist', name)).size / 1024).toFixed(0)} KiB`);
        const production = activation(dist);
        say(`Activation, production build: require ${ms(production.requireMs)} + activate() ${ms(production.activateMs)} = ${ms(production.totalMs)}; undici loaded: ${production.undiciLoaded ? 'YES' : 'no'}`);
        say(`.vsix (vsce package --no-dependencies): ${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB`);
      } finally {
        execFileSync(process.execPath, ['esbuild.js'], { cwd: root, stdio: 'inherit' });
      }
    }
    say();
    say(`Targets: 4K time ≤ 0.70× minimal and ≤ 0.60× genai; 1K ≤ 1.00× minimal; 4K memory ≤ 1.5× image; 4 variants ≤ 1.3×; activation ≤ 15 ms; batch ≤ 1.10× ideal.`);
    const needed = DEFAULT_BATCH_CONCURRENCY - 1 + Math.ceil(Math.log2(batch.prompts / CLIMB_AFTER_SUCCESSES + 1));
    say(`Batch: ${ratio(batchRatio)} of ideal ${batchRatio <= 1.1 ? '✓' : '✗'}; ${batch.throttled} 429s, at most ${needed} expected (the first burst of ${DEFAULT_BATCH_CONCURRENCY} less the one let through, plus one probe per doubling run of successes) ${batch.throttled <= needed ? '✓' : '✗'}`);
    for (const size of SIZES) say(`${size}: ours/minimal ${ratio(timeRatios[size].minimal)}, ours/genai ${ratio(timeRatios[size].genai)}`);
    say(`Bench took ${(performance.now() - started) / 1000 | 0} s.`);
    fs.mkdirSync(path.join(root, 'out', 'bench'), { recursive: true });
    fs.writeFileSync(path.join(root, 'out', 'bench', 'results.md'), `${lines.join('\n')}\n`);
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
