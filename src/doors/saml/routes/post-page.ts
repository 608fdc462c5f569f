import type { ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import { sendHtml } from '../../../web/send-html.js';
import type { PageSkeletons } from '../../../web/skeleton.js';
import type { LoginResponse } from '../response/response.js';

/** Sends the page that carries a response to the SP's consumer service. */
export type PostPage = (
  req: Request,
  res: Response,
  response: LoginResponse,
  applicationName: string,
) => Promise<void>;

/**
 * The auto-submitting HTTP-POST page (views/saml/post.ejs) that carries a response to the SP's
 * consumer service: SAMLResponse and RelayState in hidden fields, posted by
 * /assets/saml-post.js (the CSP allows no inline script), or by its Continue button without
 * script. Never cached: it holds a bearer assertion. No language switcher: its links would
 * repeat the SP's whole request (SAMLRequest, Signature) once per language, and following one
 * would replay a request already answered. The page of each language, SP and consumer service is
 * rendered once (skeleton.ts); each answer fills in its escaped SAMLResponse and RelayState.
 */
export function createPostPage(skeletons: PageSkeletons): PostPage {
  return async (req, res, response, applicationName) => {
    const hasRelayState = typeof response.relayState === 'string';
    const page = await skeletons.page(req, 'saml/post', {
      fixed: { acsUrl: response.acsUrl, applicationName },
      filled: hasRelayState ? ['samlResponse', 'relayState'] : ['samlResponse'],
    });
    const html = page.fill(
      hasRelayState
        ? { samlResponse: response.samlResponse, relayState: response.relayState as string }
        : { samlResponse: response.samlResponse },
    );
    res.setHeader('Cache-Control', 'no-store');
    sendHtml(res as ServerResponse, 200, html);
  };
}
