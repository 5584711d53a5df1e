#!/usr/bin/env node
// Run Dolos (the anchor) on a set of files and print one JSON object on stdout.
//
// Usage:
//   node run-dolos.mjs --language java [--kgram-length 23] [--kgrams-in-window 17]
//                      [--pairs all|nonzero|none] [--list FILE] [PATH ...]
//
// PATHs are files or folders (folders are walked recursively; with --language set, Dolos takes
// every file it is given, so pass only files of that language). --list FILE reads one path per
// line (for file lists longer than a command line allows).
//
// Output (schema_version 1):
//   dolos_version, language, options {kgramLength, kgramsInWindow},
//   files (count), total_bytes (sum of on-disk sizes, bytes),
//   timing_ms {analyze: read + parse + fingerprint + index (Dolos.analyzePaths),
//              pairs: building every pair (Report.allPairs), total: analyze + pairs}
//     -- measured inside node, so node start-up and module loading are excluded;
//        the tree-sitter grammar is loaded by a warm-up analysis before the clock starts,
//   pair_count (all pairs Dolos built), pairs_reported,
//   pairs: [{left, right, similarity, overlap, longest}] with left/right the paths as given.
//   `similarity`, `overlap` (shared k-grams covered, both sides) and `longest` (longest common
//   run, in k-grams) are Dolos's own Pair fields.

import { Dolos } from "@dodona/dolos-lib";
import { readFileSync, statSync, readdirSync, mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { performance } from "node:perf_hooks";

function usage(message) {
  process.stderr.write(`run-dolos: ${message}\n`);
  process.stderr.write(
    "usage: node run-dolos.mjs --language LANG [--kgram-length N] [--kgrams-in-window N] " +
      "[--pairs all|nonzero|none] [--list FILE] [PATH ...]\n",
  );
  process.exit(2);
}

function parseArgs(argv) {
  const args = { language: null, kgramLength: undefined, kgramsInWindow: undefined,
    pairs: "nonzero", paths: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    const positiveInt = (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) usage(`${a} must be a positive integer, got ${v}`);
      return n;
    };
    if (a === "--language") args.language = value();
    else if (a === "--kgram-length") args.kgramLength = positiveInt(value());
    else if (a === "--kgrams-in-window") args.kgramsInWindow = positiveInt(value());
    else if (a === "--pairs") {
      args.pairs = value();
      if (!["all", "nonzero", "none"].includes(args.pairs)) {
        usage(`--pairs must be all, nonzero or none, got ${args.pairs}`);
      }
    } else if (a === "--list") {
      const lines = readFileSync(value(), "utf8").split("\n").map((l) => l.trim());
      args.paths.push(...lines.filter((l) => l.length > 0));
    } else if (a.startsWith("--")) usage(`unknown option ${a}`);
    else args.paths.push(a);
  }
  if (!args.language) usage("--language is required");
  if (args.paths.length === 0) usage("no files given");
  return args;
}

function expand(paths) {
  const files = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const entry of readdirSync(p, { withFileTypes: true, recursive: true })) {
        if (entry.isFile()) files.push(join(entry.parentPath ?? entry.path, entry.name));
      }
    } else {
      files.push(p);
    }
  }
  return files.sort();
}

function dolosVersion() {
  const url = new URL("./node_modules/@dodona/dolos-lib/package.json", import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")).version;
}

async function warmUp(options) {
  // Load the grammar (a dynamic import plus native module) outside the measured interval.
  const dir = mkdtempSync(join(tmpdir(), "run-dolos-warmup-"));
  try {
    const a = join(dir, "a"), b = join(dir, "b"), c = join(dir, "c");
    for (const f of [a, b, c]) writeFileSync(f, "x = 1\n");
    await new Dolos(options).analyzePaths([a, b, c]);
  } catch {
    // A grammar that cannot parse the warm-up text still got loaded; errors surface below.
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const files = expand(args.paths);
  const totalBytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  const options = { language: args.language };
  if (args.kgramLength !== undefined) options.kgramLength = args.kgramLength;
  if (args.kgramsInWindow !== undefined) options.kgramsInWindow = args.kgramsInWindow;

  await warmUp(options);
  const dolos = new Dolos(options);
  const t0 = performance.now();
  const report = await dolos.analyzePaths(files);
  const t1 = performance.now();
  const pairs = report.allPairs();
  const t2 = performance.now();

  const selected = args.pairs === "none" ? []
    : args.pairs === "all" ? pairs
    : pairs.filter((p) => p.overlap > 0);
  const out = {
    schema_version: 1,
    dolos_version: dolosVersion(),
    node_version: process.version,
    language: args.language,
    options: { kgramLength: dolos.options.kgramLength, kgramsInWindow: dolos.options.kgramsInWindow },
    files: report.files.length,
    total_bytes: totalBytes,
    timing_ms: { analyze: t1 - t0, pairs: t2 - t1, total: t2 - t0 },
    pair_count: pairs.length,
    pairs_reported: selected.length,
    warnings: report.warnings,
  };
  // Stream the pairs: a single JSON.stringify of a very long array can exceed V8's string limit.
  const head = JSON.stringify(out);
  process.stdout.write(head.slice(0, -1) + ',"pairs":[');
  let chunk = [];
  selected.forEach((p, i) => {
    chunk.push((i ? "," : "") + JSON.stringify({
      left: p.leftFile.path, right: p.rightFile.path,
      similarity: p.similarity, overlap: p.overlap, longest: p.longest,
    }));
    if (chunk.length >= 10000) { process.stdout.write(chunk.join("")); chunk = []; }
  });
  process.stdout.write(chunk.join("") + "]}\n");
}

main().catch((err) => {
  process.stderr.write(`run-dolos: ${err?.stack ?? err}\n`);
  process.exit(1);
});
