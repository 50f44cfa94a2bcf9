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
//!
//! Here: the requests as they arrive and the replies and deliveries they make. What a request
//! becomes on its way to a device is in `device`; the requests the DCC answers itself in `dsp`;
//! what the head-end runs later on its own (schedules, held requests, devices' due changes) in
//! `jobs`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::access::{Refusal, ResponseCode, User, authorise};
use super::matrix::ServiceMatrix;
use super::registry::{DeviceType, InventoryChange, Registry};
use super::request::{Request, RequestId};
use super::response::{ResponseBody, response, scheduled_response};
use super::schedule::Schedule;
use super::wan::CellWan;
use crate::device::{CommsHub, Esme, GasMeter, HanDevice};
use crate::model::{CspRegion, Eui64, ServiceRef};
use crate::protocol::gbcs::{GbcsMessage, KeyStore};
use crate::wan::Latency;

mod credentials;
pub use credentials::{RECOVERY, TRANSITIONAL_COS};
mod device;
mod dsp;
mod firmware;
mod jobs;

use jobs::execution_time;

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
    /// A PPMID or HCALCS: ASN.1, over the comms hub.
    Han,
}

impl Speaks {
    fn of(device_type: DeviceType) -> Speaks {
        match device_type {
            DeviceType::Gsme | DeviceType::Gpf => Speaks::Gbz,
            DeviceType::Chf => Speaks::Hub,
            DeviceType::Ppmid | DeviceType::Hcalcs => Speaks::Han,
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
    /// The virtual PPMIDs and HCALCSs, by EUI-64.
    han_devices: HashMap<Eui64, HanDevice>,
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
        let mut head_end = HeadEnd {
            matrix,
            registry,
            users: users.into_iter().map(|u| (u.eui, u)).collect(),
            counters: HashMap::new(),
            meters: meters.into_iter().map(|m| (m.eui, m)).collect(),
            gas_meters: Vec::new(),
            gas: HashMap::new(),
            hubs: HashMap::new(),
            han_devices: HashMap::new(),
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
        };
        head_end.install_missing_credentials();
        head_end
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
        self.install_missing_credentials();
    }

    /// Adds virtual electricity meters.
    pub fn add_meters(&mut self, meters: Vec<Esme>) {
        self.meters.extend(meters.into_iter().map(|m| (m.eui, m)));
        self.install_missing_credentials();
    }

    /// Whether a virtual device answers at `eui` (a meter, a comms hub, a gas meter or its
    /// proxy function).
    pub fn has_virtual_device(&self, eui: Eui64) -> bool {
        self.meters.contains_key(&eui)
            || self.hubs.contains_key(&eui)
            || self.han_devices.contains_key(&eui)
            || self.gas.contains_key(&eui)
    }

    /// Adds virtual PPMIDs and HCALCSs.
    pub fn add_han_devices(&mut self, devices: Vec<HanDevice>) {
        self.han_devices
            .extend(devices.into_iter().map(|d| (d.eui, d)));
    }

    /// A virtual PPMID or HCALCS.
    pub fn han_device(&self, eui: Eui64) -> Option<&HanDevice> {
        self.han_devices.get(&eui)
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
        // 6.23's "DSP & Device": the meter holds it (its command carries the time).
        let dsp_future_dated = authorised.service.future_dated == "DSP";
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
            self.command(request, kind, authorised.role, now)?
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
