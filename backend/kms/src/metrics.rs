use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of KMS calls and DEK cache use, rendered in the Prometheus text format.
#[derive(Debug, Default)]
pub struct Metrics {
    generate_ok: AtomicU64,
    generate_err: AtomicU64,
    unwrap_ok: AtomicU64,
    unwrap_err: AtomicU64,
    cache_hit: AtomicU64,
    cache_miss: AtomicU64,
}

impl Metrics {
    pub(crate) fn generated(&self, ok: bool) {
        let c = if ok {
            &self.generate_ok
        } else {
            &self.generate_err
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn unwrapped(&self, ok: bool) {
        let c = if ok {
            &self.unwrap_ok
        } else {
            &self.unwrap_err
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn cache(&self, hit: bool) {
        let c = if hit {
            &self.cache_hit
        } else {
            &self.cache_miss
        };
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Total KMS calls so far (generate + unwrap, successful or not).
    pub fn kms_calls(&self) -> u64 {
        [
            &self.generate_ok,
            &self.generate_err,
            &self.unwrap_ok,
            &self.unwrap_err,
        ]
        .iter()
        .map(|c| c.load(Ordering::Relaxed))
        .sum()
    }

    /// The counters as Prometheus text exposition lines.
    pub fn render(&self) -> String {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP ironbrick_kms_requests_total KMS calls by operation and result."
        );
        let _ = writeln!(out, "# TYPE ironbrick_kms_requests_total counter");
        for (op, result, c) in [
            ("generate_data_key", "ok", &self.generate_ok),
            ("generate_data_key", "error", &self.generate_err),
            ("unwrap", "ok", &self.unwrap_ok),
            ("unwrap", "error", &self.unwrap_err),
        ] {
            let _ = writeln!(
                out,
                "ironbrick_kms_requests_total{{op=\"{op}\",result=\"{result}\"}} {}",
                get(c)
            );
        }
        let _ = writeln!(
            out,
            "# HELP ironbrick_dek_cache_lookups_total Data key cache lookups by outcome."
        );
        let _ = writeln!(out, "# TYPE ironbrick_dek_cache_lookups_total counter");
        let _ = writeln!(
            out,
            "ironbrick_dek_cache_lookups_total{{outcome=\"hit\"}} {}",
            get(&self.cache_hit)
        );
        let _ = writeln!(
            out,
            "ironbrick_dek_cache_lookups_total{{outcome=\"miss\"}} {}",
            get(&self.cache_miss)
        );
        out
    }
}
