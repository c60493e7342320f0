;; tokenizer.json's BPE vocabulary and merges, read where they lie in the file's UTF-8 bytes (see tokenizer-json.ts).
;; A cold start runs these loops once, over a megabyte or more: in JavaScript they ran mostly before V8 had optimised
;; them (3× their warm time); compiled wasm runs at speed from the first byte.
;;
;; Memory: the file's bytes at [0, len), then a bump heap. Strings are unescaped in place (an escape is never shorter
;; than what it stands for), so a string's bytes stay where it was. Any byte the scan does not vouch for (invalid
;; UTF-8, a control character, an escape JSON refuses or that makes a lone surrogate, a repeated key, two keys on one
;; id, a merge of unknown tokens) returns −1, and the caller hands the file to JSON.parse and the plain readers.
;;
;; A vocabulary entry is a record of five i32 at $records + 20·e: key offset, key length (bytes), key length (UTF-16
;; units), id, hash. The hash is the polynomial of util/byte-string-table.ts: h = h·P + byte + 1 (mod 2^32).
(module
  ;; The memory comes from the caller, made as large as it will need: growing it (here or from JavaScript) detaches
  ;; its old ArrayBuffer, and V8 then checks for detached buffers in every typed-array access of the process.
  (import "env" "memory" (memory 1))
  (export "memory" (memory 0))
  (global $len (mut i32) (i32.const 0))
  (global $heap (mut i32) (i32.const 0))
  (global $records (export "records") (mut i32) (i32.const 0))
  (global $count (export "count") (mut i32) (i32.const 0))
  (global $maxId (mut i32) (i32.const -1))
  (global $longest (mut i32) (i32.const 0))
  (global $entryOfId (export "entryOfId") (mut i32) (i32.const 0))
  (global $idLimit (export "idLimit") (mut i32) (i32.const 0))
  (global $slots (mut i32) (i32.const 0))
  (global $mask (mut i32) (i32.const 0))
  (global $powers (mut i32) (i32.const 0))
  (global $triples (export "triples") (mut i32) (i32.const 0))
  (global $merges (export "mergeCount") (mut i32) (i32.const 0))
  ;; 1: "left right" strings, 2: [left, right] pairs, 0: none seen
  (global $shape (export "shape") (mut i32) (i32.const 0))
  ;; the last string read: its bytes (unescaped) at [$strPtr, $strPtr + $strLen)
  (global $strPtr (mut i32) (i32.const 0))
  (global $strLen (mut i32) (i32.const 0))
  (global $strHash (mut i32) (i32.const 0))
  (global $strUnits (mut i32) (i32.const 0))

  (func $align (param $p i32) (result i32)
    (i32.and (i32.add (local.get $p) (i32.const 7)) (i32.const -8)))

  ;; Makes [0, end) addressable; 0 when memory cannot grow.
  (func $ensure (param $end i32) (result i32)
    (local $pages i32)
    (local.set $pages (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16)))
    (if (i32.gt_u (local.get $pages) (memory.size))
      (then (if (i32.eq (memory.grow (i32.sub (local.get $pages) (memory.size))) (i32.const -1))
        (then (return (i32.const 0))))))
    (i32.const 1))

  ;; Takes `size` bytes of zeroed heap; −1 when memory cannot grow.
  (func $take (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (call $align (global.get $heap)))
    (if (i32.eqz (call $ensure (i32.add (local.get $at) (local.get $size)))) (then (return (i32.const -1))))
    (memory.fill (local.get $at) (i32.const 0) (local.get $size))
    (global.set $heap (i32.add (local.get $at) (local.get $size)))
    (local.get $at))

  ;; The file is at [0, len) (the caller copied it and made room for it): resets the heap past it.
  (func (export "reset") (param $len i32) (result i32)
    (global.set $len (local.get $len))
    (global.set $heap (i32.add (local.get $len) (i32.const 8)))
    (if (i32.eqz (call $ensure (global.get $heap))) (then (return (i32.const 0))))
    (i64.store (local.get $len) (i64.const 0))
    (global.set $count (i32.const 0))
    (global.set $merges (i32.const 0))
    (global.set $shape (i32.const 0))
    (global.set $maxId (i32.const -1))
    (global.set $longest (i32.const 0))
    (i32.const 1))

  (func $byte (param $p i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $p) (global.get $len))
      (then (i32.load8_u (local.get $p)))
      (else (i32.const -1))))

  ;; Past the whitespace at p. (Reads bytes directly: the zero byte at len, which `reset` leaves there, stops every
  ;; loop that reads without a bound — whitespace, digits, strings, UTF-8 sequences.)
  (func $space (export "space") (param $p i32) (result i32)
    (local $c i32)
    (block $done
      (loop $next
        (local.set $c (i32.load8_u (local.get $p)))
        (br_if $done (i32.eqz (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x20)) (i32.eq (local.get $c) (i32.const 0x0a)))
                                      (i32.or (i32.eq (local.get $c) (i32.const 0x0d)) (i32.eq (local.get $c) (i32.const 0x09))))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $p))

  ;; The end (past the closing quote) of the string whose quote is at p, escapes skipped unchecked; −1 if unclosed.
  (func $stringEnd (export "stringEnd") (param $p i32) (result i32)
    (local $c i32)
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (loop $next
      (local.set $c (call $byte (local.get $p)))
      (if (i32.lt_s (local.get $c) (i32.const 0)) (then (return (i32.const -1))))
      (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (i32.add (local.get $p) (i32.const 1)))))
      (local.set $p (i32.add (local.get $p) (select (i32.const 2) (i32.const 1) (i32.eq (local.get $c) (i32.const 0x5c)))))
      (br $next))
    (i32.const -1))

  ;; The end of the JSON value at p (strings and nesting followed; a scalar ends at , } ] or whitespace, and
  ;; JSON.parse of the rest checks it); −1 where it does not end.
  (func (export "valueEnd") (param $p i32) (result i32)
    (local $c i32) (local $depth i32)
    (local.set $c (call $byte (local.get $p)))
    (if (i32.eq (local.get $c) (i32.const 0x22)) (then (return (call $stringEnd (local.get $p)))))
    (if (i32.eqz (i32.or (i32.eq (local.get $c) (i32.const 0x7b)) (i32.eq (local.get $c) (i32.const 0x5b))))
      (then
        (loop $scalar
          (local.set $c (call $byte (local.get $p)))
          (if (i32.or (i32.lt_s (local.get $c) (i32.const 0))
                (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x2c)) (i32.eq (local.get $c) (i32.const 0x7d)))
                        (i32.or (i32.eq (local.get $c) (i32.const 0x5d)) (i32.le_u (local.get $c) (i32.const 0x20)))))
            (then (return (local.get $p))))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $scalar))))
    (loop $next
      (local.set $c (call $byte (local.get $p)))
      (if (i32.lt_s (local.get $c) (i32.const 0)) (then (return (i32.const -1))))
      (if (i32.eq (local.get $c) (i32.const 0x22))
        (then
          (local.set $p (call $stringEnd (local.get $p)))
          (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
          (br $next)))
      (if (i32.or (i32.eq (local.get $c) (i32.const 0x7b)) (i32.eq (local.get $c) (i32.const 0x5b)))
        (then (local.set $depth (i32.add (local.get $depth) (i32.const 1)))))
      (if (i32.or (i32.eq (local.get $c) (i32.const 0x7d)) (i32.eq (local.get $c) (i32.const 0x5d)))
        (then
          (local.set $depth (i32.sub (local.get $depth) (i32.const 1)))
          (if (i32.eqz (local.get $depth)) (then (return (i32.add (local.get $p) (i32.const 1)))))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $next))
    (i32.const -1))

  (func $hex (param $c i32) (result i32)
    (if (i32.and (i32.ge_u (local.get $c) (i32.const 0x30)) (i32.le_u (local.get $c) (i32.const 0x39)))
      (then (return (i32.sub (local.get $c) (i32.const 0x30)))))
    (local.set $c (i32.or (local.get $c) (i32.const 0x20)))
    (if (i32.and (i32.ge_u (local.get $c) (i32.const 0x61)) (i32.le_u (local.get $c) (i32.const 0x66)))
      (then (return (i32.sub (local.get $c) (i32.const 0x57)))))
    (i32.const -1))

  ;; The four hex digits at p as a number, or −1.
  (func $hex4 (param $p i32) (result i32)
    (local $v i32) (local $k i32) (local $d i32)
    (loop $next
      (local.set $d (call $hex (call $byte (i32.add (local.get $p) (local.get $k)))))
      (if (i32.lt_s (local.get $d) (i32.const 0)) (then (return (i32.const -1))))
      (local.set $v (i32.or (i32.shl (local.get $v) (i32.const 4)) (local.get $d)))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $k) (i32.const 4))))
    (local.get $v))

  ;; The length of the well-formed UTF-8 sequence at p (1–4), or 0 (JSON text must be valid UTF-8).
  (func $utf8Length (param $p i32) (result i32)
    (local $c i32) (local $n i32) (local $lo i32) (local $hi i32) (local $k i32) (local $d i32)
    (local.set $c (i32.load8_u (local.get $p)))
    (if (i32.lt_u (local.get $c) (i32.const 0x80)) (then (return (i32.const 1))))
    (local.set $lo (i32.const 0x80))
    (local.set $hi (i32.const 0xbf))
    (if (i32.and (i32.ge_u (local.get $c) (i32.const 0xc2)) (i32.le_u (local.get $c) (i32.const 0xdf)))
      (then (local.set $n (i32.const 2))))
    (if (i32.and (i32.ge_u (local.get $c) (i32.const 0xe0)) (i32.le_u (local.get $c) (i32.const 0xef)))
      (then
        (local.set $n (i32.const 3))
        (if (i32.eq (local.get $c) (i32.const 0xe0)) (then (local.set $lo (i32.const 0xa0))))
        (if (i32.eq (local.get $c) (i32.const 0xed)) (then (local.set $hi (i32.const 0x9f))))))
    (if (i32.and (i32.ge_u (local.get $c) (i32.const 0xf0)) (i32.le_u (local.get $c) (i32.const 0xf4)))
      (then
        (local.set $n (i32.const 4))
        (if (i32.eq (local.get $c) (i32.const 0xf0)) (then (local.set $lo (i32.const 0x90))))
        (if (i32.eq (local.get $c) (i32.const 0xf4)) (then (local.set $hi (i32.const 0x8f))))))
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (local.set $k (i32.const 1))
    (loop $next
      (local.set $d (i32.load8_u (i32.add (local.get $p) (local.get $k))))
      (if (i32.or (i32.lt_s (local.get $d) (local.get $lo)) (i32.gt_s (local.get $d) (local.get $hi))) (then (return (i32.const 0))))
      (local.set $lo (i32.const 0x80))
      (local.set $hi (i32.const 0xbf))
      (local.set $k (i32.add (local.get $k) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $k) (local.get $n))))
    (local.get $n))

  ;; Writes code point cp as UTF-8 at w; returns the bytes written.
  (func $putUtf8 (param $w i32) (param $cp i32) (result i32)
    (if (i32.lt_u (local.get $cp) (i32.const 0x80))
      (then (i32.store8 (local.get $w) (local.get $cp)) (return (i32.const 1))))
    (if (i32.lt_u (local.get $cp) (i32.const 0x800))
      (then
        (i32.store8 (local.get $w) (i32.or (i32.const 0xc0) (i32.shr_u (local.get $cp) (i32.const 6))))
        (i32.store8 offset=1 (local.get $w) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3f))))
        (return (i32.const 2))))
    (if (i32.lt_u (local.get $cp) (i32.const 0x10000))
      (then
        (i32.store8 (local.get $w) (i32.or (i32.const 0xe0) (i32.shr_u (local.get $cp) (i32.const 12))))
        (i32.store8 offset=1 (local.get $w) (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 6)) (i32.const 0x3f))))
        (i32.store8 offset=2 (local.get $w) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3f))))
        (return (i32.const 3))))
    (i32.store8 (local.get $w) (i32.or (i32.const 0xf0) (i32.shr_u (local.get $cp) (i32.const 18))))
    (i32.store8 offset=1 (local.get $w) (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 12)) (i32.const 0x3f))))
    (i32.store8 offset=2 (local.get $w) (i32.or (i32.const 0x80) (i32.and (i32.shr_u (local.get $cp) (i32.const 6)) (i32.const 0x3f))))
    (i32.store8 offset=3 (local.get $w) (i32.or (i32.const 0x80) (i32.and (local.get $cp) (i32.const 0x3f))))
    (i32.const 4))

  ;; Reads the string whose quote is at p: checks it, unescapes it in place ($strPtr, $strLen), hashes it ($strHash)
  ;; and counts its UTF-16 units ($strUnits); returns its end (past the closing quote) or −1.
  (func $readString (param $p i32) (result i32)
    (local $r i32) (local $w i32) (local $c i32) (local $n i32) (local $cp i32) (local $lo i32) (local $h i32) (local $u i32) (local $k i32)
    (if (i32.ne (call $byte (local.get $p)) (i32.const 0x22)) (then (return (i32.const -1))))
    (local.set $r (i32.add (local.get $p) (i32.const 1)))
    (local.set $w (local.get $r))
    (global.set $strPtr (local.get $r))
    (loop $next
      (local.set $c (i32.load8_u (local.get $r)))
      ;; The common byte: printable ASCII, neither quote nor backslash, already where it belongs.
      (if (i32.and (i32.and (i32.ge_u (local.get $c) (i32.const 0x20)) (i32.lt_u (local.get $c) (i32.const 0x80)))
                   (i32.and (i32.ne (local.get $c) (i32.const 0x22)) (i32.ne (local.get $c) (i32.const 0x5c))))
        (then
          (if (i32.ne (local.get $w) (local.get $r)) (then (i32.store8 (local.get $w) (local.get $c))))
          (local.set $h (i32.add (i32.add (i32.mul (local.get $h) (i32.const 0x01000193)) (local.get $c)) (i32.const 1)))
          (local.set $u (i32.add (local.get $u) (i32.const 1)))
          (local.set $r (i32.add (local.get $r) (i32.const 1)))
          (local.set $w (i32.add (local.get $w) (i32.const 1)))
          (br $next)))
      (if (i32.lt_u (local.get $c) (i32.const 0x20)) (then (return (i32.const -1))))
      (if (i32.eq (local.get $c) (i32.const 0x22))
        (then
          (global.set $strLen (i32.sub (local.get $w) (global.get $strPtr)))
          (global.set $strHash (local.get $h))
          (global.set $strUnits (local.get $u))
          (return (i32.add (local.get $r) (i32.const 1)))))
      (if (i32.eq (local.get $c) (i32.const 0x5c))
        (then
          (local.set $c (call $byte (i32.add (local.get $r) (i32.const 1))))
          (local.set $cp (i32.const -1))
          (if (i32.eq (local.get $c) (i32.const 0x22)) (then (local.set $cp (i32.const 0x22))))
          (if (i32.eq (local.get $c) (i32.const 0x5c)) (then (local.set $cp (i32.const 0x5c))))
          (if (i32.eq (local.get $c) (i32.const 0x2f)) (then (local.set $cp (i32.const 0x2f))))
          (if (i32.eq (local.get $c) (i32.const 0x62)) (then (local.set $cp (i32.const 0x08))))
          (if (i32.eq (local.get $c) (i32.const 0x66)) (then (local.set $cp (i32.const 0x0c))))
          (if (i32.eq (local.get $c) (i32.const 0x6e)) (then (local.set $cp (i32.const 0x0a))))
          (if (i32.eq (local.get $c) (i32.const 0x72)) (then (local.set $cp (i32.const 0x0d))))
          (if (i32.eq (local.get $c) (i32.const 0x74)) (then (local.set $cp (i32.const 0x09))))
          (local.set $n (i32.const 2))
          (if (i32.eq (local.get $c) (i32.const 0x75))
            (then
              (local.set $cp (call $hex4 (i32.add (local.get $r) (i32.const 2))))
              (local.set $n (i32.const 6))
              ;; A high surrogate must be followed by an escaped low one; a lone surrogate has no UTF-8 form.
              (if (i32.and (i32.ge_s (local.get $cp) (i32.const 0xd800)) (i32.le_s (local.get $cp) (i32.const 0xdfff)))
                (then
                  (if (i32.or (i32.gt_s (local.get $cp) (i32.const 0xdbff))
                        (i32.or (i32.ne (call $byte (i32.add (local.get $r) (i32.const 6))) (i32.const 0x5c))
                                (i32.ne (call $byte (i32.add (local.get $r) (i32.const 7))) (i32.const 0x75))))
                    (then (return (i32.const -1))))
                  (local.set $lo (call $hex4 (i32.add (local.get $r) (i32.const 8))))
                  (if (i32.or (i32.lt_s (local.get $lo) (i32.const 0xdc00)) (i32.gt_s (local.get $lo) (i32.const 0xdfff)))
                    (then (return (i32.const -1))))
                  (local.set $cp (i32.add (i32.const 0x10000)
                    (i32.or (i32.shl (i32.sub (local.get $cp) (i32.const 0xd800)) (i32.const 10)) (i32.sub (local.get $lo) (i32.const 0xdc00)))))
                  (local.set $n (i32.const 12))))))
          (if (i32.lt_s (local.get $cp) (i32.const 0)) (then (return (i32.const -1))))
          (local.set $r (i32.add (local.get $r) (local.get $n)))
          (local.set $n (call $putUtf8 (local.get $w) (local.get $cp)))
          (local.set $u (i32.add (local.get $u) (select (i32.const 2) (i32.const 1) (i32.eq (local.get $n) (i32.const 4)))))
          (local.set $k (i32.const 0))
          (loop $hashed
            (local.set $h (i32.add (i32.add (i32.mul (local.get $h) (i32.const 0x01000193)) (i32.load8_u (i32.add (local.get $w) (local.get $k)))) (i32.const 1)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br_if $hashed (i32.lt_u (local.get $k) (local.get $n))))
          (local.set $w (i32.add (local.get $w) (local.get $n)))
          (br $next)))
      (local.set $n (call $utf8Length (local.get $r)))
      (if (i32.eqz (local.get $n)) (then (return (i32.const -1))))
      (local.set $u (i32.add (local.get $u) (select (i32.const 2) (i32.const 1) (i32.eq (local.get $n) (i32.const 4)))))
      (local.set $k (i32.const 0))
      (loop $copied
        (local.set $c (i32.load8_u (i32.add (local.get $r) (local.get $k))))
        (i32.store8 (i32.add (local.get $w) (local.get $k)) (local.get $c))
        (local.set $h (i32.add (i32.add (i32.mul (local.get $h) (i32.const 0x01000193)) (local.get $c)) (i32.const 1)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $copied (i32.lt_u (local.get $k) (local.get $n))))
      (local.set $r (i32.add (local.get $r) (local.get $n)))
      (local.set $w (i32.add (local.get $w) (local.get $n)))
      (br $next))
    (i32.const -1))

  (func $hash (param $p i32) (param $n i32) (result i32)
    (local $h i32) (local $end i32)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $h (i32.add (i32.add (i32.mul (local.get $h) (i32.const 0x01000193)) (i32.load8_u (local.get $p))) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (local.get $h))

  (func $same (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $k i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $k) (local.get $n)))
        (if (i32.ne (i32.load8_u (i32.add (local.get $a) (local.get $k))) (i32.load8_u (i32.add (local.get $b) (local.get $k))))
          (then (return (i32.const 0))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next)))
    (i32.const 1))

  ;; The entry whose key is the bytes [a, a + an) then [b, b + bn), with hash h; −1 if none.
  (func $find (param $h i32) (param $a i32) (param $an i32) (param $b i32) (param $bn i32) (result i32)
    (local $slot i32) (local $e i32) (local $rec i32)
    (local.set $slot (i32.and (local.get $h) (global.get $mask)))
    (loop $next
      (local.set $e (i32.load offset=4 (i32.add (global.get $slots) (i32.shl (local.get $slot) (i32.const 3)))))
      (if (i32.eqz (local.get $e)) (then (return (i32.const -1))))
      (local.set $e (i32.sub (local.get $e) (i32.const 1)))
      (if (i32.eq (i32.load (i32.add (global.get $slots) (i32.shl (local.get $slot) (i32.const 3)))) (local.get $h))
        (then
          (local.set $rec (i32.add (global.get $records) (i32.mul (local.get $e) (i32.const 20))))
          (if (i32.eq (i32.load offset=4 (local.get $rec)) (i32.add (local.get $an) (local.get $bn)))
            (then
              (if (i32.and (call $same (i32.load (local.get $rec)) (local.get $a) (local.get $an))
                           (call $same (i32.add (i32.load (local.get $rec)) (local.get $an)) (local.get $b) (local.get $bn)))
                (then (return (local.get $e))))))))
      (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (global.get $mask)))
      (br $next))
    (i32.const -1))

  ;; The id of the token whose bytes are [p, p + n) (the caller wrote them on the heap), or −1.
  (func (export "lookup") (param $p i32) (param $n i32) (result i32)
    (local $e i32)
    (if (i32.gt_u (local.get $n) (global.get $longest)) (then (return (i32.const -1))))
    (local.set $e (call $find (call $hash (local.get $p) (local.get $n)) (local.get $p) (local.get $n) (local.get $p) (i32.const 0)))
    (if (result i32) (i32.lt_s (local.get $e) (i32.const 0))
      (then (i32.const -1))
      (else (i32.load offset=12 (i32.add (global.get $records) (i32.mul (local.get $e) (i32.const 20)))))))

  ;; Heap room for the caller to write n bytes (a token to look up); −1 when memory cannot grow.
  (func (export "scratch") (param $n i32) (result i32)
    (local $at i32)
    (local.set $at (call $align (global.get $heap)))
    (if (result i32) (call $ensure (i32.add (local.get $at) (local.get $n)))
      (then (local.get $at))
      (else (i32.const -1))))

  ;; The vocab object at p: its entries, the id → entry table, the hash slots and the powers of P. Returns its end.
  (func (export "vocab") (param $p i32) (result i32)
    (local $id i32) (local $c i32) (local $rec i32) (local $n i32) (local $e i32) (local $size i32) (local $slot i32)
    (local $h i32) (local $k i32)
    (if (i32.ne (call $byte (local.get $p)) (i32.const 0x7b)) (then (return (i32.const -1))))
    (global.set $records (call $align (global.get $heap)))
    (local.set $p (call $space (i32.add (local.get $p) (i32.const 1))))
    (if (i32.ne (call $byte (local.get $p)) (i32.const 0x7d))
      (then
        (loop $entry
          (local.set $p (call $readString (local.get $p)))
          (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
          (local.set $p (call $space (local.get $p)))
          (if (i32.ne (call $byte (local.get $p)) (i32.const 0x3a)) (then (return (i32.const -1))))
          (local.set $p (call $space (i32.add (local.get $p) (i32.const 1))))
          ;; A plain integer: no sign, no leading zero, no fraction or exponent, at most 2^21 − 1.
          (local.set $id (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)))
          (if (i32.gt_u (local.get $id) (i32.const 9)) (then (return (i32.const -1))))
          (loop $digit
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $c (i32.sub (i32.load8_u (local.get $p)) (i32.const 0x30)))
            (if (i32.le_u (local.get $c) (i32.const 9))
              (then
                (if (i32.eqz (local.get $id)) (then (return (i32.const -1))))
                (local.set $id (i32.add (i32.mul (local.get $id) (i32.const 10)) (local.get $c)))
                (if (i32.gt_u (local.get $id) (i32.const 2097151)) (then (return (i32.const -1))))
                (br $digit))))
          (local.set $c (call $byte (local.get $p)))
          (if (i32.or (i32.or (i32.eq (local.get $c) (i32.const 0x2e)) (i32.eq (local.get $c) (i32.const 0x65))) (i32.eq (local.get $c) (i32.const 0x45)))
            (then (return (i32.const -1))))
          (local.set $rec (i32.add (global.get $records) (i32.mul (local.get $n) (i32.const 20))))
          (if (i32.eqz (call $ensure (i32.add (local.get $rec) (i32.const 20)))) (then (return (i32.const -1))))
          (i32.store (local.get $rec) (global.get $strPtr))
          (i32.store offset=4 (local.get $rec) (global.get $strLen))
          (i32.store offset=8 (local.get $rec) (global.get $strUnits))
          (i32.store offset=12 (local.get $rec) (local.get $id))
          (i32.store offset=16 (local.get $rec) (global.get $strHash))
          (if (i32.gt_s (local.get $id) (global.get $maxId)) (then (global.set $maxId (local.get $id))))
          (if (i32.gt_u (global.get $strLen) (global.get $longest)) (then (global.set $longest (global.get $strLen))))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (local.set $p (call $space (local.get $p)))
          (local.set $c (call $byte (local.get $p)))
          (if (i32.eq (local.get $c) (i32.const 0x2c))
            (then
              (local.set $p (call $space (i32.add (local.get $p) (i32.const 1))))
              (br $entry)))
          (if (i32.ne (local.get $c) (i32.const 0x7d)) (then (return (i32.const -1)))))))
    (global.set $count (local.get $n))
    (global.set $heap (i32.add (global.get $records) (i32.mul (local.get $n) (i32.const 20))))
    ;; id → entry (−1: no token); two keys on one id go to the plain reader.
    (global.set $idLimit (i32.add (global.get $maxId) (i32.const 1)))
    (global.set $entryOfId (call $take (i32.shl (global.get $idLimit) (i32.const 2))))
    (if (i32.lt_s (global.get $entryOfId) (i32.const 0)) (then (return (i32.const -1))))
    (memory.fill (global.get $entryOfId) (i32.const 0xff) (i32.shl (global.get $idLimit) (i32.const 2)))
    (local.set $e (i32.const 0))
    (block $ids
      (loop $next
        (br_if $ids (i32.ge_u (local.get $e) (local.get $n)))
        (local.set $id (i32.load offset=12 (i32.add (global.get $records) (i32.mul (local.get $e) (i32.const 20)))))
        (local.set $k (i32.add (global.get $entryOfId) (i32.shl (local.get $id) (i32.const 2))))
        (if (i32.ne (i32.load (local.get $k)) (i32.const -1)) (then (return (i32.const -1))))
        (i32.store (local.get $k) (local.get $e))
        (local.set $e (i32.add (local.get $e) (i32.const 1)))
        (br $next)))
    ;; Hash slots (hash, entry + 1), at most half full; a repeated key goes to the plain reader.
    (local.set $size (i32.const 16))
    (block $sized
      (loop $double
        (br_if $sized (i32.ge_u (local.get $size) (i32.shl (local.get $n) (i32.const 1))))
        (local.set $size (i32.shl (local.get $size) (i32.const 1)))
        (br $double)))
    (global.set $mask (i32.sub (local.get $size) (i32.const 1)))
    (global.set $slots (call $take (i32.shl (local.get $size) (i32.const 3))))
    (if (i32.lt_s (global.get $slots) (i32.const 0)) (then (return (i32.const -1))))
    (local.set $e (i32.const 0))
    (block $placed
      (loop $next
        (br_if $placed (i32.ge_u (local.get $e) (local.get $n)))
        (local.set $rec (i32.add (global.get $records) (i32.mul (local.get $e) (i32.const 20))))
        (local.set $h (i32.load offset=16 (local.get $rec)))
        (if (i32.ge_s (call $find (local.get $h) (i32.load (local.get $rec)) (i32.load offset=4 (local.get $rec)) (i32.const 0) (i32.const 0)) (i32.const 0))
          (then (return (i32.const -1))))
        (local.set $slot (i32.and (local.get $h) (global.get $mask)))
        (block $free
          (loop $probe
            (br_if $free (i32.eqz (i32.load offset=4 (i32.add (global.get $slots) (i32.shl (local.get $slot) (i32.const 3))))))
            (local.set $slot (i32.and (i32.add (local.get $slot) (i32.const 1)) (global.get $mask)))
            (br $probe)))
        (i32.store (i32.add (global.get $slots) (i32.shl (local.get $slot) (i32.const 3))) (local.get $h))
        (i32.store offset=4 (i32.add (global.get $slots) (i32.shl (local.get $slot) (i32.const 3))) (i32.add (local.get $e) (i32.const 1)))
        (local.set $e (i32.add (local.get $e) (i32.const 1)))
        (br $next)))
    ;; P^k for k ≤ the longest key: the hash of a join from its parts' hashes.
    (global.set $powers (call $take (i32.shl (i32.add (global.get $longest) (i32.const 1)) (i32.const 2))))
    (if (i32.lt_s (global.get $powers) (i32.const 0)) (then (return (i32.const -1))))
    (i32.store (global.get $powers) (i32.const 1))
    (local.set $k (i32.const 1))
    (block $done
      (loop $next
        (br_if $done (i32.gt_u (local.get $k) (global.get $longest)))
        (i32.store (i32.add (global.get $powers) (i32.shl (local.get $k) (i32.const 2)))
          (i32.mul (i32.load (i32.add (global.get $powers) (i32.shl (i32.sub (local.get $k) (i32.const 1)) (i32.const 2)))) (i32.const 0x01000193)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $next)))
    (i32.add (local.get $p) (i32.const 1)))

  ;; Appends the merge of [a, a + an) and [b, b + bn) as ids (left, right, merged); 0 when one is no token.
  (func $merge (param $a i32) (param $an i32) (param $b i32) (param $bn i32) (result i32)
    (local $ha i32) (local $hb i32) (local $l i32) (local $r i32) (local $m i32) (local $at i32)
    (if (i32.gt_u (i32.add (local.get $an) (local.get $bn)) (global.get $longest)) (then (return (i32.const 0))))
    (local.set $ha (call $hash (local.get $a) (local.get $an)))
    (local.set $hb (call $hash (local.get $b) (local.get $bn)))
    (local.set $l (call $find (local.get $ha) (local.get $a) (local.get $an) (local.get $a) (i32.const 0)))
    (local.set $r (call $find (local.get $hb) (local.get $b) (local.get $bn) (local.get $b) (i32.const 0)))
    (local.set $m (call $find
      (i32.add (i32.mul (local.get $ha) (i32.load (i32.add (global.get $powers) (i32.shl (local.get $bn) (i32.const 2))))) (local.get $hb))
      (local.get $a) (local.get $an) (local.get $b) (local.get $bn)))
    (if (i32.or (i32.or (i32.lt_s (local.get $l) (i32.const 0)) (i32.lt_s (local.get $r) (i32.const 0))) (i32.lt_s (local.get $m) (i32.const 0)))
      (then (return (i32.const 0))))
    (local.set $at (i32.add (global.get $triples) (i32.mul (global.get $merges) (i32.const 12))))
    (if (i32.eqz (call $ensure (i32.add (local.get $at) (i32.const 12)))) (then (return (i32.const 0))))
    (i32.store (local.get $at) (i32.load offset=12 (i32.add (global.get $records) (i32.mul (local.get $l) (i32.const 20)))))
    (i32.store offset=4 (local.get $at) (i32.load offset=12 (i32.add (global.get $records) (i32.mul (local.get $r) (i32.const 20)))))
    (i32.store offset=8 (local.get $at) (i32.load offset=12 (i32.add (global.get $records) (i32.mul (local.get $m) (i32.const 20)))))
    (global.set $merges (i32.add (global.get $merges) (i32.const 1)))
    (i32.const 1))

  ;; The merges list at p ("left right" strings, or [left, right] pairs; not both), after `vocab`: (left, right,
  ;; merged) id triples at $triples. Returns its end.
  (func (export "merges") (param $p i32) (result i32)
    (local $c i32) (local $a i32) (local $an i32) (local $space i32) (local $k i32)
    (if (i32.ne (call $byte (local.get $p)) (i32.const 0x5b)) (then (return (i32.const -1))))
    (global.set $triples (call $align (global.get $heap)))
    (local.set $p (call $space (i32.add (local.get $p) (i32.const 1))))
    (if (i32.eq (call $byte (local.get $p)) (i32.const 0x5d)) (then (return (i32.add (local.get $p) (i32.const 1)))))
    (loop $entry
      (local.set $c (call $byte (local.get $p)))
      (if (i32.eq (local.get $c) (i32.const 0x22))
        (then
          (if (i32.eq (global.get $shape) (i32.const 2)) (then (return (i32.const -1))))
          (global.set $shape (i32.const 1))
          (local.set $p (call $readString (local.get $p)))
          (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
          ;; exactly one space
          (local.set $space (i32.const -1))
          (local.set $k (i32.const 0))
          (block $split
            (loop $next
              (br_if $split (i32.ge_u (local.get $k) (global.get $strLen)))
              (if (i32.eq (i32.load8_u (i32.add (global.get $strPtr) (local.get $k))) (i32.const 0x20))
                (then
                  (if (i32.ge_s (local.get $space) (i32.const 0)) (then (return (i32.const -1))))
                  (local.set $space (local.get $k))))
              (local.set $k (i32.add (local.get $k) (i32.const 1)))
              (br $next)))
          (if (i32.lt_s (local.get $space) (i32.const 0)) (then (return (i32.const -1))))
          (if (i32.eqz (call $merge (global.get $strPtr) (local.get $space)
                  (i32.add (global.get $strPtr) (i32.add (local.get $space) (i32.const 1))) (i32.sub (global.get $strLen) (i32.add (local.get $space) (i32.const 1)))))
            (then (return (i32.const -1)))))
        (else
          (if (i32.ne (local.get $c) (i32.const 0x5b)) (then (return (i32.const -1))))
          (if (i32.eq (global.get $shape) (i32.const 1)) (then (return (i32.const -1))))
          (global.set $shape (i32.const 2))
          (local.set $p (call $readString (call $space (i32.add (local.get $p) (i32.const 1)))))
          (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
          (local.set $a (global.get $strPtr))
          (local.set $an (global.get $strLen))
          (local.set $p (call $space (local.get $p)))
          (if (i32.ne (call $byte (local.get $p)) (i32.const 0x2c)) (then (return (i32.const -1))))
          (local.set $p (call $readString (call $space (i32.add (local.get $p) (i32.const 1)))))
          (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
          (local.set $p (call $space (local.get $p)))
          (if (i32.ne (call $byte (local.get $p)) (i32.const 0x5d)) (then (return (i32.const -1))))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (if (i32.eqz (call $merge (local.get $a) (local.get $an) (global.get $strPtr) (global.get $strLen)))
            (then (return (i32.const -1))))))
      (local.set $p (call $space (local.get $p)))
      (local.set $c (call $byte (local.get $p)))
      (if (i32.eq (local.get $c) (i32.const 0x2c))
        (then
          (local.set $p (call $space (i32.add (local.get $p) (i32.const 1))))
          (br $entry)))
      (if (i32.ne (local.get $c) (i32.const 0x5d)) (then (return (i32.const -1)))))
    (global.set $heap (i32.add (global.get $triples) (i32.mul (global.get $merges) (i32.const 12))))
    (i32.add (local.get $p) (i32.const 1)))

  ;; Every key in id order, one after another, from `out` (the caller made room: the keys' total bytes); returns the
  ;; bytes written. With each record's unit count, one decode of these bytes spells every token.
;; Whether some token holds the marker (the $ml bytes at $m) after its first byte with something other than the
  ;; marker just before it: Vocabulary.hasInnerMarker, asked by BPE before it cuts pieces at "▁". (UTF-8 is
  ;; self-synchronising: the marker's bytes match only where a marker starts.)
  (func (export "innerMarker") (param $m i32) (param $ml i32) (result i32)
    (local $id i32) (local $e i32) (local $rec i32) (local $at i32) (local $last i32) (local $k i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $id) (global.get $idLimit)))
        (local.set $e (i32.load (i32.add (global.get $entryOfId) (i32.shl (local.get $id) (i32.const 2)))))
        (if (i32.ge_s (local.get $e) (i32.const 0))
          (then
            (local.set $rec (i32.add (global.get $records) (i32.mul (local.get $e) (i32.const 20))))
            (local.set $at (i32.load (local.get $rec)))
            ;; The last byte a marker may start at.
            (local.set $last (i32.sub (i32.add (local.get $at) (i32.load offset=4 (local.get $rec))) (local.get $ml)))
            (local.set $k (i32.add (local.get $at) (i32.const 1)))
            (block $token
              (loop $byte
                (br_if $token (i32.gt_s (local.get $k) (local.get $last)))
                (if (call $same (local.get $k) (local.get $m) (local.get $ml))
                  (then
                    (if (i32.lt_s (i32.sub (local.get $k) (local.get $at)) (local.get $ml)) (then (return (i32.const 1))))
                    (if (i32.eqz (call $same (i32.sub (local.get $k) (local.get $ml)) (local.get $m) (local.get $ml)))
                      (then (return (i32.const 1))))))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $byte)))))
        (local.set $id (i32.add (local.get $id) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  (func (export "gatherKeys") (param $out i32) (result i32)
    (local $id i32) (local $e i32) (local $rec i32) (local $w i32)
    (local.set $w (local.get $out))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $id) (global.get $idLimit)))
        (local.set $e (i32.load (i32.add (global.get $entryOfId) (i32.shl (local.get $id) (i32.const 2)))))
        (if (i32.ge_s (local.get $e) (i32.const 0))
          (then
            (local.set $rec (i32.add (global.get $records) (i32.mul (local.get $e) (i32.const 20))))
            (memory.copy (local.get $w) (i32.load (local.get $rec)) (i32.load offset=4 (local.get $rec)))
            (local.set $w (i32.add (local.get $w) (i32.load offset=4 (local.get $rec))))))
        (local.set $id (i32.add (local.get $id) (i32.const 1)))
        (br $next)))
    (i32.sub (local.get $w) (local.get $out)))
)
