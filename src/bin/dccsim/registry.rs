//! `dccsim registry import|apply|show`: the head-end's mirrored registry in its state folder.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

#[derive(clap::Args)]
pub struct Args {
    /// The head-end's state folder.
    #[arg(long, default_value = "dccsim-state", global = true)]
    pub state: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(clap::Subcommand)]
pub enum Command {
    /// Replace the registry with a registration extract (CSV; see README.md).
    Import { file: PathBuf },
    /// Apply a nightly delta file whole, or reject it with file, line and reason.
    Apply { file: PathBuf },
    /// Print the registry as an extract (CSV), or one device's rows of it.
    Show { device: Option<String> },
}

pub fn run(args: Args) -> Result<ExitCode> {
    registry(&args.state, args.command)
}

/// The registry as `dccsim serve` keeps it: in the state folder's SQLite database.
fn registry(state: &Path, command: Command) -> Result<ExitCode> {
    use dccsim::gateway::store::Store;
    use dccsim::headend::Registry;
    std::fs::create_dir_all(state).with_context(|| format!("cannot create {}", state.display()))?;
    let db = state.join("dccsim.sqlite");
    let mut store = Store::open(&db)?;
    let no_registry = || anyhow::anyhow!("no registry in {} (import one first)", db.display());
    let current = |store: &Store| -> Result<Registry> { store.registry()?.ok_or_else(no_registry) };
    match command {
        Command::Import { file } => {
            let registry = Registry::import(&file)?;
            store.save_registry(&registry)?;
            println!(
                "imported {} devices from {} into {}",
                registry.len(),
                file.display(),
                db.display()
            );
        }
        Command::Apply { file } => {
            // Applied whole or not at all: the stored registry changes only on success, made
            // from a snapshot and written in a short transaction (a running head-end's commits
            // wait only for that), and a running head-end takes it up.
            let (mut before, mut after) = (0, 0);
            store.update_registry(|current| -> Result<Registry> {
                let current = current.ok_or_else(no_registry)?;
                let next = current.with_delta(&file)?;
                (before, after) = (current.len(), next.len());
                Ok(next)
            })?;
            println!("applied {}: {after} devices (was {before})", file.display());
        }
        Command::Show { device } => {
            let registry = current(&store)?;
            match device {
                None => {
                    // A reader that stops early (`| head`) ends the output, not an error.
                    use std::io::Write;
                    match std::io::stdout()
                        .lock()
                        .write_all(registry.to_csv().as_bytes())
                    {
                        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                            return Err(e).context("cannot write the registry");
                        }
                        _ => {}
                    }
                }
                Some(eui) => {
                    let eui: dccsim::model::Eui64 = eui.parse().context("device")?;
                    let record = registry
                        .device(eui)
                        .with_context(|| format!("{eui} is not in the registry"))?;
                    print!("{}", Registry::csv_of([record]));
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
