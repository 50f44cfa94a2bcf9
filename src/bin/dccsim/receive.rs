//! `dccsim receive`: a minimal Receive Response Service.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on (plain HTTP, or HTTPS with --tls).
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// Folder to store each message in (as 000001.xml, …).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Serve HTTPS with this PKI folder's server certificate (`dccsim pki init`, or a
    /// head-end's `STATE/pki`) and require a client certificate from its CA, as the
    /// head-end's DSP certificate is.
    #[arg(long)]
    pub tls: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let Args { listen, dir, tls } = args;
    use dccsim::gateway::receive::{Receiver, field, serve, serve_tls};
    if let Some(dir) = &dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let tls = match tls {
        Some(pki) => {
            let pki = dccsim::gateway::Pki::read(&pki, &[])?;
            Some(dccsim::gateway::tls_config(&pki).map_err(anyhow::Error::msg)?)
        }
        None => None,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(&listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        println!(
            "receiving on {}://{}/ (Ctrl-C to stop){}",
            if tls.is_some() { "https" } else { "http" },
            listener.local_addr()?,
            if tls.is_some() {
                "; client certificates required"
            } else {
                ""
            }
        );
        let seen = std::sync::Mutex::new(dccsim::gateway::receive::RecentIds::default());
        let receiver = std::sync::Arc::new(Receiver {
            dir,
            count: Default::default(),
            on_message: Box::new(move |n, xml| {
                let show = |name| field(xml, name).unwrap_or("-").to_string();
                let alert = field(xml, "AlertCode").map(|c| format!(" alert {c}"));
                let schedule = field(xml, "DSPScheduleID").map(|id| format!(" schedule {id}"));
                // A head-end may send a response again (it cannot know a POST arrived if it
                // stopped at that instant); the same ResponseID marks a repeat.
                let again = field(xml, "ResponseID")
                    .is_some_and(|id| seen.lock().is_ok_and(|mut s| !s.insert(id)));
                println!(
                    "{n:>6} {} {} {}{}{} ({} bytes){}",
                    show("ResponseCode"),
                    show("ServiceReferenceVariant"),
                    field(xml, "RequestID")
                        .unwrap_or_else(|| field(xml, "ResponseID").unwrap_or("-")),
                    schedule.unwrap_or_default(),
                    alert.unwrap_or_default(),
                    xml.len(),
                    if again {
                        " again (same ResponseID)"
                    } else {
                        ""
                    }
                );
            }),
        });
        let stop = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        match tls {
            Some(tls) => serve_tls(receiver, listener, tls, stop).await,
            None => serve(receiver, listener, stop).await,
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(ExitCode::SUCCESS)
}
