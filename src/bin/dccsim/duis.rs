//! `dccsim duis sign|verify|sign-pre-command`: DUIS XML signatures with the ZAZ1 test keys.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

#[derive(clap::Subcommand)]
#[allow(
    clippy::enum_variant_names,
    reason = "the subcommand is `sign-pre-command`, after the pre-command it signs"
)]
pub enum Command {
    /// Sign a DUIS request with its originator's ZAZ1 XML-signing key (a placeholder signature
    /// and whitespace between elements are removed first, as DCC's tool does) and print it.
    Sign {
        file: PathBuf,
        /// Keep the RequestID's counter; by default it becomes the current time in
        /// microseconds, so each signed request is new (and above `dccsim load`'s counters).
        #[arg(long)]
        preserve_counter: bool,
        /// Move the request's log period (StartDateTime to EndDateTime) to end at today's
        /// midnight (UTC), keeping its length: the RTDS templates read days of 2014 and 2015,
        /// before any virtual meter was installed.
        #[arg(long)]
        recent: bool,
    },
    /// Check a signed DUIS document's signature against the ZAZ1 keys; prints the signer.
    Verify { file: PathBuf },
    /// The second step of a critical command: from the I0 a Transform request (command variant
    /// 4, to serviceT) got back, sign its GBCS pre-command with the user's ZAZ1 digital-signing
    /// key and print the command variant 5 request that sends it (XML-signed, a new counter),
    /// ready for serviceS.
    SignPreCommand {
        /// The Transform response (as curl saved it).
        file: PathBuf,
    },
}

pub fn run(command: Command) -> Result<ExitCode> {
    use dccsim::headend::xmldsig::prepare_for_signing;
    let signers = zaz1_signers()?;
    let read = |file: &Path| {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
    };
    match command {
        Command::Sign {
            file,
            preserve_counter,
            recent,
        } => {
            let mut text = read(&file)?;
            if recent {
                text = log_period_to_yesterday(&text, chrono::Utc::now())
                    .map_err(|e| anyhow::anyhow!("--recent: {}: {e}", file.display()))?;
            }
            let mut xml = prepare_for_signing(&text)?;
            let request = dccsim::headend::Request::parse(&xml)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            if !preserve_counter {
                let micros = chrono::Utc::now().timestamp_micros();
                let old = format!(">{}<", request.id);
                let mut id = request.id;
                id.counter = micros as u64;
                xml = xml.replacen(&old, &format!(">{id}<"), 1);
            }
            let signed = signers.sign(&xml, request.id.originator, false)?;
            print!("{signed}");
        }
        Command::SignPreCommand { file } => {
            let response = read(&file)?;
            let send = send_pre_command(&response, chrono::Utc::now())
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let user = dccsim::headend::Request::parse(&send)
                .map_err(|e| anyhow::anyhow!("the request made: {e}"))?
                .id
                .originator;
            print!("{}", signers.sign(&send, user, false)?);
        }
        Command::Verify { file } => {
            let signer = signers.verify(&read(&file)?)?;
            println!("valid: signed by {signer}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The ZAZ1 organisations' XML-signing keys, which sign and check DUIS documents.
pub fn zaz1_signers() -> Result<std::sync::Arc<dccsim::headend::xmldsig::XmlSigners>> {
    let signers =
        dccsim::headend::xmldsig::XmlSigners::from_zaz1(dccsim::gateway::run::ZAZ1_KEYSTORE)
            .map_err(anyhow::Error::msg)?;
    Ok(std::sync::Arc::new(signers))
}

/// `xml` with its log period (`sr:StartDateTime` to `sr:EndDateTime`) moved to end at the
/// midnight (UTC) before `now`, keeping its length.
fn log_period_to_yesterday(xml: &str, now: chrono::DateTime<chrono::Utc>) -> Result<String> {
    use chrono::{DateTime, Utc};
    let span = |tag: &str| -> Result<(std::ops::Range<usize>, DateTime<Utc>)> {
        let open = format!("<sr:{tag}>");
        let start = xml
            .find(&open)
            .map(|i| i + open.len())
            .ok_or_else(|| anyhow::anyhow!("the request has no sr:{tag}"))?;
        let end = start + xml[start..].find('<').unwrap_or(0);
        let text = xml[start..end].trim();
        let t = DateTime::parse_from_rfc3339(text)
            .map_err(|_| anyhow::anyhow!("sr:{tag} {text:?} is not an xs:dateTime"))?;
        Ok((start..end, t.with_timezone(&Utc)))
    };
    let (from_at, from) = span("StartDateTime")?;
    let (to_at, to) = span("EndDateTime")?;
    let midnight = now.date_naive().and_time(chrono::NaiveTime::MIN).and_utc();
    let shift = midnight - to;
    let stamp = |t: DateTime<Utc>| (t + shift).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let mut out = xml.to_string();
    // The later span first, so the earlier one's offsets still hold.
    let mut spans = [(from_at, stamp(from)), (to_at, stamp(to))];
    spans.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    for (range, value) in spans {
        out.replace_range(range, &value);
    }
    Ok(out)
}

/// The command variant 5 request (unsigned XML) that sends the pre-command of Transform
/// response `response`, its GBCS signed with the user's ZAZ1 key, numbered by `now`.
fn send_pre_command(response: &str, now: chrono::DateTime<chrono::Utc>) -> Result<String> {
    use base64::Engine;
    use dccsim::gateway::receive::field;
    use dccsim::protocol::gbcs::{GbcsMessage, KeyStore, sign_message};
    let Some(code) = field(response, "ResponseCode") else {
        let what = if response.contains("<sr:Request") {
            "a request, not the Transform response to it: send the request to /api/v1/serviceT and give its response"
        } else {
            "not a DUIS response: no sr:ResponseCode"
        };
        anyhow::bail!("{what}");
    };
    if code != "I0" || !response.contains("<sr:PreCommand>") {
        anyhow::bail!("not a Transform response with a pre-command (response code {code})");
    }
    let request_id = field(response, "RequestID").context("no sr:RequestID")?;
    let mut id: dccsim::headend::RequestId = request_id
        .parse()
        .map_err(|e| anyhow::anyhow!("sr:RequestID {request_id:?}: {e}"))?;
    let service = field(response, "ServiceReference").context("no sr:ServiceReference")?;
    let variant =
        field(response, "ServiceReferenceVariant").context("no sr:ServiceReferenceVariant")?;
    let payload = field(response, "GBCSPayload").context("no sr:GBCSPayload")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(payload.trim())
        .map_err(|e| anyhow::anyhow!("sr:GBCSPayload is not base64: {e}"))?;
    let mut pre = GbcsMessage::decode(&bytes)
        .map_err(|e| anyhow::anyhow!("sr:GBCSPayload is not a GBCS message: {e}"))?;
    let mut keys = KeyStore::default();
    keys.add_zaz1(dccsim::gateway::run::ZAZ1_KEYSTORE)?;
    if !sign_message(&keys, &mut pre) {
        anyhow::bail!(
            "no GBCS signing key for {} in the ZAZ1 keystore",
            id.originator
        );
    }
    let signed = base64::engine::general_purpose::STANDARD.encode(pre.to_bytes()?);
    id.counter = now.timestamp_micros() as u64;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sr:Request xmlns:sr=\"http://www.dccinterface.co.uk/ServiceUserGateway\" schemaVersion=\"5.4\"><sr:Header><sr:RequestID>{id}</sr:RequestID><sr:CommandVariant>5</sr:CommandVariant><sr:ServiceReference>{service}</sr:ServiceReference><sr:ServiceReferenceVariant>{variant}</sr:ServiceReferenceVariant></sr:Header><sr:Body><sr:SignedPreCommand><sr:GBCSPayload>{signed}</sr:GBCSPayload></sr:SignedPreCommand></sr:Body></sr:Request>"
    ))
}
