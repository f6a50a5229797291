/** Orders operators as Nengo does: for each signal, sets before incs before reads before updates. */
import { BuildError } from "../errors.js";
import { type Op, opSignals } from "./ops.js";
import type { Signal } from "./signal.js";

/**
 * Topologically sort `ops` so that, for every signal, all setters run before incrementers, which run
 * before readers, which run before updaters. Ties keep insertion order. Throws a BuildError on a cycle
 * (an algebraic loop, e.g. a connection with synapse null onto itself).
 */
export function scheduleOps(ops: readonly Op[]): Op[] {
  const n = ops.length;
  const roles = ops.map(opSignals);
  const bySignal = new Map<Signal, number[][]>(); // [sets, incs, reads, updates] op indices
  const entry = (s: Signal): number[][] => {
    let e = bySignal.get(s);
    if (!e) {
      e = [[], [], [], []];
      bySignal.set(s, e);
    }
    return e;
  };
  roles.forEach((r, i) => {
    r.sets.forEach((s) => entry(s)[0].push(i));
    r.incs.forEach((s) => entry(s)[1].push(i));
    r.reads.forEach((s) => entry(s)[2].push(i));
    r.updates.forEach((s) => entry(s)[3].push(i));
  });
  const succ: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  for (const [sig, [sets, incs, reads, updates]] of bySignal) {
    if (sets.length > 1) {
      throw new BuildError(`${String(sig)} is set by more than one operator`);
    }
    const stages = [sets, incs, reads, updates].filter((s) => s.length > 0);
    for (let k = 0; k + 1 < stages.length; k++) {
      // every op of an earlier stage precedes every op of the next non-empty stage
      for (const a of stages[k]) for (const b of stages[k + 1]) if (a !== b) succ[a].add(b);
    }
  }
  const indeg = new Int32Array(n);
  succ.forEach((s) => s.forEach((b) => indeg[b]++));
  // Kahn's algorithm with a min-heap on insertion index for stable order
  const heap: number[] = [];
  const push = (v: number): void => {
    heap.push(v);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (heap[p] <= heap[i]) break;
      [heap[p], heap[i]] = [heap[i], heap[p]];
      i = p;
    }
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap.pop() as number;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && heap[l] < heap[m]) m = l;
        if (r < heap.length && heap[r] < heap[m]) m = r;
        if (m === i) break;
        [heap[m], heap[i]] = [heap[i], heap[m]];
        i = m;
      }
    }
    return top;
  };
  for (let i = 0; i < n; i++) if (indeg[i] === 0) push(i);
  const out: Op[] = [];
  while (heap.length > 0) {
    const i = pop();
    out.push(ops[i]);
    for (const b of succ[i]) if (--indeg[b] === 0) push(b);
  }
  if (out.length !== n) {
    const stuck = ops.filter((_, i) => indeg[i] > 0).map((o) => o.type);
    throw new BuildError(
      `the model has an algebraic loop (a cycle of connections without synapses); operators involved: ${[...new Set(stuck)].join(", ")}`,
    );
  }
  return out;
}
