import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { timeStep, totpCode } from '../../src/tokens/oath.js';
import { parseSecret } from '../../src/tokens/secrets.js';
import { checkIdToken, discoverTarget, FlowError, type Target, tokenRequest } from '../flows.js';
import { Browser, fillForm, text } from '../journeys/browser.js';
import type { ScenarioId } from '../settings.js';
import { LLNG_PORTAL_HOST, runScript, waitUntil } from './install.js';
import type { Peer } from './peer.js';

const PORTAL = `http://${LLNG_PORTAL_HOST}`;
const HOSTS = { [LLNG_PORTAL_HOST]: '127.0.0.1:8082' };
const CLIENT = { client_id: 'benchclient', client_secret: 'clientsecret' };
const CALLBACK = 'http://127.0.0.1:9999/cb';

/**
 * LemonLDAP::NG 2.16 from Debian (nginx + llng-fastcgi-server, 7 workers, Demo user store) as the
 * OIDC peer: the folder's init.sh (demo configuration merged with merge.json), then a TOTP device
 * registered for rtyler through the portal. Password journey: dwho; second factor: rtyler's TOTP.
 */
export const lemonLdap: Peer = {
  id: 'lemonldap',
  name: 'LemonLDAP::NG 2.16',
  packages: [
    ...'lemonldap-ng lemonldap-ng-fastcgi-server nginx libemail-sender-perl libconvert-base32-perl libdigest-hmac-perl'.split(
      ' ',
    ),
    ...'libgd-securityimage-perl libimage-magick-perl libmime-tools-perl libio-string-perl libapache-session-browseable-perl'.split(
      ' ',
    ),
    ...'libauthen-webauthn-perl libcache-cache-perl libclass-xsaccessor-perl libclone-perl libconfig-inifiles-perl'.split(
      ' ',
    ),
    ...'libcrypt-rijndael-perl libdbi-perl libhtml-template-perl libio-socket-timeout-perl libipc-run-perl libjson-perl'.split(
      ' ',
    ),
    ...'liblist-moreutils-perl libmouse-perl libnet-ldap-perl libplack-perl libregexp-assemble-perl libtext-unidecode-perl'.split(
      ' ',
    ),
    ...'libunicode-string-perl liburi-perl libwww-perl libcrypt-openssl-bignum-perl libcrypt-openssl-rsa-perl'.split(
      ' ',
    ),
    // String::Random: without it the OpenID Connect issuer does not load (every page a 500).
    ...'libcrypt-openssl-x509-perl libjson-xs-perl libstring-random-perl'.split(' '),
  ],
  journeys: ['journey-oidc-password', 'journey-oidc-otp'],
  async start(peersDir) {
    const dir = path.join(peersDir, 'lemonldap-ng');
    const stop = async () => void runScript(dir, 'stop.sh');
    try {
      runScript(dir, 'init.sh');
      await waitUntil('LemonLDAP::NG', async () => {
        const page = await new Browser(HOSTS).get(`${PORTAL}/`, 'portal');
        return page.reply.status === 200;
      });
    } catch (error) {
      await stop();
      throw error;
    }
    let totpSecret: Promise<Uint8Array> | undefined;
    const target = await discoverTarget('http://127.0.0.1:8082', CLIENT);
    return {
      pids: () =>
        ['llng-fastcgi.pid', 'nginx.pid'].map((f) => Number(readFileSync(path.join(dir, 'run', f), 'utf8'))),
      prepare: async (journey, count) => {
        const otp = journey === 'journey-oidc-otp';
        if (otp) totpSecret ??= registerTotp('rtyler');
        const secret = otp ? await totpSecret : undefined;
        return Array.from({ length: count }, () => ({
          op: (steps) => llngSignIn(target, journey, secret, steps).then(() => {}),
        }));
      },
      stop,
    };
  },
};

/**
 * Registers a TOTP device for a demo user (password = user name) through the portal's own
 * self-registration API, as its web page does; returns the secret.
 */
async function registerTotp(user: string): Promise<Uint8Array> {
  const browser = new Browser(HOSTS);
  const page = await browser.get(`${PORTAL}/`, 'portal');
  const login = fillForm(page, 'password', { user, password: user }, 'portal');
  await browser.post(login.action, login.form, 'portal login');
  const api = { accept: 'application/json', 'x-csrf-check': '1' };
  const key = await browser.post(`${PORTAL}/2fregisters/totp/getkey`, {}, 'totp getkey', { headers: api });
  let answer: { secret?: string; token?: string } = {};
  try {
    answer = JSON.parse(key.reply.body) as typeof answer;
  } catch {}
  const { secret, token } = answer;
  if (!secret || !token)
    throw new Error(`LemonLDAP::NG TOTP registration (HTTP ${key.reply.status}): ${text(key.reply.body)}`);
  const bytes = parseSecret(secret);
  const code = totpCode(bytes, timeStep(Date.now(), 30), 30, { algorithm: 'SHA1', digits: 6 });
  const verified = await browser.post(
    `${PORTAL}/2fregisters/totp/verify`,
    { token, code, TOTPName: 'bench' },
    'totp verify',
    { headers: api },
  );
  if (verified.reply.status !== 200 || /error/i.test(verified.reply.body))
    throw new Error(`LemonLDAP::NG TOTP registration refused: ${verified.reply.body.slice(0, 200)}`);
  return bytes;
}

/** One OIDC sign-in through the portal's form (and its TOTP form), then the token exchange. */
async function llngSignIn(
  target: Target,
  journey: ScenarioId,
  totpSecret: Uint8Array | undefined,
  steps: Record<string, number>,
): Promise<Record<string, unknown>> {
  const browser = new Browser(HOSTS);
  const user = totpSecret ? 'rtyler' : 'dwho';
  const nonce = randomBytes(16).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: CLIENT.client_id,
    redirect_uri: CALLBACK,
    scope: 'openid profile email',
    state: randomBytes(16).toString('base64url'),
    nonce,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  });
  let mark = performance.now();
  const lap = (step: string) => {
    const now = performance.now();
    steps[step] = now - mark;
    mark = now;
  };
  const page = await browser.get(`${PORTAL}/oauth2/authorize?${query}`, 'authorize', CALLBACK);
  const login = fillForm(page, 'password', { user, password: user }, 'loginPage');
  lap('loginPage');
  let landed = await browser.post(login.action, login.form, 'loginPost', { stopAt: CALLBACK });
  lap('loginPost');
  if (totpSecret) {
    const code = totpCode(totpSecret, timeStep(Date.now(), 30), 30, { algorithm: 'SHA1', digits: 6 });
    const form = fillForm(landed, 'code', { code }, 'secondFactor');
    landed = await browser.post(form.action, form.form, 'secondFactor', { stopAt: CALLBACK });
    lap('secondFactor');
  }
  const code = landed.url.startsWith(CALLBACK) ? new URL(landed.url).searchParams.get('code') : null;
  if (!code) throw new FlowError(journey, 'no code', `ended at ${landed.url} (HTTP ${landed.reply.status})`);
  const tokens = await tokenRequest(
    target,
    { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier },
    'token',
  );
  if (!tokens.id_token) throw new FlowError('token', 'no id_token', 'token response without id_token');
  const claims = checkIdToken(target, tokens.id_token, nonce);
  lap('token');
  return claims;
}
