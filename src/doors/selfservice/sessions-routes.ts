import type { Request, RequestHandler, Response, Router } from 'express';
import { formatters } from '../../web/formatters.js';
import { auditAction, requireSignedIn, type SignedIn, signedIn } from './current-user.js';
import type { SelfServiceDeps } from './deps.js';
import { SelfServiceErrors } from './errors.js';

/**
 * The Sessions page: the user's single sign-on sessions (device, country, started, last seen,
 * applications), this browser's marked; "sign out" ends one of them, "sign out everywhere" all
 * of them, on every server at its next request. Ending this browser's session signs it out here too.
 */
export function addSessionRoutes(router: Router, deps: SelfServiceDeps, form: RequestHandler): void {
  router.get('/selfservice/sessions', async (req, res) => {
    const who = await signedIn(deps, req, res);
    if (!who) return deps.flows.start(res);
    const sessions = await deps.sso.list({ userId: who.user.id });
    const html = await deps.render(req, 'selfservice/sessions', {
      csrfToken: deps.csrf.token(req, res),
      sessions: sessions.map((session) => ({
        ...session,
        current: session.id === who.session.sso,
        deviceShort: session.device?.slice(0, 8) ?? null,
      })),
      done: req.query.done === 'ended' ? 'ended' : null,
      format: formatters(deps.language(req)),
    });
    res.type('html').send(html);
  });

  router.post('/selfservice/sessions/:id/signout', form, deps.csrf.protect, async (req, res) => {
    const who = await requireSignedIn(deps, req, res);
    const session = await deps.sso.byId(String(req.params.id));
    if (!session || session.userId !== who.user.id || session.revoked)
      throw SelfServiceErrors.SESSION_NOT_YOURS();
    await auditAction(deps, req, who, 'selfservice.session.signout', 'success', { session: session.id });
    // This browser's session: the same single logout as the site's "Sign out".
    if (session.id === who.session.sso) return signOutOfEverything(deps, req, res, who);
    // Another browser's: no front channel can reach its applications (that browser is not here),
    // so it ends (its OIDC clients are told by back channel) and the SAML SPs are listed as skipped.
    await deps.sso.endElsewhere(session, revocation(req, who), 'selfservice');
    res.redirect(303, '/selfservice/sessions?done=ended');
  });

  router.post('/selfservice/sessions/signout-all', form, deps.csrf.protect, async (req, res) => {
    const who = await requireSignedIn(deps, req, res);
    const ended = await deps.sso.revokeUser(who.user.id, revocation(req, who));
    await auditAction(deps, req, who, 'selfservice.session.signout_all', 'success', { sessions: ended });
    await signOutHere(deps, req, res);
  });
}

/**
 * Signing out of Passgate in this browser: its single sign-on session ends on every server. With
 * applications to reach through the browser (SAML SPs, OIDC front-channel frames), the POST is
 * taken on (307) to the single logout chain at `/saml/logout`, which ends the session, signs each
 * application out, then shows the signed-out page; otherwise the session simply ends (its OIDC
 * clients are told by back channel either way).
 */
export async function signOutOfEverything(
  deps: SelfServiceDeps,
  req: Request,
  res: Response,
  who: SignedIn | undefined,
): Promise<void> {
  const sso = who?.session.sso ? await deps.sso.byId(who.session.sso) : undefined;
  const chain = who && sso && !sso.revoked ? await deps.sso.singleLogout(who.user.id, sso.id) : undefined;
  if (chain) {
    await deps.sessions.end(req, res);
    return res.redirect(307, chain);
  }
  if (who && sso) await deps.sso.revoke(sso, revocation(req, who));
  await signOutHere(deps, req, res);
}

/** The browser's own sign-out: its self-service session and single sign-on cookie go. */
export async function signOutHere(deps: SelfServiceDeps, req: Request, res: Response): Promise<void> {
  await deps.sessions.end(req, res);
  deps.sso.forget(res);
  res.redirect(303, '/selfservice/signed-out');
}

const revocation = (req: Request, who: SignedIn) => ({
  reason: 'logout',
  by: who.user.username,
  address: req.ip ?? null,
});
