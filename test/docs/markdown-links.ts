import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** One relative link of a Markdown file that leads nowhere, with the reason. */
export interface BrokenLink {
  file: string;
  line: number;
  target: string;
  reason: string;
}

/** The lines of a Markdown text outside fenced code blocks, with inline code spans blanked. */
function proseLines(text: string): Array<{ line: number; text: string }> {
  const lines: Array<{ line: number; text: string }> = [];
  let fence: string | undefined;
  text.split('\n').forEach((raw, index) => {
    const opening = raw.match(/^\s*(`{3,}|~{3,})/)?.[1];
    if (fence) {
      if (opening && opening[0] === fence[0] && opening.length >= fence.length) fence = undefined;
      return;
    }
    if (opening) {
      fence = opening;
      return;
    }
    lines.push({ line: index + 1, text: raw.replace(/(`+)[^`]*?\1/g, (span) => ' '.repeat(span.length)) });
  });
  return lines;
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as dashes. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Every anchor a Markdown text defines: its headings (duplicates numbered) and `<a id>` / `<a name>`. */
export function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const raw of text.split('\n')) {
    const opening = raw.match(/^\s*(`{3,}|~{3,})/)?.[1];
    if (fence) {
      if (opening && opening[0] === fence[0] && opening.length >= fence.length) fence = undefined;
      continue;
    }
    if (opening) {
      fence = opening;
      continue;
    }
    const heading = raw.match(/^#{1,6}\s+(.*?)\s*#*\s*$/)?.[1];
    if (heading !== undefined) {
      const base = headingAnchor(heading);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of raw.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(match[1]!);
  }
  return anchors;
}

/** The targets of the inline links and images of a Markdown text, with their line numbers. */
export function linksOf(text: string): Array<{ line: number; target: string }> {
  const links: Array<{ line: number; target: string }> = [];
  for (const { line, text: prose } of proseLines(text)) {
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      links.push({ line, target: match[1]! });
  }
  return links;
}

/**
 * The relative links of a Markdown file that lead nowhere: a missing file, or an anchor the
 * target Markdown file does not define. Links with a scheme (https:, mailto:) are not followed.
 */
export function brokenLinks(file: string): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const text = readFileSync(file, 'utf8');
  for (const { line, target } of linksOf(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [pathPart = '', anchor] = target.split('#', 2);
    const resolved = pathPart ? path.resolve(path.dirname(file), decodeURI(pathPart)) : file;
    const report = (reason: string) => broken.push({ file, line, target, reason });
    if (!existsSync(resolved)) {
      report('no such file');
      continue;
    }
    if (anchor === undefined) continue;
    if (statSync(resolved).isDirectory() || !resolved.endsWith('.md')) {
      report('an anchor into a file that is not Markdown');
      continue;
    }
    if (!anchorsOf(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor)))
      report(`no heading or anchor "#${anchor}" in ${path.basename(resolved)}`);
  }
  return broken;
}

/** A path of the repository named in a code span, e.g. `src/tokens/registry.ts`. */
const REPOSITORY_PATH = /`((?:src|test|scripts|views|locales|metadata|bin|bench|docker)\/[^`\s]*)`/g;

/**
 * The repository paths a Markdown file names in code spans that do not exist, so that a page
 * describing the code ("add one line in src/tokens/registry.ts") fails when the code moves.
 * Placeholders are skipped: `<lang>`, `*`, `{...}` and upper-case names such as `NAME.yaml`.
 */
export function missingPaths(file: string, root: string): Array<{ line: number; path: string }> {
  const missing: Array<{ line: number; path: string }> = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((text, index) => {
      for (const match of text.matchAll(REPOSITORY_PATH)) {
        const named = match[1]!;
        if (/[<*{]/.test(named) || named.split('/').some((part) => /^[A-Z]+(\.\w+)?$/.test(part))) continue;
        if (!existsSync(path.join(root, named))) missing.push({ line: index + 1, path: named });
      }
    });
  return missing;
}
