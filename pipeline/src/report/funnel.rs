//! The funnel of each document stage, read from its `_stage.json` whatever the stage:
//! a group of counts is recognised by its shape, not by the stage that wrote it.
//!
//! Three shapes occur: a funnel (`input`, `output`, `dropped` by reason, `dropped_by`
//! step, `bytes_edited_out`: filter, dedup), ingest counts (`records` read, `documents`
//! written, `text_bytes`, `skipped` by reason), and plain counts (`documents`, `bytes`,
//! `tokens`: the count stage, which passes every document on). Tokens come from the
//! `tokens` object the count stage adds to the earlier stages' records.

use std::collections::BTreeMap;

use serde_json::Value;

use super::model::{Flow, GroupFunnel, StageFunnel, StepFunnel};
use super::records::{StageDir, u64_at};

/// Source name to domain name, as the run's records and job file give them.
pub type SourceDomains = BTreeMap<String, String>;

/// One group of counts in whichever shape a stage recorded it.
pub fn parse_group(value: &Value) -> Option<GroupFunnel> {
    funnel_shape(value)
        .or_else(|| ingest_shape(value))
        .or_else(|| counted_shape(value))
}

fn counts(value: &Value) -> Option<Flow> {
    Some(Flow::counted(
        u64_at(value, &["documents"])?,
        u64_at(value, &["bytes"])?,
    ))
}

fn counts_map(value: Option<&Value>) -> BTreeMap<String, Flow> {
    value
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(key, v)| Some((key.clone(), counts(v)?)))
        .collect()
}

fn funnel_shape(value: &Value) -> Option<GroupFunnel> {
    let input = counts(value.get("input")?)?;
    let output = counts(value.get("output")?)?;
    let reasons = counts_map(value.get("dropped"));
    let by_step = counts_map(value.get("dropped_by"));
    let dropped = reasons
        .values()
        .fold(Flow::counted(0, 0), |sum, flow| sum.plus(*flow));
    Some(GroupFunnel {
        input,
        output,
        dropped,
        edited_bytes: u64_at(value, &["bytes_edited_out"]).unwrap_or(0),
        edited_tokens: None,
        reasons,
        by_step,
    })
}

/// Records read, documents written: a skipped record has no text, so no bytes to count.
fn ingest_shape(value: &Value) -> Option<GroupFunnel> {
    let records = u64_at(value, &["records"])?;
    let documents = u64_at(value, &["documents"])?;
    let bytes = u64_at(value, &["text_bytes"])?;
    let reasons: BTreeMap<String, Flow> = value
        .get("skipped")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(reason, n)| {
            let flow = Flow {
                documents: n.as_u64()?,
                bytes: None,
                tokens: None,
            };
            Some((reason.clone(), flow))
        })
        .collect();
    let skipped: u64 = reasons.values().map(|f| f.documents).sum();
    Some(GroupFunnel {
        input: Flow {
            documents: records.max(documents + skipped),
            bytes: None,
            tokens: None,
        },
        output: Flow::counted(documents, bytes),
        dropped: Flow {
            documents: skipped,
            bytes: None,
            tokens: None,
        },
        reasons,
        ..GroupFunnel::default()
    })
}

/// A stage that keeps every document: what goes in comes out.
fn counted_shape(value: &Value) -> Option<GroupFunnel> {
    let flow = Flow {
        documents: u64_at(value, &["documents"])?,
        bytes: u64_at(value, &["bytes"]).or_else(|| u64_at(value, &["text_bytes"])),
        tokens: u64_at(value, &["tokens"]),
    };
    Some(GroupFunnel {
        input: flow,
        output: flow,
        dropped: Flow {
            documents: 0,
            bytes: Some(0),
            tokens: flow.tokens.map(|_| 0),
        },
        edited_tokens: flow.tokens.map(|_| 0),
        ..GroupFunnel::default()
    })
}

/// Adds `other` to `sum`, group by group.
pub fn merge_group(sum: &mut GroupFunnel, other: &GroupFunnel) {
    sum.input = sum.input.plus(other.input);
    sum.output = sum.output.plus(other.output);
    sum.dropped = sum.dropped.plus(other.dropped);
    sum.edited_bytes += other.edited_bytes;
    sum.edited_tokens = match (sum.edited_tokens, other.edited_tokens) {
        (Some(a), Some(b)) => Some(a + b),
        _ => None,
    };
    for (map, others) in [
        (&mut sum.reasons, &other.reasons),
        (&mut sum.by_step, &other.by_step),
    ] {
        for (key, flow) in others {
            let entry = map.entry(key.clone()).or_insert(Flow {
                documents: 0,
                bytes: Some(0),
                tokens: Some(0),
            });
            *entry = entry.plus(*flow);
        }
    }
}

/// A group of zero documents whose counts are all known: the start of a sum (a part whose
/// bytes or tokens are unknown makes the sum's unknown).
fn empty_group(with_tokens: bool) -> GroupFunnel {
    let zero = Flow {
        documents: 0,
        bytes: Some(0),
        tokens: with_tokens.then_some(0),
    };
    GroupFunnel {
        input: zero,
        output: zero,
        dropped: zero,
        edited_tokens: with_tokens.then_some(0),
        ..GroupFunnel::default()
    }
}

/// The groups of one stage before tokens are added.
#[derive(Debug, Clone, Default)]
pub struct StageGroups {
    pub total: GroupFunnel,
    pub by_source: BTreeMap<String, GroupFunnel>,
    pub by_domain: BTreeMap<String, GroupFunnel>,
    /// Every group the record holds, partitions included: what tells which step gives
    /// which reason.
    pub all_groups: Vec<GroupFunnel>,
    pub complete: bool,
}

/// The groups of a stage: from its summary when it finished, else summed over the
/// partitions it completed. `None` when the stage counts no documents.
pub fn stage_groups(stage: &StageDir, domains: &mut SourceDomains) -> Option<StageGroups> {
    let partitions = partition_groups(stage, domains);
    let mut groups = match stage.summary() {
        Some(summary) => summary_groups(summary, domains)?,
        None if !partitions.is_empty() => sum_partitions(&partitions, domains),
        None => return None,
    };
    groups.complete = stage.summary().is_some();
    groups
        .all_groups
        .extend(partitions.into_iter().map(|(_, group)| group));
    Some(groups)
}

fn summary_groups(summary: &Value, domains: &mut SourceDomains) -> Option<StageGroups> {
    let total = parse_group(summary.get("total")?)?;
    let map = |key: &str, domains: &mut SourceDomains| -> BTreeMap<String, GroupFunnel> {
        summary
            .get(key)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(name, v)| {
                if let Some(domain) = v.get("domain").and_then(Value::as_str) {
                    domains.insert(name.clone(), domain.to_owned());
                }
                Some((name.clone(), parse_group(v)?))
            })
            .collect()
    };
    let by_source = map("by_source", domains);
    let by_domain = map("by_domain", domains);
    let all_groups = std::iter::once(total.clone())
        .chain(by_source.values().cloned())
        .chain(by_domain.values().cloned())
        .collect();
    Some(StageGroups {
        total,
        by_source,
        by_domain,
        all_groups,
        complete: true,
    })
}

/// Every (source, group) the partitions record, in partition order.
fn partition_groups(stage: &StageDir, domains: &mut SourceDomains) -> Vec<(String, GroupFunnel)> {
    let mut groups = Vec::new();
    for partition in stage.partitions() {
        if let Some(sources) = partition.get("sources").and_then(Value::as_object) {
            for (source, entry) in sources {
                // `[domain, funnel]` (filter, dedup) or `{domain, counts...}` (count).
                let (domain, counts) = match entry {
                    Value::Array(pair) if pair.len() == 2 => (pair[0].as_str(), &pair[1]),
                    other => (other.get("domain").and_then(Value::as_str), other),
                };
                if let Some(domain) = domain {
                    domains.insert(source.clone(), domain.to_owned());
                }
                if let Some(group) = parse_group(counts) {
                    groups.push((source.clone(), group));
                }
            }
        } else if let (Some(source), Some(counts)) = (
            partition.get("source").and_then(Value::as_str),
            partition.get("counts"),
        ) {
            if let Some(domain) = partition.get("domain").and_then(Value::as_str) {
                domains.insert(source.to_owned(), domain.to_owned());
            }
            if let Some(group) = parse_group(counts) {
                groups.push((source.to_owned(), group));
            }
        }
    }
    groups
}

fn sum_partitions(partitions: &[(String, GroupFunnel)], domains: &SourceDomains) -> StageGroups {
    let with_tokens = partitions.iter().all(|(_, g)| g.output.tokens.is_some());
    let mut groups = StageGroups {
        total: empty_group(with_tokens),
        ..StageGroups::default()
    };
    for (source, group) in partitions {
        merge_group(&mut groups.total, group);
        merge_group(
            groups
                .by_source
                .entry(source.clone())
                .or_insert_with(|| empty_group(with_tokens)),
            group,
        );
        let domain = domains.get(source).cloned().unwrap_or_default();
        merge_group(
            groups
                .by_domain
                .entry(domain)
                .or_insert_with(|| empty_group(with_tokens)),
            group,
        );
    }
    groups
}

/// Tokens per source from the `tokens` object: kept, and dropped by reason.
#[derive(Debug, Clone, Default)]
pub struct SourceTokens {
    pub output: BTreeMap<String, u64>,
    pub dropped: BTreeMap<String, BTreeMap<String, u64>>,
}

impl SourceTokens {
    pub fn of(stage: &StageDir) -> Option<SourceTokens> {
        let tokens = stage.tokens()?;
        let numbers = |v: &Value| -> BTreeMap<String, u64> {
            v.as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, n)| Some((k.clone(), n.as_u64()?)))
                .collect()
        };
        Some(SourceTokens {
            output: tokens.get("output").map(numbers).unwrap_or_default(),
            dropped: tokens
                .get("dropped")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
                .map(|(source, reasons)| (source.clone(), numbers(reasons)))
                .collect(),
        })
    }
}

/// Builds a stage's funnel: the groups with tokens added (from the stage's `tokens`
/// object, input tokens from the previous document stage's output) and the steps in
/// `step_order` (then any others), each reason's tokens going to the step `reason_steps`
/// names.
pub fn build_stage_funnel(
    name: &str,
    mut groups: StageGroups,
    tokens: Option<&SourceTokens>,
    previous_output: Option<&BTreeMap<String, u64>>,
    reason_steps: &BTreeMap<String, String>,
    step_order: &[String],
    domains: &SourceDomains,
) -> StageFunnel {
    if let Some(tokens) = tokens {
        for (source, group) in groups.by_source.iter_mut() {
            add_source_tokens(source, group, tokens, previous_output, reason_steps);
        }
    } else if let Some(previous) = previous_output {
        // A stage that counts its own tokens (count) passes every document on: its input
        // tokens are its output's, which the previous stage's output must equal.
        for (source, group) in groups.by_source.iter_mut() {
            if group.input.tokens.is_none() {
                group.input.tokens = previous.get(source).copied();
            }
        }
    }
    if groups.by_source.values().all(|g| g.output.tokens.is_some()) {
        let sources: Vec<(&String, &GroupFunnel)> = groups.by_source.iter().collect();
        sum_tokens(&mut groups.total, sources.iter().map(|(_, g)| *g));
        for (domain, group) in groups.by_domain.iter_mut() {
            let members = sources
                .iter()
                .filter(|(source, _)| domains.get(*source) == Some(domain))
                .map(|(_, g)| *g);
            sum_tokens(group, members);
        }
    }
    let steps = steps(&groups.total, step_order);
    StageFunnel {
        stage: name.to_owned(),
        complete: groups.complete,
        total: groups.total,
        by_source: groups.by_source,
        by_domain: groups.by_domain,
        steps,
    }
}

fn add_source_tokens(
    source: &str,
    group: &mut GroupFunnel,
    tokens: &SourceTokens,
    previous_output: Option<&BTreeMap<String, u64>>,
    reason_steps: &BTreeMap<String, String>,
) {
    let dropped = tokens.dropped.get(source);
    let reason_tokens = |reason: &str| dropped.and_then(|d| d.get(reason)).copied().unwrap_or(0);
    for (reason, flow) in group.reasons.iter_mut() {
        flow.tokens = Some(reason_tokens(reason));
    }
    let all_mapped = group.reasons.keys().all(|r| reason_steps.contains_key(r));
    for (step, flow) in group.by_step.iter_mut() {
        flow.tokens = all_mapped.then(|| {
            group
                .reasons
                .iter()
                .filter(|(reason, _)| reason_steps.get(*reason) == Some(step))
                .filter_map(|(_, f)| f.tokens)
                .sum()
        });
    }
    let dropped_tokens: u64 = group.reasons.values().filter_map(|f| f.tokens).sum();
    let output = tokens.output.get(source).copied().unwrap_or(0);
    group.output.tokens = Some(output);
    group.dropped.tokens = Some(dropped_tokens);
    group.input.tokens = match previous_output {
        Some(previous) => Some(previous.get(source).copied().unwrap_or(0)),
        // The first document stage: what it kept and dropped is all it read.
        None => Some(output + dropped_tokens),
    };
    group.edited_tokens = group
        .input
        .tokens
        .map(|input| input as i64 - output as i64 - dropped_tokens as i64);
}

/// Sets the token counts of `group` to the sums over `members` (a domain's sources).
fn sum_tokens<'a>(group: &mut GroupFunnel, members: impl Iterator<Item = &'a GroupFunnel>) {
    let members: Vec<&GroupFunnel> = members.collect();
    let sum = |f: &dyn Fn(&GroupFunnel) -> Option<u64>| -> Option<u64> {
        members.iter().map(|g| f(g)).sum::<Option<u64>>()
    };
    group.input.tokens = sum(&|g| g.input.tokens);
    group.output.tokens = sum(&|g| g.output.tokens);
    group.dropped.tokens = sum(&|g| g.dropped.tokens);
    group.edited_tokens = members.iter().map(|g| g.edited_tokens).sum();
    for (reason, flow) in group.reasons.iter_mut() {
        flow.tokens = members
            .iter()
            .map(|g| g.reasons.get(reason).map_or(Some(0), |f| f.tokens))
            .sum();
    }
    for (step, flow) in group.by_step.iter_mut() {
        flow.tokens = members
            .iter()
            .map(|g| g.by_step.get(step).map_or(Some(0), |f| f.tokens))
            .sum();
    }
}

/// The steps of a stage in order, each passing on what it did not drop.
fn steps(total: &GroupFunnel, order: &[String]) -> Vec<StepFunnel> {
    let mut names: Vec<String> = order.to_vec();
    names.extend(
        total
            .by_step
            .keys()
            .filter(|step| !order.contains(step))
            .cloned(),
    );
    let mut input = total.input;
    names
        .into_iter()
        .map(|step| {
            let dropped = total.by_step.get(&step).copied().unwrap_or(Flow {
                documents: 0,
                bytes: Some(0),
                tokens: input.tokens.map(|_| 0),
            });
            let output = input.minus(dropped);
            let row = StepFunnel {
                step,
                input,
                dropped,
                output,
            };
            input = output;
            row
        })
        .collect()
}

/// Which step gives which reason, from every group that has a single step: all its
/// reasons are that step's.
pub fn infer_reason_steps(groups: &[GroupFunnel]) -> BTreeMap<String, String> {
    let mut steps = BTreeMap::new();
    for group in groups {
        let mut with_drops = group.by_step.iter().filter(|(_, f)| f.documents > 0);
        if let (Some((step, _)), None) = (with_drops.next(), with_drops.next()) {
            for (reason, flow) in &group.reasons {
                if flow.documents > 0 {
                    steps.entry(reason.clone()).or_insert_with(|| step.clone());
                }
            }
        }
    }
    steps
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_three_shapes_are_recognised() {
        let funnel = parse_group(&json!({
            "input": {"documents": 5, "bytes": 100},
            "output": {"documents": 3, "bytes": 55},
            "dropped": {"too_short": {"documents": 2, "bytes": 40}},
            "dropped_by": {"gopher": {"documents": 2, "bytes": 40}},
            "bytes_edited_out": 5
        }))
        .unwrap();
        assert_eq!(funnel.dropped, Flow::counted(2, 40));
        assert_eq!(funnel.edited_bytes, 5);
        assert_eq!(funnel.by_step["gopher"].documents, 2);

        let ingest = parse_group(&json!({
            "files": 1, "input_bytes": 900, "records": 8, "documents": 3,
            "text_bytes": 700, "skipped": {"non_html_payload": 5}
        }))
        .unwrap();
        assert_eq!(ingest.input.documents, 8);
        assert_eq!(ingest.input.bytes, None);
        assert_eq!(ingest.output, Flow::counted(3, 700));
        assert_eq!(ingest.reasons["non_html_payload"].documents, 5);

        let counted =
            parse_group(&json!({"documents": 2, "bytes": 10, "tokens": 4, "domain": "x"})).unwrap();
        assert_eq!(counted.input, counted.output);
        assert_eq!(counted.output.tokens, Some(4));

        assert!(parse_group(&json!({"sequences": 3})).is_none());
    }

    #[test]
    fn steps_pass_on_what_they_keep() {
        let mut total = empty_group(false);
        total.input = Flow::counted(10, 1000);
        total.by_step.insert("url".into(), Flow::counted(2, 100));
        total.by_step.insert("c4".into(), Flow::counted(3, 300));
        let order = vec!["url".to_owned(), "language".to_owned(), "c4".to_owned()];
        let rows = steps(&total, &order);
        let outputs: Vec<(String, u64, Option<u64>)> = rows
            .iter()
            .map(|r| (r.step.clone(), r.output.documents, r.output.bytes))
            .collect();
        assert_eq!(
            outputs,
            vec![
                ("url".into(), 8, Some(900)),
                ("language".into(), 8, Some(900)),
                ("c4".into(), 5, Some(600)),
            ]
        );
    }

    #[test]
    fn single_step_groups_name_their_reasons() {
        let mut group = empty_group(false);
        group.by_step.insert("exact".into(), Flow::counted(1, 10));
        group
            .reasons
            .insert("dedup_exact".into(), Flow::counted(1, 10));
        let mut mixed = empty_group(false);
        mixed.by_step.insert("a".into(), Flow::counted(1, 1));
        mixed.by_step.insert("b".into(), Flow::counted(1, 1));
        mixed.reasons.insert("why".into(), Flow::counted(2, 2));
        let steps = infer_reason_steps(&[group, mixed]);
        assert_eq!(steps.len(), 1);
        assert_eq!(steps["dedup_exact"], "exact");
    }
}
