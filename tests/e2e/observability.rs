//! What a run shows while it runs and leaves behind: JSON events in stage order, the cost
//! of every stage adding up to the process, the report of a failed run, and a report whose
//! first screen holds the run's identity, headline and alerts.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::support::{curate, repo_root, write_job};

/// `jobs/finance.toml` with its paths made absolute, so it runs from any directory.
fn finance_job_text() -> String {
    let text = std::fs::read_to_string(repo_root().join("jobs/finance.toml")).unwrap();
    let fixtures = repo_root().join("fixtures");
    text.replace("../fixtures", fixtures.to_str().unwrap())
}

/// Runs `curate` with stderr into a file; returns (exit status, CPU seconds of the child
/// from `wait4`, stderr).
fn run_measured(args: &[&str], stderr_file: &Path) -> (std::process::ExitStatus, f64, String) {
    let child = curate()
        .args(args)
        .stdout(Stdio::null())
        .stderr(File::create(stderr_file).unwrap())
        .spawn()
        .expect("curate starts");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `pid` is our child, not yet reaped; `status` and `usage` are valid for writes.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, usage.as_mut_ptr()) };
    assert_eq!(reaped, pid, "wait4 failed");
    // SAFETY: wait4 succeeded, so it filled `usage`.
    let usage = unsafe { usage.assume_init() };
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    use std::os::unix::process::ExitStatusExt;
    let exit = std::process::ExitStatus::from_raw(status);
    let stderr = std::fs::read_to_string(stderr_file).unwrap();
    // The Child was reaped by wait4: forget it rather than wait on it again.
    std::mem::forget(child);
    (exit, cpu, stderr)
}

/// Runs `job` with JSON logs into `out`; returns (exit status, child CPU seconds, stderr).
fn run_json(job: &Path, out: &Path, extra: &[&str]) -> (std::process::ExitStatus, f64, String) {
    let mut args = vec![
        "--log-format",
        "json",
        "run",
        job.to_str().unwrap(),
        "--output-dir",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run_measured(&args, &out.join("stderr.log"))
}

fn json_lines(stderr: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}

#[test]
fn json_logs_carry_stage_events_in_order() {
    let out = tempfile::tempdir().unwrap();
    let job = write_job(out.path(), &finance_job_text());
    let (status, _, stderr) = run_json(&job, out.path(), &[]);
    assert!(status.success(), "{stderr}");
    let events = json_lines(&stderr);
    for event in &events {
        for field in ["timestamp", "level", "event", "target"] {
            assert!(event.get(field).is_some(), "{field} missing: {event}");
        }
    }
    let name = |e: &serde_json::Value| e["event"].as_str().unwrap_or_default().to_owned();
    let stage = |e: &serde_json::Value| e["stage"].as_str().map(str::to_owned);
    let finished: Vec<(usize, String)> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| name(e) == "stage_finished")
        .map(|(i, e)| (i, stage(e).expect("stage_finished names its stage")))
        .collect();
    let order: Vec<&str> = finished.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(
        order,
        [
            "ingest",
            "filter",
            "dedup",
            "tokenizer",
            "count",
            "mix",
            "shard"
        ]
    );
    for pair in finished.windows(2) {
        let (done_at, _) = &pair[0];
        let (_, next) = &pair[1];
        let first_of_next = events
            .iter()
            .position(|e| stage(e).as_deref() == Some(next.as_str()))
            .unwrap();
        assert!(
            *done_at < first_of_next,
            "{next} started before the stage before it finished"
        );
    }
    let summary = &events[finished[1].0];
    assert!(
        summary["message"].as_str().unwrap().contains("kept"),
        "{summary}"
    );
    assert!(summary["cpu_seconds"].as_f64().is_some(), "{summary}");
    assert!(
        events.iter().any(|e| name(e) == "partition_done"
            && e["rows"].as_u64().is_some()
            && e["bytes"].as_u64().is_some()),
        "no partition_done event with rows and bytes"
    );
    // Damaged records of the WARC fixture are warnings that carry their stage.
    for warning in events.iter().filter(|e| e["level"] == "warn") {
        assert!(
            stage(warning).is_some(),
            "warning without a stage: {warning}"
        );
    }
    assert!(
        !stderr.contains('\u{1b}'),
        "ANSI codes on a stderr that is not a terminal"
    );
    assert_eq!(name(events.last().unwrap()), "report_written");
}

/// The fixtures job with a language filter that keeps only German: nothing survives the
/// filter stage, and the tokenizer has nothing to train on.
fn failing_job(dir: &Path) -> PathBuf {
    let text = finance_job_text().replace("languages = [\"en\"]", "languages = [\"de\"]");
    write_job(dir, &text)
}

#[test]
fn a_failed_stage_leaves_its_evidence_and_a_report() {
    let out = tempfile::tempdir().unwrap();
    let job = failing_job(out.path());
    let output = curate()
        .args(["run", job.to_str().unwrap(), "--quiet", "--output-dir"])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the run should fail\n{stderr}");
    assert!(stderr.contains("no documents"), "{stderr}");
    // Summaries of the stages that finished came as they finished, before the error.
    let filter_line = stderr.find("    filter  ").expect("filter's summary line");
    assert!(filter_line < stderr.find("error:").unwrap(), "{stderr}");
    assert!(stderr.contains("language dropped all"), "{stderr}");

    let run_dir = out.path().join("finance");
    let filter = crate::support::stage_record(&run_dir.join("02-filter"));
    assert_eq!(filter["status"], "complete");
    assert!(filter["cost"]["cpu_seconds"].as_f64().is_some());
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["failure"]["stage"], "tokenizer");
    let kinds: Vec<&str> = report["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"stage_failed") && kinds.contains(&"stage_empty"),
        "{kinds:?}"
    );
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(html.contains("class=\"banner\""), "no failure banner");
    assert!(html.contains("Run failed at stage tokenizer"));
    assert!(
        html.contains("language dropped all"),
        "the filter that emptied the run"
    );
    assert!(html.find("class=\"banner\"") < html.find("id=\"funnel\""));
}

#[test]
fn stage_costs_add_up_to_the_process_cpu() {
    let out = tempfile::tempdir().unwrap();
    let ectsum = crate::support::corpora().join("ectsum_earnings_calls/ectsum_train.jsonl.gz");
    let text = format!(
        "{}\n[[source]]\nname = \"ectsum\"\ndomain = \"finance\"\nformat = \"jsonl\"\n\
         paths = [\"{}\"]\nmax_docs = 300\npriority = 4\n",
        finance_job_text(),
        ectsum.display()
    );
    let job = write_job(out.path(), &text);
    let (status, process_cpu, stderr) = run_json(&job, out.path(), &["--heartbeat-seconds", "1"]);
    assert!(status.success(), "{stderr}");
    let run_dir = out.path().join("finance");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("report.json")).unwrap()).unwrap();
    let costs = report["costs"].as_array().unwrap();
    let steps: Vec<&str> = costs.iter().map(|c| c["step"].as_str().unwrap()).collect();
    for step in [
        "setup",
        "ingest",
        "count",
        "count.funnel",
        "shard",
        "report",
    ] {
        assert!(steps.contains(&step), "{step} missing from {steps:?}");
    }
    for cost in costs {
        assert!(cost["peak_rss_bytes"].as_u64().unwrap() > 0, "{cost}");
    }
    let sum: f64 = costs
        .iter()
        .map(|c| c["cpu_seconds"].as_f64().unwrap())
        .sum();
    eprintln!("stages: {sum:.3} CPU s, process: {process_cpu:.3} CPU s ({steps:?})");
    // CPU seconds, not wall: the measure does not depend on the machine's load. What is
    // not in a line (writing the report files, exiting) is a few milliseconds.
    assert!(
        process_cpu > 1.0,
        "the job is too short to compare: {process_cpu}"
    );
    assert!(
        (sum - process_cpu).abs() <= 0.10 * process_cpu,
        "stages {sum:.3} s against the process {process_cpu:.3} s"
    );
    let wall: f64 = costs
        .iter()
        .map(|c| c["wall_seconds"].as_f64().unwrap())
        .sum();
    if wall > 3.0 {
        assert!(
            json_lines(&stderr)
                .iter()
                .any(|e| e["event"] == "heartbeat"),
            "no heartbeat in a {wall:.1} s run with --heartbeat-seconds 1"
        );
    }
}

/// Lays `report.html` out in headless Chromium at 1,280 x 900 with a probe script (in a
/// copy: the report itself has no script) and returns what it measured.
fn measure_first_screen(run_dir: &Path, scratch: &Path) -> serde_json::Value {
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    let probe = r#"<script>
const box = (sel) => { const e = document.querySelector(sel); if (!e) return null;
  const r = e.getBoundingClientRect(); return {top: r.top + scrollY, bottom: r.bottom + scrollY}; };
const wide = [...document.querySelectorAll('body *')].filter(e => e.closest('.wide') === null
  && e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).map(e => e.tagName);
const out = {run: box('#run'), headline: box('#headline'), alerts: box('#alerts'),
  alert_list: box('#alert-list'), funnel: box('#funnel'),
  scroll_width: document.documentElement.scrollWidth,
  client_width: document.documentElement.clientWidth, overflowing: wide};
const pre = document.createElement('pre'); pre.id = 'probe';
pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
</script></body>"#;
    let page = scratch.join("probe.html");
    std::fs::write(&page, html.replace("</body>", probe)).unwrap();
    let dom = crate::report::chromium_command(&scratch.join("chromium-profile"))
        .args([
            "--window-size=1280,900",
            "--virtual-time-budget=2000",
            "--dump-dom",
        ])
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium starts");
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let start = dom.find("<pre id=\"probe\">").expect("the probe ran") + 16;
    let end = start + dom[start..].find("</pre>").unwrap();
    let json = dom[start..end]
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

#[test]
fn the_first_screen_holds_identity_headline_and_alerts() {
    let (out, run_dir) = crate::support::run_finance_job(&[]);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(run_dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["identity"]["job"], "finance");
    assert_eq!(report["identity"]["seed"], 42);
    assert!(report["identity"]["git_revision"].as_str().is_some());
    assert!(report["headline"]["tokens_kept"].as_u64().unwrap() > 0);
    assert!(
        report["headline"]["chinchilla_gap_tokens"]
            .as_f64()
            .unwrap()
            < 0.0
    );
    let html = std::fs::read_to_string(run_dir.join("report.html")).unwrap();
    assert!(html.contains("<details><summary>job.resolved.toml"));

    let m = measure_first_screen(&run_dir, out.path());
    let top = |key: &str| {
        m[key]["top"]
            .as_f64()
            .unwrap_or_else(|| panic!("{key}: {m}"))
    };
    assert!(
        top("run") < top("headline") && top("headline") < top("alerts"),
        "{m}"
    );
    assert!(top("alerts") < top("funnel"), "{m}");
    let alerts_end = m["alert_list"]["bottom"]
        .as_f64()
        .unwrap_or(top("alerts") + 60.0);
    assert!(
        alerts_end <= 900.0,
        "the alerts end at {alerts_end} px: {m}"
    );
    assert!(
        m["scroll_width"].as_f64() <= m["client_width"].as_f64(),
        "the page is wider than the window: {m}"
    );
    assert_eq!(m["overflowing"], serde_json::json!([]), "{m}");
}
