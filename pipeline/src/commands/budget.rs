//! `curate budget`: the Chinchilla arithmetic for a model, without a run.
//!
//! Says how many tokens a model of `--params` parameters (or a `--compute` budget) should be
//! trained on, what that costs in FLOPs, and, given the tokens on hand per domain
//! (`--available finance=363e9,general=345e9`), how far they go.

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use curate_tokenizer::budget::{
    BudgetInput, BudgetReport, CHINCHILLA_TOKENS_PER_PARAM, Compute, DomainTokens, compute_budget,
};
use curate_tokenizer::format::{flops, percent, si, tokens};

#[derive(Debug, Args)]
pub struct BudgetArgs {
    /// Model parameters N (e.g. 50.6e9).
    #[arg(long)]
    pub params: Option<f64>,
    /// Training tokens per parameter (Chinchilla's compute-optimal ratio is about 20).
    #[arg(long, default_value_t = CHINCHILLA_TOKENS_PER_PARAM)]
    pub tokens_per_param: f64,
    /// Training compute in FLOPs (C = 6 N D). Alone it gives the compute-optimal N and D;
    /// with --params, D = C / (6 N).
    #[arg(long)]
    pub compute: Option<f64>,
    /// Tokens on hand per domain: `finance=363e9,general=345e9`.
    #[arg(long, value_delimiter = ',', value_parser = parse_domain_tokens)]
    pub available: Vec<DomainTokens>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = BudgetFormat::Text)]
    pub format: BudgetFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BudgetFormat {
    Text,
    Json,
}

/// Parses `domain=tokens` (tokens in any float notation, `363e9`).
fn parse_domain_tokens(s: &str) -> Result<DomainTokens, String> {
    let (domain, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}` is not DOMAIN=TOKENS"))?;
    let domain = domain.trim();
    if domain.is_empty() {
        return Err(format!("`{s}` names no domain"));
    }
    let tokens: f64 = value
        .trim()
        .parse()
        .map_err(|_| format!("`{value}` is not a number of tokens"))?;
    Ok(DomainTokens {
        domain: domain.to_owned(),
        tokens,
        target_share: None,
    })
}

pub fn run(args: BudgetArgs) -> Result<()> {
    let mut seen = std::collections::BTreeSet::new();
    if let Some(d) = args.available.iter().find(|d| !seen.insert(&d.domain)) {
        bail!("domain `{}` is given twice in --available", d.domain);
    }
    let input = BudgetInput {
        params: args.params,
        compute: args.compute.map(Compute::Flops),
        tokens_per_param: args.tokens_per_param,
        available: args.available,
        ..BudgetInput::default()
    };
    let report = compute_budget(&input).context("cannot compute the budget")?;
    match args.format {
        BudgetFormat::Json => println!("{}", serde_json::to_string_pretty(&report)?),
        BudgetFormat::Text => print!("{}", render_text(&report)),
    }
    Ok(())
}

/// The report as aligned lines for a terminal.
pub fn render_text(report: &BudgetReport) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: String| out.push_str(&format!("{label:<22} {value}\n"));
    line("parameters", si(report.params));
    line(
        "target tokens",
        format!(
            "{} ({:.1} per parameter)",
            tokens(report.target_tokens),
            report.target_tokens_per_param
        ),
    );
    line(
        "training compute",
        format!(
            "{} ({:.0} PF-days)",
            flops(report.compute_flops),
            report.compute_pf_days
        ),
    );
    if let Some(loss) = report.loss_at_target {
        line("projected loss", format!("{loss:.3} at the target"));
    }
    if !report.domains.is_empty() {
        line("available tokens", tokens(report.available_tokens));
        for d in &report.domains {
            line(
                &format!("  {}", d.domain),
                format!(
                    "{} ({} of available; {:.2} epochs for its share)",
                    tokens(d.available_tokens),
                    percent(d.share_of_available),
                    d.epochs_needed
                ),
            );
        }
        if report.shortfall_tokens > 0.0 {
            line(
                "shortfall",
                format!(
                    "{} short of the target: one pass gives {:.1} tokens per parameter, \
                     reaching the target takes {:.2} epochs",
                    tokens(report.shortfall_tokens),
                    report.tokens_per_param_achieved,
                    report.epochs_needed
                ),
            );
        } else {
            line(
                "surplus",
                format!("{} beyond the target", tokens(report.surplus_tokens)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_tokens_parse() {
        let d = parse_domain_tokens("finance=363e9").unwrap();
        assert_eq!(d.domain, "finance");
        assert_eq!(d.tokens, 363e9);
        assert!(parse_domain_tokens("finance").is_err());
        assert!(parse_domain_tokens("=3").is_err());
        assert!(parse_domain_tokens("x=lots").is_err());
    }
}
