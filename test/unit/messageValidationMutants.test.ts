// The panel's message checks at their limits, and the exact reasons the panel shows when it refuses a message
// ("The extension refused this request: <reason>."), for the survivors of issue 15's mutation run.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { validateWebviewMessage, workspacePathProblem, type ValidationContext } from '../../src/panel/messageValidation';
import { modelChoices } from '../../src/panel/choices';
import type { ComposeChoices } from '../../src/shared/protocol';

const context: ValidationContext = { models: modelChoices('my-gateway-model'), presets: ['App icon', 'House style'] };

const choices: ComposeChoices = {
  model: 'gemini-3-pro-image',
  aspectRatio: 'auto',
  imageSize: 'auto',
  outputFormat: 'auto',
  thinkingLevel: 'auto',
  grounding: false,
  variants: 1,
};

function generate(overrides: Record<string, unknown> = {}, choiceOverrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'generate', requestId: 'r1', prompt: 'a fox', choices: { ...choices, ...choiceOverrides }, references: [], ...overrides };
}

/** The whole refusal: reason and the request id the webview gets its answer on. */
function refusal(raw: unknown, validation: ValidationContext = context): { reason: string; requestId?: string } {
  const result = validateWebviewMessage(raw, validation);
  assert.equal(result.ok, false, 'accepted a message that should be refused');
  if (result.ok) throw new Error('unreachable');
  return result.requestId === undefined ? { reason: result.reason } : { reason: result.reason, requestId: result.requestId };
}

function reason(raw: unknown, validation: ValidationContext = context): string {
  return refusal(raw, validation).reason;
}

function accepted(raw: unknown, validation: ValidationContext = context): unknown {
  const result = validateWebviewMessage(raw, validation);
  assert.ok(result.ok, result.ok ? '' : result.reason);
  return result.message;
}

describe('workspace paths: each refusal says why', () => {
  test('the reason for each kind of bad path', () => {
    const cases: [string, string][] = [
      ['', 'is empty'],
      ['a'.repeat(1025), 'is longer than 1024 characters'],
      ['a\u0000b', 'contains control characters'],
      ['a\u001fb', 'contains control characters'],
      ['a\u007fb', 'contains control characters'],
      ['a\nb.png', 'contains control characters'],
      ['a\\b.png', 'contains a backslash'],
      ['/a.png', 'is absolute'],
      ['~/a.png', 'starts with ~'],
      ['c:a.png', 'starts with a drive letter'],
      ['Z:/a.png', 'starts with a drive letter'],
      ['file:a.png', 'is a URL'],
      ['vscode-remote:a.png', 'is a URL'],
      ['a+b.c-d:x', 'is a URL'],
      ['..', "leaves the workspace ('..')"],
      ['images/../a.png', "leaves the workspace ('..')"],
      ['images/..', "leaves the workspace ('..')"],
      ['images//a.png', 'has an empty or "." segment'],
      ['images/', 'has an empty or "." segment'],
      ['./a.png', 'has an empty or "." segment'],
      ['images/./a.png', 'has an empty or "." segment'],
    ];
    for (const [path, why] of cases) assert.equal(workspacePathProblem(path), why, JSON.stringify(path));
  });

  test('ordinary names pass, including ones that only look like the bad ones', () => {
    for (const path of [
      'a'.repeat(1024),
      'images/a.png',
      'a~b.png',
      'images/~a.png',
      '...png',
      'images/..png',
      '.hidden/a.png',
      'a.png.',
      'photo 1 (copy).jpg',
      'x/c:a.png',
      '1:2.png',
      'é/日本.png',
      'a\u0080b.png',
    ]) {
      assert.equal(workspacePathProblem(path), undefined, JSON.stringify(path));
    }
  });

  test('the refusal names the field and quotes the path, cut to 60 characters', () => {
    assert.equal(reason({ type: 'removeReference', path: '/etc/passwd' }), 'removeReference: path "/etc/passwd" is absolute');
    const long = `/${'a'.repeat(59)}`;
    assert.equal(reason({ type: 'removeReference', path: long }), `removeReference: path "${long}" is absolute`);
    assert.equal(reason({ type: 'removeReference', path: `${long}b` }), `removeReference: path "${long}…" is absolute`);
    assert.equal(reason({ type: 'removeReference', path: 3 }), 'removeReference: path must be a string');
    assert.equal(reason(generate({ references: ['a.png', '../b.png'] })), `generate: references[1] "../b.png" leaves the workspace ('..')`);
    assert.equal(reason(generate({ refine: 'a\\b.png' })), 'generate: refine "a\\\\b.png" contains a backslash');
  });
});

describe('limits: the last allowed value passes, the next one is refused', () => {
  test('a prompt of exactly 32 KB of UTF-8 passes, one byte more is refused', () => {
    accepted(generate({ prompt: 'x'.repeat(32 * 1024) }));
    assert.equal(reason(generate({ prompt: 'x'.repeat(32 * 1024 + 1) })), 'generate: prompt is longer than 32 KB');
    // 16,384 two-byte characters are 32 KB; one ASCII character more is over.
    accepted(generate({ prompt: 'é'.repeat(16 * 1024) }));
    assert.equal(reason(generate({ prompt: `${'é'.repeat(16 * 1024)}x` })), 'generate: prompt is longer than 32 KB');
    assert.equal(reason(generate({ prompt: ' \n\t' })), 'generate: prompt is empty');
    assert.equal(reason(generate({ prompt: 'a\u0000b' })), 'generate: prompt contains NUL');
    assert.equal(reason(generate({ prompt: null })), 'generate: prompt must be a string');
  });

  test('references: up to the model’s limit, at most 14 paths, no file twice', () => {
    const paths = (count: number) => Array.from({ length: count }, (_, index) => `images/${index}.png`);
    accepted(generate({ references: paths(14) }));
    assert.equal(reason(generate({ references: paths(15) })), 'generate: references has more than 14 entries');
    accepted(generate({ references: paths(3) }, { model: 'gemini-2.5-flash-image' }));
    assert.equal(
      reason(generate({ references: paths(4) }, { model: 'gemini-2.5-flash-image' })),
      'generate: references: gemini-2.5-flash-image takes at most 3 reference images, got 4',
    );
    assert.equal(reason(generate({ references: ['a.png', 'b.png', 'a.png'] })), 'generate: references names a file twice');
    assert.equal(reason(generate({ references: {} })), 'generate: references must be an array');
  });

  test('added paths: at most 64', () => {
    const paths = (count: number) => Array.from({ length: count }, (_, index) => `images/${index}.png`);
    accepted({ type: 'addReferences', requestId: 'r1', paths: paths(64) });
    assert.deepEqual(refusal({ type: 'addReferences', requestId: 'r1', paths: paths(65) }), {
      reason: 'addReferences: paths has more than 64 entries',
      requestId: 'r1',
    });
  });

  test('ids: 1 to 64 letters, digits, - and _', () => {
    const idReason = "cancel: jobId must be 1 to 64 letters, digits, '-' or '_'";
    accepted({ type: 'cancel', jobId: 'a'.repeat(64) });
    accepted({ type: 'cancel', jobId: 'Az09_-' });
    for (const jobId of ['a'.repeat(65), '', 'a b', 'a.b', 'é', 'a\n', 7]) assert.equal(reason({ type: 'cancel', jobId }), idReason, JSON.stringify(jobId));
  });

  test('moveReference index: 0 to 64, whole numbers only', () => {
    accepted({ type: 'moveReference', path: 'a.png', index: 0 });
    accepted({ type: 'moveReference', path: 'a.png', index: 64 });
    for (const index of [-1, 65, 0.5, '1', Number.NaN, Infinity]) {
      assert.equal(reason({ type: 'moveReference', path: 'a.png', index }), 'moveReference: index must be a whole number from 0 to 64', String(index));
    }
  });

  test('variants: 1 to 8', () => {
    accepted(generate({}, { variants: 8 }));
    for (const variants of [0, 9]) assert.equal(reason(generate({}, { variants })), 'generate: choices.variants must be a whole number from 1 to 8');
  });

  test('dropped URIs: 1 to 64 of them, each up to 4096 characters, of a workspace scheme', () => {
    const uris = (count: number) => Array.from({ length: count }, (_, index) => `file:///w/${index}.png`);
    accepted({ type: 'dropReferences', requestId: 'r1', uris: uris(64) });
    assert.equal(reason({ type: 'dropReferences', requestId: 'r1', uris: uris(65) }), 'dropReferences: uris must hold 1 to 64 entries');
    assert.equal(reason({ type: 'dropReferences', requestId: 'r1', uris: [] }), 'dropReferences: uris must hold 1 to 64 entries');
    assert.equal(reason({ type: 'dropReferences', requestId: 'r1', uris: 'file:///a.png' }), 'dropReferences: uris must be an array');
    const longest = `file:///${'a'.repeat(4096 - 8)}`;
    accepted({ type: 'dropReferences', requestId: 'r1', uris: [longest] });
    assert.equal(reason({ type: 'dropReferences', requestId: 'r1', uris: [`${longest}a`] }), 'dropReferences: uris[0] must be 1 to 4096 characters');
    assert.equal(reason({ type: 'dropReferences', requestId: 'r1', uris: ['file:///a.png', ''] }), 'dropReferences: uris[1] must be 1 to 4096 characters');
    // Schemes in any case, each workspace scheme.
    for (const uri of ['FILE:///w/a.png', 'vscode-vfs://github/a.png', 'vscode-userdata:/u/a.png', 'Vscode-Remote://h/a.png']) {
      accepted({ type: 'dropReferences', requestId: 'r1', uris: [uri] });
    }
    for (const uri of ['untitled:a.png', 'data:image/png;base64,AAAA', 'a.png', '1file:///a.png', ' file:///a.png', 'xfile:///a.png']) {
      assert.equal(reason({ type: 'dropReferences', requestId: 'r1', uris: [uri] }), `dropReferences: uris[0] ${JSON.stringify(uri)} is not a workspace file URI`);
    }
    for (const uri of ['file:///a\u001f.png', 'file:///a\u007f.png', 'file:///a\n.png']) {
      assert.equal(reason({ type: 'dropReferences', requestId: 'r1', uris: [uri] }), 'dropReferences: uris[0] contains control characters');
    }
  });

  test('choice strings: model up to 128 characters, ratio and size up to 8, thinking level up to 16, preset up to 60', () => {
    const gateway = `g${'x'.repeat(127)}`;
    accepted(generate({}, { model: gateway }), { models: modelChoices(gateway) });
    assert.equal(reason(generate({}, { model: `${gateway}x` }), { models: modelChoices(gateway) }), 'generate: choices.model must be 1 to 128 characters');
    assert.equal(reason(generate({}, { model: '' })), 'generate: choices.model must be 1 to 128 characters');
    assert.equal(reason(generate({}, { aspectRatio: '1:1'.padEnd(9, ' ') })), 'generate: choices.aspectRatio must be 1 to 8 characters');
    assert.equal(reason(generate({}, { aspectRatio: '' })), 'generate: choices.aspectRatio must be 1 to 8 characters');
    assert.equal(reason(generate({}, { aspectRatio: '16:9 ' })), 'generate: choices.aspectRatio "16:9 " is not offered for gemini-3-pro-image');
    assert.equal(reason(generate({}, { imageSize: '123456789' })), 'generate: choices.imageSize must be 1 to 8 characters');
    assert.equal(reason(generate({}, { imageSize: '12345678' })), 'generate: choices.imageSize "12345678" is not offered for gemini-3-pro-image');
    assert.equal(reason(generate({}, { thinkingLevel: 'x'.repeat(17) })), 'generate: choices.thinkingLevel must be 1 to 16 characters');
    assert.equal(reason(generate({}, { thinkingLevel: 'x'.repeat(16) })), `generate: choices.thinkingLevel "${'x'.repeat(16)}" is not offered for gemini-3-pro-image`);
    assert.equal(reason(generate({}, { thinkingLevel: '' })), 'generate: choices.thinkingLevel must be 1 to 16 characters');
    const preset = 'p'.repeat(60);
    accepted(generate({}, { preset }), { ...context, presets: [preset] });
    assert.equal(reason(generate({}, { preset: `${preset}p` }), { ...context, presets: [`${preset}p`] }), 'generate: choices.preset must be 1 to 60 characters');
  });
});

describe('the reason names the message type, the field and the value as sent', () => {
  test('values are quoted as JSON, non-text values by their kind, never by running their code', () => {
    assert.equal(reason({ type: 'jobStep', jobId: 'j1', step: 'rm -rf' }), 'jobStep: step "rm -rf" is not one of setToken, retry, showLog, openSettings, chooseModel');
    assert.equal(reason({ type: 'jobStep', jobId: 'j1', step: 42 }), 'jobStep: step "42" is not one of setToken, retry, showLog, openSettings, chooseModel');
    assert.equal(reason({ type: 'jobStep', jobId: 'j1', step: true }), 'jobStep: step "true" is not one of setToken, retry, showLog, openSettings, chooseModel');
    assert.equal(reason({ type: 'jobStep', jobId: 'j1', step: null }), 'jobStep: step "null" is not one of setToken, retry, showLog, openSettings, chooseModel');
    assert.equal(reason({ type: 'jobStep', jobId: 'j1', step: 10n }), 'jobStep: step "10" is not one of setToken, retry, showLog, openSettings, chooseModel');
    assert.equal(reason({ type: 'jobStep', jobId: 'j1', step: ['retry'] }), 'jobStep: step "(an array)" is not one of setToken, retry, showLog, openSettings, chooseModel');
    assert.equal(reason({ type: 'jobStep', jobId: 'j1', step: { toString: () => 'retry' } }), 'jobStep: step "(an object)" is not one of setToken, retry, showLog, openSettings, chooseModel');
    assert.equal(reason({ type: 'jobStep', jobId: 'j1', step: () => 'retry' }), 'jobStep: step "(a function)" is not one of setToken, retry, showLog, openSettings, chooseModel');
    assert.equal(reason({ type: 'jobStep', jobId: 'j1', step: Symbol('retry') }), 'jobStep: step "(a symbol)" is not one of setToken, retry, showLog, openSettings, chooseModel');
    assert.equal(reason({ type: 'imageAction', requestId: 'r1', action: 'delete', path: 'a.png' }), 'imageAction: action "delete" is not one of open, reveal, copyPath');
    assert.equal(reason({ type: 'runCommand', command: 'x' }), 'runCommand: command "x" is not one of setToken, showLog, openFolder, openSettings');
    assert.equal(reason(generate({}, { outputFormat: 'gif' })), 'generate: choices.outputFormat "gif" is not one of auto, png, jpeg');
  });

  test('unknown types and fields are quoted; a value of 60 characters whole, longer ones cut with …', () => {
    assert.equal(reason({ type: 'deleteWorkspace' }), 'unknown message type "deleteWorkspace"');
    assert.equal(reason({}), 'unknown message type "undefined"');
    assert.equal(reason({ type: 3 }), 'unknown message type "3"');
    assert.equal(reason({ type: '__proto__' }), 'unknown message type "__proto__"');
    assert.equal(reason({ type: 'hasOwnProperty' }), 'unknown message type "hasOwnProperty"');
    const sixty = 'x'.repeat(60);
    assert.equal(reason({ type: sixty }), `unknown message type "${sixty}"`);
    assert.equal(reason({ type: `${sixty}y` }), `unknown message type "${sixty}…"`);
    assert.equal(reason({ type: 'ready', token: 'x' }), 'ready: unexpected field "token"');
    assert.equal(reason({ type: 'cancel' }), 'cancel: missing field jobId');
    assert.equal(reason(generate({}, { candidateCount: 2 })), 'generate: unexpected field "candidateCount"');
    const partial: Record<string, unknown> = { ...choices };
    delete partial.variants;
    assert.equal(reason(generate({ choices: partial })), 'generate: missing field variants');
    // A required field present with the value undefined is there: its own check refuses it.
    assert.equal(reason({ type: 'cancel', jobId: undefined }), "cancel: jobId must be 1 to 64 letters, digits, '-' or '_'");
    assert.equal(reason([{ type: 'ready' }]), 'not an object');
  });

  test('models and options outside what the host offered', () => {
    assert.equal(reason(generate({}, { model: 'gemini-9' })), 'generate: choices.model "gemini-9" is not one of the offered models');
    assert.equal(reason(generate({}, { model: 'models/gemini-3-pro-image' })), 'generate: choices.model "models/gemini-3-pro-image" has characters a model id cannot have');
    assert.equal(reason(generate({}, { model: 7 })), 'generate: choices.model must be a string');
    assert.equal(reason(generate({}, { aspectRatio: '8:1' })), 'generate: choices.aspectRatio "8:1" is not offered for gemini-3-pro-image');
    assert.equal(reason(generate({}, { imageSize: '512' })), 'generate: choices.imageSize "512" is not offered for gemini-3-pro-image');
    assert.equal(reason(generate({}, { model: 'gemini-3-pro-image-preview-2k', imageSize: '4K' })), 'generate: choices.imageSize "4K" is not offered for gemini-3-pro-image-preview-2k');
    assert.equal(reason(generate({}, { thinkingLevel: 'high' })), 'generate: choices.thinkingLevel "high" is not offered for gemini-3-pro-image');
    assert.equal(reason(generate({}, { model: 'gemini-3.1-flash-lite-image', grounding: true })), 'generate: choices.grounding is not offered for gemini-3.1-flash-lite-image');
    assert.equal(reason(generate({}, { grounding: 'true' })), 'generate: choices.grounding must be true or false');
    assert.equal(reason(generate({}, { preset: 'Logo' })), 'generate: choices.preset "Logo" is not one of the offered presets');
    assert.equal(reason(generate({}, { background: 'white' })), 'generate: choices.background "white" can only be "transparent"');
    assert.equal(reason({ type: 'choose', choices: [] }), 'choose: choices must be an object');
  });
});

describe('what an accepted message holds', () => {
  test('absent optional choices become auto and false; a null-prototype message is a plain object', () => {
    const bare: Record<string, unknown> = { ...choices };
    delete bare.thinkingLevel;
    delete bare.grounding;
    assert.deepEqual(accepted({ type: 'choose', choices: bare }), { type: 'choose', choices: { ...choices, thinkingLevel: 'auto', grounding: false } });
    assert.deepEqual(accepted(Object.assign(Object.create(null) as object, { type: 'ready' })), { type: 'ready' });
    assert.deepEqual(accepted(generate({}, Object.assign(Object.create(null) as object, { grounding: true }))), generate({}, { grounding: true }));
  });

  test('only the options the model takes: ratios, sizes, thinking levels, grounding', () => {
    accepted(generate({}, { model: 'gemini-3.1-flash-image', aspectRatio: '1:8', imageSize: '512', thinkingLevel: 'minimal', grounding: true }));
    accepted(generate({}, { model: 'gemini-3-pro-image-preview-2k', imageSize: '2K' }));
    accepted(generate({}, { model: 'gemini-3-pro-image', imageSize: '4K', aspectRatio: '21:9' }));
  });
});

describe('a refused request still gets its answer', () => {
  test('the reply goes to the message’s own valid requestId, and only to a valid one', () => {
    assert.deepEqual(refusal(generate({ prompt: '' })), { reason: 'generate: prompt is empty', requestId: 'r1' });
    assert.deepEqual(refusal({ type: 'nope', requestId: 'abc_-9' }), { reason: 'unknown message type "nope"', requestId: 'abc_-9' });
    assert.deepEqual(refusal({ type: 'nope', requestId: 'a'.repeat(64) }), { reason: 'unknown message type "nope"', requestId: 'a'.repeat(64) });
    assert.deepEqual(refusal({ type: 'nope', requestId: 'a'.repeat(65) }), { reason: 'unknown message type "nope"' });
    assert.deepEqual(refusal({ type: 'nope', requestId: 'a b' }), { reason: 'unknown message type "nope"' });
    assert.deepEqual(refusal({ type: 'nope', requestId: 7 }), { reason: 'unknown message type "nope"' });
    assert.deepEqual(refusal(Object.assign(['x'], { requestId: 'r1' })), { reason: 'not an object' });
  });
});

describe('each message type names its own bad field', () => {
  test('ids and paths', () => {
    const id = "must be 1 to 64 letters, digits, '-' or '_'";
    const cases: [Record<string, unknown>, string][] = [
      [{ type: 'cancel', jobId: 'a b' }, `cancel: jobId ${id}`],
      [{ type: 'jobStep', jobId: 'a b', step: 'retry' }, `jobStep: jobId ${id}`],
      [{ type: 'dismissJob', jobId: 'a b' }, `dismissJob: jobId ${id}`],
      [{ type: 'cancelBatch', batchId: 'a b' }, `cancelBatch: batchId ${id}`],
      [{ type: 'dismissBatch', batchId: 'a b' }, `dismissBatch: batchId ${id}`],
      [{ type: 'openBatchResults', requestId: 'a b', batchId: 'b1' }, `openBatchResults: requestId ${id}`],
      [{ type: 'openBatchResults', requestId: 'r1', batchId: 'a b' }, `openBatchResults: batchId ${id}`],
      [{ type: 'pickReferences', requestId: 'a b' }, `pickReferences: requestId ${id}`],
      [{ type: 'addReferences', requestId: 'a b', paths: [] }, `addReferences: requestId ${id}`],
      [{ type: 'dropReferences', requestId: 'a b', uris: ['file:///a.png'] }, `dropReferences: requestId ${id}`],
      [{ type: 'moveReference', path: '/a.png', index: 0 }, 'moveReference: path "/a.png" is absolute'],
      [{ type: 'imageAction', requestId: 'a b', action: 'open', path: 'a.png' }, `imageAction: requestId ${id}`],
      [{ type: 'imageAction', requestId: 'r1', action: 'open', path: '/a.png' }, 'imageAction: path "/a.png" is absolute'],
      [{ type: 'rescanHistory', requestId: 'a b' }, `rescanHistory: requestId ${id}`],
      [generate({ requestId: 'a b' }), `generate: requestId ${id}`],
    ];
    for (const [raw, why] of cases) assert.equal(reason(raw), why);
  });
});

describe('a message that breaks while being read', () => {
  test('is refused as unreadable, under its type when the type was read, and the exact shape of the refusal', () => {
    const throwingModel = Object.defineProperty({ ...choices }, 'model', {
      enumerable: true,
      get: () => {
        throw new Error('getter ran');
      },
    });
    assert.deepEqual(validateWebviewMessage(generate({ requestId: 'r3', choices: throwingModel }), context), {
      ok: false,
      reason: 'generate: the message could not be read',
      requestId: 'r3',
    });
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    assert.deepEqual(validateWebviewMessage(revoked.proxy, context), { ok: false, reason: 'the message could not be read' });
    // No requestId key at all when there is none to answer.
    assert.deepEqual(validateWebviewMessage({ type: 'cancel' }, context), { ok: false, reason: 'cancel: missing field jobId' });
    assert.deepEqual(validateWebviewMessage(null, context), { ok: false, reason: 'not an object' });
  });
});
