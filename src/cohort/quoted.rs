//! The quick split of a CSV record whose quoted fields need no unquoting, the layout of a
//! REDCap export or an Excel "CSV UTF-8" save (nearly every text cell quoted, CRLF), found
//! 64 bytes at a time with bit masks rather than a byte, or a special byte, at a time.
//!
//! For each 64-byte block it takes the masks of quotes, separators, LFs and CRs (SSE2 on
//! x86_64, where it is always present; a byte loop elsewhere) and the mask of bytes inside
//! quotes (the prefix XOR of the quote mask). The record qualifies when every quote opens a
//! field or closes one right before a separator or line end, no separator, CR or LF sits
//! inside quotes, and every CR is followed by an LF; then its fields are the runs between the
//! separators up to the first line end, each without its quotes. Anything else is left to the
//! full tokenizer in `csvfile`, which unquotes. Walking the special bytes one by one (the
//! previous quick path) spent about 95 ns on each 100-byte, 29-field line of a REDCap export,
//! the largest single cost of a REDCap `analyze` (benches/README.md).

/// Bytes examined per block.
const BLOCK: usize = 64;

/// The masks of one block: bit `i` set when byte `i` is a quote, the separator, an LF, a CR.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Masks {
    quote: u64,
    sep: u64,
    lf: u64,
    cr: u64,
}

/// The masks of `block` (SSE2: four 16-byte compares per special byte).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn masks<const D: u8>(block: &[u8; BLOCK]) -> Masks {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut m = Masks::default();
    // SAFETY: SSE2 is part of every x86_64 target, so these intrinsics are always available;
    // `block` holds 64 bytes, so each 16-byte unaligned load (`loadu`) at 16*i is inside it.
    unsafe {
        let (q, s, lf, cr) = (
            _mm_set1_epi8(b'"' as i8),
            _mm_set1_epi8(D as i8),
            _mm_set1_epi8(b'\n' as i8),
            _mm_set1_epi8(b'\r' as i8),
        );
        for i in 0..BLOCK / 16 {
            let v = _mm_loadu_si128(block.as_ptr().add(16 * i).cast::<__m128i>());
            let bits = |c| u64::from(_mm_movemask_epi8(_mm_cmpeq_epi8(v, c)) as u16) << (16 * i);
            m.quote |= bits(q);
            m.sep |= bits(s);
            m.lf |= bits(lf);
            m.cr |= bits(cr);
        }
    }
    m
}

/// The masks of `block`, a byte at a time (targets without SSE2, and the SSE2 version's
/// reference in the tests).
#[cfg(any(test, not(target_arch = "x86_64")))]
#[inline(always)]
fn masks_bytewise<const D: u8>(block: &[u8; BLOCK]) -> Masks {
    let mut m = Masks::default();
    for (i, &c) in block.iter().enumerate() {
        let bit = 1u64 << i;
        match c {
            b'"' => m.quote |= bit,
            b'\n' => m.lf |= bit,
            b'\r' => m.cr |= bit,
            c if c == D => m.sep |= bit,
            _ => {}
        }
    }
    m
}

#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn masks<const D: u8>(block: &[u8; BLOCK]) -> Masks {
    masks_bytewise::<D>(block)
}

/// Bit `i` of the result is the XOR of bits `0..=i` of `x`: set for the bytes from an
/// opening quote up to (not including) its closing quote.
#[inline(always)]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The mask of bits below `n` (all of them for 64).
#[inline(always)]
fn below(n: usize) -> u64 {
    if n >= 64 { !0 } else { (1u64 << n) - 1 }
}

/// Splits the record at the start of `rest` when its quoted fields need no unquoting (no
/// doubled quote, separator or line break inside quotes; no text after a closing quote or
/// quote inside an unquoted field; no lone CR): pushes the position of each separator and of
/// the record's end (its CR or LF, or the end of `rest`) into `ends`, and returns the bytes
/// the record takes with its LF or CRLF (or up to the end of `rest` when it has no line
/// end). Field `i` is then [`field`]`(rest, ends, i)`. `None` when the record needs the full
/// tokenizer (`ends` is then partly filled).
#[inline]
pub(super) fn split_quoted_line<const D: u8>(rest: &[u8], ends: &mut Vec<usize>) -> Option<usize> {
    // Inside quotes at the start of the block (all ones) or not (zero).
    let mut inside = 0u64;
    // The byte before the block ended a field (a separator), or the block starts the record.
    let mut field_starts_at_0 = 1u64;
    let mut base = 0usize;
    let mut pad = [0u8; BLOCK];
    loop {
        let left = rest.len() - base;
        let block: &[u8; BLOCK] = match rest.get(base..base + BLOCK) {
            Some(b) => b.try_into().ok()?,
            // The last block, once: the bytes past the data stay zero (not special).
            None => {
                pad[..left].copy_from_slice(&rest[base..]);
                &pad
            }
        };
        let m = masks::<D>(block);
        let quoted = prefix_xor(m.quote) ^ inside;
        // The bytes of this record in the block: up to its first LF, or to the data's end.
        let (live, end) = match m.lf {
            0 if left > BLOCK => (!0u64, None),
            0 => (below(left), Some(left)),
            lf => {
                let first = lf.trailing_zeros() as usize;
                (below(first + 1), Some(first))
            }
        };
        // Bit 63 when the byte after the block is `c` (none is past the data's end).
        let next_is = |c: u8| -> u64 {
            match rest.get(base + BLOCK) {
                Some(&n) if n == c => 1 << 63,
                _ => 0,
            }
        };
        // No separator, CR or LF inside quotes (the quoted bit of the closing quote is
        // clear, so only content counts).
        if (m.sep | m.lf | m.cr) & quoted & live != 0 {
            return None;
        }
        // Each opening quote starts a field.
        let opening = m.quote & quoted & live;
        let field_start = (m.sep << 1) | field_starts_at_0;
        if opening & !field_start != 0 {
            return None;
        }
        // Each closing quote is followed by a separator, a line end or the data's end.
        let closing = m.quote & !quoted & live;
        if closing != 0 {
            let mut after = (m.sep | m.lf | m.cr) >> 1;
            if left <= BLOCK {
                after |= 1u64 << (left - 1);
            } else {
                after |= next_is(D) | next_is(b'\n') | next_is(b'\r');
            }
            if closing & !after != 0 {
                return None;
            }
        }
        // Each CR is followed by an LF.
        let cr = m.cr & live;
        if cr != 0 && cr & !((m.lf >> 1) | next_is(b'\n')) != 0 {
            return None;
        }
        // The separators' positions, appended as a counted run (reserved once, written
        // without a length update per field as pushing one by one did).
        let mut seps = m.sep & live;
        ends.extend((0..seps.count_ones()).map(|_| {
            let p = base + seps.trailing_zeros() as usize;
            seps &= seps - 1;
            p
        }));
        if let Some(end) = end {
            if m.lf & live == 0 && left > 0 && (quoted >> (left - 1)) & 1 == 1 {
                // The data ends inside quotes.
                return None;
            }
            let at = base + end;
            if at == rest.len() {
                ends.push(at);
                return Some(at);
            }
            // The CR of a CRLF is not part of the last field.
            let cr_before = at > 0 && rest[at - 1] == b'\r';
            ends.push(at - usize::from(cr_before));
            return Some(at + 1);
        }
        inside = if quoted >> 63 == 1 { !0 } else { 0 };
        field_starts_at_0 = m.sep >> 63;
        base += BLOCK;
    }
}

/// Field `i` of a record split by [`split_quoted_line`] (`ends` as it pushed them), without
/// its quotes.
#[inline(always)]
pub(super) fn field<'s>(src: &'s [u8], ends: &[usize], i: usize) -> &'s [u8] {
    let from = if i == 0 { 0 } else { ends[i - 1] + 1 };
    let run = &src[from..ends[i]];
    match run {
        [b'"', content @ .., _] => content,
        _ => run,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse2_masks_match_the_byte_loop() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let alphabet = [
            b'"',
            b',',
            b';',
            b'\n',
            b'\r',
            b'a',
            0,
            0xFF,
            0x80,
            0x22 | 0x80,
        ];
        for _ in 0..5_000 {
            let mut block = [0u8; BLOCK];
            for b in &mut block {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = alphabet[(state % alphabet.len() as u64) as usize];
            }
            assert_eq!(masks::<b','>(&block), masks_bytewise::<b','>(&block));
            assert_eq!(masks::<b';'>(&block), masks_bytewise::<b';'>(&block));
        }
    }

    #[test]
    fn prefix_xor_marks_the_bytes_inside_quotes() {
        // `a"bc"d"e`: quotes at 1, 4 and 6.
        let q = (1 << 1) | (1 << 4) | (1 << 6);
        assert_eq!(prefix_xor(q), 0b1110 | (!0 << 6));
        assert_eq!(prefix_xor(0), 0);
        assert_eq!(prefix_xor(1 << 63), 1 << 63);
        assert_eq!(prefix_xor(1), !0);
    }
}
