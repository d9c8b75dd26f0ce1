// Answer reading on its own: every refusal's wording and kind, what counts as a candidate's text, usage, base64 and excerpts (mutation survivors).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ImageError } from '../../src/core/errors';
import { decodeBase64, EXCERPT_SCAN_CHARS, excerpt, parseAnswer, parseAnswerJson, resultFromAnswer } from '../../src/core/response';
import { HOST, png64, result, sent, thrown } from './fixtures/answers';
import { TINY_PNG } from './fixtures/images';

/** The error for a candidate that stopped for `reason`, with optional text parts and finishMessage. */
function refusal(reason: string, texts: string[] = [], finishMessage?: string): ImageError {
  return thrown(() => result({ candidates: [{ content: { parts: texts.map((text) => ({ text })) }, finishReason: reason, ...(finishMessage === undefined ? {} : { finishMessage }) }] }));
}

describe('refusals', () => {
  const cases: [string[], RegExp][] = [
    [['IMAGE_SAFETY', 'SAFETY'], /^The model at gw\.example refused to make this image for safety reasons \((\w+): blurred\)\. It said: "no"\. Rephrase the prompt or change the reference images\.$/],
    [['IMAGE_PROHIBITED_CONTENT', 'PROHIBITED_CONTENT', 'BLOCKLIST', 'SPII'], /^The model at gw\.example refused the request as prohibited content \((\w+): blurred\)\. It said: "no"\. Change the prompt or the reference images\.$/],
    [['IMAGE_RECITATION', 'RECITATION'], /^The model at gw\.example refused because the image would copy existing material \((\w+): blurred\)\. It said: "no"\. Make the prompt more original\.$/],
    [['NO_IMAGE'], /^The model at gw\.example made no image \((\w+): blurred\)\. It said: "no"\. Ask for an image explicitly \(for example "Generate an image of…"\)\.$/],
    [['MAX_TOKENS'], /^The answer from gw\.example was cut off before an image \((\w+): blurred\)\. It said: "no"\. Try again or ask for less text\.$/],
    [['IMAGE_OTHER', 'OTHER'], /^The model at gw\.example stopped without an image \((\w+): blurred\)\. It said: "no"\. Try again or rephrase the prompt\.$/],
    [['LANGUAGE', 'SOMETHING_NEW'], /^The model at gw\.example stopped without an image \(finishReason (\w+): blurred\)\. It said: "no"\. Try again or rephrase the prompt\.$/],
  ];
  for (const [reasons, pattern] of cases) {
    test(`${reasons.join(', ')}: imageRefused with its own advice, the reason, the finish message and the text`, () => {
      for (const reason of reasons) {
        const error = refusal(reason, ['no'], 'blurred');
        assert.equal(error.kind, 'imageRefused', reason);
        assert.equal(error.code, reason);
        assert.equal(error.host, HOST);
        assert.deepEqual(error.texts, ['no']);
        const match = pattern.exec(error.message);
        assert.ok(match, `${reason}: ${error.message}`);
        assert.equal(match[1], reason);
      }
    });
  }

  test('without a finish message or text, the tag is just the reason and nothing is quoted', () => {
    assert.equal(refusal('SAFETY').message, 'The model at gw.example refused to make this image for safety reasons (SAFETY). Rephrase the prompt or change the reference images.');
    assert.equal(refusal('SAFETY', [], '').message, refusal('SAFETY').message, 'an empty finish message is no message');
    assert.equal(refusal('LANGUAGE').message, 'The model at gw.example stopped without an image (finishReason LANGUAGE). Try again or rephrase the prompt.');
  });

  test('NO_IMAGE with nothing said is most likely a safety block; with words or a message it is not', () => {
    assert.equal(
      refusal('NO_IMAGE').message,
      'The model at gw.example made no image and said nothing (NO_IMAGE): the request was likely blocked by safety filters. Rephrase the prompt or change the reference images.',
    );
    assert.match(refusal('NO_IMAGE', ['Here is a poem']).message, /^The model at gw\.example made no image \(NO_IMAGE\)\. It said: "Here is a poem"\./);
    assert.match(refusal('NO_IMAGE', [], 'no image made').message, /^The model at gw\.example made no image \(NO_IMAGE: no image made\)\. Ask/);
  });

  test('MISSING_THOUGHT_SIGNATURE means the earlier turns were refused', () => {
    const error = refusal('MISSING_THOUGHT_SIGNATURE', ['x'], 'lost');
    assert.equal(error.kind, 'historyRejected');
    assert.equal(
      error.message,
      'The model at gw.example refused the earlier turns sent to refine this image (MISSING_THOUGHT_SIGNATURE: lost): a part lost its thought signature. Start a new image instead of refining this one.',
    );
  });

  test('the quoted text is joined and cut at 200 characters', () => {
    const error = refusal('SAFETY', ['a'.repeat(150), 'b'.repeat(150)]);
    assert.ok(error.message.includes(`It said: "${'a'.repeat(150)} ${'b'.repeat(48)}…".`), error.message);
  });

  test('the first reason that is not STOP or FINISH_REASON_UNSPECIFIED decides, with the first finish message', () => {
    const error = thrown(() =>
      result({
        candidates: [
          { finishReason: 'STOP' },
          { finishReason: 'FINISH_REASON_UNSPECIFIED', finishMessage: 'first' },
          { finishReason: 'RECITATION', finishMessage: 'second' },
          { finishReason: 'SAFETY' },
        ],
      }),
    );
    assert.equal(error.code, 'RECITATION');
    assert.match(error.message, /\(RECITATION: first\)/);
  });

  test('a blocked prompt wins over everything else, with and without its message', () => {
    const blocked = thrown(() => result({ promptFeedback: { blockReason: 'OTHER', blockReasonMessage: 'nope' }, candidates: [{ finishReason: 'SAFETY', content: { parts: [{ text: 'words' }] } }] }));
    assert.equal(blocked.kind, 'blocked');
    assert.equal(blocked.code, 'OTHER');
    assert.deepEqual(blocked.texts, ['words']);
    assert.equal(blocked.message, 'gw.example blocked the prompt (OTHER: nope). Rephrase the prompt or change the reference images.');
    assert.equal(thrown(() => result({ promptFeedback: { blockReason: 'SAFETY' } })).message, 'gw.example blocked the prompt (SAFETY). Rephrase the prompt or change the reference images.');
    const notText = parseAnswer({ promptFeedback: { blockReason: 7, blockReasonMessage: 8 } }, HOST);
    assert.equal(notText.blockReason, undefined);
    assert.equal(notText.blockReasonMessage, undefined);
  });
});

describe('answers without an image', () => {
  test('text only: noImage quoting the text, cut at 300 characters', () => {
    const error = thrown(() => result({ candidates: [{ content: { parts: [{ text: ` ${'w'.repeat(400)} ` }] }, finishReason: 'STOP' }] }));
    assert.equal(error.kind, 'noImage');
    assert.equal(error.message, `The model at gw.example answered with text only: "${'w'.repeat(299)}…". Ask for an image explicitly (for example "Generate an image of…") or try again.`);
    assert.deepEqual(error.texts, ['w'.repeat(400)], 'the text is trimmed');
  });

  test('several text parts are quoted joined by a space', () => {
    const error = thrown(() => result({ candidates: [{ content: { parts: [{ text: 'first' }, { text: 'second' }] } }] }));
    assert.match(error.message, /answered with text only: "first second"\./);
  });

  test('no candidates, or candidates with nothing in them, say which', () => {
    assert.equal(thrown(() => result({ candidates: [] })).message, 'The model at gw.example returned no candidates. Try again, or rephrase the prompt.');
    assert.equal(thrown(() => result({ promptFeedback: {} })).message, 'The model at gw.example returned no candidates. Try again, or rephrase the prompt.');
    const empty = thrown(() => result({ candidates: [{ content: { parts: [{ text: '  ' }, 'text', null] } }, 7, null] }));
    assert.equal(empty.kind, 'noImage');
    assert.equal(empty.message, 'The model at gw.example returned neither an image nor text. Try again, or rephrase the prompt.');
  });

  test('unreadable image data is malformedAnswer listing every problem with the declared type', () => {
    const error = thrown(() =>
      result({
        candidates: [
          {
            content: {
              parts: [
                { inlineData: { mimeType: 'image/png', data: '' } },
                { inline_data: { mime_type: 'image/jpeg', data: 'iVBOR$$$' } },
                { inlineData: { data: Buffer.from('just words here').toString('base64') } },
                { inlineData: { mimeType: 'image/bmp', data: Buffer.concat([Buffer.from('BM'), Buffer.alloc(40)]).toString('base64') } },
                { inlineData: { mimeType: 7, mime_type: 'image/gif', data: 12 } },
              ],
            },
          },
        ],
      }),
    );
    assert.equal(error.kind, 'malformedAnswer');
    assert.equal(
      error.message,
      'gw.example sent image data that could not be read (an image part (image/png) had no data; an image part (image/jpeg) was not valid base64; ' +
        'an image part (no mime type) is not a PNG, JPEG, WebP or GIF image; an image part (image/bmp) is a BMP file; an image part (image/gif) had no data). Try again.',
    );
  });

  test('a data URL in text that is not an image is reported as one; the words around it are kept', () => {
    const text = `see data:image/png;base64,${Buffer.from('not an image').toString('base64')} here`;
    const error = thrown(() => result({ candidates: [{ content: { parts: [{ text }] } }] }));
    assert.match(error.message, /an image part \(data URL in text\) is not a PNG, JPEG, WebP or GIF image/);
    assert.deepEqual(error.texts, ['see  here']);
  });
});

describe('what an answer holds', () => {
  test('finish reasons and non-empty finish messages per candidate; drafts counted; the first content is the model turn', () => {
    const parsed = parseAnswer(
      {
        candidates: [
          { finishReason: 'STOP', finishMessage: '', content: { parts: [{ text: 'draft', thought: true }, { text: 'one' }, 5] } },
          { finishReason: 7, finishMessage: 'said', content: { parts: [{ inlineData: { data: png64 }, thought: true }, { text: 'two' }] } },
          { content: { parts: 'not a list' } },
          { content: 'not an object' },
        ],
        usageMetadata: { promptTokenCount: '3', totalTokenCount: 9 },
      },
      HOST,
    );
    assert.deepEqual(parsed.finishReasons, ['STOP']);
    assert.deepEqual(parsed.finishMessages, ['said']);
    assert.deepEqual(parsed.texts, ['one', 'two']);
    assert.equal(parsed.draftsSkipped, 2);
    assert.equal(parsed.candidateCount, 4);
    assert.deepEqual(parsed.modelTurn, { role: 'model', parts: [{ text: 'draft', thought: true }, { text: 'one' }] });
    assert.deepEqual(parsed.usage, { totalTokenCount: 9 });
    assert.deepEqual(parsed.images, []);
  });

  test('no usage object, no usage; a result keeps its texts, reasons, messages, warnings and the turns sent', () => {
    assert.equal(parseAnswer({ candidates: [], usageMetadata: 5 }, HOST).usage, undefined);
    const ok = result({
      candidates: [
        { finishReason: 'STOP', finishMessage: 'fine', content: { parts: [{ text: 'here' }, { inlineData: { data: png64 } }, { inlineData: { data: 'QUJD' } }] } },
      ],
    });
    assert.deepEqual(ok.texts, ['here']);
    assert.deepEqual(ok.finishReasons, ['STOP']);
    assert.deepEqual(ok.finishMessages, ['fine']);
    assert.equal(ok.usage, undefined);
    assert.deepEqual(ok.warnings, ['an image part (no mime type) is not a PNG, JPEG, WebP or GIF image']);
    assert.equal(ok.conversation.length, 2);
    assert.deepEqual(ok.conversation[0], sent[0]);
    const noTurn = resultFromAnswer({ ...parseAnswer({ candidates: [] }, HOST), images: [{ bytes: TINY_PNG, format: 'png', mimeType: 'image/png' }] }, sent, HOST);
    assert.deepEqual(noTurn.conversation, sent);
    assert.notEqual(noTurn.conversation, sent, 'a copy, not the caller\'s array');
  });

  test('not a generateContent answer: said so, naming the host', () => {
    for (const json of [null, 'text', [1], {}, { candidates: {} }, { promptFeedback: [] }]) {
      const error = thrown(() => parseAnswer(json, HOST));
      assert.equal(error.kind, 'malformedAnswer');
      assert.equal(error.message, 'gw.example answered without candidates or promptFeedback, so it is not a generateContent answer. Check geminiImage.baseUrl.');
    }
  });

  test('streamed image outcomes: an image is taken, over-limit is silent, others described', () => {
    const reader = (data: unknown) =>
      data === 'A' ? { image: 'file A' } : data === 'B' ? { problem: 'overLimit' as const } : data === 'C' ? { problem: 'notImage' as const, type: 'svg' } : undefined;
    const parsed = parseAnswer({ candidates: [{ content: { parts: [{ inlineData: { data: 'A' } }, { inlineData: { data: 'B' } }, { inlineData: { mimeType: 'image/png', data: 'C' } }, { inlineData: { data: png64 } }] } }] }, HOST, reader);
    assert.equal(parsed.images.length, 2);
    assert.equal(parsed.images[0], 'file A');
    assert.deepEqual(parsed.problems, ['an image part (image/png) is a SVG file']);
  });

  test('parseAnswerJson: JSON is parsed; anything else names the host and status, keeping the cause', () => {
    assert.deepEqual(parseAnswerJson('{"a":1}', HOST, 200), { a: 1 });
    const error = thrown(() => parseAnswerJson('  \n ', HOST, 502));
    assert.equal(error.message, 'gw.example sent an empty answer (HTTP 502). Check that geminiImage.baseUrl points at a Gemini-compatible API, or try again.');
    assert.equal(error.status, 502);
    assert.ok(error.cause instanceof SyntaxError);
  });
});

describe('decodeBase64', () => {
  test('strict: standard or URL-safe, padding optional but right, whitespace ignored', () => {
    const bytes = Buffer.from('any carnal pleas');
    for (let length = 1; length <= bytes.length; length++) {
      const part = bytes.subarray(0, length);
      for (const text of [part.toString('base64'), part.toString('base64url'), part.toString('base64').replace(/=+$/, '')]) {
        assert.deepEqual(Buffer.from(decodeBase64(text) ?? []), part, text);
        assert.deepEqual(Buffer.from(decodeBase64(` ${text.slice(0, 2)}\n${text.slice(2)}\t`) ?? []), part, text);
      }
    }
    for (const bad of ['', '   ', 'Q', 'QUJDR', 'QQ===', 'Q===', 'QQ=A', '=QQ', 'QU$D', 'QUJD=', 'QUJ==', 'QQ=']) {
      assert.equal(decodeBase64(bad), undefined, bad);
    }
  });
});

describe('excerpt', () => {
  test('plain text: runs of whitespace collapsed, trimmed, cut to the limit with an ellipsis', () => {
    assert.equal(excerpt('  upstream\n\n connect   error \t'), 'upstream connect error');
    assert.equal(excerpt('a'.repeat(160)), 'a'.repeat(160));
    assert.equal(excerpt('a'.repeat(161)), `${'a'.repeat(159)}…`);
    assert.equal(excerpt('abcdef', 4), 'abc…');
    assert.equal(excerpt('a &amp; b &lt;c&gt;&nbsp;d'), 'a & b <c> d', 'entities are decoded in plain text too');
  });

  test('a surrogate pair is never cut in half, at the limit or at the scan end', () => {
    const emoji = '😀';
    assert.equal(excerpt(`${'a'.repeat(158)}${emoji}tail`), `${'a'.repeat(158)}…`);
    assert.equal(excerpt(`${'a'.repeat(157)}${emoji}tail`), `${'a'.repeat(157)}${emoji}…`);
    const long = `${'b'.repeat(EXCERPT_SCAN_CHARS - 1)}${emoji}`;
    assert.equal(excerpt(long, 100_000), 'b'.repeat(EXCERPT_SCAN_CHARS - 1));
    assert.equal(excerpt(`${'b'.repeat(EXCERPT_SCAN_CHARS)}c`, 100_000), 'b'.repeat(EXCERPT_SCAN_CHARS));
  });

  test('an HTML page gives its title; without one, its text without tags, scripts or styles', () => {
    assert.equal(excerpt('<!DOCTYPE html><HTML><Head><TITLE>502 Bad   Gateway</TITLE></head><body>x</body></html>'), '502 Bad Gateway');
    assert.equal(excerpt('\n <html><head><title>T &amp; C</title>'), 'T & C');
    assert.equal(
      excerpt('<html><head><style>body{}</style><SCRIPT>var a = "<b>";</SCRIPT></head><body><h1>Bad</h1><p>gateway &gt; here</p><script>x()</script>end</body></html>'),
      'Bad gateway > here end',
    );
    assert.equal(excerpt('<html><body><p>Unclosed <script>never closed'), 'Unclosed never closed');
    assert.equal(excerpt('<html><title>no end'), 'no end', 'an unclosed title falls back to the text');
    assert.equal(excerpt('<html><title'), '', 'a tag cut at the end is dropped');
    assert.equal(excerpt('<center>nginx</center>'), 'nginx');
    assert.equal(excerpt('<p>para</p>'), 'para');
    assert.equal(excerpt('<h1>Head</h1>'), 'Head');
    assert.equal(excerpt('<body>B</body>'), 'B');
  });

  test('a page starting with its title or a script; a closing title tag without an opening one is text', () => {
    assert.equal(excerpt('<title>T</title><p>body</p>'), 'T');
    assert.equal(excerpt('<script>var x = 1;</script><p>Hello</p>'), 'Hello');
    assert.equal(excerpt('<html><body>Oops</title>rest</body></html>'), 'Oops rest');
  });

  test('the cut never splits the first or last high surrogate', () => {
    for (const pair of ['\ud800\udc00', '\udbff\udfff']) {
      assert.equal(excerpt(`${'a'.repeat(158)}${pair}tail`), `${'a'.repeat(158)}…`, escape(pair));
    }
  });

  test('text that merely contains tags, or starts with something else, is kept as it is', () => {
    assert.equal(excerpt('error: <html> expected'), 'error: <html> expected');
    assert.equal(excerpt('<xml><item>x</item></xml>'), '<xml><item>x</item></xml>');
    assert.equal(excerpt('<htmlx>a</htmlx>'), '<htmlx>a</htmlx>');
  });

  test('several script and style blocks in any order are all removed', () => {
    const page = '<html><body>a<style>s1</style>b<script>j1</script>c<style>s2</style>d<script>j2</script>e<SCRIPT>j3</SCRIPT>f</body></html>';
    assert.equal(excerpt(page), 'a b c d e f');
  });
});
