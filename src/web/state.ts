// The playground's state in the URL's fragment (#text=…&t=gpt2,file:x.model&…): a link reproduces the view, and the
// fragment never reaches a server (the page also works from file://).

export interface PlaygroundState {
  text: string;
  /** Panel tokenizers: a bundled name ("gpt2") or a file the user loaded ("file:tokenizer.model"). */
  tokenizers: string[];
  /** Let the post-processor add its special tokens (BOS/EOS). */
  addSpecialTokens: boolean;
  /** Match special tokens typed in the text (off: "<|endoftext|>" is read as plain text). */
  parseSpecialTokens: boolean;
}

export const DEFAULT_STATE: PlaygroundState = {
  text: "Hello world! Tokenizers split text into pieces: «日本語», emoji 🙂, tabs\tand  spaces.",
  tokenizers: ["gpt2", "default-model"],
  addSpecialTokens: false,
  parseSpecialTokens: true,
};

export function stateToHash(state: PlaygroundState): string {
  const p = new URLSearchParams();
  p.set("text", state.text);
  p.set("t", state.tokenizers.join(","));
  if (state.addSpecialTokens) p.set("bos", "1");
  if (!state.parseSpecialTokens) p.set("literal", "1");
  return "#" + p.toString();
}

/** Reads a fragment; anything missing takes its default, so an old or hand-edited link still opens. */
export function stateFromHash(hash: string): PlaygroundState {
  const p = new URLSearchParams(hash.replace(/^#/, ""));
  const t = p.get("t");
  return {
    text: p.get("text") ?? DEFAULT_STATE.text,
    tokenizers: t === null ? [...DEFAULT_STATE.tokenizers] : t.split(",").filter(Boolean),
    addSpecialTokens: p.get("bos") === "1",
    parseSpecialTokens: p.get("literal") !== "1",
  };
}
