import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { Client, InvalidCredentialsError } from 'ldapts';
import { type MockInstance, vi } from 'vitest';
import type { z } from 'zod';
import type { activeDirectorySchema } from '../../src/config/directory-schema.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { FirstFactor } from '../../src/engine/first-factor.js';
import { PassgateError } from '../../src/errors.js';
import type { User } from '../../src/store/repositories/users.js';
import { createTestCore, type FakeClock, type TestCore } from './core.js';
import type { Backend } from './databases.js';
import { attr, ldapsearch, type SambaDc } from './samba/index.js';

/** Settings of directory.type: ad a test may override. */
export type AdSettings = Partial<z.input<typeof activeDirectorySchema>>;

/** Environment variable the tests put the service account's password in (directory.bindPasswordEnv). */
export const AD_PASSWORD_ENV = 'PASSGATE_TEST_AD_BIND_PASSWORD';

/**
 * Passgate's `directory` settings for the run's DC: LDAPS with our CA, the Administrator as the
 * service account (exempt from lockout), EXAMPLE as the NetBIOS name. Sets the password variable.
 */
export function adDirectoryConfig(dc: SambaDc, overrides: AdSettings = {}) {
  process.env[AD_PASSWORD_ENV] = dc.adminPassword;
  return {
    type: 'ad' as const,
    urls: [dc.url],
    caFile: dc.caFile,
    baseDn: dc.baseDn,
    bindDn: dc.adminDn,
    bindPasswordEnv: AD_PASSWORD_ENV,
    netbiosDomain: dc.domain,
    ...overrides,
  };
}

/** Passgate's core over AD (fresh database, a clock the test can move) and its first factor. */
export interface AdCore extends TestCore {
  firstFactor: FirstFactor;
  /** A first-factor check from `address`, as a door makes it. */
  login(username: string, password: string, address?: string): Promise<User>;
}

/**
 * A clock that runs with real time (AD's clock does: accountExpires, the order of audit events)
 * and that a test can move ahead, to see Passgate's windows pass.
 */
export function movingClock(): FakeClock {
  let offset = 0;
  const clock = (() => Date.now() + offset) as FakeClock;
  clock.set = (ms) => {
    offset = ms - Date.now();
  };
  clock.advance = (ms) => {
    offset += ms;
  };
  return clock;
}

/** The core with directory.type: ad and the engine's first factor with the configured limits. */
export async function createAdCore(
  dc: SambaDc,
  options: { backend?: Backend; directory?: AdSettings; config?: ConfigInput } = {},
): Promise<AdCore> {
  const test = await createTestCore(
    options.backend ?? 'sqlite',
    { directory: adDirectoryConfig(dc, options.directory), ...options.config } as ConfigInput,
    movingClock(),
  );
  const { core } = test;
  const firstFactor = new FirstFactor(core.directory, core.throttle, core.audit, core.config.loginThrottle);
  return {
    ...test,
    firstFactor,
    login: (username, password, address = '192.0.2.10') =>
      firstFactor.authenticate(username, password, { address, door: 'test' }),
  };
}

/** 'ok', or the code of the PassgateError a sign-in raised. */
export async function code(run: Promise<unknown>): Promise<string> {
  try {
    await run;
    return 'ok';
  } catch (error) {
    if (error instanceof PassgateError) return error.code;
    throw error;
  }
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(run: Promise<unknown>): Promise<PassgateError> {
  try {
    await run;
  } catch (error) {
    if (error instanceof PassgateError) return error;
    throw error;
  }
  throw new Error('expected a PassgateError, but it succeeded');
}

/** AD's count of bad passwords of a user, read with ldapsearch. */
export async function badPwdCount(dc: SambaDc, sam: string): Promise<number> {
  const [entry] = await ldapsearch(dc, `(sAMAccountName=${sam})`, ['badPwdCount']);
  return Number(attr(entry!, 'badPwdCount') ?? 0);
}

/** 'ok', or AD's sub-code of a refused bind (52e, 533, 773, 775 ...), binding with ldapts directly. */
export async function directBind(dc: SambaDc, who: string, password: string): Promise<string> {
  const client = new Client({
    url: dc.url,
    tlsOptions: { ca: [readFileSync(dc.caFile)] },
    connectTimeout: 5000,
  });
  try {
    await client.bind(who, password);
    return 'ok';
  } catch (error) {
    if (!(error instanceof InvalidCredentialsError)) throw error;
    return /data ([0-9a-f]+)/.exec(error.message)?.[1] ?? error.message;
  } finally {
    await client.unbind();
  }
}

/**
 * Records every LDAP bind this process makes through ldapts (Passgate's included), so that a test
 * can prove which DNs a sign-in bound as, or that it bound as nobody.
 */
export function recordBinds(): {
  userBinds(serviceDn: string): string[];
  spy: MockInstance;
  restore(): void;
} {
  const spy = vi.spyOn(Client.prototype, 'bind');
  return {
    spy,
    userBinds: (serviceDn) =>
      spy.mock.calls
        .map((call) => String(call[0]))
        .filter((dn) => dn.toLowerCase() !== serviceDn.toLowerCase()),
    restore: () => spy.mockRestore(),
  };
}

/**
 * Open TCP sockets of this process to host:port (its file descriptors matched with
 * /proc/self/net/tcp): what a leak of LDAP connections would make grow.
 */
export function socketsTo(host: string, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed while we were reading
    }
  }
  const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');
  const remote = `${host
    .split('.')
    .reverse()
    .map((part) => hex(Number(part), 2))
    .join('')}:${hex(port, 4)}`;
  return readFileSync('/proc/self/net/tcp', 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[2] === remote && inodes.has(fields[9]!)).length;
}

/**
 * Gives `dn` the userPrincipalName `upn` even when another user has it, by writing the DC's
 * database directly (Samba, like Windows since 2012 R2, refuses duplicate UPNs over LDAP; older
 * DCs and forests searched through a global catalog do have them).
 */
export function forceUserPrincipalName(dc: SambaDc, dn: string, upn: string): Promise<void> {
  const partition = `mdb://${dc.dir}/private/sam.ldb.d/${dc.baseDn.toUpperCase()}.ldb`;
  const script = [
    'import ldb, sys',
    'db = ldb.Ldb()',
    'db.connect(sys.argv[1], flags=ldb.FLG_DONT_CREATE_DB, options=["modules:"])',
    'm = ldb.Message(ldb.Dn(db, sys.argv[2]))',
    'm["userPrincipalName"] = ldb.MessageElement(sys.argv[3], ldb.FLAG_MOD_REPLACE, "userPrincipalName")',
    'db.modify(m)',
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', ['-c', script, partition, dn, upn], (error, _stdout, stderr) =>
      error ? reject(new Error(`forcing the UPN of ${dn} failed: ${stderr}`)) : resolve(),
    );
  });
}
