//! The head-end's request pipeline, sans-IO: a DUIS request (already received over mutual TLS,
//! its sender known from the client certificate) goes in with `now`; the synchronous reply comes
//! out at once, and the device's answer is queued for delivery to the user's Receive Response
//! Service when the WAN would bring it back (`poll_deliveries`). The head-end also holds what the
//! DCC runs later on a user's behalf: DCC schedules (5.1–5.3) and future-dated requests that the
//! DSP executes (`ExecutionDateTime`). No socket, clock or global RNG here: the gateway drives it.
//!
//! Order of checks, as the DCC applies them: the request parses; its XML signature verifies
//! with the sender's signing certificate; the sender is the RequestID's originator; the counter
//! is above the last one accepted from that user (replays refused); the URL fits the request;
//! then access control (`access`). Only then does a command reach a device.
//!
//! Everything that must outlive a crash — an accepted counter, a response on its way, a schedule
//! created or advanced, a request held — is also written to a journal ([`Change`]) that the
//! gateway commits to its database before it answers; so an acknowledged request or a scheduled
//! run is never lost to a restart.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::access::{Refusal, ResponseCode, User, authorise};
use super::inventory::{self, Coverage};
use super::matrix::ServiceMatrix;
use super::registry::{DeviceType, InventoryChange, Registry};
use super::request::{Element, HubCommand, Request, RequestId};
use super::response::{ResponseBody, response, scheduled_response};
use super::schedule::Schedule;
use super::wan::{Carried, CellWan};
use crate::device::{CommsHub, Esme, GasMeter};
use crate::model::{CspRegion, Eui64, ServiceRef};
use crate::protocol::gbcs::gbz::gas_command;
use crate::protocol::gbcs::payload::{encode_command, message_for};
use crate::protocol::gbcs::{Cra, GbcsMessage, KeyStore, mac_message};
use crate::wan::Latency;

/// Which User Gateway service a request came to (DCC Boxed paths `/api/v1/service{S,T,D}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Send Command: device requests.
    SendCommand,
    /// Transform: a critical request in, the pre-command to sign out.
    Transform,
    /// Non-Device: requests the DCC answers itself.
    NonDevice,
}

impl Endpoint {
    /// The URL path DCC Boxed serves it at.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::SendCommand => "/api/v1/serviceS",
            Endpoint::Transform => "/api/v1/serviceT",
            Endpoint::NonDevice => "/api/v1/serviceD",
        }
    }
}

/// The synchronous answer to a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncReply {
    /// A DUIS response (unsigned; the gateway signs it).
    Response {
        code: ResponseCode,
        xml: String,
        /// Why the request was refused, for the head-end's log (DUIS tells the user only the
        /// code).
        why: Option<String>,
    },
    /// Not a DUIS request at all: the gateway answers HTTP 400 with this text.
    Invalid(String),
}

/// A request parsed and its XML signature checked: the costly, stateless first steps, which the
/// gateway runs outside the head-end's lock so that requests are verified in parallel. The
/// verdict is kept, not acted on: the head-end refuses a bad signature in its order of checks.
pub struct Checked {
    xml: String,
    request: Request,
    signer: Result<Eui64, String>,
}

impl Checked {
    /// Parses `xml` and checks its signature; a request that does not parse is answered at
    /// once (HTTP 400 with the reason returned here).
    pub fn check(check_signature: &SignatureCheck, xml: &str) -> Result<Checked, String> {
        let request = Request::parse(xml).map_err(|e| format!("not a DUIS request: {e}"))?;
        Ok(Checked {
            xml: xml.to_string(),
            signer: check_signature(xml),
            request,
        })
    }

    pub fn request(&self) -> &Request {
        &self.request
    }
}

/// A response or alert due to a user at `due`; `id` is unique for the head-end's life, across
/// restarts, so the gateway's outbox can forget it once delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: u64,
    pub user: Eui64,
    pub due: DateTime<Utc>,
    pub xml: String,
}

/// A future-dated request the DSP executes: held, as received, until `at`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Held {
    pub id: u64,
    pub sender: Eui64,
    pub at: DateTime<Utc>,
    pub xml: String,
}

/// What changed in the head-end's durable state; the gateway commits these in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The last counter accepted from a user.
    Counter { user: Eui64, counter: u64 },
    /// A response or alert is on its way.
    Queued(Delivery),
    /// A schedule was created or ran (its `next` moved on).
    Schedule(Schedule),
    /// A schedule was deleted or has ended.
    ScheduleRemoved(u64),
    /// A future-dated request is held.
    Held(Held),
    /// A held request was carried out (or refused) at its time.
    Released(u64),
    /// A user changed the inventory (8.3, 8.4).
    Inventory(InventoryChange),
    /// A premises went off supply (or its outage got longer).
    SupplyOff(super::outages::Off),
    /// A premises' supply came back (its meters' alerts are queued in the same batch).
    SupplyBack(Eui64),
    /// A device's state (JSON) after a command that changed it (a top-up, a supply switched…)
    /// or an outage, saved with the answer or alert it gave: a kill cannot keep one and lose the
    /// other. (Reads change only a device's counters: those are saved once a second.)
    DeviceState { eui: Eui64, state: String },
}

/// Work the head-end does later, in time order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Job {
    Schedule(u64),
    Held(u64),
    /// A device has something to do on its own (a future-dated change it holds).
    Device(Eui64),
}

/// The WAN between the head-end and a region's devices, as the real-time head-end models it.
#[derive(Debug, Clone, PartialEq)]
pub struct WanLink {
    /// One-way latency of a message.
    pub latency: Latency,
    /// Probability a command or its response is lost.
    pub loss: f64,
    /// How long the head-end waits for a device's answer before answering E21.
    pub timeout: Duration,
}

/// Verifies a request's XML signature and names its signer. Injected, so the pipeline stays
/// free of key material and the gateway passes DCC's XML-DSig check (`duis::xmldsig`).
pub type SignatureCheck = std::sync::Arc<dyn Fn(&str) -> Result<Eui64, String> + Send + Sync>;

/// How the answer to a command is written for its user.
#[derive(Debug, Clone, Copy)]
enum Answer {
    /// To the user's request.
    Request { id: RequestId, service: ServiceRef },
    /// A run of a DCC schedule: `response_id` is device:user:counter of the command sent.
    Scheduled {
        schedule: u64,
        response_id: RequestId,
        service: ServiceRef,
    },
}

impl Answer {
    fn service(&self) -> ServiceRef {
        match *self {
            Answer::Request { service, .. } | Answer::Scheduled { service, .. } => service,
        }
    }

    fn user(&self) -> Eui64 {
        match self {
            Answer::Request { id, .. } => id.originator,
            Answer::Scheduled { response_id, .. } => response_id.target,
        }
    }

    fn xml(&self, code: ResponseCode, at: DateTime<Utc>, gbcs: Option<Vec<u8>>) -> String {
        match *self {
            Answer::Request { id, service } => {
                let body = gbcs.map_or(ResponseBody::Status, ResponseBody::Gbcs);
                response(id, service, code, at, &body)
            }
            Answer::Scheduled {
                schedule,
                response_id,
                service,
            } => {
                let body = match gbcs {
                    Some(gbcs) => ResponseBody::Scheduled { gbcs, schedule },
                    None => ResponseBody::ScheduleId(schedule),
                };
                scheduled_response(response_id, service, code, at, &body)
            }
        }
    }
}

/// The protocol a device target speaks, which decides the command a request becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Speaks {
    /// An electricity meter: DLMS/COSEM.
    Dlms,
    /// A gas meter or its proxy: ZigBee (GBZ).
    Gbz,
    /// A comms hub: the DCC's own commands, DLMS or ASN.1.
    Hub,
}

impl Speaks {
    fn of(device_type: DeviceType) -> Speaks {
        match device_type {
            DeviceType::Gsme | DeviceType::Gpf => Speaks::Gbz,
            DeviceType::Chf => Speaks::Hub,
            _ => Speaks::Dlms,
        }
    }
}

/// The head-end.
pub struct HeadEnd {
    matrix: ServiceMatrix,
    registry: Registry,
    users: HashMap<Eui64, User>,
    /// The last request counter accepted from each user.
    counters: HashMap<Eui64, u64>,
    /// The virtual electricity meters, by EUI-64.
    meters: HashMap<Eui64, Esme>,
    /// The virtual gas meters, answering at their GSME's and their GPF's EUI-64.
    gas_meters: Vec<GasMeter>,
    gas: HashMap<Eui64, usize>,
    /// The virtual comms hubs, by EUI-64.
    hubs: HashMap<Eui64, CommsHub>,
    /// The last counter the Access Control Broker gave a command of its own (to a comms hub).
    acb_counter: u64,
    /// Devices whose state changed since [`HeadEnd::take_device_states`] last ran.
    changed: BTreeSet<Eui64>,
    /// When each device last took a command: a later command reaches it no earlier, so its
    /// clock and logs run forward whatever latencies the WAN drew (not saved: a restart's
    /// commands come later anyway).
    device_clock: HashMap<Eui64, DateTime<Utc>>,
    keys: std::sync::Arc<KeyStore>,
    /// The Access Control Broker: MACs commands, as the DCC does for its users.
    acb: Eui64,
    wan: BTreeMap<CspRegion, WanLink>,
    check_signature: SignatureCheck,
    rng: ChaCha8Rng,
    /// Responses not yet due, by due time and id.
    pending: BTreeMap<(DateTime<Utc>, u64), Delivery>,
    /// The last delivery or held-request id given.
    sequence: u64,
    schedules: BTreeMap<u64, Schedule>,
    /// The last schedule id given.
    last_schedule: u64,
    /// The window each schedule's runs are spread over.
    spread: Duration,
    /// The last GBCS counter used for a scheduled command on behalf of each user.
    scheduled_counters: HashMap<Eui64, u64>,
    held: BTreeMap<u64, Held>,
    jobs: BTreeSet<(DateTime<Utc>, Job)>,
    journal: Vec<Change>,
    /// Inventory changes made since a registry reload began (see
    /// [`HeadEnd::begin_registry_reload`]), to make again on the reloaded registry.
    changed_since_reload: Option<Vec<InventoryChange>>,
    /// Supply outages in the fleet (none unless set).
    outages: Option<super::outages::Outages>,
    /// The simulator's cellular WAN, when given (instead of the per-region links).
    cells: Option<CellWan>,
    /// Commands a device dropped, and why, since [`HeadEnd::take_dropped`] last ran: DUIS
    /// tells the user only `E21` at the WAN timeout; the head-end's console says why.
    dropped: Vec<String>,
}

impl HeadEnd {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        matrix: ServiceMatrix,
        registry: Registry,
        users: Vec<User>,
        meters: Vec<Esme>,
        keys: KeyStore,
        acb: Eui64,
        wan: BTreeMap<CspRegion, WanLink>,
        check_signature: SignatureCheck,
        seed: u64,
    ) -> HeadEnd {
        HeadEnd {
            matrix,
            registry,
            users: users.into_iter().map(|u| (u.eui, u)).collect(),
            counters: HashMap::new(),
            meters: meters.into_iter().map(|m| (m.eui, m)).collect(),
            gas_meters: Vec::new(),
            gas: HashMap::new(),
            hubs: HashMap::new(),
            acb_counter: 0,
            changed: BTreeSet::new(),
            device_clock: HashMap::new(),
            dropped: Vec::new(),
            keys: std::sync::Arc::new(keys),
            acb,
            wan,
            check_signature,
            rng: ChaCha8Rng::seed_from_u64(seed),
            pending: BTreeMap::new(),
            sequence: 0,
            schedules: BTreeMap::new(),
            last_schedule: 0,
            spread: Duration::hours(1),
            scheduled_counters: HashMap::new(),
            held: BTreeMap::new(),
            jobs: BTreeSet::new(),
            journal: Vec::new(),
            changed_since_reload: None,
            outages: None,
            cells: None,
        }
    }

    /// Carries commands over the simulator's cellular WAN (cells, queues, retries, outages)
    /// instead of the per-region links.
    pub fn set_cell_wan(&mut self, wan: CellWan) {
        self.cells = Some(wan);
    }

    /// Adds virtual gas meters (each answers at its GSME and its gas proxy function).
    pub fn add_gas_meters(&mut self, meters: Vec<GasMeter>) {
        for m in meters {
            let i = self.gas_meters.len();
            self.gas.insert(m.gsme, i);
            self.gas.insert(m.gpf, i);
            self.gas_meters.push(m);
        }
    }

    /// Adds virtual electricity meters.
    pub fn add_meters(&mut self, meters: Vec<Esme>) {
        self.meters.extend(meters.into_iter().map(|m| (m.eui, m)));
    }

    /// Whether a virtual device answers at `eui` (a meter, a comms hub, a gas meter or its
    /// proxy function).
    pub fn has_virtual_device(&self, eui: Eui64) -> bool {
        self.meters.contains_key(&eui)
            || self.hubs.contains_key(&eui)
            || self.gas.contains_key(&eui)
    }

    /// Adds virtual comms hubs.
    pub fn add_hubs(&mut self, hubs: Vec<CommsHub>) {
        self.hubs.extend(hubs.into_iter().map(|h| (h.eui, h)));
    }

    /// Lets supply outages happen in the fleet: premises off supply do not answer, and their
    /// meters alert their network operator when the supply comes back.
    pub fn set_outages(&mut self, outages: super::outages::Outages) {
        self.outages = Some(outages);
    }

    /// Whether the premises of comms hub `hub` is off supply at `at`.
    pub fn supply_off(&self, hub: Eui64, at: DateTime<Utc>) -> bool {
        self.outages.as_ref().is_some_and(|o| o.is_off(hub, at))
    }

    /// Sets the window each schedule's runs are spread over (default one hour).
    pub fn set_schedule_spread(&mut self, spread: Duration) {
        self.spread = spread.max(Duration::zero());
    }

    /// The state (JSON) of every device that handled a command since the last call, to persist.
    pub fn take_device_states(&mut self) -> Vec<(Eui64, String)> {
        std::mem::take(&mut self.changed)
            .into_iter()
            .filter_map(|eui| self.device_state(eui))
            .collect()
    }

    /// A device's state (JSON) as saved, under the EUI-64 it is saved by (a gas meter's, its
    /// GSME's).
    fn device_state(&self, eui: Eui64) -> Option<(Eui64, String)> {
        let json = if let Some(m) = self.meters.get(&eui) {
            serde_json::to_string(m)
        } else if let Some(h) = self.hubs.get(&eui) {
            serde_json::to_string(h)
        } else {
            let gas = &self.gas_meters[*self.gas.get(&eui)?];
            return serde_json::to_string(gas).ok().map(|j| (gas.gsme, j));
        };
        json.ok().map(|j| (eui, j))
    }

    /// Journals `eui`'s state now, to be committed with what comes after it in the journal.
    fn journal_device_state(&mut self, eui: Eui64) {
        if let Some((eui, state)) = self.device_state(eui) {
            self.journal.push(Change::DeviceState { eui, state });
        }
    }

    /// Puts back a device's saved state (from [`HeadEnd::take_device_states`]).
    pub fn restore_device_state(&mut self, eui: Eui64, json: &str) -> Result<(), String> {
        if let Some(m) = self.meters.get_mut(&eui) {
            let mut saved: Esme = serde_json::from_str(json).map_err(|e| format!("{eui}: {e}"))?;
            if saved.eui != eui {
                return Err(format!("{eui}: the saved state is {}'s", saved.eui));
            }
            // Saved before meters held their MPANs: they keep the ones they were made with.
            if saved.mpans == crate::device::MeterPoints::default() {
                saved.mpans = m.mpans;
            }
            saved.file_logs();
            *m = saved;
            self.book_device(eui);
            return Ok(());
        }
        if let Some(h) = self.hubs.get_mut(&eui) {
            let saved: CommsHub = serde_json::from_str(json).map_err(|e| format!("{eui}: {e}"))?;
            if saved.eui != eui {
                return Err(format!("{eui}: the saved state is {}'s", saved.eui));
            }
            *h = saved;
            return Ok(());
        }
        let &i = self
            .gas
            .get(&eui)
            .ok_or_else(|| format!("{eui} is not a virtual device of this head-end"))?;
        let mut saved: GasMeter = serde_json::from_str(json).map_err(|e| format!("{eui}: {e}"))?;
        if saved.gsme != self.gas_meters[i].gsme || saved.gpf != self.gas_meters[i].gpf {
            return Err(format!("{eui}: the saved state is another gas meter's"));
        }
        // Saved before gas meters held their MPRN: it keeps the one it was made with.
        if saved.mprn.is_none() {
            saved.mprn = self.gas_meters[i].mprn.clone();
        }
        self.gas_meters[i] = saved;
        self.book_device(eui);
        Ok(())
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Replaces the registry (after a delta file applied cleanly).
    pub fn set_registry(&mut self, registry: Registry) {
        self.registry = registry;
    }

    /// Starts swapping in a registry saved by someone else (`dccsim registry apply`) while
    /// serving: from now the head-end notes the inventory changes users make, so that
    /// [`HeadEnd::finish_registry_reload`] can make them again on the registry read from the
    /// database — which has every change committed before it was read, but may miss those made
    /// since this call. (Each change sets a field or removes a device: making it twice is the
    /// same as once.)
    pub fn begin_registry_reload(&mut self) {
        self.changed_since_reload = Some(Vec::new());
    }

    /// Swaps in `registry`, read from the database after [`HeadEnd::begin_registry_reload`]
    /// and after everything journalled before it was committed, with the users' changes since
    /// made on it again, at `now`. Returns the registry it replaces (for the caller to drop
    /// outside its lock).
    pub fn finish_registry_reload(
        &mut self,
        mut registry: Registry,
        now: DateTime<Utc>,
    ) -> Registry {
        for change in self.changed_since_reload.take().unwrap_or_default() {
            registry.apply(&change);
        }
        if let Some(outages) = &mut self.outages {
            outages.set_registry(&registry, now);
        }
        std::mem::replace(&mut self.registry, registry)
    }

    /// Gives up a reload begun with [`HeadEnd::begin_registry_reload`]: the registry in use
    /// stays (it has every change already).
    pub fn abort_registry_reload(&mut self) {
        self.changed_since_reload = None;
    }

    pub fn meter(&self, eui: Eui64) -> Option<&Esme> {
        self.meters.get(&eui)
    }

    pub fn meter_mut(&mut self, eui: Eui64) -> Option<&mut Esme> {
        self.meters.get_mut(&eui)
    }

    /// The virtual comms hub `eui`.
    pub fn hub(&self, eui: Eui64) -> Option<&CommsHub> {
        self.hubs.get(&eui)
    }

    /// The virtual gas meter answering at `eui` (its GSME's or its GPF's).
    pub fn gas_meter(&self, eui: Eui64) -> Option<&GasMeter> {
        self.gas.get(&eui).map(|&i| &self.gas_meters[i])
    }

    /// The last counter accepted from each user (to persist across restarts).
    pub fn counters(&self) -> &HashMap<Eui64, u64> {
        &self.counters
    }

    pub fn restore_counter(&mut self, user: Eui64, counter: u64) {
        let c = self.counters.entry(user).or_insert(0);
        *c = (*c).max(counter);
    }

    /// The schedules held, by id.
    pub fn schedules(&self) -> &BTreeMap<u64, Schedule> {
        &self.schedules
    }

    /// Puts back a saved schedule; a run missed while the head-end was down runs at once.
    pub fn restore_schedule(&mut self, schedule: Schedule) {
        self.last_schedule = self.last_schedule.max(schedule.id);
        if let Some((_, at)) = schedule.run_time(schedule.next, self.spread) {
            self.jobs.insert((at, Job::Schedule(schedule.id)));
        }
        self.schedules.insert(schedule.id, schedule);
    }

    /// Puts back a saved future-dated request.
    pub fn restore_held(&mut self, held: Held) {
        self.sequence = self.sequence.max(held.id);
        self.jobs.insert((held.at, Job::Held(held.id)));
        self.held.insert(held.id, held);
    }

    /// Makes every new delivery and held-request id greater than `id` (the highest saved).
    pub fn restore_sequence(&mut self, id: u64) {
        self.sequence = self.sequence.max(id);
    }

    /// The changes to commit since the last call, in order.
    pub fn take_journal(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.journal)
    }

    /// Handles a request that `sender` (the client certificate's user) sent to `endpoint`.
    pub fn handle_request(
        &mut self,
        sender: Eui64,
        endpoint: Endpoint,
        xml: &str,
        now: DateTime<Utc>,
    ) -> SyncReply {
        match Checked::check(&self.check_signature, xml) {
            Ok(checked) => self.handle_checked(sender, endpoint, &checked, now),
            Err(reason) => SyncReply::Invalid(reason),
        }
    }

    /// The key store, to warm its cache of ECDH secrets off the request path
    /// ([`KeyStore::warm`] over [`HeadEnd::key_pairs`]).
    pub fn keys(&self) -> std::sync::Arc<KeyStore> {
        self.keys.clone()
    }

    /// The pairs whose ECDH secrets the fleet's reads need: each meter with the Access Control
    /// Broker (the commands' MACs), and with its supplier on `day` and its network operator
    /// (the payloads sealed for the user who asked).
    pub fn key_pairs(&self, day: chrono::NaiveDate) -> Vec<(Eui64, Eui64)> {
        let meters = self.registry.devices().filter(|d| {
            matches!(
                d.device_type,
                DeviceType::Esme | DeviceType::Gsme | DeviceType::Gpf
            )
        });
        meters
            .flat_map(|d| {
                let supplier = d.supplier_on(day).map(|s| (d.device, s));
                [(d.device, self.acb), (d.device, d.network_operator)]
                    .into_iter()
                    .chain(supplier)
            })
            .collect()
    }

    /// The signature check this head-end runs, for [`Checked::check`] outside its lock.
    pub fn signature_check(&self) -> SignatureCheck {
        self.check_signature.clone()
    }

    /// Handles a request already parsed and its signature checked ([`Checked::check`]), which
    /// is what touches the head-end's state: counter, access, the device, the journal.
    pub fn handle_checked(
        &mut self,
        sender: Eui64,
        endpoint: Endpoint,
        checked: &Checked,
        now: DateTime<Utc>,
    ) -> SyncReply {
        let request = &checked.request;
        match self.accept(sender, endpoint, checked, now) {
            Ok(reply) => reply,
            Err(refusal) => SyncReply::Response {
                code: refusal.code,
                why: Some(refusal.reason),
                xml: response(
                    request.id,
                    request.service,
                    refusal.code,
                    now,
                    &ResponseBody::Status,
                ),
            },
        }
    }

    fn accept(
        &mut self,
        sender: Eui64,
        endpoint: Endpoint,
        checked: &Checked,
        now: DateTime<Utc>,
    ) -> Result<SyncReply, Refusal> {
        use ResponseCode::*;
        let (xml, request) = (checked.xml.as_str(), &checked.request);
        let id = request.id;
        let signer = checked
            .signer
            .clone()
            .map_err(|e| refuse(E1, format!("XML signature: {e}")))?;
        if signer != id.originator || sender != id.originator {
            return Err(refuse(
                E1,
                format!(
                    "request {id} is signed by {signer} and sent by {sender}: all three must be the originator"
                ),
            ));
        }
        let user = self
            .users
            .get(&sender)
            .cloned()
            .ok_or_else(|| refuse(E1, format!("{sender} is not a DCC user here")))?;
        // DUIS §2.4.1: the counter strictly increases per user, so a replay is refused.
        let last = self.counters.get(&sender).copied().unwrap_or(0);
        if id.counter <= last {
            return Err(refuse(
                E1,
                format!(
                    "counter {} is not above {last}, the last accepted: a replay",
                    id.counter
                ),
            ));
        }
        let authorised = authorise(
            &self.matrix,
            &self.registry,
            &user,
            id.target,
            request.service,
            request.command_variant,
            now.date_naive(),
        )?;
        let fits = match endpoint {
            Endpoint::NonDevice => authorised.service.non_device,
            Endpoint::Transform => request.command_variant == 4,
            Endpoint::SendCommand => !authorised.service.non_device && request.command_variant != 4,
        };
        if !fits {
            return Err(refuse(
                E13,
                format!(
                    "{} with command variant {} does not go to {}",
                    request.service,
                    request.command_variant,
                    endpoint.path()
                ),
            ));
        }
        let dsp_future_dated = authorised.service.future_dated.contains("DSP");
        let device = authorised
            .device
            .map(|d| (d.csp_region, Speaks::of(d.device_type)));
        let Some((region, kind)) = device else {
            let reply = self.non_device(&user, request, now)?;
            self.accept_counter(sender, id.counter);
            return Ok(reply);
        };
        // Command variant 5 carries the command itself, as the user signed it.
        let mut command = if request.command_variant == 5 {
            signed_pre_command(request)?
        } else {
            self.command(request, kind, now)?
        };
        if request.command_variant == 4 {
            // The pre-command: the command without its signature field, for the user to sign.
            command.signing.signature = None;
            let bytes = command.to_bytes().map_err(|e| refuse(E11, e.to_string()))?;
            self.accept_counter(sender, id.counter);
            return Ok(self.reply(request, I0, now, ResponseBody::PreCommand(bytes)));
        }
        let execute_at = execution_time(request)?;
        self.accept_counter(sender, id.counter);
        match execute_at {
            // A future-dated request the DSP carries out: held until its time.
            Some(at) if dsp_future_dated && at > now => {
                self.sequence += 1;
                let held = Held {
                    id: self.sequence,
                    sender,
                    at,
                    xml: xml.to_string(),
                };
                self.jobs.insert((at, Job::Held(held.id)));
                self.journal.push(Change::Held(held.clone()));
                self.held.insert(held.id, held);
            }
            _ => {
                let answer = Answer::Request {
                    id,
                    service: request.service,
                };
                self.carry(command, region, answer, now)?;
            }
        }
        Ok(self.reply(request, I99, now, ResponseBody::Status))
    }

    fn accept_counter(&mut self, user: Eui64, counter: u64) {
        self.counters.insert(user, counter);
        self.journal.push(Change::Counter { user, counter });
    }

    /// The GBCS command a device request becomes (not yet MACed). Commands to a comms hub are
    /// the DCC's own: the Access Control Broker originates them, with its own counter.
    fn command(
        &mut self,
        request: &Request,
        kind: Speaks,
        now: DateTime<Utc>,
    ) -> Result<GbcsMessage, Refusal> {
        use ResponseCode::E11;
        let id = request.id;
        // Said for the kind of device: a service carried to one kind may not be to another.
        let not_carried = || {
            let to = match kind {
                Speaks::Dlms => "an electricity meter",
                Speaks::Gbz => "a gas meter",
                Speaks::Hub => "a comms hub",
            };
            refuse(
                E11,
                format!(
                    "{} ({}) is not carried to {to} by this head-end yet",
                    request.service, request.body.name
                ),
            )
        };
        if kind == Speaks::Hub {
            let (code, content) = request
                .hub_command()
                .map_err(|e| refuse(E11, e.reason))?
                .ok_or_else(not_carried)?;
            let (counter, acb) = (self.next_acb_counter(now), self.acb);
            let content = match content {
                HubCommand::Dlms(reading) => {
                    encode_command(code, &reading, counter, acb, id.target)
                        .ok_or_else(|| refuse(E11, "the request does not fit its command".into()))?
                }
                HubCommand::Asn1(bytes) => bytes,
            };
            return Ok(message_for(
                Cra::Command,
                counter,
                acb,
                id.target,
                code,
                content,
            ));
        }
        // A user the device does not know sends its key-agreement certificate: the DCC relays
        // the request, the Access Control Broker sending it under a counter of its own and
        // naming the user, and the device seals its answer for the certificate's key.
        let relay = request.relay().map_err(|e| refuse(E11, e.reason))?;
        let (originator, counter) = match relay {
            Some(_) => (self.acb, self.next_acb_counter(now)),
            None => (id.originator, id.counter),
        };
        let asn1 = match kind {
            Speaks::Gbz => request
                .gas_asn1_command()
                .map_err(|e| refuse(E11, e.reason))?,
            _ => None,
        };
        let (code, content) = if let Some((code, payload)) = asn1 {
            (code, payload.encode())
        } else if kind == Speaks::Gbz {
            let to_proxy = self
                .registry
                .device(id.target)
                .is_some_and(|d| d.device_type == DeviceType::Gpf);
            let (code, reading) = request
                .gas_command(to_proxy)
                .map_err(|e| refuse(E11, e.reason))?
                .ok_or_else(not_carried)?;
            let from = request.gas_from().map_err(|e| refuse(E11, e.reason))?;
            (code, gas_command(&reading, from, (id.counter & 0xFF) as u8))
        } else {
            let (code, reading) = request
                .esme_command()
                .map_err(|e| refuse(E11, e.reason))?
                .ok_or_else(not_carried)?;
            let content = encode_command(code, &reading, counter, id.originator, id.target)
                .ok_or_else(|| refuse(E11, "the request's values do not fit its command".into()))?;
            (code, content)
        };
        let mut command = message_for(Cra::Command, counter, originator, id.target, code, content);
        if let Some(relay) = relay {
            command.signing.other_information = relay.command_information(code);
        }
        Ok(command)
    }

    /// The Access Control Broker's next counter: time-based, so it keeps rising across restarts.
    fn next_acb_counter(&mut self, now: DateTime<Utc>) -> u64 {
        let micros = u64::try_from(now.timestamp_micros()).unwrap_or(0);
        self.acb_counter = (self.acb_counter + 1).max(micros);
        self.acb_counter
    }

    /// MACs a command as the Access Control Broker and carries it to its device.
    fn carry(
        &mut self,
        mut command: GbcsMessage,
        region: CspRegion,
        answer: Answer,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        let target = command.signing.recipient;
        if !mac_message(&self.keys, &mut command, self.acb) {
            return Err(refuse(
                ResponseCode::E20,
                format!("no key to MAC commands for {target}"),
            ));
        }
        let bytes = command
            .to_bytes()
            .map_err(|e| refuse(ResponseCode::E11, e.to_string()))?;
        // A change the meter held for a time now past is carried out before it sees this.
        if let Some((at, _)) = self.next_due(target).filter(|(at, _)| *at <= now) {
            self.device_due(target, at);
        }
        self.send(target, region, &bytes, answer, now);
        self.book_device(target);
        Ok(())
    }

    /// The non-device requests the DCC answers itself: DCC schedules, the inventory (read and
    /// changed) and the WAN matrix; the others are acknowledged.
    fn non_device(
        &mut self,
        user: &User,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<SyncReply, Refusal> {
        use ResponseCode::*;
        let owned = |s: &Schedule, body: &Element| {
            s.user == user.eui
                && match (body.find("DSPScheduleID"), body.find("DeviceID")) {
                    (Some(id), _) => id.text.trim() == s.id.to_string(),
                    (None, Some(device)) => device.text.trim() == s.device.to_string(),
                    (None, None) => false,
                }
        };
        match request.service.to_string().as_str() {
            "5.1" => {
                let id = self.create_schedule(user, request, now)?;
                Ok(self.reply(request, I0, now, ResponseBody::ScheduleId(id)))
            }
            "5.2" => {
                let found: Vec<(u64, String)> = self
                    .schedules
                    .values()
                    .filter(|s| owned(s, &request.body))
                    .take(99)
                    .map(|s| (s.id, s.details_xml()))
                    .collect();
                if found.is_empty() {
                    return Err(refuse(E050201, "no such schedule of this user".into()));
                }
                Ok(self.reply(request, I0, now, ResponseBody::SchedulesRead(found)))
            }
            "5.3" => {
                let gone: Vec<u64> = self
                    .schedules
                    .values()
                    .filter(|s| owned(s, &request.body))
                    .map(|s| s.id)
                    .collect();
                if gone.is_empty() {
                    return Err(refuse(E050301, "no such schedule of this user".into()));
                }
                for id in gone {
                    self.remove_schedule(id);
                }
                Ok(self.reply(request, I0, now, ResponseBody::Status))
            }
            "8.2" => {
                let firmware = |eui| self.firmware(eui);
                let inventory =
                    inventory::read_inventory(&self.registry, &request.body, &firmware)?;
                Ok(self.reply(request, I0, now, ResponseBody::Dsp(inventory)))
            }
            "8.3" => {
                let day = now.date_naive();
                let change = inventory::decommission(&self.registry, user, &request.body, day)?;
                Ok(self.change_inventory(request, Some(change), now))
            }
            "8.4" => {
                let day = now.date_naive();
                let change = inventory::update_inventory(&self.registry, user, &request.body, day)?;
                Ok(self.change_inventory(request, change, now))
            }
            "12.1" => {
                let matrix =
                    inventory::wan_matrix(&request.body, |region, key| self.coverage(region, key))?;
                Ok(self.reply(request, I0, now, ResponseBody::Dsp(matrix)))
            }
            // Other non-device services are not carried out yet: acknowledged.
            _ => Ok(self.reply(request, I99, now, ResponseBody::Status)),
        }
    }

    /// Makes a user's change to the inventory and journals it (if it changed anything); done,
    /// with nothing to return, which DUIS answers with an acknowledgement.
    fn change_inventory(
        &mut self,
        request: &Request,
        change: Option<InventoryChange>,
        now: DateTime<Utc>,
    ) -> SyncReply {
        // Journalled even when the registry here already says so: a delta saved beside a
        // running head-end may say otherwise, and this change, made after it, must win when
        // the head-end takes the delta up (and after a restart).
        if let Some(change) = change {
            self.registry.apply(&change);
            if let Some(since) = &mut self.changed_since_reload {
                since.push(change.clone());
            }
            self.journal.push(Change::Inventory(change));
        }
        self.reply(request, ResponseCode::I99, now, ResponseBody::Status)
    }

    /// A device's firmware version as it would report it to 11.2 (hex), for the inventory.
    fn firmware(&self, eui: Eui64) -> Option<String> {
        let hex = crate::protocol::gbcs::hex;
        if let Some(meter) = self.meters.get(&eui) {
            Some(hex(&meter.firmware))
        } else if let Some(hub) = self.hubs.get(&eui) {
            Some(hex(&hub.firmware))
        } else {
            self.gas_meter(eui).map(|g| g.firmware.to_string())
        }
    }

    /// What the WAN offers at a place in `region` (12.1): the simulator's cells when given,
    /// else the default links — long-range radio in the North, cellular elsewhere, everywhere.
    fn coverage(&self, region: CspRegion, key: u64) -> Coverage {
        let default = || Coverage {
            technology: match region {
                CspRegion::North => "long range radio",
                _ => "cellular",
            }
            .into(),
            available: true,
        };
        self.cells
            .as_ref()
            .and_then(|cells| cells.coverage(region, key))
            .unwrap_or_else(default)
    }

    /// 5.1: checks the schedule as the DCC would check each of its reads, then keeps it.
    fn create_schedule(
        &mut self,
        user: &User,
        request: &Request,
        now: DateTime<Utc>,
    ) -> Result<u64, Refusal> {
        let today = now.date_naive();
        let mut schedule =
            Schedule::from_request(self.last_schedule + 1, user.eui, &request.body, today)
                .map_err(|e| refuse(ResponseCode::create_schedule(e.code), e.reason))?;
        let authorised = authorise(
            &self.matrix,
            &self.registry,
            user,
            schedule.device,
            schedule.service,
            1,
            today.max(schedule.start),
        )?;
        if !authorised.service.dcc_scheduled {
            return Err(refuse(
                ResponseCode::E050105,
                format!("{} is not DCC-schedulable", schedule.service),
            ));
        }
        let kind = authorised
            .device
            .map_or(Speaks::Dlms, |d| Speaks::of(d.device_type));
        // The first run must make a command this head-end can carry.
        schedule.skip_past(now, self.spread);
        let (date, at) = schedule
            .run_time(schedule.next, self.spread)
            .ok_or_else(|| {
                refuse(
                    ResponseCode::E050101,
                    "the schedule has no run after now".into(),
                )
            })?;
        let probe = scheduled_request(&schedule, date, 1);
        self.command(&probe, kind, now)?;
        self.last_schedule = schedule.id;
        self.jobs.insert((at, Job::Schedule(schedule.id)));
        self.journal.push(Change::Schedule(schedule.clone()));
        let id = schedule.id;
        self.schedules.insert(id, schedule);
        Ok(id)
    }

    fn remove_schedule(&mut self, id: u64) {
        if let Some(s) = self.schedules.remove(&id)
            && let Some((_, at)) = s.run_time(s.next, self.spread)
        {
            self.jobs.remove(&(at, Job::Schedule(id)));
        }
        self.journal.push(Change::ScheduleRemoved(id));
    }

    /// The supplies that came back by `now`: each electricity meter there alerts its network
    /// operator (ECS80), the alert crossing the WAN as an answer does.
    fn supply_events(&mut self, now: DateTime<Utc>) {
        let Some(outages) = &mut self.outages else {
            return;
        };
        let restored = outages.advance(now);
        let off = outages.take_changed();
        self.journal.extend(off.into_iter().map(Change::SupplyOff));
        for restored in restored {
            self.journal.push(Change::SupplyBack(restored.hub));
            for meter in restored.meters {
                self.supply_restored(meter, restored.from, restored.to, now);
            }
        }
    }

    fn supply_restored(
        &mut self,
        meter: Eui64,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) {
        let Some(record) = self.registry.device(meter) else {
            return;
        };
        if record.status != super::registry::SmiStatus::Commissioned {
            return;
        }
        let (operator, region) = (record.network_operator, record.csp_region);
        let Some(esme) = self.meters.get_mut(&meter) else {
            return;
        };
        let Ok(alert) = esme.outage(from, to, operator, &self.keys) else {
            return;
        };
        self.journal_device_state(meter);
        let Ok(message) = GbcsMessage::decode(&alert) else {
            return;
        };
        let counter = message.signing.originator_counter;
        let latency = self
            .wan
            .get(&region)
            .map_or(0, |link| link.latency.sample(&mut self.rng));
        let due = to.max(now) + Duration::microseconds(i64::try_from(latency).unwrap_or(i64::MAX));
        let code = crate::device::supply_restored_alert(to - from);
        let xml = super::response::device_alert(meter, operator, counter, code, due, &alert);
        self.queue(operator, due, xml);
    }

    /// Runs the schedules and held requests due by `now`.
    fn run_jobs(&mut self, now: DateTime<Utc>) {
        while let Some(&(at, job)) = self.jobs.first() {
            if at > now {
                break;
            }
            self.jobs.pop_first();
            match job {
                Job::Schedule(id) => self.run_schedule(id, now),
                Job::Held(id) => self.release(id, now),
                // At its own time: the meter's clock, not the poll's.
                Job::Device(eui) => self.device_due(eui, at),
            }
        }
    }

    /// A meter carries out what it held for `now` (a payment mode change) and its 8F66 alerts
    /// cross the WAN to the user who asked, committed with the meter's new state. A meter whose
    /// premises is off supply does so when the supply is back; one no longer commissioned
    /// carries it out, but its alerts go nowhere.
    fn device_due(&mut self, eui: Eui64, now: DateTime<Utc>) {
        let record = self.registry.device(eui);
        let (hub, region) = record.map_or((eui, None), |d| (d.comms_hub, Some(d.csp_region)));
        let commissioned =
            record.is_some_and(|d| d.status == super::registry::SmiStatus::Commissioned);
        if let Some(back) = self.outages.as_ref().and_then(|o| o.back_at(hub, now)) {
            self.jobs.insert((back, Job::Device(eui)));
            return;
        }
        let (device, due) = if let Some(meter) = self.meters.get_mut(&eui) {
            (eui, meter.due(now, &self.keys))
        } else if let Some(&i) = self.gas.get(&eui) {
            let meter = &mut self.gas_meters[i];
            let due = meter.due(now, &self.keys);
            (
                meter.gsme,
                due.map(|d| d.map(|(user, alert)| (user, vec![alert]))),
            )
        } else {
            return;
        };
        let Ok(Some((user, alerts))) = due else {
            return;
        };
        self.journal_device_state(device);
        if !commissioned {
            return;
        }
        for alert in alerts {
            let Ok(message) = GbcsMessage::decode(&alert) else {
                continue;
            };
            let counter = message.signing.originator_counter;
            let code = crate::protocol::gbcs::gbz::FUTURE_DATED_SUCCESS;
            let latency = region
                .and_then(|r| self.wan.get(&r))
                .map_or(0, |link| link.latency.sample(&mut self.rng));
            let due = now + Duration::microseconds(i64::try_from(latency).unwrap_or(i64::MAX));
            let xml = super::response::device_alert(device, user, counter, code, due, &alert);
            self.queue(user, due, xml);
        }
    }

    /// Books a job for a meter's next future-dated change, if it holds one.
    fn book_device(&mut self, eui: Eui64) {
        if let Some((at, device)) = self.next_due(eui) {
            self.jobs.insert((at, Job::Device(device)));
        }
    }

    /// When the meter `eui` (or whose gas proxy it is) next has something to do on its own,
    /// and the device that does it.
    fn next_due(&self, eui: Eui64) -> Option<(DateTime<Utc>, Eui64)> {
        match self.meters.get(&eui) {
            Some(meter) => meter.next_due().map(|at| (at, eui)),
            None => self.gas.get(&eui).and_then(|&i| {
                let meter = &self.gas_meters[i];
                meter.next_due().map(|at| (at, meter.gsme))
            }),
        }
    }

    /// One run of a schedule: the read it stands for, sent on its user's behalf.
    fn run_schedule(&mut self, id: u64, now: DateTime<Utc>) {
        let Some(mut schedule) = self.schedules.get(&id).cloned() else {
            return;
        };
        let Some((date, _)) = schedule.run_time(schedule.next, self.spread) else {
            self.remove_schedule(id);
            return;
        };
        // Originator counters are milliseconds since 1970, as users' systems use them.
        let last = self.scheduled_counters.get(&schedule.user).copied();
        let counter = (now.timestamp_millis().max(0) as u64).max(last.map_or(0, |c| c + 1));
        self.scheduled_counters.insert(schedule.user, counter);
        let request = scheduled_request(&schedule, date, counter);
        let answer = Answer::Scheduled {
            schedule: id,
            response_id: RequestId {
                originator: schedule.device,
                target: schedule.user,
                counter,
            },
            service: schedule.service,
        };
        schedule.next += 1;
        let outcome = self.execute(schedule.user, &request, answer, now);
        match (outcome, schedule.run_time(schedule.next, self.spread)) {
            (Ok(()), Some((_, at))) => {
                self.jobs.insert((at, Job::Schedule(id)));
                self.journal.push(Change::Schedule(schedule.clone()));
                self.schedules.insert(id, schedule);
            }
            // Ended, or refused (the user lost the meter, the device left the registry…):
            // the DCC removes the schedule.
            _ => self.remove_schedule(id),
        }
    }

    /// A held future-dated request, carried out at its time.
    fn release(&mut self, id: u64, now: DateTime<Utc>) {
        let Some(held) = self.held.remove(&id) else {
            return;
        };
        self.journal.push(Change::Released(id));
        let Ok(request) = Request::parse(&held.xml) else {
            return;
        };
        let answer = Answer::Request {
            id: request.id,
            service: request.service,
        };
        let _ = self.execute(held.sender, &request, answer, now);
    }

    /// Carries out a request accepted earlier (a schedule's run, a held request): access is
    /// checked again as of `now`, and a refusal goes to the user as its response.
    fn execute(
        &mut self,
        user: Eui64,
        request: &Request,
        answer: Answer,
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        let outcome = self.users.get(&user).cloned().map_or_else(
            || {
                Err(refuse(
                    ResponseCode::E1,
                    format!("{user} is not a DCC user here"),
                ))
            },
            |u| {
                let authorised = authorise(
                    &self.matrix,
                    &self.registry,
                    &u,
                    request.id.target,
                    request.service,
                    request.command_variant,
                    now.date_naive(),
                )?;
                let device = authorised.device.ok_or_else(|| {
                    refuse(
                        ResponseCode::E11,
                        format!("{} is not a device", request.id.target),
                    )
                })?;
                let region = device.csp_region;
                let kind = Speaks::of(device.device_type);
                let command = if request.command_variant == 5 {
                    signed_pre_command(request)?
                } else {
                    self.command(request, kind, now)?
                };
                self.carry(command, region, answer, now)
            },
        );
        if let Err(refusal) = &outcome {
            let xml = answer.xml(refusal.code, now, None);
            self.queue(answer.user(), now, xml);
        }
        outcome
    }

    fn reply(
        &self,
        request: &Request,
        code: ResponseCode,
        now: DateTime<Utc>,
        body: ResponseBody,
    ) -> SyncReply {
        SyncReply::Response {
            code,
            xml: response(request.id, request.service, code, now, &body),
            why: None,
        }
    }

    /// Carries command bytes over the WAN to their device and queues what comes back.
    fn send(
        &mut self,
        target: Eui64,
        region: CspRegion,
        bytes: &[u8],
        answer: Answer,
        now: DateTime<Utc>,
    ) {
        let (keys, acb) = (&self.keys, self.acb);
        let (meters, gas, gas_meters) = (&mut self.meters, &self.gas, &mut self.gas_meters);
        let (hubs, changed) = (&mut self.hubs, &mut self.changed);
        let hub = self.registry.device(target).map_or(target, |d| d.comms_hub);
        let outages = &self.outages;
        let clock = &mut self.device_clock;
        let mut refused = None;
        // How much later than the WAN delivered it the device took the command (its clock
        // having run past that), which its answer is the later for.
        let mut waited = Duration::zero();
        let mut device = |at: DateTime<Utc>| {
            // A premises off supply: its comms hub is down, nothing answers.
            if outages.as_ref().is_some_and(|o| o.is_off(hub, at)) {
                return None;
            }
            // One clock for a gas meter, whether its GSME or its proxy is addressed.
            let state = gas.get(&target).map_or(target, |&i| gas_meters[i].gsme);
            let last = clock.entry(state).or_insert(at);
            *last = at.max(*last);
            waited = *last - at;
            let at = *last;
            changed.insert(target);
            let answer = if let Some(meter) = meters.get_mut(&target) {
                meter.handle(bytes, at, keys, acb)
            } else if let Some(hub) = hubs.get_mut(&target) {
                hub.handle(bytes, at, keys, acb)
            } else {
                let &i = gas.get(&target)?;
                gas_meters[i].handle(bytes, at, keys, acb)
            };
            answer.map_err(|e| refused = Some(e)).ok()
        };
        let (mut due, code, gbcs) = if let Some(wan) = &mut self.cells {
            match wan.carry(region, hub, bytes.len(), now, &mut device) {
                Carried::Answered { at, answer } => (at, ResponseCode::I0, Some(answer)),
                Carried::NoAnswer { at, .. } => (at, ResponseCode::E21, None),
                Carried::NoCoverage => (now, ResponseCode::E20, None),
            }
        } else {
            let link = self.wan.get(&region).cloned().unwrap_or(WanLink {
                latency: Latency::Fixed(500_000),
                loss: 0.0,
                timeout: Duration::seconds(60),
            });
            let micros = |m: u64| Duration::microseconds(i64::try_from(m).unwrap_or(i64::MAX));
            let down = micros(link.latency.sample(&mut self.rng));
            let up = micros(link.latency.sample(&mut self.rng));
            let lost = self.rng.random_bool(link.loss.clamp(0.0, 1.0))
                || self.rng.random_bool(link.loss.clamp(0.0, 1.0));
            let at_device = now + down;
            let reply = if lost { None } else { device(at_device) };
            match reply {
                Some(gbcs) if down + up <= link.timeout => {
                    (at_device + up, ResponseCode::I0, Some(gbcs))
                }
                Some(_) | None => (now + link.timeout, ResponseCode::E21, None),
            }
        };
        if gbcs.is_some() {
            due += waited;
        }
        if let Some(why) = refused {
            self.dropped.push(format!(
                "device {target} dropped {}'s {} command: {why} (E21 at the WAN timeout)",
                answer.user(),
                answer.service()
            ));
        }
        if gbcs.is_some() && !answer.service().reads_only() {
            self.journal_device_state(target);
        }
        self.queue(answer.user(), due, answer.xml(code, due, gbcs));
    }

    /// Queues a response or alert for `user`, due at `due`.
    fn queue(&mut self, user: Eui64, due: DateTime<Utc>, xml: String) {
        self.sequence += 1;
        let delivery = Delivery {
            id: self.sequence,
            user,
            due,
            xml,
        };
        self.journal.push(Change::Queued(delivery.clone()));
        self.pending.insert((due, delivery.id), delivery);
    }

    /// Runs what is due by `now` (schedules, held requests), then returns the responses and
    /// alerts due by `now`, in due order.
    pub fn poll_deliveries(&mut self, now: DateTime<Utc>) -> Vec<Delivery> {
        self.run_jobs(now);
        self.supply_events(now);
        let later = self.pending.split_off(&(now, u64::MAX));
        std::mem::replace(&mut self.pending, later)
            .into_values()
            .collect()
    }

    /// When the next delivery or job falls due.
    pub fn poll_timeout(&self) -> Option<DateTime<Utc>> {
        let delivery = self.pending.keys().next().map(|(t, _)| *t);
        let job = self.jobs.first().map(|(t, _)| *t);
        delivery.into_iter().chain(job).min()
    }

    /// The commands devices dropped since the last call, each with why.
    pub fn take_dropped(&mut self) -> Vec<String> {
        std::mem::take(&mut self.dropped)
    }

    /// Queues a device alert for `user` at `due` (the gateway signs and delivers it).
    pub fn queue_alert(&mut self, user: Eui64, due: DateTime<Utc>, xml: String) {
        self.queue(user, due, xml);
    }
}

fn refuse(code: ResponseCode, reason: String) -> Refusal {
    Refusal { code, reason }
}

/// A command variant 5 request's signed pre-command.
fn signed_pre_command(request: &Request) -> Result<GbcsMessage, Refusal> {
    use ResponseCode::E12;
    let signed = request
        .body
        .find("GBCSPayload")
        .map(|e| e.text.trim().to_string())
        .ok_or_else(|| refuse(E12, "command variant 5 needs the signed pre-command".into()))?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(signed)
        .map_err(|e| refuse(E12, format!("GBCSPayload is not base64: {e}")))?;
    let message =
        GbcsMessage::decode(&bytes).map_err(|e| refuse(E12, format!("signed pre-command: {e}")))?;
    // The signed command is the one the request names: from its user, to its device, of its
    // service (else a user could send another's device a command under its own request).
    let s = &message.signing;
    let id = request.id;
    let mismatch = |what: String| refuse(E12, format!("the signed pre-command {what}"));
    if s.recipient != id.target {
        return Err(mismatch(format!(
            "is for {}, the request for {}",
            s.recipient, id.target
        )));
    }
    if s.originator != id.originator {
        return Err(mismatch(format!(
            "is from {}, the request from {}",
            s.originator, id.originator
        )));
    }
    let service = request.service.to_string();
    let code = message.message_code().unwrap_or(0);
    // Its other information the message code alone: naming another party would have the
    // device answer them.
    if s.other_information != code.to_be_bytes() {
        return Err(mismatch(format!(
            "carries other information {} beyond its message code",
            crate::protocol::gbcs::hex(&s.other_information)
        )));
    }
    let carries = crate::protocol::gbcs::use_case(code)
        .is_some_and(|(_, services)| services.split('/').any(|s| s == service));
    if !carries {
        return Err(mismatch(format!(
            "is use case {code:#06X}, not one of service {service}"
        )));
    }
    Ok(message)
}

/// A request's `ExecutionDateTime`, if it is future-dated.
fn execution_time(request: &Request) -> Result<Option<DateTime<Utc>>, Refusal> {
    let Some(e) = request.body.find("ExecutionDateTime") else {
        return Ok(None);
    };
    super::request::utc_date_time("ExecutionDateTime", e.text.trim())
        .map(Some)
        .map_err(|reason| refuse(ResponseCode::E11, reason))
}

/// The read a schedule's run on `date` stands for, as if its user had sent it.
fn scheduled_request(schedule: &Schedule, date: chrono::NaiveDate, counter: u64) -> Request {
    let leaf = |name: &str, at: DateTime<Utc>| Element {
        name: name.to_string(),
        text: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        children: Vec::new(),
    };
    let children = match schedule.read.period.and_then(|p| p.on(date)) {
        Some((from, to)) => vec![leaf("StartDateTime", from), leaf("EndDateTime", to)],
        None => Vec::new(),
    };
    Request {
        id: RequestId {
            originator: schedule.user,
            target: schedule.device,
            counter,
        },
        command_variant: 1,
        service: schedule.service,
        body: Element {
            name: schedule.read.element.clone(),
            text: String::new(),
            children,
        },
    }
}
