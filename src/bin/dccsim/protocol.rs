//! `dccsim protocol check|decode`: the vendor (SMETS1-style) protocols declared in TOML files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Load protocol files and check their test vectors (decode, re-encode); a bad file is
    /// refused with file:line:column and the reason.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print frames of a protocol as JSON: address, command, register and value.
    Decode {
        /// The protocol file.
        file: PathBuf,
        /// Frames in hex (spaces allowed).
        #[arg(required = true)]
        frames: Vec<String>,
    },
}

/// `dccsim protocol check|decode`.
pub fn run(command: Command) -> Result<ExitCode> {
    use dccsim::protocol::vendor::{Protocol, parse_hex};
    let load = |path: &Path| -> Result<Protocol> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read protocol file {}", path.display()))?;
        Ok(Protocol::load(&path.display().to_string(), &text)?)
    };
    match command {
        Command::Check { files } => {
            let mut failed = false;
            for path in &files {
                let p = load(path)?;
                let mut bad = 0;
                for v in &p.vectors {
                    let ok = p.decode(&v.bytes).is_ok_and(|m| {
                        m.address == v.message.address
                            && m.command == v.message.command
                            && m.direction == v.message.direction
                            && m.register == v.message.register
                            && m.error_code == v.message.error_code
                            && match (m.value, v.message.value) {
                                (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                                (a, b) => a == b,
                            }
                    }) && p.encode(&v.message).is_ok_and(|b| b == v.bytes);
                    if !ok {
                        bad += 1;
                        eprintln!(
                            "{}:{}: vector does not decode to what it says, or re-encode to its bytes",
                            path.display(),
                            v.line
                        );
                    }
                }
                failed |= bad > 0;
                println!(
                    "{}: {} ({}): {} fields, {} registers, {} commands, {}/{} vectors pass",
                    path.display(),
                    p.name,
                    p.description,
                    p.fields.len(),
                    p.registers.len(),
                    p.commands.len(),
                    p.vectors.len() - bad,
                    p.vectors.len()
                );
            }
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Decode { file, frames } => {
            let p = load(&file)?;
            let mut failed = false;
            for hex in &frames {
                let result = parse_hex(hex)
                    .map_err(|e| e.to_string())
                    .and_then(|b| p.decode(&b).map_err(|e| e.to_string()));
                match result {
                    Ok(m) => println!("{}", serde_json::to_string(&m)?),
                    Err(e) => {
                        failed = true;
                        println!("{}", serde_json::json!({ "error": e, "frame": hex }));
                    }
                }
            }
            Ok(if failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}
