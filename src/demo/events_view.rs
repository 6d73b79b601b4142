//! core/v1 `Event` and events.k8s.io/v1 `Event` are two views of one store, as on a
//! real cluster: objects are stored in the core form and converted on the way in and out.

use serde_json::{Map, Value};

/// (core/v1 field, events.k8s.io/v1 field) for the fields that only change name.
const RENAMED: &[(&str, &str)] = &[
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
    ("source", "deprecatedSource"),
    ("reportingComponent", "reportingController"),
];

fn rename(object: &Value, to_v1: bool) -> Value {
    let Some(fields) = object.as_object() else {
        return object.clone();
    };
    let mut out = Map::new();
    for (key, value) in fields {
        let renamed = RENAMED.iter().find_map(|(core, v1)| {
            if to_v1 && key == core {
                Some(*v1)
            } else if !to_v1 && key == v1 {
                Some(*core)
            } else {
                None
            }
        });
        out.insert(renamed.unwrap_or(key).to_string(), value.clone());
    }
    Value::Object(out)
}

/// The events.k8s.io/v1 form of a stored core/v1 Event.
pub fn to_events_v1(core: &Value) -> Value {
    rename(core, true)
}

/// The stored core/v1 form of an events.k8s.io/v1 Event.
pub fn to_core(v1: &Value) -> Value {
    rename(v1, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn views_round_trip() {
        let core = json!({"involvedObject": {"kind": "Deployment", "name": "web"}, "message": "scaled", "reason": "Scaled"});
        let v1 = to_events_v1(&core);
        assert_eq!(v1["regarding"]["name"], "web");
        assert_eq!(v1["note"], "scaled");
        assert_eq!(to_core(&v1), core);
    }
}
