// The app's sources as plain JavaScript, for tests that run app code in a child process (e.g. to kill
// it with SIGKILL mid-write). Each file is transpiled on its own (the sources are isolatedModules), in
// well under a second, into node_modules/.cache so that the child resolves the same packages. The
// directory is named after a hash of the sources: a stale copy is never used, concurrent test files share it.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = path.join(dir, d.name);
    return d.isDirectory() ? sourceFiles(full) : d.name.endsWith(".ts") ? [full] : [];
  });
}

/** The directory holding src/ transpiled (same layout, .js files, ESM). */
export function transpiledSources(): string {
  const src = path.join(ROOT, "src");
  const files = sourceFiles(src).sort();
  const hash = createHash("sha256");
  for (const file of files) hash.update(file).update(fs.readFileSync(file));
  const out = path.join(ROOT, "node_modules", ".cache", "change-policy-test", hash.digest("hex").slice(0, 16));
  if (fs.existsSync(path.join(out, "package.json"))) return out;
  const staging = `${out}.${process.pid}.tmp`;
  fs.rmSync(staging, { recursive: true, force: true });
  for (const file of files) {
    const { outputText } = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    });
    const target = path.join(staging, path.relative(src, file)).replace(/\.ts$/, ".js");
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, outputText);
  }
  fs.writeFileSync(path.join(staging, "package.json"), JSON.stringify({ type: "module" }));
  try {
    fs.renameSync(staging, out);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // another test file got there first
  }
  return out;
}
