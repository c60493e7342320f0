#!/usr/bin/env node
// `retoken <command>`: a thin layer over the library; each command lives in its own module under commands/ (one line
// in commands/index.ts registers it).
//
// Conventions every command follows (helpers in commands/shared.ts):
// - Errors: throw an Error whose message is `<file>: <what>` (or `<command>: <what>` when no file is at fault); main
//   prints `retoken: <message>` and exits 1, no stack (RETOKEN_DEBUG=1 adds it). File-system errors that escape
//   (ENOENT, EISDIR, EACCES…) are named with their path here; read through readTextFile / readFileNamed
//   (src/node/files.ts) to get that for free. Outputs are written with writeFileAtomic, which refuses a missing
//   folder (never mkdir -p).
// - Output: labelled human lines on stdout (`labelled(rows)`), `--json` prints one JSON object instead (`printJson`);
//   where `--json` also took a file it is `--json [file]` (`emitJson`). Progress and notes go to stderr.
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { commands } from "./commands/index.js";
import { v8FlagUnlessGiven } from "./commands/shared.js";
import { TokenizerError } from "../tokenize/types.js";
import { fileErrorMessage } from "../node/files.js";

/** The package's version, read from package.json two folders up (src/cli and dist/cli alike). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
}

/** The one line a failed command prints after `retoken: `. */
export function errorLine(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === "string" && typeof e.path === "string") return fileErrorMessage(e, e.path);
  return err instanceof Error ? err.message : String(err);
}

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program
    .name("retoken")
    .description("load, run, train, measure and swap the tokenizers of language models")
    .version(packageVersion(), "-V, --version", "print the version")
    .exitOverride();
  // Commander's own messages (unknown option, missing argument) in the same `retoken: <what>` style.
  program.configureOutput({ writeErr: (s) => process.stderr.write(s), outputError: (s, write) => write(`retoken: ${s.replace(/^error: /, "")}`) });
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    process.stderr.write(`retoken: ${errorLine(err)}\n`);
    if (process.env.RETOKEN_DEBUG && err instanceof Error && !(err instanceof TokenizerError)) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

// A reader that stops early (`retoken encode --lines … | head`) closes the pipe: that ends the command quietly, as it
// does for any Unix filter, instead of an unhandled EPIPE stack trace.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code !== "EPIPE") throw err;
  process.exit(0);
});
// A young generation of up to 32 MB (V8's default caps it at 16): the commands allocate many short-lived arrays per
// text, and with the small one every scavenge copies what is still in use. `retoken compare` on GPT-2 and Llama 2
// over FLORES: 36 -> 25 CPU-s, peak 626 -> 604 MB (session 13). A flag given in NODE_OPTIONS or to node wins.
v8FlagUnlessGiven("max-semi-space-size", 32);
process.exitCode = await main(process.argv.slice(2));
