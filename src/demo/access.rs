//! What the demo user may do: every verb on every resource, less what `--deny` takes
//! away. The API (403) and SelfSubjectAccessReview answer from the same rules.

use std::str::FromStr;

/// The user the demo cluster says you are.
pub const DEMO_USER: &str = "kshift-demo";

/// One `--deny VERB:GROUP/RESOURCE` rule; `*` matches any verb or resource, and a
/// resource without a group (`patch:services`) is in the core group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DenyRule {
    verb: String,
    group: String,
    resource: String,
}

impl FromStr for DenyRule {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let usage = || {
            format!(
                "invalid deny rule {text:?}: expected VERB:GROUP/RESOURCE (for example patch:networking.istio.io/virtualservices or delete:pods)"
            )
        };
        let (verb, target) = text.split_once(':').ok_or_else(usage)?;
        let (group, resource) = match target.rsplit_once('/') {
            Some((group, resource)) => (group, resource),
            None => ("", target),
        };
        if verb.is_empty() || resource.is_empty() {
            return Err(usage());
        }
        Ok(DenyRule {
            verb: verb.to_string(),
            group: group.to_string(),
            resource: resource.to_string(),
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct AccessPolicy {
    pub deny: Vec<DenyRule>,
}

impl AccessPolicy {
    /// Whether the demo user may `verb` the `resource` (with its subresource, as
    /// `deployments/scale`) of `group`.
    pub fn allows(&self, verb: &str, group: &str, resource: &str) -> bool {
        !self.deny.iter().any(|rule| {
            (rule.verb == "*" || rule.verb == verb)
                && (rule.group == "*" || rule.group == group)
                && (rule.resource == "*"
                    || rule.resource == resource
                    || resource.split('/').next() == Some(rule.resource.as_str())
                        && !rule.resource.contains('/'))
        })
    }

    /// The API server's words for a denied request.
    pub fn forbidden_message(
        verb: &str,
        group: &str,
        resource: &str,
        namespace: &str,
        name: &str,
    ) -> String {
        let target = if group.is_empty() {
            resource.to_string()
        } else {
            format!("{resource}.{group}")
        };
        let (base, sub) = match resource.split_once('/') {
            Some((b, s)) => (b, Some(s)),
            None => (resource, None),
        };
        let object = if name.is_empty() {
            target.clone()
        } else {
            format!(
                "{} \"{name}\"",
                if group.is_empty() {
                    base.to_string()
                } else {
                    format!("{base}.{group}")
                }
            )
        };
        let what = match sub {
            Some(sub) => format!("resource \"{base}/{sub}\""),
            None => format!("resource \"{base}\""),
        };
        let scope = if namespace.is_empty() {
            "at the cluster scope".to_string()
        } else {
            format!("in the namespace \"{namespace}\"")
        };
        format!(
            "{object} is forbidden: User \"{DEMO_USER}\" cannot {verb} {what} in API group \"{group}\" {scope}"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deny_rules_match_verb_group_and_resource() {
        let policy = AccessPolicy {
            deny: vec![
                "patch:networking.istio.io/virtualservices".parse().unwrap(),
                "delete:pods".parse().unwrap(),
            ],
        };
        assert!(!policy.allows("patch", "networking.istio.io", "virtualservices"));
        assert!(policy.allows("get", "networking.istio.io", "virtualservices"));
        assert!(!policy.allows("delete", "", "pods"));
        assert!(policy.allows("delete", "apps", "deployments"));
        assert!("nonsense".parse::<DenyRule>().is_err());
    }

    #[test]
    fn subresources_follow_their_resource() {
        let policy = AccessPolicy {
            deny: vec!["patch:apps/deployments".parse().unwrap()],
        };
        assert!(!policy.allows("patch", "apps", "deployments/scale"));
        let message =
            AccessPolicy::forbidden_message("patch", "apps", "deployments", "shop", "web");
        assert_eq!(
            message,
            "deployments.apps \"web\" is forbidden: User \"kshift-demo\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"shop\""
        );
    }
}
