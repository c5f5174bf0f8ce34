//! Integer apportionment: splitting a whole number of tokens by weights so that the parts
//! sum exactly, optionally under per-item caps.

/// Apportions `total` by `weights` with the largest-remainder method: the parts sum to
/// `total` (if any weight is positive) and each is within one of its exact quota. Ties go to
/// the earlier index.
pub(crate) fn apportion(total: u64, weights: &[f64]) -> Vec<u64> {
    let sum: f64 = weights.iter().sum();
    if total == 0 || sum <= 0.0 {
        return vec![0; weights.len()];
    }
    let quotas: Vec<f64> = weights.iter().map(|w| total as f64 * w / sum).collect();
    // Quotas are non-negative and at most `total`, so the casts cannot overflow.
    let mut parts: Vec<u64> = quotas.iter().map(|q| q.floor() as u64).collect();
    let mut order: Vec<usize> = (0..weights.len()).filter(|&i| weights[i] > 0.0).collect();
    order.sort_by(|&a, &b| {
        let fa = quotas[a] - quotas[a].floor();
        let fb = quotas[b] - quotas[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    let assigned: u64 = parts.iter().sum();
    if assigned <= total {
        for &i in order.iter().cycle().take((total - assigned) as usize) {
            parts[i] += 1;
        }
    } else {
        // Floating-point rounding pushed a floor up; take the excess back from the parts
        // with the smallest remainders.
        for &i in order.iter().rev().cycle().take((assigned - total) as usize) {
            parts[i] = parts[i].saturating_sub(1);
        }
    }
    parts
}

/// Spreads `total` over items with integer `caps`, in proportion to `weights`, holding any
/// item that would exceed its cap at the cap and re-spreading the rest. Gives less than
/// `total` only when the caps of the positively weighted items sum to less.
pub(crate) fn water_fill(total: u64, caps: &[u64], weights: &[f64]) -> Vec<u64> {
    let mut alloc = vec![0u64; caps.len()];
    let mut active: Vec<usize> = (0..caps.len())
        .filter(|&i| weights[i] > 0.0 && caps[i] > 0)
        .collect();
    let mut remaining = total;
    while remaining > 0 && !active.is_empty() {
        let w: Vec<f64> = active.iter().map(|&i| weights[i]).collect();
        let parts = apportion(remaining, &w);
        let over: Vec<usize> = active
            .iter()
            .zip(&parts)
            .filter(|&(&i, &p)| p > caps[i])
            .map(|(&i, _)| i)
            .collect();
        if over.is_empty() {
            for (&i, p) in active.iter().zip(parts) {
                alloc[i] = p;
            }
            break;
        }
        for &i in &over {
            alloc[i] = caps[i];
            remaining -= caps[i];
        }
        active.retain(|i| !over.contains(i));
    }
    alloc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_remainder() {
        assert_eq!(apportion(1_000, &[0.51, 0.49]), vec![510, 490]);
        assert_eq!(apportion(1_001, &[0.51, 0.49]), vec![511, 490]);
        // Equal remainders: the earlier index wins.
        assert_eq!(apportion(10, &[1.0, 1.0, 1.0]), vec![4, 3, 3]);
        assert_eq!(apportion(7, &[0.0, 2.0]), vec![0, 7]);
        assert_eq!(apportion(7, &[0.0, 0.0]), vec![0, 0]);
        let parts = apportion(123_456_789, &[0.3, 0.3, 0.4]);
        assert_eq!(parts.iter().sum::<u64>(), 123_456_789);
    }

    #[test]
    fn water_filling_respects_caps() {
        // 600/200 by weight, first capped at 400, the rest moves to the second.
        assert_eq!(water_fill(800, &[400, 4_000], &[3.0, 1.0]), vec![400, 400]);
        // Not enough room: everything at its cap.
        assert_eq!(water_fill(1_000, &[100, 200], &[1.0, 1.0]), vec![100, 200]);
        // Zero weight and zero cap get nothing.
        assert_eq!(
            water_fill(10, &[5, 0, 100], &[0.0, 1.0, 1.0]),
            vec![0, 0, 10]
        );
        // Cascading caps.
        assert_eq!(
            water_fill(90, &[10, 20, 100], &[1.0, 1.0, 1.0]),
            vec![10, 20, 60]
        );
    }
}
