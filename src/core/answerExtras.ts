// Parts of an answer beside the images: output tokens per modality and Google Search grounding (sources to show).
import type { Grounding, GroundingSource, ModalityTokens } from './imageJob';

const MAX_SOURCES = 20;
const MAX_QUERIES = 10;

/** usageMetadata.candidatesTokensDetails as `[{modality, tokenCount}]`; undefined when absent. */
export function readTokenDetails(answer: unknown): ModalityTokens[] | undefined {
  const usage = isObject(answer) && isObject(answer.usageMetadata) ? answer.usageMetadata : undefined;
  const details = usage && Array.isArray(usage.candidatesTokensDetails) ? usage.candidatesTokensDetails : undefined;
  if (!details) return undefined;
  const read = details
    .filter(isObject)
    .filter((entry) => typeof entry.modality === 'string' && typeof entry.tokenCount === 'number' && Number.isFinite(entry.tokenCount))
    .map((entry) => ({ modality: String(entry.modality).toUpperCase(), tokenCount: Number(entry.tokenCount) }));
  return read.length > 0 ? read : undefined;
}

/**
 * The grounding of every candidate (groundingMetadata: webSearchQueries, groundingChunks[].web / .image,
 * searchEntryPoint.renderedContent), merged; undefined when the answer was not grounded.
 * Only http(s) links are kept: a source is shown as a link and must never be able to run anything.
 */
export function readGrounding(answer: unknown): Grounding | undefined {
  const candidates = isObject(answer) && Array.isArray(answer.candidates) ? answer.candidates.filter(isObject) : [];
  const queries: string[] = [];
  const sources: GroundingSource[] = [];
  let renderedContent: string | undefined;
  for (const candidate of candidates) {
    const metadata = isObject(candidate.groundingMetadata) ? candidate.groundingMetadata : undefined;
    if (!metadata) continue;
    for (const query of [...arrayOf(metadata.webSearchQueries), ...arrayOf(metadata.imageSearchQueries)]) {
      if (typeof query === 'string' && query.trim() !== '' && !queries.includes(query.trim())) queries.push(query.trim());
    }
    for (const chunk of arrayOf(metadata.groundingChunks).filter(isObject)) {
      const web = isObject(chunk.web) ? chunk.web : isObject(chunk.image) ? chunk.image : undefined;
      const uri = web && typeof web.uri === 'string' ? safeLink(web.uri) : undefined;
      if (!web || !uri || sources.some((source) => source.uri === uri)) continue;
      const title = typeof web.title === 'string' && web.title.trim() !== '' ? web.title.trim() : new URL(uri).hostname;
      sources.push({ title: title.slice(0, 200), uri });
    }
    const entry = isObject(metadata.searchEntryPoint) ? metadata.searchEntryPoint : undefined;
    if (!renderedContent && typeof entry?.renderedContent === 'string' && entry.renderedContent.trim() !== '') renderedContent = entry.renderedContent;
  }
  if (queries.length === 0 && sources.length === 0 && !renderedContent) return undefined;
  return {
    queries: queries.slice(0, MAX_QUERIES),
    sources: sources.slice(0, MAX_SOURCES),
    ...(renderedContent ? { renderedContent } : {}),
  };
}

/** Joins the grounding of several answers (variants), without repeating a source. */
export function mergeGrounding(groundings: readonly (Grounding | undefined)[]): Grounding | undefined {
  const present = groundings.filter((grounding): grounding is Grounding => grounding !== undefined);
  if (present.length === 0) return undefined;
  const queries = [...new Set(present.flatMap((grounding) => grounding.queries))].slice(0, MAX_QUERIES);
  const sources: GroundingSource[] = [];
  for (const source of present.flatMap((grounding) => grounding.sources)) {
    if (!sources.some((known) => known.uri === source.uri)) sources.push(source);
  }
  const renderedContent = present.find((grounding) => grounding.renderedContent)?.renderedContent;
  return { queries, sources: sources.slice(0, MAX_SOURCES), ...(renderedContent ? { renderedContent } : {}) };
}

/**
 * One plain line naming the sources, for a notification or a log ("Sources: Title (host), …"). Titles and queries
 * come from the web: brackets and backticks are taken out so that no text can become a (command:) link.
 */
export function describeGrounding(grounding: Grounding): string {
  const sources = grounding.sources.map((source) => `${plain(source.title)} (${new URL(source.uri).hostname})`);
  const parts = [
    sources.length > 0 ? `Sources: ${sources.join(', ')}` : undefined,
    grounding.queries.length > 0 ? `Google Search: ${grounding.queries.map((query) => `"${plain(query)}"`).join(', ')}` : undefined,
  ];
  return parts.filter(Boolean).join('. ');
}

function plain(text: string): string {
  return text.replace(/[[\]()<>`]/g, ' ').replace(/\s+/g, ' ').trim();
}

function safeLink(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : undefined;
  } catch {
    return undefined;
  }
}

function arrayOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
