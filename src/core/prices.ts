// Estimated cost of a result from its usage and a price table: Google's list prices, overridable per model.
import type { Usage } from './imageJob';
import { describeModel, normalizeModelId } from './models';

/** US dollars per million tokens. */
export interface ModelPrice {
  /** Prompt tokens: text and reference images. */
  readonly input: number;
  /** Text and thinking output tokens. */
  readonly output: number;
  /** Image output tokens. */
  readonly imageOutput: number;
}

/**
 * Google's paid-tier list prices (https://ai.google.dev/gemini-api/docs/pricing, read 2026-12-02; per image at 1K:
 * 3.1 Flash ≈ $0.067, 3 Pro ≈ $0.134, 3.1 Flash-Lite ≈ $0.034, 2.5 Flash ≈ $0.039). Preview ids carry the prices
 * they had on Google. Gateways charge their own prices: `geminiImage.prices` overrides any row or adds one.
 */
export const DEFAULT_PRICES: Readonly<Record<string, ModelPrice>> = {
  'gemini-3.1-flash-image': { input: 0.5, output: 3, imageOutput: 60 },
  'gemini-3-pro-image': { input: 2, output: 12, imageOutput: 120 },
  'gemini-3.1-flash-lite-image': { input: 0.25, output: 1.5, imageOutput: 30 },
  'gemini-3.1-flash-image-preview': { input: 0.5, output: 3, imageOutput: 60 },
  'gemini-3-pro-image-preview': { input: 2, output: 12, imageOutput: 120 },
  'gemini-2.5-flash-image': { input: 0.3, output: 2.5, imageOutput: 30 },
};

export interface CostEstimate {
  /** US dollars. */
  readonly usd: number;
  /** Which price row was used (the model id or the base id of a size-suffixed alias). */
  readonly priceOf: string;
  /** Whether the row came from geminiImage.prices. */
  readonly custom: boolean;
}

/** Reads `geminiImage.prices` (`{"model-id": {input, output, imageOutput}}`), keeping only well-formed rows. */
export function readPriceOverrides(value: unknown): Record<string, ModelPrice> {
  const prices: Record<string, ModelPrice> = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return prices;
  for (const [model, row] of Object.entries(value as Record<string, unknown>)) {
    if (typeof row !== 'object' || row === null) continue;
    const { input, output, imageOutput } = row as Record<string, unknown>;
    const ok = [input, output, imageOutput].every((price) => typeof price === 'number' && Number.isFinite(price) && price >= 0);
    if (ok) prices[normalizeModelId(model).toLowerCase()] = { input: input as number, output: output as number, imageOutput: imageOutput as number };
  }
  return prices;
}

/**
 * The estimated cost of one answer (or the sum of several, since usage adds up). Image tokens are the IMAGE entry
 * of candidatesTokensDetails; without details, every output token but the text ones is counted as image.
 * Undefined when the model has no price or the usage has no counts.
 */
export function estimateCost(model: string, usage: Usage | undefined, overrides: Readonly<Record<string, ModelPrice>> = {}): CostEstimate | undefined {
  if (!usage) return undefined;
  const id = normalizeModelId(model).toLowerCase();
  const base = describeModel(id)?.baseId ?? id;
  const [priceOf, price, custom] = [id, base]
    .map((key) => (overrides[key] ? ([key, overrides[key], true] as const) : DEFAULT_PRICES[key] ? ([key, DEFAULT_PRICES[key], false] as const) : undefined))
    .find((row) => row !== undefined) ?? [base, undefined, false];
  if (!price) return undefined;
  const prompt = usage.promptTokenCount ?? 0;
  const candidates = usage.candidatesTokenCount ?? 0;
  const details = usage.candidatesTokensDetails ?? [];
  const tokensOf = (modality: string): number | undefined => {
    const found = details.filter((entry) => entry.modality === modality);
    return found.length > 0 ? found.reduce((sum, entry) => sum + entry.tokenCount, 0) : undefined;
  };
  const text = tokensOf('TEXT') ?? 0;
  const image = tokensOf('IMAGE') ?? Math.max(0, candidates - text);
  const thoughts = usage.thoughtsTokenCount ?? 0;
  if (prompt + candidates + thoughts === 0) return undefined;
  const usd = (prompt * price.input + (text + thoughts) * price.output + image * price.imageOutput) / 1_000_000;
  return { usd, priceOf, custom };
}

/** "≈ $0.067 (estimate)" — never shown without the word estimate: providers bill what they bill. */
export function describeCost(estimate: CostEstimate): string {
  const digits = estimate.usd < 0.01 ? 4 : estimate.usd < 1 ? 3 : 2;
  return `≈ $${estimate.usd.toFixed(digits)} (estimate${estimate.custom ? ', your prices' : ", Google's list prices"})`;
}
