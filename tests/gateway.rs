//! The User Gateway over real sockets on loopback: mutual TLS with certificates from the test
//! PKI, DCC Boxed's paths, the synchronous I99, and the I0 response POSTed to the user's Receive
//! Response Service (`dccsim receive`'s server) a moment later.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use chrono::{Duration, Utc};
use dccsim::device::{Consumer, CustomerType, Esme};
use dccsim::gateway::receive::{Receiver, field};
use dccsim::gateway::{
    DeliveryQueue, Gateway, Pki, client_map, run_deliveries, serve_tls, tls_config,
};
use dccsim::headend::{HeadEnd, Registry, ServiceMatrix, User, WanLink};
use dccsim::model::{CspRegion, Eui64, Role};
use dccsim::protocol::gbcs::KeyStore;
use dccsim::wan::Latency;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

const SUPPLIER: &str = "90-B3-D5-1F-30-01-00-00";
const NETWORK: &str = "90-B3-D5-1F-30-02-00-00";
const METER: &str = "00-DB-12-34-56-78-90-A0";

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference")
}

fn eui(s: &str) -> Eui64 {
    s.parse().unwrap()
}

fn head_end() -> HeadEnd {
    let dir = std::env::temp_dir().join(format!("dccsim-gateway-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let extract = dir.join("extract.csv");
    std::fs::write(
        &extract,
        format!(
            "mpxn,device_id,device_type,comms_hub_id,smi_status,supplier_id,supplier_from,supplier_to,network_operator_id,gsp_group,csp_region,protocol
1400000000001,{METER},ESME,00-DB-12-34-56-78-90-A3,Commissioned,{SUPPLIER},2014-01-01,,{NETWORK},_E,central,GBCS
,00-DB-12-34-56-78-90-A3,CHF,00-DB-12-34-56-78-90-A3,Commissioned,,,,{NETWORK},_E,central,GBCS
"
        ),
    )
    .unwrap();
    let registry = Registry::import(&extract).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let mut keys = KeyStore::load(&reference().join("gbcs-rtds/keystore")).unwrap();
    keys.forget(eui(METER));
    keys.derive_fleet(&eui(METER).0, [3; 32]);
    let consumer = Consumer {
        kind: CustomerType::Domestic,
        annual_wh: 3_000_000,
        solar_peak_w: 0,
        seed: 5,
    };
    let users = vec![
        User {
            eui: eui(SUPPLIER),
            name: "supplier".into(),
            roles: vec![Role::ImportSupplier],
        },
        User {
            eui: eui(NETWORK),
            name: "network operator".into(),
            roles: vec![Role::ElectricityDistributor],
        },
    ];
    let wan = BTreeMap::from([(
        CspRegion::Central,
        WanLink {
            latency: Latency::Fixed(100_000),
            loss: 0.0,
            timeout: Duration::seconds(30),
        },
    )]);
    let signers = signers();
    let check =
        std::sync::Arc::new(move |xml: &str| signers.verify(xml).map_err(|e| e.to_string()));
    HeadEnd::new(
        ServiceMatrix::embedded(),
        registry,
        users,
        vec![Esme::new(
            eui(METER),
            consumer,
            Utc::now() - Duration::days(30),
        )],
        keys,
        eui("90-B3-D5-1F-30-00-00-02"),
        wan,
        check,
        1,
    )
}

/// A TLS client of the gateway presenting `user`'s certificate (or none).
fn client_config(pki: &Pki, user: Option<Eui64>) -> Arc<rustls::ClientConfig> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pki.ca.cert_pem.as_bytes()).unwrap())
        .unwrap();
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots);
    Arc::new(match user {
        Some(u) => {
            let id = &pki.users.iter().find(|(e, _)| *e == u).unwrap().1;
            builder
                .with_client_auth_cert(
                    vec![CertificateDer::from_pem_slice(id.cert_pem.as_bytes()).unwrap()],
                    PrivateKeyDer::from_pem_slice(id.key_pem.as_bytes()).unwrap(),
                )
                .unwrap()
        }
        None => builder.with_no_client_auth(),
    })
}

async fn post_tls(
    addr: std::net::SocketAddr,
    config: Arc<rustls::ClientConfig>,
    path: &str,
    body: String,
) -> Result<(u16, String), String> {
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let req = hyper::Request::post(path)
        .header("host", "localhost")
        .header("content-type", "application/xml")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
    let status = res.status().as_u16();
    let body = res
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// The ZAZ1 XML-signing keys, as the gateway verifies requests and users sign them.
fn signers() -> dccsim::headend::xmldsig::XmlSigners {
    dccsim::headend::xmldsig::XmlSigners::from_zaz1(dccsim::gateway::run::ZAZ1_KEYSTORE).unwrap()
}

/// The RTDS 4.8.1 request for yesterday, with this counter, signed with the supplier's ZAZ1 key.
fn read_request(counter: u64) -> String {
    let yesterday = (Utc::now() - Duration::days(1)).format("%Y-%m-%d");
    let today = Utc::now().format("%Y-%m-%d");
    let xml = std::fs::read_to_string(
        reference().join("duis/rtds-templates/ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML"),
    )
    .unwrap()
    .replace(":1002<", &format!(":{counter}<"))
    .replace(
        "2014-12-31T00:00:00.00Z",
        &format!("{yesterday}T00:00:00.00Z"),
    )
    .replace("2015-01-01T00:00:00.00Z", &format!("{today}T00:00:00.00Z"));
    let xml = dccsim::headend::xmldsig::prepare_for_signing(&xml).unwrap();
    signers().sign(&xml, eui(SUPPLIER), false).unwrap()
}

#[tokio::test]
async fn mutual_tls_request_then_response_delivered_to_the_users_service() {
    let pki = Pki::generate(&["localhost", "127.0.0.1"], &[eui(SUPPLIER), eui(NETWORK)]).unwrap();

    // The supplier's Receive Response Service.
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let store = received.clone();
    let receiver = Arc::new(Receiver {
        dir: None,
        count: Default::default(),
        on_message: Box::new(move |_, xml| store.lock().unwrap().push(xml.to_string())),
    });
    let rrs = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rrs_addr = rrs.local_addr().unwrap();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.changed().await;
    };
    tokio::spawn(dccsim::gateway::receive::serve(
        receiver,
        rrs,
        stopped(stop_rx.clone()),
    ));

    let head_end = head_end();
    let gateway = Arc::new(Gateway {
        check_signature: head_end.signature_check(),
        head_end: Mutex::new(head_end),
        deliveries: Mutex::new(DeliveryQueue::default()),
        clients: client_map(&pki),
        receive_urls: HashMap::from([(eui(SUPPLIER), format!("http://{rrs_addr}/rrs"))]),
        sign_response: None,
        sign_acknowledgements: false,
        clock: Box::new(Utc::now),
        log: Mutex::new(Vec::new()),
        refusals: Default::default(),
        rrs_tls: None,
        journal: None,
        connections: Default::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve_tls(
        gateway.clone(),
        listener,
        tls_config(&pki).unwrap(),
        stopped(stop_rx.clone()),
    ));
    tokio::spawn(run_deliveries(gateway.clone(), stopped(stop_rx.clone())));

    let supplier = client_config(&pki, Some(eui(SUPPLIER)));
    let started = std::time::Instant::now();
    let (status, body) = post_tls(
        addr,
        supplier.clone(),
        "/api/v1/serviceS",
        read_request(5000),
    )
    .await
    .unwrap();
    let sync_time = started.elapsed();
    assert_eq!(status, 200, "{body}");
    assert_eq!(field(&body, "ResponseCode"), Some("I99"), "{body}");
    assert!(
        sync_time < std::time::Duration::from_secs(3),
        "{sync_time:?}"
    );

    // The device's answer arrives at the Receive Response Service.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(xml) = received.lock().unwrap().first() {
            assert_eq!(field(xml, "ResponseCode"), Some("I0"), "{xml}");
            assert!(xml.contains("<sr:GBCSPayload>"));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no response delivered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }

    // A request whose signature no longer matches is refused.
    let tampered = read_request(5004).replace("5004<", "5005<");
    let (status, body) = post_tls(addr, supplier.clone(), "/api/v1/serviceS", tampered)
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(field(&body, "ResponseCode"), Some("E1"), "{body}");

    // Wrong paths and methods, a client with another user's certificate, and no certificate.
    let (status, _) = post_tls(
        addr,
        supplier.clone(),
        "/api/v1/nothing",
        read_request(5001),
    )
    .await
    .unwrap();
    assert_eq!(status, 404);
    let network = client_config(&pki, Some(eui(NETWORK)));
    let (status, body) = post_tls(addr, network, "/api/v1/serviceS", read_request(5002))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert_eq!(field(&body, "ResponseCode"), Some("E1"), "{body}");
    let anonymous = client_config(&pki, None);
    assert!(
        post_tls(addr, anonymous, "/api/v1/serviceS", read_request(5003))
            .await
            .is_err()
    );
    let (status, body) = post_tls(addr, supplier, "/api/v1/serviceS", "<garbage".into())
        .await
        .unwrap();
    assert_eq!(status, 400, "{body}");

    // Every answered request is in the transaction log (a response delivered is logged in
    // the commit that strikes it off: tests/restart.rs counts those).
    let log = gateway.log.lock().unwrap().clone();
    let kinds: Vec<_> = log.iter().map(|e| e.kind.name()).collect();
    assert_eq!(kinds, ["request"; 3]);
    drop(log);
    let _ = stop_tx.send(true);
}

/// A Receive Response Service on HTTPS: one loopback TLS server with `identity`'s certificate
/// that answers one POST with 200 and hands back the body it got.
async fn https_rrs(identity: dccsim::gateway::Identity) -> (u16, tokio::task::JoinHandle<String>) {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let cert = CertificateDer::from_pem_slice(identity.cert_pem.as_bytes()).unwrap();
    let key = PrivateKeyDer::from_pem_slice(identity.key_pem.as_bytes()).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let Ok((tcp, _)) = listener.accept().await else {
            return String::new();
        };
        let Ok(mut tls) = acceptor.accept(tcp).await else {
            return String::new();
        };
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&got).contains("</sr:Response>") {
            match tls.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        let _ = tls
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .await;
        let _ = tls.flush().await;
        String::from_utf8_lossy(&got).into_owned()
    });
    (port, task)
}

#[tokio::test]
async fn responses_reach_an_https_receive_response_service_with_a_trusted_certificate() {
    let pki = Pki::generate(&["localhost"], &[]).unwrap();
    let config = dccsim::gateway::rrs_client_config(&pki, None).unwrap();
    let xml = "<sr:Response>delivered over TLS</sr:Response>";
    // A service whose certificate chains to a trusted CA gets the POST.
    let (port, server) = https_rrs(pki.server.clone()).await;
    let url = format!("https://localhost:{port}/rrs");
    dccsim::gateway::post(&url, xml, Some(&config))
        .await
        .unwrap();
    let got = server.await.unwrap();
    assert!(got.starts_with("POST /rrs HTTP/1.1"), "{got}");
    assert!(got.contains(xml), "{got}");
    // One whose certificate does not (another PKI's) is refused: nothing is sent.
    let stranger = Pki::generate(&["localhost"], &[]).unwrap();
    let (port, server) = https_rrs(stranger.server.clone()).await;
    let url = format!("https://localhost:{port}/rrs");
    let err = dccsim::gateway::post(&url, xml, Some(&config))
        .await
        .unwrap_err();
    assert!(err.contains("TLS"), "{err}");
    assert!(!server.await.unwrap().contains(xml));
    // Trusting the stranger's CA with --receive-ca makes it reachable.
    let both = dccsim::gateway::rrs_client_config(&pki, Some(&stranger.ca.cert_pem)).unwrap();
    let (port, server) = https_rrs(stranger.server.clone()).await;
    let url = format!("https://localhost:{port}/rrs");
    dccsim::gateway::post(&url, xml, Some(&both)).await.unwrap();
    assert!(server.await.unwrap().contains(xml));
    // Without a TLS configuration an https URL is an error, and so is another scheme.
    assert!(
        dccsim::gateway::post(&url, xml, None)
            .await
            .unwrap_err()
            .contains("no TLS configuration")
    );
    assert!(
        dccsim::gateway::post("ftp://x/y", xml, None)
            .await
            .unwrap_err()
            .contains("http:// or https://")
    );
}

/// `dccsim receive --tls`: an HTTPS Receive Response Service that requires a client certificate
/// from the head-end's CA. The head-end shows its DSP certificate and is let in; a client with
/// no certificate, or another PKI's, is turned away in the handshake and nothing is stored.
#[tokio::test]
async fn an_https_receiver_requires_the_head_ends_client_certificate() {
    let pki = Pki::generate(&["localhost"], &[]).unwrap();
    assert!(pki.dsp.is_some());
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let store = received.clone();
    let receiver = Arc::new(Receiver {
        dir: None,
        count: Default::default(),
        on_message: Box::new(move |_, xml| store.lock().unwrap().push(xml.to_string())),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(dccsim::gateway::receive::serve_tls(
        receiver,
        listener,
        dccsim::gateway::tls_config(&pki).unwrap(),
        async move {
            let _ = stop_rx.changed().await;
        },
    ));
    let url = format!("https://localhost:{port}/rrs");
    let head_end = dccsim::gateway::rrs_client_config(&pki, None).unwrap();
    dccsim::gateway::post(&url, "<sr:Response>one</sr:Response>", Some(&head_end))
        .await
        .unwrap();
    // Trusting the receiver but showing no certificate.
    let mut anonymous = pki.clone();
    anonymous.dsp = None;
    let anonymous = dccsim::gateway::rrs_client_config(&anonymous, None).unwrap();
    let err = dccsim::gateway::post(&url, "<sr:Response>two</sr:Response>", Some(&anonymous))
        .await
        .unwrap_err();
    assert!(!err.is_empty());
    // Another PKI's DSP certificate.
    let mut stranger = Pki::generate(&["localhost"], &[]).unwrap();
    stranger.ca = pki.ca.clone();
    let stranger = dccsim::gateway::rrs_client_config(&stranger, None).unwrap();
    assert!(
        dccsim::gateway::post(&url, "<sr:Response>three</sr:Response>", Some(&stranger))
            .await
            .is_err()
    );
    assert_eq!(
        *received.lock().unwrap(),
        ["<sr:Response>one</sr:Response>"]
    );
    let _ = stop_tx.send(true);
}
