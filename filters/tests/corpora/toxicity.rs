//! Toxicity filter on labelled toxic sets and on finance corpora, with LDNOOBW English.

use curate_filters::toxicity::{ToxicityFilter, list_entries};

use crate::load::{self, Doc};

fn filter(allow: bool) -> ToxicityFilter {
    let words = load::read_text("badwords_lists/ldnoobw/en.txt");
    assert_eq!(list_entries(&words).count(), 403);
    let b = ToxicityFilter::builder().words(list_entries(&words));
    let b = if allow { b.default_allow_phrases() } else { b };
    b.build().unwrap()
}

fn dropped(f: &ToxicityFilter, docs: &[Doc]) -> usize {
    docs.iter()
        .filter(|d| !f.check(&d.text, None).is_keep())
        .count()
}

/// Davidson tweets with their class (0 hate, 1 offensive, 2 neither).
fn davidson() -> Vec<(usize, String)> {
    load::csv_records("toxicity_labeled/davidson_hate_offensive/labeled_data.csv.gz")
        .iter()
        .map(|r| (r[5].parse().unwrap(), r[6].to_owned()))
        .collect()
}

/// Jigsaw train and valid comments with their `toxic` label.
fn jigsaw() -> Vec<(bool, String)> {
    let mut out = Vec::new();
    for f in ["train", "valid"] {
        for r in load::csv_records(&format!("toxicity_labeled/jigsaw_toxic_sample/{f}.csv")) {
            out.push((&r[2] == "1", r[1].to_owned()));
        }
    }
    out
}

/// `(flagged, total)` per Davidson class and per Jigsaw label (non-toxic, toxic).
type Flags = ([(usize, usize); 3], [(usize, usize); 2]);

/// How many documents of each labelled class the filter drops.
fn labelled_flags(f: &ToxicityFilter) -> Flags {
    let mut dav = [(0, 0); 3];
    for (class, text) in davidson() {
        dav[class].1 += 1;
        if !f.check(&text, None).is_keep() {
            dav[class].0 += 1;
        }
    }
    let mut jig = [(0, 0); 2];
    for (toxic, text) in jigsaw() {
        jig[usize::from(toxic)].1 += 1;
        if !f.check(&text, None).is_keep() {
            jig[usize::from(toxic)].0 += 1;
        }
    }
    (dav, jig)
}

#[test]
fn allow_list_brings_finance_false_positives_to_zero() {
    let plain = filter(false);
    let allowed = filter(true);
    let mut before = Vec::new();
    let mut after = Vec::new();
    for (name, docs) in load::finance_sets() {
        before.push((name, docs.len(), dropped(&plain, &docs)));
        after.push((name, docs.len(), dropped(&allowed, &docs)));
    }
    assert_eq!(
        before,
        [
            ("ectsum", 1_681, 3),
            ("sec_html", 20, 1),
            ("phrasebank", 4_846, 1),
            ("fiqa", 675, 1),
            ("semeval", 1_142, 0),
            ("fomc", 871, 1),
            ("reuters", 13_186, 6),
        ]
    );
    assert_eq!(
        after,
        [
            ("ectsum", 1_681, 0),
            ("sec_html", 20, 0),
            ("phrasebank", 4_846, 0),
            ("fiqa", 675, 0),
            ("semeval", 1_142, 0),
            ("fomc", 871, 0),
            ("reuters", 13_186, 0),
        ]
    );
}

#[test]
fn allow_list_keeps_recall_on_labelled_toxic_sets() {
    let (dav, jig) = labelled_flags(&filter(false));
    // Davidson: hate 914/1,430, offensive 14,850/19,190, neither 156/4,163.
    assert_eq!(dav, [(914, 1_430), (14_850, 19_190), (156, 4_163)]);
    // Jigsaw train+valid: non-toxic 5/263 flagged, toxic 12/29.
    assert_eq!(jig, [(5, 263), (12, 29)]);
    assert_eq!(labelled_flags(&filter(true)), (dav, jig));
}

#[test]
fn boundaries_protect_names_without_an_allow_entry() {
    let f = filter(false);
    for text in [
        "Scunthorpe United and Essex County, Sussex and Middlesex.",
        "Cummins raised guidance; the analyst liked the cocktail of results.",
        "Dickson and Buttonwood Capital; Hancock Whitney; Penistone Road.",
    ] {
        assert!(f.matches(text).is_empty(), "{text}: {:?}", f.matches(text));
    }
    // The allow-list covers the names where the bad word is a whole word.
    let g = filter(true);
    let text = "Dick's Sporting Goods and Hooker\nCorp; capital tied up in inventory.";
    assert_eq!(f.matches(text), ["Dick", "Hooker", "tied up"]);
    assert!(g.matches(text).is_empty());
}

#[test]
fn every_english_entry_is_found_in_a_neutral_sentence() {
    let words = load::read_text("badwords_lists/ldnoobw/en.txt");
    let f = filter(false);
    for entry in list_entries(&words) {
        let text = format!("The report said {entry}, then moved on.");
        assert_eq!(f.counts(&text).bad_words, 1, "{entry}");
    }
    // dolma ships the same list.
    assert_eq!(
        load::read_text("badwords_lists/dolma/naughty_words_en.txt"),
        words
    );
}

#[test]
fn unspaced_script_lists_match_inside_running_text() {
    for lang in ["ja", "zh"] {
        let words = load::read_text(&format!("badwords_lists/ldnoobw/{lang}.txt"));
        let f = ToxicityFilter::builder()
            .words(list_entries(&words))
            .build()
            .unwrap();
        let mut entries = 0;
        for entry in list_entries(&words) {
            entries += 1;
            // Embedded between ideographs, no spaces around it.
            let text = format!("今日は{entry}です");
            assert!(f.counts(&text).bad_words >= 1, "{lang}: {entry}");
        }
        assert_eq!(entries, if lang == "ja" { 180 } else { 319 }, "{lang}");
    }
}

/// C4's bad-words rule through the registry, as a job builds it: LDNOOBW English, with or
/// without curate's allow-list (phrases, and capitalised names).
fn c4_badwords(allow: bool) -> Box<dyn curate_filters::filter::Filter> {
    struct Lists;
    impl curate_filters::registry::Resources for Lists {
        fn read_text(&self, file: &str) -> Result<String, String> {
            Ok(load::read_text(file))
        }
        fn read_bytes(&self, file: &str) -> Result<Vec<u8>, String> {
            Ok(load::read_bytes(file))
        }
    }
    let settings = if allow {
        serde_json::json!({"list_file": "badwords_lists/ldnoobw/en.txt"})
    } else {
        serde_json::json!({
            "list_file": "badwords_lists/ldnoobw/en.txt",
            "default_allow_phrases": false,
            "allow_capitalized": [],
        })
    };
    let def = curate_filters::registry::find("c4_badwords").expect("registered");
    (def.build)(&curate_filters::registry::Settings::new(&settings, &Lists)).expect("builds")
}

#[test]
fn c4_badwords_allow_list_keeps_the_earnings_call_false_positives() {
    use curate_filters::filter::Document;
    let calls = load::ectsum();
    let dropped_ids = |filter: &dyn curate_filters::filter::Filter| -> Vec<String> {
        calls
            .iter()
            .filter(|d| !filter.check(&Document::new(&d.text, None)).is_keep())
            .map(|d| d.id.clone())
            .collect()
    };
    let bare = dropped_ids(c4_badwords(false).as_ref());
    // LDNOOBW fires on retailers, names, idioms and medical terms of 1,681 calls: "Dick's
    // Sporting Goods", "Dick Heimann", "tied up in", "sexual health", "panties".
    assert_eq!(bare.len(), 26, "{bare:?}");
    let dropped_text = |phrase: &str| {
        calls
            .iter()
            .filter(|d| bare.contains(&d.id))
            .any(|d| d.text.contains(phrase))
    };
    for phrase in [
        "Dick's Sporting Goods",
        "Dick Heimann",
        "tied up",
        "sexual health",
    ] {
        assert!(dropped_text(phrase), "no dropped call says {phrase:?}");
    }
    let with_allow_list = dropped_ids(c4_badwords(true).as_ref());
    assert_eq!(with_allow_list, Vec::<String>::new());
    // The list still works on abusive text.
    let verdict = c4_badwords(true).check(&Document::new(
        "you are a dick and a total asshole, go away",
        None,
    ));
    assert!(!verdict.is_keep());
    assert!(
        matches!(
            verdict.annotation("c4_badwords.matched"),
            Some(curate_filters::AnnotationValue::Text(words)) if words.contains("asshole")
        ),
        "{verdict:?}"
    );
}
