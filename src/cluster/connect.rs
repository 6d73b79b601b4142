//! Reaching a cluster: the current kubeconfig (with `--context`), as kubectl would.

use color_eyre::eyre::{Result, WrapErr, eyre};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// A client for the kubeconfig's context (or `context`), and that context's name.
pub async fn from_kubeconfig(context: Option<&str>) -> Result<(Client, String)> {
    let kubeconfig = Kubeconfig::read().map_err(|e| {
        eyre!("no usable kubeconfig ({e}); set KUBECONFIG, or try `kshift demo` for an embedded cluster")
    })?;
    let name = match context {
        Some(name) => {
            if !kubeconfig.contexts.iter().any(|c| c.name == name) {
                let known: Vec<&str> = kubeconfig
                    .contexts
                    .iter()
                    .map(|c| c.name.as_str())
                    .collect();
                return Err(eyre!(
                    "no context {name:?} in the kubeconfig; it has: {}",
                    known.join(", ")
                ));
            }
            name.to_string()
        }
        None => kubeconfig
            .current_context
            .clone()
            .ok_or_else(|| eyre!("the kubeconfig names no current context; pass --context"))?,
    };
    let options = KubeConfigOptions {
        context: Some(name.clone()),
        ..KubeConfigOptions::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .wrap_err_with(|| format!("reading context {name:?} of the kubeconfig"))?;
    super::errors::set_server(config.cluster_url.to_string().trim_end_matches('/'));
    let client = Client::try_from(config).wrap_err("building the Kubernetes client")?;
    Ok((client, name))
}
