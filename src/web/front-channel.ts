import type { ServerResponse } from 'node:http';

/** What a page that loads applications' front-channel logout URIs needs to show them. */
export interface LogoutFrame {
  application: string;
  url: string;
}

/**
 * Lets this one response frame the origins of the front-channel logout URIs it loads: the
 * Content-Security-Policy of every page allows only Passgate's own origin (default-src), so the
 * logout page's policy gains a `frame-src` naming exactly those origins.
 */
export function allowLogoutFrames(res: ServerResponse, frames: readonly LogoutFrame[]): void {
  if (frames.length === 0) return;
  const origins = [...new Set(frames.map((frame) => new URL(frame.url).origin))];
  const policy = String(res.getHeader('Content-Security-Policy') ?? "default-src 'self'");
  const kept = policy
    .split(';')
    .map((directive) => directive.trim())
    .filter((directive) => directive && !directive.startsWith('frame-src'));
  res.setHeader('Content-Security-Policy', [...kept, `frame-src 'self' ${origins.join(' ')}`].join(';'));
}
