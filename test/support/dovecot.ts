import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.js';

/** A mailbox user of the test IMAP server (the same name and password as in SOGo's user source). */
export interface MailUser {
  username: string;
  password: string;
}

/** A private Dovecot IMAP server for one test file (test/support/dovecot.ts). */
export interface DovecotServer {
  /** `imap://127.0.0.1:PORT`, for SOGo's `SOGoIMAPServer`. */
  imapUrl: string;
  /** How long it took from spawning to its IMAP greeting, in milliseconds. */
  startMs: number;
  /** Delivers a message into a user's folder (`INBOX` or a folder name) as an MDA does: Maildir tmp/ then new/. */
  deliver(username: string, folder: string, message: { subject: string; body: string; from?: string }): void;
  /** What Dovecot logged so far. */
  output(): string;
  stop(): Promise<void>;
}

/** The folders every test mailbox has besides INBOX, each with one message (FolderSync lists them). */
export const TEST_MAIL_FOLDERS = ['Sent', 'Drafts', 'Trash', 'Projects'] as const;

const DOVECOT = '/usr/sbin/dovecot';

/**
 * Starts Debian's Dovecot (`dovecot-imapd`, installed by test/support/preflight.js) with its own
 * configuration, run and mail folders in a temporary directory: plain-text IMAP on loopback, these
 * users from a passwd-file, Maildirs with INBOX, the {@link TEST_MAIL_FOLDERS} and two messages in
 * INBOX and one in each folder. As root the mail files belong to the `mail` user (Dovecot never
 * serves mail as root); otherwise everything runs as the current user.
 */
export async function startDovecot(users: MailUser[]): Promise<DovecotServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'passgate-dovecot-'));
  chmodSync(dir, 0o755);
  const root = process.getuid?.() === 0;
  const self = os.userInfo();
  const [uid, gid] = root ? [8, 8] : [self.uid, self.gid];
  const port = await freePort();
  writeFileSync(
    path.join(dir, 'users'),
    users.map((u) => `${u.username}:{PLAIN}${u.password}::::::\n`).join(''),
  );
  const unprivileged = root
    ? ''
    : `default_login_user = ${self.username}\ndefault_internal_user = ${self.username}\nservice imap-login {\n  chroot =\n}\nservice anvil {\n  chroot =\n}\n`;
  writeFileSync(
    path.join(dir, 'dovecot.conf'),
    `instance_name = passgate-dovecot-${randomBytes(4).toString('hex')}
base_dir = ${dir}/run
state_dir = ${dir}/state
log_path = /dev/stderr
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = ${uid}
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN ${dir}/users
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
${unprivileged}`,
  );
  const home = (username: string) => path.join(dir, 'home', username);
  const maildir = (username: string, folder: string) =>
    path.join(home(username), 'Maildir', folder === 'INBOX' ? '' : `.${folder}`);
  const deliver: DovecotServer['deliver'] = (username, folder, message) => {
    const name = `${Date.now()}.${randomBytes(6).toString('hex')}.passgate`;
    const tmp = path.join(maildir(username, folder), 'tmp', name);
    const text = [
      `From: ${message.from ?? 'Carol Sender <carol@example.test>'}`,
      `To: ${username}@example.test`,
      `Subject: ${message.subject}`,
      `Date: ${new Date().toUTCString()}`,
      `Message-ID: <${name}@example.test>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      message.body,
      '',
    ].join('\r\n');
    writeFileSync(tmp, text);
    chownSync(tmp, uid, gid);
    renameSync(tmp, path.join(maildir(username, folder), 'new', name));
  };
  for (const { username } of users) {
    for (const folder of ['INBOX', ...TEST_MAIL_FOLDERS])
      for (const sub of ['cur', 'new', 'tmp'])
        mkdirSync(path.join(maildir(username, folder), sub), { recursive: true });
    writeFileSync(path.join(home(username), 'Maildir', 'subscriptions'), `${TEST_MAIL_FOLDERS.join('\n')}\n`);
    deliver(username, 'INBOX', { subject: 'Welcome to the test mailbox', body: 'The first message.' });
    deliver(username, 'INBOX', { subject: 'Quarterly figures', body: 'The second message.' });
    for (const folder of TEST_MAIL_FOLDERS)
      deliver(username, folder, { subject: `A message in ${folder}`, body: `Filed in ${folder}.` });
    chownTree(home(username), uid, gid);
  }

  let output = '';
  const started = performance.now();
  const dovecot: ChildProcess = spawn(DOVECOT, ['-F', '-c', path.join(dir, 'dovecot.conf')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  dovecot.on('error', (error) => {
    output += `${error.message}\n`;
  });
  for (const stream of [dovecot.stdout, dovecot.stderr])
    stream?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
  const stop = async () => {
    if (dovecot.exitCode === null && dovecot.signalCode === null) {
      const exited = new Promise((resolve) => dovecot.once('exit', resolve));
      dovecot.kill('SIGTERM');
      await Promise.race([exited, sleep(5000)]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!(await greets(port))) {
    if (dovecot.exitCode !== null || dovecot.signalCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(
        `Dovecot did not start${output.includes('ENOENT') ? ' (apt-get install -y --no-install-recommends dovecot-imapd)' : ''}:\n${output}`,
      );
    }
    await sleep(20);
  }
  // SOGo's EAS Sync keys are the folders' HIGHESTMODSEQ, which Dovecot reports once a client has
  // used CONDSTORE on a folder (as on any mailbox that SOGo has served before): do that once.
  try {
    for (const { username, password } of users)
      await imapSession(port, [
        `LOGIN ${quoted(username)} ${quoted(password)}`,
        'ENABLE CONDSTORE',
        ...['INBOX', ...TEST_MAIL_FOLDERS].map((folder) => `SELECT ${folder}`),
        'LOGOUT',
      ]);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    imapUrl: `imap://127.0.0.1:${port}`,
    startMs: Math.round(performance.now() - started),
    deliver,
    output: () => output,
    stop,
  };
}

/** Runs IMAP commands one after the other on a new connection; rejects on the first that fails. */
function imapSession(port: number, commands: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = '';
    let next = 0;
    socket.on('data', (data) => {
      buffer += data.toString();
      const done =
        next === 0 ? buffer.includes('\r\n') : buffer.match(new RegExp(`^c${next} (OK|NO|BAD).*$`, 'm'));
      if (!done) return;
      if (Array.isArray(done) && done[1] !== 'OK') {
        socket.destroy();
        reject(new Error(`IMAP ${commands[next - 1]?.split(' ')[0]} failed: ${done[0]}`));
        return;
      }
      buffer = '';
      if (next === commands.length) {
        socket.end();
        resolve();
        return;
      }
      socket.write(`c${next + 1} ${commands[next]}\r\n`);
      next++;
    });
    socket.on('error', reject);
  });
}

/** An IMAP quoted string. */
function quoted(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}

/** Whether an IMAP server on this port sends its `* OK` greeting. */
function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(1000);
    socket.once('data', (data) => {
      socket.end();
      resolve(data.toString().startsWith('* OK'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

function chownTree(dir: string, uid: number, gid: number): void {
  chownSync(dir, uid, gid);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) chownTree(full, uid, gid);
    else chownSync(full, uid, gid);
  }
}
