#!/usr/bin/env node
// Makes sure the Debian packages the test suite needs are present before it runs. As root with
// apt, missing ones are installed; otherwise this fails with the one command that installs them.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const hasCommand = (name) => spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
// Daemons live in /usr/sbin, which is not on every user's PATH.
const hasDaemon = (name) => hasCommand(name) || existsSync(`/usr/sbin/${name}`);
const hasDebianPackage = (name) =>
  /^Status: install ok installed$/m.test(
    spawnSync('dpkg-query', ['-s', name], { encoding: 'utf8' }).stdout ?? '',
  );
const hasPostgresServer = () =>
  existsSync('/usr/lib/postgresql') &&
  readdirSync('/usr/lib/postgresql').some((v) => existsSync(`/usr/lib/postgresql/${v}/bin/initdb`));

/** What the suite needs from the system, and the Debian package that provides it. */
export const REQUIREMENTS = [
  { what: 'PostgreSQL server (storage contract suite)', present: hasPostgresServer, pkg: 'postgresql' },
  {
    what: 'docker-compose (validates docker-compose.yml)',
    present: () => hasCommand('docker-compose'),
    pkg: 'docker-compose',
  },
  { what: 'oathtool (independent HOTP/TOTP codes)', present: () => hasCommand('oathtool'), pkg: 'oathtool' },
  {
    what: 'radclient (an independent RADIUS client for the RADIUS door)',
    present: () => hasCommand('radclient'),
    pkg: 'freeradius-utils',
  },
  {
    what: 'freeradius (a RADIUS proxy in front of the RADIUS door)',
    present: () => hasDaemon('freeradius'),
    pkg: 'freeradius',
  },
  { what: 'xmlsec1 (SAML signature checks)', present: () => hasCommand('xmlsec1'), pkg: 'xmlsec1' },
  {
    what: 'zbarimg (decodes the self-service QR code)',
    present: () => hasCommand('zbarimg'),
    pkg: 'zbar-tools',
  },
  // Samba 4 as a real Active Directory domain controller (test/support/samba/).
  // samba-ad-provision is only recommended by samba-ad-dc but provisioning needs it.
  { what: 'samba (AD domain controller)', present: () => hasDaemon('samba'), pkg: 'samba' },
  { what: 'samba-ad-dc (AD DC role)', present: () => hasDebianPackage('samba-ad-dc'), pkg: 'samba-ad-dc' },
  {
    what: 'samba-ad-provision (AD schema for samba-tool domain provision)',
    present: () => existsSync('/usr/share/samba/setup/ad-schema'),
    pkg: 'samba-ad-provision',
  },
  { what: 'winbind (Samba AD DC companion daemon)', present: () => hasDaemon('winbindd'), pkg: 'winbind' },
  { what: 'samba-tool (AD fixtures)', present: () => hasCommand('samba-tool'), pkg: 'samba' },
  {
    what: 'ldap-utils (ldapsearch/ldapadd/ldapmodify)',
    present: () => hasCommand('ldapsearch') && hasCommand('ldapadd') && hasCommand('ldapmodify'),
    pkg: 'ldap-utils',
  },
  // Debian's SOGo with its ActiveSync module: the real EAS upstream of the ActiveSync door
  // (test/support/sogo.ts), and libwbxml2-utils' WBXML codec with the ActiveSync code pages.
  { what: 'sogo (an Exchange ActiveSync server)', present: () => hasDaemon('sogod'), pkg: 'sogo' },
  {
    what: 'sogo-activesync (its ActiveSync module)',
    present: () => hasDebianPackage('sogo-activesync'),
    pkg: 'sogo-activesync',
  },
  {
    what: 'dovecot-imapd (the mail folders behind SOGo, test/support/dovecot.ts)',
    present: () => hasDaemon('dovecot'),
    pkg: 'dovecot-imapd',
  },
  { what: 'memcached (SOGo sessions)', present: () => hasDaemon('memcached'), pkg: 'memcached' },
  {
    what: 'xml2wbxml/wbxml2xml (ActiveSync WBXML)',
    present: () => hasCommand('xml2wbxml') && hasCommand('wbxml2xml'),
    pkg: 'libwbxml2-utils',
  },
  // Headless Chromium driven by playwright-core (test/support/chromium.ts), and a Korean font so
  // that the screenshots of the Korean pages show Hangul rather than empty boxes.
  { what: 'chromium (browser tests)', present: () => existsSync('/usr/bin/chromium'), pkg: 'chromium' },
  {
    what: 'a Korean font (screenshots of the Korean pages)',
    present: () => (spawnSync('fc-list', [':lang=ko'], { encoding: 'utf8' }).stdout ?? '').trim() !== '',
    pkg: 'fonts-nanum',
  },
];

export function missingPackages() {
  return REQUIREMENTS.filter((r) => !r.present());
}

function install(packages) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!process.env.PASSGATE_APT_UPDATED)
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
    stdio: 'inherit',
    env,
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const missing = missingPackages();
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((r) => r.pkg))];
    const command = `apt-get install -y --no-install-recommends ${packages.join(' ')}`;
    const canInstall = process.getuid?.() === 0 && hasCommand('apt-get');
    console.error(`preflight: missing ${missing.map((r) => r.what).join(', ')}`);
    if (!canInstall) {
      console.error(`preflight: install them with: sudo ${command}`);
      process.exit(1);
    }
    console.error(`preflight: installing: ${packages.join(' ')}`);
    install(packages);
    const still = missingPackages();
    if (still.length > 0) {
      console.error(`preflight: still missing after install: ${still.map((r) => r.what).join(', ')}`);
      process.exit(1);
    }
  }
}
