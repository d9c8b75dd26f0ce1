// Turning selected editor text into an image: which preset fits it, and the link inserted after it.

/** Languages where an image link is inserted after the selection, and how it is written. */
export type LinkStyle = 'markdown' | 'html';

const LINK_STYLES: Readonly<Record<string, LinkStyle>> = { markdown: 'markdown', mdx: 'markdown', html: 'html' };
/** Languages whose selections are prose or a diagram language written inside prose, not code. */
const PROSE = new Set(['markdown', 'mdx', 'html', 'plaintext', 'latex', 'restructuredtext', 'asciidoc', 'scminput', 'git-commit']);
const DIAGRAM_SOURCE = /^\s*(```\s*(mermaid|plantuml|puml|dot|graphviz)\b|@startuml|graph\s+(TD|TB|BT|RL|LR)\b|flowchart\s|sequenceDiagram|classDiagram|stateDiagram|erDiagram|gantt\b|digraph\s)/im;

export function linkStyleFor(languageId: string): LinkStyle | undefined {
  return LINK_STYLES[languageId];
}

/** Diagram for code and for diagram sources (Mermaid, PlantUML, Graphviz) anywhere; undefined: ask the user. */
export function defaultPresetFor(languageId: string, selected: string): string | undefined {
  if (!PROSE.has(languageId)) return 'Diagram';
  return DIAGRAM_SOURCE.test(selected) ? 'Diagram' : undefined;
}

/** Short alt text from a prompt: its first meaningful line, without Markdown or code punctuation, cut at a word. */
export function altTextFrom(prompt: string, maxLength = 100): string {
  const line =
    prompt
      .split(/\r?\n/)
      .map((candidate) => candidate.replace(/```\w*|[`*_#>[\]<>!|]/g, ' ').replace(/\s+/g, ' ').trim())
      .find((candidate) => /[\p{L}\p{N}]/u.test(candidate)) ?? 'Generated image';
  if (line.length <= maxLength) return line;
  const cut = line.slice(0, maxLength);
  const space = cut.lastIndexOf(' ');
  return `${(space > maxLength / 2 ? cut.slice(0, space) : cut).trim()}…`;
}

/** The text inserted after the selection: the image on its own line (paragraph) with the alt text escaped. */
export function imageLinkText(style: LinkStyle, alt: string, target: string): string {
  if (style === 'html') {
    const escape = (value: string): string => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    return `<img src="${escape(target)}" alt="${escape(alt)}">`;
  }
  const safeTarget = /[\s()<>]/.test(target) ? `<${target.replace(/[<>]/g, encodeURIComponent)}>` : target;
  return `![${alt.replace(/([\\[\]])/g, '\\$1')}](${safeTarget})`;
}

/** A relative link target between two "/" paths: spaces and other unsafe characters percent-encoded. */
export function relativeTarget(fromFile: string, toFile: string): string {
  const from = fromFile.split('/').slice(0, -1).filter(Boolean);
  const to = toFile.split('/').filter(Boolean);
  let common = 0;
  while (common < from.length && common < to.length - 1 && from[common] === to[common]) common++;
  const parts = [...from.slice(common).map(() => '..'), ...to.slice(common)];
  return parts.map((part) => (part === '..' ? part : encodeURIComponent(part))).join('/');
}
