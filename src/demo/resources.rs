//! The resource types the embedded cluster serves: the built-in kinds kshift and kubectl
//! use, and the kinds that CustomResourceDefinitions register at run time.

use serde_json::Value;

/// Where the objects of a resource live in the store. Two API resources may share one
/// store (core/v1 and events.k8s.io/v1 `Event`), as on a real cluster.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StoreKey {
    pub group: String,
    pub plural: String,
}

impl StoreKey {
    pub fn new(group: &str, plural: &str) -> Self {
        StoreKey {
            group: group.to_string(),
            plural: plural.to_string(),
        }
    }
}

/// How a resource's objects are presented: as stored, or converted on the way in and out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Plain,
    /// events.k8s.io/v1 over the core/v1 Event store.
    EventsV1,
}

/// What a resource is for the API: stored objects, or a review answered at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Stored,
    AccessReview,
    IdentityReview,
}

/// Where the scale subresource reads and writes replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScalePaths {
    pub spec_replicas: String,
    pub status_replicas: String,
    pub label_selector: Option<String>,
}

/// One column of `kubectl get`'s table, as a CRD's `additionalPrinterColumns` declares it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrinterColumn {
    pub name: String,
    pub kind: String,
    pub json_path: String,
}

#[derive(Debug, Clone)]
pub struct ResourceType {
    pub group: String,
    /// Served versions; the first is the preferred (and storage) version.
    pub versions: Vec<String>,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub namespaced: bool,
    pub status_subresource: bool,
    pub scale: Option<ScalePaths>,
    pub store: StoreKey,
    pub view: View,
    pub behaviour: Behaviour,
    pub printer_columns: Vec<PrinterColumn>,
    /// Set for kinds registered by a CustomResourceDefinition (its name).
    pub crd: Option<String>,
}

impl ResourceType {
    pub fn api_version(&self, version: &str) -> String {
        if self.group.is_empty() {
            version.to_string()
        } else {
            format!("{}/{version}", self.group)
        }
    }

    pub fn preferred_version(&self) -> &str {
        &self.versions[0]
    }

    pub fn verbs(&self) -> Vec<&'static str> {
        match self.behaviour {
            Behaviour::Stored => vec![
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ],
            Behaviour::AccessReview | Behaviour::IdentityReview => vec!["create"],
        }
    }

    pub fn serves(&self, version: &str) -> bool {
        self.versions.iter().any(|v| v == version)
    }
}

/// A built-in kind, from a compact description.
struct Builtin {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
    status: bool,
    scale: bool,
    all: bool,
}

#[rustfmt::skip]
const BUILTINS: &[Builtin] = &[
    Builtin { group: "", version: "v1", kind: "Namespace", plural: "namespaces", short: &["ns"], namespaced: false, status: true, scale: false, all: false },
    Builtin { group: "", version: "v1", kind: "Service", plural: "services", short: &["svc"], namespaced: true, status: true, scale: false, all: true },
    Builtin { group: "", version: "v1", kind: "Pod", plural: "pods", short: &["po"], namespaced: true, status: true, scale: false, all: true },
    Builtin { group: "", version: "v1", kind: "Event", plural: "events", short: &["ev"], namespaced: true, status: false, scale: false, all: false },
    Builtin { group: "", version: "v1", kind: "ConfigMap", plural: "configmaps", short: &["cm"], namespaced: true, status: false, scale: false, all: false },
    Builtin { group: "apps", version: "v1", kind: "Deployment", plural: "deployments", short: &["deploy"], namespaced: true, status: true, scale: true, all: true },
    Builtin { group: "apps", version: "v1", kind: "ReplicaSet", plural: "replicasets", short: &["rs"], namespaced: true, status: true, scale: true, all: true },
    Builtin { group: "networking.k8s.io", version: "v1", kind: "Ingress", plural: "ingresses", short: &["ing"], namespaced: true, status: true, scale: false, all: false },
    Builtin { group: "events.k8s.io", version: "v1", kind: "Event", plural: "events", short: &["ev"], namespaced: true, status: false, scale: false, all: false },
    Builtin { group: "apiextensions.k8s.io", version: "v1", kind: "CustomResourceDefinition", plural: "customresourcedefinitions", short: &["crd", "crds"], namespaced: false, status: true, scale: false, all: false },
    Builtin { group: "coordination.k8s.io", version: "v1", kind: "Lease", plural: "leases", short: &[], namespaced: true, status: false, scale: false, all: false },
    Builtin { group: "authorization.k8s.io", version: "v1", kind: "SelfSubjectAccessReview", plural: "selfsubjectaccessreviews", short: &[], namespaced: false, status: false, scale: false, all: false },
    Builtin { group: "authentication.k8s.io", version: "v1", kind: "SelfSubjectReview", plural: "selfsubjectreviews", short: &[], namespaced: false, status: false, scale: false, all: false },
];

fn builtin(b: &Builtin) -> ResourceType {
    let (store, view) = if b.group == "events.k8s.io" {
        (StoreKey::new("", "events"), View::EventsV1)
    } else {
        (StoreKey::new(b.group, b.plural), View::Plain)
    };
    let behaviour = match b.plural {
        "selfsubjectaccessreviews" => Behaviour::AccessReview,
        "selfsubjectreviews" => Behaviour::IdentityReview,
        _ => Behaviour::Stored,
    };
    ResourceType {
        group: b.group.to_string(),
        versions: vec![b.version.to_string()],
        kind: b.kind.to_string(),
        plural: b.plural.to_string(),
        singular: b.kind.to_lowercase(),
        short_names: b.short.iter().map(|s| s.to_string()).collect(),
        categories: if b.all {
            vec!["all".to_string()]
        } else {
            vec![]
        },
        namespaced: b.namespaced,
        status_subresource: b.status,
        scale: b.scale.then(|| ScalePaths {
            spec_replicas: ".spec.replicas".to_string(),
            status_replicas: ".status.replicas".to_string(),
            label_selector: None,
        }),
        store,
        view,
        behaviour,
        printer_columns: vec![],
        crd: None,
    }
}

/// The resource types a CustomResourceDefinition registers, or why it cannot.
pub fn from_crd(crd: &Value) -> Result<ResourceType, String> {
    let spec = &crd["spec"];
    let text = |v: &Value, what: &str| -> Result<String, String> {
        v.as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or_else(|| format!("{what}: Required value"))
    };
    let group = text(&spec["group"], "spec.group")?;
    let names = &spec["names"];
    let plural = text(&names["plural"], "spec.names.plural")?;
    let kind = text(&names["kind"], "spec.names.kind")?;
    let singular = names["singular"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_lowercase());
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let versions: Vec<&Value> = spec["versions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|v| v["served"].as_bool() == Some(true))
                .collect()
        })
        .unwrap_or_default();
    if versions.is_empty() {
        return Err(
            "spec.versions: Invalid value: must have exactly one version marked as served".into(),
        );
    }
    // The storage version is listed first: it is the one discovery prefers.
    let mut served: Vec<String> = Vec::new();
    for v in &versions {
        let name = text(&v["name"], "spec.versions[].name")?;
        if v["storage"].as_bool() == Some(true) {
            served.insert(0, name);
        } else {
            served.push(name);
        }
    }
    let preferred = versions
        .iter()
        .find(|v| v["storage"].as_bool() == Some(true))
        .unwrap_or(&versions[0]);
    let subresources = &preferred["subresources"];
    let scale = subresources["scale"].as_object().map(|s| ScalePaths {
        spec_replicas: s
            .get("specReplicasPath")
            .and_then(Value::as_str)
            .unwrap_or(".spec.replicas")
            .to_string(),
        status_replicas: s
            .get("statusReplicasPath")
            .and_then(Value::as_str)
            .unwrap_or(".status.replicas")
            .to_string(),
        label_selector: s
            .get("labelSelectorPath")
            .and_then(Value::as_str)
            .map(str::to_string),
    });
    let printer_columns = preferred["additionalPrinterColumns"]
        .as_array()
        .map(|cols| {
            cols.iter()
                .filter(|c| c["priority"].as_i64().unwrap_or(0) == 0)
                .filter_map(|c| {
                    Some(PrinterColumn {
                        name: c["name"].as_str()?.to_string(),
                        kind: c["type"].as_str().unwrap_or("string").to_string(),
                        json_path: c["jsonPath"].as_str()?.to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(ResourceType {
        store: StoreKey::new(&group, &plural),
        group,
        versions: served,
        kind,
        plural,
        singular,
        short_names: strings(&names["shortNames"]),
        categories: strings(&names["categories"]),
        namespaced: spec["scope"].as_str() != Some("Cluster"),
        status_subresource: subresources["status"].is_object(),
        scale,
        view: View::Plain,
        behaviour: Behaviour::Stored,
        printer_columns,
        crd: crd["metadata"]["name"].as_str().map(str::to_string),
    })
}

/// Every resource type served right now: the built-ins, then the registered CRDs.
#[derive(Debug, Clone)]
pub struct Registry {
    types: Vec<ResourceType>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry {
            types: BUILTINS.iter().map(builtin).collect(),
        }
    }
}

impl Registry {
    pub fn all(&self) -> &[ResourceType] {
        &self.types
    }

    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| t.group == group && t.plural == plural && t.serves(version))
    }

    /// The type stored under `store`, as it is stored (not a converted view).
    pub fn by_store(&self, store: &StoreKey) -> Option<&ResourceType> {
        self.types
            .iter()
            .find(|t| &t.store == store && t.view == View::Plain)
    }

    pub fn by_kind(&self, api_version: &str, kind: &str) -> Option<&ResourceType> {
        let (group, version) = split_api_version(api_version);
        self.types
            .iter()
            .find(|t| t.group == group && t.kind == kind && t.serves(version))
    }

    /// Registers (or replaces) the kinds of a CRD.
    pub fn register(&mut self, resource: ResourceType) {
        self.types
            .retain(|t| !(t.group == resource.group && t.plural == resource.plural));
        self.types.push(resource);
    }

    pub fn unregister_crd(&mut self, crd_name: &str) {
        self.types.retain(|t| t.crd.as_deref() != Some(crd_name));
    }

    /// Groups in discovery order: core first, built-ins next, then CRD groups by name.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for t in &self.types {
            match groups.iter_mut().find(|(g, _)| g == &t.group) {
                Some((_, versions)) => {
                    for v in &t.versions {
                        if !versions.contains(v) {
                            versions.push(v.clone());
                        }
                    }
                }
                None => groups.push((t.group.clone(), t.versions.clone())),
            }
        }
        groups
    }
}

pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((group, version)) => (group, version),
        None => ("", api_version),
    }
}
