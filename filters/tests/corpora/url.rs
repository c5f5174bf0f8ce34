//! The URL filter with the real UT1 blocklists and datatrove word lists.

use std::collections::BTreeSet;

use curate_filters::url::{self, UrlFilter, list_entries};

use crate::load::{read_text, warc_target_uris, web_text_urls};

/// The RefinedWeb-style UT1 categories (the big `adult/domains` list is replaced by its
/// top-1M subset, as the corpus notes explain).
const BLOCK_CATEGORIES: [&str; 8] = [
    "dating/domains",
    "gambling/domains.gz",
    "filehosting/domains",
    "ddos/domains",
    "agressif/domains",
    "chat/domains",
    "mixed_adult/domains",
    "arjel/domains",
];

fn ut1(rel: &str) -> String {
    read_text(&format!("ut1_blacklists/{rel}"))
}

fn datatrove(name: &str) -> String {
    read_text(&format!("badwords_lists/datatrove/{name}.txt"))
}

/// Domain and URL lists only.
fn lists_filter() -> UrlFilter {
    let mut domains = String::new();
    for cat in BLOCK_CATEGORIES {
        domains.push_str(&ut1(cat));
        domains.push('\n');
    }
    domains.push_str(&ut1(
        "adult_top1m_chadmayfield/pi_blocklist_porn_top1m.list",
    ));
    let urls = ut1("adult/urls") + "\n" + &ut1("phishing/urls.gz");
    UrlFilter::builder()
        .block_domains(list_entries(&domains))
        .block_urls(list_entries(&urls))
        .build()
        .unwrap()
}

/// Lists plus datatrove's three word lists.
fn full_filter() -> UrlFilter {
    let mut domains = String::new();
    for cat in BLOCK_CATEGORIES {
        domains.push_str(&ut1(cat));
        domains.push('\n');
    }
    domains.push_str(&ut1(
        "adult_top1m_chadmayfield/pi_blocklist_porn_top1m.list",
    ));
    let urls = ut1("adult/urls") + "\n" + &ut1("phishing/urls.gz");
    UrlFilter::builder()
        .block_domains(list_entries(&domains))
        .block_urls(list_entries(&urls))
        .banned_words(list_entries(&datatrove("banned_words")))
        .banned_subwords(list_entries(&datatrove("banned_subwords")))
        .soft_banned_words(list_entries(&datatrove("soft_banned_words")))
        .build()
        .unwrap()
}

#[test]
fn listed_domains_and_their_subdomains_are_blocked() {
    let f = lists_filter();
    // 52,646 distinct domains across the eight categories and the adult top-1M list.
    assert_eq!(f.blocked_domain_count(), 52_646);
    for url in [
        "https://www.pornhub.com/view_video.php?viewkey=1",
        "http://www.xvideos.com/",
        "https://boards.4chan.org/b/",
        "okcupid.com/profile",
        "HTTPS://WWW.OKCUPID.COM:443/",
        "http://007agent-russian-women.net./",
    ] {
        assert_eq!(
            f.check_url(url).drop_reason,
            Some(url::REASON_DOMAIN),
            "{url}"
        );
    }
    // Every dating entry is blocked, and so is a subdomain of it; `x<entry>` is not.
    let dating = ut1("dating/domains");
    let mut entries = 0;
    for d in list_entries(&dating) {
        entries += 1;
        assert!(!f.check_url(&format!("http://{d}/")).is_keep(), "{d}");
        assert!(!f.check_url(&format!("http://sub.{d}/x")).is_keep(), "{d}");
    }
    assert_eq!(entries, 6_504);
    assert!(f.check_url("http://xokcupid.com/").is_keep());
    assert!(f.check_url("http://okcupid.com.example/").is_keep());
}

#[test]
fn listed_url_prefixes_are_blocked() {
    let f = lists_filter();
    assert_eq!(
        f.check_url("http://020sextoy.com/sk/anything").drop_reason,
        Some(url::REASON_URL)
    );
    assert_eq!(
        f.check_url("https://1512h.itch.io/life-in-teyvat")
            .drop_reason,
        Some(url::REASON_URL)
    );
    // Same hosts, other paths: not listed.
    assert!(f.check_url("http://020sextoy.com/").is_keep());
    assert!(f.check_url("https://itch.io/games").is_keep());
}

#[test]
fn clean_and_whitelisted_domains_are_kept() {
    let f = full_filter();
    for url in [
        "https://www.sec.gov/cgi-bin/browse-edgar?action=getcompany&CIK=0000320193",
        "https://www.reuters.com/markets/us/",
        "https://en.wikipedia.org/wiki/Scunthorpe",
        "https://www.federalreserve.gov/monetarypolicy/fomccalendars.htm",
        "https://www.theguardian.com/business/2024/jan/01/markets",
    ] {
        assert!(f.check_url(url).is_keep(), "{url}");
    }
    // No domain of UT1's financial, bank and whitelist categories is blocked (checked
    // against every list, words included).
    for (cat, count) in [
        ("financial/domains", 472),
        ("bank/domains", 6_646),
        ("liste_blanche/domains", 268),
    ] {
        let contents = ut1(cat);
        let domains: Vec<&str> = list_entries(&contents).collect();
        assert_eq!(domains.len(), count, "{cat}");
        let blocked: Vec<&&str> = domains
            .iter()
            .filter(|d| !f.check_url(&format!("https://{d}/")).is_keep())
            .collect();
        assert!(blocked.is_empty(), "{cat}: {blocked:?}");
    }
    // Press domains that also sit in a blocked category are blocked: the categories overlap.
    let press = ut1("press/domains");
    let blocked: Vec<&str> = list_entries(&press)
        .filter(|d| !f.check_url(&format!("https://{d}/")).is_keep())
        .collect();
    assert_eq!(
        blocked,
        [
            "chicagoreader.com",
            "jungefreiheit.de",
            "tarsusgazetesi.com",
            "tetovaexpres.com"
        ]
    );
}

/// ARC header URLs (`URL IP date mime length` lines) of the 2008 Common Crawl sample.
fn arc_urls() -> Vec<String> {
    crate::load::read_text(
        "web_warc_samples/commoncrawl_arc_2008/small-sample-1213893279526_0.arc.gz",
    )
    .lines()
    .filter_map(|l| {
        let mut fields = l.split(' ');
        let url = fields.next()?;
        let _ip = fields.next()?;
        let date = fields.next()?;
        let is_record = (url.starts_with("http://") || url.starts_with("https://"))
            && date.len() == 14
            && date.bytes().all(|b| b.is_ascii_digit());
        is_record.then(|| url.to_owned())
    })
    .collect()
}

#[test]
fn web_sample_urls_blocked_exactly() {
    let f = full_filter();
    let mut urls = BTreeSet::new();
    for file in [
        "web_warc_samples/dolma_wget2024/sample-0000.warc.gz",
        "web_warc_samples/ia_web_commons_wget/IAH-urls-wget.warc.gz",
        "web_warc_samples/jwarc_cc2019/cc.warc.gz",
        "web_warc_samples/resiliparse_cc2020/warcfile.warc.gz",
        "web_warc_samples/whirlwind_cc2024/whirlwind.warc.gz",
    ] {
        urls.extend(warc_target_uris(file));
    }
    let arc = arc_urls();
    assert_eq!(arc.len(), 145);
    urls.extend(arc);
    assert_eq!(urls.len(), 203);
    let blocked: Vec<(&str, &str)> = urls
        .iter()
        .filter_map(|u| f.check_url(u).drop_reason.map(|r| (r, u.as_str())))
        .collect();
    assert_eq!(
        blocked,
        [
            // UT1 `agressif` lists libreopinion.com.
            (
                url::REASON_DOMAIN,
                "http://redkalki.libreopinion.com/noticias/2002/11/biondini_editorial.htm"
            ),
            // `orgy` is a datatrove banned word.
            (
                url::REASON_BANNED_WORD,
                "http://robins-agency.com/teens/teen-orgy.html"
            ),
        ]
    );

    // The cleaned web JSONL documents (C4, CCNet) carry 40 URLs; none is blocked.
    let jsonl = web_text_urls();
    assert_eq!(jsonl.len(), 40);
    assert!(jsonl.iter().all(|u| f.check_url(u).is_keep()));
}
