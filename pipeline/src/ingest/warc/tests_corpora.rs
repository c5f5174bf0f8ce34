//! Record and document counts on the shared corpora (reference counts from warcio as
//! listed in each folder's PROVENANCE.md; where the lenient reader reads more, the
//! module docs of [`super`] say why).

use super::tests_support::{RecordCounts, fixture, read_all, record_counts, skips, types};
use super::{RecordItem, WarcRecords};
use crate::ingest::SkipReason::{self, *};

fn assert_counts(
    path: &str,
    expected_types: &[(&str, usize)],
    expected_skips: &[(SkipReason, usize)],
    mismatched: usize,
) {
    let counts = record_counts(path);
    assert_eq!(
        counts,
        RecordCounts {
            types: types(expected_types),
            skipped: skips(expected_skips),
            mismatched,
        },
        "{path}"
    );
}

const FX: &str = "warc_format_fixtures";

#[test]
fn warcio_valid_files() {
    let example = [
        ("warcinfo", 2),
        ("request", 2),
        ("response", 1),
        ("revisit", 1),
    ];
    assert_counts(&format!("{FX}/warcio/example.warc"), &example, &[], 0);
    assert_counts(&format!("{FX}/warcio/example.warc.gz"), &example, &[], 0);
    for arc in ["example.arc", "example.arc.gz"] {
        assert_counts(
            &format!("{FX}/warcio/{arc}"),
            &[("warcinfo", 1), ("response", 1)],
            &[],
            0,
        );
    }
    assert_counts(
        &format!("{FX}/warcio/example-digest.warc"),
        &[("request", 4)],
        &[],
        0,
    );
    assert_counts(
        &format!("{FX}/warcio/example-iana.org-chunked.warc"),
        &[("warcinfo", 1), ("response", 1), ("request", 1)],
        &[],
        0,
    );
    assert_counts(
        &format!("{FX}/warcio/example-resource.warc.gz"),
        &[("warcinfo", 2), ("resource", 1)],
        &[],
        0,
    );
    assert_counts(
        &format!("{FX}/warcio/example-space-in-target-uri.warc.gz"),
        &[("warcinfo", 1), ("resource", 1)],
        &[],
        0,
    );
    assert_counts(
        &format!("{FX}/warcio/example-wget-bad-target-uri.warc.gz"),
        &[
            ("warcinfo", 1),
            ("request", 1),
            ("response", 1),
            ("metadata", 1),
            ("resource", 2),
        ],
        &[],
        0,
    );
    assert_counts(
        &format!("{FX}/warcio/post-test.warc.gz"),
        &[("request", 3), ("response", 3)],
        &[],
        0,
    );
}

#[test]
fn arc_url_with_spaces_and_a_length_past_the_end() {
    // The URL line declares 1591 bytes but only 1579 follow: warcio returns the short
    // record; here the end of the stream inside a block is a truncated record.
    let file =
        std::fs::File::open(fixture(&format!("{FX}/warcio/example-space-in-url.arc"))).unwrap();
    let items: Vec<RecordItem> = WarcRecords::new(file, 64 << 20).collect();
    assert_eq!(items.len(), 2);
    assert!(matches!(&items[0], RecordItem::Record(r) if r.record_type() == "warcinfo"));
    let RecordItem::Skipped(skipped) = &items[1] else {
        panic!("{:?}", items[1])
    };
    assert_eq!(skipped.reason, TruncatedRecord);
    assert!(
        skipped
            .detail
            .contains("EmailTitle=Examples From The Live Web&IsPopUp=False"),
        "{}",
        skipped.detail
    );
}

#[test]
fn warcio_broken_files_read_leniently() {
    // Two stray bytes after the response: the response is extended over them.
    assert_counts(
        &format!("{FX}/warcio/example-trunc.warc"),
        &[("warcinfo", 2), ("response", 1), ("request", 1)],
        &[],
        1,
    );
    // gzip members that do not align with records: the decompressed stream is valid.
    assert_counts(
        &format!("{FX}/warcio/example-wrong-chunks.warc.gz"),
        &[("response", 1), ("request", 1)],
        &[],
        0,
    );
    // One gzip member for the whole file: read sequentially.
    assert_counts(
        &format!("{FX}/warcio/example-bad-non-chunked.warc.gz"),
        &[
            ("warcinfo", 2),
            ("request", 2),
            ("response", 1),
            ("revisit", 1),
        ],
        &[],
        0,
    );
    assert_counts(
        &format!("{FX}/warcio/example-bad.warc.gz.bad"),
        &[
            ("warcinfo", 1),
            ("request", 2),
            ("response", 2),
            ("revisit", 1),
        ],
        &[],
        0,
    );
    // Length fields "-1" (twice, one on the filedesc) and "abc"; the filedesc's version
    // lines that follow it are garbage then.
    assert_counts(
        &format!("{FX}/warcio/bad.arc"),
        &[("response", 1)],
        &[(BadRecordHeader, 3), (GarbageBetweenRecords, 1)],
        0,
    );
}

#[test]
fn resiliparse_files() {
    for name in [
        "block-sized-records.warc",
        "block-sized-records.warc.gz",
        "block-sized-records.warc.lz4",
    ] {
        assert_counts(
            &format!("{FX}/resiliparse/{name}"),
            &[("unknown", 3)],
            &[],
            0,
        );
    }
    assert_counts(
        &format!("{FX}/resiliparse/clueweb-quirk.warc.gz"),
        &[("warcinfo", 1), ("response", 29)],
        &[],
        0,
    );
    assert_counts(
        &format!("{FX}/resiliparse/warcfile.warc.lz4"),
        &[
            ("warcinfo", 1),
            ("request", 17),
            ("response", 16),
            ("metadata", 16),
        ],
        &[],
        0,
    );
}

#[test]
fn clipped_gzip_is_truncated_compression_of_the_first_record() {
    let file = std::fs::File::open(fixture(&format!("{FX}/resiliparse/clipped.warc.gz"))).unwrap();
    let items: Vec<RecordItem> = WarcRecords::new(file, 64 << 20).collect();
    assert_eq!(items.len(), 1);
    let RecordItem::Skipped(skipped) = &items[0] else {
        panic!("expected a skip, got {:?}", items[0]);
    };
    assert_eq!(skipped.reason, TruncatedCompression);
    assert_eq!(skipped.position, crate::ingest::Position::Byte(0));
}

#[test]
fn ia_web_commons_files() {
    let cases: &[(&str, &[(&str, usize)])] = &[
        ("html-lang-attribute.warc", &[("response", 5)]),
        (
            "link-extraction-test.warc",
            &[("warcinfo", 1), ("response", 9)],
        ),
        (
            "text-extraction-test.warc",
            &[("warcinfo", 1), ("response", 2), ("metadata", 1)],
        ),
        ("meta-itemprop.warc", &[("response", 1)]),
        ("title-extraction-embedded-SVG.warc", &[("response", 1)]),
        ("mutliple-headers.warc", &[("response", 1)]),
    ];
    for (name, expected) in cases {
        assert_counts(&format!("{FX}/ia_web_commons/{name}"), expected, &[], 0);
    }
}

#[test]
fn gzip_edge_cases_as_archives() {
    // Not archives: their text is garbage, and the corrupt one stops with its reason.
    for name in ["hi.gz", "hi-2.gz", "abcd.gz"] {
        assert_counts(
            &format!("{FX}/ia_web_commons/{name}"),
            &[],
            &[(GarbageBetweenRecords, 1)],
            0,
        );
    }
    assert_counts(&format!("{FX}/ia_web_commons/empty.gz"), &[], &[], 0);
    let counts = record_counts(&format!(
        "{FX}/ia_web_commons/double-single-inflate-error.gz"
    ));
    assert_eq!(
        counts.skipped.get(&CorruptCompression),
        Some(&1),
        "{counts:?}"
    );
    assert!(counts.types.is_empty());
}

#[test]
fn repeated_headers_are_kept() {
    let file = std::fs::File::open(fixture(&format!(
        "{FX}/ia_web_commons/mutliple-headers.warc"
    )))
    .unwrap();
    let record = WarcRecords::new(file, 64 << 20)
        .find_map(|item| match item {
            RecordItem::Record(r) => Some(r),
            RecordItem::Skipped(_) => None,
        })
        .unwrap();
    let protocols: Vec<&str> = record.headers_named("warc-protocol").collect();
    assert_eq!(protocols, ["h2", "tls/1.3"]);
}

#[test]
fn other_projects_files() {
    assert_counts(
        &format!("{FX}/jwarc/gzip_extra_sl.warc.gz"),
        &[("warcinfo", 1)],
        &[],
        0,
    );
    assert_counts(
        &format!("{FX}/node_warc/parseMe.warc.gz"),
        &[
            ("warcinfo", 1),
            ("metadata", 1),
            ("request", 14),
            ("response", 14),
        ],
        &[],
        0,
    );
    assert_counts(
        &format!("{FX}/copycat/clueweb09-en0000-00.warc.gz"),
        &[("warcinfo", 1), ("response", 23)],
        &[],
        0,
    );
    assert_counts(
        &format!("{FX}/copycat/clueweb12-0000tw-00.warc.gz"),
        &[("warcinfo", 1), ("response", 3)],
        &[],
        0,
    );
}

#[test]
fn cc_net_wet_with_wrong_lengths() {
    let path = format!("{FX}/cc_net/sample.warc.txt");
    assert_counts(&path, &[("warcinfo", 1), ("conversion", 3)], &[], 4);
    let (docs, skipped) = read_all(&path);
    assert_eq!(
        skipped,
        skips(&[(NonDocumentRecord, 1), (BadContentLength, 4)])
    );
    let urls: Vec<_> = docs.iter().map(|d| d.url.as_deref().unwrap()).collect();
    assert_eq!(
        urls,
        [
            "http://sample_english.com",
            "http://sample_chinese.zh",
            "http://sample_russian.ru"
        ]
    );
    assert!(docs[0].text.starts_with("Famous Mark Twain Quotes\n"));
    assert!(docs[0].text.ends_with("Truth isn't."));
    assert!(
        docs[1].text.starts_with("馬克·吐溫名言"),
        "{}",
        docs[1].text
    );
    assert!(docs[1].text.ends_with("真理不是。"), "{}", docs[1].text);
    assert!(docs[2].text.ends_with("Правда нет."), "{}", docs[2].text);
    for doc in &docs {
        assert!(!doc.text.contains("WARC/1.0"), "{}", doc.text);
    }
    assert_eq!(
        docs[2].id.as_deref(),
        Some("urn:uuid:27dccd48-27b2-4eb0-b10b-a43661cbf0bc")
    );
}

const WS: &str = "web_warc_samples";

#[test]
fn web_samples_record_counts() {
    assert_counts(
        &format!("{WS}/resiliparse_cc2020/warcfile.warc.gz"),
        &[
            ("warcinfo", 1),
            ("request", 17),
            ("response", 16),
            ("metadata", 16),
        ],
        &[],
        0,
    );
    assert_counts(
        &format!("{WS}/whirlwind_cc2024/whirlwind.warc.gz"),
        &[
            ("warcinfo", 1),
            ("request", 1),
            ("response", 1),
            ("metadata", 1),
        ],
        &[],
        0,
    );
    assert_counts(
        &format!("{WS}/whirlwind_cc2024/whirlwind.warc.wet.gz"),
        &[("warcinfo", 1), ("conversion", 1)],
        &[],
        0,
    );
    assert_counts(
        &format!("{WS}/whirlwind_cc2024/whirlwind.warc.wat.gz"),
        &[("warcinfo", 1), ("metadata", 1)],
        &[],
        0,
    );
    assert_counts(
        &format!("{WS}/jwarc_cc2019/cc.warc.gz"),
        &[("response", 1)],
        &[],
        0,
    );
    assert_counts(
        &format!("{WS}/dolma_wget2024/sample-0000.warc.gz"),
        &[
            ("warcinfo", 1),
            ("request", 22),
            ("response", 22),
            ("metadata", 1),
            ("resource", 2),
        ],
        &[],
        0,
    );
    assert_counts(
        &format!("{WS}/ia_web_commons_wget/IAH-urls-wget.warc.gz"),
        &[
            ("warcinfo", 1),
            ("request", 16),
            ("response", 16),
            ("resource", 3),
        ],
        &[],
        0,
    );
    assert_counts(
        &format!("{WS}/commoncrawl_arc_2008/small-sample-1213893279526_0.arc.gz"),
        &[("warcinfo", 1), ("response", 145)],
        &[],
        0,
    );
}

#[test]
fn arc_2008_consumes_every_byte() {
    let file = std::fs::File::open(fixture(&format!(
        "{WS}/commoncrawl_arc_2008/small-sample-1213893279526_0.arc.gz"
    )))
    .unwrap();
    let mut records = WarcRecords::new(file, 64 << 20);
    for item in records.by_ref() {
        assert!(matches!(item, RecordItem::Record(_)), "{item:?}");
    }
    assert_eq!(records.consumed(), 3_585_384);
}

/// Documents with their positions, and every record's target URI by position.
fn documents_and_targets(
    path: &str,
) -> (
    Vec<(u64, super::RawDocument)>,
    std::collections::BTreeMap<u64, String>,
) {
    let reader = super::open_web_archive(&fixture(path), &Default::default()).unwrap();
    let docs = reader
        .filter_map(|item| match item {
            crate::ingest::ReadItem::Document {
                document,
                position: crate::ingest::Position::Byte(p),
            } => Some((p, document)),
            _ => None,
        })
        .collect();
    let file = std::fs::File::open(fixture(path)).unwrap();
    let targets = WarcRecords::new(file, 64 << 20)
        .filter_map(|item| match item {
            RecordItem::Record(r) => Some((
                r.offset,
                r.header("WARC-Target-URI").unwrap_or("").to_string(),
            )),
            RecordItem::Skipped(_) => None,
        })
        .collect();
    (docs, targets)
}

#[test]
fn web_samples_documents() {
    type Case<'a> = (&'a str, usize, &'a [(SkipReason, usize)]);
    let cases: &[Case] = &[
        (
            "resiliparse_cc2020/warcfile.warc.gz",
            16,
            &[(NonDocumentRecord, 34)],
        ),
        (
            "whirlwind_cc2024/whirlwind.warc.gz",
            1,
            &[(NonDocumentRecord, 3)],
        ),
        (
            "whirlwind_cc2024/whirlwind.warc.wet.gz",
            1,
            &[(NonDocumentRecord, 1)],
        ),
        (
            "whirlwind_cc2024/whirlwind.warc.wat.gz",
            0,
            &[(NonDocumentRecord, 2)],
        ),
        ("jwarc_cc2019/cc.warc.gz", 1, &[]),
        // 22 requests, warcinfo, metadata; the 2 resources are wget's log and arguments.
        (
            "dolma_wget2024/sample-0000.warc.gz",
            22,
            &[(NonDocumentRecord, 24), (NonHtmlPayload, 2)],
        ),
        // 11 text/html responses, 9 of them redirects; 5 other responses and 3 resources
        // are not HTML.
        (
            "ia_web_commons_wget/IAH-urls-wget.warc.gz",
            2,
            &[
                (NonDocumentRecord, 17),
                (NonHtmlPayload, 8),
                (NonSuccessStatus, 9),
            ],
        ),
        // 139 text/html records: 14 non-2xx, 13 without main text (framesets, a meta
        // refresh, near-empty pages, and pages that are only navigation, a link list, a
        // price list or a calendar); 6 PDFs. None is gunzipped or de-chunked by mistake
        // (that would make BadHttpPayload or garbage text).
        (
            "commoncrawl_arc_2008/small-sample-1213893279526_0.arc.gz",
            112,
            &[
                (NonDocumentRecord, 1),
                (NonHtmlPayload, 6),
                (NonSuccessStatus, 14),
                (EmptyText, 13),
            ],
        ),
    ];
    for (file, expected_docs, expected_skips) in cases {
        let path = format!("{WS}/{file}");
        let (docs, skipped) = read_all(&path);
        assert_eq!(
            (docs.len(), skipped),
            (*expected_docs, skips(expected_skips)),
            "{file}"
        );
        let (docs, targets) = documents_and_targets(&path);
        for (position, doc) in docs {
            // wget writes `<...>` around the URI; the rest is kept as is.
            let target = targets
                .get(&position)
                .map(|t| t.trim_start_matches('<').trim_end_matches('>'));
            assert_eq!(doc.url.as_deref(), target, "{file} at {position}");
            assert!(
                !doc.text.starts_with('\u{1f}'),
                "{file} at {position}: gzip bytes as text"
            );
            assert!(!doc.text.trim().is_empty());
            let is_arc = file.ends_with(".arc.gz");
            assert_eq!(doc.id.is_none(), is_arc, "{file}");
            if let Some(id) = &doc.id {
                assert!(id.starts_with("urn:uuid:") && !id.ends_with('>'), "{id}");
            }
        }
    }
}

#[test]
fn arc_2008_chunked_and_gzip_claims_are_not_applied() {
    // This page claims `Transfer-Encoding:chunked` and `Content-Encoding:gzip` over a plain
    // body in UTF-8: its text must come out whole and correctly decoded.
    let (docs, _) = read_all(&format!(
        "{WS}/commoncrawl_arc_2008/small-sample-1213893279526_0.arc.gz"
    ));
    let cine = docs
        .iter()
        .find(|d| d.url.as_deref() == Some("http://cineciudad.com/pelicula/index/502"))
        .unwrap();
    assert!(cine.text.contains("EL HEROICO LEÓNIDAS"), "{}", cine.text);
    // Only one page has replacement characters: it declares UTF-8 and holds a
    // windows-1252 apostrophe (0x92), and a declared charset is followed.
    let replaced: Vec<_> = docs
        .iter()
        .filter(|d| d.text.contains('\u{fffd}'))
        .filter_map(|d| d.url.as_deref())
        .collect();
    assert_eq!(replaced, ["http://www.aecdaily.com/en/1585910"]);
}

#[test]
fn whirlwind_extraction_matches_the_wet_text() {
    let (warc_docs, _) = documents_and_targets(&format!("{WS}/whirlwind_cc2024/whirlwind.warc.gz"));
    let (wet_docs, _) =
        documents_and_targets(&format!("{WS}/whirlwind_cc2024/whirlwind.warc.wet.gz"));
    let (ours, wet) = (&warc_docs[0].1, &wet_docs[0].1);
    assert_eq!(
        ours.url.as_deref(),
        Some("https://an.wikipedia.org/wiki/Escopete")
    );
    assert_eq!(ours.url, wet.url);
    for sentence in [
        "Escopete ye un municipio d'a provincia de Guadalachara",
        "Ye situato a 860 metros d'altaria sobre o ran d'a mar",
        "Escopete ye citato en as Relaciones Topográficas de los pueblos de Espanya",
        "Ilesia parroquial de l'Asunción, d'estilo romanico",
    ] {
        assert!(ours.text.contains(sentence), "ours lacks {sentence:?}");
        assert!(wet.text.contains(sentence), "WET lacks {sentence:?}");
    }
    // The WET keeps the navigation; the extraction drops it.
    assert!(wet.text.contains("Menú principal"));
    assert!(!ours.text.contains("Menú principal"));
    // The WET record refers to the WARC response it was made from.
    let file = std::fs::File::open(fixture(&format!(
        "{WS}/whirlwind_cc2024/whirlwind.warc.wet.gz"
    )))
    .unwrap();
    let refers_to = WarcRecords::new(file, 64 << 20)
        .find_map(|item| match item {
            RecordItem::Record(r) if r.record_type() == "conversion" => {
                r.header("WARC-Refers-To").map(str::to_string)
            }
            _ => None,
        })
        .unwrap();
    assert_eq!(
        refers_to.trim_matches(['<', '>']),
        ours.id.as_deref().unwrap()
    );
}

#[test]
fn fixture_documents() {
    // A chunked body stored as is: de-chunked before extraction.
    let (docs, skipped) = read_all(&format!("{FX}/warcio/example-iana.org-chunked.warc"));
    assert_eq!(skipped, skips(&[(NonDocumentRecord, 2)]));
    assert_eq!(docs[0].url.as_deref(), Some("http://www.iana.org/"));
    assert!(
        docs[0]
            .text
            .starts_with("Domain Names\nManagement of the DNS Root Zone"),
        "{}",
        docs[0].text
    );
    // wget's `<...>` around the target URI is dropped; its log and argument resources
    // and the image are not HTML.
    let (docs, skipped) = read_all(&format!("{FX}/warcio/example-wget-bad-target-uri.warc.gz"));
    assert_eq!(
        skipped,
        skips(&[(NonDocumentRecord, 3), (NonHtmlPayload, 2)])
    );
    assert_eq!(docs[0].url.as_deref(), Some("http://example.com/"));
    // The page's `<h1>` heads its only paragraph and is kept with it.
    assert!(
        docs[0].text.starts_with(
            "Example Domain\nThis domain is established to be used for illustrative examples"
        ),
        "{}",
        docs[0].text
    );
    // ClueWeb09 Japanese pages in a legacy charset come out as Japanese text.
    let (docs, skipped) = read_all(&format!("{FX}/resiliparse/clueweb-quirk.warc.gz"));
    assert_eq!(
        (docs.len(), skipped),
        (29, skips(&[(NonDocumentRecord, 1)]))
    );
    // The first is a shop's item page: its details, not the item search box beside them.
    assert!(
        docs[0].text.starts_with("アイテム詳細情報\n"),
        "{}",
        docs[0].text
    );
    assert!(docs.iter().all(|d| !d.text.contains('\u{fffd}')));
    // The space in a resource's target URI is kept.
    let file = std::fs::File::open(fixture(&format!(
        "{FX}/warcio/example-space-in-target-uri.warc.gz"
    )))
    .unwrap();
    let uris: Vec<String> = WarcRecords::new(file, 64 << 20)
        .filter_map(|item| match item {
            RecordItem::Record(r) if r.record_type() == "resource" => {
                r.header("WARC-Target-URI").map(str::to_string)
            }
            _ => None,
        })
        .collect();
    assert_eq!(uris, ["file:///example with spaces.png"]);
}

#[test]
fn web_archives_are_recognised_by_name_or_first_line() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let warc = std::fs::read(fixture(&format!("{WS}/whirlwind_cc2024/whirlwind.warc.gz"))).unwrap();
    let arc = std::fs::read(fixture(&format!(
        "{WS}/commoncrawl_arc_2008/small-sample-1213893279526_0.arc.gz"
    )))
    .unwrap();
    assert!(super::is_web_archive(&write("a.WARC.gz", b"")));
    assert!(super::is_web_archive(&write("b.arc", b"")));
    assert!(super::is_web_archive(&write("c.warc.wet.zst", b"")));
    assert!(super::is_web_archive(&write("capture.bin", &warc)));
    assert!(super::is_web_archive(&write("old.bin", &arc)));
    assert!(super::is_web_archive(&write("plain", b"\r\nWARC/1.1\r\n")));
    assert!(!super::is_web_archive(&write(
        "page.html",
        b"<html>WARC/1.0</html>"
    )));
    assert!(!super::is_web_archive(&write("notes.marc", b"WARC/x\n")));
    assert!(!super::is_web_archive(&dir.path().join("missing.bin")));
}
