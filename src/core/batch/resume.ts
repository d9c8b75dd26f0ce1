// Which outputs of a batch already exist: a rerun skips items whose images are on disk with the same recipe.
import { keyedPrompt } from '../image/keyColour';
import type { ImageJob } from '../imageJob';
import type { Background } from '../presets';
import { normalizeModelId } from '../models';
import type { Recipe } from '../recipe';

/** What makes two images "the same request": the prompt as sent, the model and every option sent. */
export interface RecipeKey {
  readonly prompt: string;
  readonly model: string;
  readonly aspectRatio?: string;
  readonly imageSize?: string;
  readonly outputFormat?: string;
  readonly references: readonly string[];
  readonly preset?: string;
  readonly background?: Background;
}

export function recipeKeyOf(job: ImageJob, preset?: string, background?: Background): RecipeKey {
  return {
    // A transparent run sends (and records) its prompt with the key colour sentence the runner adds.
    prompt: background === 'transparent' ? keyedPrompt(job.prompt).prompt : job.prompt,
    model: job.model,
    aspectRatio: job.aspectRatio,
    imageSize: job.imageSize,
    outputFormat: job.outputFormat,
    references: job.references.map((reference) => reference.name),
    preset,
    background,
  };
}

/** Whether a saved image's recipe is this request's (a prompt cut short to fit the file counts if it is a prefix). */
export function sameRecipe(recipe: Recipe, key: RecipeKey): boolean {
  const model = (id: string): string => normalizeModelId(id).toLowerCase();
  const prompt = recipe.prompt === key.prompt || (recipe.prompt.endsWith('…') && recipe.prompt.length < key.prompt.length && key.prompt.startsWith(recipe.prompt.slice(0, -1)));
  return (
    prompt &&
    model(recipe.model) === model(key.model) &&
    (recipe.aspectRatio ?? undefined) === (key.aspectRatio ?? undefined) &&
    (recipe.imageSize ?? undefined) === (key.imageSize ?? undefined) &&
    (recipe.outputFormat ?? undefined) === (key.outputFormat ?? undefined) &&
    (recipe.preset ?? undefined) === (key.preset ?? undefined) &&
    (recipe.background ?? undefined) === (key.background ?? undefined) &&
    recipe.references.length === key.references.length &&
    recipe.references.every((name, index) => name === key.references[index])
  );
}

/** Whether `fileName` is a name the runner gives images saved under `slug` (`slug.png`, `slug-2.jpg`…). */
export function isOutputName(slug: string, fileName: string): boolean {
  if (!fileName.toLowerCase().startsWith(slug.toLowerCase())) return false;
  return /^(-\d+)?\.(png|jpe?g|webp|gif)$/i.test(fileName.slice(slug.length));
}

export interface ExistingImage<L> {
  readonly location: L;
  /** The folder it is in, compared as text (the item's folder key). */
  readonly folder: string;
  readonly name: string;
  readonly recipe: Recipe;
}

export interface ResumeItem {
  readonly folder: string;
  readonly slug: string;
  readonly key: RecipeKey;
  readonly variants: number;
}

/**
 * For each item, in order, the existing images it can claim (same folder, a name of its slug, the same recipe), up to
 * its variants: an item with all of them is skipped, one with some makes only the rest. No image is claimed twice,
 * so two identical lines need two images.
 */
export function claimExisting<L>(items: readonly ResumeItem[], existing: readonly ExistingImage<L>[]): L[][] {
  const taken = new Set<ExistingImage<L>>();
  return items.map((item) => {
    const claimed: L[] = [];
    for (const image of existing) {
      if (claimed.length >= item.variants) break;
      if (taken.has(image) || image.folder !== item.folder || !isOutputName(item.slug, image.name) || !sameRecipe(image.recipe, item.key)) continue;
      taken.add(image);
      claimed.push(image.location);
    }
    return claimed;
  });
}
