import type { Request, Response } from 'express';
import type { BrowserBinding } from '../../login/browser-binding.js';
import type { FlowResult, LoginFlow, LoginFlowSource } from '../../login/flow.js';
import { SecondFactorSiteFlows } from '../site-sign-in.js';

/** The door and application name of the administration site in policies and the audit log. */
export const ADMIN_DOOR = 'admin';

/**
 * Why the hosted login asks for a second factor whatever the Authentication Policy says: a rule
 * may deny the administration site, never let the password alone in.
 */
export const ADMIN_STEP_UP = 'admin-site';

/** How long a sign-in to the administration site may take. */
export const ADMIN_FLOW_MINUTES = 15;

/** The cookie binding an administration sign-in in progress to its browser (path `/login/<uid>`). */
export const ADMIN_FLOW_COOKIE = 'passgate.admin.flow';

/** What the site does once the hosted login is done: with a second factor, or (never expected) without. */
export interface AdminSignInEnd {
  signedIn(req: Request, res: Response, result: FlowResult): Promise<void>;
  refused(req: Request, res: Response, result: FlowResult): Promise<void>;
}

/**
 * The administration site's sign-ins through the hosted login, bound to the browser that started
 * them. Every one asks for a second factor (`stepUp`), and a result without one is refused even
 * so: the site never starts a session on a password alone.
 */
export class AdminFlows implements LoginFlowSource {
  private readonly flows: SecondFactorSiteFlows<Record<string, never>>;

  constructor(
    binding: BrowserBinding<Record<string, never>>,
    end: AdminSignInEnd,
    applicationName: () => string,
  ) {
    this.flows = new SecondFactorSiteFlows(binding, {
      door: ADMIN_DOOR,
      stepUp: ADMIN_STEP_UP,
      site: 'administration',
      applicationName,
      signedOutPath: '/admin/signed-out',
      signedIn: (req, res, result) => end.signedIn(req, res, result),
      refused: (req, res, result) => end.refused(req, res, result),
    });
  }

  /** Starts a sign-in and sends the browser to the hosted login. */
  start(res: Response): Promise<void> {
    return this.flows.start(res, {});
  }

  load(req: Request, res: Response, uid: string): Promise<LoginFlow | undefined> {
    return this.flows.load(req, res, uid);
  }

  /** Drops this door's sign-ins that have expired (the site's clean-up job). */
  prune(now: number): Promise<number> {
    return this.flows.prune(now);
  }
}
