//! The Kubernetes side: connecting, listing and watching the objects release
//! recognition needs, and recognising releases in them.

pub mod connect;
pub mod discover;
pub mod errors;
pub mod fetch;
mod routers;
pub mod sources;
pub mod watch;
