import type { Request, Response } from 'express';
import type { PageRenderer } from '../../../web/render.js';
import type { LoginResponse } from '../response/response.js';

/**
 * Sends the auto-submitting HTTP-POST page (views/saml/post.ejs) that carries a response to the
 * SP's consumer service: SAMLResponse and RelayState in hidden fields, posted by
 * /assets/saml-post.js (the CSP allows no inline script), or by its Continue button without
 * script. Never cached: it holds a bearer assertion. No language switcher: its links would
 * repeat the SP's whole request (SAMLRequest, Signature) once per language, and following one
 * would replay a request already answered.
 */
export async function sendPostPage(
  render: PageRenderer,
  req: Request,
  res: Response,
  response: LoginResponse,
  applicationName: string,
): Promise<void> {
  const html = await render(req, 'saml/post', {
    acsUrl: response.acsUrl,
    samlResponse: response.samlResponse,
    relayState: response.relayState,
    applicationName,
    languageSwitch: false,
  });
  res.status(200).set('Cache-Control', 'no-store').type('html').send(html);
}
