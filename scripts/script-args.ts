// The scripts' command lines (node:util's parseArgs): --help lists the options with their defaults and exits 0; an
// unknown or malformed option is named, with the list, and exits 2 — a usage message, not a stack trace.
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";

type OptionSpec = NonNullable<ParseArgsConfig["options"]>[string];

/** The option list of a script, one line per option. */
export function usage(script: string, options: Record<string, OptionSpec>): string {
  const lines = Object.entries(options).map(([name, o]) => {
    const value = o.type === "string" ? " VALUE" : "";
    const notes = [o.default !== undefined && o.default !== false && !(Array.isArray(o.default) && o.default.length === 0) ? `default ${JSON.stringify(o.default)}` : "", o.multiple ? "repeatable" : ""].filter(Boolean);
    return `  --${name}${value}${notes.length ? `  (${notes.join(", ")})` : ""}`;
  });
  return `usage: ${script} [options]\n${lines.join("\n")}`;
}

/** parseArgs over process.argv for the script at `scriptUrl` (its import.meta.url). */
export function scriptArgs<T extends ParseArgsConfig>(scriptUrl: string, config: T): ReturnType<typeof parseArgs<T>> {
  const script = basename(fileURLToPath(scriptUrl));
  const text = usage(script, config.options ?? {});
  if (process.argv.slice(2).some((a) => a === "--help" || a === "-h")) {
    console.log(text);
    process.exit(0);
  }
  try {
    return parseArgs(config);
  } catch (err) {
    if (!String((err as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS")) throw err;
    console.error(`${script}: ${(err as Error).message}\n${text}`);
    process.exit(2);
  }
}
