//! `dccsim serve`: assembles the head-end from its state folder (or the embedded default) and
//! runs the gateway's tasks until Ctrl-C, saving state as it goes.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::Utc;

use super::defaults;
use super::delivery::DeliveryQueue;
use super::journal::Journal;
use super::pki::Pki;
use super::server::{
    Gateway, ResponseSigner, client_map, rrs_client_config, run_deliveries, serve_plain, serve_tls,
    tls_config,
};
use super::store::{Store, Write};
use crate::headend::SignatureCheck;
use crate::model::Eui64;

/// The ZAZ1 test PKI (DCC Boxed's), shipped with dccsim as data.
pub const ZAZ1_KEYSTORE: &str = include_str!("../../data/zaz1-keystore.json");

pub struct ServeOptions {
    pub state: PathBuf,
    pub listen: String,
    pub plain: Option<String>,
    pub premises: u32,
    pub seed: u64,
    pub receive_urls: HashMap<Eui64, String>,
    /// PEM certificates of CAs that `https://` Receive Response Services' certificates chain to
    /// (the head-end's own test CA is always trusted).
    pub receive_ca: Option<String>,
    pub check_signature: SignatureCheck,
    pub sign_response: Option<ResponseSigner>,
    /// Sign the synchronous acknowledgements and refusals too (DCC Boxed sends them unsigned).
    pub sign_acknowledgements: bool,
    /// The window each DCC schedule's runs are spread over.
    pub schedule_spread: chrono::Duration,
    /// The WAN between the head-end and the fleet, by region (`defaults::wan()`).
    pub wan: std::collections::BTreeMap<crate::model::CspRegion, crate::headend::WanLink>,
    /// A simulator scenario whose regions and technologies make the WAN instead (cells, queues,
    /// retries, outages).
    pub cell_wan: Option<crate::sim::scenario::Scenario>,
    /// Supply outages in the fleet.
    pub outages: crate::headend::outages::OutageModel,
}

/// What `serve` reports once it listens.
pub struct Started {
    pub https: std::net::SocketAddr,
    pub plain: Option<std::net::SocketAddr>,
    pub devices: usize,
    pub restored_counters: usize,
    pub restored_undelivered: usize,
    pub restored_schedules: usize,
    pub restored_held: usize,
    /// Premises still off supply (as saved) when it started.
    pub restored_off: usize,
    pub pki_dir: PathBuf,
    /// Cells per region when the WAN is a scenario's.
    pub cells: Option<std::collections::BTreeMap<crate::model::CspRegion, usize>>,
}

/// Runs until `shutdown` completes; calls `started` once listening.
pub async fn serve(
    options: ServeOptions,
    started: impl FnOnce(&Started),
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    use anyhow::Context;
    std::fs::create_dir_all(&options.state)
        .with_context(|| format!("cannot create {}", options.state.display()))?;
    let database = options.state.join("dccsim.sqlite");
    let mut store = Store::open(&database)?;
    let user_euis: Vec<Eui64> = defaults::users().iter().map(|u| u.eui).collect();
    let pki_dir = options.state.join("pki");
    let pki = match Pki::read(&pki_dir, &user_euis) {
        Ok(pki) => pki,
        Err(_) => {
            let pki = Pki::generate(&["localhost", "127.0.0.1"], &user_euis)?;
            pki.write(&pki_dir)?;
            pki
        }
    };
    let now = Utc::now();
    let mut head_end = defaults::head_end(
        options.premises,
        options.seed,
        now,
        options.wan,
        options.check_signature,
    )?;
    // The registry as last saved (imports and deltas applied since, and users' inventory
    // changes, folded in so they are not replayed at every start), else the generated one.
    if store.inventory_changes()? > 0 {
        store.fold_inventory()?;
    }
    // The registry and its generation read together: a save between two reads would otherwise
    // leave the head-end on an old registry it believes current.
    let registry_generation = match store.registry_snapshot()? {
        (generation, Some(saved)) => {
            head_end.set_registry(saved);
            generation
        }
        (_, None) => {
            store.save_registry(head_end.registry())?;
            store.registry_generation()?
        }
    };
    // The devices of an imported extract or a delta that the generated fleet does not have.
    defaults::adopt_registry_devices(&mut head_end, options.seed, now);
    // Devices keep what they were told before a restart (supply state, credit, counters…).
    let saved_devices = store.devices()?;
    for (eui, state) in &saved_devices {
        if let Err(e) = head_end.restore_device_state(*eui, state) {
            eprintln!("warning: saved state of device {eui} not restored: {e}");
        }
    }
    let counters = store.counters()?;
    for (user, counter) in &counters {
        head_end.restore_counter(*user, *counter);
    }
    head_end.set_schedule_spread(options.schedule_spread);
    let cells = options.cell_wan.as_ref().map(|scenario| {
        let wan =
            crate::headend::wan::CellWan::new(scenario, head_end.registry(), now, options.seed);
        let cells = wan.cells();
        head_end.set_cell_wan(wan);
        cells
    });
    // Premises off supply when the head-end stopped stay off until their time and then alert
    // (at once if it passed while down); new faults are drawn from now — from the seed and how
    // far the saved state has come (its sequence), so a fresh state folder gives the same faults
    // for the same seed and a restart does not replay the faults of the run before.
    let mut outages = crate::headend::outages::Outages::new(
        options.outages,
        head_end.registry(),
        now,
        options.seed ^ store.sequence()?.rotate_left(32),
    );
    let off = store.outages()?;
    let restored_off = off.len();
    for o in off {
        outages.restore(o);
    }
    head_end.set_outages(outages);
    head_end.restore_sequence(store.sequence()?);
    // Schedules and held requests pick up where they were; runs missed while down run now.
    let schedules = store.schedules()?;
    let restored_schedules = schedules.len();
    for schedule in schedules {
        head_end.restore_schedule(schedule);
    }
    let held = store.held()?;
    let restored_held = held.len();
    for h in held {
        head_end.restore_held(h);
    }
    // Responses on their way when the head-end stopped go out when due (at once if overdue).
    let mut queue = DeliveryQueue::default();
    let outbox = store.outbox()?;
    let restored_undelivered = outbox.len();
    for o in outbox {
        queue.restore(o.item, o.due.max(now));
    }
    let devices = head_end.registry().len();
    // The ECDH secrets of each meter with the ACB and its supplier, computed on a thread of
    // their own as the gateway starts, so that the first read of a meter does not pay for them
    // under the head-end's lock (two P-256 scalar multiplications, about 0.15 ms).
    let (keys, pairs) = (head_end.keys(), head_end.key_pairs(now.date_naive()));
    let _ = std::thread::Builder::new()
        .name("dccsim-keys".into())
        .spawn(move || keys.warm(pairs));
    let gateway = Arc::new(Gateway {
        check_signature: head_end.signature_check(),
        head_end: Mutex::new(head_end),
        deliveries: Mutex::new(queue),
        clients: client_map(&pki),
        receive_urls: options.receive_urls,
        sign_response: options.sign_response,
        sign_acknowledgements: options.sign_acknowledgements,
        clock: Box::new(Utc::now),
        log: Mutex::new(Vec::new()),
        refusals: Default::default(),
        rrs_tls: Some(
            rrs_client_config(&pki, options.receive_ca.as_deref()).map_err(anyhow::Error::msg)?,
        ),
        journal: Some(Journal::start(store)),
        connections: Default::default(),
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.changed().await;
    };
    let listener = tokio::net::TcpListener::bind(&options.listen)
        .await
        .with_context(|| format!("cannot listen on {}", options.listen))?;
    let https = listener.local_addr()?;
    let mut tasks = vec![tokio::spawn(serve_tls(
        gateway.clone(),
        listener,
        tls_config(&pki).map_err(anyhow::Error::msg)?,
        stopped(stop_rx.clone()),
    ))];
    let plain = match &options.plain {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr}"))?;
            let local = listener.local_addr()?;
            tasks.push(tokio::spawn(serve_plain(
                gateway.clone(),
                listener,
                stopped(stop_rx.clone()),
            )));
            Some(local)
        }
        None => None,
    };
    tasks.push(tokio::spawn(run_deliveries(
        gateway.clone(),
        stopped(stop_rx.clone()),
    )));
    tasks.push(tokio::spawn(reload_registry_when_saved(
        gateway.clone(),
        Store::open(&database)?,
        registry_generation,
        options.seed,
        stopped(stop_rx.clone()),
    )));
    started(&Started {
        https,
        plain,
        devices,
        restored_counters: counters.len(),
        restored_undelivered,
        restored_schedules,
        restored_held,
        restored_off,
        pki_dir,
        cells,
    });
    // Counters, responses, schedules and held requests are committed as they change; the
    // devices' state and the transaction log every second, and once more on the way out.
    let save = || {
        let mut writes = Vec::new();
        if let Ok(mut he) = gateway.head_end.lock() {
            writes.push(Write::Devices(he.take_device_states()));
        }
        if let Ok(mut log) = gateway.log.lock() {
            writes.push(Write::Log(std::mem::take(&mut *log)));
        }
        if let Some(journal) = &gateway.journal {
            journal.send(writes);
        }
        gateway.refusals.flush();
    };
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(std::time::Duration::from_secs(1)) => save(),
        }
        // Fail-stop: once the state database could not be written, the head-end stops.
        if gateway.failure().is_some() {
            break;
        }
    }
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    save();
    if let Some(why) = gateway.failure() {
        anyhow::bail!(
            "stopped: the state database {} could not be written ({why}); what is on disk is \
             what was acknowledged — restart once it is writable",
            options.state.join("dccsim.sqlite").display()
        );
    }
    match Arc::try_unwrap(gateway) {
        Ok(gateway) => {
            if let Some(journal) = gateway.journal {
                journal.close();
            }
        }
        Err(_) => {
            eprintln!("warning: a gateway task outlived shutdown; its last writes may be lost")
        }
    }
    Ok(())
}

/// How often a running head-end looks for a registry saved by `dccsim registry import|apply`.
pub const REGISTRY_POLL: std::time::Duration = std::time::Duration::from_secs(2);

/// Swaps in the registry whenever `dccsim registry import` or `apply` saves one (its generation
/// in the database moves), until `shutdown`: requests go on meanwhile, and users' inventory
/// changes made while it is read are made again on it ([`HeadEnd::begin_registry_reload`]);
/// devices new to it get virtual devices, drawn from `seed` ([`defaults::adopt_registry_devices`]).
/// A registry that cannot be read is reported and the one in use kept.
///
/// [`HeadEnd::begin_registry_reload`]: crate::headend::HeadEnd::begin_registry_reload
async fn reload_registry_when_saved(
    gateway: Arc<Gateway>,
    store: Store,
    mut generation: u64,
    seed: u64,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let store = Arc::new(Mutex::new(store));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(REGISTRY_POLL) => {}
        }
        match read(&store, Store::registry_generation).await {
            Ok(saved) if saved != generation => {}
            Ok(_) => continue,
            Err(e) => {
                eprintln!("warning: cannot read the registry's generation: {e}");
                continue;
            }
        }
        let began = std::time::Instant::now();
        if let Ok(mut he) = gateway.head_end.lock() {
            he.begin_registry_reload();
        }
        // Everything journalled before the reload began is in the database before it is read.
        if let Some(journal) = &gateway.journal
            && journal.barrier().wait().await.is_err()
        {
            return;
        }
        let registry = match read(&store, Store::registry_snapshot).await {
            Ok((saved, Some(registry))) => {
                generation = saved;
                registry
            }
            failed => {
                let why = match failed {
                    Err(e) => e,
                    _ => "there is none".into(),
                };
                eprintln!(
                    "warning: the registry saved could not be read ({why}); the one in use stays \
                     until the next save"
                );
                // Not tried again until something saves anew.
                if let Ok(saved) = read(&store, Store::registry_generation).await {
                    generation = saved;
                }
                if let Ok(mut he) = gateway.head_end.lock() {
                    he.abort_registry_reload();
                }
                continue;
            }
        };
        let devices = registry.len();
        let Ok(mut he) = gateway.head_end.lock() else {
            return;
        };
        let old = he.finish_registry_reload(registry, Utc::now());
        // New installations answer as the rest of the fleet does.
        let adopted = defaults::adopt_registry_devices(&mut he, seed, Utc::now());
        let (keys, pairs) = (he.keys(), he.key_pairs(Utc::now().date_naive()));
        drop(he);
        drop(old);
        // New suppliers' secrets, off the request path as at the start (on a thread of their
        // own, which shutdown does not wait for).
        let _ = std::thread::Builder::new()
            .name("dccsim-keys".into())
            .spawn(move || keys.warm(pairs));
        println!(
            "registry reloaded: {devices} devices ({adopted} new virtual devices) in {} ms (saved registry generation {generation})",
            began.elapsed().as_millis()
        );
    }
}

/// Runs `f` on the store on a blocking thread.
async fn read<T: Send + 'static>(
    store: &Arc<Mutex<Store>>,
    f: fn(&Store) -> Result<T, super::store::StoreError>,
) -> Result<T, String> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let store = store
            .lock()
            .map_err(|_| "the registry reader panicked".to_string())?;
        f(&store).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}
