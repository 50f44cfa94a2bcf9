//! Running the independent peers (Python scripts in `tests/peers/`) from tests.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `tests/peers/<script>` with `input` on stdin under the Python `scripts/test` set up
/// (`DCCSIM_PYTHON`, else `python3`); returns whether it succeeded, and its stdout.
pub fn run_peer(script: &str, input: String) -> (bool, String) {
    let python = std::env::var("DCCSIM_PYTHON").unwrap_or_else(|_| "python3".into());
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/peers")
        .join(script);
    let mut child = Command::new(&python)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {python} (run scripts/test, which installs the peers): {e}")
        });
    let mut stdin = child.stdin.take().expect("piped stdin");
    // Written from a thread so a peer that dies early shows its error instead of a broken pipe.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("the peer runs");
    let _ = writer.join();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("Traceback") && !stderr.contains("ModuleNotFoundError"),
        "{} failed to run (is its package installed? run scripts/test):\n{stderr}",
        script.display()
    );
    (out.status.success(), stdout)
}
