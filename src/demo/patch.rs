//! The three patch types of the Kubernetes API, chosen by the request's Content-Type.

use serde_json::Value;

use super::errors::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// RFC 7386: `application/merge-patch+json`.
    Merge,
    /// RFC 6902: `application/json-patch+json`.
    Json,
    /// `application/strategic-merge-patch+json`, for built-in kinds only.
    Strategic,
}

impl PatchType {
    pub fn from_content_type(content_type: &str) -> ApiResult<Self> {
        let media = content_type.split(';').next().unwrap_or_default().trim();
        match media {
            "application/merge-patch+json" => Ok(PatchType::Merge),
            "application/json-patch+json" => Ok(PatchType::Json),
            "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
            _ => Err(ApiError::unsupported_media_type(media)),
        }
    }
}

/// Applies a patch body to `original`. A JSON patch is applied whole or not at all:
/// a failing `test` op leaves the object unchanged.
pub fn apply(
    patch_type: PatchType,
    original: &Value,
    body: &[u8],
    custom: bool,
) -> ApiResult<Value> {
    let patch: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
    match patch_type {
        PatchType::Merge => {
            if !patch.is_object() {
                return Err(ApiError::bad_request(
                    "error decoding patch: a merge patch must be a JSON object",
                ));
            }
            let mut result = original.clone();
            json_patch::merge(&mut result, &patch);
            Ok(result)
        }
        PatchType::Json => {
            let operations: json_patch::Patch = serde_json::from_value(patch)
                .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
            let mut result = original.clone();
            json_patch::patch(&mut result, &operations)
                .map_err(|e| ApiError::unprocessable(e.to_string()))?;
            Ok(result)
        }
        PatchType::Strategic if custom => Err(ApiError::unsupported_media_type(
            "application/strategic-merge-patch+json (strategic merge patch is not supported for custom resources)",
        )),
        PatchType::Strategic => super::strategic::apply(original, &patch)
            .map_err(|e| ApiError::bad_request(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_null_deletes() {
        let original = json!({"spec": {"paused": true, "replicas": 2}});
        let result = apply(
            PatchType::Merge,
            &original,
            br#"{"spec":{"paused":null}}"#,
            false,
        )
        .unwrap();
        assert_eq!(result, json!({"spec": {"replicas": 2}}));
    }

    #[test]
    fn failing_test_op_changes_nothing() {
        let original = json!({"spec": {"w": [90, 10]}});
        let body = br#"[{"op":"replace","path":"/spec/w/0","value":75},{"op":"test","path":"/spec/w/1","value":99}]"#;
        let error = apply(PatchType::Json, &original, body, false).unwrap_err();
        assert_eq!(error.code, 422);
        assert_eq!(original, json!({"spec": {"w": [90, 10]}}));
    }

    #[test]
    fn malformed_and_unknown_types_are_rejected() {
        assert_eq!(
            apply(PatchType::Merge, &json!({}), b"{", false)
                .unwrap_err()
                .code,
            400
        );
        assert_eq!(
            PatchType::from_content_type("application/apply-patch+yaml")
                .unwrap_err()
                .code,
            415
        );
        assert_eq!(
            apply(PatchType::Strategic, &json!({}), b"{}", true)
                .unwrap_err()
                .code,
            415
        );
    }
}
