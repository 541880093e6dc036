/**
 * Prints the path `deno compile` must leave out (`--exclude`, see the compile task in deno.json):
 * prom-client → tdigest → bintrees ships a 200,000-line data file (test/perf/100k) on which
 * `deno compile` 2.9.6 overflows its stack. The file is test data, never loaded; the path is in
 * Deno's npm cache, wherever DENO_DIR puts it.
 */
const info = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
const { npmCache } = JSON.parse(new TextDecoder().decode(info.stdout)) as { npmCache: string };
console.log(`${npmCache}/registry.npmjs.org/bintrees/1.0.2/test`);
