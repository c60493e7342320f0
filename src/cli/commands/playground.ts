// `retoken playground [--port N] [--open] | --build DIR`: the tokenizer playground, served on localhost or written
// as a static site.
import type { Command } from "commander";
import { spawn } from "node:child_process";
import { numberFlag } from "./shared.js";

export function register(program: Command): void {
  program
    .command("playground")
    .description("tokenizers side by side in the browser: serve the playground locally, or write it as a static site")
    .option("--port <n>", "port to serve on (0: any free port)", "8787")
    .option("--open", "open the page in the default browser")
    .option("--build <dir>", "write the static site into DIR instead of serving (works from file:// and any static host)")
    .action(async (opts: { port: string; open?: boolean; build?: string }) => {
      if (opts.build) {
        const { writePlayground } = await import("../../web/site.js");
        const files = await writePlayground(opts.build);
        process.stdout.write(`wrote ${files.length} files; open ${files.find((f) => f.endsWith("index.html"))}\n`);
        return;
      }
      const port = numberFlag("playground", "port", opts.port, { integer: true, min: 0, max: 65535 })!;
      const { servePlayground } = await import("../../web/serve.js");
      const { url } = await servePlayground(port);
      process.stdout.write(`retoken playground: ${url}  (Ctrl-C to stop)\n`);
      if (opts.open) {
        const opener = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
        spawn(opener, [url], { stdio: "ignore", detached: true })
          .on("error", () => process.stderr.write(`playground: could not run ${opener}; open ${url} yourself\n`))
          .unref();
      }
      await new Promise(() => {});
    });
}
