// Incremental decoding for generation: push one id at a time, get back only the newly completed text.
//
// Decoders are not per-token maps (Metaspace drops the first token's space, WordPiece joins "##" pieces, byte-level
// and byte-fallback tokens carry parts of UTF-8 characters), so the text a token adds depends on its neighbours. As
// HF's DecodeStream does, we decode a short window: `context` ids whose text was already emitted, then the pending
// ids, and emit what the window's text has beyond the context's text. Each emission makes the pending ids the new
// context, so the window stays a few tokens long and each push costs O(1) amortised.

export interface StreamDecoderOptions {
  /** True for the "<0xNN>" byte-fallback tokens. A run's text is only final once it ends (HF turns a whole run with
   * any invalid byte into U+FFFD per byte), so nothing is decoded or emitted inside a run. */
  isByteToken?: (id: number) => boolean;
  /** True for ids that decode(ids) drops before its decoder runs (special tokens being skipped). They are taken in
   * without entering the window: wherever they stand the text is as if they were absent, so a byte-fallback run
   * around them stays one run, and a long run of them costs nothing. */
  isDropped?: (id: number) => boolean;
  /** Pending ids after which text is emitted even though it ends with U+FFFD (truly invalid bytes). Default 16. */
  maxPending?: number;
  /** Called with each id and its position in the stream before it is taken in; throws to reject it (the stream is
   * left as it was). */
  checkId?: (id: number, position: number) => void;
}

const REPLACEMENT = 0xfffd;

export class StreamDecoder {
  private ids: number[] = [];
  /** decode(ids[0 .. contextLength]): the part of the window's text already emitted. */
  private prefix = "";
  private contextLength = 0;
  /** The window's text before the last push, and how many of the newest ids in a row added nothing to it. */
  private lastText: string | null = "";
  private quiet = 0;
  private readonly maxPending: number;
  /** Ids pushed since the stream was created. */
  private pushed = 0;

  constructor(
    private readonly decode: (ids: number[]) => string,
    private readonly options: StreamDecoderOptions = {},
  ) {
    this.maxPending = Math.max(1, options.maxPending ?? 16);
  }

  /** Adds one id; returns the text it completes ("" while a character or a byte run is still incomplete). */
  push(id: number): string {
    this.options.checkId?.(id, this.pushed);
    this.pushed++;
    if (this.options.isDropped?.(id)) return "";
    this.ids.push(id);
    // Inside a byte-fallback run nothing is final: decode once the run ends (amortised O(1) per id).
    if (this.options.isByteToken?.(id)) return "";
    const text = this.decode(this.ids);
    if (text.length > this.prefix.length && text.startsWith(this.prefix) && text.charCodeAt(text.length - 1) !== REPLACEMENT) {
      return this.advance(text, this.ids.length);
    }
    this.quiet = text === this.lastText ? this.quiet + 1 : 0;
    this.lastText = text;
    const pending = this.ids.length - this.contextLength;
    if (pending <= this.maxPending) return "";
    if (this.quiet >= 2) {
      // A run of ids that show nothing (skipped special tokens, CTC repeats and pads): keep only its last one, which
      // is enough for the next id to decode as it would after all of them.
      this.ids.splice(this.ids.length - this.quiet, this.quiet - 1);
      this.quiet = 1;
      return "";
    }
    // The text keeps ending with U+FFFD (truly invalid bytes): emit up to the latest cut whose text is final, i.e.
    // a strict prefix of the window's text (the ids after the cut already decided how it ends).
    for (let cut = this.ids.length - 1; cut > this.contextLength && cut >= this.ids.length - 8; cut--) {
      const head = this.decode(this.ids.slice(0, cut));
      if (text.length > head.length && text.startsWith(head) && head.startsWith(this.prefix)) return this.advance(head, cut);
    }
    return "";
  }

  /** Emits whatever is still held back (an incomplete character becomes U+FFFD) and starts afresh. */
  flush(): string {
    const out = this.ids.length > this.contextLength ? this.emitted(this.decode(this.ids)) : "";
    this.ids = [];
    this.prefix = "";
    this.contextLength = 0;
    this.lastText = "";
    this.quiet = 0;
    return out;
  }

  private emitted(text: string): string {
    if (text.startsWith(this.prefix)) return text.slice(this.prefix.length);
    // The already-emitted text changed (only possible with invalid byte runs): emit from where they differ.
    let i = 0;
    while (i < text.length && i < this.prefix.length && text.charCodeAt(i) === this.prefix.charCodeAt(i)) i++;
    return text.slice(i);
  }

  /** Emits `text` (the decoding of the first `upTo` ids) beyond the prefix; those ids become the new context. */
  private advance(text: string, upTo: number): string {
    const out = this.emitted(text);
    const whole = upTo === this.ids.length;
    const from = this.contextLength;
    // The old context goes; the ids just emitted become the new context.
    this.ids = this.ids.slice(from);
    this.contextLength = upTo - from;
    this.prefix = this.decode(this.ids.slice(0, this.contextLength));
    this.lastText = whole ? this.prefix : null;
    this.quiet = 0;
    return out;
  }
}
