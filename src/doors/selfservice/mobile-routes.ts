import type { Request, RequestHandler, Response, Router } from 'express';
import { maskDestination } from '../../dispatch/mask.js';
import type { PassgateError } from '../../errors.js';
import { auditAction, requireSignedIn, type SignedIn, signedIn } from './current-user.js';
import type { SelfServiceDeps } from './deps.js';
import { SelfServiceErrors } from './errors.js';
import { ownMobile, setOwnMobile } from './mobile-tokens.js';
import { sendMobileChangedNotice } from './notify.js';
import { normaliseMobile } from './phone-number.js';

const mask = (mobile: string | null) => (mobile ? maskDestination(mobile) : null);

/**
 * Changing the own mobile number (`selfservice.mobileChange`): type the new number, then the
 * passcode texted to it. Only in a session signed in with a second factor, since the number then
 * receives the SMS passcodes. Audited with masked numbers only: `selfservice.mobile.change` (a
 * passcode sent, or a refusal) and `selfservice.mobile.changed` (done, or a wrong code).
 */
export function addMobileRoutes(router: Router, deps: SelfServiceDeps, form: RequestHandler): void {
  const { csrf } = deps;
  const sessionOf = (who: SignedIn) => who.session.sid;

  /** The signed-in user, allowed to change the number now, or the refusal (audited). */
  const mayChange = async (req: Request, res: Response): Promise<SignedIn> => {
    const who = await requireSignedIn(deps, req, res);
    if (!deps.settings.mobileChange) throw SelfServiceErrors.MOBILE_CHANGE_DISABLED();
    if (!who.session.mfa) {
      const error = SelfServiceErrors.MOBILE_NEEDS_MFA();
      await auditAction(deps, req, who, 'selfservice.mobile.change', 'denied', {}, error.code);
      throw error;
    }
    return who;
  };

  const showForm = async (req: Request, res: Response, who: SignedIn, error?: PassgateError) => {
    const html = await deps.render(req, 'selfservice/mobile', {
      csrfToken: csrf.token(req, res),
      current: mask(await ownMobile(deps.tokens, who.user)),
      error: error ? { code: error.code, message: error.publicMessage } : null,
    });
    res
      .status(error?.status ?? 200)
      .type('html')
      .send(html);
  };

  const showConfirm = async (
    req: Request,
    res: Response,
    who: SignedIn,
    id: string,
    error?: PassgateError,
  ) => {
    const pending = await deps.mobile.change.pending(who.user, sessionOf(who), id);
    // A passcode that could not go out (too soon, no gateway) is shown with the engine's text for its code.
    const shown = error
      ? { code: error.code, message: error.publicMessage }
      : pending.sendError
        ? { code: pending.sendError, message: pending.sendError }
        : null;
    const html = await deps.render(req, 'selfservice/mobile-confirm', {
      csrfToken: csrf.token(req, res),
      id: pending.id,
      sentTo: pending.sent?.destination ?? maskDestination(pending.mobile),
      error: shown,
    });
    res
      .status(error?.status ?? 200)
      .type('html')
      .send(html);
  };

  router.get('/selfservice/mobile', async (req, res) => {
    if (!(await signedIn(deps, req, res))) return res.redirect(303, '/selfservice');
    await showForm(req, res, await mayChange(req, res));
  });

  router.post('/selfservice/mobile', form, csrf.protect, async (req, res) => {
    const who = await mayChange(req, res);
    let mobile: string;
    try {
      mobile = normaliseMobile(
        String((req.body as Record<string, unknown>).mobile ?? ''),
        deps.mobile.country,
      );
    } catch (error) {
      if (!SelfServiceErrors.is(error, 'MOBILE_INVALID')) throw error;
      await auditAction(deps, req, who, 'selfservice.mobile.change', 'failure', {}, error.code);
      return showForm(req, res, who, error);
    }
    const id = await deps.mobile.change.start(
      who.user,
      sessionOf(who),
      mobile,
      deps.language(req),
      req.ip ?? '',
    );
    await auditAction(deps, req, who, 'selfservice.mobile.change', 'success', {
      change: id,
      to: maskDestination(mobile),
    });
    res.redirect(303, `/selfservice/mobile/${encodeURIComponent(id)}`);
  });

  router.get('/selfservice/mobile/:id', async (req, res) => {
    if (!(await signedIn(deps, req, res))) return res.redirect(303, '/selfservice');
    await showConfirm(req, res, await mayChange(req, res), String(req.params.id));
  });

  router.post('/selfservice/mobile/:id/resend', form, csrf.protect, async (req, res) => {
    const who = await mayChange(req, res);
    const id = String(req.params.id);
    await deps.mobile.change.resend(who.user, sessionOf(who), id);
    res.redirect(303, `/selfservice/mobile/${encodeURIComponent(id)}`);
  });

  router.post('/selfservice/mobile/:id/confirm', form, csrf.protect, async (req, res) => {
    const who = await mayChange(req, res);
    const id = String(req.params.id);
    const code = String((req.body as Record<string, unknown>).code ?? '').slice(0, 64);
    let mobile: string;
    try {
      mobile = await deps.mobile.change.confirm(who.user, sessionOf(who), id, code);
    } catch (error) {
      const wrong = SelfServiceErrors.is(error, 'MOBILE_INVALID_CODE');
      if (!wrong && !SelfServiceErrors.is(error, 'MOBILE_TOO_MANY_ATTEMPTS')) throw error;
      await auditAction(deps, req, who, 'selfservice.mobile.changed', 'failure', { change: id }, error.code);
      if (!wrong) throw error;
      return showConfirm(req, res, who, id, error);
    }
    const from = await ownMobile(deps.tokens, who.user);
    await setOwnMobile(deps.tokens, who.user, from, mobile);
    // Where the passcodes go is part of what the account proves: renewed as when a factor is added.
    await deps.sso.rotate(req, res, who.user, 'mobile_changed');
    await auditAction(deps, req, who, 'selfservice.mobile.changed', 'success', {
      change: id,
      from: mask(from),
      to: maskDestination(mobile),
    });
    await sendMobileChangedNotice(
      deps.notice,
      who.user,
      { to: mobile },
      {
        language: deps.language(req),
        address: req.ip ?? '',
      },
    );
    res.redirect(303, '/selfservice?done=mobile');
  });
}
