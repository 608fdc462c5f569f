import type { Request, Response } from 'express';
import type { CsrfProtection } from '../../web/csrf.js';
import type { AdminPage, HeaderNotice } from './page.js';
import { allows } from './permissions.js';
import type { SignedInAdmin } from './signed-in.js';

/** Something that may warn in the header of every page (licence usage ...). */
export type HeaderNoticeSource = (admin: SignedInAdmin) => Promise<HeaderNotice[]>;

/** What the layout of every page is made from. */
export interface LayoutSource {
  pages: readonly AdminPage[];
  notices: readonly HeaderNoticeSource[];
  csrf: CsrfProtection;
}

/** What `views/admin/partials/top.ejs` renders: the header, the navigation, the notices. */
export interface Layout {
  admin: { name: string; username: string; role: string };
  /** The pages the administrator's role may open, in order, with the current one marked. */
  nav: Array<{ id: string; label: string; path: string; current: boolean }>;
  notices: HeaderNotice[];
  /** The CSRF token of the session (sign-out form, and every form of the page). */
  csrfToken: string;
}

/** The layout of a page for an administrator: navigation by permission, header notices, the form token. */
export async function layoutOf(
  source: LayoutSource,
  req: Request,
  res: Response,
  admin: SignedInAdmin,
): Promise<Layout> {
  const entries = source.pages
    .flatMap((page) => (page.nav ? [page.nav] : []))
    .filter((nav) => allows(admin.role, nav.permission))
    .sort((a, b) => a.order - b.order);
  const notices = (await Promise.all(source.notices.map((notice) => notice(admin)))).flat();
  return {
    admin: {
      name: admin.user.displayName ?? admin.user.username,
      username: admin.user.username,
      role: admin.role,
    },
    nav: entries.map((nav) => ({
      id: nav.id,
      label: nav.label,
      path: nav.path,
      current: nav.path === '/admin' ? req.path === '/admin' : req.path.startsWith(nav.path),
    })),
    notices,
    csrfToken: source.csrf.token(req, res),
  };
}
