// Cost estimates, the edges the first tests left open (found by mutation testing): settings that are not a table,
// rows that are not objects, image tokens from the details or from the rest of the output, answers without counts,
// and how many digits the estimate shows around a cent and a dollar.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCost, estimateCost, readPriceOverrides } from '../../src/core/prices';

const ROW = { input: 1, output: 2, imageOutput: 3 };
const FLASH = 'gemini-3.1-flash-image'; // $0.50 input, $3 output, $60 image output per million tokens

test('geminiImage.prices that is null, a list or a text gives no overrides (and never throws)', () => {
  assert.deepEqual(readPriceOverrides(null), {});
  assert.deepEqual(readPriceOverrides([ROW]), {});
  assert.deepEqual(readPriceOverrides('gemini-3.1-flash-image'), {});
  assert.deepEqual(readPriceOverrides(undefined), {});
});

test('a row that is null, a number or a list is skipped; the good rows beside it are kept', () => {
  assert.deepEqual(readPriceOverrides({ a: null, b: 5, c: [1, 2, 3], 'Vendor-X': ROW }), { 'vendor-x': ROW });
});

test('image tokens come from the IMAGE details when there are any, else from the output minus the text tokens', () => {
  const near = (actual: number | undefined, expected: number): void => assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-12, `${actual} ≠ ${expected}`);
  // A gateway counting more candidates than its details list: the IMAGE entry is what is billed as image.
  const detailed = estimateCost(FLASH, { candidatesTokenCount: 2000, candidatesTokensDetails: [{ modality: 'IMAGE', tokenCount: 1290 }, { modality: 'TEXT', tokenCount: 10 }] });
  near(detailed?.usd, (10 * 3 + 1290 * 60) / 1e6);
  // Only the text is detailed: the rest of the output is image.
  const textOnly = estimateCost(FLASH, { candidatesTokenCount: 1300, candidatesTokensDetails: [{ modality: 'TEXT', tokenCount: 10 }] });
  near(textOnly?.usd, (10 * 3 + 1290 * 60) / 1e6);
});

test('an answer without any token counts has no estimate; any count at all gives one', () => {
  assert.equal(estimateCost(FLASH, {}), undefined);
  assert.equal(estimateCost(FLASH, { promptTokenCount: 0, candidatesTokenCount: 0, thoughtsTokenCount: 0 }), undefined);
  assert.ok(estimateCost(FLASH, { promptTokenCount: 10, thoughtsTokenCount: 10 }));
  assert.ok(estimateCost(FLASH, { promptTokenCount: 100, candidatesTokenCount: 100 }));
  assert.ok(estimateCost(FLASH, { thoughtsTokenCount: 10 }));
});

test('four digits below a cent, three below a dollar, two from a dollar on', () => {
  const shown = (usd: number): string => describeCost({ usd, priceOf: FLASH, custom: false });
  assert.equal(shown(0.005), "≈ $0.0050 (estimate, Google's list prices)");
  assert.equal(shown(0.01), "≈ $0.010 (estimate, Google's list prices)");
  assert.equal(shown(0.5), "≈ $0.500 (estimate, Google's list prices)");
  assert.equal(shown(1), "≈ $1.00 (estimate, Google's list prices)");
  assert.equal(shown(12.345), "≈ $12.35 (estimate, Google's list prices)");
});
