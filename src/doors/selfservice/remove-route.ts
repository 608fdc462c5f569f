import type { RequestHandler, Router } from 'express';
import { auditAction, requireSignedIn } from './current-user.js';
import type { SelfServiceDeps } from './deps.js';
import { SelfServiceErrors } from './errors.js';
import { checkRemoval } from './removal.js';

/** Removing one of the user's own authenticators (see {@link checkRemoval}); audited, refusals too. */
export function addRemovalRoute(router: Router, deps: SelfServiceDeps, form: RequestHandler): void {
  router.post('/selfservice/tokens/:id/remove', form, deps.csrf.protect, async (req, res) => {
    const who = await requireSignedIn(deps, req, res);
    const token = await deps.enrolment.ownToken(who.user, String(req.params.id));
    try {
      checkRemoval({
        token,
        session: who.session,
        factors: await deps.factors(who.user.id),
        requireMfa: deps.settings.requireMfa,
      });
    } catch (error) {
      if (SelfServiceErrors.is(error)) {
        await auditAction(
          deps,
          req,
          who,
          'selfservice.token.remove',
          'denied',
          { token: token.id },
          error.code,
        );
      }
      throw error;
    }
    await deps.tokens.remove(token.id);
    await auditAction(deps, req, who, 'selfservice.token.remove', 'success', {
      token: token.id,
      type: token.type,
      status: token.status,
    });
    res.redirect(303, '/selfservice?done=removed');
  });
}
