import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import ejs from 'ejs';
import type { PageRenderer } from './render.js';

/** A page rendered once with holes where its per-request values go. */
export interface PageSkeleton {
  /** The page with these values in its holes, each escaped as the template's `<%=` escapes it. */
  fill(values: Readonly<Record<string, string>>): string;
}

/** What a skeleton is rendered from: locals that are the same for many requests, and the names of the rest. */
export interface SkeletonSpec {
  /**
   * Locals the page is rendered with once (they are part of the cache key: keep their values few).
   * `languageSwitch: true` keeps the language switcher; its links' base (`switchBase`, which
   * depends on the request's URL: see languageSwitchBase) must then be one of the holes.
   */
  fixed: Readonly<Record<string, string | boolean | null>>;
  /** Locals left as holes, filled per request: strings the template prints with `<%=` and uses in no other way. */
  filled: readonly string[];
}

/** Renders pages whose only per-request parts are a few printed values, once per language and fixed locals. */
export interface PageSkeletons {
  /** The skeleton of `view` in the request's language for `spec`. */
  page(req: IncomingMessage, view: string, spec: SkeletonSpec): Promise<PageSkeleton>;
}

/** Most skeletons kept; the cache is emptied when it would grow past this. */
const MAX_SKELETONS = 1000;

/**
 * Pages rendered once and filled per request: the SAML post page carries a new response to the
 * same consumer service in the same language every time, and running its template (ejs's `with`
 * scope, the partials, the translations) costs more than the rest of sending it. Each hole is
 * rendered as a random marker (letters and digits, which escaping leaves as they are) and the
 * page is cut there; `fill` puts each value, escaped with ejs's own `escapeXML`, where the
 * template printed the marker, so the page is the one the template would have rendered. The page
 * has no language switcher unless the spec keeps it, with its links' base as a hole (the links
 * depend on the request's URL). Without `cache` (development
 * mode, templates edited while the server runs) every page is rendered anew.
 */
export function pageSkeletons(
  render: PageRenderer,
  languageOf: (req: IncomingMessage) => string,
  cache: boolean,
): PageSkeletons {
  const skeletons = new Map<string, PageSkeleton>();
  const marker = `pgHole${randomBytes(12).toString('hex')}`;
  return {
    async page(req, view, spec) {
      const key = JSON.stringify([view, languageOf(req), spec.fixed, spec.filled]);
      const known = skeletons.get(key);
      if (known) return known;
      if (spec.fixed.languageSwitch === true && !spec.filled.includes('switchBase'))
        throw new Error(`${view}: a page with the language switcher has switchBase among its holes`);
      const holes = Object.fromEntries(spec.filled.map((name, i) => [name, `${marker}x${i}x`]));
      const html = await render(req, view, { languageSwitch: false, ...spec.fixed, ...holes });
      const skeleton = cutAtHoles(html, marker, spec.filled, view);
      if (cache) {
        if (skeletons.size >= MAX_SKELETONS) skeletons.clear();
        skeletons.set(key, skeleton);
      }
      return skeleton;
    },
  };
}

/** The page cut at each hole's marker: text, hole, text ... (a hole may appear any number of times). */
function cutAtHoles(html: string, marker: string, names: readonly string[], view: string): PageSkeleton {
  const pieces = html.split(new RegExp(`${marker}x(\\d+)x`));
  const texts: string[] = [];
  const holes: string[] = [];
  pieces.forEach((piece, i) => {
    if (i % 2 === 0) texts.push(piece);
    else holes.push(names[Number(piece)]!);
  });
  for (const name of names)
    if (!holes.includes(name)) throw new Error(`${view}: the template does not print ${name} as it is`);
  return {
    fill(values) {
      let page = texts[0]!;
      for (let i = 0; i < holes.length; i++) page += ejs.escapeXML(values[holes[i]!]) + texts[i + 1]!;
      return page;
    },
  };
}
