//! Just enough of Kubernetes' protobuf encoding to read the access reviews that
//! kubectl's typed clients send as protobuf (`kubectl auth can-i`, `auth whoami`).
//! Other protobuf bodies are refused with 415 (see `http`).

use serde_json::{Value, json};

/// The envelope's magic prefix, before a `runtime.Unknown` message.
const MAGIC: &[u8] = b"k8s\0";

/// One field of a protobuf message: its number and, for length-delimited fields, the bytes.
struct Field<'a> {
    number: u64,
    bytes: Option<&'a [u8]>,
}

fn varint(data: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *data.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn fields(data: &[u8]) -> Option<Vec<Field<'_>>> {
    let mut at = 0;
    let mut out = Vec::new();
    while at < data.len() {
        let key = varint(data, &mut at)?;
        let bytes = match key & 7 {
            0 => {
                varint(data, &mut at)?;
                None
            }
            1 => {
                at += 8;
                None
            }
            2 => {
                let len = usize::try_from(varint(data, &mut at)?).ok()?;
                let slice = data.get(at..at.checked_add(len)?)?;
                at += len;
                Some(slice)
            }
            5 => {
                at += 4;
                None
            }
            _ => return None,
        };
        out.push(Field {
            number: key >> 3,
            bytes,
        });
    }
    (at == data.len()).then_some(out)
}

fn field(data: &[u8], number: u64) -> Option<&[u8]> {
    fields(data)?
        .into_iter()
        .find(|f| f.number == number)
        .and_then(|f| f.bytes)
}

fn string(data: &[u8], number: u64) -> String {
    field(data, number)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

/// The object inside the envelope: its kind and its raw message.
fn unwrap(body: &[u8]) -> Option<(String, &[u8])> {
    let unknown = body.strip_prefix(MAGIC)?;
    let type_meta = field(unknown, 1)?;
    Some((string(type_meta, 2), field(unknown, 2).unwrap_or_default()))
}

/// The JSON form of a protobuf SelfSubjectAccessReview or SelfSubjectReview.
pub fn decode_review(body: &[u8]) -> Option<Value> {
    let (kind, raw) = unwrap(body)?;
    match kind.as_str() {
        "SelfSubjectAccessReview" => {
            let spec = field(raw, 2).unwrap_or_default();
            let mut review =
                json!({"apiVersion": "authorization.k8s.io/v1", "kind": kind, "spec": {}});
            if let Some(attributes) = field(spec, 1) {
                let names = [
                    "namespace",
                    "verb",
                    "group",
                    "version",
                    "resource",
                    "subresource",
                    "name",
                ];
                let map: serde_json::Map<String, Value> = names
                    .iter()
                    .zip(1u64..)
                    .map(|(name, number)| (name.to_string(), json!(string(attributes, number))))
                    .collect();
                review["spec"]["resourceAttributes"] = Value::Object(map);
            } else if let Some(attributes) = field(spec, 2) {
                review["spec"]["nonResourceAttributes"] =
                    json!({"path": string(attributes, 1), "verb": string(attributes, 2)});
            }
            Some(review)
        }
        "SelfSubjectReview" => {
            Some(json!({"apiVersion": "authentication.k8s.io/v1", "kind": kind}))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(fields: &[(u8, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (number, bytes) in fields {
            out.push((number << 3) | 2);
            out.push(bytes.len() as u8);
            out.extend_from_slice(bytes);
        }
        out
    }

    #[test]
    fn decodes_an_access_review_as_kubectl_sends_it() {
        let attributes = message(&[
            (1, b"shop"),
            (2, b"patch"),
            (3, b"apps"),
            (5, b"deployments"),
        ]);
        let spec = message(&[(1, &attributes)]);
        let review = message(&[(2, &spec)]);
        let type_meta = message(&[
            (1, b"authorization.k8s.io/v1"),
            (2, b"SelfSubjectAccessReview"),
        ]);
        let mut body = MAGIC.to_vec();
        body.extend(message(&[(1, &type_meta), (2, &review)]));
        let decoded = decode_review(&body).expect("decoded");
        assert_eq!(decoded["spec"]["resourceAttributes"]["verb"], "patch");
        assert_eq!(
            decoded["spec"]["resourceAttributes"]["resource"],
            "deployments"
        );
        assert_eq!(decoded["spec"]["resourceAttributes"]["namespace"], "shop");
    }

    #[test]
    fn garbage_is_refused() {
        assert!(decode_review(b"k8s\0\xff\xff").is_none());
        assert!(decode_review(b"{}").is_none());
    }
}
