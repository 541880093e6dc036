import assert from "node:assert/strict";
import { waitFor } from "../../tests/support/wait.ts";
import { watchFile } from "./watch_file.ts";

async function setup(initial = "v: 0\n") {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/team.yaml`;
  await Deno.writeTextFile(path, initial);
  const seen: { text: string; reason: string }[] = [];
  const errors: Error[] = [];
  const watch = watchFile(path, {
    initialText: initial,
    debounceMs: 50,
    onText: (text, reason) => void seen.push({ text, reason }),
    onError: (e) => void errors.push(e),
  });
  return {
    dir,
    path,
    seen,
    errors,
    watch,
    async [Symbol.asyncDispose]() {
      watch.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const texts = (seen: { text: string }[]) => seen.map((s) => s.text);

Deno.test("watch: in-place write is seen", async () => {
  await using t = await setup();
  await Deno.writeTextFile(t.path, "v: 1\n");
  await waitFor(() => t.seen.length === 1, "reload");
  assert.deepEqual(texts(t.seen), ["v: 1\n"]);
  assert.equal(t.seen[0].reason, "the file changed");
});

Deno.test("watch: write-temp-then-rename (sed -i, atomic save) is seen, and the watch keeps working", async () => {
  await using t = await setup();
  for (const v of [1, 2]) {
    await Deno.writeTextFile(`${t.dir}/.team.yaml.tmp`, `v: ${v}\n`);
    await Deno.rename(`${t.dir}/.team.yaml.tmp`, t.path);
    await waitFor(() => t.seen.length === v, `reload ${v}`);
  }
  assert.deepEqual(texts(t.seen), ["v: 1\n", "v: 2\n"]);
});

Deno.test("watch: vim-style backup rename + new file + delete backup: one reload with the new text", async () => {
  await using t = await setup();
  await Deno.rename(t.path, `${t.path}~`);
  await Deno.writeTextFile(t.path, "v: vim\n");
  await Deno.remove(`${t.path}~`);
  await waitFor(() => t.seen.length >= 1, "reload");
  assert.deepEqual(texts(t.seen), ["v: vim\n"]);
});

Deno.test("watch: delete then recreate: an error while missing, then the new text", async () => {
  await using t = await setup();
  await Deno.remove(t.path);
  await waitFor(() => t.errors.length >= 1, "missing-file error");
  assert.ok(t.errors[0] instanceof Deno.errors.NotFound);
  await Deno.writeTextFile(t.path, "v: back\n");
  await waitFor(() => t.seen.length === 1, "reload");
  assert.deepEqual(texts(t.seen), ["v: back\n"]);
});

Deno.test("watch: a burst of writes is debounced; the last text wins; unchanged bytes do not reload", async () => {
  await using t = await setup();
  for (let i = 1; i <= 30; i++) await Deno.writeTextFile(t.path, `v: ${i}\n`);
  await waitFor(() => t.seen.at(-1)?.text === "v: 30\n", "last write");
  assert.ok(t.seen.length < 30, `${t.seen.length} reloads`);
  const before = t.seen.length;
  await Deno.writeTextFile(t.path, "v: 30\n"); // same bytes: an event, but no reload
  await Deno.writeTextFile(`${t.dir}/other.txt`, "x"); // another file in the dir: no reload
  await Deno.writeTextFile(t.path, "v: 31\n");
  await waitFor(() => t.seen.at(-1)?.text === "v: 31\n", "real change");
  assert.equal(t.seen.length, before + 1);
});

Deno.test("watch: Kubernetes-style symlink swap (..data -> new dir) is seen", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/rev1`);
  await Deno.writeTextFile(`${root}/rev1/team.yaml`, "v: 1\n");
  await Deno.symlink("rev1", `${root}/..data`);
  await Deno.symlink("..data/team.yaml", `${root}/team.yaml`);
  const seen: string[] = [];
  const watch = watchFile(`${root}/team.yaml`, {
    initialText: "v: 1\n",
    debounceMs: 50,
    onText: (t) => void seen.push(t),
    onError: () => {},
  });
  try {
    await Deno.mkdir(`${root}/rev2`);
    await Deno.writeTextFile(`${root}/rev2/team.yaml`, "v: 2\n");
    await Deno.symlink("rev2", `${root}/..data_tmp`);
    await Deno.rename(`${root}/..data_tmp`, `${root}/..data`); // atomic swap, as kubelet does
    await waitFor(() => seen.length === 1, "reload after swap");
    assert.deepEqual(seen, ["v: 2\n"]);
  } finally {
    watch.close();
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("watch: SIGHUP forces a reload even when unchanged", async () => {
  await using t = await setup();
  Deno.kill(Deno.pid, "SIGHUP");
  await waitFor(() => t.seen.length === 1, "SIGHUP reload");
  assert.deepEqual(t.seen, [{ text: "v: 0\n", reason: "SIGHUP" }]);
});
