// The streaming JSON reader on its own: every structural rule, the path to image data, escapes and limits (mutation survivors).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ImageError } from '../../src/core/errors';
import type { ApiContent } from '../../src/core/imageJob';
import { AnswerStream, StreamedImageData, streamedImages, withImageData } from '../../src/core/streamAnswer';
import { encodePng } from '../server/imageFactory';

const PNG = encodePng('mutants', 9, 7);
const B64 = PNG.toString('base64');

/** Reads the body in the given pieces and returns the answer's JSON and the stream. */
function read(...pieces: (string | Buffer)[]): { json: unknown; stream: AnswerStream } {
  const stream = new AnswerStream('gw.example', 200);
  for (const piece of pieces) stream.push(typeof piece === 'string' ? Buffer.from(piece) : piece);
  return { json: stream.end(), stream };
}

function refused(body: string): ImageError {
  try {
    read(body);
  } catch (error) {
    assert.ok(error instanceof ImageError, String(error));
    assert.equal(error.kind, 'malformedAnswer');
    return error;
  }
  assert.fail(`accepted ${JSON.stringify(body.slice(0, 80))}`);
}

const notJson = /gw\.example sent an answer that is not JSON \(".*"\) \(HTTP 200\)/;

describe('structure', () => {
  test('every JSON whitespace character is allowed between tokens', () => {
    const { json } = read('\t{\r\n "a" :\t[ 1 ,\r2 ]\n,\t"b":\r{ } , "c" : [ ] }\r\n');
    assert.deepEqual(json, { a: [1, 2], b: {}, c: [] });
  });

  test('literals: numbers, true, false, null, alone or ending at every delimiter', () => {
    assert.deepEqual(read('[-1.5e2,0,true,false,null]').json, [-150, 0, true, false, null]);
    assert.deepEqual(read('{"a":7}').json, { a: 7 });
    assert.deepEqual(read('[7 ]').json, [7]);
    assert.equal(read('12').json, 12);
    assert.equal(read('tr', 'ue').json, true);
    assert.equal(read('null\n').json, null);
  });

  test('a literal of 64 characters is read; 65 are refused', () => {
    const sixtyFour = `1${'0'.repeat(63)}`;
    assert.equal(read(`[${sixtyFour}]`).json instanceof Array, true);
    assert.equal((read(`[${sixtyFour}]`).json as number[])[0], 1e63);
    assert.match(refused(`[${sixtyFour}0]`).message, notJson);
    assert.match(refused(`[${'1'.repeat(30)}`).message, /stopped before it was complete/);
  });

  test('a literal that is not JSON is refused', () => {
    for (const body of ['[tru]', '[nul,1]', '[-]', '[1.2.3]', 'falsey']) assert.match(refused(body).message, notJson, body);
  });

  test('misplaced brackets, commas and colons are refused', () => {
    for (const body of ['[1}', '{"a":1]', '{"a" 1}', '{"a":1,2}', '{1:2}', '[1,]x', '[1 2]', '{"a":1}}', '{"a":1} x', ']', '}', ':', ',', '{,', '[,1]', '{"a",1}', 'x', '[x]']) {
      assert.match(refused(body).message, notJson, body);
    }
  });

  test('empty containers close at once; a comma in an array expects a value, in an object a key', () => {
    assert.deepEqual(read('[[],{},[[]],{"a":{}}]').json, [[], {}, [[]], { a: {} }]);
    assert.deepEqual(read('{"a":[1,"x",{"b":2}],"c":"d"}').json, { a: [1, 'x', { b: 2 }], c: 'd' });
  });

  test('256 levels of nesting are read, 257 are refused', () => {
    const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);
    let value = read(deep(256)).json;
    let depth = 0;
    while (Array.isArray(value)) {
      depth++;
      value = value[0];
    }
    assert.equal(depth, 256);
    assert.match(refused(deep(257)).message, notJson);
    assert.match(refused('{"a":'.repeat(257) + '1' + '}'.repeat(257)).message, notJson);
  });

  test('a "__proto__" key is kept as data and changes no prototype', () => {
    const { json } = read('{"__proto__":{"polluted":true},"a":1}');
    const value = json as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(value), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(value, '__proto__')?.value, { polluted: true });
    assert.equal(Object.keys(value).join(), '__proto__,a');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(value.polluted, undefined);
    // The property is what JSON.parse makes of it: enumerable, writable, configurable (a repeated key replaces it).
    const twice = '{"__proto__":1,"__proto__":2}';
    const parsed = read(twice).json as object;
    assert.deepEqual(Object.getOwnPropertyDescriptor(parsed, '__proto__'), Object.getOwnPropertyDescriptor(JSON.parse(twice), '__proto__'));
  });

  test('keys and strings with escapes are decoded; without escapes they are taken as they are, split anywhere', () => {
    const body = '{"k\\u0065y":"a\\"b\\\\c\\/d\\n\\u00e9","plain":"caf\u00e9 — ü","":""}';
    const expected = { key: 'a"b\\c/d\né', plain: 'café — ü', '': '' };
    assert.deepEqual(read(body).json, expected);
    const bytes = Buffer.from(body);
    for (let at = 1; at < bytes.length; at++) assert.deepEqual(read(bytes.subarray(0, at), bytes.subarray(at)).json, expected, `split at ${at}`);
    assert.deepEqual(read(...[...bytes].map((byte) => Buffer.from([byte]))).json, expected);
  });

  test('a string with a bad escape is refused', () => {
    assert.match(refused('{"a":"\\x"}').message, notJson);
    assert.match(refused('{"a\\q":1}').message, notJson);
  });

  test('a body that ends early says how much arrived; an empty or blank one says it is empty', () => {
    const cut = new AnswerStream('gw.example', 502);
    cut.push(Buffer.from('{"candidates":[{"content":'));
    assert.throws(() => cut.end(), (error: unknown) => {
      assert.ok(error instanceof ImageError);
      assert.equal(error.kind, 'malformedAnswer');
      assert.equal(error.message, 'The answer from gw.example stopped before it was complete (26 bytes arrived). Try again.');
      assert.equal(error.status, 502);
      assert.equal(error.host, 'gw.example');
      return true;
    });
    for (const blank of [[], [' \n\t\r'], ['', '  ']]) {
      const stream = new AnswerStream('gw.example', 200);
      for (const piece of blank) stream.push(Buffer.from(piece));
      assert.throws(() => stream.end(), /gw\.example sent an empty answer \(HTTP 200\)/);
    }
    assert.match(refused('"unterminated').message, /stopped before it was complete \(13 bytes arrived\)/);
  });

  test('counts every byte pushed and keeps the first 4096 for messages', () => {
    const stream = new AnswerStream('gw.example', 200);
    const long = `{"text":"${'a'.repeat(5000)}`;
    stream.push(Buffer.from(long.slice(0, 3000)));
    stream.push(new Uint8Array(Buffer.from(long.slice(3000))));
    assert.equal(stream.received, long.length);
    assert.equal(stream.headText(), long.slice(0, 4096));
    stream.push(Buffer.from('"}'));
    assert.deepEqual(stream.end(), { text: 'a'.repeat(5000) });
    assert.equal(stream.headText().length, 4096);
  });

  test('a Uint8Array that is a window on a larger buffer is read from its own bytes', () => {
    const memory = Buffer.from('XXXX{"a":[1,2]}YYYY');
    const stream = new AnswerStream('gw.example', 200);
    stream.push(new Uint8Array(memory.buffer, memory.byteOffset + 4, memory.length - 8));
    assert.deepEqual(stream.end(), { a: [1, 2] });
    assert.equal(stream.received, memory.length - 8);
  });

  test('the not-JSON message quotes the start of the body', () => {
    const error = refused('Service Unavailable: try later');
    assert.match(error.message, /not JSON \("Service Unavailable: try later"\)/);
    assert.match(error.message, /Check that geminiImage\.baseUrl points at a Gemini-compatible API, or try again\./);
  });
});

/** An answer with the given parts in its first candidate. */
const answer = (parts: string): string => `{"candidates":[{"content":{"role":"model","parts":[${parts}]},"finishReason":"STOP"}]}`;

function bytesOf(stream: AnswerStream, id: number): Buffer {
  const data = stream.images[id].data;
  return Buffer.concat(data.take(0));
}

describe('the path to image data', () => {
  test('data under candidates[].content.parts[].inlineData or inline_data is decoded, not kept as text', () => {
    const { json, stream } = read(answer(`{"inlineData":{"mimeType":"image/png","data":"${B64}"}},{"inline_data":{"data":"${B64}"}}`));
    assert.equal(stream.images.length, 2);
    assert.deepEqual(bytesOf(stream, 0), PNG);
    assert.deepEqual(bytesOf(stream, 1), PNG);
    assert.equal(stream.images[1].id, 1);
    const parts = (json as { candidates: { content: { parts: Record<string, { data: unknown }>[] } }[] }).candidates[0].content.parts;
    assert.ok(parts[0].inlineData.data instanceof StreamedImageData);
    assert.equal((parts[0].inlineData.data as StreamedImageData).id, 0);
    assert.equal((parts[1].inline_data.data as StreamedImageData).id, 1);
    assert.equal(stream.images[0].data.complete, true);
  });

  test('a "data" string anywhere else stays a string', () => {
    const elsewhere = [
      `{"data":"${B64}"}`,
      `{"inlineData":{"data":"${B64}"}}`,
      `{"other":[{"content":{"parts":[{"inlineData":{"data":"${B64}"}}]}}]}`,
      `{"candidates":{"content":{"parts":[{"inlineData":{"data":"${B64}"}}]}}}`,
      `{"candidates":[[{"content":{"parts":[{"inlineData":{"data":"${B64}"}}]}}]]}`,
      `{"candidates":[{"other":{"parts":[{"inlineData":{"data":"${B64}"}}]}}]}`,
      `{"candidates":[{"content":[{"parts":[{"inlineData":{"data":"${B64}"}}]}]}]}`,
      `{"candidates":[{"content":{"other":[{"inlineData":{"data":"${B64}"}}]}}]}`,
      `{"candidates":[{"content":{"parts":{"inlineData":{"data":"${B64}"}}}}]}`,
      `{"candidates":[{"content":{"parts":[[{"inlineData":{"data":"${B64}"}}]]}}]}`,
      `{"candidates":[{"content":{"parts":[{"other":{"data":"${B64}"}}]}}]}`,
      `{"candidates":[{"content":{"parts":[{"inlineData":[{"data":"${B64}"}]}]}}]}`,
      `{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","other":{"data":"${B64}"}}}]}}]}`,
      `{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","dat":"${B64}"}}]}}]}`,
      `[{"candidates":[{"content":{"parts":[{"inlineData":{"data":"${B64}"}}]}}]}]`,
    ];
    for (const body of elsewhere) {
      const { json, stream } = read(body);
      assert.equal(stream.images.length, 0, body.slice(0, 60));
      assert.ok(JSON.stringify(json).includes(B64), body.slice(0, 60));
      assert.deepEqual(json, JSON.parse(body));
    }
  });

  test('a draft flagged after its data (either spelling) is marked and discarded; one flagged false is kept', () => {
    for (const key of ['inlineData', 'inline_data']) {
      const { stream } = read(answer(`{"${key}":{"data":"${B64}"},"thought":true},{"${key}":{"data":"${B64}"},"thought":false}`));
      assert.equal(stream.images[0].draft, true, key);
      assert.equal(stream.images[0].data.discarding, true, key);
      assert.equal(stream.images[1].draft, false, key);
      assert.deepEqual(bytesOf(stream, 1), PNG, key);
    }
    const odd = read(answer(`{"inlineData":null,"inline_data":"text","thought":true},{"inlineData":{"data":"${B64}"}}`)).stream;
    assert.equal(odd.images.length, 1);
    assert.equal(odd.images[0].draft, false, 'a draft without image data marks no other image');
    const truthy = read(answer(`{"inlineData":{"data":"${B64}"},"thought":"true"}`)).stream;
    assert.equal(truthy.images[0].draft, false, 'only the boolean true marks a draft');
  });

  test('a draft flagged before its data is never decoded', () => {
    const { stream } = read(answer(`{"thought":true,"inlineData":{"data":"${B64}"}},{"thought":1,"inlineData":{"data":"${B64}"}}`));
    assert.equal(stream.images[0].draft, true);
    assert.equal(stream.images[0].data.size, 0);
    assert.equal(stream.images[1].draft, false);
    assert.equal(stream.images[1].data.size, PNG.length);
  });

  test('escapes inside the data are resolved before decoding, even split across pieces', () => {
    let escaped = B64.replace(/\//g, '\\/').replace(/\+/g, '\\u002B');
    escaped = `${escaped.slice(0, 8)}\\n\\r\\t${escaped.slice(8)}`;
    const body = Buffer.from(answer(`{"inlineData":{"data":"${escaped}"}}`));
    for (let at = body.indexOf('"data"'); at < body.length; at += 3) {
      const { stream } = read(body.subarray(0, at), body.subarray(at));
      assert.deepEqual(bytesOf(stream, 0), PNG, `split at ${at}`);
    }
    for (const bad of ['\\b', '\\f', '\\"']) {
      const { stream } = read(answer(`{"inlineData":{"data":"${B64.slice(0, 8)}${bad}${B64.slice(8)}"}}`));
      assert.equal(stream.images[0].data.invalid, true, bad);
    }
  });

  test('an unknown or short unicode escape in the data is refused as not JSON', () => {
    for (const bad of ['\\x', '\\u00g1', '\\u12"', '\\U0041']) {
      assert.match(refused(answer(`{"inlineData":{"data":"AAAA${bad}AAAA"}}`)).message, notJson, bad);
    }
  });
});

describe('conversation helpers', () => {
  const placeholder = (id: number): StreamedImageData => new StreamedImageData(id);

  test('a placeholder refuses to be sent', () => {
    assert.throws(() => JSON.stringify({ data: placeholder(3) }), /Streamed image 3 must be replaced by its bytes before the conversation is sent\./);
  });

  test('withImageData puts the base64 back in either spelling, keeping every other field', () => {
    const conversation: ApiContent[] = [
      { role: 'user', parts: [{ text: 'a fox' }] },
      {
        role: 'model',
        parts: [
          { inlineData: { mimeType: 'image/png', data: placeholder(0) }, thoughtSignature: 'c2ln' },
          { inline_data: { mime_type: 'image/jpeg', data: placeholder(1) } },
          { inlineData: { mimeType: 'image/png', data: 'QUJD' } },
        ],
      },
    ];
    const sent = withImageData(conversation, (image) => ['AAAA', 'BBBB'][image.id]);
    assert.deepEqual(sent, [
      { role: 'user', parts: [{ text: 'a fox' }] },
      {
        role: 'model',
        parts: [
          { inlineData: { mimeType: 'image/png', data: 'AAAA' }, thoughtSignature: 'c2ln' },
          { inline_data: { mime_type: 'image/jpeg', data: 'BBBB' } },
          { inlineData: { mimeType: 'image/png', data: 'QUJD' } },
        ],
      },
    ]);
    assert.deepEqual(streamedImages(conversation).map((image) => image.id), [0, 1]);
  });

  test('an image without data leaves its part; a part left with nothing to say goes, one with text or a call stays', () => {
    const conversation: ApiContent[] = [
      {
        role: 'model',
        parts: [
          { inlineData: { data: placeholder(0) }, thoughtSignature: 'c2ln' },
          { inline_data: { data: placeholder(1) }, text: 'kept words' },
          { inlineData: { data: placeholder(2) }, functionCall: { name: 'f' } },
          { inlineData: { data: placeholder(3) }, functionResponse: { name: 'f' } },
          { inlineData: { data: placeholder(4) }, fileData: { fileUri: 'u' } },
          { inlineData: { data: placeholder(5) }, file_data: { file_uri: 'u' } },
          { inlineData: { data: placeholder(6) }, inline_data: { data: 'QUJD' } },
          { text: 'plain' },
        ],
      },
    ];
    const sent = withImageData(conversation, () => undefined);
    assert.deepEqual(sent[0].parts, [
      { text: 'kept words' },
      { functionCall: { name: 'f' } },
      { functionResponse: { name: 'f' } },
      { fileData: { fileUri: 'u' } },
      { file_data: { file_uri: 'u' } },
      { inline_data: { data: 'QUJD' } },
      { text: 'plain' },
    ]);
    assert.equal(sent[0].role, 'model');
    assert.deepEqual(conversation[0].parts[0], { inlineData: { data: placeholder(0) }, thoughtSignature: 'c2ln' }, 'the original is untouched');
  });

  test('parts whose inline data is not an object, or not a placeholder, are left alone', () => {
    const conversation: ApiContent[] = [{ role: 'model', parts: [{ inlineData: 'text' }, { inlineData: null }, { inline_data: { data: 'QUJD' } }, { text: 'x' }] }];
    assert.deepEqual(withImageData(conversation, () => 'NEW'), conversation);
    assert.deepEqual(streamedImages(conversation), []);
  });
});
