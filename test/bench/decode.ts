// Our streaming reader alone, no network: a 4K-size answer pushed in 64 KiB chunks, bytes dropped or written to a file.
// node out/bench/decode.js [runs]: steadier than the end-to-end bench on a busy machine, for work on src/core/stream*.ts.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { TempImageFile } from '../../src/core/streamFile';
import { ImageStreamWriter, type ImageSink, type ImageSinkFile } from '../../src/core/streamSink';

const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? '15');
  const image = Buffer.concat([PNG_HEAD, randomBytes(17_500_000)]);
  const answer = Buffer.from(
    JSON.stringify({
      candidates: [{ content: { role: 'model', parts: [{ text: 'Here it is.' }, { inlineData: { mimeType: 'image/png', data: image.toString('base64') }, thoughtSignature: 'c2ln' }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 2000, totalTokenCount: 2010 },
    }),
  );
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-decode-'));
  let files = 0;
  const drop: ImageSink<ImageSinkFile> = { open: async () => ({ write: async () => undefined, end: async () => undefined, abort: async () => undefined }) };
  const file: ImageSink<TempImageFile> = { open: (made) => TempImageFile.create(path.join(work, `${++files}.part`), made, undefined) };
  const sinks: [string, ImageSink<ImageSinkFile>][] = [
    ['bytes dropped', drop],
    ['into a file', file],
  ];
  try {
    for (const [name, sink] of sinks) {
      const times: number[] = [];
      const cpuBefore = process.cpuUsage();
      for (let run = 0; run < runs + 2; run++) {
        // Fresh chunks each run, as a socket hands them out.
        const chunks: Buffer[] = [];
        for (let at = 0; at < answer.length; at += 65536) chunks.push(Buffer.from(answer.subarray(at, at + 65536)));
        const started = performance.now();
        const writer = new ImageStreamWriter(sink, 'bench', 200);
        for (const chunk of chunks) await writer.push(chunk);
        await writer.end();
        const outcome = writer.outcome(0);
        if (!('image' in outcome) || outcome.image.size !== image.length) throw new Error(`decoded wrongly: ${JSON.stringify(outcome)}`);
        if (outcome.image.file instanceof TempImageFile) {
          await outcome.image.file.close();
          fs.rmSync(outcome.image.file.path);
        }
        if (run >= 2) times.push(performance.now() - started);
      }
      const cpu = process.cpuUsage(cpuBefore);
      times.sort((a, b) => a - b);
      console.log(`${name}: median ${times[Math.floor(runs / 2)].toFixed(1)} ms, min ${times[0].toFixed(1)} ms; CPU ${((cpu.user + cpu.system) / 1000 / (runs + 2)).toFixed(1)} ms per answer`);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
