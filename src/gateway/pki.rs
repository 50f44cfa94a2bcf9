//! A test PKI for the User Gateway's mutual TLS: a CA, the gateway's server certificate and one
//! client certificate per DCC user (its EUI-64 as common name). `dccsim pki init DIR` writes
//! one; `dccsim serve` makes one in its state folder when there is none.

use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::model::Eui64;

/// A certificate and its private key, PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
}

/// The CA, the server and the users' identities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pki {
    pub ca: Identity,
    pub server: Identity,
    pub users: Vec<(Eui64, Identity)>,
    /// The head-end's client certificate, shown to the users' Receive Response Services as
    /// the DCC shows its own (`None` in a PKI written before dccsim made one).
    pub dsp: Option<Identity>,
}

#[derive(Debug, thiserror::Error)]
pub enum PkiError {
    #[error("cannot make a certificate: {0}")]
    Rcgen(#[from] rcgen::Error),
    #[error("{path}: {cause}")]
    Io { path: String, cause: std::io::Error },
    #[error("{path}: {reason}")]
    Bad { path: String, reason: String },
}

impl Pki {
    /// A fresh PKI: the server certificate names `hosts` (DNS names or IP addresses).
    pub fn generate(hosts: &[&str], users: &[Eui64]) -> Result<Pki, PkiError> {
        let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "dccsim test CA");
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate()?;
        let ca_cert = ca_params.self_signed(&ca_key)?;
        let ca = Identity {
            cert_pem: ca_cert.pem(),
            key_pem: ca_key.serialize_pem(),
        };
        let issuer = Issuer::new(ca_params, ca_key);
        let leaf = |names: Vec<String>, cn: &str, purpose| -> Result<Identity, PkiError> {
            let mut params = CertificateParams::new(names)?;
            params.distinguished_name.push(DnType::CommonName, cn);
            params.use_authority_key_identifier_extension = true;
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![purpose];
            let key = KeyPair::generate()?;
            let cert = params.signed_by(&key, &issuer)?;
            Ok(Identity {
                cert_pem: cert.pem(),
                key_pem: key.serialize_pem(),
            })
        };
        let server = leaf(
            hosts.iter().map(|h| h.to_string()).collect(),
            "dccsim User Gateway",
            ExtendedKeyUsagePurpose::ServerAuth,
        )?;
        let dsp = leaf(
            Vec::new(),
            "dccsim DSP",
            ExtendedKeyUsagePurpose::ClientAuth,
        )?;
        let mut out = Vec::new();
        for user in users {
            let id = leaf(
                Vec::new(),
                &user.to_string(),
                ExtendedKeyUsagePurpose::ClientAuth,
            )?;
            out.push((*user, id));
        }
        Ok(Pki {
            ca,
            server,
            users: out,
            dsp: Some(dsp),
        })
    }

    /// Writes `ca.pem`, `ca.key`, `server.pem`, `server.key`, `dsp.pem`, `dsp.key` and
    /// `<EUI>.pem`/`<EUI>.key` per user.
    pub fn write(&self, dir: &Path) -> Result<(), PkiError> {
        std::fs::create_dir_all(dir).map_err(|source| PkiError::Io {
            path: dir.display().to_string(),
            cause: source,
        })?;
        let mut files = vec![
            ("ca".to_string(), &self.ca),
            ("server".to_string(), &self.server),
        ];
        if let Some(dsp) = &self.dsp {
            files.push(("dsp".to_string(), dsp));
        }
        for (eui, id) in &self.users {
            files.push((eui.to_string(), id));
        }
        for (name, id) in files {
            for (ext, text) in [("pem", &id.cert_pem), ("key", &id.key_pem)] {
                let path = dir.join(format!("{name}.{ext}"));
                std::fs::write(&path, text).map_err(|source| PkiError::Io {
                    path: path.display().to_string(),
                    cause: source,
                })?;
            }
        }
        Ok(())
    }

    /// Reads a PKI written by [`Pki::write`] for these users.
    pub fn read(dir: &Path, users: &[Eui64]) -> Result<Pki, PkiError> {
        let read = |name: &str| -> Result<Identity, PkiError> {
            let get = |ext: &str| {
                let path = dir.join(format!("{name}.{ext}"));
                std::fs::read_to_string(&path).map_err(|source| PkiError::Io {
                    path: path.display().to_string(),
                    cause: source,
                })
            };
            Ok(Identity {
                cert_pem: get("pem")?,
                key_pem: get("key")?,
            })
        };
        Ok(Pki {
            ca: read("ca")?,
            server: read("server")?,
            dsp: read("dsp").ok(),
            users: users
                .iter()
                .map(|u| Ok((*u, read(&u.to_string())?)))
                .collect::<Result<_, PkiError>>()?,
        })
    }
}

/// The DER of the first certificate in PEM text.
pub fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let body: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN CERTIFICATE-----"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
}
