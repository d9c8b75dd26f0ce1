// Draws media/icon.png (the Marketplace icon, 128×128): a picture frame with a hill, a sun and Gemini's four-point
// sparkle on a blue-violet tile. Run `node scripts/draw-icon.mjs` after changing it; the PNG is committed.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const SIZE = 128;
const SAMPLES = 4; // 4×4 samples per pixel: smooth edges without an anti-aliasing library

/** Signed distance to a rounded rectangle centred at (cx, cy): negative inside. */
function roundedRect(x, y, cx, cy, halfW, halfH, radius) {
  const qx = Math.abs(x - cx) - halfW + radius;
  const qy = Math.abs(y - cy) - halfH + radius;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - radius;
}

/** Gemini-style four-point star: inside where |dx|^p + |dy|^p <= r^p with p < 1 (concave sides). */
function sparkle(x, y, cx, cy, r) {
  const p = 0.55;
  const dx = Math.abs(x - cx) / r;
  const dy = Math.abs(y - cy) / r;
  return dx ** p + dy ** p - 1;
}

const mix = (a, b, t) => a.map((value, i) => value + (b[i] - value) * t);

/** Colour (RGBA 0..1) of one sample point, painting back to front. */
function sample(x, y) {
  let colour = [0, 0, 0, 0];
  const over = (rgb, alpha) => {
    const a = alpha + colour[3] * (1 - alpha);
    if (a === 0) return;
    colour = [...rgb.map((c, i) => (c * alpha + colour[i] * colour[3] * (1 - alpha)) / a), a];
  };
  // Tile: diagonal gradient from deep blue to violet.
  if (roundedRect(x, y, 64, 64, 62, 62, 26) <= 0) {
    const t = (x + y) / (2 * SIZE);
    over(mix([0.10, 0.35, 0.95], [0.58, 0.24, 0.90], t), 1);
  }
  // Picture: white frame, sky, sun and hills inside.
  const frame = roundedRect(x, y, 60, 70, 40, 32, 8);
  if (frame <= 0) over([1, 1, 1], 1);
  const inner = roundedRect(x, y, 60, 70, 33, 25, 4);
  if (inner <= 0) {
    over(mix([0.78, 0.88, 1.0], [0.95, 0.90, 1.0], (y - 45) / 50), 1);
    if (Math.hypot(x - 45, y - 60) <= 7) over([1.0, 0.76, 0.20], 1);
    const farHill = 86 - 14 * Math.exp(-(((x - 76) / 16) ** 2));
    if (y >= farHill) over([0.40, 0.55, 0.95], 1);
    const nearHill = 94 - 12 * Math.exp(-(((x - 50) / 18) ** 2));
    if (y >= nearHill) over([0.20, 0.36, 0.85], 1);
  }
  // Sparkle on the frame's top-right corner, with a thin violet rim so it reads on white.
  if (sparkle(x, y, 98, 34, 24) <= 0) over([0.58, 0.24, 0.90], 1);
  if (sparkle(x, y, 98, 34, 20) <= 0) over([1, 1, 1], 1);
  if (sparkle(x, y, 98, 34, 12) <= 0) over([1.0, 0.86, 0.35], 1);
  return colour;
}

function render() {
  const rows = Buffer.alloc(SIZE * (1 + SIZE * 4));
  for (let py = 0; py < SIZE; py++) {
    const rowStart = py * (1 + SIZE * 4);
    rows[rowStart] = 0; // filter: none
    for (let px = 0; px < SIZE; px++) {
      let sum = [0, 0, 0, 0];
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const [r, g, b, a] = sample(px + (sx + 0.5) / SAMPLES, py + (sy + 0.5) / SAMPLES);
          sum = [sum[0] + r * a, sum[1] + g * a, sum[2] + b * a, sum[3] + a];
        }
      }
      const alpha = sum[3] / (SAMPLES * SAMPLES);
      const offset = rowStart + 1 + px * 4;
      for (let c = 0; c < 3; c++) rows[offset + c] = alpha > 0 ? Math.round((255 * sum[c]) / sum[3]) : 0;
      rows[offset + 3] = Math.round(255 * alpha);
    }
  }
  return rows;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(data, zlib.crc32(head.subarray(4))) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

const header = Buffer.alloc(13);
header.writeUInt32BE(SIZE, 0);
header.writeUInt32BE(SIZE, 4);
header[8] = 8; // bit depth
header[9] = 6; // RGBA
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', header),
  chunk('IDAT', zlib.deflateSync(render(), { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'media', 'icon.png');
fs.writeFileSync(out, png);
console.log(`wrote ${path.relative(process.cwd(), out)} (${png.length} bytes)`);
