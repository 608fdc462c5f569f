/**
 * V8 settings every server process runs with, given on the `node` command line (V8 reads them
 * once, when the process starts): the Dockerfile's command and `npm start` carry them, the
 * primary gives them to the workers it forks, and the bench starts its servers with them.
 *
 * `--max-semi-space-size=8` (MB): under sustained load V8 grows the young generation to its
 * maximum (two semi-spaces of 16 MB on a 64-bit Node.js 20), and keeps it resident: 32 MB of a
 * server's RSS that hold only the garbage of the requests in flight. With 8 MB the young
 * generation takes 16 MB; a scavenge comes twice as often and costs the same (its cost is the
 * surviving objects, the in-flight requests). Measured in `docs/development.md` (issue 15).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];

/**
 * A process's `execArgv` with every server flag present once: a flag the command line already
 * sets (with any value) is left as it is.
 */
export function withServerFlags(execArgv: readonly string[]): string[] {
  const nameOf = (flag: string) => flag.split('=')[0]!.replace(/_/g, '-');
  const present = new Set(execArgv.map(nameOf));
  return [...execArgv, ...SERVER_NODE_FLAGS.filter((flag) => !present.has(nameOf(flag)))];
}
