// The streaming base64 decoder on its own: every split, every tail, padding rules, take/peek and block reuse (mutation survivors).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Base64Stream } from '../../src/core/streamBase64';
import { decodeBase64 } from '../../src/core/response';

/** Feeds the pieces, finishes, and returns the decoder with every decoded byte. */
function decode(...pieces: string[]): { data: Base64Stream; bytes: Buffer } {
  const data = new Base64Stream();
  for (const piece of pieces) data.feed(piece);
  data.finish();
  return { data, bytes: Buffer.concat(data.take(0)) };
}

describe('what is valid', () => {
  test('any length of data split at any two points decodes to the same bytes as the whole-body decoder', () => {
    for (let length = 1; length <= 14; length++) {
      const bytes = randomBytes(length);
      for (const text of [bytes.toString('base64'), bytes.toString('base64url')]) {
        for (let first = 0; first <= text.length; first++) {
          for (let second = first; second <= text.length; second++) {
            const { data, bytes: decoded } = decode(text.slice(0, first), text.slice(first, second), text.slice(second));
            assert.equal(data.invalid, false, `${text} at ${first}/${second}`);
            assert.deepEqual(decoded, bytes, `${text} at ${first}/${second}`);
            assert.equal(data.size, length);
            assert.deepEqual(decoded, Buffer.from(decodeBase64(text) ?? []));
          }
        }
      }
    }
  });

  test('whitespace (from \\n, \\r, \\t escapes or spaces) is skipped anywhere, even in the tail and the padding', () => {
    const bytes = randomBytes(20);
    const text = bytes.toString('base64');
    assert.equal(text.endsWith('='), true);
    const spaced = `${text.slice(0, 5)}\n${text.slice(5, 9)} \t${text.slice(9, -2)}\r\n${text.slice(-2, -1)} ${text.slice(-1)}\n`;
    for (let at = 0; at <= spaced.length; at++) {
      const { data, bytes: decoded } = decode(spaced.slice(0, at), spaced.slice(at));
      assert.equal(data.invalid, false, `split at ${at}`);
      assert.deepEqual(decoded, bytes, `split at ${at}`);
    }
    assert.deepEqual(decode('QUJD', '  \n').bytes, Buffer.from('ABC'));
    assert.deepEqual(decode('QU', ' J').bytes, Buffer.from('AB'));
    assert.deepEqual(decode('QUI=', '\n').bytes, Buffer.from('AB'));
    assert.deepEqual(decode('QQ=', ' =').bytes, Buffer.from('A'));
  });

  test('padding may end the data, in one piece or split, but nothing follows it', () => {
    assert.deepEqual(decode('QQ==').bytes, Buffer.from('A'));
    assert.deepEqual(decode('QQ=', '=').bytes, Buffer.from('A'));
    assert.deepEqual(decode('QQ', '=', '=').bytes, Buffer.from('A'));
    assert.deepEqual(decode('QUJDRA=', '=').bytes, Buffer.from('ABCD'));
    assert.deepEqual(decode('QUI=').bytes, Buffer.from('AB'));
    assert.deepEqual(decode('QUJDREU=').bytes, Buffer.from('ABCDE'));
    for (const pieces of [['QQ==', '='], ['QQ=', '==', ''], ['QQ==A'], ['QQ==', 'QQ=='], ['QQ=', 'A'], ['QUJD=', 'QUJD'], ['QQ=A'], ['Q=', '=='], ['QUJ=D']]) {
      assert.equal(decode(...pieces).data.invalid, true, pieces.join('|'));
    }
  });

  test('the tail: two or three characters, or four with padding; one character, or padding of the wrong length, is invalid', () => {
    for (const tail of ['Q', 'QUJDR', 'QUJDRA==Q', 'QUJ==', 'Q===', 'QUJDQ=', 'QUJDQ==']) {
      assert.equal(decode(tail).data.invalid, true, tail);
    }
    for (const [tail, text] of [['QUJDRA', 'ABCD'], ['QUJDREU', 'ABCDE'], ['QUJDREVG', 'ABCDEF'], ['QQ', 'A'], ['QUI', 'AB']]) {
      const { data, bytes } = decode(tail);
      assert.equal(data.invalid, false, tail);
      assert.equal(bytes.toString(), text, tail);
    }
    const empty = decode('');
    assert.equal(empty.data.invalid, false);
    assert.equal(empty.data.size, 0);
    assert.equal(empty.data.complete, true);
    const blank = decode('  ');
    assert.equal(blank.data.invalid, false);
    assert.equal(blank.data.size, 0);
  });

  test('a character outside both alphabets anywhere makes the data invalid, and nothing more is decoded', () => {
    const text = randomBytes(30).toString('base64');
    for (const bad of ['$', '.', '"', '\b', '\f', 'é', '\0', '*']) {
      for (const at of [0, 3, 4, 17, text.length]) {
        const { data } = decode(text.slice(0, at), bad, text.slice(at));
        assert.equal(data.invalid, true, `${JSON.stringify(bad)} at ${at}`);
      }
    }
    const data = new Base64Stream();
    data.feed('QUJ$QUJD');
    assert.equal(data.invalid, true);
    data.feed('QUJD');
    data.finish();
    assert.equal(data.complete, true);
    assert.deepEqual(data.take(0), []);
  });

  test('padding followed by more data is found invalid as soon as it arrives, not only when the string ends', () => {
    for (const text of ['QQ=AQUJD', 'QUJDRA==QUJD', 'QQ=$']) {
      const data = new Base64Stream();
      data.feed(text);
      assert.equal(data.invalid, true, text);
    }
    const padded = new Base64Stream();
    padded.feed('QUJDRA==');
    padded.feed('A');
    assert.equal(padded.invalid, true, 'data after the padding');
    const tooMuch = new Base64Stream();
    tooMuch.feed('QUJDRA==');
    tooMuch.feed(' =');
    assert.equal(tooMuch.invalid, true, 'a third padding character');
  });

  test('an invalid piece keeps nothing of itself, though its valid start was whole quads', () => {
    const data = new Base64Stream();
    data.feed('QUJD');
    data.feed('QUJDQU$D');
    assert.equal(data.invalid, true);
    assert.equal(data.size, 3);
  });
});

describe('taking the bytes', () => {
  test('take() waits for the minimum until the data is complete, then hands out everything once', () => {
    const data = new Base64Stream();
    assert.deepEqual(data.take(0), [], 'nothing yet');
    data.feed('QUJDREVG'); // 6 bytes
    assert.deepEqual(data.take(7), []);
    assert.deepEqual(Buffer.concat(data.take(6)), Buffer.from('ABCDEF'));
    assert.deepEqual(data.take(0), [], 'nothing new');
    data.feed('R0g'); // 'GH' once finished
    assert.deepEqual(data.take(1), [], 'an unfinished quad is not decoded yet');
    data.finish();
    assert.deepEqual(Buffer.concat(data.take(100)), Buffer.from('GH'), 'complete: less than the minimum is handed out');
    assert.equal(data.size, 8);
    assert.equal(data.complete, true);
  });

  test('peek() shows the first bytes without taking them, across blocks', () => {
    const bytes = randomBytes(200_000);
    const text = bytes.toString('base64');
    const data = new Base64Stream();
    data.feed(text.slice(0, 40));
    assert.deepEqual(Buffer.from(data.peek(64)), bytes.subarray(0, 30), 'fewer than asked');
    assert.deepEqual(Buffer.from(data.peek(10)), bytes.subarray(0, 10));
    data.feed(text.slice(40));
    data.finish();
    assert.deepEqual(Buffer.from(data.peek(64)), bytes.subarray(0, 64));
    assert.deepEqual(Buffer.concat(data.take(0)), bytes);
  });

  test('data far larger than a block arrives intact in any piece size, with and without recycling', () => {
    const bytes = randomBytes(3_500_000);
    const text = bytes.toString('base64');
    for (const [step, recycling] of [[4_000_001, false], [65_537, true], [1_398_103, true], [700_001, false]] as const) {
      const data = new Base64Stream();
      if (recycling) data.recycleTaken();
      const out: Buffer[] = [];
      for (let at = 0; at < text.length; at += step) {
        data.feed(text.slice(at, at + step));
        // Copied at once and given back, as a file that releases its bytes does.
        const pieces = data.take(1 << 20);
        out.push(...pieces.map((piece) => Buffer.from(piece)));
        data.recycle(pieces);
      }
      data.finish();
      out.push(...data.take(0).map((piece) => Buffer.from(piece)));
      assert.equal(data.size, bytes.length, `step ${step}`);
      assert.ok(Buffer.concat(out).equals(bytes), `step ${step}`);
    }
  });

  test('given-back blocks are reused; only whole 1 MiB blocks, at most two kept spare; nothing reused without recycleTaken()', () => {
    const bytes = randomBytes(12_000_000);
    const text = bytes.toString('base64');
    const run = (recycling: boolean): Set<ArrayBufferLike> => {
      const data = new Base64Stream();
      if (recycling) data.recycleTaken();
      const memories = new Set<ArrayBufferLike>();
      let at = 0;
      for (let from = 0; from < text.length; from += 400_000) {
        data.feed(text.slice(from, from + 400_000));
        const pieces = data.take(1);
        for (const piece of pieces) {
          memories.add(piece.buffer);
          assert.ok(piece.equals(bytes.subarray(at, at + piece.length)), `bytes at ${at}`);
          at += piece.length;
        }
        data.recycle(pieces);
      }
      data.finish();
      for (const piece of data.take(0)) {
        assert.ok(piece.equals(bytes.subarray(at, at + piece.length)));
        at += piece.length;
      }
      assert.equal(at, bytes.length);
      return memories;
    };
    const reused = run(true);
    // The first 64 KiB block, then 1 MiB blocks taking turns.
    assert.ok(reused.size <= 4, `${reused.size} blocks for 12 MB with everything given back`);
    const fresh = run(false);
    assert.ok(fresh.size >= 12, `${fresh.size} blocks without recycling`);
  });

  test('a range still lent is never written over, even when its block retires and others come back', () => {
    const bytes = randomBytes(6_000_000);
    const text = bytes.toString('base64');
    const data = new Base64Stream();
    data.recycleTaken();
    const kept: { at: number; piece: Buffer }[] = [];
    let at = 0;
    let round = 0;
    for (let from = 0; from < text.length; from += 300_000, round++) {
      data.feed(text.slice(from, from + 300_000));
      const pieces = data.take(1);
      // Every third batch is kept for good; a piece taken twice (a block's tail) is given back once per take.
      for (const piece of pieces) {
        if (round % 3 === 0) kept.push({ at, piece });
        at += piece.length;
      }
      if (round % 3 !== 0) data.recycle(pieces);
    }
    data.finish();
    data.take(0);
    for (const { at: offset, piece } of kept) assert.ok(piece.equals(bytes.subarray(offset, offset + piece.length)), `kept bytes at ${offset} were overwritten`);
  });
});

describe('block reuse at its edges', () => {
  /** Feeds consecutive slices of `bytes` (lengths multiples of 3, so each is whole base64 quads). */
  function feeder(data: Base64Stream, bytes: Buffer): (length: number) => void {
    let at = 0;
    return (length) => {
      data.feed(bytes.subarray(at, at + length).toString('base64'));
      at += length;
    };
  }

  test('a block whose last range is still waiting to be taken is not reused when its other ranges come back', () => {
    const bytes = randomBytes(3_200_000);
    const data = new Base64Stream();
    data.recycleTaken();
    const feed = feeder(data, bytes);
    const out: Buffer[] = [];
    const take = (): Buffer[] => {
      const pieces = data.take(1);
      out.push(...pieces.map((piece) => Buffer.from(piece)));
      return pieces;
    };
    feed(999);
    feed(900_000); // a 1 MiB block
    const first = take();
    feed(99_999); // same block, not taken yet
    feed(99_999); // the block retires with that range still waiting
    feed(1_000_002); // and so does the next one: two blocks have ranges waiting
    data.recycle(first);
    feed(1_000_002); // needs a new block: neither retired one may be it
    take();
    data.finish();
    take();
    assert.ok(Buffer.concat(out).equals(bytes.subarray(0, 999 + 900_000 + 99_999 + 99_999 + 1_000_002 + 1_000_002)), 'a waiting range was written over');
  });

  test('with only that block\'s range waiting, the block is still not reused', () => {
    const bytes = randomBytes(2_200_000);
    const data = new Base64Stream();
    data.recycleTaken();
    const feed = feeder(data, bytes);
    const out: Buffer[] = [];
    const take = (): Buffer[] => {
      const pieces = data.take(1);
      out.push(...pieces.map((piece) => Buffer.from(piece)));
      return pieces;
    };
    feed(999);
    feed(900_000);
    const first = take();
    feed(99_999);
    feed(99_999);
    data.recycle(first);
    feed(1_000_002);
    take();
    data.finish();
    take();
    assert.ok(Buffer.concat(out).equals(bytes.subarray(0, 999 + 900_000 + 99_999 + 99_999 + 1_000_002)), 'a waiting range was written over');
  });

  test('a spare block too small for a large piece is not taken for it', () => {
    const bytes = randomBytes(2_000_000);
    const data = new Base64Stream();
    data.recycleTaken();
    const feed = feeder(data, bytes);
    feed(999);
    feed(300_000);
    data.recycle(data.take(1));
    feed(1_200_000); // more than a 1 MiB block holds
    assert.equal(data.invalid, false);
    data.finish();
    assert.ok(Buffer.concat(data.take(0)).equals(bytes.subarray(999 + 300_000, 999 + 300_000 + 1_200_000)));
  });
});

describe('discarding', () => {
  test('a discarded stream drops what it held and ignores what follows', () => {
    const data = new Base64Stream();
    data.feed('QUJDRE');
    data.discard();
    assert.equal(data.discarding, true);
    assert.deepEqual(data.peek(10).length, 0);
    data.feed('QUJD');
    data.finish();
    assert.equal(data.complete, true);
    assert.equal(data.invalid, false, 'a discarded draft is not reported as invalid');
    assert.deepEqual(data.take(0), []);
    assert.equal(data.size, 3, 'the size counts what was decoded before');
  });
});
