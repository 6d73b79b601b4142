//! One autopilot per release, across machines: a `coordination.k8s.io/v1` Lease named
//! `kshift-autopilot-<release>` in the release's namespace, held while driving it,
//! renewed every interval, taken over only once expired (and then only if nobody else
//! wrote it since it was read: its resourceVersion), deleted on exit.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease as LeaseObject, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Client;
use kube::api::{Api, DeleteParams, PostParams, Preconditions};

/// Why the lease could not be taken or kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaseError {
    /// Someone else holds it and it has not expired: who, in words.
    Held(String),
    /// The API failed.
    Api(String),
}

impl std::fmt::Display for LeaseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LeaseError::Held(m) | LeaseError::Api(m) => f.write_str(m),
        }
    }
}

/// The Lease's name for a release.
pub fn name_for(release: &str) -> String {
    format!("kshift-autopilot-{release}")
}

/// `leaseDurationSeconds` for an interval: three intervals, at least 15 s.
pub fn duration_for(interval: Duration) -> i32 {
    let seconds = interval.as_secs_f64().ceil() * 3.0;
    seconds.clamp(15.0, f64::from(i32::MAX)) as i32
}

/// `<user>@<hostname>/<pid>`.
pub fn identity(user: &str) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown-host".into());
    format!("{user}@{host}/{}", std::process::id())
}

/// Whether a lease's holder has let it lapse at `now`: no holder, no renewal time, or a
/// renewal older than its duration.
pub fn expired(spec: &LeaseSpec, now: jiff::Timestamp) -> bool {
    let holder = spec.holder_identity.as_deref().unwrap_or_default();
    let renewed = spec.renew_time.as_ref().or(spec.acquire_time.as_ref());
    match (holder.is_empty(), renewed) {
        (true, _) | (false, None) => true,
        (false, Some(renewed)) => {
            let duration = i64::from(spec.lease_duration_seconds.unwrap_or(0).max(0));
            renewed.0.as_second().saturating_add(duration) < now.as_second()
        }
    }
}

/// A lease this process holds.
pub struct Lease {
    api: Api<LeaseObject>,
    object: LeaseObject,
    pub holder: String,
}

fn api_error(what: &str, error: kube::Error) -> LeaseError {
    LeaseError::Api(format!("{what} the autopilot's lease: {error}"))
}

fn held_by(name: &str, spec: &LeaseSpec, now: jiff::Timestamp) -> LeaseError {
    let holder = spec.holder_identity.as_deref().unwrap_or("(nobody)");
    let left = spec
        .renew_time
        .as_ref()
        .map(|r| {
            r.0.as_second() + i64::from(spec.lease_duration_seconds.unwrap_or(0)) - now.as_second()
        })
        .map_or_else(String::new, |s| {
            format!(" (it expires in {}s unless renewed)", s.max(0))
        });
    LeaseError::Held(format!(
        "another autopilot drives this release: Lease {name} is held by {holder}{left}"
    ))
}

impl Lease {
    /// Takes the lease for `release` in `namespace`: creates it, or takes over an expired
    /// one; refuses when another holder has it.
    pub async fn acquire(
        client: Client,
        namespace: &str,
        release: &str,
        holder: &str,
        duration_s: i32,
    ) -> Result<Lease, LeaseError> {
        let api: Api<LeaseObject> = Api::namespaced(client, namespace);
        let name = name_for(release);
        let now = jiff::Timestamp::now();
        let spec = LeaseSpec {
            holder_identity: Some(holder.to_string()),
            lease_duration_seconds: Some(duration_s),
            acquire_time: Some(MicroTime(now)),
            renew_time: Some(MicroTime(now)),
            lease_transitions: Some(0),
            ..LeaseSpec::default()
        };
        let found = api
            .get_opt(&name)
            .await
            .map_err(|e| api_error("reading", e))?;
        let written = match found {
            None => {
                let fresh = LeaseObject {
                    metadata: ObjectMeta {
                        name: Some(name.clone()),
                        namespace: Some(namespace.to_string()),
                        // So that consoles watch these Leases and no others.
                        labels: Some(
                            [(
                                "app.kubernetes.io/managed-by".to_string(),
                                "kshift".to_string(),
                            )]
                            .into(),
                        ),
                        ..ObjectMeta::default()
                    },
                    spec: Some(spec),
                };
                api.create(&PostParams::default(), &fresh).await
            }
            Some(current) => {
                let current_spec = current.spec.clone().unwrap_or_default();
                if !expired(&current_spec, now) {
                    return Err(held_by(&name, &current_spec, now));
                }
                // Taken over with the resourceVersion read: if another autopilot got
                // there first, the write is refused with a conflict.
                let mut taken = current;
                taken.spec = Some(LeaseSpec {
                    lease_transitions: Some(current_spec.lease_transitions.unwrap_or(0) + 1),
                    ..spec
                });
                api.replace(&name, &PostParams::default(), &taken).await
            }
        };
        match written {
            Ok(object) => Ok(Lease {
                api,
                object,
                holder: holder.to_string(),
            }),
            Err(kube::Error::Api(status)) if status.code == 409 => {
                // Someone else created or took it between the read and the write.
                let spec = api
                    .get_opt(&name)
                    .await
                    .ok()
                    .flatten()
                    .and_then(|l| l.spec)
                    .unwrap_or_default();
                Err(held_by(&name, &spec, jiff::Timestamp::now()))
            }
            Err(error) => Err(api_error("taking", error)),
        }
    }

    /// Renews the lease (`renewTime` = now), guarded by its resourceVersion: a conflict
    /// means someone else wrote it, and the lease is lost.
    pub async fn renew(&mut self) -> Result<(), LeaseError> {
        let mut renewed = self.object.clone();
        if let Some(spec) = renewed.spec.as_mut() {
            spec.renew_time = Some(MicroTime(jiff::Timestamp::now()));
        }
        let name = renewed.metadata.name.clone().unwrap_or_default();
        match self
            .api
            .replace(&name, &PostParams::default(), &renewed)
            .await
        {
            Ok(object) => {
                self.object = object;
                Ok(())
            }
            Err(kube::Error::Api(status)) if matches!(status.code, 404 | 409) => {
                Err(LeaseError::Api(format!(
                    "lost the autopilot's lease {name}: it was changed or deleted by someone else"
                )))
            }
            Err(error) => Err(api_error("renewing", error)),
        }
    }

    /// Deletes the lease, unless someone else has written it since (resourceVersion).
    pub async fn release(self) -> Result<(), LeaseError> {
        let name = self.object.metadata.name.clone().unwrap_or_default();
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: self.object.metadata.resource_version.clone(),
                uid: None,
            }),
            ..DeleteParams::default()
        };
        match self.api.delete(&name, &params).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
            Err(error) => Err(api_error("releasing", error)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(seconds).expect("a valid time")
    }

    fn spec(holder: Option<&str>, renewed: Option<i64>, duration: i32) -> LeaseSpec {
        LeaseSpec {
            holder_identity: holder.map(String::from),
            renew_time: renewed.map(|s| MicroTime(at(s))),
            lease_duration_seconds: Some(duration),
            ..LeaseSpec::default()
        }
    }

    #[test]
    fn a_lease_expires_after_its_duration_from_the_last_renewal() {
        let held = spec(Some("ann@laptop/12"), Some(1_000), 15);
        assert!(!expired(&held, at(1_000)));
        assert!(!expired(&held, at(1_015)));
        assert!(expired(&held, at(1_016)));
        assert!(expired(&spec(None, Some(1_000), 15), at(1_000)));
        assert!(expired(&spec(Some(""), Some(1_000), 15), at(1_000)));
        assert!(expired(&spec(Some("ann"), None, 15), at(1_000)));
    }

    #[test]
    fn durations_names_and_the_refusal() {
        assert_eq!(duration_for(Duration::from_secs(30)), 90);
        assert_eq!(duration_for(Duration::from_secs(1)), 15);
        assert_eq!(duration_for(Duration::from_millis(5_500)), 18);
        assert_eq!(name_for("reviews"), "kshift-autopilot-reviews");
        assert!(identity("ann").starts_with("ann@"));
        assert!(identity("ann").ends_with(&format!("/{}", std::process::id())));
        let refusal = held_by(
            "kshift-autopilot-reviews",
            &spec(Some("bob@ci/7"), Some(1_000), 15),
            at(1_005),
        );
        assert_eq!(
            refusal.to_string(),
            "another autopilot drives this release: Lease kshift-autopilot-reviews is held by bob@ci/7 (it expires in 10s unless renewed)"
        );
    }
}
