//! English word segmentation with the rules of spaCy's blank English tokenizer.
//!
//! The heuristic filters count words, word lengths and word n-grams, and their thresholds
//! were tuned (Gopher, FineWeb) on the output of a particular tokenizer: the reference
//! implementation splits English with spaCy's rule-based tokenizer. Reproducing its
//! boundaries keeps our word counts, n-gram fractions and newline-per-word ratios equal to
//! the reference on the same text, so the published thresholds mean the same thing here.
//!
//! The algorithm is spaCy's: split on whitespace (Python's `isspace`), then for each chunk
//! peel prefixes and suffixes off repeatedly, consult the special-case table (contractions,
//! abbreviations, emoticons) on the whole chunk and on what remains after each peel, keep
//! URL-shaped remainders whole, and split the rest at infixes (hyphens and slashes between
//! letters, commas between letters, `lower.Upper`, ellipses, symbols). It works on byte
//! offsets and allocates nothing per word.
//!
//! Not reproduced: spaCy's second-pass special-case matcher (it merges a few emoticons and
//! abbreviations that span affix boundaries) and the IPv4 branch of its URL pattern; both
//! are rare in text and cannot move a ratio noticeably.

mod affixes;
mod classes;
mod specials;
mod tables;
mod url;

pub use classes::{
    is_datatrove_punct, is_py_alpha, is_py_digit, is_py_non_word, is_py_space, is_terminal_punct,
};

/// A token: byte range in the text, and whether it is a run of whitespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub start: usize,
    pub end: usize,
    pub is_space: bool,
}

/// Calls `emit` for every token of `text` in order, whitespace tokens included (spaCy
/// keeps runs of whitespace other than a single space as tokens; the sentencizer sees them).
pub fn tokenize(text: &str, mut emit: impl FnMut(Token)) {
    let bytes = text.as_bytes();
    if bytes.is_empty() {
        return;
    }
    let mut start = 0usize;
    let mut in_ws: Option<bool> = None;
    let mut buf = Vec::new();
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        // Byte-level fast path for ASCII; other characters are decoded.
        let (ws, len) = if b < 0x80 {
            (ASCII_SPACE[usize::from(b)], 1)
        } else {
            match text[i..].chars().next() {
                Some(c) => (is_py_space(c), c.len_utf8()),
                None => break,
            }
        };
        let cur = *in_ws.get_or_insert(ws);
        if ws != cur {
            if start < i {
                emit_chunk(text, start, i, cur, &mut buf, &mut emit);
            }
            start = if b == b' ' { i + 1 } else { i };
            in_ws = Some(ws);
        }
        i += len;
    }
    if start < bytes.len() {
        emit_chunk(
            text,
            start,
            bytes.len(),
            in_ws.unwrap_or(false),
            &mut buf,
            &mut emit,
        );
    }
}

/// Python's `isspace` on ASCII bytes.
static ASCII_SPACE: [bool; 128] = {
    let mut t = [false; 128];
    t[b' ' as usize] = true;
    let mut c = 0x09;
    while c <= 0x0d {
        t[c] = true;
        c += 1;
    }
    let mut c = 0x1c;
    while c <= 0x1f {
        t[c] = true;
        c += 1;
    }
    t
};

/// Appends the word spans (non-whitespace tokens) of `text` to `out`, as byte ranges.
pub fn split_words(text: &str, out: &mut Vec<(usize, usize)>) {
    tokenize(text, |t| {
        if !t.is_space {
            out.push((t.start, t.end));
        }
    });
}

/// The words of `text` as string slices (convenience for tests and tools).
pub fn words(text: &str) -> Vec<&str> {
    let mut spans = Vec::new();
    split_words(text, &mut spans);
    spans.into_iter().map(|(a, b)| &text[a..b]).collect()
}

/// Number of sentences spaCy's rule-based sentencizer finds in `text`: a sentence ends
/// after a sentence-final character (`.`, `!`, `?` and their equivalents in other scripts)
/// once a token follows that is neither such a character nor punctuation.
pub fn count_sentences(text: &str) -> usize {
    if text.is_empty() {
        return 0;
    }
    // Fast path: a break needs a sentence-final character followed, somewhere after it, by
    // something that is not punctuation. Without one the text is a single sentence.
    if text.is_ascii() {
        let b = text.as_bytes();
        match memchr::memchr3(b'.', b'!', b'?', b) {
            None => return 1,
            Some(i)
                if b[i..]
                    .iter()
                    .all(|&c| classes::is_punct_category(c as char)) =>
            {
                return 1;
            }
            Some(_) => {}
        }
    } else if let Some(i) = text.find(classes::is_sent_punct) {
        if text[i..].chars().all(classes::is_punct_category) {
            return 1;
        }
    } else {
        return 1;
    }
    let mut sentences = 0usize;
    let mut seen_period = false;
    tokenize(text, |t| {
        if sentences == 0 {
            sentences = 1;
        }
        let tok = &text[t.start..t.end];
        let mut chars = tok.chars();
        let first = chars.next();
        let single = chars.next().is_none();
        let in_punct_chars = single && first.is_some_and(classes::is_sent_punct);
        let is_punct = !t.is_space && tok.chars().all(classes::is_punct_category);
        if seen_period && !is_punct && !in_punct_chars {
            sentences += 1;
            seen_period = false;
        } else if in_punct_chars {
            seen_period = true;
        }
    });
    sentences
}

fn emit_chunk(
    text: &str,
    start: usize,
    end: usize,
    is_space: bool,
    buf: &mut Vec<(usize, usize)>,
    emit: &mut impl FnMut(Token),
) {
    if is_space {
        emit(Token {
            start,
            end,
            is_space: true,
        });
        return;
    }
    let chunk = &text[start..end];
    buf.clear();
    let mut push = |a: usize, b: usize| buf.push((a, b));
    if !specials::emit(chunk, 0, &mut push) {
        if chunk.bytes().all(|b| b.is_ascii_alphanumeric()) {
            // No prefix, suffix or infix rule involves ASCII letters and digits alone
            // except through a digit (units, `10am`-style special cases); a chunk with no
            // digit is one token.
            if chunk.bytes().any(|b| b.is_ascii_digit()) {
                split_chunk(chunk, &mut push);
            } else {
                push(0, chunk.len());
            }
        } else {
            split_chunk(chunk, &mut push);
        }
    }
    if buf.len() >= 2 {
        merge_special_runs(chunk, buf, &mut |a, b| {
            emit(Token {
                start: start + a,
                end: start + b,
                is_space: false,
            })
        });
    } else {
        for &(a, b) in buf.iter() {
            emit(Token {
                start: start + a,
                end: start + b,
                is_space: false,
            });
        }
    }
}

/// spaCy's second pass over special cases: a run of adjacent tokens whose text is a
/// special case containing affix characters (`''`, `:)`, `St.` cut apart by the affix
/// rules) is re-split the special case's way. Longer runs win over shorter overlapping
/// ones, and among equally long ones the earlier one.
fn merge_special_runs(chunk: &str, toks: &[(usize, usize)], emit: &mut impl FnMut(usize, usize)) {
    let max_len = specials::max_len();
    // Candidate runs as (start token, end token), at least two tokens each.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for i in 0..toks.len() {
        for j in i + 2..=toks.len() {
            let (a, b) = (toks[i].0, toks[j - 1].1);
            if b - a > max_len {
                break;
            }
            if specials::is_affix_case(&chunk[a..b]) {
                runs.push((i, j));
            }
        }
    }
    if runs.is_empty() {
        for &(a, b) in toks {
            emit(a, b);
        }
        return;
    }
    runs.sort_by_key(|&(i, j)| (std::cmp::Reverse(j - i), i));
    let mut taken = vec![false; toks.len()];
    let mut chosen: Vec<(usize, usize)> = Vec::new();
    for &(i, j) in runs.iter() {
        if !taken[i] && !taken[j - 1] {
            chosen.push((i, j));
        }
        for t in &mut taken[i..j] {
            *t = true;
        }
    }
    chosen.sort_unstable();
    let mut k = 0;
    let mut next = chosen.iter().peekable();
    while k < toks.len() {
        match next.peek() {
            Some(&&(i, j)) if i == k => {
                let (a, b) = (toks[i].0, toks[j - 1].1);
                specials::emit(&chunk[a..b], a, emit);
                next.next();
                k = j;
            }
            _ => {
                emit(toks[k].0, toks[k].1);
                k += 1;
            }
        }
    }
}

/// spaCy's `_split_affixes` + `_attach_tokens` on one whitespace-free chunk.
fn split_chunk(s: &str, push: &mut impl FnMut(usize, usize)) {
    // Prefix and suffix ranges peeled so far (suffixes in peeling order, emitted reversed).
    let mut prefixes = SpanStack::default();
    let mut suffixes = SpanStack::default();
    let (mut lo, mut hi) = (0usize, s.len());
    let mut last_size = 0usize;
    let mut first = true;
    while lo < hi && hi - lo != last_size {
        let cur = &s[lo..hi];
        // The whole chunk was already looked up by the caller.
        if !first && specials::contains(cur) {
            break;
        }
        first = false;
        last_size = hi - lo;
        let pre = affixes::find_prefix(cur);
        if pre != 0 {
            let minus_pre = &cur[pre..];
            if !minus_pre.is_empty() && specials::contains(minus_pre) {
                prefixes.push((lo, lo + pre));
                lo += pre;
                break;
            }
        }
        let suf = affixes::find_suffix(&cur[pre..]);
        if suf != 0 {
            let minus_suf = &cur[..cur.len() - suf];
            if !minus_suf.is_empty() && specials::contains(minus_suf) {
                suffixes.push((hi - suf, hi));
                hi -= suf;
                break;
            }
        }
        if pre != 0 && suf != 0 && pre + suf <= cur.len() {
            prefixes.push((lo, lo + pre));
            suffixes.push((hi - suf, hi));
            lo += pre;
            hi -= suf;
        } else if pre != 0 {
            prefixes.push((lo, lo + pre));
            lo += pre;
        } else if suf != 0 {
            suffixes.push((hi - suf, hi));
            hi -= suf;
        }
    }

    for &(a, b) in prefixes.as_slice() {
        push(a, b);
    }
    if lo < hi {
        let cur = &s[lo..hi];
        if specials::emit(cur, lo, push) {
        } else if url::matches(cur) {
            push(lo, hi);
        } else {
            affixes::split_infixes(cur, lo, push);
        }
    }
    for &(a, b) in suffixes.as_slice().iter().rev() {
        push(a, b);
    }
}

/// A stack of byte ranges that lives on the stack for the usual handful of affixes and
/// spills to the heap only for pathological chunks (long runs of brackets or quotes).
#[derive(Default)]
struct SpanStack {
    inline: [(usize, usize); 8],
    len: usize,
    spill: Vec<(usize, usize)>,
}

impl SpanStack {
    fn push(&mut self, r: (usize, usize)) {
        if self.spill.is_empty() && self.len < self.inline.len() {
            self.inline[self.len] = r;
            self.len += 1;
        } else {
            if self.spill.is_empty() {
                self.spill.extend_from_slice(&self.inline[..self.len]);
            }
            self.spill.push(r);
        }
    }

    fn as_slice(&self) -> &[(usize, usize)] {
        if self.spill.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_spacy_on_common_cases() {
        assert_eq!(words("Hello, world!"), ["Hello", ",", "world", "!"]);
        assert_eq!(words("I don't know."), ["I", "do", "n't", "know", "."]);
        assert_eq!(
            words("John's car (red)."),
            ["John", "'s", "car", "(", "red", ")", "."]
        );
        assert_eq!(words("U.S. economy"), ["U.S.", "economy"]);
        assert_eq!(
            words("well-known state-of-the-art"),
            [
                "well", "-", "known", "state", "-", "of", "-", "the", "-", "art"
            ]
        );
        assert_eq!(words("$100 and 10km"), ["$", "100", "and", "10", "km"]);
        assert_eq!(
            words("up 5.2% to $3.4bn"),
            ["up", "5.2", "%", "to", "$", "3.4bn"]
        );
        assert_eq!(
            words("see https://example.com/a-b now"),
            ["see", "https://example.com/a-b", "now"]
        );
        assert_eq!(words("wait...what"), ["wait", "...", "what"]);
        assert_eq!(words("end.Next"), ["end", ".", "Next"]);
        assert_eq!(words("a\n\nb  c"), ["a", "b", "c"]);
        assert_eq!(words("\"Quoted.\""), ["\"", "Quoted", ".", "\""]);
        assert_eq!(
            words("and/or 1-2 a/b"),
            ["and/or", "1", "-", "2", "a", "/", "b"]
        );
    }

    #[test]
    fn whitespace_tokens_are_reported() {
        let mut toks = Vec::new();
        tokenize("a  b\nc", |t| toks.push(t));
        let shown: Vec<(&str, bool)> = toks
            .iter()
            .map(|t| (&"a  b\nc"[t.start..t.end], t.is_space))
            .collect();
        assert_eq!(
            shown,
            [
                ("a", false),
                (" ", true),
                ("b", false),
                ("\n", true),
                ("c", false)
            ]
        );
    }

    #[test]
    fn sentences() {
        assert_eq!(count_sentences("One. Two! Three?"), 3);
        assert_eq!(count_sentences("Mr. Smith went to Washington."), 1);
        assert_eq!(count_sentences("He said \"hi.\" Then left."), 2);
        assert_eq!(count_sentences("No end"), 1);
        assert_eq!(count_sentences(""), 0);
        assert_eq!(count_sentences("Done?!\")"), 1);
        assert_eq!(count_sentences("Yes.  No"), 2);
        assert_eq!(count_sentences("   "), 1);
    }
}
