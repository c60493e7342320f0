// `retoken view [-t FILE] [--ids] [TEXT]`: the text with each token coloured in the terminal (ids on demand).
import type { Command } from "commander";
import type { Tokenizer } from "../../tokenize/tokenizer.js";
import { dropTrailingNewline } from "./encode.js";
import { loadTokenizer, printJson, readStdin } from "./shared.js";

export interface ViewPiece {
  /** The text the tokens cover; tokens that split one character (byte fallback, byte-level) share one piece. */
  text: string;
  ids: number[];
  tokens: string[];
}

/** Tokens grouped by the text they cover: tokens whose spans overlap (pieces of one character, as byte-level and byte
 * fallback make them) share one piece; special tokens stand alone. */
export function viewPieces(tokenizer: Tokenizer, text: string, addSpecialTokens: boolean): ViewPiece[] {
  const enc = tokenizer.encode(text, { addSpecialTokens });
  const pieces: (ViewPiece & { start: number; end: number })[] = [];
  enc.ids.forEach((id, i) => {
    const [start, end] = enc.offsets[i]!;
    const special = enc.specialTokensMask[i] === 1;
    const group = pieces.at(-1);
    if (!special && group && group.end > group.start && start < group.end) {
      group.end = Math.max(group.end, end);
      group.ids.push(id);
      group.tokens.push(enc.tokens[i]!);
    } else pieces.push({ text: "", ids: [id], tokens: [enc.tokens[i]!], start: special ? 0 : start, end: special ? 0 : end });
  });
  return pieces.map(({ start, end, ids, tokens }) => ({ text: text.slice(start, end), ids, tokens }));
}

// Background colours that keep black text readable, cycled token by token.
const BACKGROUNDS = [153, 222, 151, 217, 189, 230, 158, 224];

/** Whitespace made visible: a space stays (the colour shows it), a newline is ↵ then a real line break, a tab →. */
function visible(text: string): string {
  return text.replace(/\t/g, "→").replace(/\r?\n/g, "↵\n");
}

export function renderPieces(pieces: ViewPiece[], opts: { color: boolean; ids: boolean }): string {
  let out = "";
  pieces.forEach((p, i) => {
    const shown = p.text === "" ? p.tokens.join("") : visible(p.text);
    const ids = opts.ids ? `${opts.color ? "\x1b[2m" : ""}${p.ids.join(",")}${opts.color ? "\x1b[22m" : ""}` : "";
    if (!opts.color) {
      out += `[${shown}${opts.ids ? `|${p.ids.join(",")}` : ""}]`;
      return;
    }
    // Colour each line of a piece on its own, so a newline does not paint the rest of the terminal row.
    const bg = `\x1b[48;5;${BACKGROUNDS[i % BACKGROUNDS.length]}m\x1b[30m`;
    out += shown
      .split("\n")
      .map((line, j, lines) => (line === "" && j === lines.length - 1 ? "" : `${bg}${p.text === "" ? "\x1b[3m" : ""}${line}${j === lines.length - 1 ? ids : ""}\x1b[0m`))
      .join("\n");
  });
  return out.endsWith("\n") ? out : out + "\n";
}

export function register(program: Command): void {
  program
    .command("view")
    .description("show how a tokenizer splits text: each token coloured in the terminal (text from the argument or stdin)")
    .argument("[text]", "the text (default: stdin, one trailing newline dropped)")
    .option("-t, --tokenizer <file>", "tokenizer file (default: the bundled GPT-2 tokenizer)")
    .option("--ids", "show each token's id after it")
    .option("--no-special", "do not add special tokens")
    .option("--color <when>", "auto (colour on a terminal, unless NO_COLOR), always, never", "auto")
    .option("--json", "print the pieces as JSON: [{text, ids, tokens}]")
    .action(async (arg: string | undefined, opts: { tokenizer?: string; ids?: boolean; special: boolean; color: string; json?: boolean }) => {
      if (!["auto", "always", "never"].includes(opts.color)) throw new Error(`view: --color must be auto, always or never, got "${opts.color}"`);
      const tokenizer = await loadTokenizer(opts.tokenizer);
      const text = arg ?? dropTrailingNewline(await readStdin());
      const pieces = viewPieces(tokenizer, text, opts.special);
      if (opts.json) {
        printJson(pieces);
        return;
      }
      const color = opts.color === "always" || (opts.color === "auto" && process.stdout.isTTY === true && !process.env.NO_COLOR);
      process.stdout.write(renderPieces(pieces, { color, ids: opts.ids ?? false }));
      const count = pieces.reduce((n, p) => n + p.ids.length, 0);
      process.stderr.write(`${count} tokens, ${[...text].length} characters\n`);
    });
}
