// The outputFolder setting never lets an image be written outside the workspace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isInside, parseOutputFolder, symlinkEscape } from '../../src/core/outputFolder';

test('a relative folder lands below the workspace folder', () => {
  assert.deepEqual(parseOutputFolder('generated-images', false), { ok: true, base: 'workspace', segments: ['generated-images'] });
  assert.deepEqual(parseOutputFolder('assets\\img/./gen/', false), { ok: true, base: 'workspace', segments: ['assets', 'img', 'gen'] });
  assert.deepEqual(parseOutputFolder('  ', false), { ok: true, base: 'workspace', segments: ['generated-images'] });
});

test('${sourceDir} saves next to the edited image, or in the default folder when there is none', () => {
  assert.deepEqual(parseOutputFolder('${sourceDir}', true), { ok: true, base: 'source', segments: [] });
  assert.deepEqual(parseOutputFolder('${sourceDir}/edits', true), { ok: true, base: 'source', segments: ['edits'] });
  assert.deepEqual(parseOutputFolder('${sourceDir}', false), { ok: true, base: 'workspace', segments: ['generated-images'] });
});

test('absolute paths, parent folders and illegal names are refused with a reason', () => {
  for (const setting of ['/etc', 'C:\\Users\\me', '~/Pictures', '../outside', 'a/../../b', '${sourceDir}/../..', 'bad|name']) {
    const result = parseOutputFolder(setting, true);
    assert.equal(result.ok, false, setting);
    if (!result.ok) assert.match(result.reason, /outputFolder/);
  }
});

test('isInside compares whole path segments', () => {
  assert.equal(isInside('/w/project', '/w/project/a.png'), true);
  assert.equal(isInside('/w/project/', '/w/project'), true);
  assert.equal(isInside('/w/project', '/w/project-evil/a.png'), false);
  assert.equal(isInside('/w/project', '/w/a.png'), false);
});

test('Windows device names are refused as folder names, in any case, with or without an extension', () => {
  for (const setting of ['con/images', 'aux', 'NUL', 'images/com1', 'Lpt9.png', 'prn.txt/x', 'con. ', '${sourceDir}/aux']) {
    const result = parseOutputFolder(setting, true);
    assert.equal(result.ok, false, setting);
    if (!result.ok) assert.match(result.reason, /reserves for a device/, setting);
  }
  for (const setting of ['console', 'auxiliary/images', 'com', 'nullable', 'my-con']) {
    assert.equal(parseOutputFolder(setting, true).ok, true, setting);
  }
});

test('a folder that leads outside the workspace through a symbolic link is refused, naming the link', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-link-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const workspace = path.join(root, 'workspace');
  const outside = path.join(root, 'outside');
  fs.mkdirSync(path.join(workspace, 'photos'), { recursive: true });
  fs.mkdirSync(outside);
  fs.symlinkSync(outside, path.join(workspace, 'linked'), 'dir');
  fs.symlinkSync(path.join(workspace, 'photos'), path.join(workspace, 'inner-link'), 'dir');

  const escape = await symlinkEscape(path.join(workspace, 'linked', 'generated', 'images'), workspace);
  assert.ok(escape, 'a folder below a link to outside was allowed');
  assert.match(escape, /links outside the workspace/);
  assert.ok(escape.includes(path.join(workspace, 'linked')), escape);
  // ${sourceDir} of an image inside the linked folder.
  assert.ok(await symlinkEscape(path.join(workspace, 'linked'), workspace));

  assert.equal(await symlinkEscape(path.join(workspace, 'generated-images', 'deep'), workspace), undefined, 'a folder yet to be created was refused');
  assert.equal(await symlinkEscape(path.join(workspace, 'inner-link', 'edits'), workspace), undefined, 'a link that stays inside was refused');
  assert.equal(await symlinkEscape(workspace, workspace), undefined);
});

test('a workspace opened through a symbolic link still accepts its own folders', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gis-link-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, 'real-workspace'));
  fs.symlinkSync(path.join(root, 'real-workspace'), path.join(root, 'workspace'), 'dir');
  assert.equal(await symlinkEscape(path.join(root, 'workspace', 'generated-images'), path.join(root, 'workspace')), undefined);
});
