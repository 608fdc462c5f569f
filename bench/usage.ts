/** One measured window of an in-process scenario, where the bench process is the server. */
export interface InProcessWindow {
  ops: number;
  seconds: number;
  /** CPU seconds of this process over the window. */
  processSeconds: number;
  /** CPU seconds of the whole machine over the window. */
  machineSeconds: number;
  /** CPU seconds of the PostgreSQL cluster over the window (0 for SQLite). */
  databaseSeconds?: number;
}

/** The CPU and memory fields of an in-process scenario's result, the same for every scenario. */
export function inProcessUsage(window: InProcessWindow) {
  const database = window.databaseSeconds ?? 0;
  const percent = (cpu: number) => (cpu / window.seconds) * 100;
  return {
    scryptCost: 0,
    serverCpuPercent: percent(window.processSeconds),
    benchCpuPercent: 0,
    databaseCpuPercent: percent(database),
    otherCpuPercent: Math.max(0, percent(window.machineSeconds - window.processSeconds - database)),
    serverCpuMsPerOp: window.ops ? (window.processSeconds * 1000) / window.ops : 0,
    serverRssMb: Math.round(process.memoryUsage().rss / 1048576),
    serverRoutes: {},
    serverLogLines: [] as string[],
  };
}
