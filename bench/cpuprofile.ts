import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The parts of a V8 `.cpuprofile` (written by `node --cpu-prof`) the summary reads. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** One row of a profile summary: time in ms and share of the sampled window. */
export interface ProfileRow {
  name: string;
  ms: number;
  percent: number;
}

/** Where the main thread of the server spent a time window. */
export interface ProfileSummary {
  /** Sampled wall time of the window, ms. */
  windowMs: number;
  /** Main-thread time not idle, ms (JS, GC, native work on the main thread). */
  busyMs: number;
  /** Self time by area: a package in node_modules, a Passgate folder, node internals, GC. */
  byArea: ProfileRow[];
  /**
   * Self time by area with node internals and native code charged to the package or Passgate
   * folder that called them (who caused the time, rather than where it was spent).
   */
  byOwner: ProfileRow[];
  /** Functions by self time. */
  topSelf: ProfileRow[];
  /** Functions by inclusive time (self plus callees), main frames of the request paths. */
  topInclusive: ProfileRow[];
}

/** Offset from `performance.now()` (ms) to the monotonic clock V8 stamps profiles with (µs). */
const MONOTONIC_OFFSET_US = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;

/**
 * A `performance.now()` reading of this process on the clock of `.cpuprofile` timestamps: both
 * are CLOCK_MONOTONIC, shared by every process of the machine, so the bench can tell which
 * samples of the server fall inside its measured window or inside one request.
 */
export function monotonicUs(performanceNowMs: number): number {
  return performanceNowMs * 1000 + MONOTONIC_OFFSET_US;
}

interface LoadedProfile {
  byId: Map<number, CpuProfile['nodes'][number]>;
  parent: Map<number, number>;
  /** Per sample: node id, absolute time (µs) and weight (ms: the gap to the next sample). */
  samples: Array<{ id: number; atUs: number; ms: number }>;
}

function loadProfile(file: string): LoadedProfile {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const samples: LoadedProfile['samples'] = [];
  let atUs = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    atUs += profile.timeDeltas[i] ?? 0;
    samples.push({ id: profile.samples[i]!, atUs, ms: (profile.timeDeltas[i + 1] ?? 0) / 1000 });
  }
  return { byId, parent, samples };
}

/**
 * Summarizes the samples of a CPU profile taken between two monotonic instants (µs, see
 * {@link monotonicUs}): where the server's main thread went during one measured window.
 */
export function summarizeProfile(file: string, fromUs: number, toUs: number, top = 15): ProfileSummary {
  const { byId, parent, samples } = loadProfile(file);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const areas = new Map<string, number>();
  const owners = new Map<string, number>();
  let windowMs = 0;
  let idleMs = 0;
  for (const { id, atUs, ms: weightMs } of samples) {
    if (atUs < fromUs || atUs > toUs) continue;
    windowMs += weightMs;
    const node = byId.get(id);
    if (!node) continue;
    const frame = node.callFrame;
    if (frame.functionName === '(idle)') {
      idleMs += weightMs;
      continue;
    }
    add(self, frameName(frame), weightMs);
    add(areas, areaOf(frame), weightMs);
    add(owners, ownerOf(node.id, byId, parent), weightMs);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const name = frameName(byId.get(id)!.callFrame);
      if (seen.has(name)) continue;
      seen.add(name);
      add(inclusive, name, weightMs);
    }
  }
  const rows = (map: Map<string, number>, skip: (name: string) => boolean = () => false) =>
    [...map.entries()]
      .filter(([name]) => !skip(name))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({
        name,
        ms: Math.round(ms),
        percent: windowMs ? Math.round((ms / windowMs) * 1000) / 10 : 0,
      }));
  return {
    windowMs: Math.round(windowMs),
    busyMs: Math.round(windowMs - idleMs),
    byArea: rows(areas),
    byOwner: rows(owners),
    topSelf: rows(self),
    // Roots and the event-loop plumbing contain everything; they say nothing.
    topInclusive: rows(
      inclusive,
      (name) =>
        name.startsWith('(root)') ||
        name.startsWith('(program)') ||
        / node:internal\/(process|timers)/.test(name),
    ),
  };
}

function add(map: Map<string, number>, key: string, ms: number): void {
  map.set(key, (map.get(key) ?? 0) + ms);
}

function frameName(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const fn = frame.functionName || '(anonymous)';
  if (!frame.url) return fn;
  return `${fn} ${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
}

function shortUrl(url: string): string {
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) return file.slice(modules + '/node_modules/'.length);
  const src = /\/(src|dist)\//.exec(file);
  if (src) return file.slice(src.index + 1);
  return file.startsWith('node:') ? file : path.basename(file);
}

/** The nearest frame on the stack that belongs to a package or to Passgate, as an area. */
function ownerOf(leaf: number, byId: LoadedProfile['byId'], parent: LoadedProfile['parent']): string {
  const leafArea = areaOf(byId.get(leaf)!.callFrame);
  for (let id: number | undefined = leaf; id !== undefined; id = parent.get(id)) {
    const frame = byId.get(id)!.callFrame;
    if (!frame.url || frame.url.startsWith('node:')) continue;
    return areaOf(frame);
  }
  return leafArea;
}

function areaOf(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC';
    if (functionName === '(program)') return '(program: V8/native, no JS frame)';
    return `native: ${functionName || '(anonymous)'}`;
  }
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope = '', name = ''] = file.slice(modules + '/node_modules/'.length).split('/');
    return scope.startsWith('@') ? `${scope}/${name}` : scope;
  }
  if (file.startsWith('node:')) return 'node internals';
  // The server runs src/ through tsx, or the same folders compiled into dist/.
  const src = /\/(?:src|dist)\/([^/]+)\//.exec(file);
  return src ? `passgate src/${src[1]}` : path.basename(file);
}

/** A labelled stretch of time (µs on the monotonic clock), e.g. one login step of one operation. */
export interface Interval {
  label: string;
  fromUs: number;
  toUs: number;
}

/** Main-thread time of the server inside the intervals of one label. */
export interface IntervalCost {
  label: string;
  intervals: number;
  /** Busy (non-idle) main-thread ms per interval. */
  busyMsEach: number;
  /** Busy ms per interval by area, largest first. */
  areas: Array<{ name: string; msEach: number }>;
}

/**
 * Charges each busy sample of the server's main thread to the interval it falls in. Meaningful
 * when one request is in flight at a time (concurrency 1): then the server works only for the
 * step the bench is waiting on.
 */
export function attributeIntervals(
  file: string,
  intervals: readonly Interval[],
  topAreas = 5,
): IntervalCost[] {
  const { byId, samples } = loadProfile(file);
  const sorted = [...intervals].sort((a, b) => a.fromUs - b.fromUs);
  const totals = new Map<string, { intervals: number; busy: number; areas: Map<string, number> }>();
  for (const interval of sorted) {
    const slot = totals.get(interval.label) ?? { intervals: 0, busy: 0, areas: new Map() };
    slot.intervals++;
    totals.set(interval.label, slot);
  }
  let next = 0;
  for (const { id, atUs, ms } of samples) {
    while (next < sorted.length && sorted[next]!.toUs < atUs) next++;
    const interval = sorted[next];
    if (!interval || atUs < interval.fromUs) continue;
    const frame = byId.get(id)?.callFrame;
    if (!frame || frame.functionName === '(idle)') continue;
    const slot = totals.get(interval.label)!;
    slot.busy += ms;
    add(slot.areas, areaOf(frame), ms);
  }
  return [...totals.entries()].map(([label, slot]) => ({
    label,
    intervals: slot.intervals,
    busyMsEach: Math.round((slot.busy / slot.intervals) * 100) / 100,
    areas: [...slot.areas.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topAreas)
      .map(([name, ms]) => ({ name, msEach: Math.round((ms / slot.intervals) * 100) / 100 })),
  }));
}
