// One client, one size, many runs against the local server: for `node --cpu-prof out/bench/profile.js ours 4K 15`.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ProviderSettings } from '../../src/core/imageJob';
import { genaiClient, minimalClient, ourClient, parseOnly, startServer, transferOnly, type Client } from './clients';

async function main(): Promise<void> {
  const [name = 'ours', size = '4K', runsText = '15'] = process.argv.slice(2);
  const runs = Number(runsText);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-profile-'));
  const { url, child } = await startServer();
  try {
    const provider: ProviderSettings = { baseUrl: url, authHeader: 'bearer', timeoutSeconds: 600, maxRetries: 0 };
    const makers: Record<string, () => Promise<Client>> = {
      ours: async () => ourClient(provider, work),
      minimal: async () => minimalClient(provider, work),
      genai: () => genaiClient(url, work),
      transfer: async () => transferOnly(provider),
      parse: async () => parseOnly(provider),
    };
    const client = await makers[name]();
    // Warm-up: the server makes its 8 images per prompt and size once.
    for (let i = 0; i < 8; i++) await client(size).then((file) => file && fs.rmSync(file, { force: true }));
    const times: number[] = [];
    const cpuBefore = process.cpuUsage();
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const file = await client(size);
      times.push(performance.now() - started);
      if (file) fs.rmSync(file, { force: true });
    }
    // CPU time of this process per answer: what the client costs, much steadier than wall time on a busy machine.
    const cpu = process.cpuUsage(cpuBefore);
    times.sort((a, b) => a - b);
    console.log(
      `${name} ${size}: median ${times[Math.floor(times.length / 2)].toFixed(1)} ms, min ${times[0].toFixed(1)} ms, max ${times[times.length - 1].toFixed(1)} ms over ${runs} runs; ` +
        `client CPU ${((cpu.user + cpu.system) / 1000 / runs).toFixed(1)} ms per answer (user ${(cpu.user / 1000 / runs).toFixed(1)}, system ${(cpu.system / 1000 / runs).toFixed(1)})`,
    );
  } finally {
    child.kill('SIGTERM');
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
