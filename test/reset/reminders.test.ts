// Password-expiry reminders from real pwdLastSet values on the Samba DC: fine-grained policies give
// freshly set passwords a maximum age of 1, 5 or 10 days; the server's job sends each due reminder
// once (claimed in the store) by e-mail through a real SMTP server, in the user's language, with
// the link to the reset site; the CLI's dry run lists the same reminders without sending.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AD_PASSWORD_ENV, adDirectoryConfig } from '../support/ad.js';
import { runCli, writeConfig } from '../support/cli.js';
import { createOu, createPso, createUser, holdDc, requireDc } from '../support/samba/index.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { smtpGateway, startSmtpRelay } from '../support/smtp-relay.js';

const dc = requireDc(inject('samba'));
const tag = randomBytes(3).toString('hex');
const name = (role: string) => `${role}${tag}`;

/** A real SMTP server on loopback (no TLS, no login) keeping what it accepts. */

/** The text of a MIME message with quoted-printable lines joined and decoded (UTF-8). */
function decoded(raw: string): string {
  const joined = raw.replace(/=\r?\n/g, '');
  return Buffer.from(
    joined.replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

let release: () => Promise<void>;
let relay: Awaited<ReturnType<typeof startSmtpRelay>>;
let passgate: TestServer;
let configFile: string;
beforeAll(async () => {
  release = await holdDc(dc, 'shared');
  relay = await startSmtpRelay();
  const ou = await createOu(dc, `Remind${tag}`);
  const user = (role: string, extra: Parameters<typeof createUser>[1] extends infer O ? Partial<O> : never) =>
    createUser(dc, { sam: name(role), container: ou.dn, ...extra });
  const soon = await user('soon', {
    mail: `${name('soon')}@example.test`,
    attributes: { preferredLanguage: 'fr-FR' },
  });
  const later = await user('later', { mail: `${name('later')}@example.test` });
  const phoneOnly = await user('phone', { mobile: '+33611112222' });
  const never = await user('never', {
    mail: `${name('never')}@example.test`,
    attributes: { userAccountControl: String(0x200 | 0x10000) },
  });
  const mustChange = await user('must', { mail: `${name('must')}@example.test`, mustChangePassword: true });
  const disabled = await user('off', { mail: `${name('off')}@example.test`, disabled: true });
  await user('domain', { mail: `${name('domain')}@example.test` }); // the domain's 42 days: not yet
  await createPso(dc, { name: `Pso10${tag}`, appliesTo: [later], precedence: 10, maxPasswordAgeDays: 10 });
  await createPso(dc, {
    name: `Pso5${tag}`,
    appliesTo: [soon, never, mustChange, disabled],
    precedence: 11,
    maxPasswordAgeDays: 5,
  });
  await createPso(dc, { name: `Pso1${tag}`, appliesTo: [phoneOnly], precedence: 12, maxPasswordAgeDays: 1 });
  const directory = adDirectoryConfig(dc, { baseDn: ou.dn });
  const reset = { sites: [{ name: 'corp', path: '/reset', reminders: { daysBefore: [14, 7, 1] } }] };
  const dispatch = {
    gateways: [smtpGateway(relay.port)],
  };
  passgate = await startTestServer({ config: { directory, reset, dispatch } as never });
  configFile = writeConfig({
    directory,
    reset,
    dispatch,
    database: { url: passgate.config.database.url },
  }).file;
});
afterAll(async () => {
  await passgate?.close();
  await relay?.close();
  await release?.();
});

const dryRun = async () => {
  const run = await runCli(['reset', 'reminders', '--dry-run', '--json', '--config', configFile], {
    env: { [AD_PASSWORD_ENV]: dc.adminPassword },
  });
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as Array<Record<string, unknown>>).map((r) => [
    r.username,
    r.daysBefore,
    r.language,
    r.status,
  ]);
};

describe('password-expiry reminders', () => {
  it('lists in a dry run the users whose password expires within 14 days, at the threshold reached', async () => {
    expect(await dryRun()).toEqual([
      [name('phone'), 1, 'en', 'due'],
      [name('soon'), 7, 'fr', 'due'],
      [name('later'), 14, 'en', 'due'],
    ]);
    expect(relay.received).toHaveLength(0);
  });

  it('sends each once, by e-mail in the user’s language with the link to the reset site', async () => {
    const job = passgate.server.services()!.doors.reset!.scheduledJobs![0]!;
    await job.run();
    expect(relay.received.map((m) => m.to[0]).sort()).toEqual([
      `${name('later')}@example.test`,
      `${name('soon')}@example.test`,
    ]);
    const french = decoded(relay.received.find((m) => m.to[0]!.startsWith(name('soon')))!.raw);
    expect(french).toContain(`Le mot de passe de votre compte ${name('soon')} expire le`);
    expect(french).toContain(`${passgate.server.publicUrl}/reset`);
    const english = decoded(relay.received.find((m) => m.to[0]!.startsWith(name('later')))!.raw);
    expect(english).toContain(`The password of your account ${name('later')} expires on`);
    // The user with a mobile number only: no SMS gateway here, audited as such.
    const audit = await passgate.core.audit.recent({ type: 'reset.reminder', limit: 10 });
    expect(audit.map((e) => [e.username, e.outcome, e.reason ?? null]).sort()).toEqual(
      [
        [name('later'), 'success', null],
        [name('phone'), 'failure', 'NO_DESTINATION'],
        [name('soon'), 'success', null],
      ].sort(),
    );
    // Again (a restart, another worker): nothing more goes out.
    await job.run();
    expect(relay.received).toHaveLength(2);
    expect((await dryRun()).map((r) => r[3])).toEqual(['already sent', 'already sent', 'already sent']);
  });
});
