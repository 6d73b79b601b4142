//! The objects of one namespace, looked up by name, label, owner and
//! annotation, so that recognition never compares every pair of objects.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::Value;

use super::json::{self, at, label_pairs, str_at};

/// The kinds of object a release can be made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum ObjKind {
    Deployment,
    ReplicaSet,
    Service,
    Ingress,
    VirtualService,
    DestinationRule,
    HttpRoute,
    TrafficSplit,
    Rollout,
    Canary,
}

impl ObjKind {
    pub(crate) const ALL: [ObjKind; 10] = [
        ObjKind::Deployment,
        ObjKind::ReplicaSet,
        ObjKind::Service,
        ObjKind::Ingress,
        ObjKind::VirtualService,
        ObjKind::DestinationRule,
        ObjKind::HttpRoute,
        ObjKind::TrafficSplit,
        ObjKind::Rollout,
        ObjKind::Canary,
    ];
    pub(crate) const COUNT: usize = ObjKind::ALL.len();

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ObjKind::Deployment => "Deployment",
            ObjKind::ReplicaSet => "ReplicaSet",
            ObjKind::Service => "Service",
            ObjKind::Ingress => "Ingress",
            ObjKind::VirtualService => "VirtualService",
            ObjKind::DestinationRule => "DestinationRule",
            ObjKind::HttpRoute => "HTTPRoute",
            ObjKind::TrafficSplit => "TrafficSplit",
            ObjKind::Rollout => "Rollout",
            ObjKind::Canary => "Canary",
        }
    }

    /// Objects that carry traffic rules or select pods (where `kshift.dev/paused` counts).
    pub(crate) fn routes_traffic(self) -> bool {
        matches!(
            self,
            ObjKind::Service
                | ObjKind::Ingress
                | ObjKind::VirtualService
                | ObjKind::HttpRoute
                | ObjKind::TrafficSplit
        )
    }
}

/// One object of a namespace: its kind and its place in that kind's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Id {
    pub kind: ObjKind,
    pub index: usize,
}

/// The objects of one kind, sorted by name, one per name.
#[derive(Default)]
pub(crate) struct Table<'a> {
    pub items: Vec<&'a Value>,
    names: Vec<&'a str>,
    by_name: HashMap<&'a str, usize>,
}

impl<'a> Table<'a> {
    fn build(mut entries: Vec<(&'a str, &'a Value)>) -> Self {
        // Stable sort: of two objects with one name (a CRD served under two
        // versions), the first listed stays.
        entries.sort_by(|a, b| a.0.cmp(b.0));
        entries.dedup_by(|a, b| a.0 == b.0);
        let by_name = entries
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (*name, i))
            .collect();
        let (names, items) = entries.into_iter().unzip();
        Table {
            items,
            names,
            by_name,
        }
    }

    pub(crate) fn find(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }
}

/// Label key/value pairs to the objects that carry them.
#[derive(Default)]
pub(crate) struct LabelIndex<'a> {
    postings: HashMap<(&'a str, Cow<'a, str>), Vec<usize>>,
    labels: Vec<Vec<(&'a str, Cow<'a, str>)>>,
}

impl<'a> LabelIndex<'a> {
    fn build(maps: impl Iterator<Item = Option<&'a Value>>) -> Self {
        let mut index = LabelIndex::default();
        for (i, map) in maps.enumerate() {
            let pairs = label_pairs(map);
            for (k, v) in &pairs {
                index.postings.entry((*k, v.clone())).or_default().push(i);
            }
            index.labels.push(pairs);
        }
        index
    }

    /// The labels of object `i`.
    pub(crate) fn labels(&self, i: usize) -> &[(&'a str, Cow<'a, str>)] {
        self.labels.get(i).map_or(&[], Vec::as_slice)
    }

    /// The objects whose labels hold every pair of `selector`, in table order.
    /// An empty selector selects nothing, as a Service without one does.
    pub(crate) fn select(&self, selector: &[(&str, Cow<'_, str>)]) -> Vec<usize> {
        let mut shortest: Option<&Vec<usize>> = None;
        for (k, v) in selector {
            match self.postings.get(&(*k, Cow::Borrowed(v.as_ref()))) {
                None => return Vec::new(),
                Some(list) if shortest.is_none_or(|s| list.len() < s.len()) => {
                    shortest = Some(list)
                }
                Some(_) => {}
            }
        }
        shortest
            .map(|list| {
                list.iter()
                    .copied()
                    .filter(|&i| selector.iter().all(|(k, v)| self.has(i, k, v)))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(crate) fn has(&self, i: usize, key: &str, value: &str) -> bool {
        self.labels(i)
            .iter()
            .any(|(k, v)| *k == key && v.as_ref() == value)
    }

    pub(crate) fn get(&self, i: usize, key: &str) -> Option<&str> {
        self.labels(i)
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_ref())
    }
}

/// Every object of one namespace, indexed.
pub(crate) struct Ns<'a> {
    pub name: &'a str,
    tables: [Table<'a>; ObjKind::COUNT],
    /// Deployments by the labels of their pod template.
    pub pod_labels: LabelIndex<'a>,
    /// ReplicaSets by their own labels.
    pub rs_labels: LabelIndex<'a>,
    /// ReplicaSets by the uid and by the (kind, name) of their owners.
    rs_by_owner_uid: HashMap<&'a str, Vec<usize>>,
    rs_by_owner: HashMap<(&'a str, &'a str), Vec<usize>>,
    /// Objects by the value of `argo-rollouts.argoproj.io/managed-by-rollouts`.
    managed_by: HashMap<&'a str, Vec<Id>>,
}

pub(crate) const MANAGED_BY: &str = "argo-rollouts.argoproj.io/managed-by-rollouts";

/// The raw objects of one namespace with their names, by kind, before indexing.
#[derive(Default)]
pub(crate) struct NsObjects<'a> {
    pub lists: [Vec<(&'a str, &'a Value)>; ObjKind::COUNT],
}

impl<'a> Ns<'a> {
    pub(crate) fn build(name: &'a str, objects: &NsObjects<'a>) -> Self {
        let tables = objects.lists.clone().map(Table::build);
        let pod_labels = LabelIndex::build(
            tables[ObjKind::Deployment as usize]
                .items
                .iter()
                .map(|d| at(d, &["spec", "template", "metadata", "labels"])),
        );
        let replicasets = &tables[ObjKind::ReplicaSet as usize].items;
        let rs_labels =
            LabelIndex::build(replicasets.iter().map(|r| at(r, &["metadata", "labels"])));
        let mut rs_by_owner_uid: HashMap<&str, Vec<usize>> = HashMap::new();
        let mut rs_by_owner: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
        for (i, rs) in replicasets.iter().enumerate() {
            for owner in json::array_at(rs, &["metadata", "ownerReferences"]) {
                if let Some(uid) = str_at(owner, &["uid"]) {
                    rs_by_owner_uid.entry(uid).or_default().push(i);
                }
                if let (Some(kind), Some(name)) =
                    (str_at(owner, &["kind"]), str_at(owner, &["name"]))
                {
                    rs_by_owner.entry((kind, name)).or_default().push(i);
                }
            }
        }
        let mut managed_by: HashMap<&str, Vec<Id>> = HashMap::new();
        // Only Rollouts read these annotations.
        let rollouts = !tables[ObjKind::Rollout as usize].items.is_empty();
        for (kind, table) in ObjKind::ALL.into_iter().zip(&tables).filter(|_| rollouts) {
            for (index, v) in table.items.iter().enumerate() {
                if let Some(owner) = json::annotation(v, MANAGED_BY) {
                    managed_by
                        .entry(owner)
                        .or_default()
                        .push(Id { kind, index });
                }
            }
        }
        Ns {
            name,
            tables,
            pod_labels,
            rs_labels,
            rs_by_owner_uid,
            rs_by_owner,
            managed_by,
        }
    }

    pub(crate) fn table(&self, kind: ObjKind) -> &Table<'a> {
        &self.tables[kind as usize]
    }

    pub(crate) fn items(&self, kind: ObjKind) -> &[&'a Value] {
        &self.tables[kind as usize].items
    }

    pub(crate) fn get(&self, id: Id) -> Option<&'a Value> {
        self.items(id.kind).get(id.index).copied()
    }

    /// The name of an object (as `metadata.name`, read once).
    pub(crate) fn name_of(&self, id: Id) -> &'a str {
        self.table(id.kind)
            .names
            .get(id.index)
            .copied()
            .unwrap_or_default()
    }

    /// The object of `kind` named `name`.
    pub(crate) fn find(&self, kind: ObjKind, name: &str) -> Option<Id> {
        self.table(kind).find(name).map(|index| Id { kind, index })
    }

    /// The ReplicaSets owned by the object with `uid`, or (when none carry it,
    /// as in hand-written objects) by `kind`/`name`.
    pub(crate) fn owned_replicasets(
        &self,
        uid: Option<&str>,
        kind: &str,
        name: &str,
    ) -> Vec<usize> {
        uid.and_then(|uid| self.rs_by_owner_uid.get(uid))
            .or_else(|| self.rs_by_owner.get(&(kind, name)))
            .cloned()
            .unwrap_or_default()
    }

    pub(crate) fn managed_by(&self, rollout: &str) -> &[Id] {
        self.managed_by.get(rollout).map_or(&[], Vec::as_slice)
    }

    /// The Deployments whose pod template a Service with this `spec.selector` selects.
    pub(crate) fn selected_deployments(&self, service: &Value) -> Vec<usize> {
        json::selector_pairs(at(service, &["spec", "selector"]))
            .map(|selector| self.pod_labels.select(&selector))
            .unwrap_or_default()
    }
}

/// Whether `labels` satisfy a LabelSelector (`matchLabels` and `matchExpressions`).
/// An empty or unreadable selector selects nothing.
pub(crate) fn selector_matches(selector: &Value, labels: &LabelIndex<'_>, i: usize) -> bool {
    let Some(match_labels) = json::selector_pairs(selector.get("matchLabels")) else {
        return false;
    };
    let expressions = json::array_at(selector, &["matchExpressions"]);
    if match_labels.is_empty() && expressions.is_empty() {
        return false;
    }
    match_labels.iter().all(|(k, v)| labels.has(i, k, v))
        && expressions.iter().all(|e| {
            let Some(key) = str_at(e, &["key"]) else {
                return false;
            };
            let values: Vec<Cow<'_, str>> = json::array_at(e, &["values"])
                .iter()
                .filter_map(json::scalar)
                .collect();
            let value = labels.get(i, key);
            match str_at(e, &["operator"]) {
                Some("In") => value.is_some_and(|v| values.iter().any(|x| x == v)),
                Some("NotIn") => value.is_none_or(|v| values.iter().all(|x| x != v)),
                Some("Exists") => value.is_some(),
                Some("DoesNotExist") => value.is_none(),
                _ => false,
            }
        })
}
