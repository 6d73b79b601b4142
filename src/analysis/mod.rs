//! Judging a release from its metrics: the canary verdict (`verdict`), on a Bayesian
//! model of error rates (`beta`) and latency ceilings.

mod beta;
pub mod release;
pub mod verdict;

pub use release::{baseline, candidate, limits_of, may_fail_of, verdict_of};
pub use verdict::{Sample, State, Thresholds, Verdict, judge, may_fail, thresholds_for};
