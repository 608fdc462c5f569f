import type { Request, Response } from 'express';
import { type BrowserBinding, loginPath } from '../login/browser-binding.js';
import { LoginErrors } from '../login/errors.js';
import type { FlowResult, LoginFlow, LoginFlowSource } from '../login/flow.js';

/**
 * Ends a site's sign-in through the hosted login once, for the administration and self-service
 * sites alike: a second finish or cancel (two tabs, a replayed cookie) is LOGIN_EXPIRED.
 */
export async function completeSiteSignIn<State extends object>(
  binding: BrowserBinding<State>,
  res: Response,
  uid: string,
  site: string,
): Promise<void> {
  if (!(await binding.complete(res, uid))) {
    throw LoginErrors.LOGIN_EXPIRED({ detail: `${site} sign-in ${uid} already ended` });
  }
}

/** How a site that never lets a password alone in ends its sign-ins. */
export interface SecondFactorSiteOptions<State extends object> {
  /** The door and application name of the site in policies and the audit log. */
  door: string;
  /** Why the hosted login asks for a second factor whatever the Authentication Policy says. */
  stepUp: string;
  /** Names the site in the detail of a replayed finish (`administration` ...). */
  site: string;
  /** What users see: "Sign in to continue to <applicationName>". */
  applicationName: () => string;
  /** Where a cancelled sign-in ends. */
  signedOutPath: string;
  /** The sign-in passed a second factor: the site starts its session. */
  signedIn(req: Request, res: Response, result: FlowResult, state: State): Promise<void>;
  /** The sign-in ended without one (never expected: the step-up asks for it): the site refuses. */
  refused(req: Request, res: Response, result: FlowResult, state: State): Promise<void>;
}

/**
 * The sign-ins of a site that always asks for a second factor (the administration site, the
 * Device Provisioning site), bound to the browser that started them: every one asks for it
 * (`stepUp`), and a result without one is refused even so. `State` is what the site keeps
 * server-side while the hosted login runs (where to go back to ...).
 */
export class SecondFactorSiteFlows<State extends object> implements LoginFlowSource {
  constructor(
    private readonly binding: BrowserBinding<State>,
    private readonly options: SecondFactorSiteOptions<State>,
  ) {}

  /** Starts a sign-in keeping `state`, and sends the browser to the hosted login. */
  async start(res: Response, state: State): Promise<void> {
    res.redirect(303, loginPath(await this.binding.start(res, state)));
  }

  async load(req: Request, _res: Response, uid: string): Promise<LoginFlow | undefined> {
    const bound = await this.binding.load(req, uid);
    if (!bound) return undefined;
    const { door, stepUp, site, signedOutPath } = this.options;
    return {
      uid,
      door,
      application: door,
      applicationName: this.options.applicationName(),
      stepUp,
      finish: async (request, response, result, writes) => {
        await writes?.commit();
        await completeSiteSignIn(this.binding, response, uid, site);
        if (result.mfa) await this.options.signedIn(request, response, result, bound.state);
        else await this.options.refused(request, response, result, bound.state);
      },
      cancel: async (_request, response) => {
        await completeSiteSignIn(this.binding, response, uid, site);
        response.redirect(303, signedOutPath);
      },
    };
  }

  /** Drops this site's sign-ins that have expired (the site's clean-up job). */
  prune(now: number): Promise<number> {
    return this.binding.prune(now);
  }
}
