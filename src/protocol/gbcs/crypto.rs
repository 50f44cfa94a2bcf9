//! GBCS security: the keys of devices and remote parties, the MAC of general-ciphering
//! messages and the ECDSA signature of general-signing ones.
//!
//! - MAC (GBCS §4.3): AES-128-GCM with no plaintext; the key is derived from the static ECDH secret
//!   between two key-agreement (KA) keys by the single-step KDF of NIST SP 800-56A with SHA-256:
//!   `SHA-256(00 00 00 01 ‖ Z ‖ OtherInfo)[..16]`, OtherInfo = algorithm id `60 85 74 06 08 03 00`
//!   ‖ originator system title ‖ `09` ‖ CRA flag ‖ originator counter ‖ recipient system title.
//!   The IV is the originator's system title followed by four zero bytes; the additional data is
//!   `11 00 00 00 00 00` followed by the general-signing APDU; the tag is cut to 12 bytes.
//! - Signature: ECDSA P-256 with SHA-256 over the general-signing APDU after its `DF` tag, up to
//!   the end of the content; 64 bytes r ‖ s.
//!
//! Commands are MACed by the Access Control Broker for the remote party that sent them, so their
//! MAC uses the ACB's KA key with the device's; responses and alerts use the device's KA key with
//! the recipient's. Which private key is at hand decides which side of each pair is computed.
//!
//! ECDH uses the RustCrypto `p256` crate (ring only does ephemeral agreement); signatures and
//! AES-GCM use `ring`. Shared secrets are cached per key pair.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use p256::pkcs8::DecodePrivateKey;
use ring::aead::{AES_128_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::signature::{ECDSA_P256_SHA256_FIXED, UnparsedPublicKey};

use super::frame::{Cra, GbcsMessage};
use crate::model::Eui64;

/// The additional-data prefix GBCS puts before the general-signing APDU.
const AAD_PREFIX: [u8; 6] = [0x11, 0, 0, 0, 0, 0];
/// The KDF's algorithm id (OtherInfo's first field).
pub(super) const ALGORITHM_ID: [u8; 7] = [0x60, 0x85, 0x74, 0x06, 0x08, 0x03, 0x00];

/// What a key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyUse {
    /// Digital signing (`-ds`).
    Signing,
    /// Key agreement (`-ka`).
    KeyAgreement,
    /// A supplier's prepayment key agreement (`-pp-ka`): the key its top-up codes (UTRNs) are
    /// authenticated with, kept apart from the key its commands are MACed with.
    Prepayment,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read key folder {path}: {cause}")]
    Folder {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
}

/// Public and private keys by EUI-64 and use, read from a folder in the RTDS layout:
/// `<eui>-ds.pem` and `<eui>-ka.pem` (X.509 certificates or bare public keys), `<eui>-ds.key` and `<eui>-ka.key`
/// (PKCS #8 private keys), the EUI in 16 hex digits.
///
/// A store can also hold the keys of a whole virtual fleet without storing them: every device
/// whose EUI-64 starts with the fleet's prefix has key pairs derived from the fleet seed and its
/// EUI (see [`KeyStore::derive_fleet`]), so a million devices cost no memory.
#[derive(Default)]
pub struct KeyStore {
    public: HashMap<(Eui64, KeyUse), [u8; 65]>,
    private: HashMap<(Eui64, KeyUse), p256::SecretKey>,
    /// Certificates (DER) by EUI-64 and use, as an SMKI repository holds them: what a method C
    /// join (GBCS CS03C) gives each device of the other's.
    certificates: HashMap<(Eui64, KeyUse), Vec<u8>>,
    fleet: Option<Fleet>,
    /// ECDH shared secrets, by pair (the lower EUI-64 first).
    shared: Mutex<HashMap<(Eui64, Eui64), [u8; 32]>>,
}

/// Which EUI-64s have derived keys (those starting with one of the prefixes, and those added
/// one by one since), and the seed they derive from.
struct Fleet {
    prefixes: Vec<Vec<u8>>,
    /// Devices joined to the fleet while the store is shared (an imported registry's).
    joined: std::sync::RwLock<std::collections::HashSet<Eui64>>,
    seed: [u8; 32],
}

impl KeyStore {
    /// Reads every key file of a folder; a file that names a key but does not hold one is an
    /// error naming the file. Other files are ignored.
    pub fn load(dir: &Path) -> Result<KeyStore, KeyError> {
        let mut store = KeyStore::default();
        let entries = std::fs::read_dir(dir).map_err(|source| KeyError::Folder {
            path: dir.to_path_buf(),
            cause: source,
        })?;
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let Some((stem, ext)) = name.rsplit_once('.') else {
                continue;
            };
            let Some((eui, usage)) = stem.split_once('-') else {
                continue;
            };
            let usage = match usage {
                "ds" => KeyUse::Signing,
                "ka" => KeyUse::KeyAgreement,
                "pp-ka" => KeyUse::Prepayment,
                _ => continue,
            };
            let Ok(eui) = eui.parse::<Eui64>() else {
                continue;
            };
            let fail = |reason: String| KeyError::File {
                path: path.clone(),
                reason,
            };
            let text = std::fs::read(&path).map_err(|e| fail(e.to_string()))?;
            match ext {
                "pem" => {
                    let pem =
                        std::str::from_utf8(&text).map_err(|_| fail("not PEM text".into()))?;
                    store.insert_pem(eui, usage, pem).map_err(fail)?;
                }
                "key" => {
                    let pem = String::from_utf8(text).map_err(|_| fail("not PEM text".into()))?;
                    let key = p256::SecretKey::from_pkcs8_pem(&pem)
                        .map_err(|e| fail(format!("not a PKCS #8 P-256 private key: {e}")))?;
                    store.private.insert((eui, usage), key);
                }
                _ => {}
            }
        }
        Ok(store)
    }

    /// Adds the GBCS keys of a ZAZ1 keystore (DCC Boxed's test PKI, as in
    /// `@smartdcc/dccboxed-keystore`): for each organisation, its `Z1-` signing and
    /// key-agreement certificates and private keys, and a supplier's `Z1-…PP` prepayment
    /// key-agreement key (XML-signing keys are not GBCS keys).
    pub fn add_zaz1(&mut self, json: &str) -> Result<(), KeyError> {
        let fail = |reason: String| KeyError::File {
            path: PathBuf::from("ZAZ1 keystore"),
            reason,
        };
        let doc: serde_json::Value =
            serde_json::from_str(json).map_err(|e| fail(format!("not JSON: {e}")))?;
        let orgs = doc
            .as_object()
            .ok_or_else(|| fail("not an object of organisations".into()))?;
        for (eui, uses) in orgs {
            let eui: Eui64 = eui
                .parse()
                .map_err(|e| fail(format!("organisation {eui}: {e}")))?;
            for (name, usage) in [
                ("digitalSignature", KeyUse::Signing),
                ("keyAgreement", KeyUse::KeyAgreement),
                ("keyAgreement", KeyUse::Prepayment),
            ] {
                let Some(entries) = uses.get(name).and_then(|v| v.as_object()) else {
                    continue;
                };
                // The Z1 key of each use (not the Z1b set); "PP" names the prepayment keys.
                let prepayment = usage == KeyUse::Prepayment;
                let chosen = entries.values().find(|e| {
                    e["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with("Z1-") && n.contains("PP") == prepayment)
                });
                if prepayment && chosen.is_none() {
                    continue;
                }
                let chosen = chosen.or_else(|| {
                    entries.values().find(|e| {
                        e["name"].as_str().is_some_and(|n| {
                            !n.starts_with("xml-sign") && !n.starts_with("dsp-xml")
                        })
                    })
                });
                let Some(entry) = chosen else { continue };
                if let Some(cert) = entry["certificate"].as_str() {
                    let key = public_key_of_certificate(cert.as_bytes())
                        .map_err(|e| fail(format!("{eui} {name}: {e}")))?;
                    self.public.insert((eui, usage), key);
                    // Kept, as an SMKI repository keeps it: devices' trust anchors name it.
                    if let Ok((der, true)) = pem_der(cert.as_bytes()) {
                        self.certificates.insert((eui, usage), der);
                    }
                }
                if let Some(pem) = entry["privateKey"].as_str() {
                    let key = p256::SecretKey::from_pkcs8_pem(pem)
                        .map_err(|e| fail(format!("{eui} {name} private key: {e}")))?;
                    self.private.insert((eui, usage), key);
                }
            }
        }
        Ok(())
    }

    /// Gives every device whose EUI-64 starts with `prefix` key pairs derived from `seed`
    /// (calling again adds a prefix; the last seed given holds for all).
    pub fn derive_fleet(&mut self, prefix: &[u8], seed: [u8; 32]) {
        let fleet = self.fleet.get_or_insert_with(|| Fleet {
            prefixes: Vec::new(),
            joined: Default::default(),
            seed,
        });
        fleet.seed = seed;
        fleet.prefixes.push(prefix.to_vec());
    }

    /// Gives `devices` key pairs derived from the fleet seed too, as if their EUI-64s had the
    /// fleet's prefix (devices of an imported registry); callable while the store is shared.
    /// Does nothing before [`KeyStore::derive_fleet`].
    pub fn join_fleet(&self, devices: impl IntoIterator<Item = Eui64>) {
        if let Some(fleet) = &self.fleet
            && let Ok(mut joined) = fleet.joined.write()
        {
            joined.extend(devices);
        }
    }

    /// Drops every key held for `eui` (e.g. a device's published certificates, so that a
    /// virtual device of that EUI answers with its derived keys instead).
    pub fn forget(&mut self, eui: Eui64) {
        self.public.retain(|(e, _), _| *e != eui);
        self.private.retain(|(e, _), _| *e != eui);
        if let Ok(mut shared) = self.shared.lock() {
            shared.retain(|(a, b), _| *a != eui && *b != eui);
        }
    }

    /// Adds `eui`'s public key from a PEM certificate (kept too) or bare public key.
    pub fn insert_pem(&mut self, eui: Eui64, usage: KeyUse, pem: &str) -> Result<(), String> {
        let (der, certificate) = pem_der(pem.as_bytes())?;
        self.public.insert((eui, usage), public_key_of_der(&der)?);
        if certificate {
            self.certificates.insert((eui, usage), der);
        }
        Ok(())
    }

    /// Keeps a certificate (PEM) of `eui`'s to hand on, as an SMKI repository does (a method C
    /// join gives each device the other's); the store's own cryptography goes on using the key
    /// it holds or derives for `eui`.
    pub fn insert_certificate(
        &mut self,
        eui: Eui64,
        usage: KeyUse,
        pem: &str,
    ) -> Result<(), String> {
        let (der, certificate) = pem_der(pem.as_bytes())?;
        if !certificate {
            return Err("a public key, not a certificate".into());
        }
        public_key_of_der(&der)?;
        self.certificates.insert((eui, usage), der);
        Ok(())
    }

    /// `eui`'s certificate (DER) for `usage`, if the store holds one.
    pub fn certificate(&self, eui: Eui64, usage: KeyUse) -> Option<&[u8]> {
        self.certificates.get(&(eui, usage)).map(Vec::as_slice)
    }

    /// Adds a private key (and its public key) for `eui`.
    pub fn insert_private(&mut self, eui: Eui64, usage: KeyUse, key: p256::SecretKey) {
        let public = key.public_key().to_sec1_bytes();
        if let Ok(point) = <[u8; 65]>::try_from(public.as_ref()) {
            self.public.insert((eui, usage), point);
        }
        self.private.insert((eui, usage), key);
    }

    pub fn public_key(&self, eui: Eui64, usage: KeyUse) -> Option<[u8; 65]> {
        if let Some(key) = self.public.get(&(eui, usage)) {
            return Some(*key);
        }
        let key = self.derived(eui, usage)?;
        key.public_key().to_sec1_bytes().as_ref().try_into().ok()
    }

    pub fn has_private(&self, eui: Eui64, usage: KeyUse) -> bool {
        self.private.contains_key(&(eui, usage)) || self.derived(eui, usage).is_some()
    }

    fn private_key(&self, eui: Eui64, usage: KeyUse) -> Option<p256::SecretKey> {
        self.private
            .get(&(eui, usage))
            .cloned()
            .or_else(|| self.derived(eui, usage))
    }

    /// A fleet device's key: SHA-256 of seed ‖ EUI-64 ‖ use, retried with a counter in the
    /// (vanishingly rare) case the digest is not a valid P-256 scalar.
    fn derived(&self, eui: Eui64, usage: KeyUse) -> Option<p256::SecretKey> {
        let fleet = self.fleet.as_ref()?;
        let joined = || fleet.joined.read().is_ok_and(|j| j.contains(&eui));
        if !fleet.prefixes.iter().any(|p| eui.0.starts_with(p)) && !joined() {
            return None;
        }
        let label: &[u8] = match usage {
            KeyUse::Signing => b"ds",
            KeyUse::KeyAgreement => b"ka",
            KeyUse::Prepayment => b"pp-ka",
        };
        (0u8..=255).find_map(|attempt| {
            let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
            ctx.update(&fleet.seed);
            ctx.update(&eui.0);
            ctx.update(label);
            ctx.update(&[attempt]);
            p256::SecretKey::from_slice(ctx.finish().as_ref()).ok()
        })
    }

    /// ECDSA P-256 with SHA-256 over `message` by `eui`'s signing key: 64 bytes r ‖ s, made
    /// deterministically (RFC 6979), so a seeded fleet signs the same bytes every run.
    pub fn sign(&self, eui: Eui64, message: &[u8]) -> Option<[u8; 64]> {
        use p256::ecdsa::signature::Signer;
        let key = p256::ecdsa::SigningKey::from(self.private_key(eui, KeyUse::Signing)?);
        let signature: p256::ecdsa::Signature = key.sign(message);
        signature.to_bytes().as_slice().try_into().ok()
    }

    /// The ECDH secret between `mine`'s private KA key and a public key not on file (a relayed
    /// user's, from its certificate). Not cached: each relayed request brings its own.
    pub(crate) fn agreed_secret_with(&self, mine: Eui64, public: &[u8; 65]) -> Option<[u8; 32]> {
        let private = self.private_key(mine, KeyUse::KeyAgreement)?;
        let public = p256::PublicKey::from_sec1_bytes(public).ok()?;
        let shared = p256::ecdh::diffie_hellman(private.to_nonzero_scalar(), public.as_affine());
        <[u8; 32]>::try_from(shared.raw_secret_bytes().as_slice()).ok()
    }

    /// The ECDH secret computed with `mine`'s private KA key and `theirs`'s public one; `None`
    /// unless this store holds that private key.
    pub(crate) fn agreed_secret(&self, mine: Eui64, theirs: Eui64) -> Option<[u8; 32]> {
        if !self.has_private(mine, KeyUse::KeyAgreement) {
            return None;
        }
        self.shared_secret(mine, theirs)
    }

    /// The ECDH secret between two parties' KA keys, from whichever private key is held. The
    /// secret is the same from either side, so it is cached once per pair: a device and the
    /// party it talks to (both virtual here) compute it once between them.
    fn shared_secret(&self, a: Eui64, b: Eui64) -> Option<[u8; 32]> {
        let pair = if a.0 <= b.0 { (a, b) } else { (b, a) };
        if let Some(z) = self.shared.lock().ok()?.get(&pair) {
            return Some(*z);
        }
        // Sides whose public key is on file first: a fleet device's is derived, which costs a
        // second scalar multiplication.
        let sides = if self.public.contains_key(&(b, KeyUse::KeyAgreement)) {
            [(a, b), (b, a)]
        } else {
            [(b, a), (a, b)]
        };
        let z = sides.into_iter().find_map(|(mine, theirs)| {
            let private = self.private_key(mine, KeyUse::KeyAgreement)?;
            let public = self.public_key(theirs, KeyUse::KeyAgreement)?;
            let public = p256::PublicKey::from_sec1_bytes(&public).ok()?;
            let shared =
                p256::ecdh::diffie_hellman(private.to_nonzero_scalar(), public.as_affine());
            let mut z = [0u8; 32];
            z.copy_from_slice(shared.raw_secret_bytes().as_slice());
            Some(z)
        })?;
        self.shared.lock().ok()?.insert(pair, z);
        Some(z)
    }

    /// The ECDH secret between `supplier`'s prepayment key and `device`'s key-agreement key,
    /// from whichever private key is held (the supplier making a top-up code, the device
    /// checking one). Not cached: top-ups are rare.
    pub(crate) fn prepayment_secret(&self, supplier: Eui64, device: Eui64) -> Option<[u8; 32]> {
        let agree = |private: p256::SecretKey, public: [u8; 65]| {
            let public = p256::PublicKey::from_sec1_bytes(&public).ok()?;
            let shared =
                p256::ecdh::diffie_hellman(private.to_nonzero_scalar(), public.as_affine());
            <[u8; 32]>::try_from(shared.raw_secret_bytes().as_slice()).ok()
        };
        let from_supplier = || {
            agree(
                self.private_key(supplier, KeyUse::Prepayment)?,
                self.public_key(device, KeyUse::KeyAgreement)?,
            )
        };
        let from_device = || {
            agree(
                self.private_key(device, KeyUse::KeyAgreement)?,
                self.public_key(supplier, KeyUse::Prepayment)?,
            )
        };
        from_supplier().or_else(from_device)
    }

    /// Computes and caches the secrets of these pairs ahead of their first use (a head-end
    /// warming its cache for the fleet it serves, off the request path).
    pub fn warm(&self, pairs: impl IntoIterator<Item = (Eui64, Eui64)>) -> usize {
        pairs
            .into_iter()
            .filter(|&(a, b)| self.shared_secret(a, b).is_some())
            .count()
    }
}

/// The P-256 public key (SEC1 uncompressed point) of a PEM certificate or public key.
pub fn public_key_of_pem(pem: &str) -> Result<[u8; 65], String> {
    public_key_of_certificate(pem.as_bytes())
}

/// The DER of a P-256 SubjectPublicKeyInfo up to its 65-byte uncompressed point: SEQUENCE,
/// AlgorithmIdentifier (id-ecPublicKey, prime256v1), BIT STRING of 66 bytes (RFC 5480 §2).
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x02, 0x01, 0x06, 0x08, 0x2A,
    0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The P-256 public key of a PEM certificate (or of a bare PEM public key). The key is found by its SubjectPublicKeyInfo,
/// whose encoding is fixed for P-256, rather than by parsing the whole certificate: some RTDS
/// test certificates have serial numbers that strict X.509 parsers refuse.
fn public_key_of_certificate(pem: &[u8]) -> Result<[u8; 65], String> {
    public_key_of_der(&pem_der(pem)?.0)
}

/// The DER of the first PEM certificate or public key in `pem`, and whether it is a
/// certificate.
fn pem_der(pem: &[u8]) -> Result<(Vec<u8>, bool), String> {
    use base64::Engine;
    let text = std::str::from_utf8(pem).map_err(|_| "not PEM text".to_string())?;
    let mut lines = text.lines().skip_while(|l| {
        !(l.starts_with("-----BEGIN CERTIFICATE-----")
            || l.starts_with("-----BEGIN PUBLIC KEY-----"))
    });
    let certificate = lines
        .next()
        .is_some_and(|l| l.starts_with("-----BEGIN CERTIFICATE-----"));
    let body: String = lines.take_while(|l| !l.starts_with("-----END")).collect();
    if body.is_empty() {
        return Err("no PEM certificate or public key".into());
    }
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|e| format!("certificate is not valid base64: {e}"))?;
    Ok((der, certificate))
}

/// Whether a certificate's subject names `eui`: SMKI organisation and device certificates carry
/// it as the subject's unique identifier (X.520 `x500UniqueIdentifier`, OID 2.5.4.45, a BIT
/// STRING of the EUI-64).
pub fn certificate_names(der: &[u8], eui: Eui64) -> bool {
    const UNIQUE_IDENTIFIER: [u8; 8] = [0x06, 0x03, 0x55, 0x04, 0x2D, 0x03, 0x09, 0x00];
    certificate_subject(der).is_some_and(|subject| {
        subject
            .windows(16)
            .any(|w| w[..8] == UNIQUE_IDENTIFIER && w[8..] == eui.0)
    })
}

/// The DER of a certificate's subject name: the to-be-signed part's sixth field (its fifth
/// without the explicit version).
fn certificate_subject(der: &[u8]) -> Option<Vec<u8>> {
    use super::asn1::{Der, DerValue};
    let certificate = Der::decode(der).ok()?;
    let DerValue::Items(parts) = &certificate.value else {
        return None;
    };
    let DerValue::Items(tbs) = &parts.first()?.value else {
        return None;
    };
    let version = usize::from(tbs.first()?.tag == 0xA0);
    Some(tbs.get(version + 4)?.encode())
}

/// The P-256 public key of a DER certificate (or SubjectPublicKeyInfo), found as
/// [`public_key_of_pem`] finds it.
pub fn public_key_of_der(der: &[u8]) -> Result<[u8; 65], String> {
    let mut found = der
        .windows(P256_SPKI_PREFIX.len() + 65)
        .filter(|w| w.starts_with(&P256_SPKI_PREFIX) && w[P256_SPKI_PREFIX.len()] == 0x04);
    match (found.next(), found.next()) {
        (Some(w), None) => {
            let mut key = [0u8; 65];
            key.copy_from_slice(&w[P256_SPKI_PREFIX.len()..]);
            p256::PublicKey::from_sec1_bytes(&key)
                .map_err(|_| "the certificate's key is not a point of P-256".to_string())?;
            Ok(key)
        }
        (None, _) => Err("no P-256 public key in the certificate".into()),
        (Some(_), Some(_)) => Err("more than one P-256 public key in the certificate".into()),
    }
}

/// The outcome of checking a MAC or a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
    /// The message has none (an unMACed message, an unsigned one).
    Absent,
    /// The keys needed are not in the store.
    NoKey,
}

/// Checks the MAC of a general-ciphering message. `acb` is the Access Control Broker that MACs
/// commands on the remote parties' behalf.
pub fn verify_mac(keys: &KeyStore, message: &GbcsMessage, acb: Eui64) -> Verdict {
    let Some(c) = &message.ciphering else {
        return Verdict::Absent;
    };
    match compute_mac(keys, message, acb) {
        Some(tag) if constant_time_eq(&tag, &c.mac) => Verdict::Valid,
        Some(_) => Verdict::Invalid,
        None => Verdict::NoKey,
    }
}

/// The 12-byte MAC a general-ciphering message should carry, if the keys are at hand.
pub fn compute_mac(keys: &KeyStore, message: &GbcsMessage, acb: Eui64) -> Option<[u8; 12]> {
    let s = &message.signing;
    let (sender, receiver) = match s.cra {
        Cra::Command => (acb, s.recipient),
        _ => (s.originator, s.recipient),
    };
    let z = keys.shared_secret(sender, receiver)?;
    let key = derive_key(&z, s.originator, s.cra, s.originator_counter, s.recipient);
    let mut signing = Vec::with_capacity(s.content.len() + 100);
    s.encode(&mut signing).ok()?;
    let mut aad = Vec::with_capacity(AAD_PREFIX.len() + signing.len());
    aad.extend_from_slice(&AAD_PREFIX);
    aad.extend_from_slice(&signing);
    let mut nonce = [0u8; 12];
    nonce[..8].copy_from_slice(&s.originator.0);
    let key = LessSafeKey::new(UnboundKey::new(&AES_128_GCM, &key).ok()?);
    let mut empty: [u8; 0] = [];
    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&aad),
            &mut empty,
        )
        .ok()?;
    let mut out = [0u8; 12];
    out.copy_from_slice(&tag.as_ref()[..12]);
    Some(out)
}

/// The single-step KDF of GBCS: 16 bytes of SHA-256 over counter, secret and OtherInfo.
pub(super) fn derive_key(
    z: &[u8; 32],
    originator: Eui64,
    cra: Cra,
    counter: u64,
    recipient: Eui64,
) -> [u8; 16] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(&[0, 0, 0, 1]);
    ctx.update(z);
    ctx.update(&ALGORITHM_ID);
    ctx.update(&originator.0);
    ctx.update(&[0x09, cra.byte()]);
    ctx.update(&counter.to_be_bytes());
    ctx.update(&recipient.0);
    let digest = ctx.finish();
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest.as_ref()[..16]);
    key
}

/// Checks the ECDSA signature of the general-signing APDU against the originator's signing key.
pub fn verify_signature(keys: &KeyStore, message: &GbcsMessage) -> Verdict {
    let s = &message.signing;
    let signature = match &s.signature {
        Some(sig) if !sig.is_empty() => sig,
        _ => return Verdict::Absent,
    };
    let Some(public) = keys.public_key(s.originator, KeyUse::Signing) else {
        return Verdict::NoKey;
    };
    let signed = signed_bytes(message);
    match UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, &public).verify(&signed, signature) {
        Ok(()) => Verdict::Valid,
        Err(_) => Verdict::Invalid,
    }
}

/// Checks the ECDSA signature of the general-signing APDU against `public` (an uncompressed
/// P-256 key): a device's trust anchor's, rather than the key store's.
pub fn verify_signature_with(public: &[u8], message: &GbcsMessage) -> Verdict {
    match &message.signing.signature {
        Some(sig) if !sig.is_empty() => {
            let signed = signed_bytes(message);
            match UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public).verify(&signed, sig) {
                Ok(()) => Verdict::Valid,
                Err(_) => Verdict::Invalid,
            }
        }
        _ => Verdict::Absent,
    }
}

/// Signs a general-signing APDU with its originator's signing key (which `keys` must hold),
/// replacing any signature. `false` when the key is not at hand.
pub fn sign_message(keys: &KeyStore, message: &mut GbcsMessage) -> bool {
    let signed = signed_bytes(message);
    match keys.sign(message.signing.originator, &signed) {
        Some(signature) => {
            message.signing.signature = Some(signature.to_vec());
            true
        }
        None => false,
    }
}

/// Wraps a message in general-ciphering with the MAC GBCS gives it (see [`compute_mac`]).
/// `false` when the keys are not at hand.
pub fn mac_message(keys: &KeyStore, message: &mut GbcsMessage, acb: Eui64) -> bool {
    if message.signing.signature.is_none() {
        message.signing.signature = Some(Vec::new());
    }
    message.ciphering = Some(super::frame::GeneralCiphering {
        security_header: [0x11, 0, 0, 0, 0],
        mac: [0; 12],
    });
    match compute_mac(keys, message, acb) {
        Some(mac) => {
            if let Some(c) = message.ciphering.as_mut() {
                c.mac = mac;
            }
            true
        }
        None => {
            message.ciphering = None;
            false
        }
    }
}

/// The bytes a signature covers: the general-signing APDU after its tag, up to its content.
fn signed_bytes(message: &GbcsMessage) -> Vec<u8> {
    let mut unsigned = message.signing.clone();
    unsigned.signature = None;
    let mut out = Vec::new();
    // Encoding without the signature field cannot fail where the whole message encoded.
    let _ = unsigned.encode(&mut out);
    out.remove(0);
    out
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests;
