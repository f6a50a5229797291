/** Settings of the spiking MNIST demo (kept free of tfjs imports so the CLI can describe them cheaply). */

/** Settings of `runDemo` (./run.ts). */
export interface DemoOptions {
  /** Output folder (created if missing). */
  out: string;
  /** Neurons per hidden LIF layer. */
  hidden: number[];
  /** Training epochs. */
  epochs: number;
  /** Minibatch size in training. */
  minibatchSize: number;
  /** Adam learning rate at the start; it decays along a cosine to 5% of this by the last update. */
  learningRate: number;
  /** Steps of the spiking evaluation (input held constant). */
  nSteps: number;
  /** Synapse (s) on the output probe of the spiking evaluation. */
  synapse: number;
  /** Firing rate of each neuron at unit input (Hz). */
  maxRate: number;
  /** `lifSmoothing` (sigma of the smoothed LIF rate used for training). */
  lifSmoothing: number;
  /** Random shifts of up to this many pixels, drawn anew every epoch (0: no augmentation). */
  shift: number;
  /** Held-out test digits (of the 10,000 bundled). */
  nTest: number;
  /** Use at most this many training digits (default: all the others). */
  nTrain?: number;
  /** Seed of the split, the augmentation, the network and the simulator. */
  seed: number;
  /** tfjs backend (default: the simulator's default). */
  backend?: string;
  /** Progress bars during training (default: when stdout is a TTY). */
  progressBar?: boolean;
  /** Test digits shown in the report. */
  nExamples: number;
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
}

/** The defaults of `nengo-ts demo`: reach >= 96% spiking accuracy in a few minutes on 2 CPU cores. */
export const DEMO_DEFAULTS: Omit<DemoOptions, "log"> = {
  out: "./nengo-ts-demo",
  hidden: [256],
  epochs: 20,
  minibatchSize: 100,
  learningRate: 2e-3,
  nSteps: 40,
  synapse: 0.1,
  maxRate: 100,
  lifSmoothing: 0.01,
  shift: 2,
  nTest: 2000,
  seed: 0,
  nExamples: 6,
};

/** What `--full` changes: a wider network, more epochs and a longer spiking run. */
export const FULL_OPTIONS: Partial<DemoOptions> = {
  hidden: [512],
  epochs: 40,
  nSteps: 60,
};

/** `x` as a percentage with one decimal. */
export function pct(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
