//! Which task of a step this process is: `--rank` / `--world-size`, or the environment a
//! scheduler sets.

use anyhow::{Context, Result, bail};

use super::Step;

/// One task of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepTask {
    pub step: Step,
    pub rank: usize,
    pub world_size: usize,
}

/// Where a task index can come from, in the order they are tried when `--rank` is absent.
///
/// - `CURATE_RANK` / `CURATE_WORLD_SIZE`: any scheduler, set by hand.
/// - `SLURM_ARRAY_TASK_ID` (+ `CURATE_RANK_OFFSET`, set by `curate launch` when it splits
///   an array above the cluster's `MaxArraySize`) / `SLURM_ARRAY_TASK_COUNT`.
/// - `JOB_COMPLETION_INDEX`: Kubernetes Indexed Jobs (the world size is `--world-size` or
///   `CURATE_WORLD_SIZE`: Kubernetes does not export `completions`).
pub fn resolve(
    step: Step,
    rank: Option<usize>,
    world_size: Option<usize>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<StepTask> {
    let number = |name: &str| -> Result<Option<usize>> {
        match env(name) {
            None => Ok(None),
            Some(value) => value
                .trim()
                .parse()
                .map(Some)
                .with_context(|| format!("{name}={value:?} is not a task index")),
        }
    };
    let rank = match rank {
        Some(rank) => Some(rank),
        None => match number("CURATE_RANK")? {
            Some(rank) => Some(rank),
            None => match number("SLURM_ARRAY_TASK_ID")? {
                Some(id) => Some(id + number("CURATE_RANK_OFFSET")?.unwrap_or(0)),
                None => number("JOB_COMPLETION_INDEX")?,
            },
        },
    };
    let world_size = match world_size {
        Some(size) => Some(size),
        None => match number("CURATE_WORLD_SIZE")? {
            Some(size) => Some(size),
            None => number("SLURM_ARRAY_TASK_COUNT")?,
        },
    };
    let (rank, world_size) = match (rank, world_size) {
        (None, None) => (0, 1),
        (Some(_), None) => {
            bail!("the task has a rank but no world size: give --world-size (or CURATE_WORLD_SIZE)")
        }
        (None, Some(size)) => bail!(
            "the world size is {size} but the task has no rank: give --rank (or CURATE_RANK, \
             SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX)"
        ),
        (Some(rank), Some(size)) => (rank, size),
    };
    if world_size == 0 {
        bail!("the world size must be at least 1");
    }
    if rank >= world_size {
        bail!("rank {rank} is not below the world size {world_size}: ranks are 0..{world_size}");
    }
    Ok(StepTask {
        step,
        rank,
        world_size,
    })
}

/// `CURATE_TEST_FAULT=STEP:RANK:abort|hang` makes one task fail or hang before it does
/// anything, so tests (and people trying a cluster) can see how a failed or killed task is
/// reported and recovered.
pub fn injected_fault(task: &StepTask, env: impl Fn(&str) -> Option<String>) -> Result<()> {
    let Some(spec) = env(crate::run::fault::FAULT_VARIABLE) else {
        return Ok(());
    };
    // Other faults (`record:STAGE`) are not this task's.
    let Some(spec) = spec
        .split(',')
        .map(str::trim)
        .find(|entry| entry.split(':').count() == 3)
    else {
        return Ok(());
    };
    let mut fields = spec.split(':');
    let (Some(step), Some(rank), Some(action)) = (fields.next(), fields.next(), fields.next())
    else {
        bail!("CURATE_TEST_FAULT={spec:?}: expected STEP:RANK:abort|hang");
    };
    if step != task.step.name() || rank.parse() != Ok(task.rank) {
        return Ok(());
    }
    match action {
        "abort" => bail!(
            "step {} rank {} aborted by CURATE_TEST_FAULT",
            task.step.name(),
            task.rank
        ),
        "hang" => loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        },
        other => bail!("CURATE_TEST_FAULT={spec:?}: unknown action {other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn flags_then_each_scheduler_environment() {
        let task = resolve(Step::Filter, Some(2), Some(3), env(&[])).unwrap();
        assert_eq!((task.rank, task.world_size), (2, 3));
        let slurm = env(&[("SLURM_ARRAY_TASK_ID", "4"), ("CURATE_RANK_OFFSET", "1000")]);
        let task = resolve(Step::Filter, None, Some(2000), slurm).unwrap();
        assert_eq!(task.rank, 1004);
        let k8s = env(&[("JOB_COMPLETION_INDEX", "1"), ("CURATE_WORLD_SIZE", "2")]);
        assert_eq!(resolve(Step::Ingest, None, None, k8s).unwrap().rank, 1);
        let alone = resolve(Step::Dedup, None, None, env(&[])).unwrap();
        assert_eq!((alone.rank, alone.world_size), (0, 1));
    }

    #[test]
    fn bad_indices_are_named() {
        let error = resolve(Step::Filter, Some(3), Some(3), env(&[])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "rank 3 is not below the world size 3: ranks are 0..3"
        );
        let error = resolve(Step::Filter, Some(0), Some(0), env(&[])).unwrap_err();
        assert!(error.to_string().contains("at least 1"), "{error}");
        let error = resolve(Step::Filter, Some(1), None, env(&[])).unwrap_err();
        assert!(error.to_string().contains("no world size"), "{error}");
        let error = resolve(Step::Filter, None, None, env(&[("CURATE_RANK", "x")])).unwrap_err();
        assert!(error.to_string().contains("CURATE_RANK=\"x\""), "{error}");
    }

    #[test]
    fn a_fault_hits_only_its_step_and_rank() {
        let task = StepTask {
            step: Step::Filter,
            rank: 1,
            world_size: 3,
        };
        let other = StepTask { rank: 2, ..task };
        let fault = env(&[("CURATE_TEST_FAULT", "filter:1:abort")]);
        assert!(injected_fault(&task, &fault).is_err());
        assert!(injected_fault(&other, &fault).is_ok());
    }
}
