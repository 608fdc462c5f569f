import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { withPgClient } from './databases.js';
import { freePort } from './free-port.js';

/** A SOGo mailbox user of the test upstream. */
export interface SogoUser {
  username: string;
  password: string;
}

/** Debian's SOGo with its ActiveSync module, running for one test file (test/support/sogo.ts). */
export interface SogoServer {
  /** Its ActiveSync endpoint, e.g. `http://127.0.0.1:PORT/SOGo/Microsoft-Server-ActiveSync`. */
  activesyncUrl: string;
  /** Its origin, `http://127.0.0.1:PORT`. */
  origin: string;
  /** The (first) user the recipe creates (a SQL user source on the test PostgreSQL). */
  user: SogoUser;
  /** How long it took from spawning sogod to its first answer, in milliseconds. */
  startMs: number;
  /** What sogod wrote so far. */
  output(): string;
  stop(): Promise<void>;
}

const SOGOD = '/usr/sbin/sogod';

/**
 * Starts SOGo 5 (`sogo`, `sogo-activesync` from Debian; test/support/preflight.js installs
 * them) as the `sogo` user, with its own memcached, its tables and a SQL user source in a fresh
 * database on the run's PostgreSQL (`postgresAdminUrl`), and waits until it answers (about 1-2 s,
 * ../shared TEST-INFRA recipe). `users` replaces its one random user; with `imapServer`
 * (test/support/dovecot.ts, with the same users) its mail folders are real, without it lists
 * calendars and contacts only. Fails naming what is missing when it cannot run here.
 */
export async function startSogo(
  postgresAdminUrl: string,
  options: { imapServer?: string; users?: SogoUser[] } = {},
): Promise<SogoServer> {
  if (!existsExecutable(SOGOD))
    throw new Error(
      'SOGo is not installed: apt-get install -y --no-install-recommends sogo sogo-activesync memcached libwbxml2-utils',
    );
  const users: SogoUser[] = options.users ?? [
    { username: 'alice', password: `pw-${randomBytes(6).toString('hex')}` },
  ];
  const user = users[0] as SogoUser;
  // A database and a role of its own: runs sharing one PostgreSQL never touch each other's.
  const database = `sogo_${randomBytes(6).toString('hex')}`;
  const role = database;
  const rolePassword = randomBytes(9).toString('hex');
  await withPgClient(postgresAdminUrl, async (client) => {
    await client.query(`create database ${database}`);
    await client.query(`create role ${role} login password '${rolePassword}'`);
    await client.query(`alter database ${database} owner to ${role}`);
  });
  const admin = new URL(postgresAdminUrl);
  const dbUrl = `postgresql://${role}:${rolePassword}@${admin.hostname}:${admin.port}/${database}`;
  await withPgClient(dbUrl, async (client) => {
    await client.query(
      'create table sogo_users (c_uid varchar(64) primary key, c_name varchar(64), c_password varchar(128), c_cn varchar(128), mail varchar(128))',
    );
    for (const { username, password } of users)
      await client.query('insert into sogo_users values ($1, $1, $2, $3, $4)', [
        username,
        createHash('md5').update(password).digest('hex'),
        `${username} Example`,
        `${username}@example.test`,
      ]);
  });

  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-sogo-'));
  chmodSync(dir, 0o755);
  const [port, memcachedPort] = [await freePort(), await freePort()];
  const gnustepConf = readFileSync('/etc/GNUstep/GNUstep.conf', 'utf8').replace(
    /^GNUSTEP_USER_DEFAULTS_DIR=.*$/m,
    `GNUSTEP_USER_DEFAULTS_DIR=${dir}`,
  );
  writeFileSync(path.join(dir, 'GNUstep.conf'), gnustepConf);
  const table = (name: string) => `"${dbUrl}/${name}"`;
  writeFileSync(
    path.join(dir, 'sogod.plist'),
    `{
  WOPort = "127.0.0.1:${port}";
  WOWorkersCount = 1;
  WONoDetach = YES;
  WOLogFile = "-";
  WOPidFile = "${dir}/sogo.pid";
  SOGoProfileURL = ${table('sogo_user_profile')};
  OCSFolderInfoURL = ${table('sogo_folder_info')};
  OCSSessionsFolderURL = ${table('sogo_sessions_folder')};
  OCSEMailAlarmsFolderURL = ${table('sogo_alarms_folder')};
  SOGoMemcachedHost = "127.0.0.1:${memcachedPort}";
  SOGoTimeZone = UTC;
  SOGoMailDomain = example.test;
  SOGoIMAPServer = "${options.imapServer ?? 'imap://127.0.0.1:1'}";
  SOGoSMTPServer = "smtp://127.0.0.1:1";
  SOGoSieveServer = "sieve://127.0.0.1:1";
  SOGoMaximumPingInterval = 3540;
  SOGoUserSources = (
    {
      type = sql;
      id = users;
      viewURL = ${table('sogo_users')};
      canAuthenticate = YES;
      isAddressBook = NO;
      userPasswordAlgorithm = md5;
    }
  );
}
`,
  );
  const sogoUid = Number(execFileSync('id', ['-u', 'sogo'], { encoding: 'utf8' }).trim());
  const sogoGid = Number(execFileSync('id', ['-g', 'sogo'], { encoding: 'utf8' }).trim());
  chownSync(dir, sogoUid, sogoGid);

  let output = '';
  const collect = (child: ChildProcess) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
  };
  const memcached = spawn(
    'memcached',
    ['-l', '127.0.0.1', '-p', String(memcachedPort), '-U', '0', '-m', '16', '-u', 'sogo'],
    { stdio: 'ignore' },
  );
  // sogod refuses root and reads its settings from the GNUstep user defaults folder above.
  const sogod = spawn(
    'setpriv',
    [
      '--reuid=sogo',
      '--regid=sogo',
      '--init-groups',
      'env',
      '-i',
      'PATH=/usr/bin:/bin',
      `GNUSTEP_CONFIG_FILE=${dir}/GNUstep.conf`,
      SOGOD,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  collect(sogod);
  const started = performance.now();

  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    // sogod ignores TERM for 30 s while its children finish: TERM the group, then KILL it.
    for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
      if (sogod.exitCode !== null || sogod.signalCode !== null) break;
      try {
        process.kill(-sogod.pid!, signal);
      } catch {
        break;
      }
      await Promise.race([new Promise((resolve) => sogod.once('exit', resolve)), sleep(1000)]);
    }
    memcached.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await withPgClient(postgresAdminUrl, async (client) => {
      await client.query(`drop database if exists ${database} with (force)`);
      await client.query(`drop role if exists ${role}`);
    }).catch(() => {});
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await fetch(`${origin}/SOGo/`, { redirect: 'manual' }).then(
      (r) => r.status,
      () => 0,
    );
    if (status >= 200 && status < 400) break;
    if (sogod.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`SOGo did not start:\n${output}`);
    }
    await sleep(100);
  }
  return {
    activesyncUrl: `${origin}/SOGo/Microsoft-Server-ActiveSync`,
    origin,
    user,
    startMs: Math.round(performance.now() - started),
    output: () => output,
    stop,
  };
}

function existsExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
