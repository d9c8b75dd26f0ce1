// Makes media/presets/<preset>.jpg (.png for presets with a transparent background), the README's example per
// built-in preset: each preset's request (its expanded template, aspect ratio and, for transparent presets, the key
// colour sentence) sent to the local test server (test/server), which answers with a synthetic image of the requested
// shape; transparent presets then go through the extension's own background removal; scaled to 256 px, saved small. Run `node scripts/preset-examples.mjs`; the files are
// committed and stay out of the .vsix (.vscodeignore lists what ships).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import jpeg from 'jpeg-js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outDir = path.join(root, 'media', 'presets');
const LONGEST_SIDE = 256;
const MAX_BYTES = 30 * 1024;
/** What each example asks for: a subject a user of that preset would type. */
const SUBJECTS = {
  Photo: 'a red fox in a snowy birch forest',
  Illustration: 'a cyclist crossing a bridge at sunset',
  'App icon': 'a paper plane',
  Sticker: 'a happy cactus wearing sunglasses',
  'Seamless pattern': 'lemons and leaves',
  Diagram: 'a browser sends a request to an API gateway, which calls two services and a database',
  'UI mockup': 'a settings page for a photo backup app',
  'Pixel-art sprite': 'a knight with a blue shield',
};

/** The presets and the test server, bundled from TypeScript into a temporary folder and loaded from there. */
async function load() {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'preset-examples-'));
  await esbuild.build({
    entryPoints: {
      presets: path.join(root, 'src/core/presets.ts'),
      keyColour: path.join(root, 'src/core/image/keyColour.ts'),
      removal: path.join(root, 'src/core/image/backgroundRemoval.ts'),
      pixels: path.join(root, 'src/core/image/pixels.ts'),
      server: path.join(root, 'test/server/geminiServer.ts'),
      sentinel: path.join(root, 'test/sentinel.ts'),
    },
    outdir: temp,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'warning',
  });
  const require = createRequire(import.meta.url);
  const modules = Object.fromEntries(['presets', 'keyColour', 'removal', 'pixels', 'server', 'sentinel'].map((name) => [name, require(path.join(temp, `${name}.js`))]));
  fs.rmSync(temp, { recursive: true, force: true });
  return modules;
}

/** Box-filter downscale of RGBA pixels so the longest side is `longest` (averaging also smooths the server's noise). */
function downscale({ width, height, data }, longest) {
  const scale = Math.max(width, height) / longest;
  const w = Math.max(1, Math.round(width / scale));
  const h = Math.max(1, Math.round(height / scale));
  const out = Buffer.alloc(w * h * 4);
  for (let y = 0; y < h; y++) {
    const y0 = Math.floor(y * scale);
    const y1 = Math.max(y0 + 1, Math.floor((y + 1) * scale));
    for (let x = 0; x < w; x++) {
      const x0 = Math.floor(x * scale);
      const x1 = Math.max(x0 + 1, Math.floor((x + 1) * scale));
      // Colours weighted by alpha, so transparent pixels do not darken the edge.
      const sum = [0, 0, 0, 0];
      for (let sy = y0; sy < y1; sy++) {
        for (let sx = x0; sx < x1; sx++) {
          const i = (sy * width + sx) * 4;
          const a = data[i + 3];
          sum[0] += data[i] * a;
          sum[1] += data[i + 1] * a;
          sum[2] += data[i + 2] * a;
          sum[3] += a;
        }
      }
      const n = (y1 - y0) * (x1 - x0);
      const o = (y * w + x) * 4;
      out[o] = sum[3] ? sum[0] / sum[3] : 0;
      out[o + 1] = sum[3] ? sum[1] / sum[3] : 0;
      out[o + 2] = sum[3] ? sum[2] / sum[3] : 0;
      out[o + 3] = sum[3] / n;
    }
  }
  return { width: w, height: h, data: out };
}

export function fileNameOf(presetName, transparent = false) {
  return `${presetName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '')}.${transparent ? 'png' : 'jpg'}`;
}

async function main() {
  const { presets, keyColour, removal, pixels, server: serverModule, sentinel } = await load();
  const server = await serverModule.startGeminiServer({ tokens: [sentinel.SENTINEL_TOKEN] });
  fs.mkdirSync(outDir, { recursive: true });
  try {
    for (const preset of presets.BUILT_IN_PRESETS) {
      const subject = SUBJECTS[preset.name];
      if (!subject) throw new Error(`No example subject for the preset "${preset.name}": add one to SUBJECTS.`);
      const transparent = preset.background === 'transparent';
      const imageConfig = { ...(preset.aspectRatio ? { aspectRatio: preset.aspectRatio } : {}), imageSize: '1K', outputFormat: transparent ? 'png' : 'jpeg' };
      const expanded = presets.expandTemplate(preset.template, subject);
      const key = keyColour.chooseKeyColour(expanded);
      const prompt = transparent ? keyColour.withKeyColour(expanded, key) : expanded;
      const response = await fetch(`${server.url}/v1beta/models/gemini-3.1-flash-image:generateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${sentinel.SENTINEL_TOKEN}` },
        body: JSON.stringify({
          contents: [{ role: 'user', parts: [{ text: prompt }] }],
          generationConfig: { responseModalities: ['IMAGE'], imageConfig },
        }),
      });
      if (!response.ok) throw new Error(`${preset.name}: the test server answered ${response.status}: ${(await response.text()).slice(0, 300)}`);
      const answer = await response.json();
      const part = answer.candidates?.[0]?.content?.parts?.find((candidate) => candidate.inlineData ?? candidate.inline_data);
      const data = part?.inlineData?.data ?? part?.inline_data?.data;
      if (!data) throw new Error(`${preset.name}: no image in the answer`);
      let bytes;
      if (transparent) {
        const removed = removal.removeKeyColour(Buffer.from(data, 'base64'), key);
        if (removed.kind !== 'transparent') throw new Error(`${preset.name}: the background was not removed: ${removed.message}`);
        const small = downscale(pixels.decodePng(removed.png), LONGEST_SIDE);
        bytes = removal.encodeRgbaPng(small);
      } else {
        bytes = jpeg.encode(downscale(jpeg.decode(Buffer.from(data, 'base64'), { useTArray: true }), LONGEST_SIDE), 80).data;
      }
      if (bytes.length > MAX_BYTES) throw new Error(`${preset.name}: ${bytes.length} bytes, over the ${MAX_BYTES} byte budget`);
      const file = path.join(outDir, fileNameOf(preset.name, transparent));
      for (const stale of [fileNameOf(preset.name, !transparent)]) fs.rmSync(path.join(outDir, stale), { force: true });
      fs.writeFileSync(file, bytes);
      console.log(`${path.relative(root, file)}  ${(bytes.length / 1024).toFixed(1)} KB`);
    }
  } finally {
    await server.close();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
