#!/usr/bin/env node
// `make pack`: the npm tarball of js-glue/, with the repository's README and LICENSE, into
// the folder given (build/pack). The package is staged in a folder of its own under build/
// (js-glue/ and every tracked file stay as they are), and its README's relative links
// (docs/cloudflare.md, BENCHMARKS.md, js-glue/src/…), which name files the package does not
// ship, become links to those files in the repository on GitHub:
// https://github.com/jazzrpc/jazzrpc/blob/main/<path> (tree/ for a folder), the repository
// package.json names. A relative link to a file that does not exist fails the pack.
//   node scripts/pack.mjs <out-dir>
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BRANCH = "main";

/** https://github.com/owner/name from package.json's repository ("git+https://….git" or a string). */
export function repositoryUrl(packageJson) {
  const repository = typeof packageJson.repository === "string" ? packageJson.repository : packageJson.repository?.url;
  if (!repository) throw new Error("pack: package.json has no repository url");
  return repository.replace(/^git\+/, "").replace(/\.git$/, "").replace(/^git:\/\//, "https://");
}

const isExternal = (target) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//") || target.startsWith("#");

/**
 * The Markdown text with every relative link (inline, image, reference definition; not in
 * code) made absolute: `${base}/blob/${branch}/<path>`, or tree/ for a folder. `from` is the
 * document's folder inside the repository ("" for the root), `root` the repository on disk.
 */
export function absoluteLinks(markdown, { base, root = ROOT, from = "", branch = BRANCH }) {
  const absolute = (target) => {
    if (isExternal(target)) return target;
    const hash = target.indexOf("#");
    const [path, anchor] = hash === -1 ? [target, ""] : [target.slice(0, hash), target.slice(hash)];
    const inRepo = posix.normalize(posix.join(from, decodeURIComponent(path))).replace(/\/$/, "");
    if (inRepo.startsWith("..") || inRepo === ".") throw new Error(`pack: the link ${target} leaves the repository`);
    const onDisk = join(root, inRepo);
    if (!existsSync(onDisk)) throw new Error(`pack: the link ${target} names ${inRepo}, which does not exist`);
    const kind = statSync(onDisk).isDirectory() ? "tree" : "blob";
    return `${base}/${kind}/${branch}/${inRepo.split("/").map(encodeURIComponent).join("/")}${anchor}`;
  };
  // Fenced blocks stay as they are; in the prose between them, inline code too.
  return markdown
    .split(/(^[ \t]*```[^\n]*\n[\s\S]*?^[ \t]*```[ \t]*$)/m)
    .map((part, i) => {
      if (i % 2 === 1) return part;
      const spans = [];
      const prose = part.replace(/`+[^`\n]*`+/g, (span) => `\u0000${spans.push(span) - 1}\u0000`);
      return prose
        .replace(/(!?\[[^\]\n]*\]\(\s*<?)([^)\s>]+)(>?(?:\s+"[^"]*")?\s*\))/g, (_, open, target, close) => `${open}${absolute(target)}${close}`)
        .replace(/^(\s{0,3}\[[^\]\n]+\]:\s*<?)(\S+?)(>?(?:\s+"[^"]*")?\s*)$/gm, (_, open, target, close) => `${open}${absolute(target)}${close}`)
        .replace(/\u0000(\d+)\u0000/g, (_, n) => spans[Number(n)]);
    })
    .join("");
}

/** Stages js-glue/ with the rewritten README and the LICENSE, runs npm pack into outDir; the tarball's path. */
export function pack(outDir, { root = ROOT } = {}) {
  const glue = join(root, "js-glue");
  const packageJson = JSON.parse(readFileSync(join(glue, "package.json"), "utf8"));
  const stage = join(root, "build/pack-stage");
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  // What package.json's `files` ships, and package.json; never node_modules or a stale README.
  for (const entry of ["package.json", ...packageJson.files.filter((f) => f !== "README.md" && f !== "LICENSE")]) {
    if (!existsSync(join(glue, entry))) throw new Error(`pack: js-glue/${entry} is missing (make wasm builds dist/jazzrpc.wasm)`);
    cpSync(join(glue, entry), join(stage, entry), { recursive: true, filter: (src) => !src.includes(`${join(glue, "node_modules")}`) });
  }
  writeFileSync(join(stage, "README.md"), absoluteLinks(readFileSync(join(root, "README.md"), "utf8"), { base: repositoryUrl(packageJson), root }));
  cpSync(join(root, "LICENSE"), join(stage, "LICENSE"));
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  execFileSync("npm", ["pack", "--pack-destination", resolve(outDir), "--loglevel=error"], { cwd: stage, stdio: ["ignore", "ignore", "inherit"] });
  rmSync(stage, { recursive: true, force: true });
  const tarballs = readdirSync(outDir).filter((f) => f.endsWith(".tgz"));
  if (tarballs.length !== 1) throw new Error(`pack: expected one tarball in ${outDir}, found ${tarballs.length}`);
  return join(outDir, tarballs[0]);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error("usage: node scripts/pack.mjs <out-dir>");
    process.exit(2);
  }
  try {
    const tarball = pack(resolve(outDir));
    console.log(`pack: ${posix.relative(ROOT, tarball)} ${statSync(tarball).size} bytes`);
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
