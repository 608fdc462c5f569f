import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Request } from 'express';
import type { ResetSite } from '../../config/reset-schema.js';

/** The action a verified user may take on a reset site. */
export type ResetAction = 'reset' | 'unlock';

/** Whether a site offers an action (its `actions` setting). */
export function offers(site: ResetSite, action: ResetAction): boolean {
  return site.actions === 'both' || site.actions === action;
}

/** Whether a request is the site's: its host name when the site names one (any host otherwise). */
export function isForSite(site: ResetSite, req: Request): boolean {
  return site.host === undefined || req.hostname.toLowerCase() === site.host;
}

/**
 * The site's style sheet: its colours as the CSS variables the shared style sheet reads, so that
 * the pages carry no inline style (the Content-Security-Policy allows none).
 */
export function brandStylesheet(site: ResetSite): string {
  const { accent, ink, background } = site.colours;
  const variables = [accent && `--accent: ${accent};`, ink && `--ink: ${ink};`].filter(Boolean).join(' ');
  return [
    `:root { ${variables} }`,
    background ? `body { background: ${background}; }` : '',
    '.site-logo { display: block; max-height: 3rem; max-width: 12rem; margin-bottom: 1rem; }',
  ]
    .filter(Boolean)
    .join('\n');
}

/** A logo file's bytes and content type, read once at start (a missing file stops the start). */
export interface Logo {
  type: string;
  body: Buffer;
}

const LOGO_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

/** Reads a site's logo file, or undefined when it has none. */
export function readLogo(site: ResetSite): Logo | undefined {
  if (!site.logoFile) return undefined;
  const type = LOGO_TYPES[path.extname(site.logoFile).toLowerCase()];
  if (!type) throw new Error(`reset.sites ${site.name}: logoFile must be a .png, .svg, .jpg or .webp file`);
  return { type, body: readFileSync(site.logoFile) };
}
