//! The User Gateway on the network (tokio, rustls, hyper): mutual-TLS HTTPS in DCC Boxed's
//! shape, a test PKI, delivery to users' Receive Response Services with retries and an
//! undelivered queue, and a minimal Receive Response Service (`dccsim receive`).

pub mod config;
pub mod defaults;
pub mod delivery;
pub mod journal;
pub mod pki;
pub mod receive;
pub mod run;
pub mod server;
pub mod store;

pub use delivery::{DeliveryQueue, Item, Outcome};
pub use journal::Journal;
pub use pki::{Identity, Pki, PkiError};
pub use server::{
    Connections, Gateway, ResponseSigner, client_map, exchange, post, rrs_client_config,
    run_deliveries, serve_plain, serve_tls, tls_config,
};
