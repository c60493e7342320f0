#!/usr/bin/env node
// `retoken <command>`: a thin layer over the library; each command lives in its own module under commands/.
import { Command, CommanderError } from "commander";
import { commands } from "./commands/index.js";
import { TokenizerError } from "../tokenize/types.js";

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program.name("retoken").description("load, run, train, measure and swap the tokenizers of language models").exitOverride();
  program.configureOutput({ writeErr: (s) => process.stderr.write(s) });
  for (const register of commands) register(program);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    // User errors get their message, not a stack trace.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`retoken: ${message}\n`);
    if (process.env.RETOKEN_DEBUG && err instanceof Error && !(err instanceof TokenizerError)) process.stderr.write(`${err.stack}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
