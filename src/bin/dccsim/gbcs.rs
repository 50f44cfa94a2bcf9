//! `dccsim gbcs decode|utrn|image`: GBCS messages decoded and checked; top-up codes made and
//! checked; firmware upgrade images read (the hash 11.3 names) and made.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};

#[derive(clap::Subcommand)]
pub enum Command {
    /// Print GBCS messages as JSON: header fields, use case, MAC and signature verdicts.
    Decode {
        /// Key folder in the RTDS layout (<eui>-ds.pem, <eui>-ka.pem, .key private keys);
        /// without it MACs and signatures are not checked.
        #[arg(long)]
        keys: Option<PathBuf>,
        /// The Access Control Broker that MACs commands on remote parties' behalf.
        #[arg(long, default_value = "90-B3-D5-1F-30-00-00-02")]
        acb: String,
        /// Use the keys a `dccsim serve --seed N` head-end runs with (the ZAZ1 test PKI and the
        /// virtual fleet's derived keys), to check and open what its meters send.
        #[arg(long, conflicts_with = "keys")]
        fleet_seed: Option<u64>,
        /// Messages: hex strings, or files holding hex (or raw bytes).
        #[arg(required = true)]
        messages: Vec<String>,
    },
    /// Make a top-up code (UTRN, GBCS §14) for a meter, or check one (--check): the 20 digits
    /// carry the value and the top-up counter under a MAC from the supplier's prepayment key.
    Utrn(UtrnArgs),
    /// Read a firmware upgrade image (a file of its bytes, or an 11.1 request carrying it) and
    /// print its header, the hash 11.3's FirmwareHash must name and, with --signer, whether
    /// that party's signature is on it; or, with --make, make one signed by --signer.
    Image(ImageArgs),
}

#[derive(clap::Args)]
pub struct ImageArgs {
    /// The image (raw bytes, or an 11.1 request's XML); with --make, the Manufacturer Image
    /// (the firmware itself) to wrap.
    pub file: PathBuf,
    /// The supplier whose signature to check, or (with --make) to sign with.
    #[arg(long)]
    pub signer: Option<String>,
    /// Make an image around FILE, signed by --signer, and write it here.
    #[arg(long, requires = "signer")]
    pub make: Option<PathBuf>,
    /// The version the image brings (8 hex digits), with --make.
    #[arg(long, default_value = "01000001", requires = "make")]
    pub version: String,
    /// The manufacturer code in the OTA header, with --make (hex).
    #[arg(long, default_value = "121D", requires = "make")]
    pub manufacturer: String,
    /// Key folder in the RTDS layout; by default the keys of `dccsim serve --seed N` (the
    /// ZAZ1 test PKI, with the test suppliers' private keys).
    #[arg(long)]
    pub keys: Option<PathBuf>,
    #[arg(long, default_value_t = 1, conflicts_with = "keys")]
    pub fleet_seed: u64,
}

pub fn run(command: Command) -> Result<ExitCode> {
    match command {
        Command::Decode {
            keys,
            acb,
            fleet_seed,
            messages,
        } => decode(keys.as_deref(), fleet_seed, &acb, &messages),
        Command::Utrn(args) => utrn(args),
        Command::Image(args) => image(args),
    }
}

/// Reads an upgrade image and prints what it is, or makes one.
fn image(args: ImageArgs) -> Result<ExitCode> {
    use dccsim::protocol::gbcs::firmware::{UpgradeImage, build_image};
    use dccsim::protocol::gbcs::{KeyStore, KeyUse, hex, parse_hex};
    let keys = match &args.keys {
        Some(dir) => KeyStore::load(dir)?,
        None => dccsim::gateway::defaults::keys(args.fleet_seed)?,
    };
    let signer: Option<dccsim::model::Eui64> = args
        .signer
        .as_deref()
        .map(str::parse)
        .transpose()
        .context("--signer")?;
    let raw = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    if let (Some(out), Some(signer)) = (&args.make, signer) {
        let version: [u8; 4] = parse_hex(&args.version)
            .ok()
            .and_then(|v| v.try_into().ok())
            .context("--version is not 8 hex digits")?;
        let manufacturer = u16::from_str_radix(&args.manufacturer, 16).context("--manufacturer")?;
        if keys.sign(signer, b"").is_none() {
            anyhow::bail!("no private signing key for {signer} in the key store");
        }
        let bytes = build_image(manufacturer, version, "dccsim", &raw, |m| {
            keys.sign(signer, m).unwrap_or([0; 64])
        });
        std::fs::write(out, &bytes).with_context(|| format!("cannot write {}", out.display()))?;
    }
    let bytes = match (&args.make, std::str::from_utf8(&raw)) {
        (Some(out), _) => {
            std::fs::read(out).with_context(|| format!("cannot read back {}", out.display()))?
        }
        (None, Ok(text)) if text.contains("<sr:FirmwareImage>") => {
            use base64::Engine;
            let field = dccsim::gateway::receive::field(text, "FirmwareImage")
                .context("no sr:FirmwareImage")?;
            let field: String = field.chars().filter(|c| !c.is_whitespace()).collect();
            base64::engine::general_purpose::STANDARD
                .decode(field)
                .context("sr:FirmwareImage is not base64")?
        }
        _ => raw,
    };
    let image = UpgradeImage::parse(&bytes)
        .with_context(|| format!("{} is not an upgrade image", args.file.display()))?;
    let signed = signer.map(|s| {
        keys.public_key(s, KeyUse::Signing)
            .is_some_and(|k| image.signed_by(&k))
    });
    let facts = serde_json::json!({
        "manufacturer": format!("{:04X}", image.manufacturer),
        "image_type": format!("{:04X}", image.image_type),
        "version": hex(&image.version),
        "hardware_versions": image.hardware.map(|(a, b)| [format!("{a:04X}"), format!("{b:04X}")]),
        "manufacturer_image_bytes": image.manufacturer_image.len(),
        "firmware_hash": hex(&image.hash()),
        "signed_by_signer": signed,
    });
    println!("{}", serde_json::to_string_pretty(&facts)?);
    Ok(if signed == Some(false) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Decodes each message, printing one JSON document per message; a message that does not decode
/// is reported on stderr and the others still print. Exit status 1 if any failed.
fn decode(
    keys: Option<&Path>,
    fleet_seed: Option<u64>,
    acb: &str,
    messages: &[String],
) -> Result<ExitCode> {
    use dccsim::protocol::gbcs::{GbcsMessage, KeyStore, describe, parse_hex};
    let acb: dccsim::model::Eui64 = acb.parse().context("--acb")?;
    let keys = match fleet_seed {
        Some(seed) => Some(dccsim::gateway::defaults::keys(seed)?),
        None => keys.map(KeyStore::load).transpose()?,
    };
    let mut failed = false;
    for input in messages {
        let path = Path::new(input);
        let (name, bytes) = if path.is_file() {
            let raw = std::fs::read(path).with_context(|| format!("cannot read {input}"))?;
            let bytes = match std::str::from_utf8(&raw) {
                // A DUIS response or alert: the GBCS message is its base64 GBCSPayload.
                Ok(text) if text.contains("<sr:GBCSPayload>") => {
                    use base64::Engine;
                    let payload = dccsim::gateway::receive::field(text, "GBCSPayload")
                        .with_context(|| format!("{input}: no GBCSPayload"))?;
                    base64::engine::general_purpose::STANDARD
                        .decode(payload.trim())
                        .map_err(|e| anyhow::anyhow!("{input}: GBCSPayload is not base64: {e}"))?
                }
                Ok(text)
                    if text
                        .trim()
                        .chars()
                        .all(|c| c.is_ascii_hexdigit() || c.is_whitespace()) =>
                {
                    parse_hex(text).map_err(|e| anyhow::anyhow!("{input}: {e}"))?
                }
                // A DUIS response without a device's answer (an E21, an acknowledgement…).
                Ok(text) if text.contains("<sr:Response") => {
                    let code = dccsim::gateway::receive::field(text, "ResponseCode").unwrap_or("?");
                    anyhow::bail!(
                        "{input}: a DUIS response ({code}) that carries no GBCSPayload: nothing to decode"
                    )
                }
                _ => raw,
            };
            (input.clone(), bytes)
        } else {
            match parse_hex(input) {
                Ok(bytes) => ("argument".to_string(), bytes),
                Err(e) => {
                    eprintln!("error: {input:.40}: not a file, and not hex: {e}");
                    failed = true;
                    continue;
                }
            }
        };
        match GbcsMessage::decode(&bytes) {
            Ok(message) => {
                if let (Some(keys), Some(_)) = (&keys, fleet_seed) {
                    // A device of an imported registry has keys derived as the fleet's do
                    // (`defaults::adopt_registry_devices`); the users' are the ZAZ1 ones.
                    let users: Vec<_> = dccsim::gateway::defaults::users()
                        .iter()
                        .map(|u| u.eui)
                        .chain([acb])
                        .collect();
                    let ends = [message.signing.originator, message.signing.recipient];
                    keys.join_fleet(ends.into_iter().filter(|e| !users.contains(e)));
                }
                let mut doc = describe(&message, keys.as_ref(), acb);
                doc["source"] = serde_json::Value::String(name);
                println!("{}", serde_json::to_string_pretty(&doc)?);
            }
            Err(e) => {
                eprintln!("error: {name}: not a GBCS message: {e}");
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `dccsim gbcs utrn`'s arguments.
#[derive(clap::Args)]
pub struct UtrnArgs {
    /// The meter the code is for (its key-agreement key is one half of the MAC's key).
    #[arg(long)]
    pub device: String,
    /// The supplier making the code (its prepayment key is the other half).
    #[arg(long, default_value = "90-B3-D5-1F-30-01-00-00")]
    pub supplier: String,
    /// The top-up's number, 1 upwards: each code a meter credits needs a new one (the
    /// counter GBCS puts in bits 32 and up).
    #[arg(long, default_value_t = 1)]
    pub number: u64,
    /// Value, 0 to 8191, in pence (or pounds with --pounds).
    #[arg(long, default_value_t = 10)]
    pub value: u32,
    #[arg(long)]
    pub pounds: bool,
    /// Check these 20 digits instead of making a code: print what they carry and whether
    /// their MAC verifies for this device and supplier.
    #[arg(long)]
    pub check: Option<String>,
    /// Key folder in the RTDS layout (with the supplier's `-pp-ka` key); by default the
    /// keys of `dccsim serve --seed N` (the ZAZ1 test PKI and the virtual fleet).
    #[arg(long)]
    pub keys: Option<PathBuf>,
    /// The `dccsim serve --seed` whose virtual fleet the device is in.
    #[arg(long, default_value_t = 1, conflicts_with = "keys")]
    pub fleet_seed: u64,
}

/// Makes a top-up code, or checks one.
fn utrn(args: UtrnArgs) -> Result<ExitCode> {
    let UtrnArgs {
        device,
        supplier,
        number,
        value,
        pounds,
        check,
        keys,
        fleet_seed,
    } = args;
    use dccsim::protocol::gbcs::{KeyStore, Utrn, ValueClass};
    let device: dccsim::model::Eui64 = device.parse().context("--device")?;
    let supplier: dccsim::model::Eui64 = supplier.parse().context("--supplier")?;
    let keys = match keys {
        Some(dir) => KeyStore::load(&dir)?,
        None => dccsim::gateway::defaults::keys(fleet_seed)?,
    };
    let Some(digits) = check else {
        let class = if pounds {
            ValueClass::Pounds
        } else {
            ValueClass::Pennies
        };
        if number == 0 {
            anyhow::bail!("--number counts from 1: a meter credits no top-up numbered 0");
        }
        let counter = number.checked_shl(32).filter(|c| c >> 32 == number);
        let counter = counter.context("--number is too large")?;
        let utrn = Utrn::make(&keys, supplier, device, counter, value, class)?;
        println!("{}", utrn.digits());
        return Ok(ExitCode::SUCCESS);
    };
    let utrn = Utrn::parse(digits.trim()).with_context(|| format!("UTRN {digits}"))?;
    let counter = utrn.counter_near(0);
    let verdict = utrn.verify(&keys, supplier, device, counter);
    let doc = serde_json::json!({
        "utrn": digits.trim(),
        "value_class": utrn.class,
        "value": utrn.value,
        "pence": utrn.pence(),
        "counter_bits": utrn.counter_bits,
        "mac": format!("{:08X}", utrn.mac),
        "mac_verdict": match &verdict {
            Ok(()) => "valid".to_string(),
            Err(e) => e.to_string(),
        },
    });
    println!("{}", serde_json::to_string_pretty(&doc)?);
    Ok(if verdict.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
