import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PolicyServer, SignIn, startPolicyServer } from '../policy/support.js';
import { TEST_CLIENT } from '../support/server.js';
import { SelfServiceBrowser } from './support.js';

/** The "Signed in to" details of the home page's list of recent sign-ins, newest first. */
const signedInTo = (html: string) =>
  [...html.matchAll(/<span class="detail">Signed in to: ([^·]*) ·/g)].map((m) => m[1]!.trim());

describe('self-service: recent sign-ins name the applications', () => {
  let server: PolicyServer;
  const { client_name: _name, ...withoutName } = TEST_CLIENT;
  const unnamed = { ...withoutName, client_id: 'unnamed-app' };
  beforeAll(async () => {
    server = await startPolicyServer({ clients: [TEST_CLIENT, unnamed] });
  });
  afterAll(() => server?.close());

  it("shows the OIDC client's client_name, the id of a client without one, and the site's own title", async () => {
    await server.addTotpUser('ann');
    for (const clientId of ['unnamed-app', TEST_CLIENT.client_id]) {
      const signIn = await SignIn.start(await server.rp(clientId));
      await signIn.password('ann');
      await signIn.code(server.totp());
      expect(signIn.callback).toBeDefined();
    }
    const ss = new SelfServiceBrowser(server);
    await ss.signIn('ann', () => server.totp());
    expect(ss.atHome).toBe(true);
    expect(signedInTo(ss.page.body)).toEqual(['My sign-in security', 'Test Application', 'unnamed-app']);
    const [, named] = await server.logins('ann');
    expect(named?.details).toMatchObject({ application: 'test-app', applicationName: 'Test Application' });
  });
});
