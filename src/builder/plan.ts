/**
 * Operator merging: groups independent operators of the same kind so a simulator can run each group as
 * one computation (one neuron update for all ensembles of a neuron type, ...). Both simulators use it.
 */
import { type Op, opSignals } from "./ops.js";
import type { Signal } from "./signal.js";

/**
 * Split scheduled `ops` into groups that can each run as one merged step, in a valid order.
 * Ops are leveled by their longest dependency path (ops at the same level never depend on each other);
 * within a level, ops with equal non-null `keyOf(op)` form one group. Groups keep Nengo's ordering
 * constraints, so running the groups in sequence equals running `ops` in order.
 */
export function planOps(ops: readonly Op[], keyOf: (op: Op) => string | null): Op[][] {
  const n = ops.length;
  const level = new Int32Array(n);
  // predecessors from signal roles (sets < incs < reads < updates), as in scheduleOps
  const last: Map<Signal, { stage: number; ops: number[] }[]> = new Map();
  const roles = ops.map(opSignals);
  const stagesOf = (s: Signal): { stage: number; ops: number[] }[] => {
    let e = last.get(s);
    if (!e) {
      e = [];
      last.set(s, e);
    }
    return e;
  };
  roles.forEach((r, i) => {
    const add = (sigs: Signal[], stage: number): void => {
      for (const s of sigs) {
        const st = stagesOf(s);
        let entry = st.find((x) => x.stage === stage);
        if (!entry) {
          entry = { stage, ops: [] };
          st.push(entry);
        }
        entry.ops.push(i);
      }
    };
    add(r.sets, 0);
    add(r.incs, 1);
    add(r.reads, 2);
    add(r.updates, 3);
  });
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (const stages of last.values()) {
    stages.sort((a, b) => a.stage - b.stage);
    for (let k = 1; k < stages.length; k++)
      for (const b of stages[k].ops) for (const a of stages[k - 1].ops) if (a !== b) preds[b].push(a);
  }
  // ops are already topologically sorted: one forward pass gives longest-path levels
  for (let i = 0; i < n; i++) for (const p of preds[i]) level[i] = Math.max(level[i], level[p] + 1);
  const maxLevel = n === 0 ? -1 : Math.max(...level);
  const groups: Op[][] = [];
  for (let l = 0; l <= maxLevel; l++) {
    const byKey = new Map<string, Op[]>();
    for (let i = 0; i < n; i++) {
      if (level[i] !== l) continue;
      const key = keyOf(ops[i]);
      if (key === null) {
        groups.push([ops[i]]);
      } else {
        let g = byKey.get(key);
        if (!g) {
          g = [];
          byKey.set(key, g);
          groups.push(g);
        }
        g.push(ops[i]);
      }
    }
  }
  return groups;
}
