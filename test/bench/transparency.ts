// Background removal alone: the test server's keyed picture (PNG and JPEG) at 1K, 2K and 4K through removeKeyColour.
// node out/bench/transparency.js [runs]: the time a transparent image spends in its worker after it is saved.
import { performance } from 'node:perf_hooks';
import { removeKeyColour } from '../../src/core/image/backgroundRemoval';
import { MAGENTA } from '../../src/core/image/keyColour';
import { makeImage } from '../server/imageFactory';

const runs = Number(process.argv[2] ?? '3');
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1];

console.log('| size | format | input | RGBA PNG | median ms |');
console.log('|---|---|---|---|---|');
for (const size of [1024, 2048, 4096]) {
  for (const format of ['png', 'jpeg'] as const) {
    const image = makeImage(format, size, size, 'bench', MAGENTA.rgb);
    const times: number[] = [];
    let output = 0;
    for (let run = 0; run < runs; run++) {
      const started = performance.now();
      const result = removeKeyColour(image.bytes, MAGENTA);
      times.push(performance.now() - started);
      if (result.kind !== 'transparent') throw new Error(`${size} ${format}: ${result.message}`);
      output = result.png.length;
    }
    console.log(`| ${size} | ${format} | ${(image.bytes.length / 1024).toFixed(0)} KB | ${(output / 1024).toFixed(0)} KB | ${median(times).toFixed(0)} |`);
  }
}
