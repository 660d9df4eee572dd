// Bundles every webapp/assets/*.entry.js into webapp/static/dist/<name>.js (and .css), for the app to serve.
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const entries = Object.fromEntries(
  readdirSync(here)
    .filter((name) => name.endsWith(".entry.js"))
    .map((name) => [name.replace(/\.entry\.js$/, ""), join(here, name)]),
);
await build({
  entryPoints: entries,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  outdir: join(here, "..", "static", "dist"),
  loader: { ".woff": "dataurl", ".woff2": "dataurl", ".ttf": "dataurl", ".eot": "dataurl", ".svg": "dataurl" },
  logLevel: "warning",
});
console.log(`bundled ${Object.keys(entries).join(", ")}`);
