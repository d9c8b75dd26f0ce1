// File names for generated images: a short slug of the prompt that is safe on Windows, macOS and Linux.

const MAX_SLUG_LENGTH = 48;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/** "A cyberpunk fox, in the forest!" -> "a-cyberpunk-fox-in-the-forest". */
export function slugFromPrompt(prompt: string, maxLength = MAX_SLUG_LENGTH): string {
  const words = prompt
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '');
  let slug = '';
  for (const word of words) {
    const next = slug === '' ? word : `${slug}-${word}`;
    if (next.length > maxLength) {
      if (slug === '') slug = word.slice(0, maxLength);
      break;
    }
    slug = next;
  }
  if (slug === '') return 'image';
  return WINDOWS_RESERVED.test(slug) ? `${slug}-image` : slug;
}

/** The n-th candidate name for a slug: "fox.png", "fox-2.png", "fox-3.png", … */
export function candidateName(slug: string, extension: string, attempt: number): string {
  return attempt <= 1 ? `${slug}.${extension}` : `${slug}-${attempt}.${extension}`;
}

/** The file extension for a sniffed image format. */
export function extensionFor(format: 'png' | 'jpeg' | 'webp' | 'gif'): string {
  return format === 'jpeg' ? 'jpg' : format;
}
