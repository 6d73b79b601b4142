//! kshift: a terminal console for progressive delivery on Kubernetes.

pub mod actions;
pub mod ages;
pub mod alerts;
pub mod analysis;
pub mod app;
pub mod autopilot;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod console;
pub mod demo;
pub mod input;
pub mod metrics;
pub mod model;
pub mod output;
pub mod redact;
pub mod screenshot;
pub mod ui;
