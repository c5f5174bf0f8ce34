//! The job parser under mutation: thousands of damaged variants of the shipped fixtures job
//! (bytes flipped, lines deleted, duplicated or swapped, values replaced by extreme ones,
//! files cut short, TOML fragments inserted), each loaded as `curate check` would. None may
//! panic; every error names the job file, and an error that names a line names one of the
//! file's lines. A seeded generator: the same mutations every run, so a failure reproduces.

use std::path::Path;

use super::{JobError, load_job};

/// Mutations per run: a few seconds in a debug build (`CURATE_JOB_MUTATIONS=N` for more).
const MUTATIONS: usize = 3000;

/// A small xorshift generator: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const VALUES: &[&str] = &[
    "0",
    "-1",
    "1e308",
    "-0.0",
    "nan",
    "inf",
    "18446744073709551616",
    "9223372036854775807",
    "0.0000001",
    "\"\"",
    "\"x\"",
    "[]",
    "{}",
    "[1, \"a\"]",
    "true",
    "\"../../../../etc/passwd\"",
    "\"\u{0}\"",
    "\"**/*\"",
    "\"[\"",
    "1979-05-27T07:32:00Z",
    "\"\u{202e}\"",
];

const FRAGMENTS: &[&str] = &[
    "[[source]]",
    "[job]",
    "[filter.profile.x]",
    "preset = \"strict\"",
    "preset = \"nope\"",
    "[filter.classifier.q]",
    "model = \"builtin:nope\"",
    "[mix]",
    "shares = { a = 2.0 }",
    "[shard]",
    "seq_len = 0",
    "[dedup.minhash]",
    "bands = 0",
    "rows = 4294967296",
    "filters = \"web\"",
    "format = \"sgml\"",
    "tags = {}",
    "split_before = \"(\"",
    "[tokenizer]",
    "vocab_size = 1",
    "= \"",
    "]]",
    "key = ",
    "\u{feff}",
    "a.b.c = 1",
    "[filter.pii]",
    "kinds = [\"nope\"]",
    "[filter.decontaminate]",
    "ngram = 0",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let i = rng.below(lines.len());
        match rng.below(7) {
            0 => {
                lines.remove(i);
            }
            1 => {
                let line = lines[i].clone();
                lines.insert(rng.below(lines.len() + 1), line);
            }
            2 => {
                let j = rng.below(lines.len());
                lines.swap(i, j);
            }
            3 => {
                if let Some((key, _)) = lines[i].split_once('=') {
                    lines[i] = format!("{key}= {}", rng.pick(VALUES));
                }
            }
            4 => {
                let fragment = rng.pick(FRAGMENTS).to_owned();
                lines.insert(i, fragment);
            }
            5 => {
                let mut bytes = lines[i].clone().into_bytes();
                if !bytes.is_empty() {
                    let at = rng.below(bytes.len());
                    bytes[at] = b" =[]{}\",.#\\'0aZ"[rng.below(15)];
                }
                lines[i] = String::from_utf8_lossy(&bytes).into_owned();
            }
            _ => {
                let keep = rng.below(lines.len());
                lines.truncate(keep);
            }
        }
    }
    lines.join("\n")
}

#[test]
fn damaged_jobs_never_panic_and_every_error_names_the_file_and_a_real_line() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned();
    let fixtures = repo.join("fixtures");
    let original = std::fs::read_to_string(repo.join("jobs/finance.toml"))
        .unwrap()
        .replace("\"../fixtures", &format!("\"{}", fixtures.display()));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("job.toml");
    std::fs::write(&path, &original).unwrap();
    load_job(&path).expect("the unmutated job loads");

    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut loaded, mut refused) = (0, 0);
    let mutations = std::env::var("CURATE_JOB_MUTATIONS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(MUTATIONS);
    for round in 0..mutations {
        let text = mutate(&mut rng, &original);
        std::fs::write(&path, &text).unwrap();
        let result = std::panic::catch_unwind(|| load_job(&path));
        let Ok(result) = result else {
            std::fs::write(dir.path().join("panicked.toml"), &text).unwrap();
            panic!("round {round}: the job parser panicked on:\n{text}");
        };
        match result {
            Ok(_) => loaded += 1,
            Err(error) => {
                refused += 1;
                let message = error.to_string();
                assert!(
                    message.contains(&path.display().to_string()),
                    "round {round}: the error does not name the file: {message}\n{text}"
                );
                if let JobError::Invalid { line, .. } = &error {
                    let lines = text.lines().count().max(1);
                    assert!(
                        (1..=lines).contains(line),
                        "round {round}: line {line} of a {lines}-line file: {message}\n{text}"
                    );
                }
            }
        }
    }
    // Both outcomes are exercised: harmless mutations load, damaging ones are refused.
    eprintln!("{mutations} mutated jobs: {loaded} loaded, {refused} refused");
    assert!(
        loaded > mutations / 30 && refused > mutations / 3,
        "{loaded} loaded, {refused} refused"
    );
}
