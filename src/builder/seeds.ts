/**
 * Seed assignment exactly as Nengo 4's `seed_network` (nengo/builder/network.py), so the same network
 * seed builds the same model as Nengo.
 *
 * Seeding rules (Nengo 4.1):
 * - Top-level network: one draw `np.random.randint(2**31 - 1)` from the *global* RNG is always made;
 *   the network's own seed replaces it when set.
 * - Inside a network with seed s: `rng = RandomState(s)`; for each type in the order
 *   (Connection, Ensemble, Network, Node, Probe), for each object of that type in creation order:
 *   `seed = rng.randint(2**31 - 1)` is ALWAYS drawn (so setting one object's seed does not shift the
 *   others), then the object's own seed replaces it when set. Afterwards each subnetwork is seeded
 *   recursively with its assigned seed (depth first, in creation order).
 * - `seeded[obj]` is true when the object has its own seed or its parent network is seeded (Nengo uses it
 *   only to decide whether the decoder cache may be used).
 *
 * How the builder uses the seeds (Nengo 4.1 draw order; every RandomState below is numpy's legacy one):
 *
 * (a) Ensemble, `rng = RandomState(seeds[ens])`, in this order:
 *   1. eval points: `gen_eval_points` — if `ens.eval_points` is a Distribution, `sample(n_eval_points ??
 *      default_n_eval_points(n_neurons, d), d, rng)`, then `*= radius`; explicit arrays draw nothing.
 *      Default ScatteredHypersphere() (volume) with d >= 2 draws: `uniform(0, 1, size=d)` (sequence offset),
 *      a row shuffle (n-1 `random_interval` draws), then `standard_normal((d, d))` for the rotation.
 *      With d == 1: QuasirandomSequence(floor(n/2), 1) [1 uniform + shuffle], QuasirandomSequence(rest, 1)
 *      [1 uniform + shuffle], then a shuffle of all n.
 *   2. encoders: skipped for Direct (identity, no draws); a Distribution is sampled `(n_neurons, d)`
 *      (default ScatteredHypersphere(surface=True): base sample (n, d-1) then d*d normals; d == 1:
 *      sign(QuasirandomSequence(n, 1) - 0.5), i.e. 1 uniform + shuffle); then normalized per row if
 *      `normalize_encoders` (division by `sqrt(sum(x**2))`, numpy pairwise sum).
 *   3. gain/bias (`get_gain_bias`): if both gain and bias are given, sample gain (n) then bias (n);
 *      otherwise sample max_rates (n) then intercepts (n) and compute `neuron_type.gain_bias`.
 *      Defaults: max_rates Uniform(200, 400), intercepts Uniform(-1.0, 0.9).
 *   4. noise process (if any) is built last but draws nothing at build time.
 *
 * (b) Neuron state: `build_neurons` uses a NEW `RandomState(seeds[ens] + 1)` and calls
 *   `neuron_type.make_state(n_neurons, rng)`: for each entry of the type's `state` dict in declaration
 *   order, `get_samples(initial_state.get(name, default), n_neurons, d=None, rng)`. Note `Choice([0])`
 *   still consumes n `rand` draws. Orders: LIF: voltage Uniform(0, 1), refractory_time Choice([0]);
 *   SpikingRectifiedLinear: voltage Uniform(0, 1); AdaptiveLIFRate: adaptation Choice([0]); AdaptiveLIF:
 *   voltage, refractory_time, adaptation; Izhikevich: voltage Uniform(0, 1), recovery Choice([0]);
 *   RegularSpiking(base): the base type's state from one RandomState(seed+1), then RegularSpiking's own
 *   voltage Uniform(0, 1) from ANOTHER fresh RandomState(seed+1); StochasticSpiking/PoissonSpiking: base
 *   state as before, then a fresh RandomState(seed+1) is kept as state "rng" and used while simulating
 *   (`rng.random_sample(n)` each step). Rate types (LIFRate, RectifiedLinear, Sigmoid, Tanh) draw nothing.
 *
 * (c) Connection, `rng = RandomState(seeds[conn])`: eval points — if `conn.eval_points` is None the pre
 *   ensemble's built eval points are reused (no draws), else `gen_eval_points(pre, conn.eval_points, rng,
 *   conn.scale_eval_points)`; for non-compositional weight solvers `transform.sample(rng)` next; then the
 *   solver is called with `rng` (LstsqL2/Lstsq draw nothing; noise solvers draw); finally the transform
 *   is built with `rng` (a Dense transform whose init is a Distribution draws `sample(size_out, size_in)`).
 *
 * (d) Simulator: `sim.rng = RandomState(sim_seed)` with sim_seed = network.seed + 1 if the network has a
 *   seed, else `np.random.randint(2**31 - 1)`; each stochastic process (op in step order) gets
 *   `RandomState(process.seed ?? sim.rng.randint(2**31 - 1))` (drawn only when its seed is unset).
 */
import { RandomState } from "../rng/randomstate.js";

/** np.iinfo(np.int32).max, the exclusive upper bound of every seed Nengo draws. */
export const MAXINT = 2147483647;

/** Anything that can carry a seed. */
export interface Seedable {
  seed?: number | null;
}

/** The structure `assignSeeds` walks (Nengo's `network.objects`); model Networks satisfy it. */
export interface SeedNetwork {
  seed?: number | null;
  connections: readonly Seedable[];
  ensembles: readonly Seedable[];
  networks: readonly SeedNetwork[];
  nodes: readonly Seedable[];
  probes: readonly Seedable[];
}

/** Seeds of every object and whether each was fixed deterministically. */
export interface SeedInfo {
  /** Seed of every object (networks included). */
  seeds: Map<object, number>;
  /** True when the object's seed is determined by user-set seeds (its own or an ancestor network's). */
  seeded: Map<object, boolean>;
}

/**
 * Nengo's `seed_network`: assign a seed to `root` and, recursively, to every object in it.
 * @param root the top-level network.
 * @param seed overrides the root network's seed (like a pre-set `model.seeds[network]`).
 * @param globalRng source of the one top-level draw Nengo takes from `np.random` (always called, as Nengo
 *   does); by default a `Math.random`-based draw in [0, 2**31 - 1).
 */
export function seedNetwork(root: SeedNetwork, seed?: number, globalRng?: () => number): SeedInfo {
  const seeds = new Map<object, number>();
  const seeded = new Map<object, boolean>();
  const drawn = globalRng ? globalRng() : Math.floor(Math.random() * MAXINT);
  const own = root.seed ?? undefined;
  seeds.set(root, seed ?? own ?? drawn);
  seeded.set(root, seed !== undefined || own !== undefined);
  seedChildren(root, seeds, seeded);
  return { seeds, seeded };
}

function seedChildren(net: SeedNetwork, seeds: Map<object, number>, seeded: Map<object, boolean>): void {
  const rng = new RandomState(seeds.get(net) as number);
  const parentSeeded = seeded.get(net) as boolean;
  // Nengo's sorted_types: (Connection, Ensemble, Network, Node, Probe); probes last so they don't shift others
  const groups: readonly (readonly Seedable[])[] = [
    net.connections,
    net.ensembles,
    net.networks,
    net.nodes,
    net.probes,
  ];
  for (const objs of groups) {
    for (const obj of objs) {
      const drawn = rng.randint(MAXINT);
      if (!seeds.has(obj)) {
        const own = obj.seed ?? undefined;
        seeds.set(obj, own ?? drawn);
      }
      if (!seeded.has(obj)) seeded.set(obj, (obj.seed ?? undefined) !== undefined || parentSeeded);
    }
  }
  for (const sub of net.networks) seedChildren(sub, seeds, seeded);
}

/** Nengo's seeding as a map from object to seed (see {@link seedNetwork}). */
export function assignSeeds(root: SeedNetwork, seed?: number, globalRng?: () => number): Map<object, number> {
  return seedNetwork(root, seed, globalRng).seeds;
}
