import type { Request, RequestHandler, Response, Router } from 'express';
import type { PassgateError } from '../../errors.js';
import { qrCodeDataUrl } from '../qr-code.js';
import { auditAction, requireSignedIn, type SignedIn, signedIn } from './current-user.js';
import type { SelfServiceDeps } from './deps.js';
import type { PendingEnrolment } from './enrolment.js';
import { checkEnrolment } from './enrolment-guard.js';
import { SelfServiceErrors } from './errors.js';
import { sendFactorAddedNotice } from './notify.js';

/**
 * Adding an authenticator: pick a profile, scan the QR code (or type the key), confirm with a
 * code. Every step re-checks the hardened-enrolment rules, and every outcome, refusals included,
 * is audited.
 */
export function addEnrolmentRoutes(router: Router, deps: SelfServiceDeps, form: RequestHandler): void {
  const { csrf } = deps;

  /** The signed-in user, allowed to add a factor now, or the refusal (audited). */
  const mayEnrol = async (req: Request, res: Response): Promise<SignedIn & { first: boolean }> => {
    const who = await requireSignedIn(deps, req, res);
    try {
      const { first } = checkEnrolment({
        session: who.session,
        user: who.user,
        factors: await deps.factors(who.user.id),
        windowDays: deps.settings.firstEnrolmentWindowDays,
        now: deps.clock(),
      });
      return { ...who, first };
    } catch (error) {
      if (SelfServiceErrors.is(error)) {
        await auditAction(
          deps,
          req,
          who,
          'selfservice.token.enrol',
          'denied',
          { rule: who.session.decision.rule },
          error.code,
        );
      }
      throw error;
    }
  };

  const showConfirm = async (
    req: Request,
    res: Response,
    pending: PendingEnrolment,
    error?: PassgateError,
  ) => {
    const { token } = pending;
    const html = await deps.render(req, 'selfservice/confirm', {
      csrfToken: csrf.token(req, res),
      tokenId: token.id,
      qrCode: await qrCodeDataUrl(pending.otpauthUri),
      secret: pending.secretBase32.replace(/(.{4})(?=.)/g, '$1 '),
      issuer: deps.settings.issuer,
      account: (await requireSignedIn(deps, req, res)).user.username,
      algorithm: token.algorithm,
      digits: token.digits,
      period: token.period,
      error: error ? { code: error.code, message: error.publicMessage } : null,
    });
    res
      .status(error?.status ?? 200)
      .type('html')
      .send(html);
  };

  router.get('/selfservice/enrol', async (req, res) => {
    if (!(await signedIn(deps, req, res))) return res.redirect(303, '/selfservice');
    await mayEnrol(req, res);
    const profiles = await deps.enrolment.profiles(deps.policies);
    res
      .type('html')
      .send(await deps.render(req, 'selfservice/enrol', { csrfToken: csrf.token(req, res), profiles }));
  });

  router.post('/selfservice/enrol', form, csrf.protect, async (req, res) => {
    const who = await mayEnrol(req, res);
    const wanted = String((req.body as Record<string, unknown>).profile ?? '');
    const profile = (await deps.enrolment.profiles(deps.policies)).find((p) => p.name === wanted);
    if (!profile) throw SelfServiceErrors.ENROL_NO_PROFILE({ detail: `no self-enrol profile ${wanted}` });
    const pending = await deps.enrolment.start(who.user, profile, who.session.sid);
    await auditAction(deps, req, who, 'selfservice.token.enrol', 'success', {
      token: pending.token.id,
      type: pending.token.type,
      profile: profile.name,
      first: who.first,
      status: 'pending',
    });
    res.redirect(303, `/selfservice/tokens/${encodeURIComponent(pending.token.id)}/confirm`);
  });

  // Showing the secret needs what confirming it needs: the session that started it, allowed to enrol.
  router.get('/selfservice/tokens/:id/confirm', async (req, res) => {
    if (!(await signedIn(deps, req, res))) return res.redirect(303, '/selfservice');
    const who = await mayEnrol(req, res);
    await showConfirm(
      req,
      res,
      await deps.enrolment.pending(who.user, String(req.params.id), who.session.sid),
    );
  });

  router.post('/selfservice/tokens/:id/confirm', form, csrf.protect, async (req, res) => {
    const who = await mayEnrol(req, res);
    const tokenId = String(req.params.id);
    const code = String((req.body as Record<string, unknown>).code ?? '').slice(0, 64);
    try {
      const token = await deps.enrolment.confirm(who.user, tokenId, who.session.sid, code);
      // A factor added is a change of what the account proves: the browser's session id is
      // renewed as after a proof, so an id seen before no longer rides on the session.
      await deps.sso.rotate(req, res, who.user, 'factor_added');
      await auditAction(deps, req, who, 'selfservice.token.activate', 'success', {
        token: token.id,
        type: token.type,
        first: who.first,
      });
      await sendFactorAddedNotice(deps.notice, who.user, token, {
        language: deps.language(req),
        address: req.ip ?? '',
      });
      res.redirect(303, '/selfservice?done=added');
    } catch (error) {
      if (!SelfServiceErrors.is(error, 'ENROL_INVALID_CODE')) throw error;
      await auditAction(
        deps,
        req,
        who,
        'selfservice.token.activate',
        'failure',
        { token: tokenId },
        error.code,
      );
      await showConfirm(req, res, await deps.enrolment.pending(who.user, tokenId, who.session.sid), error);
    }
  });
}
