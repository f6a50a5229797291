/** Test helper: read golden JSON data produced by real Nengo from `../shared/golden`. */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as path from "node:path";

/** Repository root: the nearest ancestor of this file holding package.json. */
function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

/** Parse `../shared/golden/<name>` (".json" appended when missing), relative to the repo root. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function loadGolden(name: string): any {
  const file = name.endsWith(".json") ? name : `${name}.json`;
  return JSON.parse(readFileSync(path.join(repoRoot(), "..", "shared", "golden", file), "utf8"));
}
