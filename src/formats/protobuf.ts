// A small bounds-checked protobuf wire-format reader: enough for SentencePiece's ModelProto. Every read checks the
// end of its message, so a corrupt or truncated file raises a TokenizerError naming the file and byte offset.

import { TokenizerError } from "../tokenize/types.js";

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  Fixed32: 5,
} as const;

// ignoreBOM: a piece may start with U+FEFF, which TextDecoder would otherwise drop.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class ProtoReader {
  pos: number;
  private readonly view: DataView;

  /** Reads bytes[start, end); `fileName` and `context` (e.g. "ModelProto.pieces[3]") appear in errors. */
  constructor(
    readonly bytes: Uint8Array,
    readonly fileName: string,
    readonly context: string,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(message: string, at = this.pos): never {
    throw new TokenizerError(`${message} (in ${this.context}, byte offset ${at})`, this.fileName);
  }

  /** Next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const at = this.pos;
    const v = this.varint();
    const field = Math.floor(v / 8);
    const wire = v % 8;
    if (field === 0) this.fail("invalid field number 0", at);
    return { field, wire };
  }

  /** An unsigned varint of up to 10 bytes; values beyond 2^53 lose precision (no SentencePiece field has them). */
  varint(): number {
    const at = this.pos;
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail("truncated varint", at);
      const b = this.bytes[this.pos++]!;
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    this.fail("varint longer than 10 bytes", at);
  }

  /** int32 fields: negative values are sent as 10-byte two's-complement varints; keep the low 32 bits, signed. */
  int32(): number {
    const at = this.pos;
    let lo = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail("truncated varint", at);
      const b = this.bytes[this.pos++]!;
      if (shift < 32) lo |= (b & 0x7f) << shift;
      shift += 7;
      if ((b & 0x80) === 0) return lo | 0;
    }
    this.fail("varint longer than 10 bytes", at);
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  float(): number {
    if (this.pos + 4 > this.end) this.fail("truncated 32-bit value");
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Bounds of a length-delimited field's payload; advances past it. */
  lengthDelimited(): { start: number; end: number } {
    const at = this.pos;
    const len = this.varint();
    if (len > this.end - this.pos) this.fail(`length ${len} runs past the end of the message (${this.end - this.pos} bytes left)`, at);
    const start = this.pos;
    this.pos += len;
    return { start, end: this.pos };
  }

  bytesField(): Uint8Array {
    const { start, end } = this.lengthDelimited();
    return this.bytes.subarray(start, end);
  }

  string(): string {
    const at = this.pos;
    const b = this.bytesField();
    try {
      return utf8.decode(b);
    } catch {
      this.fail("string field is not valid UTF-8", at);
    }
  }

  /** A reader over an embedded message. */
  message(context: string): ProtoReader {
    const { start, end } = this.lengthDelimited();
    return new ProtoReader(this.bytes, this.fileName, context, start, end);
  }

  /** Skips a field we do not read. */
  skip(wire: number): void {
    switch (wire) {
      case WireType.Varint:
        this.varint();
        return;
      case WireType.Fixed64:
        if (this.pos + 8 > this.end) this.fail("truncated 64-bit value");
        this.pos += 8;
        return;
      case WireType.LengthDelimited:
        this.lengthDelimited();
        return;
      case WireType.Fixed32:
        if (this.pos + 4 > this.end) this.fail("truncated 32-bit value");
        this.pos += 4;
        return;
      default:
        this.fail(`unsupported wire type ${wire}`);
    }
  }

  /** Checks that a field has the wire type its schema says. */
  expect(wire: number, wanted: number, field: string): void {
    if (wire !== wanted) this.fail(`field ${field} has wire type ${wire}, expected ${wanted}`);
  }
}

/** A small protobuf writer: the fields SentencePiece's ModelProto needs. */
export class ProtoWriter {
  private buf = new Uint8Array(1024);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** Non-negative integers below 2^53, or int32 values (negative ones take 10 bytes, as protobuf sends them). */
  varint(v: number): void {
    if (v < 0) {
      // Two's complement over 64 bits: low 32 bits as unsigned, high 32 bits all ones.
      let lo = v >>> 0;
      let hi = 0xffffffff;
      for (let i = 0; i < 9; i++) {
        this.byte((lo & 0x7f) | 0x80);
        lo = (lo >>> 7) | ((hi & 0x7f) << 25);
        hi >>>= 7;
      }
      this.byte(lo & 0x01);
      return;
    }
    while (v >= 0x80) {
      this.byte((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.byte(v);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int32Field(field: number, v: number): void {
    this.tag(field, WireType.Varint);
    this.varint(v);
  }

  boolField(field: number, v: boolean): void {
    this.int32Field(field, v ? 1 : 0);
  }

  floatField(field: number, v: number): void {
    this.tag(field, WireType.Fixed32);
    this.ensure(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
  }

  bytesField(field: number, bytes: Uint8Array): void {
    this.tag(field, WireType.LengthDelimited);
    this.varint(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
  }

  stringField(field: number, s: string): void {
    this.bytesField(field, utf8Encoder.encode(s));
  }

  messageField(field: number, message: ProtoWriter): void {
    this.bytesField(field, message.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

const utf8Encoder = new TextEncoder();
