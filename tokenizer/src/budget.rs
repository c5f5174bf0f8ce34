//! Chinchilla budget arithmetic: how many tokens a model of a given size (or a given compute
//! budget) should see, and how that compares with the tokens the corpus has.
//!
//! * Training compute `C = 6 N D` FLOPs for `N` parameters and `D` tokens (Kaplan et al. 2020;
//!   Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models").
//! * Compute-optimal training uses about 20 tokens per parameter (Hoffmann et al.: Chinchilla,
//!   70B parameters on 1.4T tokens), so for a budget `C`: `D = 20 N`, `C = 120 N²`,
//!   `N = sqrt(C / 120)`.
//! * 1 PF-day = 10^15 FLOP/s for a day = 8.64 × 10^19 FLOPs.
//! * Loss projections use the parametric fit `L(N, D) = E + A / N^α + B / D^β`, with the
//!   refit of Besiroglu, Erdil, Barnett and You (Epoch AI, 2024, "Chinchilla Scaling: A
//!   replication attempt", arXiv:2404.10102): E = 1.8172, A = 482.01, B = 2085.43,
//!   α = 0.3478, β = 0.3658. Hoffmann et al.'s own published constants (E = 1.69,
//!   A = 406.4, B = 410.7, α = 0.34, β = 0.28) are available for comparison. Both fits
//!   describe Chinchilla's training corpus (MassiveText) and tokenizer; on another corpus the
//!   absolute loss is indicative only, the comparison between plans is what matters.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// FLOPs in one PF-day (10^15 FLOP/s sustained for 86,400 s).
pub const FLOPS_PER_PF_DAY: f64 = 1e15 * 86_400.0;

/// Tokens per parameter of compute-optimal training (Hoffmann et al. 2022).
pub const CHINCHILLA_TOKENS_PER_PARAM: f64 = 20.0;

/// Training FLOPs for `params` parameters and `tokens` tokens: `6 N D`.
pub fn training_flops(params: f64, tokens: f64) -> f64 {
    6.0 * params * tokens
}

/// FLOPs expressed in PF-days.
pub fn pf_days(flops: f64) -> f64 {
    flops / FLOPS_PER_PF_DAY
}

/// Model size and token count that spend `flops` with `tokens_per_param` tokens per
/// parameter: `N = sqrt(C / (6 k))`, `D = k N` (with k = 20, `N = sqrt(C / 120)`).
pub fn compute_optimal(flops: f64, tokens_per_param: f64) -> (f64, f64) {
    let n = (flops / (6.0 * tokens_per_param)).sqrt();
    (n, tokens_per_param * n)
}

/// A training compute budget in one of the usual units.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Compute {
    /// Total FLOPs.
    Flops(f64),
    /// PF-days (8.64e19 FLOPs each).
    PfDays(f64),
    /// GPU-hours at a peak throughput per GPU and a model FLOPs utilisation.
    GpuHours {
        /// GPU-hours.
        hours: f64,
        /// Peak FLOP/s of one GPU at the training precision (e.g. 989e12 for an H100 in
        /// dense BF16).
        peak_flops_per_gpu: f64,
        /// Fraction of the peak actually achieved (e.g. 0.4).
        mfu: f64,
    },
}

impl Compute {
    /// The budget in FLOPs.
    pub fn flops(&self) -> f64 {
        match *self {
            Compute::Flops(f) => f,
            Compute::PfDays(d) => d * FLOPS_PER_PF_DAY,
            Compute::GpuHours {
                hours,
                peak_flops_per_gpu,
                mfu,
            } => hours * 3600.0 * peak_flops_per_gpu * mfu,
        }
    }

    fn validate(&self) -> Result<()> {
        let ok = match *self {
            Compute::Flops(f) | Compute::PfDays(f) => f > 0.0 && f.is_finite(),
            Compute::GpuHours {
                hours,
                peak_flops_per_gpu,
                mfu,
            } => {
                hours > 0.0
                    && hours.is_finite()
                    && peak_flops_per_gpu > 0.0
                    && peak_flops_per_gpu.is_finite()
                    && mfu > 0.0
                    && mfu <= 1.0
            }
        };
        if ok {
            Ok(())
        } else {
            Err(Error::InvalidBudget(format!(
                "compute budget must be positive and finite (mfu in (0, 1]): {self:?}"
            )))
        }
    }
}

/// Constants of a parametric loss fit `L(N, D) = E + A / N^α + B / D^β`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LossFit {
    /// Irreducible loss.
    pub e: f64,
    /// Model-size coefficient.
    pub a: f64,
    /// Data coefficient.
    pub b: f64,
    /// Model-size exponent.
    pub alpha: f64,
    /// Data exponent.
    pub beta: f64,
}

impl LossFit {
    /// Besiroglu et al. 2024 (Epoch AI) refit of Chinchilla's approach 3, arXiv:2404.10102.
    pub const EPOCH_AI_2024: LossFit = LossFit {
        e: 1.8172,
        a: 482.01,
        b: 2085.43,
        alpha: 0.3478,
        beta: 0.3658,
    };

    /// Hoffmann et al. 2022, equation 10 as published (rounded constants).
    pub const HOFFMANN_2022: LossFit = LossFit {
        e: 1.69,
        a: 406.4,
        b: 410.7,
        alpha: 0.34,
        beta: 0.28,
    };

    /// Predicted loss (nats per token) for `params` parameters trained on `tokens` tokens.
    pub fn loss(&self, params: f64, tokens: f64) -> f64 {
        self.e + self.a / params.powf(self.alpha) + self.b / tokens.powf(self.beta)
    }
}

/// Tokens available in one domain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainTokens {
    /// Domain name (`finance`, `general`, ...).
    pub domain: String,
    /// Tokens the corpus holds for it (one epoch).
    pub tokens: f64,
    /// Share of the target this domain should supply; used to say how many epochs the
    /// domain needs. `None`: its share of the available tokens.
    #[serde(default)]
    pub target_share: Option<f64>,
}

/// What to plan for: a model size, a compute budget, or both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BudgetInput {
    /// Model parameters `N`. Without `compute`, the target is `tokens_per_param × N`.
    pub params: Option<f64>,
    /// Compute budget. Alone, it gives the compute-optimal `N` and `D`; with `params`, the
    /// target is `D = C / (6 N)`.
    pub compute: Option<Compute>,
    /// Tokens per parameter for the target (20: Chinchilla's compute-optimal ratio).
    pub tokens_per_param: f64,
    /// Tokens on hand, per domain.
    pub available: Vec<DomainTokens>,
    /// Throughput used to express the target's compute in GPU-hours: (peak FLOP/s per
    /// GPU, MFU).
    pub throughput: Option<(f64, f64)>,
    /// Loss fit for projections; `None` leaves them out.
    pub loss_fit: Option<LossFit>,
}

impl Default for BudgetInput {
    fn default() -> Self {
        Self {
            params: None,
            compute: None,
            tokens_per_param: CHINCHILLA_TOKENS_PER_PARAM,
            available: Vec::new(),
            throughput: None,
            loss_fit: Some(LossFit::EPOCH_AI_2024),
        }
    }
}

/// One domain's line in the [`BudgetReport`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomainBudget {
    /// Domain name.
    pub domain: String,
    /// Tokens on hand (one epoch).
    pub available_tokens: f64,
    /// Its share of all available tokens.
    pub share_of_available: f64,
    /// Its share of the target (given, or its share of available tokens).
    pub target_share: f64,
    /// Tokens it must supply: `target_share × target_tokens`.
    pub target_tokens: f64,
    /// Passes over the domain needed to supply them (`target_tokens / available_tokens`).
    pub epochs_needed: f64,
}

/// Target against available tokens, with compute and (optionally) loss.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BudgetReport {
    /// Model parameters `N`.
    pub params: f64,
    /// Tokens the model should see, `D`.
    pub target_tokens: f64,
    /// `D / N` of the target.
    pub target_tokens_per_param: f64,
    /// Sum of available tokens over domains.
    pub available_tokens: f64,
    /// `available - target`: positive is a surplus, negative a shortfall.
    pub surplus_tokens: f64,
    /// `max(0, target - available)`.
    pub shortfall_tokens: f64,
    /// Tokens per parameter reached by one pass over everything available, capped at the
    /// target (`min(available, target) / N`).
    pub tokens_per_param_achieved: f64,
    /// Passes over the whole corpus needed to reach the target.
    pub epochs_needed: f64,
    /// Per-domain detail.
    pub domains: Vec<DomainBudget>,
    /// Training compute of the target, `6 N D`.
    pub compute_flops: f64,
    /// The same in PF-days.
    pub compute_pf_days: f64,
    /// The same in GPU-hours, when a throughput was given.
    pub compute_gpu_hours: Option<f64>,
    /// Projected loss at the target, and at one pass over what is available, if a fit was
    /// given.
    pub loss_at_target: Option<f64>,
    /// Projected loss after one pass over the available tokens (capped at the target).
    pub loss_at_available: Option<f64>,
}

fn positive(name: &str, v: f64) -> Result<f64> {
    if v > 0.0 && v.is_finite() {
        Ok(v)
    } else {
        Err(Error::InvalidBudget(format!(
            "{name} must be positive and finite, got {v}"
        )))
    }
}

/// Computes the [`BudgetReport`] for `input`.
pub fn compute_budget(input: &BudgetInput) -> Result<BudgetReport> {
    let k = positive("tokens_per_param", input.tokens_per_param)?;
    if let Some(c) = &input.compute {
        c.validate()?;
    }
    let (params, target) = match (input.params, input.compute) {
        (Some(n), None) => {
            let n = positive("params", n)?;
            (n, k * n)
        }
        (None, Some(c)) => compute_optimal(c.flops(), k),
        (Some(n), Some(c)) => {
            let n = positive("params", n)?;
            (n, c.flops() / (6.0 * n))
        }
        (None, None) => {
            return Err(Error::InvalidBudget(
                "give the model size (params), a compute budget, or both".into(),
            ));
        }
    };
    let mut available = 0.0;
    for d in &input.available {
        if !(d.tokens >= 0.0 && d.tokens.is_finite()) {
            return Err(Error::InvalidBudget(format!(
                "domain {:?}: tokens must be non-negative, got {}",
                d.domain, d.tokens
            )));
        }
        available += d.tokens;
    }
    let given: f64 = input.available.iter().filter_map(|d| d.target_share).sum();
    if input.available.iter().any(|d| d.target_share.is_some())
        && (input.available.iter().any(|d| d.target_share.is_none()) || (given - 1.0).abs() > 1e-9)
    {
        return Err(Error::InvalidBudget(format!(
            "target shares must be given for every domain and sum to 1 (sum {given})"
        )));
    }
    let domains = input
        .available
        .iter()
        .map(|d| {
            let share_of_available = if available > 0.0 {
                d.tokens / available
            } else {
                0.0
            };
            let target_share = d.target_share.unwrap_or(share_of_available);
            let need = target_share * target;
            DomainBudget {
                domain: d.domain.clone(),
                available_tokens: d.tokens,
                share_of_available,
                target_share,
                target_tokens: need,
                epochs_needed: ratio(need, d.tokens),
            }
        })
        .collect();
    let flops = training_flops(params, target);
    let used = available.min(target);
    let fit = input.loss_fit;
    Ok(BudgetReport {
        params,
        target_tokens: target,
        target_tokens_per_param: target / params,
        available_tokens: available,
        surplus_tokens: available - target,
        shortfall_tokens: (target - available).max(0.0),
        tokens_per_param_achieved: used / params,
        epochs_needed: ratio(target, available),
        domains,
        compute_flops: flops,
        compute_pf_days: pf_days(flops),
        compute_gpu_hours: input
            .throughput
            .map(|(peak, mfu)| flops / (peak * mfu) / 3600.0),
        loss_at_target: fit.map(|f| f.loss(params, target)),
        loss_at_available: fit.filter(|_| used > 0.0).map(|f| f.loss(params, used)),
    })
}

/// `a / b`, infinite when `b` is zero and `a` is not (a domain with no tokens can never
/// supply its share).
fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else if a > 0.0 {
        f64::INFINITY
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn bloomberggpt_figures() {
        // BloombergGPT (Wu et al. 2023): 50.6B parameters, FinPile 363B + public 345B tokens,
        // 569B tokens trained.
        let input = BudgetInput {
            params: Some(50.6e9),
            available: vec![
                DomainTokens {
                    domain: "finance".into(),
                    tokens: 363e9,
                    target_share: None,
                },
                DomainTokens {
                    domain: "general".into(),
                    tokens: 345e9,
                    target_share: None,
                },
            ],
            ..BudgetInput::default()
        };
        let r = compute_budget(&input).unwrap();
        assert!(close(r.target_tokens, 1.012e12, 1e-12));
        assert!(close(r.target_tokens_per_param, 20.0, 1e-12));
        assert!(close(r.available_tokens, 708e9, 1e-12));
        assert!(close(r.shortfall_tokens, 304e9, 1e-9));
        assert!(close(r.surplus_tokens, -304e9, 1e-9));
        assert!(close(r.domains[0].share_of_available, 0.512_711_864, 1e-8));
        assert!(close(r.domains[1].share_of_available, 0.487_288_136, 1e-8));
        assert_eq!(
            crate::format::percent(r.domains[0].share_of_available),
            "51.27%"
        );
        assert_eq!(
            crate::format::percent(r.domains[1].share_of_available),
            "48.73%"
        );
        // One pass over 708B tokens: 13.99 tokens per parameter; 1.43 epochs to reach 20.
        assert!(close(r.tokens_per_param_achieved, 708.0 / 50.6, 1e-12));
        assert!(close(r.epochs_needed, 1012.0 / 708.0, 1e-12));
        assert!(close(r.domains[0].epochs_needed, r.epochs_needed, 1e-12));
        // The 569B tokens actually trained are 11.2 tokens per parameter.
        let trained = 569e9 / 50.6e9;
        assert!(close(trained, 11.245_059, 1e-6));
        assert_eq!(format!("{trained:.1}"), "11.2");
        // 6ND for the 569B-token run: 1.727e23 FLOPs.
        assert!(close(training_flops(50.6e9, 569e9), 1.727_484e23, 1e-6));
    }

    #[test]
    fn chinchilla_figures() {
        let r = compute_budget(&BudgetInput {
            params: Some(70e9),
            ..BudgetInput::default()
        })
        .unwrap();
        assert!(close(r.target_tokens, 1.4e12, 1e-12));
        assert!(close(r.compute_flops, 5.88e23, 1e-12));
        assert!(close(r.compute_pf_days, 5.88e23 / 8.64e19, 1e-12));
        assert!(close(r.compute_pf_days, 6_805.555_6, 1e-8));
        assert!(r.epochs_needed.is_infinite() && r.shortfall_tokens == 1.4e12);
        // Back from compute: C = 5.88e23 gives N = sqrt(C / 120) = 70B, D = 1.4T.
        let back = compute_budget(&BudgetInput {
            compute: Some(Compute::Flops(5.88e23)),
            ..BudgetInput::default()
        })
        .unwrap();
        assert!(close(back.params, 70e9, 1e-12));
        assert!(close(back.target_tokens, 1.4e12, 1e-12));
        // The same budget in PF-days and in GPU-hours.
        let pf = Compute::PfDays(5.88e23 / FLOPS_PER_PF_DAY);
        assert!(close(pf.flops(), 5.88e23, 1e-12));
        let gpu = Compute::GpuHours {
            hours: 1e6,
            peak_flops_per_gpu: 312e12,
            mfu: 0.5,
        };
        assert!(close(gpu.flops(), 1e6 * 3600.0 * 156e12, 1e-12));
        // Params and compute together fix D = C / 6N.
        let both = compute_budget(&BudgetInput {
            params: Some(35e9),
            compute: Some(Compute::Flops(5.88e23)),
            throughput: Some((312e12, 0.5)),
            ..BudgetInput::default()
        })
        .unwrap();
        assert!(close(both.target_tokens, 2.8e12, 1e-12));
        assert!(close(both.target_tokens_per_param, 80.0, 1e-12));
        assert!(close(
            both.compute_gpu_hours.unwrap(),
            5.88e23 / 156e12 / 3600.0,
            1e-12
        ));
    }

    #[test]
    fn loss_fits() {
        let f = LossFit::EPOCH_AI_2024;
        let l = f.loss(70e9, 1.4e12);
        // E + 482.01 / 70e9^0.3478 + 2085.43 / 1.4e12^0.3658
        let want = 1.8172 + 482.01 / 70e9f64.powf(0.3478) + 2085.43 / 1.4e12f64.powf(0.3658);
        assert_eq!(l, want);
        assert!((1.9..2.0).contains(&l), "{l}");
        // More data at the same size lowers the projection.
        assert!(f.loss(70e9, 2.8e12) < l);
        let h = LossFit::HOFFMANN_2022.loss(70e9, 1.4e12);
        assert!((1.9..2.0).contains(&h), "{h}");
    }

    #[test]
    fn domain_shares_and_errors() {
        let input = BudgetInput {
            params: Some(1e9),
            available: vec![
                DomainTokens {
                    domain: "finance".into(),
                    tokens: 5e9,
                    target_share: Some(0.5),
                },
                DomainTokens {
                    domain: "general".into(),
                    tokens: 40e9,
                    target_share: Some(0.5),
                },
            ],
            loss_fit: None,
            ..BudgetInput::default()
        };
        let r = compute_budget(&input).unwrap();
        assert!(close(r.surplus_tokens, 25e9, 1e-12));
        assert!(close(r.domains[0].epochs_needed, 2.0, 1e-12));
        assert!(close(r.domains[1].epochs_needed, 0.25, 1e-12));
        assert!(r.loss_at_target.is_none());
        assert!(close(r.tokens_per_param_achieved, 20.0, 1e-12));

        let mut bad = input.clone();
        bad.available[1].target_share = Some(0.4);
        assert!(compute_budget(&bad).is_err());
        assert!(compute_budget(&BudgetInput::default()).is_err());
        let neg = BudgetInput {
            params: Some(-1.0),
            ..BudgetInput::default()
        };
        assert!(compute_budget(&neg).is_err());
        let mfu = BudgetInput {
            compute: Some(Compute::GpuHours {
                hours: 1.0,
                peak_flops_per_gpu: 1e15,
                mfu: 1.5,
            }),
            ..BudgetInput::default()
        };
        assert!(compute_budget(&mfu).is_err());
    }

    #[test]
    fn report_serialises_and_input_deserialises() {
        let input: BudgetInput = serde_json::from_str(
            r#"{"params": 7e9, "compute": {"pf_days": 100.0},
                "available": [{"domain": "finance", "tokens": 1e9}]}"#,
        )
        .unwrap();
        assert_eq!(input.tokens_per_param, 20.0);
        let r = compute_budget(&input).unwrap();
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["domains"][0]["domain"], "finance");
        assert!(v["compute_flops"].as_f64().unwrap() > 0.0);
        assert!(serde_json::from_str::<BudgetInput>(r#"{"param": 1}"#).is_err());
    }
}
