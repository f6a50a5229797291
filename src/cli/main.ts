#!/usr/bin/env node
/**
 * The `nengo-ts` command line. Subcommands: `bench` (./bench.ts) and, when `./demo.js` exists and exports
 * `registerDemo(program)`, `demo` (the spiking MNIST example; written separately).
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { registerBench } from "./bench.js";

/** The package version, read from package.json (or "unknown"). */
function packageVersion(): string {
  for (const rel of ["../../../package.json", "../../package.json"]) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), "utf8")) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === "nengo-ts" && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return "unknown";
}

/** Register optional subcommands that live in their own modules (loaded only if present). */
async function registerOptional(program: Command): Promise<void> {
  const url = new URL("./demo.js", import.meta.url).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    if (err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("demo.js")) return;
    throw e;
  }
  if (typeof mod.registerDemo === "function") (mod.registerDemo as (p: Command) => void)(program);
}

/** Build the `nengo-ts` program with all its subcommands. */
export async function createProgram(): Promise<Command> {
  const program = new Command();
  program
    .name("nengo-ts")
    .description("Nengo and NengoDL for TypeScript: build, simulate and train spiking neural networks")
    .version(packageVersion());
  registerBench(program);
  await registerOptional(program);
  return program;
}

const program = await createProgram();
await program.parseAsync(process.argv);
