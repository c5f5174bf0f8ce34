//! `curate budget`: the Chinchilla arithmetic on published figures.

use crate::support::*;

fn budget_json(args: &[&str]) -> serde_json::Value {
    let mut all = vec!["budget", "--format", "json"];
    all.extend_from_slice(args);
    let output = run_ok(&all);
    serde_json::from_slice(&output.stdout).expect("budget --format json prints JSON")
}

fn close(a: &serde_json::Value, b: f64) -> bool {
    let a = a.as_f64().expect("a number");
    (a - b).abs() <= 1e-9 * b.abs()
}

#[test]
fn bloomberggpt_target_shares_and_shortfall() {
    // BloombergGPT: 50.6B parameters, 363B finance and 345B general tokens on hand.
    let report = budget_json(&[
        "--params",
        "50.6e9",
        "--available",
        "finance=363e9,general=345e9",
    ]);
    assert!(close(&report["target_tokens"], 1.012e12), "{report}");
    assert!(close(&report["available_tokens"], 708e9), "{report}");
    assert!(close(&report["shortfall_tokens"], 304e9), "{report}");
    let domains = report["domains"].as_array().unwrap();
    assert_eq!(domains[0]["domain"], "finance");
    assert!(close(&domains[0]["share_of_available"], 363.0 / 708.0));
    assert!(close(&domains[1]["share_of_available"], 345.0 / 708.0));

    let text = run_ok(&[
        "budget",
        "--params",
        "50.6e9",
        "--tokens-per-param",
        "20",
        "--available",
        "finance=363e9,general=345e9",
    ]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("1.01T tokens (20.0 per parameter)"), "{text}");
    assert!(text.contains("51.27% of available"), "{text}");
    assert!(text.contains("48.73% of available"), "{text}");
    assert!(text.contains("shortfall"), "{text}");
    assert!(text.contains("304B tokens short of the target"), "{text}");
    // 363B + 345B over 50.6B parameters: 14.0 tokens per parameter in one pass.
    assert!(text.contains("14.0 tokens per parameter"), "{text}");
}

#[test]
fn chinchilla_from_params_and_from_compute() {
    let report = budget_json(&["--params", "70e9"]);
    assert!(close(&report["target_tokens"], 1.4e12), "{report}");
    assert!(close(&report["compute_flops"], 5.88e23), "{report}");
    let text = String::from_utf8(run_ok(&["budget", "--params", "70e9"]).stdout).unwrap();
    assert!(text.contains("5.88e23 FLOPs"), "{text}");
    assert!(text.contains("1.40T tokens"), "{text}");

    // The compute alone gives the compute-optimal model: N = sqrt(C / 120).
    let report = budget_json(&["--compute", "5.88e23"]);
    assert!(close(&report["params"], 70e9), "{report}");
    assert!(close(&report["target_tokens"], 1.4e12), "{report}");
    // With both, D = C / (6 N).
    let report = budget_json(&["--params", "50.6e9", "--compute", "2.36e23"]);
    assert!(
        close(&report["target_tokens"], 2.36e23 / (6.0 * 50.6e9)),
        "{report}"
    );
}

#[test]
fn budget_errors_are_plain() {
    let stderr = run_err(&["budget"]);
    assert!(stderr.contains("params"), "{stderr}");
    let stderr = run_err(&["budget", "--params", "1e9", "--available", "finance"]);
    assert!(stderr.contains("is not DOMAIN=TOKENS"), "{stderr}");
    let stderr = run_err(&["budget", "--params", "1e9", "--available", "a=1,a=2"]);
    assert!(stderr.contains("given twice"), "{stderr}");
}
