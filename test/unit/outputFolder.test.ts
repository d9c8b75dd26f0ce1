// The outputFolder setting never lets an image be written outside the workspace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isInside, parseOutputFolder } from '../../src/core/outputFolder';

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
