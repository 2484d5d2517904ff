// The code blocks of a Markdown page that name a file (```js file=src/worker.js):
// the docs' programs, which tests copy out and run, so that a snippet that stops
// working fails the build. Not a test file.
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

const FENCE = /^```([\w-]*)[ \t]+file=(\S+)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;

/** { path: text } of every block with file=…, in page order; a path named twice is an error. */
export function fileBlocks(markdownPath) {
  const text = readFileSync(markdownPath, "utf8");
  const files = {};
  for (const [, , path, body] of text.matchAll(FENCE)) {
    if (path in files) throw new Error(`${markdownPath}: two blocks name ${path}`);
    files[path] = body;
  }
  return files;
}

/** Writes the blocks whose path starts with `prefix` (without it) into dir. */
export async function writeBlocks(files, dir, prefix = "") {
  const written = [];
  for (const [path, body] of Object.entries(files)) {
    if (!path.startsWith(prefix)) continue;
    const target = join(dir, path.slice(prefix.length));
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, body);
    written.push(path.slice(prefix.length));
  }
  return written;
}
