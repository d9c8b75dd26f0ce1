// The panel's webview is untrusted: every message it sends is checked, and hostile ones are refused with a reason.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateWebviewMessage, workspacePathProblem, type ValidationContext } from '../../src/panel/messageValidation';
import { modelChoices } from '../../src/panel/choices';
import { BUILT_IN_PRESETS } from '../../src/core/presets';
import type { ComposeChoices } from '../../src/shared/protocol';

const context: ValidationContext = { models: modelChoices('my-gateway-model'), presets: [...BUILT_IN_PRESETS.map((preset) => preset.name), 'House style'] };

const proChoices: ComposeChoices = {
  model: 'gemini-3-pro-image-preview',
  aspectRatio: '16:9',
  imageSize: '2K',
  outputFormat: 'png',
  thinkingLevel: 'auto',
  grounding: true,
  variants: 2,
};

function generate(overrides: Record<string, unknown> = {}, choices: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'generate', requestId: 'r1', prompt: 'a fox', choices: { ...proChoices, ...choices }, references: ['images/sunset.png'], ...overrides };
}

function refused(raw: unknown, pattern: RegExp): void {
  const result = validateWebviewMessage(raw, context);
  assert.equal(result.ok, false, `accepted ${JSON.stringify(raw)?.slice(0, 200)}`);
  if (!result.ok) assert.match(result.reason, pattern);
}

function accepted(raw: unknown): unknown {
  const result = validateWebviewMessage(raw, context);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.message;
}

describe('messages the panel sends in normal use are accepted', () => {
  test('generate with a known model, its options and workspace references', () => {
    assert.deepEqual(accepted(generate()), generate());
    assert.deepEqual(accepted(generate({ refine: 'generated-images/a-fox.png', references: [] })), generate({ refine: 'generated-images/a-fox.png', references: [] }));
  });

  test('auto options, a fixed-size model naming its own size, and the settings’ own model', () => {
    accepted(generate({}, { aspectRatio: 'auto', imageSize: 'auto', outputFormat: 'auto', variants: 1 }));
    accepted(generate({}, { model: 'gemini-3-pro-image-preview-2k', imageSize: '2K' }));
    accepted(generate({}, { model: 'my-gateway-model', aspectRatio: '8:1', imageSize: '512' }));
    accepted(generate({}, { model: 'gemini-3.1-flash-image-preview', aspectRatio: '1:8', imageSize: '512' }));
    accepted(generate({}, { model: 'gemini-3.1-flash-image', thinkingLevel: 'high', grounding: true }));
    accepted(generate({}, { model: 'auto', aspectRatio: 'auto', imageSize: 'auto', thinkingLevel: 'auto', grounding: false }));
  });

  test('thinking level and grounding only where the model offers them', () => {
    refused(generate({}, { model: 'gemini-3-pro-image', thinkingLevel: 'high' }), /thinkingLevel "high" is not offered for gemini-3-pro-image/);
    refused(generate({}, { model: 'gemini-3.1-flash-image', thinkingLevel: '<img>' }), /thinkingLevel/);
    refused(generate({}, { model: 'gemini-2.5-flash-image', imageSize: 'auto', grounding: true }), /grounding is not offered for gemini-2.5-flash-image/);
    refused(generate({}, { grounding: 'yes' }), /grounding must be true or false/);
  });

  test('every other message type', () => {
    for (const message of [
      { type: 'ready' },
      { type: 'cancel', jobId: 'w1' },
      { type: 'jobStep', jobId: 'w1', step: 'setToken' },
      { type: 'dismissJob', jobId: 'w1' },
      { type: 'choose', choices: proChoices },
      { type: 'pickReferences', requestId: 'r2' },
      { type: 'addReferences', requestId: 'r3', paths: ['images/sunset.png', 'site/photo 1.jpg'] },
      { type: 'dropReferences', requestId: 'r4', uris: ['file:///w/images/a.png', 'vscode-remote://127.0.0.1:9000/w/b.png'] },
      { type: 'removeReference', path: 'images/sunset.png' },
      { type: 'moveReference', path: 'images/sunset.png', index: 0 },
      { type: 'imageAction', requestId: 'r5', action: 'copyPath', path: 'generated-images/a.png' },
      { type: 'rescanHistory', requestId: 'r6' },
      { type: 'runCommand', command: 'showLog' },
      { type: 'cancelBatch', batchId: 'batch-1' },
      { type: 'dismissBatch', batchId: 'batch-1' },
      { type: 'openBatchResults', requestId: 'r7', batchId: 'batch-2' },
    ]) {
      assert.deepEqual(accepted(message), message);
    }
  });
});

describe('presets and the transparent background: only names the host offered, only "transparent"', () => {
  test('a built-in or a settings preset, with or without a transparent background, is accepted as sent', () => {
    for (const extra of [{ preset: 'App icon' }, { preset: 'House style', background: 'transparent' }, { background: 'transparent' }, { preset: 'Pixel-art sprite' }]) {
      assert.deepEqual(accepted(generate({}, extra)), generate({}, extra));
      assert.deepEqual(accepted({ type: 'choose', choices: { ...proChoices, ...extra } }), { type: 'choose', choices: { ...proChoices, ...extra } });
    }
    // Absent fields stay absent: None and an opaque image are not turned into values.
    const message = accepted(generate()) as { choices: Record<string, unknown> };
    assert.ok(!('preset' in message.choices) && !('background' in message.choices));
  });

  test('a preset the host did not offer is refused: other case, spaces, unknown, too long, not a string', () => {
    for (const preset of ['app icon', 'App icon ', ' App icon', 'Logo', '', 'x'.repeat(61), 42, null, ['App icon'], { name: 'App icon' }, '__proto__', 'toString']) {
      refused(generate({}, { preset }), /choices\.preset/);
      refused({ type: 'choose', choices: { ...proChoices, preset } }, /choices\.preset/);
    }
    // Without a preset list (an older host context) no preset name is accepted.
    const result = validateWebviewMessage(generate({}, { preset: 'Photo' }), { models: context.models });
    assert.equal(result.ok, false);
  });

  test('background is "transparent" or absent, nothing else', () => {
    for (const background of ['opaque', 'Transparent', 'transparent ', true, 1, null, '', { kind: 'transparent' }]) {
      refused(generate({}, { background }), /choices\.background .* can only be "transparent"/);
    }
  });
});

describe('hostile or broken messages are refused', () => {
  test('not an object, unknown type, missing type', () => {
    for (const raw of [null, undefined, 42, 'ready', ['ready'], new Date()]) refused(raw, /not an object/);
    refused({ type: 'deleteWorkspace' }, /unknown message type "deleteWorkspace"/);
    refused({ type: 'executeCommand', command: 'workbench.action.terminal.new' }, /unknown message type/);
    refused({}, /unknown message type/);
    refused({ type: 'toString' }, /unknown message type/);
    refused({ type: '__proto__' }, /unknown message type/);
  });

  test('paths that leave the workspace: .., absolute, drive letters, URLs, UNC, NUL, backslashes', () => {
    const hostile = [
      '../secret.png',
      'images/../../etc/passwd',
      '..',
      '/etc/passwd',
      '/home/user/.ssh/id_rsa',
      'C:\\Windows\\win.ini',
      'C:/Windows/win.ini',
      'c:relative.png',
      'file:///etc/passwd',
      'https://evil.example/x.png',
      'vscode-remote://host/etc/passwd',
      '//server/share/x.png',
      '\\\\server\\share\\x.png',
      'images\\..\\..\\x.png',
      'images/a.png\u0000.txt',
      '~/x.png',
      'images//a.png',
      './images/a.png',
      '',
    ];
    for (const path of hostile) {
      refused({ type: 'removeReference', path }, /removeReference: path/);
      refused({ type: 'imageAction', requestId: 'r1', action: 'open', path }, /imageAction: path/);
      refused({ type: 'addReferences', requestId: 'r1', paths: ['images/ok.png', path] }, /paths\[1\]/);
      refused(generate({ references: [path] }), /references\[0\]/);
      refused(generate({ refine: path }), /refine/);
      assert.notEqual(workspacePathProblem(path), undefined, path);
    }
  });

  test('a 1 MB prompt, an empty prompt, a prompt that is not text', () => {
    refused(generate({ prompt: 'x'.repeat(1024 * 1024) }), /prompt is longer than 32 KB/);
    // 32 KB of text but more than 32 KB of UTF-8.
    refused(generate({ prompt: 'é'.repeat(20_000) }), /longer than 32 KB/);
    accepted(generate({ prompt: 'x'.repeat(32 * 1024) }));
    refused(generate({ prompt: '   \n ' }), /prompt is empty/);
    refused(generate({ prompt: 42 }), /prompt must be a string/);
    refused(generate({ prompt: ['a', 'b'] }), /prompt must be a string/);
  });

  test('imageSize "8K", lowercase sizes, ratios and sizes the model cannot take', () => {
    refused(generate({}, { imageSize: '8K' }), /imageSize "8K" is not offered for gemini-3-pro-image-preview/);
    refused(generate({}, { imageSize: '2k' }), /imageSize "2k"/);
    refused(generate({}, { model: 'gemini-2.5-flash-image', imageSize: '2K', aspectRatio: 'auto' }), /imageSize "2K" is not offered for gemini-2.5-flash-image/);
    refused(generate({}, { aspectRatio: '8:1' }), /aspectRatio "8:1" is not offered for gemini-3-pro-image-preview/);
    refused(generate({}, { aspectRatio: '16/9' }), /aspectRatio/);
    refused(generate({}, { model: 'gemini-3-pro-image-preview-2k', imageSize: '4K' }), /imageSize "4K"/);
    refused(generate({}, { model: 'gemini-3.1-flash-image-preview-512', imageSize: '1K' }), /imageSize "1K"/);
  });

  test('a model that is not in the list (with options it could not take anyway), or with a hostile id', () => {
    refused(generate({}, { model: 'gpt-image-1', aspectRatio: '8:1', imageSize: '8K' }), /model "gpt-image-1" is not one of the offered models/);
    refused(generate({}, { model: 'gemini-9-ultra' }), /not one of the offered models/);
    refused(generate({}, { model: '../../v1beta/files' }), /characters a model id cannot have/);
    refused(generate({}, { model: 'gemini-2.5-flash-image:generateContent?key=x' }), /characters a model id cannot have/);
    refused(generate({}, { model: 'models/gemini-2.5-flash-image' }), /characters/);
    refused(generate({}, { model: '' }), /choices.model/);
    refused(generate({}, { model: 'a'.repeat(500) }), /choices.model/);
  });

  test('more references than the model takes, duplicates, too many', () => {
    refused(
      generate({ references: ['a.png', 'b.png', 'c.png', 'd.png'] }, { model: 'gemini-2.5-flash-image', imageSize: 'auto', grounding: false }),
      /gemini-2.5-flash-image takes at most 3 reference images, got 4/,
    );
    refused(generate({ references: Array.from({ length: 15 }, (_, index) => `img${index}.png`) }), /more than 14/);
    refused(generate({ references: ['a.png', 'a.png'] }), /names a file twice/);
    refused(generate({ references: 'a.png' }), /references must be an array/);
  });

  test('wrong types and out-of-range numbers', () => {
    refused(generate({}, { variants: 0 }), /variants/);
    refused(generate({}, { variants: 9 }), /variants/);
    refused(generate({}, { variants: 1.5 }), /variants/);
    refused(generate({}, { variants: '2' }), /variants/);
    refused(generate({}, { outputFormat: 'gif' }), /outputFormat "gif"/);
    refused(generate({ choices: 'gemini' }), /choices must be an object/);
    refused(generate({ choices: null }), /choices must be an object/);
    refused({ type: 'moveReference', path: 'a.png', index: -1 }, /index/);
    refused({ type: 'moveReference', path: 'a.png', index: '0' }, /index/);
    refused({ type: 'jobStep', jobId: 'w1', step: 'rm -rf' }, /step/);
    refused({ type: 'imageAction', requestId: 'r1', action: 'delete', path: 'a.png' }, /action "delete"/);
    refused({ type: 'runCommand', command: 'workbench.action.terminal.sendSequence' }, /command/);
  });

  test('request ids and job ids are short and plain', () => {
    refused(generate({ requestId: '' }), /requestId/);
    refused(generate({ requestId: 'x'.repeat(65) }), /requestId/);
    refused(generate({ requestId: '<img src=x onerror=alert(1)>' }), /requestId/);
    refused(generate({ requestId: 7 }), /requestId/);
    refused({ type: 'cancel', jobId: '../../x' }, /jobId/);
  });

  test('batch messages name a batch by a plain id and never a file', () => {
    refused({ type: 'cancelBatch', batchId: '../../x' }, /batchId/);
    refused({ type: 'cancelBatch', batchId: 3 }, /batchId/);
    refused({ type: 'dismissBatch' }, /missing field batchId/);
    refused({ type: 'dismissBatch', batchId: 'x'.repeat(65) }, /batchId/);
    refused({ type: 'openBatchResults', requestId: 'r1', batchId: 'batch-1', path: '/etc/passwd' }, /unexpected field "path"/);
    refused({ type: 'openBatchResults', requestId: 'r1', batchId: 'batch-1', resultsFile: 'a.results.jsonl' }, /unexpected field "resultsFile"/);
    refused({ type: 'openBatchResults', batchId: 'batch-1' }, /missing field requestId/);
    refused({ type: 'cancelBatch', jobId: 'batch-1' }, /unexpected field "jobId"/);
  });

  test('extra and missing fields', () => {
    refused({ type: 'ready', token: 'x' }, /unexpected field "token"/);
    refused(generate({ apiKey: 'x' }), /unexpected field "apiKey"/);
    refused(generate({}, { candidateCount: 4 }), /unexpected field "candidateCount"/);
    refused({ type: 'cancel' }, /missing field jobId/);
    const withoutChoices = generate();
    delete withoutChoices.choices;
    refused(withoutChoices, /missing field choices/);
    const partial: Record<string, unknown> = { ...proChoices };
    delete partial.aspectRatio;
    refused(generate({ choices: partial }), /missing field aspectRatio/);
  });

  test('dropped URIs must be file URIs of a workspace scheme', () => {
    refused({ type: 'dropReferences', requestId: 'r1', uris: ['https://evil.example/a.png'] }, /not a workspace file URI/);
    refused({ type: 'dropReferences', requestId: 'r1', uris: ['javascript:alert(1)'] }, /not a workspace file URI/);
    refused({ type: 'dropReferences', requestId: 'r1', uris: ['/etc/passwd'] }, /not a workspace file URI/);
    refused({ type: 'dropReferences', requestId: 'r1', uris: ['file:///a.png\u0000'] }, /control characters/);
    refused({ type: 'dropReferences', requestId: 'r1', uris: [] }, /1 to 64/);
    refused({ type: 'dropReferences', requestId: 'r1', uris: Array.from({ length: 65 }, (_, index) => `file:///w/${index}.png`) }, /1 to 64/);
  });

  test('objects with an unusual prototype are refused', () => {
    refused(Object.create({ type: 'ready' }), /not an object/);
    class Message {
      type = 'ready';
    }
    refused(new Message(), /not an object/);
  });
});

describe('hostile objects are refused, never thrown on, and the request still gets its answer', () => {
  const hostileValue = {
    toString: () => {
      throw new Error('toString ran');
    },
    valueOf: () => {
      throw new Error('valueOf ran');
    },
  };
  const throwingGetter = (): Record<string, unknown> =>
    Object.defineProperty({}, 'length', {
      enumerable: true,
      get: () => {
        throw new Error('getter ran');
      },
    });
  let deep: unknown = 'end';
  for (let depth = 0; depth < 100_000; depth++) deep = { inner: deep };
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const trapsThrow = new Proxy(
    { type: 'generate', requestId: 'r9' },
    {
      ownKeys: () => {
        throw new Error('ownKeys trap ran');
      },
    },
  );
  const thrownProxy = new Proxy({}, {
    getPrototypeOf: () => {
      throw new Error('getPrototypeOf trap ran');
    },
  });

  const cases: [string, unknown, string | undefined][] = [
    ['a hostile toString as the type', { type: hostileValue, requestId: 'r1' }, 'r1'],
    ['a hostile toString as a field', generate({ prompt: hostileValue }), 'r1'],
    ['a hostile value as a choice', generate({}, { model: hostileValue, aspectRatio: hostileValue }), 'r1'],
    ['a hostile value as the step', { type: 'jobStep', jobId: 'j1', step: hostileValue }, undefined],
    ['an array whose length getter throws', generate({ references: throwingGetter() }), 'r1'],
    ['a getter that throws on the message', Object.defineProperty({ type: 'rescanHistory', requestId: 'r2' }, 'extra', { enumerable: true, get: () => { throw new Error('x'); } }), 'r2'],
    ['a requestId behind a getter is not run', Object.defineProperty({ type: 'pickReferences' }, 'requestId', { enumerable: true, get: () => { throw new Error('x'); } }), undefined],
    ['a getter throwing a proxy whose getPrototypeOf throws', Object.defineProperty({ type: 'rescanHistory', requestId: 'r3' }, 'x', { enumerable: true, get: () => { throw thrownProxy; } }), 'r3'],
    ['deep nesting', generate({ choices: deep }), 'r1'],
    ['a revoked proxy', revoked.proxy, undefined],
    ['a proxy whose traps throw', trapsThrow, 'r9'],
    ['a symbol as the type', { type: Symbol('x'), requestId: 'r4' }, 'r4'],
    ['a function as the prompt', generate({ prompt: () => 'x' }), 'r1'],
  ];
  for (const [name, raw, requestId] of cases) {
    test(name, () => {
      const result = validateWebviewMessage(raw, context);
      assert.equal(result.ok, false);
      if (!result.ok) {
        assert.equal(result.requestId, requestId);
        assert.doesNotMatch(result.reason, /ran/, 'the sender\'s code ran and its text reached the reason');
      }
    });
  }
});
