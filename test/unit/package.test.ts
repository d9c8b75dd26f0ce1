// `npm run package` as documented, in a copy of the project: a small .vsix with only what the Marketplace and VS Code need.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { readZip, type ZipEntry } from './zipReader';

const ROOT = path.resolve(__dirname, '..', '..');
const MAX_BYTES = 400 * 1024;
const REPOSITORY = 'https://github.com/gemini-image-studio/gemini-image-studio';
// What the project holds besides the build; dist/, out/, test results and caches are left behind on purpose.
const PROJECT_FILES = ['package.json', 'package-lock.json', 'README.md', 'CHANGELOG.md', 'LICENSE', '.vscodeignore', 'esbuild.js', 'tsconfig.json'];
const PROJECT_FOLDERS = ['src', 'media'];

let copy: string;
let vsix: Buffer;
let entries: ZipEntry[];

interface Manifest {
  license: string;
  icon: string;
  repository: { url: string };
  bugs: { url: string };
  homepage: string;
  categories: string[];
  galleryBanner: { color: string };
  contributes: {
    viewsContainers: { activitybar: { icon: string }[] };
    walkthroughs: { steps: { media: { markdown?: string; image?: string } }[] }[];
  };
}

before(async () => {
  copy = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-package-'));
  for (const file of PROJECT_FILES) if (fs.existsSync(path.join(ROOT, file))) fs.copyFileSync(path.join(ROOT, file), path.join(copy, file));
  for (const folder of PROJECT_FOLDERS) fs.cpSync(path.join(ROOT, folder), path.join(copy, folder), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
  // Leftovers of an earlier development build: the production build must start from an empty dist/.
  fs.mkdirSync(path.join(copy, 'dist'));
  fs.writeFileSync(path.join(copy, 'dist', 'extension.js.map'), '{}');
  fs.writeFileSync(path.join(copy, 'dist', 'removed-chunk.js'), '// from an older build');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await promisify(execFile)(npm, ['run', 'package', '--', '--out', 'extension.vsix'], { cwd: copy, maxBuffer: 16 << 20 });
  vsix = fs.readFileSync(path.join(copy, 'extension.vsix'));
  entries = readZip(vsix);
});

after(() => {
  if (copy) fs.rmSync(copy, { recursive: true, force: true });
});

function entry(name: string): ZipEntry {
  const found = entries.find((candidate) => candidate.name === name);
  assert.ok(found, `${name} is not in the .vsix: ${entries.map((e) => e.name).join(', ')}`);
  return found;
}

test('npm run package makes a .vsix of at most 400 KB', () => {
  assert.ok(vsix.length <= MAX_BYTES, `the .vsix is ${(vsix.length / 1024).toFixed(1)} KB`);
});

test('the .vsix holds the bundles, the manifest, icon, LICENSE and walkthrough, and nothing else', () => {
  const allowed = [
    /^\[Content_Types\]\.xml$/,
    /^extension\.vsixmanifest$/,
    /^extension\/(package\.json|readme\.md|changelog\.md|LICENSE\.txt)$/,
    /^extension\/dist\/[\w-]+\.js$/,
    /^extension\/dist\/codicons\/codicon\.(css|ttf)$/,
    /^extension\/media\/(icon\.png|activity-icon\.svg|panel\.css)$/,
    /^extension\/media\/walkthrough\/[\w-]+\.(md|png|svg)$/,
  ];
  const unexpected = entries.map((e) => e.name).filter((name) => !allowed.some((pattern) => pattern.test(name)));
  assert.deepEqual(unexpected, [], 'files that have no place in a release');
  for (const name of ['extension/dist/extension.js', 'extension/dist/http.js', 'extension/dist/webview.js', 'extension/LICENSE.txt']) entry(name);
  assert.equal(entries.filter((e) => /\.map$|screenshots\/|(^|\/)(src|test|out)\//.test(e.name)).length, 0);
  assert.equal(entries.some((e) => e.name.endsWith('removed-chunk.js')), false, 'a stale file from an earlier build shipped: dist/ was not cleaned');
});

test('every file the manifest names is inside, and the icon is a 128×128 PNG', () => {
  const manifest = JSON.parse(entry('extension/package.json').read().toString('utf8')) as Manifest;
  const named = [
    manifest.icon,
    ...manifest.contributes.viewsContainers.activitybar.map((container) => container.icon),
    ...manifest.contributes.walkthroughs.flatMap((walkthrough) => walkthrough.steps.map((step) => step.media.markdown ?? step.media.image ?? '')),
  ];
  for (const file of named) entry(`extension/${file.replace(/^\.\//, '')}`);
  const icon = entry(`extension/${manifest.icon}`).read();
  assert.equal(icon.toString('latin1', 1, 4), 'PNG');
  assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128]);
});

test('the manifest says where the project lives and the LICENSE matches its licence', () => {
  const manifest = JSON.parse(entry('extension/package.json').read().toString('utf8')) as Manifest;
  assert.equal(manifest.repository.url.replace(/\.git$/, ''), REPOSITORY);
  assert.ok(manifest.bugs.url.startsWith(REPOSITORY));
  assert.ok(manifest.homepage.startsWith(REPOSITORY));
  assert.ok(manifest.categories.includes('AI'));
  assert.match(manifest.galleryBanner.color, /^#[0-9a-f]{6}$/i);
  assert.equal(manifest.license, 'MIT');
  assert.match(entry('extension/LICENSE.txt').read().toString('utf8'), /^MIT License/);
});

test('README images point at absolute https addresses, so they render on the Marketplace', () => {
  const readme = entry('extension/readme.md').read().toString('utf8');
  const images = [...readme.matchAll(/!\[[^\]]*\]\(([^)\s]+)/g), ...readme.matchAll(/<img[^>]+src="([^"]+)"/g)].map((match) => match[1]);
  assert.ok(images.length > 0, 'the README shows no picture');
  for (const image of images) assert.match(image, /^https:\/\//, `relative image in the README: ${image}`);
});
