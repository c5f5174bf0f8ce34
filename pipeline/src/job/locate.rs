//! Finding the line of a setting in a job file, so that an error found after parsing
//! (a sum of shares, a filter's threshold, a missing list file) still names the line.

use toml::de::{DeTable, DeValue};

/// The 1-based line of the dotted `key` in `contents` (`mix.shares`, `source[2].paths`,
/// `filter.profile.web.c4.min_words_per_line`). A key that is not written in the file
/// gives the line of its nearest written parent, and a key with no written part line 1.
pub fn line_of(contents: &str, key: &str) -> usize {
    let offset = offset_of(contents, key).unwrap_or(0);
    contents[..offset.min(contents.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

fn offset_of(contents: &str, key: &str) -> Option<usize> {
    let document = DeTable::parse(contents).ok()?;
    let mut table: &DeTable<'_> = document.get_ref();
    let mut best = None;
    for segment in key.split('.').filter(|s| !s.is_empty()) {
        let (name, index) = match segment.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (segment, None),
        };
        let Some((found_key, value)) = table.iter().find(|(k, _)| k.get_ref().as_ref() == name)
        else {
            break;
        };
        best = Some(found_key.span().start);
        let value = match (value.get_ref(), index) {
            (DeValue::Array(items), Some(i)) => {
                let Some(item) = items.get(i) else {
                    break;
                };
                best = Some(item.span().start);
                item
            }
            _ => value,
        };
        match value.get_ref() {
            DeValue::Table(inner) => table = inner,
            _ => break,
        }
    }
    best.or(Some(0)).map(|b| line_start(contents, b))
}

/// The offset of the first character of the line holding `offset`.
fn line_start(contents: &str, offset: usize) -> usize {
    contents[..offset.min(contents.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const JOB: &str = "[job]\nname = \"x\"\n\n[[source]]\nname = \"a\"\n\n[[source]]\nname = \"b\"\npaths = [\"*.txt\"]\n\n[mix.shares]\nfinance = 0.5\n\n[filter.profile.web.c4]\nmin_words_per_line = 3\n";

    #[test]
    fn finds_nested_keys_array_items_and_parents() {
        assert_eq!(line_of(JOB, "job.name"), 2);
        assert_eq!(line_of(JOB, "source[1].paths"), 9);
        assert_eq!(line_of(JOB, "mix.shares.finance"), 12);
        assert_eq!(line_of(JOB, "mix.shares"), 11);
        assert_eq!(line_of(JOB, "filter.profile.web.c4.min_words_per_line"), 15);
        assert_eq!(line_of(JOB, "filter.profile.web.c4.missing"), 14);
        assert_eq!(line_of(JOB, "budget.params"), 1);
    }
}
