/**
 * Reads rows out of a SQLite database without touching it: the database (and its write-ahead
 * log, if any) is copied to a private temporary directory and the copy is opened read-only, so
 * neither locks, checkpoints nor `-shm` files ever reach the original. Used by `authsome import`
 * for the Python predecessor's `store.db`. `node:sqlite` is a Deno built-in; it is loaded only
 * here, on demand.
 *
 * @module
 */

/** One row as column name to value. */
export type SqliteRow = Record<string, unknown>;

/** Runs one read-only query against a copy of the database at `path`. */
export async function querySqliteCopy(path: string, sql: string): Promise<SqliteRow[]> {
  const { DatabaseSync } = await import("node:sqlite");
  const dir = await Deno.makeTempDir({ prefix: "authsome-import-" });
  try {
    await Deno.chmod(dir, 0o700);
    const copy = `${dir}/store.db`;
    await Deno.copyFile(path, copy);
    try {
      await Deno.copyFile(`${path}-wal`, `${copy}-wal`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const db = new DatabaseSync(copy, { readOnly: true });
    try {
      return db.prepare(sql).all() as SqliteRow[];
    } finally {
      db.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
