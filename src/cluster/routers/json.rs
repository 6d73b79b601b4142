//! Lenient readers for objects as the API returns them: a missing field or a
//! value of the wrong type reads as absent instead of failing.

use std::borrow::Cow;

use serde_json::Value;

/// The value at a path of object keys (keys may hold `/` or `.`, as annotations do).
pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, key| v.get(key))
}

pub(crate) fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

/// The elements of the array at `path`, or none.
pub(crate) fn array_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

pub(crate) fn name(v: &Value) -> &str {
    str_at(v, &["metadata", "name"]).unwrap_or("")
}

pub(crate) fn annotation<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    str_at(v, &["metadata", "annotations", key])
}

/// A label value: strings as they are, numbers and booleans as their text
/// (hand-written YAML often leaves `version: 2` unquoted).
pub(crate) fn scalar(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(s)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// The pairs of a label map (non-scalar values are left out).
pub(crate) fn label_pairs<'a>(v: Option<&'a Value>) -> Vec<(&'a str, Cow<'a, str>)> {
    v.and_then(Value::as_object)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| scalar(v).map(|v| (k.as_str(), v)))
                .collect()
        })
        .unwrap_or_default()
}

/// The pairs of a selector map, or none when a value is not a scalar: such a
/// selector is unreadable, and reading part of it would select too much.
pub(crate) fn selector_pairs(v: Option<&Value>) -> Option<Vec<(&str, Cow<'_, str>)>> {
    let pairs = label_pairs(v);
    let len = v.and_then(Value::as_object).map_or(0, serde_json::Map::len);
    (pairs.len() == len).then_some(pairs)
}

/// The value of `key` in a label map.
pub(crate) fn label<'a>(map: Option<&'a Value>, key: &str) -> Option<Cow<'a, str>> {
    map.and_then(|m| m.get(key)).and_then(scalar)
}

/// A number, also from a numeric string ("3", " 2.5 ").
pub(crate) fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|f| f.is_finite())
}

/// A whole number, also from a numeric string; fractions are cut off.
pub(crate) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().or_else(|| number(v).map(|f| f as i64)),
        _ => number(v).map(|f| f as i64),
    }
}

pub(crate) fn int_at(v: &Value, path: &[&str]) -> Option<i64> {
    at(v, path).and_then(int)
}

/// A number read from a field that should hold one, with a note when it had to
/// be read from a string or could not be read at all.
pub(crate) enum Num {
    Missing,
    Ok(f64),
    /// A string holding a number: usable, but worth a warning.
    FromString(f64),
    Invalid,
}

pub(crate) fn num_field(v: Option<&Value>) -> Num {
    match v {
        None | Some(Value::Null) => Num::Missing,
        Some(Value::Number(n)) => n.as_f64().map_or(Num::Invalid, Num::Ok),
        Some(Value::String(s)) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map_or(Num::Invalid, Num::FromString),
        Some(_) => Num::Invalid,
    }
}

/// A Kubernetes Quantity (`100`, `"500m"`, `"1"`, `"1k"`, `"2Ki"`, `"1e3"`), as
/// SMI v1alpha1 weights are written.
pub(crate) fn quantity(v: &Value) -> Option<f64> {
    let s = match v {
        Value::Number(n) => return n.as_f64(),
        Value::String(s) => s.trim(),
        _ => return None,
    };
    // Binary suffixes first: "Ki" must not be read as "i" after "K".
    const SUFFIXES: [(&str, f64); 16] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
        ("n", 1e-9),
        ("u", 1e-6),
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
        ("", 1.0),
    ];
    SUFFIXES.iter().find_map(|(suffix, factor)| {
        let digits = s.strip_suffix(suffix)?;
        let value = digits.parse::<f64>().ok()? * factor;
        value.is_finite().then_some(value)
    })
}

/// The tag of an image reference (`repo:1.4.2` → `1.4.2`); a digest gives its
/// first 12 hex digits; no tag means `latest`.
pub(crate) fn image_tag(image: &str) -> &str {
    if let Some((_, digest)) = image.split_once('@') {
        let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
        return hex.get(..12).unwrap_or(hex);
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) if !tag.is_empty() => tag,
        _ => "latest",
    }
}

/// The images of a pod template's containers, in order.
pub(crate) fn images(template: Option<&Value>) -> Vec<String> {
    template
        .map(|t| array_at(t, &["spec", "containers"]))
        .unwrap_or_default()
        .iter()
        .filter_map(|c| c.get("image").and_then(Value::as_str))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities() {
        assert_eq!(quantity(&json!(100)), Some(100.0));
        assert_eq!(quantity(&json!("500m")), Some(0.5));
        assert_eq!(quantity(&json!("1")), Some(1.0));
        assert_eq!(quantity(&json!("1k")), Some(1000.0));
        assert_eq!(quantity(&json!("2Ki")), Some(2048.0));
        assert_eq!(quantity(&json!("1e3")), Some(1000.0));
        assert_eq!(quantity(&json!("abc")), None);
        assert_eq!(quantity(&json!("1x")), None);
        assert_eq!(quantity(&json!({"a": 1})), None);
    }

    #[test]
    fn tags() {
        assert_eq!(image_tag("ghcr.io/kshift-demo/cart:1.4.2"), "1.4.2");
        assert_eq!(image_tag("localhost:5000/cart"), "latest");
        assert_eq!(image_tag("nginx"), "latest");
        assert_eq!(image_tag("nginx@sha256:0123456789abcdef"), "0123456789ab");
        assert_eq!(image_tag("nginx@short"), "short");
    }

    #[test]
    fn numbers() {
        assert_eq!(int(&json!("3")), Some(3));
        assert_eq!(int(&json!(2.7)), Some(2));
        assert_eq!(int(&json!(true)), None);
        assert_eq!(number(&json!("x")), None);
        assert!(matches!(
            num_field(Some(&json!("20"))),
            Num::FromString(20.0)
        ));
        assert!(matches!(num_field(Some(&json!([]))), Num::Invalid));
        assert!(matches!(num_field(None), Num::Missing));
    }
}
