// Whether something answers on an address: a free address for a new DC, a started DC ready for TLS.
import net from 'node:net';
import tls from 'node:tls';

/** Whether a TCP connection to host:port succeeds. */
export function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Whether LDAPS on host:636 completes a TLS handshake with a certificate of `ca` (2 s at most). */
export function tlsAnswers(host: string, ca: Buffer): Promise<boolean> {
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
