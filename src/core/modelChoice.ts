// What `geminiImage.model: auto` means: the best image model the provider lists now, from a day-old list at most.
import type { ModelList } from './imageClient';
import { describeModel, isGoogleBaseUrl, normalizeModelId } from './models';
import type { Clock } from './retry';

/**
 * Preference order for `auto`, best first. Why this order:
 * - gemini-3.1-flash-image (Nano Banana 2, GA 2026-05-28): Google's recommended default image model; near-Pro
 *   quality at Flash speed and half Pro's price, every size from 512 to 4K and the widest set of ratios.
 * - gemini-3-pro-image (Nano Banana Pro, GA 2026-05-28): the best text rendering, but slower and twice the price,
 *   so it is only the default where 3.1 Flash is not offered.
 * - gemini-3.1-flash-lite-image (2026-06-30): cheapest and fastest, but 1K only: a fallback, never a first choice.
 * - then the preview ids and older models, which only gateways still serve (shut down on Google in 2026).
 * Size-suffixed gateway ids come last: they fix the size, so they are chosen only when nothing else is listed,
 * and then the one matching the size asked for.
 */
export const AUTO_PREFERENCE: readonly string[] = [
  'gemini-3.1-flash-image',
  'gemini-3-pro-image',
  'gemini-3.1-flash-lite-image',
  'gemini-3.1-flash-image-preview',
  'gemini-3-pro-image-preview',
  'gemini-2.5-flash-image',
  'gemini-2.0-flash-exp',
];

/**
 * The model `auto` stands for, given the provider's list. With only the built-in table (the provider's list could
 * not be read), Google's API gets its current best model and a gateway gets the preview id our gateway documents use.
 */
export function pickAutoModel(list: ModelList, baseUrl: string, imageSize?: string): string {
  if (list.source !== 'provider') return isGoogleBaseUrl(baseUrl) ? AUTO_PREFERENCE[0] : 'gemini-3.1-flash-image-preview';
  const listed = list.models.map((model) => normalizeModelId(model.id));
  const byLowerCase = new Map(listed.map((id) => [id.toLowerCase(), id]));
  for (const preferred of AUTO_PREFERENCE) {
    const found = byLowerCase.get(preferred);
    if (found) return found;
  }
  const suffixed = listed.filter((id) => describeModel(id)?.fixedSize !== undefined);
  const rank = (id: string): number => {
    const index = AUTO_PREFERENCE.indexOf(describeModel(id)?.baseId ?? '');
    return index < 0 ? AUTO_PREFERENCE.length : index;
  };
  suffixed.sort((a, b) => rank(a) - rank(b));
  const wanted = imageSize?.toUpperCase() ?? '1K';
  const sameSize = suffixed.find((id) => describeModel(id)?.fixedSize?.toUpperCase() === wanted);
  if (sameSize ?? suffixed[0]) return sameSize ?? suffixed[0];
  // A gateway's own names: the first it lists as an image model.
  return listed[0] ?? AUTO_PREFERENCE[0];
}

export const MODEL_LIST_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * The provider's model list per base URL, kept for a day (only a provider's own answer is kept; after a fallback
 * to the built-in table it asks again next time). `forget` drops a list, e.g. after a 404 for a model it named.
 */
export class ModelListCache {
  private readonly entries = new Map<string, { readonly list: Promise<ModelList>; readonly at: number }>();

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly maxAgeMs = MODEL_LIST_MAX_AGE_MS,
  ) {}

  get(key: string, fetch: () => Promise<ModelList>): Promise<ModelList> {
    const entry = this.entries.get(key);
    if (entry && this.clock.now() - entry.at < this.maxAgeMs) return entry.list;
    const list = fetch();
    const stored = { list, at: this.clock.now() };
    this.entries.set(key, stored);
    const drop = (): void => {
      if (this.entries.get(key) === stored) this.entries.delete(key);
    };
    list.then((result) => (result.source === 'builtin' ? drop() : undefined), drop);
    return list;
  }

  forget(key: string): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
