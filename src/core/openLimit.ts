// How many saved images one run opens in editors: the first few, so an answer with many images cannot flood the window.

/** Editors one run opens at most with geminiImage.openAfterSave; the rest are in the folder and the gallery. */
export const MAX_EDITORS_PER_RUN = 4;

/** A counter for one run: true for the first `max` saved images (those to open), false after. */
export function firstFew(max: number = MAX_EDITORS_PER_RUN): () => boolean {
  let opened = 0;
  return () => opened++ < max;
}
