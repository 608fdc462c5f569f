// Creates a signed Passgate licence file (the vendor's tool; tests use signLicence directly):
//   npx tsx scripts/licence-sign.ts --key vendor-private.pem --customer "Example Ltd" \
//     --mfa 500 --reset 200 --expires 2027-12-31 > licence.json
// The key is an Ed25519 private key in PEM (`openssl genpkey -algorithm ed25519 -out vendor-private.pem`);
// its public half (`openssl pkey -in vendor-private.pem -pubout`) goes into licences.publicKey.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { signLicence } from '../src/licences/licence-file.js';

const { values } = parseArgs({
  options: {
    key: { type: 'string' },
    customer: { type: 'string' },
    mfa: { type: 'string' },
    reset: { type: 'string' },
    expires: { type: 'string' },
  },
});
const missing = ['key', 'customer', 'mfa', 'reset', 'expires'].filter(
  (name) => !values[name as keyof typeof values],
);
if (missing.length > 0) {
  process.stderr.write(`licence-sign: missing ${missing.map((name) => `--${name}`).join(', ')}\n`);
  process.exit(2);
}
process.stdout.write(
  signLicence(
    {
      customer: values.customer!,
      pools: { mfa: Number(values.mfa), reset: Number(values.reset) },
      expires: values.expires!,
      issued: new Date().toISOString().slice(0, 10),
    },
    readFileSync(values.key!, 'utf8'),
  ),
);
