// The test CA and the DC's LDAPS certificate: Samba's own has no subject alternative name.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { openssl } from './tools.js';

const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout'];

/** The test CA, made once with the cached domain: DIR/tls/ca.pem and ca.key. */
export function makeCa(dir: string): void {
  const f = (name: string) => path.join(dir, 'tls', name);
  mkdirSync(path.join(dir, 'tls'), { recursive: true });
  const subject = ['-subj', '/CN=Passgate test CA', '-addext', 'basicConstraints=critical,CA:TRUE'];
  openssl('req', '-x509', ...newKey, f('ca.key'), '-out', f('ca.pem'), '-days', '3650', ...subject);
  chmodSync(f('ca.key'), 0o600);
}

/** The DC's certificate for its loopback address (and localhost, dc1.example.test), by the test CA. */
export function makeServerCertificate(dir: string, host: string): void {
  const f = (name: string) => path.join(dir, 'tls', name);
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
