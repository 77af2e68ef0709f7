//! `cargo bench -p galley-domain --bench validate`: how long `validate_architecture`'s engine takes on generated
//! designs of growing size with every built-in rule, so the growth is visible (it should be close to linear), and
//! which rules cost most on the 1,000-component design.
//!
//! Numbers, not assertions: these machines are shared and noisy, so nothing here fails on a slow run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use galley_domain::catalog::ServiceCatalog;
use galley_domain::locale::Locale;
use galley_domain::rules::bench_support::generated_design;
use galley_domain::rules::{RuleSet, validate};

/// Median of `runs` timings of `f`.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn main() {
    let catalog = ServiceCatalog::builtin().unwrap();
    let rules = RuleSet::builtin().unwrap();
    println!("validate with {} rules (median of 31 runs after a warm-up):", rules.len());
    println!(
        "{:>11} {:>12} {:>10} {:>9} {:>14}",
        "components", "connections", "time", "findings", "per component"
    );
    let mut base: Option<(usize, Duration)> = None;
    for (n, m) in [(10, 20), (100, 200), (1000, 2000), (2000, 4000), (4000, 8000)] {
        let design = generated_design(n, m);
        let findings = validate(&design, &catalog, &rules, Locale::Ja).findings.len();
        let t = median(31, || {
            std::hint::black_box(validate(&design, &catalog, &rules, Locale::Ja));
        });
        let per = t / u32::try_from(n).unwrap();
        println!("{n:>11} {m:>12} {:>10.3?} {findings:>9} {per:>14.2?}", t);
        if n == 1000 {
            println!(
                "  target at 1,000 components / 2,000 connections: under 20 ms -> {}",
                if t < Duration::from_millis(20) { "met" } else { "MISSED" }
            );
        }
        if let Some((n0, t0)) = base {
            let growth = t.as_secs_f64() / t0.as_secs_f64();
            let size = n as f64 / n0 as f64;
            println!("  x{size:.0} components -> x{growth:.1} time");
        }
        base = Some((n, t));
    }

    let design = generated_design(1000, 2000);
    let mut rows = Vec::new();
    for r in rules.rules() {
        let text = format!("rules:\n  - {}", serde_json::to_string(&r.def).unwrap());
        let (one, problems) = RuleSet::load(&[("bench", text.as_str())]);
        assert!(problems.is_empty(), "{problems:?}");
        let t = median(11, || {
            std::hint::black_box(validate(&design, &catalog, &one, Locale::Ja));
        });
        rows.push((t, r.def.id.clone()));
    }
    let empty = RuleSet::load::<&str, &str>(&[]).0;
    let index_only = median(11, || {
        std::hint::black_box(validate(&design, &catalog, &empty, Locale::Ja));
    });
    rows.sort();
    println!("\nmost expensive rules on 1,000 components (each alone, including indexing {index_only:.3?}):");
    for (t, id) in rows.iter().rev().take(8) {
        println!("  {t:>10.3?}  {id}");
    }
}
