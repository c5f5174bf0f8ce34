//! The mix planner: per-slice sampling rates that give each domain its target share of the
//! output tokens, within a cap on how often any slice may be repeated.
//!
//! A slice is the documents of one source in one domain. A source whose documents all keep
//! the domain it declares is one slice; when a classifier routes some of its documents to
//! another domain (web pages that read as finance), those documents form a slice of their
//! own, which counts toward, and competes for, the share of the domain they were routed
//! to. Each slice is one [`SourceTokens`] input, planned and capped on its own.
//!
//! All quantities are whole tokens and the arithmetic is integer where it matters: domain
//! totals are the output total apportioned by the shares with the largest-remainder method
//! (so they sum to the total exactly and each is within one token of `share × total`), and a
//! domain's tokens are spread over its slices the same way, by weight, with any slice that
//! would exceed `max_epochs` held at its cap and the rest redistributed ("water filling").
//! A slice's rate is `planned / available`: `2.37` means two full passes plus a 37 % sample,
//! realised per document by [`crate::sample`].
//!
//! When a domain cannot supply its share even at the epoch cap, the plan says so
//! ([`Shortfall`]) and follows [`ShortfallPolicy`]: by default it keeps the shares and
//! shrinks the total to the largest one the short domain can support; the alternative keeps
//! the total and gives the other domains the missing tokens (distorting the shares).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::apportion::{apportion, water_fill};
use crate::error::{Error, Result};
use crate::format::{percent, thousands};

/// Tolerance on the sum of the target shares.
pub const SHARE_SUM_TOLERANCE: f64 = 1e-9;

/// Default cap on passes over any one source (Muennighoff et al. 2023, "Scaling
/// Data-Constrained Language Models": up to about 4 epochs cost little compared with fresh
/// data).
pub const DEFAULT_MAX_EPOCHS: f64 = 4.0;

/// Tokens available from one slice: a source's documents in one domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceTokens {
    /// Source name; a source may appear once per domain (one slice each).
    pub name: String,
    /// The slice's domain; must have an entry in [`MixInput::shares`].
    pub domain: String,
    /// Tokens in one pass over the slice.
    pub tokens: u64,
    /// Relative weight within the domain; `None` = proportional to `tokens`.
    #[serde(default)]
    pub weight: Option<f64>,
}

/// How many tokens the output should hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "RawTotal", into = "RawTotal")]
pub enum MixTotal {
    /// This many tokens.
    Tokens(u64),
    /// The largest total the shares allow without any source exceeding the epoch cap
    /// (written `"everything"`).
    #[default]
    Everything,
}

/// The serialised form of [`MixTotal`]: a number or the word `everything`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
enum RawTotal {
    Tokens(u64),
    Word(String),
}

impl TryFrom<RawTotal> for MixTotal {
    type Error = String;
    fn try_from(raw: RawTotal) -> std::result::Result<Self, String> {
        match raw {
            RawTotal::Tokens(n) => Ok(MixTotal::Tokens(n)),
            RawTotal::Word(w) if w == "everything" => Ok(MixTotal::Everything),
            RawTotal::Word(w) => Err(format!(
                "total must be a token count or \"everything\", got {w:?}"
            )),
        }
    }
}

impl From<MixTotal> for RawTotal {
    fn from(t: MixTotal) -> Self {
        match t {
            MixTotal::Tokens(n) => RawTotal::Tokens(n),
            MixTotal::Everything => RawTotal::Word("everything".into()),
        }
    }
}

/// What to give up when a domain cannot supply its share of the requested total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShortfallPolicy {
    /// Keep the target shares exactly and shrink the total (default: the mix is the
    /// experiment's independent variable, the size can be stated).
    #[default]
    KeepShares,
    /// Keep the total: short domains give all they can (at the cap), the others fill the
    /// gap in proportion to their shares, within their own caps.
    KeepTotal,
}

/// Planner input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixInput {
    /// Slices (a source in a domain) with their token counts.
    pub sources: Vec<SourceTokens>,
    /// Target share of the output tokens per domain; must sum to 1.
    pub shares: BTreeMap<String, f64>,
    /// Cap on passes over any slice.
    #[serde(default = "default_max_epochs")]
    pub max_epochs: f64,
    /// Output size.
    #[serde(default)]
    pub total: MixTotal,
    /// Behaviour when a domain is short.
    #[serde(default)]
    pub on_shortfall: ShortfallPolicy,
}

fn default_max_epochs() -> f64 {
    DEFAULT_MAX_EPOCHS
}

/// The plan for one slice (a source in a domain).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourcePlan {
    /// Source name.
    pub name: String,
    /// The slice's domain.
    pub domain: String,
    /// Tokens in one pass.
    pub available_tokens: u64,
    /// Weight used within the domain.
    pub weight: f64,
    /// Tokens it contributes to the output.
    pub planned_tokens: u64,
    /// `planned / available`: whole passes plus a fraction.
    pub rate: f64,
    /// Whole passes (`floor(rate)`).
    pub full_repeats: u64,
    /// Tokens to take by sampling on top of the full passes (`planned - repeats × available`).
    pub sampled_tokens: u64,
    /// `sampled_tokens / available_tokens`, the fraction for [`crate::sample::include`].
    pub sample_fraction: f64,
}

/// The plan for one domain.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainPlan {
    /// Domain name.
    pub domain: String,
    /// Requested share.
    pub target_share: f64,
    /// Tokens in one pass over its sources.
    pub available_tokens: u64,
    /// Most tokens it can give at the epoch cap.
    pub capacity_tokens: u64,
    /// Tokens it contributes.
    pub planned_tokens: u64,
    /// `planned / total`.
    pub realised_share: f64,
    /// `planned / available`.
    pub epochs: f64,
}

/// A domain that cannot supply its share of the requested total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainShortfall {
    /// Domain name.
    pub domain: String,
    /// Tokens its share of the requested total needs.
    pub needed_tokens: u64,
    /// Tokens in one pass over it.
    pub available_tokens: u64,
    /// Tokens at the epoch cap.
    pub capacity_tokens: u64,
    /// `needed - capacity`.
    pub missing_tokens: u64,
    /// Passes that would be needed (`needed / available`).
    pub epochs_needed: f64,
}

/// Why and by how much a requested total could not be met with the target shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shortfall {
    /// The total asked for.
    pub requested_total: u64,
    /// The total planned.
    pub achieved_total: u64,
    /// What was given up.
    pub policy: ShortfallPolicy,
    /// The short domains.
    pub domains: Vec<DomainShortfall>,
    /// One readable paragraph for logs and reports.
    pub message: String,
}

/// The planner's output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MixPlan {
    /// Tokens in the output.
    pub total_tokens: u64,
    /// The total requested (`None` for "everything").
    pub requested_total: Option<u64>,
    /// The epoch cap used.
    pub max_epochs: f64,
    /// Per slice, in input order.
    pub sources: Vec<SourcePlan>,
    /// Per domain, in name order.
    pub domains: Vec<DomainPlan>,
    /// Present when the requested total could not be met with the target shares.
    pub shortfall: Option<Shortfall>,
}

/// Checks ranges, share sum, unique slices and known domains.
fn validate(input: &MixInput) -> Result<()> {
    let bad = |m: String| Err(Error::InvalidMix(m));
    if input.sources.is_empty() {
        return bad("no sources".into());
    }
    if !(input.max_epochs > 0.0 && input.max_epochs.is_finite()) {
        return bad(format!(
            "max_epochs must be positive, got {}",
            input.max_epochs
        ));
    }
    let mut sum = 0.0;
    for (d, &s) in &input.shares {
        if !(0.0..=1.0).contains(&s) {
            return bad(format!("share of {d:?} must be within [0, 1], got {s}"));
        }
        sum += s;
    }
    if (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
        return bad(format!("shares must sum to 1, got {sum}"));
    }
    let mut names = BTreeSet::new();
    for s in &input.sources {
        if !names.insert((s.name.as_str(), s.domain.as_str())) {
            return bad(format!(
                "source {:?} listed twice in domain {:?}",
                s.name, s.domain
            ));
        }
        if !input.shares.contains_key(&s.domain) {
            return bad(format!(
                "source {:?} has domain {:?}, which has no target share",
                s.name, s.domain
            ));
        }
        if let Some(w) = s.weight
            && !(w > 0.0 && w.is_finite())
        {
            return bad(format!(
                "weight of source {:?} must be positive, got {w}",
                s.name
            ));
        }
    }
    Ok(())
}

/// Plans the mix for `input`. Pure arithmetic: the same input gives the same plan.
pub fn plan_mix(input: &MixInput) -> Result<MixPlan> {
    validate(input)?;
    let domains: Vec<(&String, f64)> = input.shares.iter().map(|(d, s)| (d, *s)).collect();
    let shares: Vec<f64> = domains.iter().map(|d| d.1).collect();
    // Source caps (whole tokens at max_epochs) and domain totals.
    let source_caps: Vec<u64> = input
        .sources
        .iter()
        .map(|s| (s.tokens as f64 * input.max_epochs).floor() as u64)
        .collect();
    let domain_index = |name: &str| domains.iter().position(|d| d.0 == name);
    let mut available = vec![0u64; domains.len()];
    let mut capacity = vec![0u64; domains.len()];
    for (s, cap) in input.sources.iter().zip(&source_caps) {
        if let Some(d) = domain_index(&s.domain) {
            available[d] += s.tokens;
            capacity[d] += cap;
        }
    }
    let fits = |alloc: &[u64]| alloc.iter().zip(&capacity).all(|(a, c)| a <= c);
    let largest_total = || -> u64 {
        let bound = domains
            .iter()
            .zip(&capacity)
            .filter(|((_, s), _)| *s > 0.0)
            .map(|((_, s), &c)| (c as f64 / s).floor())
            .fold(f64::INFINITY, f64::min);
        let mut t = if bound.is_finite() { bound as u64 } else { 0 };
        while t > 0 && !fits(&apportion(t, &shares)) {
            t -= 1;
        }
        t
    };

    let (requested, mut domain_alloc, shortfall_domains) = match input.total {
        MixTotal::Everything => {
            let t = largest_total();
            (None, apportion(t, &shares), Vec::new())
        }
        MixTotal::Tokens(t) => {
            let want = apportion(t, &shares);
            let short: Vec<DomainShortfall> = (0..domains.len())
                .filter(|&d| want[d] > capacity[d])
                .map(|d| DomainShortfall {
                    domain: domains[d].0.clone(),
                    needed_tokens: want[d],
                    available_tokens: available[d],
                    capacity_tokens: capacity[d],
                    missing_tokens: want[d] - capacity[d],
                    epochs_needed: if available[d] > 0 {
                        want[d] as f64 / available[d] as f64
                    } else {
                        f64::INFINITY
                    },
                })
                .collect();
            let alloc = if short.is_empty() {
                want
            } else {
                match input.on_shortfall {
                    ShortfallPolicy::KeepShares => apportion(largest_total(), &shares),
                    ShortfallPolicy::KeepTotal => water_fill(t, &capacity, &shares),
                }
            };
            (Some(t), alloc, short)
        }
    };
    domain_alloc
        .iter_mut()
        .zip(&capacity)
        .for_each(|(a, c)| *a = (*a).min(*c));
    let total: u64 = domain_alloc.iter().sum();

    // Spread each domain's tokens over its sources.
    let weights: Vec<f64> = input
        .sources
        .iter()
        .map(|s| s.weight.unwrap_or(s.tokens as f64))
        .collect();
    let mut planned = vec![0u64; input.sources.len()];
    for (d, &alloc) in domain_alloc.iter().enumerate() {
        let members: Vec<usize> = (0..input.sources.len())
            .filter(|&i| input.sources[i].domain == *domains[d].0)
            .collect();
        let caps: Vec<u64> = members.iter().map(|&i| source_caps[i]).collect();
        let w: Vec<f64> = members.iter().map(|&i| weights[i]).collect();
        for (&i, p) in members.iter().zip(water_fill(alloc, &caps, &w)) {
            planned[i] = p;
        }
    }

    let sources = input
        .sources
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let p = planned[i];
            let (rate, repeats) = if s.tokens > 0 {
                (p as f64 / s.tokens as f64, p / s.tokens)
            } else {
                (0.0, 0)
            };
            let sampled = p - repeats * s.tokens;
            SourcePlan {
                name: s.name.clone(),
                domain: s.domain.clone(),
                available_tokens: s.tokens,
                weight: weights[i],
                planned_tokens: p,
                rate,
                full_repeats: repeats,
                sampled_tokens: sampled,
                sample_fraction: if s.tokens > 0 {
                    sampled as f64 / s.tokens as f64
                } else {
                    0.0
                },
            }
        })
        .collect();
    let domain_plans = (0..domains.len())
        .map(|d| {
            let p: u64 = (0..input.sources.len())
                .filter(|&i| input.sources[i].domain == *domains[d].0)
                .map(|i| planned[i])
                .sum();
            DomainPlan {
                domain: domains[d].0.clone(),
                target_share: domains[d].1,
                available_tokens: available[d],
                capacity_tokens: capacity[d],
                planned_tokens: p,
                realised_share: if total > 0 {
                    p as f64 / total as f64
                } else {
                    0.0
                },
                epochs: if available[d] > 0 {
                    p as f64 / available[d] as f64
                } else {
                    0.0
                },
            }
        })
        .collect();
    let shortfall = (!shortfall_domains.is_empty()).then(|| {
        let requested_total = requested.unwrap_or(total);
        let message = shortfall_message(
            &shortfall_domains,
            &input.shares,
            requested_total,
            total,
            input.max_epochs,
            input.on_shortfall,
        );
        Shortfall {
            requested_total,
            achieved_total: total,
            policy: input.on_shortfall,
            domains: shortfall_domains,
            message,
        }
    });
    Ok(MixPlan {
        total_tokens: total,
        requested_total: requested,
        max_epochs: input.max_epochs,
        sources,
        domains: domain_plans,
        shortfall,
    })
}

fn shortfall_message(
    short: &[DomainShortfall],
    shares: &BTreeMap<String, f64>,
    requested: u64,
    achieved: u64,
    max_epochs: f64,
    policy: ShortfallPolicy,
) -> String {
    let mut parts: Vec<String> = short
        .iter()
        .map(|d| {
            format!(
                "domain {:?} needs {} tokens ({} of {}) but holds {} ({} at {} epochs): \
                 {} tokens short; it would need {:.2} epochs.",
                d.domain,
                thousands(d.needed_tokens),
                percent(shares.get(&d.domain).copied().unwrap_or(0.0)),
                thousands(requested),
                thousands(d.available_tokens),
                thousands(d.capacity_tokens),
                max_epochs,
                thousands(d.missing_tokens),
                d.epochs_needed,
            )
        })
        .collect();
    parts.push(match policy {
        ShortfallPolicy::KeepShares => format!(
            "Kept the target shares: the total shrinks from {} to {} tokens.",
            thousands(requested),
            thousands(achieved)
        ),
        ShortfallPolicy::KeepTotal => format!(
            "Kept the total ({} of {} tokens planned): the other domains fill the gap, so the \
             realised shares differ from the targets.",
            thousands(achieved),
            thousands(requested)
        ),
    });
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(name: &str, domain: &str, tokens: u64) -> SourceTokens {
        SourceTokens {
            name: name.into(),
            domain: domain.into(),
            tokens,
            weight: None,
        }
    }

    fn shares(f: f64) -> BTreeMap<String, f64> {
        BTreeMap::from([("finance".to_string(), f), ("general".to_string(), 1.0 - f)])
    }

    fn input(sources: Vec<SourceTokens>, total: MixTotal) -> MixInput {
        MixInput {
            sources,
            shares: shares(0.51),
            max_epochs: DEFAULT_MAX_EPOCHS,
            total,
            on_shortfall: ShortfallPolicy::default(),
        }
    }

    #[test]
    fn hits_51_49_exactly() {
        let plan = plan_mix(&input(
            vec![
                src("sec", "finance", 60_000),
                src("calls", "finance", 40_000),
                src("web", "general", 1_000_000),
            ],
            MixTotal::Tokens(200_000),
        ))
        .unwrap();
        assert_eq!(plan.total_tokens, 200_000);
        assert!(plan.shortfall.is_none());
        let p: Vec<u64> = plan.sources.iter().map(|s| s.planned_tokens).collect();
        assert_eq!(p, vec![61_200, 40_800, 98_000]);
        assert_eq!(plan.domains[0].planned_tokens, 102_000);
        assert_eq!(plan.domains[0].realised_share, 0.51);
        assert_eq!(plan.domains[1].realised_share, 0.49);
        assert_eq!(plan.sources[0].rate, 1.02);
        assert_eq!(plan.sources[0].full_repeats, 1);
        assert_eq!(plan.sources[0].sampled_tokens, 1_200);
        assert_eq!(plan.sources[0].sample_fraction, 0.02);
        assert_eq!(plan.sources[2].rate, 0.098);
        assert_eq!(plan.sources[2].full_repeats, 0);
        assert_eq!(plan.domains[0].epochs, 1.02);
    }

    #[test]
    fn a_routed_slice_counts_toward_its_new_domain() {
        // `web` declares general, but 40,000 of its tokens were routed to finance: that
        // slice shares the finance target with `sec`, by tokens, at its own rate.
        let plan = plan_mix(&input(
            vec![
                src("sec", "finance", 60_000),
                src("web", "finance", 40_000),
                src("web", "general", 1_000_000),
            ],
            MixTotal::Tokens(200_000),
        ))
        .unwrap();
        let slices: Vec<(&str, &str, u64, f64)> = plan
            .sources
            .iter()
            .map(|s| (s.name.as_str(), s.domain.as_str(), s.planned_tokens, s.rate))
            .collect();
        assert_eq!(
            slices,
            vec![
                ("sec", "finance", 61_200, 1.02),
                ("web", "finance", 40_800, 1.02),
                ("web", "general", 98_000, 0.098),
            ]
        );
        assert_eq!(plan.domains[0].available_tokens, 100_000);
        assert_eq!(plan.domains[0].planned_tokens, 102_000);
        assert_eq!(plan.domains[1].available_tokens, 1_000_000);

        // The epoch cap holds per slice, and the routed slice adds to its new domain's
        // capacity: 100,000 finance tokens alone cannot give 510,000 within 4 epochs (see
        // `shortfall_keep_shares_shrinks_the_total`), 150,000 can, at 3.4 passes each.
        let plan = plan_mix(&input(
            vec![
                src("sec", "finance", 100_000),
                src("web", "finance", 50_000),
                src("web", "general", 10_000_000),
            ],
            MixTotal::Tokens(1_000_000),
        ))
        .unwrap();
        assert!(plan.shortfall.is_none());
        assert_eq!(plan.domains[0].capacity_tokens, 600_000);
        let planned: Vec<(u64, f64)> = plan
            .sources
            .iter()
            .map(|s| (s.planned_tokens, s.rate))
            .collect();
        assert_eq!(
            planned,
            vec![(340_000, 3.4), (170_000, 3.4), (490_000, 0.049)]
        );
        assert_eq!(plan.sources[1].full_repeats, 3);
        assert_eq!(plan.sources[1].sampled_tokens, 20_000);
    }

    #[test]
    fn odd_totals_apportion_to_the_token() {
        let plan = plan_mix(&input(
            vec![src("a", "finance", 1_000), src("b", "general", 1_000)],
            MixTotal::Tokens(1_001),
        ))
        .unwrap();
        // 510.51 and 490.49: the larger remainder gets the extra token.
        assert_eq!(plan.domains[0].planned_tokens, 511);
        assert_eq!(plan.domains[1].planned_tokens, 490);
        assert_eq!(plan.total_tokens, 1_001);
    }

    #[test]
    fn shortfall_keep_shares_shrinks_the_total() {
        let plan = plan_mix(&input(
            vec![
                src("sec", "finance", 100_000),
                src("web", "general", 10_000_000),
            ],
            MixTotal::Tokens(1_000_000),
        ))
        .unwrap();
        let s = plan.shortfall.as_ref().unwrap();
        assert_eq!(s.domains.len(), 1);
        let f = &s.domains[0];
        assert_eq!(f.domain, "finance");
        assert_eq!(f.needed_tokens, 510_000);
        assert_eq!(f.capacity_tokens, 400_000);
        assert_eq!(f.missing_tokens, 110_000);
        assert_eq!(f.epochs_needed, 5.1);
        // 400,000 / 0.51 = 784,313.7: the largest total whose finance part fits the cap.
        assert_eq!(plan.total_tokens, 784_313);
        assert_eq!(s.achieved_total, 784_313);
        assert_eq!(plan.domains[0].planned_tokens, 400_000);
        assert_eq!(plan.domains[1].planned_tokens, 384_313);
        assert_eq!(plan.sources[0].rate, 4.0);
        assert!((plan.domains[0].realised_share - 0.51).abs() < 1e-6);
        assert!(s.message.contains("110,000 tokens short"), "{}", s.message);
        assert!(
            s.message.contains("shrinks from 1,000,000 to 784,313"),
            "{}",
            s.message
        );
    }

    #[test]
    fn shortfall_keep_total_distorts_shares() {
        let mut i = input(
            vec![
                src("sec", "finance", 100_000),
                src("web", "general", 10_000_000),
            ],
            MixTotal::Tokens(1_000_000),
        );
        i.on_shortfall = ShortfallPolicy::KeepTotal;
        let plan = plan_mix(&i).unwrap();
        assert_eq!(plan.total_tokens, 1_000_000);
        assert_eq!(plan.domains[0].planned_tokens, 400_000);
        assert_eq!(plan.domains[1].planned_tokens, 600_000);
        assert_eq!(plan.domains[0].realised_share, 0.4);
        let s = plan.shortfall.unwrap();
        assert_eq!(s.domains[0].missing_tokens, 110_000);
        assert_eq!(s.policy, ShortfallPolicy::KeepTotal);
        // Everything exhausted: the total cannot be kept either.
        let mut all = input(
            vec![src("sec", "finance", 100), src("web", "general", 100)],
            MixTotal::Tokens(10_000),
        );
        all.on_shortfall = ShortfallPolicy::KeepTotal;
        let plan = plan_mix(&all).unwrap();
        assert_eq!(plan.total_tokens, 800);
        assert_eq!(plan.shortfall.unwrap().domains.len(), 2);
    }

    #[test]
    fn everything_available() {
        let plan = plan_mix(&input(
            vec![
                src("sec", "finance", 100_000),
                src("web", "general", 10_000_000),
            ],
            MixTotal::Everything,
        ))
        .unwrap();
        assert_eq!(plan.total_tokens, 784_313);
        assert!(plan.shortfall.is_none());
        assert_eq!(plan.requested_total, None);
        // General-bound: finance plentiful.
        let plan = plan_mix(&input(
            vec![
                src("sec", "finance", 10_000_000),
                src("web", "general", 49_000),
            ],
            MixTotal::Everything,
        ))
        .unwrap();
        assert_eq!(plan.domains[1].planned_tokens, 196_000);
        assert_eq!(plan.total_tokens, 400_000);
        assert_eq!(plan.domains[0].planned_tokens, 204_000);
    }

    #[test]
    fn weights_and_source_caps() {
        let mut a = src("a", "finance", 100);
        a.weight = Some(3.0);
        let mut b = src("b", "finance", 1_000);
        b.weight = Some(1.0);
        let mut i = input(
            vec![a, b, src("web", "general", 100_000)],
            MixTotal::Tokens(0),
        );
        i.shares = shares(0.5);
        i.total = MixTotal::Tokens(1_600);
        let plan = plan_mix(&i).unwrap();
        // Finance gets 800: 600/200 by weight, but `a` is capped at 4 × 100 = 400.
        assert_eq!(plan.sources[0].planned_tokens, 400);
        assert_eq!(plan.sources[0].rate, 4.0);
        assert_eq!(plan.sources[1].planned_tokens, 400);
        assert_eq!(plan.sources[1].rate, 0.4);
        assert_eq!(plan.sources[2].planned_tokens, 800);
    }

    #[test]
    fn invalid_inputs() {
        let ok = input(
            vec![src("a", "finance", 10), src("b", "general", 10)],
            MixTotal::Everything,
        );
        assert!(plan_mix(&ok).is_ok());
        let mut sum = ok.clone();
        sum.shares = BTreeMap::from([("finance".into(), 0.5), ("general".into(), 0.49)]);
        assert!(matches!(plan_mix(&sum), Err(Error::InvalidMix(_))));
        let mut unknown = ok.clone();
        unknown.sources.push(src("c", "legal", 5));
        assert!(plan_mix(&unknown).is_err());
        let mut dup = ok.clone();
        dup.sources.push(src("a", "finance", 5));
        assert!(plan_mix(&dup).is_err());
        // The same source in another domain is another slice, not a duplicate.
        let mut slice = ok.clone();
        slice.sources.push(src("a", "general", 5));
        assert!(plan_mix(&slice).is_ok());
        let mut epochs = ok.clone();
        epochs.max_epochs = 0.0;
        assert!(plan_mix(&epochs).is_err());
        let mut w = ok.clone();
        w.sources[0].weight = Some(-1.0);
        assert!(plan_mix(&w).is_err());
    }

    #[test]
    fn input_from_json() {
        let i: MixInput = serde_json::from_str(
            r#"{"sources": [{"name": "a", "domain": "finance", "tokens": 10},
                            {"name": "b", "domain": "general", "tokens": 10}],
                "shares": {"finance": 0.51, "general": 0.49},
                "total": "everything", "on_shortfall": "keep_total"}"#,
        )
        .unwrap();
        assert_eq!(i.total, MixTotal::Everything);
        assert_eq!(i.max_epochs, 4.0);
        assert_eq!(i.on_shortfall, ShortfallPolicy::KeepTotal);
        let t: MixInput =
            serde_json::from_str(r#"{"sources": [], "shares": {}, "total": 1000}"#).unwrap();
        assert_eq!(t.total, MixTotal::Tokens(1000));
        assert!(
            serde_json::from_str::<MixInput>(r#"{"sources": [], "shares": {}, "total": "all"}"#)
                .is_err()
        );
        let plan = plan_mix(&i).unwrap();
        let v = serde_json::to_value(&plan).unwrap();
        assert_eq!(v["domains"][0]["domain"], "finance");
    }
}
