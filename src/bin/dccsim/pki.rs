//! `dccsim pki init`: a test PKI for the User Gateway's mutual TLS.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;

#[derive(clap::Subcommand)]
pub enum Command {
    /// Make a CA, the gateway's server certificate and one client certificate per test user
    /// (the ZAZ1 organisations) in DIR.
    Init {
        dir: PathBuf,
        /// Names the server certificate is valid for.
        #[arg(long, default_values_t = ["localhost".to_string(), "127.0.0.1".to_string()])]
        host: Vec<String>,
    },
}

pub fn run(command: Command) -> Result<ExitCode> {
    let Command::Init { dir, host } = command;
    let users: Vec<_> = dccsim::gateway::defaults::users()
        .iter()
        .map(|u| u.eui)
        .collect();
    let hosts: Vec<&str> = host.iter().map(String::as_str).collect();
    let pki = dccsim::gateway::Pki::generate(&hosts, &users)?;
    pki.write(&dir)?;
    println!(
        "wrote ca.pem, server.pem/.key and a client certificate per user to {}",
        dir.display()
    );
    for u in dccsim::gateway::defaults::users() {
        println!(
            "  {}.pem/.key  {} ({})",
            u.eui,
            u.name,
            role_codes(&u.roles)
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn role_codes(roles: &[dccsim::model::Role]) -> String {
    roles
        .iter()
        .map(|r| r.code())
        .collect::<Vec<_>>()
        .join(", ")
}
