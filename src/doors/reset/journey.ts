import { randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import type { ResetSite } from '../../config/reset-schema.js';
import type { SecretBox } from '../../crypto/secret-box.js';
import { type BrowserBinding, loginPath } from '../../login/browser-binding.js';
import { LoginErrors } from '../../login/errors.js';
import type { FlowBranding, LoginFlow, LoginFlowSource } from '../../login/flow.js';
import type { LoginFlowsRepository } from '../../store/repositories/login-flows.js';
import { SealedCookie } from '../../web/sealed-cookie.js';

/** The door's name in policies (the `doors` condition) and in the audit log. */
export const RESET_DOOR = 'reset';

/** Why the hosted login asks for a second factor whatever the rules say: a reset never goes on a password. */
export const RESET_STEP_UP = 'reset';

/** The cookie binding a journey's verification to its browser (path `/login/<uid>`). */
export const RESET_FLOW_COOKIE = 'passgate.reset.flow';

/** The store's name (login_flows.door) of verified journeys, each spent once. */
const VERIFIED = 'reset-verified';

/** What a journey keeps server-side while the hosted login verifies the user. */
export interface PendingReset {
  site: string;
  userId: string;
  username: string;
}

/** A journey whose user passed the second factor: what the site's last step acts on, once. */
export interface VerifiedJourney {
  /** Random id: the journey's forms are bound to it, and it is spent by the reset or unlock. */
  id: string;
  site: string;
  userId: string;
  username: string;
  verifiedAt: number;
  /** The second factor the user passed (its token type), for the attempt the journey ends with. */
  method?: string;
  /** The journey's end, counted from the user name step (never moved forward). */
  expiresAt: number;
}

/**
 * The reset journeys of every site: the second factor runs on the hosted login (`/login/:uid`,
 * bound to the browser that typed the user name, once, short-lived), then a sealed cookie of the
 * site carries the verified journey to the last step, which spends it: one atomic write of the
 * store, so that two requests (or a copy of the cookie) never act twice.
 */
export class ResetJourneys implements LoginFlowSource {
  private readonly cookies = new Map<string, SealedCookie<VerifiedJourney>>();

  constructor(
    private readonly binding: BrowserBinding<PendingReset>,
    private readonly sites: readonly ResetSite[],
    private readonly flows: LoginFlowsRepository,
    /** A site's look (title, logo, colours), which its second-factor step wears too. */
    private readonly brandingOf: (site: ResetSite) => FlowBranding,
    private readonly clock: Clock,
    box: SecretBox,
    secure: boolean,
  ) {
    for (const site of sites)
      this.cookies.set(
        site.name,
        new SealedCookie(box, { name: `passgate.reset.${site.name}`, path: site.path, secure }),
      );
  }

  /** Starts the verification of a user who may reset, and sends the browser to the hosted login. */
  async start(res: Response, pending: PendingReset): Promise<string> {
    return loginPath(await this.binding.start(res, pending));
  }

  async load(req: Request, _res: Response, uid: string): Promise<LoginFlow | undefined> {
    const bound = await this.binding.load(req, uid);
    const site = bound && this.sites.find((s) => s.name === bound.state.site);
    if (!bound || !site) return undefined;
    const pending = bound.state;
    return {
      uid,
      door: RESET_DOOR,
      application: site.name,
      applicationName: this.brandingOf(site).title,
      branding: this.brandingOf(site),
      sessionUserId: pending.userId,
      stepUp: RESET_STEP_UP,
      startsSession: false,
      finish: async (_request, response, result, writes) => {
        await writes?.commit();
        await this.complete(response, uid);
        // Never verified without a second factor, whatever a policy or licence rule let through.
        if (!result.mfa) return response.redirect(303, `${site.path}/verified`);
        await this.open(site, response, {
          site: site.name,
          userId: result.userId,
          username: pending.username,
          verifiedAt: this.clock(),
          ...(result.method ? { method: result.method } : {}),
          expiresAt: bound.expiresAt,
        });
        response.redirect(303, `${site.path}/verified`);
      },
      cancel: async (_request, response) => {
        await this.complete(response, uid);
        response.redirect(303, site.path);
      },
    };
  }

  /** The browser's verified journey on a site, when it is open and not spent. */
  async verified(site: ResetSite, req: Request): Promise<VerifiedJourney | undefined> {
    const journey = this.cookieOf(site).read(req, this.clock());
    if (!journey || journey.site !== site.name) return undefined;
    return (await this.flows.findOpen(VERIFIED, journey.id, this.clock())) ? journey : undefined;
  }

  /**
   * Spends a journey, before it acts: false when another request spent it first (or it expired).
   */
  spend(journey: VerifiedJourney): Promise<boolean> {
    return this.flows.complete(VERIFIED, journey.id, this.clock());
  }

  /**
   * A journey spent by an action the directory refused (a password against its rules), opened
   * again under a new id until the same end: the user tries once more, and the old forms are void.
   */
  renew(site: ResetSite, res: Response, spent: VerifiedJourney): Promise<VerifiedJourney> {
    const { id: _spent, ...rest } = spent;
    return this.open(site, res, rest);
  }

  /** Ends the browser's journey on a site (its cookie). */
  forget(site: ResetSite, res: Response): void {
    this.cookieOf(site).clear(res);
  }

  /** Drops journeys that expired, verified ones included (the door's clean-up job). */
  async prune(now: number): Promise<number> {
    return (await this.binding.prune(now)) + (await this.flows.prune(VERIFIED, now));
  }

  /** Records a verified journey (to be spent once) and gives the browser its cookie. */
  private async open(
    site: ResetSite,
    res: Response,
    fields: Omit<VerifiedJourney, 'id'>,
  ): Promise<VerifiedJourney> {
    const now = this.clock();
    const journey: VerifiedJourney = { id: randomBytes(18).toString('base64url'), ...fields };
    await this.flows.create({
      uid: journey.id,
      door: VERIFIED,
      state: JSON.stringify({ site: journey.site, userId: journey.userId }),
      // The sealed cookie is the browser's proof; the row only makes its one use atomic.
      secret_hash: '',
      created_at: now,
      expires_at: journey.expiresAt,
      completed_at: null,
    });
    this.cookieOf(site).write(res, journey, now);
    return journey;
  }

  private cookieOf(site: ResetSite): SealedCookie<VerifiedJourney> {
    return this.cookies.get(site.name)!;
  }

  /** Ends the verification once: a second finish (two tabs, a replayed cookie) is LOGIN_EXPIRED. */
  private async complete(res: Response, uid: string): Promise<void> {
    if (!(await this.binding.complete(res, uid)))
      throw LoginErrors.LOGIN_EXPIRED({ detail: `reset verification ${uid} already ended` });
  }
}
