// Holds an exclusive flock on the file named by the first argument until stdin is closed:
// "another process" for the vault-locked tests. Prints "locked" once the lock is held.
const file = await Deno.open(Deno.args[0], { read: true, write: true, create: true });
file.lockSync(true);
await Deno.stdout.write(new TextEncoder().encode("locked\n"));
for await (const _ of Deno.stdin.readable) { /* wait for EOF */ }
file.unlockSync();
file.close();
