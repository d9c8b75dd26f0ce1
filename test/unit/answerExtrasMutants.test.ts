// Grounding, token details, loopback hosts and disk errors on their own: limits, duplicates, unsafe links and odd shapes (mutation survivors).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeGrounding, mergeGrounding, readGrounding, readTokenDetails } from '../../src/core/answerExtras';
import { asDiskError, isFileSystemError } from '../../src/core/diskError';
import { ImageError } from '../../src/core/errors';
import type { Grounding } from '../../src/core/imageJob';
import { isLoopbackHost } from '../../src/core/loopback';

const grounded = (...metadata: unknown[]): unknown => ({ candidates: metadata.map((groundingMetadata) => ({ groundingMetadata })) });

describe('token details', () => {
  test('only entries with a text modality and a finite count, modality in capitals; none gives undefined', () => {
    const details = [{ modality: 'image', tokenCount: 1290 }, { modality: 'Text', tokenCount: 0 }, { modality: 'AUDIO', tokenCount: Number.NaN }, { modality: 7, tokenCount: 1 }, { tokenCount: 2 }, 'x', null, { modality: 'TEXT', tokenCount: '3' }];
    assert.deepEqual(readTokenDetails({ usageMetadata: { candidatesTokensDetails: details } }), [
      { modality: 'IMAGE', tokenCount: 1290 },
      { modality: 'TEXT', tokenCount: 0 },
    ]);
    assert.equal(readTokenDetails({ usageMetadata: { candidatesTokensDetails: [{ modality: 'IMAGE', tokenCount: Number.POSITIVE_INFINITY }] } }), undefined);
    assert.equal(readTokenDetails({ usageMetadata: { candidatesTokensDetails: [] } }), undefined);
    assert.equal(readTokenDetails({ usageMetadata: { candidatesTokensDetails: { modality: 'IMAGE', tokenCount: 1 } } }), undefined);
    assert.equal(readTokenDetails({ usageMetadata: 'x' }), undefined);
    assert.equal(readTokenDetails(null), undefined);
  });
});

describe('grounding', () => {
  test('queries of both kinds, trimmed and without repeats; web and image sources; the first rendered chip', () => {
    const grounding = readGrounding(
      grounded(
        {
          webSearchQueries: [' red fox ', 'red fox', '', '  ', 7],
          imageSearchQueries: ['fox photo'],
          groundingChunks: [
            { web: { uri: 'https://a.example/page', title: '  Page A  ' } },
            { image: { uri: 'https://img.example/fox.jpg', title: '' } },
            { web: { uri: 'https://a.example/page', title: 'Repeat' } },
            { other: { uri: 'https://x.example' } },
            'chunk',
          ],
          searchEntryPoint: { renderedContent: '   ' },
        },
        'not metadata',
        { webSearchQueries: ['red fox', 'arctic'], searchEntryPoint: { renderedContent: '<div>chip</div>' } },
        { searchEntryPoint: { renderedContent: '<div>second</div>' } },
      ),
    );
    assert.deepEqual(grounding, {
      queries: ['red fox', 'fox photo', 'arctic'],
      sources: [
        { title: 'Page A', uri: 'https://a.example/page' },
        { title: 'img.example', uri: 'https://img.example/fox.jpg' },
      ],
      renderedContent: '<div>chip</div>',
    });
  });

  test('only http(s) links are kept, normalised; a missing or odd uri is skipped', () => {
    const grounding = readGrounding(
      grounded({
        groundingChunks: [
          { web: { uri: 'javascript:alert(1)', title: 'evil' } },
          { web: { uri: 'command:workbench.action.quit', title: 'evil' } },
          { web: { uri: 'not a url', title: 'broken' } },
          { web: { uri: 42, title: 'number' } },
          { web: { title: 'no uri' } },
          { web: { uri: 'HTTP://Plain.Example', title: 7 } },
        ],
      }),
    );
    assert.deepEqual(grounding, { queries: [], sources: [{ title: 'plain.example', uri: 'http://plain.example/' }] });
  });

  test('at most 10 queries and 20 sources; titles cut at 200 characters', () => {
    const grounding = readGrounding(
      grounded({
        webSearchQueries: Array.from({ length: 15 }, (_, i) => `q${i}`),
        groundingChunks: Array.from({ length: 25 }, (_, i) => ({ web: { uri: `https://s${i}.example/`, title: 't'.repeat(250) } })),
      }),
    );
    assert.ok(grounding);
    assert.deepEqual(grounding.queries, Array.from({ length: 10 }, (_, i) => `q${i}`));
    assert.equal(grounding.sources.length, 20);
    assert.equal(grounding.sources[19].uri, 'https://s19.example/');
    assert.equal(grounding.sources[0].title, 't'.repeat(200));
  });

  test('nothing grounded, or only empty parts, is undefined; a chip alone is grounding', () => {
    assert.equal(readGrounding(grounded({ webSearchQueries: [], groundingChunks: [], searchEntryPoint: {} })), undefined);
    assert.equal(readGrounding({ candidates: 'x' }), undefined);
    assert.equal(readGrounding(undefined), undefined);
    assert.deepEqual(readGrounding(grounded({ searchEntryPoint: { renderedContent: '<b>x</b>' } })), { queries: [], sources: [], renderedContent: '<b>x</b>' });
    assert.deepEqual(readGrounding(grounded({ webSearchQueries: ['only'] })), { queries: ['only'], sources: [] });
  });

  test('merging variants: no repeated query or source, the limits kept, the first chip', () => {
    const one: Grounding = { queries: ['a', 'b'], sources: [{ title: 'A', uri: 'https://a.example/' }] };
    const two: Grounding = { queries: ['b', 'c'], sources: [{ title: 'A again', uri: 'https://a.example/' }, { title: 'B', uri: 'https://b.example/' }], renderedContent: 'chip two' };
    const three: Grounding = { queries: [], sources: [], renderedContent: 'chip three' };
    assert.deepEqual(mergeGrounding([undefined, one, undefined, two, three]), {
      queries: ['a', 'b', 'c'],
      sources: [{ title: 'A', uri: 'https://a.example/' }, { title: 'B', uri: 'https://b.example/' }],
      renderedContent: 'chip two',
    });
    assert.deepEqual(mergeGrounding([one]), one);
    assert.equal(mergeGrounding([undefined, undefined]), undefined);
    assert.equal(mergeGrounding([]), undefined);
    const many = Array.from({ length: 30 }, (_, i): Grounding => ({ queries: [`q${i}`], sources: [{ title: `t${i}`, uri: `https://s${i}.example/` }] }));
    const merged = mergeGrounding(many);
    assert.equal(merged?.queries.length, 10);
    assert.equal(merged?.sources.length, 20);
    assert.equal('renderedContent' in (merged ?? {}), false);
  });

  test('the one-line description takes out anything that could become a link', () => {
    const line = describeGrounding({
      queries: ['[click](command:x)', 'plain  words'],
      sources: [{ title: 'A <b>`bold`</b>\n title', uri: 'https://a.example/x' }, { title: 'B', uri: 'http://b.example:8080/' }],
    });
    assert.equal(line, 'Sources: A b bold /b title (a.example), B (b.example). Google Search: "click command:x", "plain words"');
    assert.equal(describeGrounding({ queries: ['q'], sources: [] }), 'Google Search: "q"');
    assert.equal(describeGrounding({ queries: [], sources: [{ title: 'S', uri: 'https://s.example/' }] }), 'Sources: S (s.example)');
    assert.equal(describeGrounding({ queries: [], sources: [] }), '');
  });
});

describe('loopback hosts', () => {
  test('this machine, however it is written', () => {
    for (const host of ['localhost', 'LOCALHOST', ' localhost ', 'localhost.', 'app.localhost', 'a.b.LocalHost.', '::1', '[::1]', '0:0:0:0:0:0:0:1', '[0:0:0:0:0:0:0:1]', '127.0.0.1', '127.255.255.255', '127.1.2.3.']) {
      assert.equal(isLoopbackHost(host), true, host);
    }
  });

  test('names that only look like it, and other addresses, are not', () => {
    for (const host of ['localhost.example', 'mylocalhost', 'localhostx', '127.attacker.example', '127.0.0.1.example', '127.0.0.256', '127.0.0', '127.0.0.1.1', '1127.0.0.1', '128.0.0.1', '10.0.0.1', '0.0.0.0', '::2', '[::1', '::1]', '', 'x127.0.0.1', '127.0.0.1x', '127.0.0.1234']) {
      assert.equal(isLoopbackHost(host), false, host);
    }
  });
});

describe('disk errors', () => {
  const fsError = (code: string, extra: Record<string, unknown> = { syscall: 'open' }): Error => Object.assign(new Error(`${code}: failed`), { code, ...extra });

  test('a file-system error (code we know, with a syscall or a path) becomes a disk error naming the folder and the code', () => {
    const cause = fsError('ENOSPC', { syscall: 'write' });
    const error = asDiskError(cause, '/work/out', 'gw.example');
    assert.ok(error instanceof ImageError);
    assert.equal(error.kind, 'disk');
    assert.equal(error.code, 'ENOSPC');
    assert.equal(error.host, 'gw.example');
    assert.equal(error.cause, cause);
    assert.equal(error.message, 'The image was generated (and billed) but could not be saved in /work/out: the disk is full: free some space, or choose another geminiImage.outputFolder (ENOSPC).');
    const withPath = asDiskError(fsError('EACCES', { path: '/work/out/a.png' }), 'out');
    assert.ok(withPath instanceof ImageError);
    assert.equal(withPath.host, '', 'no host when none was given');
    assert.match(withPath.message, /in out: permission denied/);
  });

  test('anything else is returned as it is', () => {
    const noSyscall = fsError('ENOSPC', {});
    const unknownCode = fsError('EWEIRD');
    const numeric = Object.assign(new Error('x'), { code: 28, syscall: 'write' });
    const image = new ImageError('network', 'x', { host: 'h' });
    const plain = { code: 'ENOSPC', syscall: 'write' };
    for (const error of [noSyscall, unknownCode, numeric, image, plain, undefined, 'ENOSPC']) {
      assert.equal(isFileSystemError(error), false, String((error as { code?: unknown })?.code ?? error));
      assert.equal(asDiskError(error, '/out'), error);
    }
    assert.equal(isFileSystemError(Object.assign(fsError('EIMAGE'), { name: 'ImageError', kind: 'disk' })), false);
  });
});
