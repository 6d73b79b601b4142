//! kshift: a terminal console for progressive delivery on Kubernetes.

pub mod cli;
pub mod demo;
