//! Label and field selectors, in the syntax of the Kubernetes API's query parameters.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

/// A parsed `labelSelector`; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<Requirement>);

/// Splits on commas that are not inside parentheses (`a in (x,y),b`).
fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_set(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
    )
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c))
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut requirements = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let requirement = if let Some(key) = part.strip_prefix('!') {
                Requirement::NotExists(key.trim().to_string())
            } else if let Some((key, value)) = part.split_once("!=") {
                Requirement::NotIn(key.trim().to_string(), vec![value.trim().to_string()])
            } else if let Some((key, value)) =
                part.split_once("==").or_else(|| part.split_once('='))
            {
                Requirement::In(key.trim().to_string(), vec![value.trim().to_string()])
            } else if let Some((key, set)) = part.split_once(" notin ") {
                let values = parse_set(set)
                    .ok_or_else(|| format!("unable to parse requirement: {part:?}"))?;
                Requirement::NotIn(key.trim().to_string(), values)
            } else if let Some((key, set)) = part.split_once(" in ") {
                let values = parse_set(set)
                    .ok_or_else(|| format!("unable to parse requirement: {part:?}"))?;
                Requirement::In(key.trim().to_string(), values)
            } else {
                Requirement::Exists(part.to_string())
            };
            let key = match &requirement {
                Requirement::Exists(k)
                | Requirement::NotExists(k)
                | Requirement::In(k, _)
                | Requirement::NotIn(k, _) => k,
            };
            if !valid_key(key) {
                return Err(format!(
                    "unable to parse requirement: invalid label key {key:?}"
                ));
            }
            requirements.push(requirement);
        }
        Ok(LabelSelector(requirements))
    }

    /// A selector from a `matchLabels` map (a Service's selector, a Deployment's matchLabels).
    pub fn from_labels(labels: &serde_json::Map<String, Value>) -> Self {
        LabelSelector(
            labels
                .iter()
                .map(|(k, v)| {
                    Requirement::In(k.clone(), vec![v.as_str().unwrap_or_default().to_string()])
                })
                .collect(),
        )
    }

    pub fn matches(&self, labels: &Value) -> bool {
        let label = |key: &str| labels.get(key).and_then(Value::as_str);
        self.0.iter().all(|r| match r {
            Requirement::Exists(k) => label(k).is_some(),
            Requirement::NotExists(k) => label(k).is_none(),
            Requirement::In(k, values) => label(k).is_some_and(|v| values.iter().any(|x| x == v)),
            Requirement::NotIn(k, values) => label(k).is_none_or(|v| values.iter().all(|x| x != v)),
        })
    }

    pub fn matches_object(&self, object: &Value) -> bool {
        self.0.is_empty() || self.matches(&object["metadata"]["labels"])
    }
}

/// A parsed `fieldSelector`: `path=value` and `path!=value` on dotted paths
/// (`metadata.name`, `metadata.namespace`, `involvedObject.name`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector(Vec<(Vec<String>, bool, String)>);

impl FieldSelector {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (path, equal, value) = if let Some((p, v)) = part.split_once("!=") {
                (p, false, v)
            } else if let Some((p, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (p, true, v)
            } else {
                return Err(format!(
                    "invalid selector: '{part}'; can't understand '{part}'"
                ));
            };
            terms.push((
                path.trim().split('.').map(str::to_string).collect(),
                equal,
                value.trim().to_string(),
            ));
        }
        Ok(FieldSelector(terms))
    }

    pub fn matches(&self, object: &Value) -> bool {
        self.0.iter().all(|(path, equal, value)| {
            let found = path.iter().fold(object, |v, segment| &v[segment.as_str()]);
            let text = match found {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            (text == *value) == *equal
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn label_selector_operators() {
        let labels = json!({"app": "web", "track": "canary"});
        let cases = [
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app in (api,web),track", true),
            ("track notin (canary)", false),
            ("!track", false),
            ("!color", true),
            ("color", false),
            ("color!=blue", true),
            ("", true),
        ];
        for (text, expected) in cases {
            let selector = LabelSelector::parse(text).expect(text);
            assert_eq!(selector.matches(&labels), expected, "{text}");
        }
        assert!(LabelSelector::parse("app in web").is_err());
        assert!(LabelSelector::parse("a b=c").is_err());
    }

    #[test]
    fn field_selector_on_paths() {
        let event = json!({"metadata": {"name": "e1", "namespace": "shop"}, "involvedObject": {"kind": "Deployment"}});
        assert!(
            FieldSelector::parse("metadata.name=e1,involvedObject.kind=Deployment")
                .unwrap()
                .matches(&event)
        );
        assert!(
            !FieldSelector::parse("metadata.namespace!=shop")
                .unwrap()
                .matches(&event)
        );
        assert!(FieldSelector::parse("nonsense").is_err());
    }
}
