/**
 * A Glassbox with sign-in on and a first admin, on a fresh Postgres of its own: what tests of
 * who-sees-what share (make the users with `accounts`). Disposed with `await using`.
 */
import { freshPostgres } from "./db.ts";
import { startGlassbox } from "./server.ts";
import { accountsOf } from "./users.ts";

export const FIRST_ADMIN = { email: "root@example.com", password: "correct horse battery" };

export async function signedInStack(env: Record<string, string> = {}) {
  const db = await freshPostgres();
  const gb = await startGlassbox({
    DATABASE_URL: db.url,
    GLASSBOX_AUTH: "on",
    GLASSBOX_ADMIN_EMAIL: FIRST_ADMIN.email,
    GLASSBOX_ADMIN_PASSWORD: FIRST_ADMIN.password,
    ...env,
  }).catch(async (err) => {
    await db.close();
    throw err;
  });
  return {
    db,
    gb,
    accounts: accountsOf(gb),
    async [Symbol.asyncDispose]() {
      await gb.close();
      await db.close();
    },
  };
}
