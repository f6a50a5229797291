import { randomBytes } from "node:crypto";
import { constants, copyFile, link, mkdir, open, rename, rm, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** Data accepted by the atomic writers: text (written as UTF-8) or bytes. */
export type FileData = string | Uint8Array;

/** A fresh, hidden temp-file name next to `path` (same directory, so `rename` stays atomic). */
function tempPath(path: string, tag: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString("hex")}.${tag}`);
}

/** Writes `data` to a new file at `path` and fsyncs it; removes the file if anything fails. */
async function writeNew(path: string, data: FileData): Promise<void> {
  const handle = await open(path, "wx");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw e;
  }
  await handle.close();
}

/**
 * Replaces (or creates) the file at `path` with `data` atomically: the data goes to a temp file in
 * the same directory, which is fsynced and renamed over `path`. Readers see either the old or the
 * new content, never a partial file; on failure the temp file is removed and `path` is untouched.
 * The directory must exist.
 */
export async function writeFileAtomic(path: string, data: FileData): Promise<void> {
  const tmp = tempPath(path, "tmp");
  await writeNew(tmp, data);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * Writes several files into `dir` (created, recursively, if missing) as one all-or-nothing update:
 * every file is first written to a temp file; only when all writes succeeded are they renamed into
 * place, existing files having been hard-linked (or copied) to backups so that a failed rename
 * restores them. On failure the files in `dir` are as before (a `dir` this call created is removed
 * again). Each file is replaced atomically, but a reader may see a mix of old and new files during
 * the short rename phase. Other files in `dir` are left alone; names may contain subdirectories.
 */
export async function writeFilesAtomic(
  dir: string,
  files: Record<string, FileData> | Map<string, FileData>,
): Promise<void> {
  const entries = files instanceof Map ? [...files.entries()] : Object.entries(files);
  const created = await mkdir(dir, { recursive: true });
  const temps: { tmp: string; target: string; backup?: string; placed?: boolean }[] = [];
  try {
    for (const [name, data] of entries) {
      const target = join(dir, name);
      await mkdir(dirname(target), { recursive: true });
      const tmp = tempPath(target, "tmp");
      await writeNew(tmp, data);
      temps.push({ tmp, target });
    }
    for (const t of temps) {
      const backup = tempPath(t.target, "bak");
      try {
        await link(t.target, backup);
        t.backup = backup;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") continue; // nothing to back up
        await copyFile(t.target, backup, constants.COPYFILE_EXCL); // no hard links here: copy instead
        t.backup = backup;
      }
    }
    for (const t of temps) {
      await rename(t.tmp, t.target);
      t.placed = true;
    }
  } catch (e) {
    for (const t of temps) {
      if (t.placed) {
        if (t.backup !== undefined) await rename(t.backup, t.target).catch(() => undefined);
        else await unlink(t.target).catch(() => undefined);
      } else {
        await unlink(t.tmp).catch(() => undefined);
        if (t.backup !== undefined) await unlink(t.backup).catch(() => undefined);
      }
    }
    if (created !== undefined) await rm(created, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
  for (const t of temps) if (t.backup !== undefined) await unlink(t.backup).catch(() => undefined);
}
