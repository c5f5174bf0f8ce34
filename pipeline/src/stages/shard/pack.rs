//! Packing: documents, each followed by the end-of-text token, concatenated and cut into
//! sequences of exactly `seq_len` tokens. A document that does not fit continues at the
//! start of the next sequence, so no token is lost and none is padding (except in a padded
//! last sequence).

/// One document to pack.
#[derive(Debug, Clone, Copy)]
pub struct PackDocument<'a> {
    pub source: &'a str,
    pub domain: &'a str,
    pub id: &'a str,
    pub tokens: &'a [u32],
}

/// A stretch of one document inside a sequence: sequence positions `start..start + length`
/// hold the document's tokens followed by its end-of-text token, from `offset` on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub source: String,
    pub domain: String,
    pub id: String,
    pub start: u32,
    pub offset: u32,
    pub length: u32,
    /// Whether the stretch ends with the document's end-of-text token.
    pub has_eos: bool,
}

impl Segment {
    /// Tokens of the document's text in this stretch (its end-of-text token excluded).
    pub fn text_tokens(&self) -> u64 {
        u64::from(self.length) - u64::from(self.has_eos)
    }
}

/// One packed sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    pub tokens: Vec<u32>,
    pub segments: Vec<Segment>,
    /// Tokens that are not padding: `tokens.len()` except in a padded last sequence.
    pub real_tokens: usize,
}

/// Fills sequences from documents in the order they are pushed.
#[derive(Debug)]
pub struct Packer {
    seq_len: usize,
    eos: u32,
    tokens: Vec<u32>,
    segments: Vec<Segment>,
}

/// What [`Packer::finish`] did with the tokens after the last full sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// No tokens were left over.
    Empty,
    /// The left-over tokens were dropped; their segments say whose they were.
    Dropped(Vec<Segment>),
    /// The left-over tokens became a last sequence padded with the end-of-text token.
    Padded(Sequence),
}

impl Packer {
    pub fn new(seq_len: usize, eos: u32) -> Self {
        Packer {
            seq_len: seq_len.max(1),
            eos,
            tokens: Vec::with_capacity(seq_len),
            segments: Vec::new(),
        }
    }

    /// Adds a document and its end-of-text token, calling `emit` for every sequence it
    /// completes.
    pub fn push<E>(
        &mut self,
        document: PackDocument<'_>,
        mut emit: impl FnMut(Sequence) -> Result<(), E>,
    ) -> Result<(), E> {
        let total = document.tokens.len() + 1;
        let mut offset = 0;
        while offset < total {
            let start = self.tokens.len();
            let take = (self.seq_len - start).min(total - offset);
            let end = offset + take;
            let text_end = end.min(document.tokens.len());
            if offset < text_end {
                self.tokens
                    .extend_from_slice(&document.tokens[offset..text_end]);
            }
            let has_eos = end == total;
            if has_eos {
                self.tokens.push(self.eos);
            }
            self.segments.push(Segment {
                source: document.source.to_owned(),
                domain: document.domain.to_owned(),
                id: document.id.to_owned(),
                start: start as u32,
                offset: offset as u32,
                length: take as u32,
                has_eos,
            });
            offset = end;
            if self.tokens.len() == self.seq_len {
                emit(self.take())?;
            }
        }
        Ok(())
    }

    /// Ends packing: the tokens after the last full sequence are dropped or padded.
    pub fn finish(mut self, pad: bool) -> Tail {
        if self.tokens.is_empty() {
            return Tail::Empty;
        }
        if !pad {
            return Tail::Dropped(std::mem::take(&mut self.segments));
        }
        let real_tokens = self.tokens.len();
        self.tokens.resize(self.seq_len, self.eos);
        let mut sequence = self.take();
        sequence.real_tokens = real_tokens;
        Tail::Padded(sequence)
    }

    fn take(&mut self) -> Sequence {
        let tokens = std::mem::replace(&mut self.tokens, Vec::with_capacity(self.seq_len));
        Sequence {
            real_tokens: tokens.len(),
            tokens,
            segments: std::mem::take(&mut self.segments),
        }
    }
}

/// Sequences a number of tokens fills: whole ones, plus a padded one when asked.
pub fn sequences_for(tokens: u64, seq_len: usize, pad: bool) -> u64 {
    let seq_len = seq_len.max(1) as u64;
    if pad {
        tokens.div_ceil(seq_len)
    } else {
        tokens / seq_len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc<'a>(id: &'a str, tokens: &'a [u32]) -> PackDocument<'a> {
        PackDocument {
            source: "s",
            domain: "d",
            id,
            tokens,
        }
    }

    fn pack(docs: &[PackDocument<'_>], seq_len: usize, pad: bool) -> (Vec<Sequence>, Tail) {
        let mut packer = Packer::new(seq_len, 0);
        let mut out = Vec::new();
        for d in docs {
            packer
                .push(*d, |s| {
                    out.push(s);
                    Ok::<_, ()>(())
                })
                .unwrap();
        }
        (out, packer.finish(pad))
    }

    #[test]
    fn documents_are_joined_with_eos_and_cut_at_seq_len() {
        let (sequences, tail) = pack(
            &[doc("a", &[1, 2, 3]), doc("b", &[4, 5, 6, 7, 8])],
            4,
            false,
        );
        let tokens: Vec<Vec<u32>> = sequences.iter().map(|s| s.tokens.clone()).collect();
        assert_eq!(tokens, vec![vec![1, 2, 3, 0], vec![4, 5, 6, 7]]);
        // "b" continues past the second sequence: its last token and EOS are the tail.
        let Tail::Dropped(segments) = tail else {
            panic!("{tail:?}")
        };
        assert_eq!(segments.len(), 1);
        assert_eq!((segments[0].offset, segments[0].length), (4, 2));
        assert!(segments[0].has_eos);
        let second = &sequences[1].segments;
        assert_eq!(second.len(), 1);
        assert_eq!(
            (second[0].start, second[0].offset, second[0].length),
            (0, 0, 4)
        );
        assert!(!second[0].has_eos);
    }

    #[test]
    fn a_document_longer_than_several_sequences_spans_them_in_order() {
        let long: Vec<u32> = (1..=10).collect();
        let (sequences, tail) = pack(&[doc("a", &long)], 3, false);
        assert_eq!(sequences.len(), 3);
        let offsets: Vec<u32> = sequences.iter().map(|s| s.segments[0].offset).collect();
        assert_eq!(offsets, vec![0, 3, 6]);
        assert_eq!(sequences[2].tokens, vec![7, 8, 9]);
        // 10 and EOS are left: 11 tokens make 3 full sequences and 2 dropped.
        assert!(matches!(tail, Tail::Dropped(ref s) if s[0].length == 2));
        assert_eq!(sequences_for(11, 3, false), 3);
        assert_eq!(sequences_for(11, 3, true), 4);
    }

    #[test]
    fn padding_marks_the_real_tokens() {
        let (sequences, tail) = pack(&[doc("a", &[1, 2])], 4, true);
        assert!(sequences.is_empty());
        let Tail::Padded(last) = tail else {
            panic!("{tail:?}")
        };
        assert_eq!(last.tokens, vec![1, 2, 0, 0]);
        assert_eq!(last.real_tokens, 3);
    }

    #[test]
    fn an_exact_fit_leaves_no_tail_and_empty_documents_still_get_eos() {
        let (sequences, tail) = pack(&[doc("a", &[1, 2, 3]), doc("e", &[])], 2, false);
        let tokens: Vec<Vec<u32>> = sequences.iter().map(|s| s.tokens.clone()).collect();
        assert_eq!(tokens, vec![vec![1, 2], vec![3, 0]]);
        assert!(matches!(tail, Tail::Dropped(ref s) if s[0].id == "e" && s[0].text_tokens() == 0));
        let (_, tail) = pack(&[doc("a", &[1, 2, 3])], 2, false);
        assert_eq!(tail, Tail::Empty);
    }
}
