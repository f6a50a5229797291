/**
 * The `nengo-ts demo` command: NengoDL's spiking MNIST example on the digits bundled in the `mnist` package
 * (see ../demo/run.ts). Loaded by ./main.ts through {@link registerDemo}.
 */
import { Command, InvalidArgumentError } from "commander";
import { nonNegativeInt, positiveInt, positiveNumber } from "./args.js";
import { DEMO_DEFAULTS, FULL_OPTIONS, pct, type DemoOptions } from "../demo/options.js";
import { formatSeconds } from "../demo/report.js";

function layerSizes(v: string): number[] {
  const sizes = v.split(",").map((s) => Number(s.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1)) {
    throw new InvalidArgumentError(
      `--hidden must be comma-separated positive integers (e.g. 256 or 512,256), got "${v}".`,
    );
  }
  return sizes;
}

/** Options as commander parses them. */
interface DemoCliOptions {
  out: string;
  full?: boolean;
  hidden?: number[];
  epochs?: number;
  steps?: number;
  synapse?: number;
  maxRate?: number;
  learningRate?: number;
  minibatchSize?: number;
  shift?: number;
  nTest?: number;
  nTrain?: number;
  seed?: number;
  backend?: string;
  progress?: boolean;
}

/** The demo options a command line asks for: defaults, then `--full`, then explicit options. */
export function demoOptionsFromCli(opts: DemoCliOptions): Partial<DemoOptions> {
  const explicit: Partial<DemoOptions> = {
    out: opts.out,
    hidden: opts.hidden,
    epochs: opts.epochs,
    nSteps: opts.steps,
    synapse: opts.synapse,
    maxRate: opts.maxRate,
    learningRate: opts.learningRate,
    minibatchSize: opts.minibatchSize,
    shift: opts.shift,
    nTest: opts.nTest,
    nTrain: opts.nTrain,
    seed: opts.seed,
    backend: opts.backend,
    progressBar: opts.progress === false ? false : undefined,
  };
  const set = Object.fromEntries(Object.entries(explicit).filter(([, v]) => v !== undefined)) as Partial<DemoOptions>;
  return { ...DEMO_DEFAULTS, ...(opts.full ? FULL_OPTIONS : {}), ...set };
}

/** Add the `demo` subcommand to `program`. */
export function registerDemo(program: Command): Command {
  const d = DEMO_DEFAULTS;
  return program
    .command("demo")
    .description(
      "train NengoDL's spiking MNIST example (LIF neurons, trained in rate mode, evaluated spiking) on the digits " +
        "bundled in the mnist package; writes report.html, TensorBoard logs and saved params to --out",
    )
    .option("-o, --out <dir>", "output folder", d.out)
    .option(
      "--full",
      `bigger run: ${FULL_OPTIONS.hidden?.join(",")} hidden neurons, ${FULL_OPTIONS.epochs} epochs, ${FULL_OPTIONS.nSteps} steps`,
    )
    .option("--hidden <sizes>", `hidden LIF layer sizes, comma-separated (default ${d.hidden.join(",")})`, layerSizes)
    .option("-e, --epochs <n>", `training epochs (default ${d.epochs})`, positiveInt("--epochs"))
    .option("-s, --steps <n>", `steps of the spiking evaluation (default ${d.nSteps})`, positiveInt("--steps"))
    .option("--synapse <tau>", `output probe synapse in seconds (default ${d.synapse})`, positiveNumber("--synapse"))
    .option("--max-rate <hz>", `LIF firing rate at unit input (default ${d.maxRate})`, positiveNumber("--max-rate"))
    .option("--learning-rate <lr>", `Adam learning rate (default ${d.learningRate})`, positiveNumber("--learning-rate"))
    .option(
      "--minibatch-size <n>",
      `training minibatch size (default ${d.minibatchSize})`,
      positiveInt("--minibatch-size"),
    )
    .option(
      "--shift <px>",
      `random-shift augmentation in pixels, 0 = off (default ${d.shift})`,
      nonNegativeInt("--shift"),
    )
    .option("--n-test <n>", `held-out test digits (default ${d.nTest})`, positiveInt("--n-test"))
    .option("--n-train <n>", "use at most this many training digits (default: all others)", positiveInt("--n-train"))
    .option("--seed <n>", `seed (default ${d.seed})`, nonNegativeInt("--seed"))
    .option("--backend <name>", "tfjs backend (wasm, cpu, tensorflow)")
    .option("--no-progress", "no progress bars")
    .action(async (opts: DemoCliOptions, cmd: Command) => {
      try {
        const { runDemo } = await import("../demo/run.js"); // loads tfjs only when the demo runs
        const s = await runDemo({ ...demoOptionsFromCli(opts), log: (l) => process.stdout.write(l + "\n") });
        const r = s.results;
        const w = (l: string): boolean => process.stdout.write(l + "\n");
        w(`report: ${s.reportPath}`);
        w(`saved params: ${s.paramsPath}`);
        w(
          s.tensorboardPath
            ? `TensorBoard logs: ${s.tensorboardPath} (tensorboard --logdir ${s.tensorboardPath})`
            : "TensorBoard logs: none written",
        );
        w(`training time: ${formatSeconds(r.trainSeconds)} (total ${formatSeconds(r.totalSeconds)})`);
        w(`rate-mode test accuracy: ${pct(r.rateAccuracy)}`);
        w(`spiking test accuracy: ${pct(r.spikingAccuracy)}`);
      } catch (e) {
        cmd.error(`error: ${(e as Error).message}`, { exitCode: 1 });
      }
    });
}
