import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/** Where a command reads and writes; the real process by default, replaceable in tests. */
export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** The process's own streams. */
export const processIo: CliIo = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

/**
 * Reads a secret without it ever touching argv: from standard input when it is not a terminal
 * (first line, for scripts), otherwise from a prompt that does not echo, asked twice when
 * `confirm` is set.
 */
export async function readSecret(io: CliIo, prompt: string, confirm = false): Promise<string> {
  if (!io.stdin.isTTY) {
    let text = '';
    for await (const chunk of io.stdin) text += chunk.toString();
    return text.split(/\r?\n/)[0] ?? '';
  }
  const first = await ask(io, `${prompt}: `);
  if (!confirm) return first;
  const second = await ask(io, `${prompt} (again): `);
  if (first !== second) throw new Error('the two entries differ');
  return first;
}

function ask(io: CliIo, question: string): Promise<string> {
  io.stderr.write(question);
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = createInterface({ input: io.stdin, output: muted, terminal: true });
  return new Promise((resolve) => {
    rl.question('', (answer) => {
      rl.close();
      io.stderr.write('\n');
      resolve(answer);
    });
  });
}
