#!/usr/bin/env node
// A real Active Directory domain controller for the tests: Samba 4 in a private folder, serving
// LDAP/LDAPS on a loopback address with a certificate of our own, plus fixtures (users, groups,
// policies) written through ldapadd/ldapmodify over LDAPS and the local samba-tool.
//
// A test run starts ONE DC (test/support/global-setup.ts) and its test files share it. The LDAP
// ports are fixed (389, 636, 3268, 3269), so each DC claims its own address, 127.0.0.1 when free,
// else 127.0.0.2...: concurrent runs on one machine do not collide. Provisioning (~6-10 s) is
// cached per machine under os.tmpdir(); every run starts from a fresh copy of the cache (~0.2 s)
// and the DC answers LDAPS binds about 0.5-1 s after it is started.
//
// Usable as a module and from the shell:
//   node test/support/samba-dc.js prepare           -> provisions the cache if needed, prints its folder
//   node test/support/samba-dc.js start [DIR]       -> runs a DC in the foreground (until SIGINT/SIGTERM),
//                                                     prints its details as one JSON line, usable as
//                                                     PASSGATE_TEST_SAMBA for `vitest run`
//   node test/support/samba-dc.js stop DIR          -> stops the DC a `start` runs in DIR (and waits)
import { execFile, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';

export const REALM = 'EXAMPLE.TEST';
export const DOMAIN = 'EXAMPLE';
export const UPN_SUFFIX = 'example.test';
/** A second UPN suffix registered in the forest (uPNSuffixes of CN=Partitions). */
export const ALT_UPN_SUFFIX = 'example.com';
export const BASE_DN = 'DC=example,DC=test';
export const ADMIN_PASSWORD = 'Passgate-Adm1n-Test!';
export const ADMIN_DN = `CN=Administrator,CN=Users,${BASE_DN}`;
export const ADMIN_UPN = `Administrator@${UPN_SUFFIX}`;
/** Password of the users the fixtures create when none is given. */
export const DEFAULT_PASSWORD = 'Passgate-User-1!';
/** Where the control endpoint of a served DC listens. */
const CONTROL_HOST = '127.0.0.1';

const APT =
  'apt-get install -y --no-install-recommends samba samba-ad-dc samba-ad-provision winbind ldap-utils';

// Bump when the recipe below changes in a way the hash of its arguments does not show.
const RECIPE_VERSION = 2;

/** Domain-wide settings baked into the cached domain (samba-tool domain passwordsettings set ...). */
const BASELINE = {
  lockoutThreshold: 5,
  lockoutMinutes: 30,
  // Never expire (a cache older than 42 days must not expire the Administrator) and allow
  // changing a password again at once (self-service tests change fresh passwords).
  maxPwdAge: '-9223372036854775808',
  minPwdAge: '0',
};

/** Options added to [global] of the generated smb.conf (`DIR` stands for the domain's folder). */
const SMB_CONF = {
  'tls enabled': 'yes',
  'tls certfile': 'DIR/tls/server.pem',
  'tls keyfile': 'DIR/tls/server.key',
  'tls cafile': 'DIR/tls/ca.pem',
  // A throw-away domain: no fsync on every write (what Samba's own selftest does).
  'ldb:nosync': 'true',
};

function provisionArgs(dir) {
  return [
    'domain',
    'provision',
    `--targetdir=${dir}`,
    `--realm=${REALM}`,
    `--domain=${DOMAIN}`,
    '--server-role=dc',
    '--dns-backend=NONE',
    '--use-rfc2307',
    `--adminpass=${ADMIN_PASSWORD}`,
    '--host-name=dc1',
    // LMDB rather than TDB: adds cost 4 ms instead of 11 ms and do not slow down as the domain grows.
    '--backend-store=mdb',
    '--option=interfaces=lo',
    '--option=bind interfaces only=yes',
    // On the samba command line alone these do not reach the winbindd child: write them now.
    `--option=pid directory=${dir}/run`,
    `--option=ncalrpc dir=${dir}/run/ncalrpc`,
    `--option=winbindd socket directory=${dir}/run/winbindd`,
    `--option=log file=${dir}/log/samba.log`,
  ];
}

const tools = new Map();

/** Absolute path of a command, or an error naming the apt command that installs it. */
function tool(name) {
  if (!tools.has(name)) {
    const found =
      spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim() ||
      ['/usr/sbin', '/sbin'].map((dir) => path.join(dir, name)).find((file) => existsSync(file));
    if (!found) throw new Error(`${name} not found; install Samba AD DC with: ${APT}`);
    tools.set(name, found);
  }
  return tools.get(name);
}

function sambaVersion() {
  return spawnSync(tool('samba'), ['--version'], { encoding: 'utf8' }).stdout.trim();
}

function run(command, args, { input, env, timeoutMs = 120_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { env: { ...process.env, ...env }, timeout: timeoutMs, maxBuffer: 256 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const line = [path.basename(command), ...args.filter((a) => !a.startsWith('--adminpass'))].join(
            ' ',
          );
          // ldapmodify names the entry it was at on stdout, and the error on stderr.
          const at = stdout.trim().split('\n').slice(-1)[0] ?? '';
          reject(
            new Error(`${line.slice(0, 300)} failed (${error.code ?? error.signal}): ${stderr.trim()} ${at}`),
          );
        } else resolve(stdout);
      },
    );
    child.stdin.end(input ?? '');
  });
}

// ---------------------------------------------------------------------------------------------
// Provisioning, cached per machine

/** Folder of the cached, provisioned domain for this recipe and Samba version. */
export function cacheDir() {
  const recipe = JSON.stringify([RECIPE_VERSION, provisionArgs('DIR'), SMB_CONF, BASELINE, sambaVersion()]);
  const hash = createHash('sha256').update(recipe).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `passgate-samba-cache-${hash}`);
}

function openssl(...args) {
  const r = spawnSync(tool('openssl'), args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout'];

/** The test CA, made once with the cached domain: DIR/tls/ca.pem and ca.key. */
function makeCa(dir) {
  const f = (name) => path.join(dir, 'tls', name);
  mkdirSync(path.join(dir, 'tls'), { recursive: true });
  const subject = ['-subj', '/CN=Passgate test CA', '-addext', 'basicConstraints=critical,CA:TRUE'];
  openssl('req', '-x509', ...newKey, f('ca.key'), '-out', f('ca.pem'), '-days', '3650', ...subject);
  chmodSync(f('ca.key'), 0o600);
}

/** The DC's certificate for its loopback address (and localhost, dc1.example.test), by the test CA. */
function makeServerCertificate(dir, host) {
  const f = (name) => path.join(dir, 'tls', name);
  openssl('req', ...newKey, f('server.key'), '-out', f('server.csr'), '-subj', '/CN=dc1.example.test');
  const extensions = [
    `subjectAltName=IP:${host},DNS:localhost,DNS:dc1.example.test`,
    'basicConstraints=CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
  ];
  writeFileSync(f('server.ext'), `${extensions.join('\n')}\n`);
  const ca = ['-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-extfile', f('server.ext')];
  openssl('x509', '-req', '-in', f('server.csr'), '-out', f('server.pem'), '-days', '3650', ...ca);
  // Samba refuses to start unless the key is mode 0600.
  chmodSync(f('server.key'), 0o600);
}

/** Writes options into the [global] section of DIR/etc/smb.conf. */
function addGlobalOptions(dir, options) {
  const file = path.join(dir, 'etc', 'smb.conf');
  const lines = Object.entries(options).map(([k, v]) => `\t${k} = ${v}\n`);
  writeFileSync(file, readFileSync(file, 'utf8').replace('[global]\n', `[global]\n${lines.join('')}`));
}

// Offline change of the domain through Samba's own Python bindings (no DC running, no port used).
const MODIFY_OFFLINE = `
import sys
from samba.auth import system_session
from samba.param import LoadParm
from samba.samdb import SamDB
lp = LoadParm()
lp.load(sys.argv[1])
db = SamDB(url=lp.samdb_url(), session_info=system_session(lp), lp=lp)
db.modify_ldif(sys.stdin.read())
`;

/** The Python samba-tool runs with (its #! line): a pyenv python3 first on PATH lacks Samba's modules. */
function sambaPython() {
  const shebang = readFileSync(tool('samba-tool'), 'utf8').split('\n', 1)[0] ?? '';
  return /^#!\s*(\S+)/.exec(shebang)?.[1] ?? '/usr/bin/python3';
}

function baselineLdif() {
  const minutes = String(-BASELINE.lockoutMinutes * 60 * 10_000_000);
  return [
    `dn: ${BASE_DN}`,
    'changetype: modify',
    ...['lockoutThreshold', 'lockoutDuration', 'lockOutObservationWindow', 'maxPwdAge', 'minPwdAge'].flatMap(
      (name, i) => [
        `replace: ${name}`,
        `${name}: ${[BASELINE.lockoutThreshold, minutes, minutes, BASELINE.maxPwdAge, BASELINE.minPwdAge][i]}`,
        '-',
      ],
    ),
    '',
    `dn: CN=Partitions,CN=Configuration,${BASE_DN}`,
    'changetype: modify',
    'add: uPNSuffixes',
    `uPNSuffixes: ${ALT_UPN_SUFFIX}`,
    '-',
    '',
  ].join('\n');
}

/** Provisions a new domain into `dir` (which must not exist); about 8 s. */
async function provisionFresh(dir) {
  mkdirSync(path.join(dir, 'run'), { recursive: true });
  mkdirSync(path.join(dir, 'log'), { recursive: true });
  await run(tool('samba-tool'), provisionArgs(dir));
  makeCa(dir);
  addGlobalOptions(
    dir,
    Object.fromEntries(Object.entries(SMB_CONF).map(([k, v]) => [k, v.replace('DIR', dir)])),
  );
  await run(sambaPython(), ['-c', MODIFY_OFFLINE, path.join(dir, 'etc', 'smb.conf')], {
    input: baselineLdif(),
  });
  writeFileSync(path.join(dir, 'provisioned-at'), dir);
}

/** Makes sure the cached domain exists (provisioning it once per machine); returns its folder. */
export async function prepare() {
  const cache = cacheDir();
  if (existsSync(path.join(cache, 'provisioned-at'))) return cache;
  console.error(`samba-dc: provisioning the test domain once for this machine into ${cache} (about 10 s)`);
  // Provision next to the cache and rename: a concurrent run never sees half a domain.
  const scratch = mkdtempSync(`${cache}.tmp-`);
  rmSync(scratch, { recursive: true });
  try {
    await provisionFresh(scratch);
    try {
      renameSync(scratch, cache);
    } catch (error) {
      if (!existsSync(path.join(cache, 'provisioned-at'))) throw error; // else another run won
    }
    // Caches of older recipes or Samba versions are of no use any more.
    const prefix = 'passgate-samba-cache-';
    for (const name of readdirSync(os.tmpdir())) {
      if (
        name.startsWith(prefix) &&
        /^[0-9a-f]+$/.test(name.slice(prefix.length)) &&
        name !== path.basename(cache)
      )
        rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return cache;
}

/**
 * A fresh domain in `dir` (created if missing, must be empty): a copy of the cached provision
 * (provisioned first if there is none), with its paths rewritten to `dir`, serving on `host`
 * (by default a loopback address this process claims, see `claimHost`). Returns its details.
 */
export async function provision(dir, { host } = {}) {
  const cache = await prepare();
  const address = host ?? (await claimHost());
  mkdirSync(dir, { recursive: true });
  // cp -a keeps the ACLs and extended attributes samba-tool set on sysvol.
  await run('cp', ['-a', `${cache}/.`, dir]);
  const from = readFileSync(path.join(cache, 'provisioned-at'), 'utf8');
  const conf = path.join(dir, 'etc', 'smb.conf');
  const text = readFileSync(conf, 'utf8').split(from).join(dir);
  writeFileSync(conf, text.replace(/^\tinterfaces = .*$/m, `\tinterfaces = ${address}/8`));
  writeFileSync(path.join(dir, 'provisioned-at'), dir);
  writeFileSync(path.join(dir, 'host'), address);
  makeServerCertificate(dir, address);
  rmSync(path.join(dir, 'run'), { recursive: true, force: true });
  mkdirSync(path.join(dir, 'run'), { recursive: true });
  mkdirSync(path.join(dir, 'log'), { recursive: true });
  return details(dir);
}

/** Connection details of the DC whose domain lives in `dir`. */
export function details(dir) {
  const host = readFileSync(path.join(dir, 'host'), 'utf8').trim();
  return {
    url: `ldaps://${host}:636`,
    ldapUrl: `ldap://${host}:389`,
    gcUrl: `ldaps://${host}:3269`,
    host,
    port: 636,
    baseDn: BASE_DN,
    realm: REALM,
    domain: DOMAIN,
    upnSuffix: UPN_SUFFIX,
    altUpnSuffix: ALT_UPN_SUFFIX,
    adminDn: ADMIN_DN,
    adminUpn: ADMIN_UPN,
    adminPassword: ADMIN_PASSWORD,
    caFile: path.join(dir, 'tls', 'ca.pem'),
    dir,
    smbConf: path.join(dir, 'etc', 'smb.conf'),
  };
}

// ---------------------------------------------------------------------------------------------
// Loopback addresses. The LDAP ports are fixed (389, 636, 3268, 3269) but every 127.x.y.z is
// local on Linux and Samba binds the one it is told: each DC gets its own address, so test runs
// of several people (or worktrees) on one machine do not collide. 127.0.0.1 when it is free.

const CLAIMS = path.join(os.tmpdir(), 'passgate-samba-claims');
const LDAP_PORTS = [389, 636, 3268, 3269];

function alive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Claims a loopback address no one else's DC uses, for this process (until `releaseHost` or exit). */
export async function claimHost() {
  mkdirSync(CLAIMS, { recursive: true });
  for (let i = 1; i < 128; i++) {
    const host = `127.0.0.${i}`;
    const file = path.join(CLAIMS, host);
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
    } catch {
      const owner = Number(readFileSync(file, 'utf8') || 0);
      if (alive(owner)) continue;
      rmSync(file, { force: true }); // the claim of a process that is gone
      try {
        writeFileSync(file, String(process.pid), { flag: 'wx' });
      } catch {
        continue; // another run was faster
      }
    }
    const busy = await Promise.all(LDAP_PORTS.map((port) => portAnswers(host, port)));
    if (!busy.includes(true)) return host;
    rmSync(file, { force: true }); // something else listens there
  }
  throw new Error(`no free loopback address for a Samba DC among 127.0.0.1-127: see ${CLAIMS}`);
}

/** Gives back an address `claimHost` claimed. */
export function releaseHost(host) {
  const file = path.join(CLAIMS, host);
  try {
    if (Number(readFileSync(file, 'utf8')) === process.pid) rmSync(file, { force: true });
  } catch {
    // not claimed
  }
}

// ---------------------------------------------------------------------------------------------
// Running the DC

function portAnswers(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function tlsAnswers(host, ca) {
  return new Promise((resolve) => {
    const socket = tls.connect({ host, port: 636, ca });
    socket.setTimeout(2000, () => socket.destroy());
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('close', () => resolve(false));
  });
}

function tail(file, lines = 30) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts the DC of `dir` (see `provision`) as a child of this process and waits until LDAPS
 * answers an Administrator bind. Returns a handle; `stop()` ends it (and its process group),
 * `restart()` stops and starts it again on the same domain.
 */
export async function start(dir, { timeoutMs = 30_000 } = {}) {
  const dc = details(dir);
  const samba = tool('samba');
  tool('ldapsearch');
  if (await portAnswers(dc.host, 636)) {
    throw new Error(`something already listens on ${dc.host}:636; provision the DC for another address`);
  }
  const log = path.join(dir, 'log', 'samba.out');
  const out = openSync(log, 'a');
  // -i: foreground, logs to stdout, and ends itself when its standard input closes, so the DC
  // cannot outlive this process even if it is killed. It also makes itself a process group leader.
  const child = spawn(samba, ['-s', dc.smbConf, '-i', '-M', 'single', '--option=server services=ldap'], {
    stdio: ['pipe', out, out],
  });
  closeSync(out); // the child has its own copy
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = null;
  exited.then((status) => {
    gone = status;
  });
  const ca = readFileSync(dc.caFile);
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    if (gone) {
      throw new Error(
        `samba exited (${gone.code ?? gone.signal}) before LDAPS answered; ${log}:\n${tail(log)}\n` +
          `(a broken cache? remove ${cacheDir()})`,
      );
    }
    if (await tlsAnswers(dc.host, ca)) {
      try {
        await ldapsearch(dc, '(objectClass=*)', ['dn'], { scope: 'base' });
        break;
      } catch (error) {
        lastError = error.message;
      }
    }
    if (Date.now() > deadline) {
      killGroup(child.pid, 'SIGKILL');
      throw new Error(
        `samba did not answer an LDAPS bind within ${timeoutMs} ms: ${lastError}\n${tail(log)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const handle = {
    ...dc,
    pid: child.pid,
    log,
    /** Ends the DC: SIGTERM to its process group (samba exits 127 on it), SIGKILL after 10 s. */
    async stop() {
      if (gone) return gone;
      killGroup(child.pid, 'SIGTERM');
      child.stdin.end();
      const timer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 10_000);
      const status = await exited;
      clearTimeout(timer);
      // Samba forwards SIGTERM to its group; should a child of it outlive it, it goes too.
      if (groupMembers(child.pid).length > 0) killGroup(child.pid, 'SIGKILL');
      return status;
    },
    /** Stops the DC and starts it again on the same domain; returns the new handle. */
    async restart() {
      await handle.stop();
      return start(dir, { timeoutMs });
    },
  };
  return handle;
}

/** Processes of a process group, from /proc. */
function groupMembers(pgid) {
  const members = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) members.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

// ---------------------------------------------------------------------------------------------
// Serving one DC to a whole test run: the DC plus a small control endpoint on loopback through
// which test workers (other processes) stop and restart it, and take leases so that a test that
// stops the DC does not pull it away from another test file running at the same time.

/**
 * Provisions `dir` (a new temporary folder if not given), starts the DC and a control endpoint.
 * Returns `{ details, close() }`; `details` (JSON-safe) is what tests receive.
 */
export async function serve(dir = undefined, { remove = dir === undefined } = {}) {
  removeAbandonedRuns();
  const folder = dir ?? mkdtempSync(path.join(os.tmpdir(), RUN_PREFIX));
  if (remove) writeFileSync(path.join(folder, 'owner.pid'), String(process.pid));
  const host = await claimHost();
  let dc;
  try {
    await provision(folder, { host });
    dc = await start(folder);
  } catch (error) {
    releaseHost(host);
    if (remove) rmSync(folder, { recursive: true, force: true });
    throw error;
  }
  const leases = createLeases();
  let down = null; // the holder that stopped the DC
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const holder = url.searchParams.get('holder') ?? '';
    const answer = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const act = async () => {
      switch (url.pathname) {
        case '/acquire':
          await leases.acquire(holder, url.searchParams.get('mode') === 'exclusive' ? 'exclusive' : 'shared');
          return { ok: true };
        case '/release':
          leases.release(holder, url.searchParams.get('mode') === 'exclusive' ? 'exclusive' : 'shared');
          return { ok: true };
        case '/stop':
          if (down) throw new Error('the DC is already stopped');
          await leases.acquire(holder, 'exclusive');
          down = holder;
          return { ok: true, status: await dc.stop() };
        case '/start':
          if (!down) throw new Error('the DC is running');
          dc = await start(folder);
          leases.release(down, 'exclusive');
          down = null;
          return { ok: true, pid: dc.pid };
        case '/restart':
          if (down) throw new Error('the DC is stopped: start it');
          await leases.acquire(holder, 'exclusive');
          try {
            dc = await dc.restart();
          } finally {
            leases.release(holder, 'exclusive');
          }
          return { ok: true, pid: dc.pid };
        case '/status':
          return { ok: true, pid: down ? null : dc.pid, leases: leases.describe() };
        default:
          throw new Error(`unknown control ${url.pathname}`);
      }
    };
    act().then(
      (body) => answer(200, body),
      (error) => answer(500, { ok: false, error: error.message }),
    );
  });
  await new Promise((resolve) => server.listen(0, CONTROL_HOST, resolve));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    details: { ...details(folder), controlUrl: `http://${CONTROL_HOST}:${port}` },
    get pid() {
      return dc.pid;
    },
    async close() {
      leases.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
      const status = await dc.stop();
      releaseHost(host);
      if (remove) rmSync(folder, { recursive: true, force: true });
      return status;
    },
  };
}

const RUN_PREFIX = 'passgate-samba-run-';

/** Removes the folders of served DCs whose process died without cleaning up (killed test runs). */
function removeAbandonedRuns() {
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith(RUN_PREFIX)) continue;
    const folder = path.join(os.tmpdir(), name);
    try {
      if (!alive(Number(readFileSync(path.join(folder, 'owner.pid'), 'utf8'))))
        rmSync(folder, { recursive: true, force: true });
    } catch {
      // no owner: not ours to remove
    }
  }
}

// Shared/exclusive leases by holder (a test worker's pid). An exclusive lease waits until no other
// holder has a shared one, except holders that are themselves waiting for an exclusive lease (two
// files that both restart the DC must not wait for each other). Holders whose process died are
// forgotten.
function createLeases() {
  const shared = new Map(); // holder -> count
  const exclusive = { holder: null, count: 0 };
  const queue = []; // { holder, mode, resolve }
  const alive = (holder) => {
    const pid = Number(holder);
    if (!Number.isInteger(pid) || pid <= 0) return true;
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const grant = () => {
    for (const [holder] of shared) if (!alive(holder)) shared.delete(holder);
    if (exclusive.holder && !alive(exclusive.holder)) Object.assign(exclusive, { holder: null, count: 0 });
    for (let i = 0; i < queue.length; ) {
      const wish = queue[i];
      if (!alive(wish.holder)) {
        queue.splice(i, 1);
        continue;
      }
      const free = exclusive.holder === null || exclusive.holder === wish.holder;
      let ok = free;
      if (ok && wish.mode === 'exclusive') {
        const waitingExclusive = new Set(queue.filter((w) => w.mode === 'exclusive').map((w) => w.holder));
        ok = [...shared.keys()].every((h) => h === wish.holder || waitingExclusive.has(h));
      }
      if (!ok) {
        i++;
        if (wish.mode === 'exclusive') break; // first come, first served for exclusive wishes
        continue;
      }
      queue.splice(i, 1);
      if (wish.mode === 'shared') shared.set(wish.holder, (shared.get(wish.holder) ?? 0) + 1);
      else Object.assign(exclusive, { holder: wish.holder, count: exclusive.count + 1 });
      wish.resolve();
    }
  };
  const timer = setInterval(() => queue.length > 0 && grant(), 500);
  timer.unref();
  return {
    acquire(holder, mode) {
      return new Promise((resolve) => {
        queue.push({ holder, mode, resolve });
        grant();
      });
    },
    release(holder, mode) {
      if (mode === 'exclusive' && exclusive.holder === holder) {
        exclusive.count--;
        if (exclusive.count <= 0) Object.assign(exclusive, { holder: null, count: 0 });
      }
      if (mode === 'shared' && shared.has(holder)) {
        const n = shared.get(holder) - 1;
        if (n <= 0) shared.delete(holder);
        else shared.set(holder, n);
      }
      grant();
    },
    describe() {
      return { shared: Object.fromEntries(shared), exclusive: exclusive.holder, waiting: queue.length };
    },
    close() {
      clearInterval(timer);
      for (const wish of queue.splice(0)) wish.resolve();
    },
  };
}

async function control(dc, action, params = {}) {
  if (!dc.controlUrl)
    throw new Error('this DC has no control endpoint (start it with serve() or samba-dc.js start)');
  const url = new URL(action, dc.controlUrl);
  url.searchParams.set('holder', String(process.pid));
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(300_000) });
  const body = await res.json();
  if (!body.ok) throw new Error(`samba control ${action}: ${body.error}`);
  return body;
}

/**
 * Takes a lease on the shared DC for this process (a test file): 'shared' in `beforeAll` of a file
 * that uses the DC, 'exclusive' to have it alone. Returns the function that releases it.
 */
export async function holdDc(dc, mode = 'shared') {
  await control(dc, '/acquire', { mode });
  return () => control(dc, '/release', { mode }).then(() => undefined);
}

/** Stops the shared DC (waiting for the files holding shared leases); `startDc` brings it back. */
export async function stopDc(dc) {
  await control(dc, '/stop');
}

/** Starts the shared DC again after `stopDc`. */
export async function startDc(dc) {
  await control(dc, '/start');
}

/** Restarts the shared DC (waiting for the files holding shared leases). */
export async function restartDc(dc) {
  await control(dc, '/restart');
}

/** The served DC's samba process id (null while stopped) and its leases. */
export async function dcStatus(dc) {
  const { pid, leases } = await control(dc, '/status');
  return { pid, leases };
}

/** The details a test run was given (`inject('samba')`), or an error naming why it has none. */
export function requireDc(provided) {
  if (!provided || 'unavailable' in provided) {
    throw new Error(`no Samba AD DC for this run: ${provided?.unavailable ?? 'not provided'}`);
  }
  return provided;
}

// ---------------------------------------------------------------------------------------------
// LDAP over LDAPS with the OpenLDAP tools

function ldapEnv(dc) {
  // Our CA only, whatever /etc/ldap/ldap.conf or ~/.ldaprc say.
  return { LDAPTLS_CACERT: dc.caFile, LDAPTLS_REQCERT: 'demand', LDAPCONF: '/dev/null', LDAPRC: '/dev/null' };
}

function bindArgs(dc, options) {
  return [
    '-H',
    dc.url,
    '-x',
    '-D',
    options?.bindDn ?? dc.adminUpn,
    '-w',
    options?.password ?? dc.adminPassword,
  ];
}

/**
 * Searches with ldapsearch and parses its LDIF. Attribute values ldapsearch prints base64 (`name::`:
 * binary ones such as objectGUID, or non-ASCII text) stay base64 and their names are in `base64`.
 */
export async function ldapsearch(dc, filter, attrs = [], options = {}) {
  const args = [
    ...bindArgs(dc, options),
    '-LLL',
    '-o',
    'ldif-wrap=no',
    '-b',
    options.base ?? dc.baseDn,
    '-s',
    options.scope ?? 'sub',
    '-E',
    'pr=1000/noprompt',
    filter,
    ...attrs,
  ];
  return parseLdif(await run(tool('ldapsearch'), args, { env: ldapEnv(dc) }));
}

/** Parses LDIF as ldapsearch -LLL -o ldif-wrap=no prints it. */
export function parseLdif(text) {
  const entries = [];
  for (const block of text.split(/\n\s*\n/)) {
    const lines = block.split('\n').filter((l) => l && !l.startsWith('#'));
    const dnLine = lines.find((l) => l.startsWith('dn:'));
    if (!dnLine) continue; // search references and paged-results controls
    const entry = { dn: '', attributes: {}, base64: [] };
    for (const line of lines) {
      const m = /^([^:]+)(::?) ?(.*)$/.exec(line);
      if (!m) continue;
      const [, name, sep, value] = m;
      if (name === 'dn') {
        entry.dn = sep === '::' ? Buffer.from(value, 'base64').toString('utf8') : value;
        continue;
      }
      if (name === 'control') continue;
      entry.attributes[name] = [...(entry.attributes[name] ?? []), value];
      if (sep === '::' && !entry.base64.includes(name)) entry.base64.push(name);
    }
    entries.push(entry);
  }
  return entries;
}

/** First value of an attribute of an entry, by name in any case. */
export function attr(entry, name) {
  const key = Object.keys(entry.attributes).find((k) => k.toLowerCase() === name.toLowerCase());
  return key ? entry.attributes[key][0] : undefined;
}

/** All values of an attribute as text, by name in any case (base64 values decoded as UTF-8). */
export function text(entry, name) {
  const key = Object.keys(entry.attributes).find((k) => k.toLowerCase() === name.toLowerCase());
  if (!key) return [];
  const encoded = entry.base64.includes(key);
  return entry.attributes[key].map((v) => (encoded ? Buffer.from(v, 'base64').toString('utf8') : v));
}

/** The usual text form of an objectGUID given as base64 (the first three fields are little-endian). */
export function guidToString(base64) {
  const b = Buffer.from(base64, 'base64');
  if (b.length !== 16) throw new Error(`an objectGUID has 16 bytes, not ${b.length}`);
  const h = (bytes) => Buffer.from(bytes).toString('hex');
  return [
    h([b[3], b[2], b[1], b[0]]),
    h([b[5], b[4]]),
    h([b[7], b[6]]),
    h(b.subarray(8, 10)),
    h(b.subarray(10, 16)),
  ].join('-');
}

/** Applies LDIF with ldapmodify over LDAPS (`add` for entries without a changetype). */
export async function ldapmodify(dc, ldif, { add = false, ...options } = {}) {
  await run(tool('ldapmodify'), [...bindArgs(dc, options), ...(add ? ['-a'] : [])], {
    env: ldapEnv(dc),
    input: ldif,
  });
}

/** Runs the local samba-tool on the DC's smb.conf, e.g. `sambaTool(dc, 'user', 'list')`. */
export function sambaTool(dc, ...args) {
  return run(tool('samba-tool'), [...args, '-s', dc.smbConf]);
}

// ---------------------------------------------------------------------------------------------
// Fixtures

const ldifLine = (name, value) =>
  // RFC 2849: base64 unless a SAFE-STRING (here: printable ASCII only).
  /^[\x21-\x39\x3b\x3d-\x7e][\x20-\x7e]*$/.test(value) && !value.endsWith(' ')
    ? `${name}: ${value}`
    : `${name}:: ${Buffer.from(value, 'utf8').toString('base64')}`;

const unicodePwd = (password) => `unicodePwd:: ${Buffer.from(`"${password}"`, 'utf16le').toString('base64')}`;

/** AD time (100 ns since 1601) of a date. */
export function fileTime(date) {
  return String((BigInt(date.getTime()) + 11_644_473_600_000n) * 10_000n);
}

const dnOf = (x) => (typeof x === 'string' ? x : x.dn);

const UAC = { ACCOUNTDISABLE: 0x2, PASSWD_NOTREQD: 0x20, NORMAL_ACCOUNT: 0x200 };

function userLdif(dc, u) {
  const dn = `CN=${u.cn ?? u.sam},${u.container ?? `CN=Users,${dc.baseDn}`}`;
  const upn = u.upn ?? `${u.sam}@${dc.upnSuffix}`;
  const values = {
    objectClass: 'user',
    sAMAccountName: u.sam,
    userPrincipalName: upn,
    givenName: u.givenName,
    sn: u.sn,
    displayName: u.displayName,
    mail: u.mail,
    mobile: u.mobile,
    telephoneNumber: u.telephoneNumber,
    userAccountControl: String(
      UAC.NORMAL_ACCOUNT |
        (u.disabled ? UAC.ACCOUNTDISABLE : 0) |
        (u.password === null ? UAC.PASSWD_NOTREQD : 0),
    ),
    accountExpires: u.accountExpires ? fileTime(u.accountExpires) : undefined,
    ...u.attributes,
  };
  const lines = [ldifLine('dn', dn)];
  for (const [name, value] of Object.entries(values)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
      lines.push(ldifLine(name, v));
  }
  if (u.password !== null) lines.push(unicodePwd(u.password ?? DEFAULT_PASSWORD));
  return { dn, upn, ldif: `${lines.join('\n')}\n` };
}

/**
 * Creates a user over LDAPS (with its password, enabled unless `disabled`). `upn` defaults to
 * sam@example.test (any suffix works, e.g. ALT_UPN_SUFFIX). Returns dn, sam, upn and password.
 */
export async function createUser(dc, options) {
  const { dn, upn, ldif } = userLdif(dc, options);
  await ldapmodify(dc, ldif, { add: true });
  const user = {
    dn,
    sam: options.sam,
    upn,
    password: options.password === undefined ? DEFAULT_PASSWORD : options.password,
  };
  if (options.mustChangePassword) await setMustChangePassword(dc, user);
  return user;
}

const GROUP_TYPE = { global: 0x2, domainLocal: 0x4, universal: 0x8 };

/** Creates a security group (global unless `scope` says otherwise), optionally with members. */
export async function createGroup(
  dc,
  { name, container, scope = 'global', members = [], mail, description },
) {
  const dn = `CN=${name},${container ?? `CN=Users,${dc.baseDn}`}`;
  const groupType = (GROUP_TYPE[scope] | 0x80000000) >> 0; // security-enabled: signed 32-bit
  const lines = [
    ldifLine('dn', dn),
    'objectClass: group',
    ldifLine('sAMAccountName', name),
    `groupType: ${groupType}`,
    ...(mail ? [ldifLine('mail', mail)] : []),
    ...(description ? [ldifLine('description', description)] : []),
    ...members.map((m) => ldifLine('member', dnOf(m))),
  ];
  await ldapmodify(dc, `${lines.join('\n')}\n`, { add: true });
  return { dn, name };
}

/** Adds members (users or groups, as DNs or fixture objects) to a group. */
export async function addMembers(dc, group, members) {
  const lines = [ldifLine('dn', dnOf(group)), 'changetype: modify', 'add: member'];
  for (const m of members) lines.push(ldifLine('member', dnOf(m)));
  await ldapmodify(dc, `${lines.join('\n')}\n-\n`);
}

/** Creates an organizational unit under `parent` (the domain by default). */
export async function createOu(dc, name, parent) {
  const dn = `OU=${name},${parent ?? dc.baseDn}`;
  await ldapmodify(dc, `${ldifLine('dn', dn)}\nobjectClass: organizationalUnit\n`, { add: true });
  return { dn, name };
}

async function replace(dc, target, values) {
  const lines = [ldifLine('dn', dnOf(target)), 'changetype: modify'];
  for (const [name, value] of Object.entries(values))
    lines.push(`replace: ${name}`, ldifLine(name, value), '-');
  await ldapmodify(dc, `${lines.join('\n')}\n`);
}

async function userAccountControl(dc, user) {
  const [entry] = await ldapsearch(dc, '(objectClass=*)', ['userAccountControl'], {
    base: dnOf(user),
    scope: 'base',
  });
  return Number(attr(entry, 'userAccountControl'));
}

/** Disables an account (userAccountControl ACCOUNTDISABLE); bind answers `data 533`. */
export async function disableUser(dc, user) {
  await replace(dc, user, {
    userAccountControl: String((await userAccountControl(dc, user)) | UAC.ACCOUNTDISABLE),
  });
}

/** Enables an account again. */
export async function enableUser(dc, user) {
  await replace(dc, user, {
    userAccountControl: String((await userAccountControl(dc, user)) & ~UAC.ACCOUNTDISABLE),
  });
}

/** User must change the password at next logon (pwdLastSet=0); bind answers `data 773`. */
export async function setMustChangePassword(dc, user) {
  await replace(dc, user, { pwdLastSet: '0' });
}

/** Account expired (accountExpires in the past, yesterday by default); bind answers `data 701`. */
export async function expireAccount(dc, user, when = new Date(Date.now() - 86_400_000)) {
  await replace(dc, user, { accountExpires: fileTime(when) });
}

/** Clears a lockout (lockoutTime=0) and, with it, badPwdCount. */
export async function unlockUser(dc, user) {
  await replace(dc, user, { lockoutTime: '0' });
}

/** Administrator's password reset (unicodePwd replace over LDAPS). */
export async function setPassword(dc, user, password) {
  await ldapmodify(
    dc,
    `${ldifLine('dn', dnOf(user))}\nchangetype: modify\nreplace: unicodePwd\n${unicodePwd(password)}\n-\n`,
  );
}

/** Adds a UPN suffix to the forest (uPNSuffixes of CN=Partitions); existing ones are kept. */
export async function addUpnSuffix(dc, suffix) {
  const found = await ldapsearch(dc, `(uPNSuffixes=${suffix})`, ['dn'], {
    base: `CN=Partitions,CN=Configuration,${dc.baseDn}`,
    scope: 'base',
  });
  if (found.length > 0) return;
  await ldapmodify(
    dc,
    `dn: CN=Partitions,CN=Configuration,${dc.baseDn}\nchangetype: modify\nadd: uPNSuffixes\n${ldifLine('uPNSuffixes', suffix)}\n-\n`,
  );
}

/**
 * Domain lockout policy through samba-tool domain passwordsettings (the domain starts with
 * threshold 5, 30 minutes). Domain-wide: it changes the policy for every test using the DC.
 */
export async function setLockoutPolicy(
  dc,
  { threshold = 5, durationMinutes = 30, resetAfterMinutes = 30 } = {},
) {
  await sambaTool(
    dc,
    'domain',
    'passwordsettings',
    'set',
    `--account-lockout-threshold=${threshold}`,
    `--account-lockout-duration=${durationMinutes}`,
    `--reset-account-lockout-after=${resetAfterMinutes}`,
  );
}

/**
 * A fine-grained password policy (msDS-PasswordSettings) applied to groups or users; the resultant
 * one shows as msDS-ResultantPSO on a user. Durations in minutes, ages in days (0 = none).
 */
export async function createPso(
  dc,
  {
    name,
    precedence = 10,
    appliesTo,
    minPasswordLength = 7,
    complexity = true,
    historyLength = 24,
    minPasswordAgeDays = 0,
    maxPasswordAgeDays = 0,
    lockoutThreshold = 5,
    lockoutDurationMinutes = 30,
    lockoutWindowMinutes = 30,
  },
) {
  const minutes = (m) => String(-BigInt(m) * 60n * 10_000_000n);
  const days = (d) => (d === 0 ? '-9223372036854775808' : String(-BigInt(d) * 86_400n * 10_000_000n));
  const dn = `CN=${name},CN=Password Settings Container,CN=System,${dc.baseDn}`;
  const lines = [
    ldifLine('dn', dn),
    'objectClass: msDS-PasswordSettings',
    `msDS-PasswordSettingsPrecedence: ${precedence}`,
    'msDS-PasswordReversibleEncryptionEnabled: FALSE',
    `msDS-PasswordHistoryLength: ${historyLength}`,
    `msDS-PasswordComplexityEnabled: ${complexity ? 'TRUE' : 'FALSE'}`,
    `msDS-MinimumPasswordLength: ${minPasswordLength}`,
    `msDS-MinimumPasswordAge: ${minPasswordAgeDays === 0 ? '0' : days(minPasswordAgeDays)}`,
    `msDS-MaximumPasswordAge: ${days(maxPasswordAgeDays)}`,
    `msDS-LockoutThreshold: ${lockoutThreshold}`,
    `msDS-LockoutObservationWindow: ${minutes(lockoutWindowMinutes)}`,
    `msDS-LockoutDuration: ${minutes(lockoutDurationMinutes)}`,
    ...appliesTo.map((t) => ldifLine('msDS-PSOAppliesTo', dnOf(t))),
  ];
  await ldapmodify(dc, `${lines.join('\n')}\n`, { add: true });
  return { dn, name };
}

/**
 * Creates `count` enabled users `<prefix>00001`... (with mail, mobile, names) in a new OU=<prefix>
 * with ONE ldapadd, and with `group` a group `<prefix>-all` of them all. By default they have no
 * password (userAccountControl 544, PASSWD_NOTREQD: about 5 ms a user); a `password` for all costs
 * about 25 ms a user in Samba's password hashing: give one with `setPassword` to the few that bind.
 */
export async function bulkUsers(dc, count, prefix, { password = null, group = false } = {}) {
  const began = performance.now();
  const ou = await createOu(dc, prefix);
  const width = Math.max(5, String(count).length);
  if (prefix.length + width > 20)
    throw new Error(`sAMAccountName has at most 20 characters: shorten ${prefix}`);
  const users = [];
  const chunks = [];
  for (let i = 1; i <= count; i++) {
    const sam = `${prefix}${String(i).padStart(width, '0')}`;
    const { dn, upn, ldif } = userLdif(dc, {
      sam,
      container: ou.dn,
      password,
      givenName: 'Bulk',
      sn: `User ${i}`,
      displayName: `Bulk User ${i}`,
      mail: `${sam}@${dc.upnSuffix}`,
      mobile: `+49151${String(i).padStart(8, '0')}`, // valid German mobile numbers
    });
    users.push({ dn, sam, upn, password });
    chunks.push(ldif);
  }
  await ldapmodify(dc, chunks.join('\n'), { add: true });
  const all = group
    ? await createGroup(dc, { name: `${prefix}-all`, container: ou.dn, members: users })
    : undefined;
  return { ou: ou.dn, users, group: all, ms: Math.round(performance.now() - began) };
}

// ---------------------------------------------------------------------------------------------
// Shell

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command, dir] = process.argv.slice(2);
  const fail = (error) => {
    console.error(`samba-dc: ${error.message}`);
    process.exit(1);
  };
  if (command === 'prepare') {
    const began = performance.now();
    prepare().then((cache) => {
      console.log(cache);
      console.error(`samba-dc: provisioned domain ready in ${Math.round(performance.now() - began)} ms`);
    }, fail);
  } else if (command === 'start') {
    const folder = dir ? path.resolve(dir) : undefined;
    serve(folder, { remove: !folder }).then((served) => {
      writeFileSync(path.join(served.details.dir, 'serve.pid'), String(process.pid));
      console.log(JSON.stringify(served.details));
      const end = () => served.close().then(() => process.exit(0), fail);
      process.once('SIGINT', end);
      process.once('SIGTERM', end);
    }, fail);
  } else if (command === 'stop' && dir) {
    const file = path.join(path.resolve(dir), 'serve.pid');
    if (!existsSync(file)) fail(new Error(`no ${file}: nothing started there`));
    const pid = Number(readFileSync(file, 'utf8'));
    if (alive(pid)) process.kill(pid, 'SIGTERM');
    // Return once it has stopped the DC, so its address is free for the next one.
    const deadline = Date.now() + 20_000;
    while (alive(pid) && Date.now() < deadline) spawnSync('sleep', ['0.1']);
    rmSync(file, { force: true });
    if (alive(pid)) fail(new Error(`process ${pid} (samba-dc.js start ${dir}) did not stop within 20 s`));
  } else {
    console.error('usage: samba-dc.js prepare | start [DIR] | stop DIR');
    process.exit(2);
  }
}
