//! The object store: every object by resource, namespace and name, one monotonic
//! resourceVersion, a bounded history of changes for watches that resume, and a
//! broadcast of each change for the watches that are open.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;
use tokio::sync::broadcast;

use super::resources::StoreKey;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "ADDED",
            ChangeKind::Modified => "MODIFIED",
            ChangeKind::Deleted => "DELETED",
        }
    }
}

/// One committed write, as watches see it.
#[derive(Debug)]
pub struct Change {
    pub resource_version: u64,
    pub kind: ChangeKind,
    pub store: StoreKey,
    pub namespace: String,
    pub object: Arc<Value>,
    /// The object before this change, so a filtered watch can tell "left the selection".
    pub previous: Option<Arc<Value>>,
}

/// A stored object's address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectRef {
    pub store: StoreKey,
    pub namespace: String,
    pub name: String,
}

type Objects = BTreeMap<(String, String), Arc<Value>>;

pub struct Store {
    objects: HashMap<StoreKey, Objects>,
    /// uid of an owner -> the objects whose ownerReferences name it (garbage collection).
    owned: HashMap<String, BTreeSet<ObjectRef>>,
    resource_version: u64,
    history: VecDeque<Arc<Change>>,
    history_limit: usize,
    changes: broadcast::Sender<Arc<Change>>,
}

/// How many changes a slow watcher may fall behind before its watch is closed.
const BROADCAST_CAPACITY: usize = 4096;

pub fn meta_str<'a>(object: &'a Value, field: &str) -> &'a str {
    object["metadata"][field].as_str().unwrap_or_default()
}

fn owner_uids(object: &Value) -> Vec<String> {
    object["metadata"]["ownerReferences"]
        .as_array()
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r["uid"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl Store {
    pub fn new(history_limit: usize) -> Self {
        let (changes, _) = broadcast::channel(BROADCAST_CAPACITY);
        Store {
            objects: HashMap::new(),
            owned: HashMap::new(),
            resource_version: 1,
            history: VecDeque::new(),
            history_limit: history_limit.max(1),
            changes,
        }
    }

    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    pub fn get(&self, store: &StoreKey, namespace: &str, name: &str) -> Option<Arc<Value>> {
        self.objects
            .get(store)?
            .get(&(namespace.to_string(), name.to_string()))
            .cloned()
    }

    /// Objects of one resource, sorted by namespace and name; `None` is every namespace.
    pub fn list(&self, store: &StoreKey, namespace: Option<&str>) -> Vec<Arc<Value>> {
        let Some(objects) = self.objects.get(store) else {
            return Vec::new();
        };
        match namespace {
            None => objects.values().cloned().collect(),
            Some(ns) => objects
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, o)| o.clone())
                .collect(),
        }
    }

    pub fn count(&self, store: &StoreKey) -> usize {
        self.objects.get(store).map_or(0, BTreeMap::len)
    }

    /// The objects that name `uid` among their owners.
    pub fn owned_by(&self, uid: &str) -> Vec<ObjectRef> {
        self.owned
            .get(uid)
            .map(|set| set.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Stores `object` (created or replaced) under the next resourceVersion.
    pub fn put(&mut self, store: &StoreKey, mut object: Value) -> Arc<Value> {
        self.resource_version += 1;
        object["metadata"]["resourceVersion"] = Value::String(self.resource_version.to_string());
        let namespace = meta_str(&object, "namespace").to_string();
        let name = meta_str(&object, "name").to_string();
        let object = Arc::new(object);
        let previous = self
            .objects
            .entry(store.clone())
            .or_default()
            .insert((namespace.clone(), name.clone()), object.clone());
        let reference = ObjectRef {
            store: store.clone(),
            namespace: namespace.clone(),
            name,
        };
        if let Some(previous) = &previous {
            self.unindex_owners(previous, &reference);
        }
        for uid in owner_uids(&object) {
            self.owned.entry(uid).or_default().insert(reference.clone());
        }
        let kind = if previous.is_some() {
            ChangeKind::Modified
        } else {
            ChangeKind::Added
        };
        self.record(kind, store, namespace, object.clone(), previous);
        object
    }

    pub fn remove(&mut self, store: &StoreKey, namespace: &str, name: &str) -> Option<Arc<Value>> {
        let removed = self
            .objects
            .get_mut(store)?
            .remove(&(namespace.to_string(), name.to_string()))?;
        let reference = ObjectRef {
            store: store.clone(),
            namespace: namespace.to_string(),
            name: name.to_string(),
        };
        self.unindex_owners(&removed, &reference);
        self.resource_version += 1;
        // A deleted object is delivered with the resourceVersion of its deletion.
        let mut last = (*removed).clone();
        last["metadata"]["resourceVersion"] = Value::String(self.resource_version.to_string());
        let last = Arc::new(last);
        self.record(
            ChangeKind::Deleted,
            store,
            namespace.to_string(),
            last.clone(),
            Some(removed),
        );
        Some(last)
    }

    fn unindex_owners(&mut self, object: &Value, reference: &ObjectRef) {
        for uid in owner_uids(object) {
            if let Some(set) = self.owned.get_mut(&uid) {
                set.remove(reference);
                if set.is_empty() {
                    self.owned.remove(&uid);
                }
            }
        }
    }

    fn record(
        &mut self,
        kind: ChangeKind,
        store: &StoreKey,
        namespace: String,
        object: Arc<Value>,
        previous: Option<Arc<Value>>,
    ) {
        let change = Arc::new(Change {
            resource_version: self.resource_version,
            kind,
            store: store.clone(),
            namespace,
            object,
            previous,
        });
        if self.history.len() == self.history_limit {
            self.history.pop_front();
        }
        self.history.push_back(change.clone());
        // No receiver is not an error: nobody is watching.
        let _ = self.changes.send(change);
    }

    /// The changes after `resource_version`, or `None` when some of them are no longer kept.
    pub fn changes_since(&self, resource_version: u64) -> Option<Vec<Arc<Change>>> {
        if resource_version >= self.resource_version {
            return Some(Vec::new());
        }
        let oldest = self.history.front()?.resource_version;
        if resource_version + 1 < oldest {
            return None;
        }
        Some(
            self.history
                .iter()
                .filter(|c| c.resource_version > resource_version)
                .cloned()
                .collect(),
        )
    }

    /// A receiver of every change committed after this call.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.changes.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment(ns: &str, name: &str) -> Value {
        json!({"metadata": {"namespace": ns, "name": name, "uid": format!("{ns}-{name}")}})
    }

    #[test]
    fn resource_versions_grow_and_history_resumes() {
        let key = StoreKey::new("apps", "deployments");
        let mut store = Store::new(3);
        let start = store.resource_version();
        store.put(&key, deployment("a", "one"));
        store.put(&key, deployment("b", "two"));
        store.remove(&key, "a", "one");
        let since = store.changes_since(start).expect("kept");
        let kinds: Vec<_> = since.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [ChangeKind::Added, ChangeKind::Added, ChangeKind::Deleted]
        );
        store.put(&key, deployment("c", "three"));
        assert!(
            store.changes_since(start).is_none(),
            "oldest change was dropped"
        );
        assert_eq!(store.list(&key, Some("b")).len(), 1);
        assert_eq!(store.list(&key, None).len(), 2);
    }

    #[test]
    fn owner_index_follows_writes() {
        let key = StoreKey::new("apps", "replicasets");
        let mut store = Store::new(10);
        let mut rs = deployment("a", "rs");
        rs["metadata"]["ownerReferences"] = json!([{"uid": "owner"}]);
        store.put(&key, rs);
        assert_eq!(store.owned_by("owner").len(), 1);
        store.put(&key, deployment("a", "rs"));
        assert!(store.owned_by("owner").is_empty());
    }
}
