//! Running the independent peers (Python scripts in `tests/peers/`) from tests.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `tests/peers/<script>` with `input` on stdin under the Python `scripts/test` set up
/// (`DCCSIM_PYTHON`, else `python3`); returns whether it succeeded, and its stdout.
#[allow(dead_code)] // not every test binary that includes this module uses it
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

/// Runs DCC's tool (`Sign` or `Validate`) on a document; returns (success, stdout, stderr).
#[allow(dead_code)] // not every test binary that includes this module uses it
pub fn dcc_tool(mode: &str, xml: &str) -> (bool, String, String) {
    let jar = std::env::var("DCCSIM_DUIS_TOOL").unwrap_or_else(|_| {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(".npm-peers/node_modules/@smartdcc/duis-sign-wrap/dist/tool.jar")
            .display()
            .to_string()
    });
    assert!(
        Path::new(&jar).exists(),
        "{jar} is missing: run scripts/test, which installs DCC's tool"
    );
    let mut args = vec![
        "-cp".to_string(),
        jar,
        format!("uk.co.smartdcc.boxed.xmldsig.{mode}"),
        "-".into(),
    ];
    if mode == "Sign" {
        args.push("--preserveCounter".into());
    }
    let mut child = Command::new("java")
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("java (a JRE) on PATH");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(xml.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
