// Provisioning: one domain per machine and recipe, cached under os.tmpdir() (~6-10 s once); each
// DC starts from a fresh copy of the cache (~0.2 s) with its paths and address rewritten.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeCa, makeServerCertificate } from './certificates.js';
import { ADMIN_PASSWORD, ALT_UPN_SUFFIX, BASE_DN, DOMAIN, details, REALM, type SambaDc } from './domain.js';
import { claimHost } from './host-claims.js';
import { run, sambaPython, sambaVersion, tool } from './tools.js';

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
const SMB_CONF: Record<string, string> = {
  'tls enabled': 'yes',
  'tls certfile': 'DIR/tls/server.pem',
  'tls keyfile': 'DIR/tls/server.key',
  'tls cafile': 'DIR/tls/ca.pem',
  // A throw-away domain: no fsync on every write (what Samba's own selftest does).
  'ldb:nosync': 'true',
};

const CACHE_PREFIX = 'passgate-samba-cache-';

function provisionArgs(dir: string): string[] {
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

/** Folder of the cached, provisioned domain for this recipe and Samba version. */
export function cacheDir(): string {
  const recipe = JSON.stringify([RECIPE_VERSION, provisionArgs('DIR'), SMB_CONF, BASELINE, sambaVersion()]);
  const hash = createHash('sha256').update(recipe).digest('hex').slice(0, 12);
  return path.join(os.tmpdir(), `${CACHE_PREFIX}${hash}`);
}

/** Writes options into the [global] section of DIR/etc/smb.conf. */
function addGlobalOptions(dir: string, options: Record<string, string>): void {
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

function baselineLdif(): string {
  const minutes = String(-BASELINE.lockoutMinutes * 60 * 10_000_000);
  const values: Record<string, string | number> = {
    lockoutThreshold: BASELINE.lockoutThreshold,
    lockoutDuration: minutes,
    lockOutObservationWindow: minutes,
    maxPwdAge: BASELINE.maxPwdAge,
    minPwdAge: BASELINE.minPwdAge,
  };
  return [
    `dn: ${BASE_DN}`,
    'changetype: modify',
    ...Object.entries(values).flatMap(([name, value]) => [`replace: ${name}`, `${name}: ${value}`, '-']),
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
async function provisionFresh(dir: string): Promise<void> {
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

/** Caches of older recipes or Samba versions are of no use any more: removes all but `keep`. */
function removeOtherCaches(keep: string): void {
  for (const name of readdirSync(os.tmpdir())) {
    if (
      name.startsWith(CACHE_PREFIX) &&
      /^[0-9a-f]+$/.test(name.slice(CACHE_PREFIX.length)) &&
      name !== path.basename(keep)
    )
      rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
}

/** Makes sure the cached domain exists (provisioning it once per machine, ~10 s); returns its folder. */
export async function prepare(): Promise<string> {
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
    removeOtherCaches(cache);
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
export async function provision(dir: string, { host }: { host?: string } = {}): Promise<SambaDc> {
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
