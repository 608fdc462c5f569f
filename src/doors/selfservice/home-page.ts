import type { Request, Response } from 'express';
import type { PassgateError } from '../../errors.js';
import { formatters } from '../../web/formatters.js';
import type { SignedIn } from './current-user.js';
import type { SelfServiceDeps } from './deps.js';
import { recentLogins } from './recent-logins.js';

/** Notices the home page shows after an action (`?done=`). */
const DONE = new Set(['added', 'removed', 'mobile']);

/** The home page: the user's sign-in methods, recent sign-ins, and what to do next. */
export async function showHome(
  deps: SelfServiceDeps,
  req: Request,
  res: Response,
  who: SignedIn,
  error?: PassgateError,
): Promise<void> {
  const [tokens, logins, factors] = await Promise.all([
    deps.tokens.listByUser(who.user.id),
    recentLogins(deps.audit, who.user.id),
    deps.factors(who.user.id),
  ]);
  const finishable = await deps.enrolment.openIn(tokens, who.session.sid);
  const done = typeof req.query.done === 'string' && DONE.has(req.query.done) ? req.query.done : null;
  const html = await deps.render(req, 'selfservice/home', {
    csrfToken: deps.csrf.token(req, res),
    name: who.user.displayName ?? who.user.username,
    tokens: tokens.map((token) => ({
      ...token,
      removable: deps.enrolment.isSelfService(token.type),
      // A pending token's setup is finished in the session that started it, before it expires.
      finishable: finishable.has(token.id),
    })),
    logins,
    // A user with factors whose sign-in skipped MFA can step up to enrol or remove.
    canStepUp: factors.length > 0 && !who.session.mfa,
    // The link to change the mobile number shows where the administrator allows it.
    mobileChange: deps.settings.mobileChange,
    done,
    error: error ? { code: error.code, message: error.publicMessage } : null,
    format: formatters(deps.language(req)),
  });
  res
    .status(error?.status ?? 200)
    .type('html')
    .send(html);
}
