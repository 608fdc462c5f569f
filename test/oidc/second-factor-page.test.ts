import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolOath } from '../../src/tokens/enrol.js';
import { hotpCode } from '../../src/tokens/oath.js';
import { PASSWORD, type PolicyServer, REDIRECT, SignIn, startPolicyServer } from '../policy/support.js';
import { type Browser, type Exchange, formField } from '../support/browser.js';

const HOTP_SECRET = Buffer.from('abcdefghijabcdefghij');
/** The secret of the test server's TOTP codes (PolicyServer.totp). */
const TOTP_SECRET = Buffer.from('12345678901234567890');

/** Posts the code form as the browser would, with its hidden fields (the chosen token among them). */
async function submitCode(browser: Browser, page: Exchange, code: string) {
  const form = /<form method="post" action="([^"]+\/mfa)" novalidate>([\s\S]*?)<\/form>/.exec(page.body)!;
  const fields: Record<string, string> = { code };
  for (const m of form[2]!.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g))
    fields[m[1]!] = m[2]!;
  return browser.follow(new URL(form[1]!, page.url).toString(), { form: fields }, (l) =>
    l.startsWith(REDIRECT),
  );
}

/** The lead paragraphs above the code field. */
const leads = (page: Exchange) =>
  [...page.body.matchAll(/<p class="lead"[^>]*>([^<]*)<\/p>/g)].map((m) => m[1]!.trim());

/** Each entry of "Other ways to confirm": its text, and the link or button that acts on it. */
function alternatives(page: Exchange) {
  const list = /<ul class="methods">([\s\S]*?)<\/ul>/.exec(page.body)?.[1] ?? '';
  return [...list.matchAll(/<li [^>]*>([\s\S]*?)<\/li>/g)].map((m) => {
    const item = m[1]!;
    const link = /<a class="link" href="([^"]+)">([^<]*)<\/a>/.exec(item);
    const button = /<button type="submit" class="link">([^<]*)<\/button>/.exec(item);
    return {
      text: (link?.[2] ?? button?.[1] ?? item.replace(/<[^>]+>/g, '')).trim(),
      action: link ? 'link' : button ? 'button' : 'none',
      href: link?.[1]?.replace(/&amp;/g, '&'),
    };
  });
}

describe('the second-factor page offers only what the user has, each as an action', () => {
  let server: PolicyServer;
  beforeAll(async () => {
    server = await startPolicyServer();
  });
  afterAll(() => server?.close());

  it('asks for the authenticator code alone when the user has nothing else, and promises no passcode', async () => {
    await server.addTotpUser('tom');
    const signIn = await SignIn.start(await server.rp());
    await signIn.password('tom', PASSWORD);
    expect(signIn.asksSecondFactor).toBe(true);
    expect(leads(signIn.page)).toEqual(['Enter the code from your authenticator app']);
    expect(signIn.page.body).not.toMatch(/passcode/i);
    expect(signIn.page.body).not.toContain('Other ways to confirm');
    await signIn.code(server.totp());
    expect(signIn.callback).toBeDefined();
  });

  it('lists every other token, a backup code and the phone as links and buttons, and the chosen one is asked for', async () => {
    const user = await server.addUser('uma', PASSWORD, { mobile: '+33612345642' });
    await enrolOath(
      server.core.tokens,
      { userId: user.id, label: 'uma', type: 'totp', secret: TOTP_SECRET, description: 'Phone' },
      'Passgate',
    );
    const hotp = await enrolOath(
      server.core.tokens,
      { userId: user.id, label: 'uma', type: 'hotp', secret: HOTP_SECRET, serial: 'HW-0042', hardware: true },
      'Passgate',
    );
    const backup = await server.core.tokenTypes.get('backup')!.enrol!({
      id: 'BACKUP-uma',
      userId: user.id,
      label: 'uma',
      issuer: 'Passgate',
      settings: { count: 3 },
    });
    const [backupCode] = backup.codes!;

    const signIn = await SignIn.start(await server.rp());
    await signIn.password('uma', PASSWORD);
    expect(leads(signIn.page)).toEqual(['Enter the code from your authenticator app (Phone)']);
    const others = alternatives(signIn.page);
    expect(others).toEqual([
      {
        text: 'Use your token (HW-0042) instead',
        action: 'link',
        href: expect.stringMatching(/\/mfa\?token=HOTP/),
      },
      { text: 'Send a passcode by SMS to +33 6 •• •• •• 42', action: 'button', href: undefined },
      { text: 'Call +33 6 •• •• •• 42 with a passcode', action: 'button', href: undefined },
      {
        text: 'Use a backup code instead',
        action: 'link',
        href: expect.stringMatching(/\/mfa\?token=BACKUP-uma$/),
      },
    ]);
    expect(signIn.offered).toEqual(['totp', 'hotp', 'sms', 'voice', 'backup']);

    // Choosing the hardware token: the page asks for its code, and offers the app among the others.
    const chosen = await signIn.browser.fetch(new URL(others[0]!.href!, signIn.page.url).toString());
    expect(chosen.status).toBe(200);
    expect(leads(chosen)).toEqual(['Enter the code from your token (HW-0042)']);
    expect(chosen.body).toContain(`name="token" value="${hotp.token.id}"`);
    expect(alternatives(chosen).map((a) => a.text)).toContain('Use your authenticator app (Phone) instead');
    // Only the chosen token is tried: the app's code is refused, the token's accepted.
    const refused = await submitCode(signIn.browser, chosen, server.totp());
    expect(refused.last.status).toBe(401);
    expect(leads(refused.last)).toEqual(['Enter the code from your token (HW-0042)']);
    const accepted = await submitCode(
      signIn.browser,
      refused.last,
      hotpCode(HOTP_SECRET, 0, { algorithm: 'SHA1', digits: 6 }),
    );
    expect(accepted.location).toBeDefined();
    const [login] = await server.logins('uma');
    expect(login?.details).toMatchObject({ method: 'hotp' });

    // A backup code, chosen from the list, on the next sign-in.
    const again = await SignIn.start(await server.rp());
    await again.password('uma', PASSWORD);
    const backupLink = alternatives(again.page).find((a) => a.text === 'Use a backup code instead')!;
    const backupPage = await again.browser.fetch(new URL(backupLink.href!, again.page.url).toString());
    expect(leads(backupPage)).toEqual(['Enter one of your backup codes']);
    expect((await submitCode(again.browser, backupPage, backupCode!)).location).toBeDefined();
  });

  it('says a passcode was sent only after one was, and then offers the app as the other way', async () => {
    const user = await server.addUser('vic', PASSWORD, { mobile: '+33612345643' });
    await enrolOath(
      server.core.tokens,
      { userId: user.id, label: 'vic', type: 'totp', secret: HOTP_SECRET },
      'P',
    );
    const signIn = await SignIn.start(await server.rp());
    await signIn.password('vic', PASSWORD);
    const smsToken = /name="token" value="(SMS[^"]*)"/.exec(signIn.page.body)![1]!;
    const sent = await signIn.browser.fetch(signIn.page.url, {
      form: { _csrf: formField(signIn.page.body, '_csrf')!, action: 'send', token: smsToken },
    });
    expect(leads(sent)).toEqual(['We sent a passcode by SMS to +33 6 •• •• •• 43.']);
    expect(alternatives(sent).map((a) => a.text)).toEqual([
      'Use your authenticator app instead',
      'Send a passcode by SMS to +33 6 •• •• •• 43',
      'Call +33 6 •• •• •• 43 with a passcode',
    ]);
  });
});
