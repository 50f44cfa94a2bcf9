//! Killing the head-end in the middle of a scheduled collection loses nothing: `dccsim serve`
//! runs as its own process with DCC schedules (5.1) for 40 meters spread over a few seconds and
//! on-demand reads whose answers are still crossing the modelled WAN; it is killed (SIGKILL, no
//! chance to tidy up) once some of the scheduled reads have been delivered, then started again on
//! the same state folder. Every scheduled read and every acknowledged read then reaches the
//! user's Receive Response Service, each once.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use dccsim::gateway::defaults;
use dccsim::gateway::receive::{Receiver, field};
use dccsim::headend::DeviceType;
use dccsim::model::Eui64;

const PREMISES: u32 = 120;
const SCHEDULES: usize = 40;
const ON_DEMAND: u64 = 5;

/// A running `dccsim serve` and the address of its plain-HTTP listener.
struct HeadEnd {
    child: Child,
    plain: String,
    banner: String,
    /// What it prints after its banner, line by line.
    lines: std::sync::mpsc::Receiver<String>,
}

fn start(state: &std::path::Path, rrs: &str) -> HeadEnd {
    start_with(state, rrs, &[])
}

/// [`start`] with more flags.
fn start_with(state: &std::path::Path, rrs: &str, flags: &[&str]) -> HeadEnd {
    let child = Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(["serve", "--listen", "127.0.0.1:0", "--plain", "127.0.0.1:0"])
        .args(flags)
        .args(["--premises", &PREMISES.to_string(), "--seed", "4"])
        .args(["--schedule-spread", "12", "--wan-loss", "0"])
        .arg("--receive")
        .arg(format!("{}={rrs}", defaults::SUPPLIER))
        .arg("--state")
        .arg(state)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("dccsim serve starts");
    // Killed when dropped, so a failing test leaves no head-end running.
    let (tx, rx) = std::sync::mpsc::channel();
    let mut head_end = HeadEnd {
        child,
        plain: String::new(),
        banner: String::new(),
        lines: rx,
    };
    let stdout = head_end.child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        // Read to the end, so the head-end never writes into a closed pipe.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + StdDuration::from_secs(60);
    loop {
        let line = head_end
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| {
                panic!(
                    "dccsim serve did not report its listener:\n{}",
                    head_end.banner
                )
            });
        head_end.banner += &line;
        head_end.banner.push('\n');
        let line = line.trim();
        if let Some(addr) = line.strip_prefix("plain HTTP on http://") {
            head_end.plain = addr.to_string();
        }
        if line.starts_with("state:") {
            assert!(!head_end.plain.is_empty(), "{}", head_end.banner);
            return head_end;
        }
    }
}

impl Drop for HeadEnd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn signers() -> dccsim::headend::xmldsig::XmlSigners {
    dccsim::headend::xmldsig::XmlSigners::from_zaz1(dccsim::gateway::run::ZAZ1_KEYSTORE).unwrap()
}

fn sign(xml: &str) -> String {
    let xml = dccsim::headend::xmldsig::prepare_for_signing(xml).unwrap();
    signers().sign(&xml, defaults::SUPPLIER, false).unwrap()
}

fn template(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/reference/duis/rtds-templates")
            .join(name),
    )
    .unwrap()
}

/// A daily schedule of yesterday's half-hourly profile (4.8.1) from `device`, first run at `at`.
fn create_schedule(counter: u64, device: Eui64, at: chrono::DateTime<Utc>) -> String {
    let xml = template("ECS21a_5.1._DCC_SCHEDULED_REQUEST_DUIS.XML")
        .replace(":1000<", &format!(":{counter}<"))
        .replace(
            "<sr:ScheduleStartDate>2015-01-02</sr:ScheduleStartDate>",
            &format!(
                "<sr:ScheduleStartDate>{}</sr:ScheduleStartDate><sr:ScheduleExecutionStartTime>{}Z</sr:ScheduleExecutionStartTime>",
                at.date_naive(),
                at.format("%H:%M:%S")
            ),
        )
        .replace(">4.6<", ">4.8<")
        .replace(">4.6.1<", ">4.8.1<")
        .replace("00-DB-12-34-56-78-90-A0", &device.to_string())
        .replace("DSPRetrieveImportDailyReadLog", "DSPReadActiveImportProfileData");
    sign(&xml)
}

/// The RTDS on-demand 4.8.1 read of yesterday's profile from `device`.
fn read_now(counter: u64, device: Eui64) -> String {
    let yesterday = (Utc::now() - Duration::days(1)).format("%Y-%m-%d");
    let today = Utc::now().format("%Y-%m-%d");
    let xml = template("ECS22b_4.8.1_SINGLE_SUCCESS_REQUEST_DUIS.XML")
        .replace(":1002<", &format!(":{counter}<"))
        .replace("00-DB-12-34-56-78-90-A0", &device.to_string())
        .replace(
            "2014-12-31T00:00:00.00Z",
            &format!("{yesterday}T00:00:00.00Z"),
        )
        .replace("2015-01-01T00:00:00.00Z", &format!("{today}T00:00:00.00Z"));
    sign(&xml)
}

/// A fresh state folder for one test.
fn state_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("dccsim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A Receive Response Service on loopback for the rest of the test: what it has received, and
/// its URL.
async fn receive_response_service() -> (Arc<Mutex<Vec<String>>>, String) {
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let sink = received.clone();
    let receiver = Arc::new(Receiver {
        dir: None,
        count: Default::default(),
        on_message: Box::new(move |_, xml| sink.lock().unwrap().push(xml.to_string())),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rrs = format!("http://{}/rrs", listener.local_addr().unwrap());
    tokio::spawn(dccsim::gateway::receive::serve(
        receiver,
        listener,
        std::future::pending(),
    ));
    (received, rrs)
}

/// The first message the Receive Response Service gets, within 30 s.
async fn first_delivered(received: &Mutex<Vec<String>>) -> String {
    let deadline = Instant::now() + StdDuration::from_secs(30);
    loop {
        if let Some(first) = received.lock().unwrap().first() {
            return first.clone();
        }
        assert!(Instant::now() < deadline, "no response delivered");
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
}

async fn send(head_end: &HeadEnd, path: &str, xml: &str) -> String {
    let url = format!("http://{}{path}", head_end.plain);
    let (status, body) = dccsim::gateway::exchange(&url, xml, None).await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_head_end_loses_no_scheduled_read_and_delivers_each_response_once() {
    let dir = state_dir("restart");
    // The supplier's Receive Response Service, up for the whole test.
    let (received, rrs) = receive_response_service().await;

    // The supplier's electricity meters in the fleet `dccsim serve` generates.
    let (registry, _, _) = defaults::full_fleet(PREMISES, 4, Utc::now());
    let today = Utc::now().date_naive();
    let meters: Vec<Eui64> = registry
        .devices()
        .filter(|d| d.device_type == DeviceType::Esme)
        .filter(|d| d.supplier_on(today) == Some(defaults::SUPPLIER))
        .filter(|d| d.device != defaults::RTDS_ESME)
        .map(|d| d.device)
        .take(SCHEDULES + ON_DEMAND as usize)
        .collect();
    assert_eq!(meters.len(), SCHEDULES + ON_DEMAND as usize);

    let first = start(&dir, &rrs);
    let runs_from = Utc::now() + Duration::seconds(3);
    let mut schedule_ids = BTreeSet::new();
    for (n, device) in meters[..SCHEDULES].iter().enumerate() {
        let reply = send(
            &first,
            "/api/v1/serviceD",
            &create_schedule(1000 + n as u64, *device, runs_from),
        )
        .await;
        assert_eq!(field(&reply, "ResponseCode"), Some("I0"), "{reply}");
        // An answer carrying data (the schedule's ID) comes signed by the DSP.
        assert_eq!(signers().verify(&reply), Ok(defaults::ACB), "{reply}");
        schedule_ids.insert(field(&reply, "DSPScheduleID").unwrap().to_string());
    }
    assert_eq!(schedule_ids.len(), SCHEDULES);

    // Part of the collection has been delivered: more reads are asked for, and the head-end is
    // killed while their answers are on the WAN.
    let deadline = Instant::now() + StdDuration::from_secs(30);
    while received.lock().unwrap().len() < SCHEDULES / 4 {
        assert!(Instant::now() < deadline, "no scheduled reads delivered");
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    for (n, device) in meters[SCHEDULES..].iter().enumerate() {
        let reply = send(
            &first,
            "/api/v1/serviceS",
            &read_now(5000 + n as u64, *device),
        )
        .await;
        assert_eq!(field(&reply, "ResponseCode"), Some("I99"), "{reply}");
        // An acknowledgement comes unsigned, as DCC Boxed sends it.
        assert!(!reply.contains("Signature"), "{reply}");
    }
    let mut first = first;
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    let killed_at = Utc::now().timestamp_millis() as u64;
    let delivered_before = received.lock().unwrap().len();
    assert!(
        delivered_before < SCHEDULES,
        "the kill came after the collection ended ({delivered_before} delivered)"
    );

    let mut second = start(&dir, &rrs);
    let deadline = Instant::now() + StdDuration::from_secs(60);
    let distinct = || {
        received
            .lock()
            .unwrap()
            .iter()
            .filter_map(|xml| field(xml, "ResponseID").map(str::to_string))
            .collect::<BTreeSet<_>>()
            .len()
    };
    while distinct() < SCHEDULES + ON_DEMAND as usize {
        if Instant::now() > deadline {
            panic!(
                "{} of {} responses after the restart; banner:\n{}",
                distinct(),
                SCHEDULES + ON_DEMAND as usize,
                second.banner
            );
        }
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    // Anything sent twice would come now.
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    second.child.kill().unwrap();
    second.child.wait().unwrap();

    let all = received.lock().unwrap().clone();
    let mut by_schedule: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut on_demand = BTreeSet::new();
    let mut copies: BTreeMap<String, usize> = BTreeMap::new();
    for xml in &all {
        assert_eq!(field(xml, "ResponseCode"), Some("I0"), "{xml}");
        assert_eq!(signers().verify(xml), Ok(defaults::ACB), "{xml}");
        let id = field(xml, "ResponseID").unwrap().to_string();
        *copies.entry(id.clone()).or_default() += 1;
        match field(xml, "DSPScheduleID") {
            Some(s) => {
                by_schedule.entry(s.to_string()).or_default().insert(id);
            }
            None => {
                on_demand.insert(field(xml, "RequestID").unwrap().to_string());
            }
        }
    }
    // Every schedule ran exactly once (each run has its own ResponseID) and reached the user.
    assert_eq!(
        by_schedule.keys().cloned().collect::<BTreeSet<_>>(),
        schedule_ids
    );
    for (schedule, runs) in &by_schedule {
        assert_eq!(runs.len(), 1, "schedule {schedule} ran {runs:?}");
    }
    assert_eq!(on_demand.len(), ON_DEMAND as usize, "{on_demand:?}");
    // Deliveries go one at a time and each is struck off as its POST succeeds, so at most the
    // one whose POST completed at the instant of the kill can come a second time.
    let repeated: Vec<_> = copies.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        repeated.len() <= 1,
        "delivered more than once: {repeated:?}"
    );
    // The kill did fall in the middle: answers on their way were saved and sent after the
    // restart, and runs not yet due ran after it (a run's ResponseID counter is its time in ms).
    assert!(
        second.banner.contains(&format!("{SCHEDULES} schedules")),
        "{}",
        second.banner
    );
    assert!(
        !second.banner.contains(" 0 responses not yet delivered"),
        "{}",
        second.banner
    );
    let ran_after = by_schedule
        .values()
        .flatten()
        .filter(|id| id.rsplit(':').next().unwrap().parse::<u64>().unwrap() > killed_at)
        .count();
    assert!(
        ran_after > 0 && ran_after < SCHEDULES,
        "{ran_after} runs after the restart"
    );
    eprintln!(
        "{delivered_before} delivered before the kill, {ran_after} runs after the restart, {} repeated",
        repeated.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A head-end whose state database cannot be written stops (fail-stop) rather than go on with
/// memory and disk apart: another process holds the database's write lock for longer than
/// SQLite's busy timeout, so the head-end cannot save a read it was sent. That read gets 503,
/// not I99, and its answer is never delivered; every request after it gets 503 too, and
/// `dccsim serve` exits with an error. Restarted, the head-end has what was acknowledged — the
/// read before, delivered once — and nothing else: the refused read, sent again with the same
/// counter, is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_end_that_cannot_save_stops_and_restarts_with_what_it_acknowledged() {
    let dir = state_dir("failstop");
    let (received, rrs) = receive_response_service().await;
    let (registry, _, _) = defaults::full_fleet(PREMISES, 4, Utc::now());
    let meter = registry
        .devices()
        .find(|d| {
            d.device_type == DeviceType::Esme
                && d.supplier_on(Utc::now().date_naive()) == Some(defaults::SUPPLIER)
        })
        .unwrap()
        .device;
    let answers_to = |counter: u64| {
        let id = format!("{}:{meter}:{counter}", defaults::SUPPLIER);
        received
            .lock()
            .unwrap()
            .iter()
            .filter(|xml| field(xml, "RequestID") == Some(id.as_str()))
            .count()
    };
    let wait_for = |counter: u64, what: &str| {
        let deadline = Instant::now() + StdDuration::from_secs(30);
        while answers_to(counter) == 0 {
            assert!(Instant::now() < deadline, "{what}: no answer to {counter}");
            std::thread::sleep(StdDuration::from_millis(20));
        }
    };

    let mut first = start(&dir, &rrs);
    let reply = send(&first, "/api/v1/serviceS", &read_now(10, meter)).await;
    assert_eq!(field(&reply, "ResponseCode"), Some("I99"), "{reply}");
    wait_for(10, "before the lock");
    // Let the delivery be struck off before the database is taken away.
    tokio::time::sleep(StdDuration::from_millis(1500)).await;

    // Another process takes the write lock and keeps it past SQLite's busy timeout (5 s).
    let other = rusqlite::Connection::open(dir.join("dccsim.sqlite")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let url = format!("http://{}/api/v1/serviceS", first.plain);
    let (status, body) = dccsim::gateway::exchange(&url, &read_now(11, meter), None)
        .await
        .unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("state database"), "{body}");
    other.execute_batch("ROLLBACK").unwrap();
    drop(other);
    // The database is writable again, but the head-end has stopped: it accepts nothing more.
    let (status, body) = dccsim::gateway::exchange(&url, &read_now(12, meter), None)
        .await
        .unwrap_or((0, String::new()));
    assert!(status == 503 || status == 0, "{status}: {body}");
    let deadline = Instant::now() + StdDuration::from_secs(10);
    let exit = loop {
        if let Some(exit) = first.child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "dccsim serve did not stop");
        std::thread::sleep(StdDuration::from_millis(20));
    };
    assert!(!exit.success(), "{exit}");
    // The refused read's answer, made in memory as the save failed, was never sent.
    tokio::time::sleep(StdDuration::from_millis(500)).await;
    assert_eq!(answers_to(11), 0);

    // Restarted asked to sign its acknowledgements too.
    let second = start_with(&dir, &rrs, &["--sign-acknowledgements"]);
    let reply = send(&second, "/api/v1/serviceS", &read_now(11, meter)).await;
    assert_eq!(field(&reply, "ResponseCode"), Some("I99"), "{reply}");
    assert_eq!(signers().verify(&reply), Ok(defaults::ACB), "{reply}");
    wait_for(11, "after the restart");
    tokio::time::sleep(StdDuration::from_millis(1500)).await;
    assert_eq!((answers_to(10), answers_to(11), answers_to(12)), (1, 1, 0));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A meter decommissioned by its supplier (8.3) stays decommissioned when the head-end is killed
/// and restarted: the inventory change was committed before the acknowledgement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inventory_change_survives_a_kill() {
    let state = state_dir("inventory");
    let (_, rrs) = receive_response_service().await;
    let decommission = sign(&template("8.3_DECOMMISSION_DEVICE_REQUEST_DUIS.XML"));
    {
        let head_end = start(&state, &rrs);
        let reply = send(&head_end, "/api/v1/serviceD", &decommission).await;
        assert!(
            reply.contains("<sr:ResponseCode>I99</sr:ResponseCode>"),
            "{reply}"
        );
        // Dropped: killed outright.
    }
    let head_end = start(&state, &rrs);
    let inventory = sign(
        &template("8.2_READ_INVENTORY_REQUEST_DUIS.XML")
            .replace(":1000<", ":1001<")
            .replace("90-A2<", "90-A0<"),
    );
    let reply = send(&head_end, "/api/v1/serviceD", &inventory).await;
    assert!(
        reply.contains("<sr:DeviceID>00-DB-12-34-56-78-90-A0</sr:DeviceID><sr:DeviceType>ESME</sr:DeviceType><sr:DeviceStatus>Decommissioned</sr:DeviceStatus>"),
        "{reply}"
    );
    let read = send(
        &head_end,
        "/api/v1/serviceS",
        &read_now(1002, defaults::RTDS_ESME),
    )
    .await;
    assert!(
        read.contains("<sr:ResponseCode>E5</sr:ResponseCode>"),
        "{read}"
    );
    let _ = std::fs::remove_dir_all(&state);
}

/// A delta applied with `dccsim registry apply` beside a running head-end takes effect without a
/// restart: a change of supplier refuses the old supplier's reads (`E4`) within a few seconds,
/// a meter a user decommissioned (8.3) just before stays decommissioned, and a premises the
/// delta installs (a new meter and hub) answers its supplier's read with its own GBCS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_head_end_takes_up_a_delta_applied_beside_it() {
    let state = state_dir("reload");
    let (received, rrs) = receive_response_service().await;
    let (registry, _, _) = defaults::full_fleet(PREMISES, 4, Utc::now());
    let today = Utc::now().date_naive();
    let meter = registry
        .devices()
        .find(|d| {
            d.device_type == DeviceType::Esme
                && d.supplier_on(today) == Some(defaults::SUPPLIER)
                && d.device != defaults::RTDS_ESME
        })
        .unwrap()
        .device;
    let head_end = start(&state, &rrs);
    let code = |reply: &str| field(reply, "ResponseCode").map(str::to_string);
    let decommission = sign(&template("8.3_DECOMMISSION_DEVICE_REQUEST_DUIS.XML"));
    let reply = send(&head_end, "/api/v1/serviceD", &decommission).await;
    assert_eq!(code(&reply).as_deref(), Some("I99"), "{reply}");
    let reply = send(&head_end, "/api/v1/serviceS", &read_now(2000, meter)).await;
    assert_eq!(code(&reply).as_deref(), Some("I99"), "{reply}");

    // The meter's rows, now with another supplier.
    let csv = registry.to_csv();
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    let supplier_column = header.split(',').position(|c| c == "supplier_id").unwrap();
    let mut delta = format!("action,{header}\n");
    let hub = registry.device(meter).unwrap().comms_hub;
    let (new_meter, new_hub) = ("00-DD-00-00-00-00-00-01", "00-DD-00-00-00-00-00-02");
    let new_mpan = dccsim::model::Mpan::from_prefix(170_000_000_001)
        .unwrap()
        .to_string();
    for line in lines {
        let mut fields: Vec<&str> = line.split(',').collect();
        if fields[1] == meter.to_string() {
            // The same premises, moved to a new installation beside it.
            let mut installed = fields.clone();
            (installed[0], installed[1], installed[3]) = (&new_mpan, new_meter, new_hub);
            delta += &format!("upsert,{}\n", installed.join(","));
            fields[supplier_column] = "90-B3-D5-1F-30-01-00-08";
            delta += &format!("upsert,{}\n", fields.join(","));
        } else if fields[1] == hub.to_string() {
            let mut installed = fields.clone();
            (installed[1], installed[3]) = (new_hub, new_hub);
            delta += &format!("upsert,{}\n", installed.join(","));
        }
    }
    let path = state.join("delta.csv");
    std::fs::write(&path, delta).unwrap();
    let applied = Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .arg("registry")
        .arg("--state")
        .arg(&state)
        .arg("apply")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        applied.status.success(),
        "{}",
        String::from_utf8_lossy(&applied.stderr)
    );

    // Within a few polls the old supplier is refused.
    let deadline = Instant::now() + StdDuration::from_secs(15);
    let mut counter = 2001;
    loop {
        let reply = send(&head_end, "/api/v1/serviceS", &read_now(counter, meter)).await;
        counter += 1;
        match code(&reply).as_deref() {
            Some("E4") => break,
            Some("I99") => assert!(Instant::now() < deadline, "the delta was not taken up"),
            _ => panic!("{reply}"),
        }
        tokio::time::sleep(StdDuration::from_millis(200)).await;
    }
    let reply = send(
        &head_end,
        "/api/v1/serviceS",
        &read_now(counter, defaults::RTDS_ESME),
    )
    .await;
    assert_eq!(code(&reply).as_deref(), Some("E5"), "{reply}");

    // The new meter answers: I99, then its I0 with GBCS arrives at the supplier's service.
    let new_meter: Eui64 = new_meter.parse().unwrap();
    let reply = send(
        &head_end,
        "/api/v1/serviceS",
        &read_now(counter + 1, new_meter),
    )
    .await;
    assert_eq!(code(&reply).as_deref(), Some("I99"), "{reply}");
    let asked = format!("{}:{new_meter}:{}", defaults::SUPPLIER, counter + 1);
    let deadline = Instant::now() + StdDuration::from_secs(20);
    let answer = loop {
        let found = received
            .lock()
            .unwrap()
            .iter()
            .find(|xml| field(xml, "RequestID") == Some(asked.as_str()))
            .cloned();
        if let Some(xml) = found {
            break xml;
        }
        assert!(Instant::now() < deadline, "no answer from the new meter");
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    };
    assert_eq!(code(&answer).as_deref(), Some("I0"), "{answer}");
    // Its keys derive from the fleet seed: `gbcs decode --fleet-seed` checks its MAC.
    let saved = state.join("answer.xml");
    std::fs::write(&saved, &answer).unwrap();
    let decoded = Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(["gbcs", "decode", "--fleet-seed", "4"])
        .arg(&saved)
        .output()
        .unwrap();
    let decoded = String::from_utf8_lossy(&decoded.stdout);
    assert!(
        decoded.contains(&format!("\"originator\": \"{new_meter}\""))
            && decoded.contains("\"mac_verdict\": \"valid\""),
        "{decoded}"
    );
    drop(head_end);
    let _ = std::fs::remove_dir_all(&state);
}

/// The transaction log a head-end keeps for charging: `dccsim charging report` sums each
/// user's requests (accepted or refused), the responses delivered and the bytes each way; the
/// head-end prints why it refused a request (DUIS tells the user only the code).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_charging_report_sums_each_users_requests_responses_and_bytes() {
    let state = state_dir("charging");
    let (received, rrs) = receive_response_service().await;
    let head_end = start(&state, &rrs);
    let read = read_now(5000, defaults::RTDS_ESME);
    let reply = send(&head_end, "/api/v1/serviceS", &read).await;
    assert!(
        reply.contains("<sr:ResponseCode>I99</sr:ResponseCode>"),
        "{reply}"
    );
    // The same request again: a replay, refused.
    let replay = send(&head_end, "/api/v1/serviceS", &read).await;
    assert!(
        replay.contains("<sr:ResponseCode>E1</sr:ResponseCode>"),
        "{replay}"
    );
    let why = std::iter::from_fn(|| head_end.lines.recv_timeout(StdDuration::from_secs(10)).ok())
        .find(|l| l.starts_with("refused:"))
        .expect("the refusal is printed");
    assert!(
        why.starts_with("refused: E1 to 90-B3-D5-1F-30-01-00-00"),
        "{why}"
    );
    assert!(why.contains("5000"), "{why}");
    let delivered = first_delivered(&received).await.len();
    // The log is saved every second.
    tokio::time::sleep(StdDuration::from_millis(2500)).await;
    let month = Utc::now().format("%Y-%m").to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(["charging", "report", "--month", &month, "--state"])
        .arg(&state)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = text
        .lines()
        .find(|l| l.starts_with(&month) && l.contains("4.8.1"))
        .unwrap_or_else(|| panic!("{text}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields[1], defaults::SUPPLIER.to_string(), "{line}");
    // Two requests, one accepted; one response delivered; both requests' bytes in; out, the
    // two synchronous answers and the response as it was delivered.
    assert_eq!(&fields[3..7], ["2", "1", "1", "0"], "{line}");
    assert_eq!(fields[7], (2 * read.len()).to_string(), "{line}");
    let out_bytes: usize = fields[8].parse().unwrap();
    assert_eq!(out_bytes, reply.len() + replay.len() + delivered, "{line}");
    // A month with nothing, and a bad month, named.
    let out = Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(["charging", "report", "--month", "2026-13", "--state"])
        .arg(&state)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--month \"2026-13\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(head_end);
    let _ = std::fs::remove_dir_all(&state);
}

/// A critical command with dccsim's own tools, as a user would: Transform (command variant 4)
/// gets the pre-command back, `dccsim duis sign-pre-command` signs its GBCS with the supplier's
/// ZAZ1 key and makes the command variant 5 request, and Send carries it to the meter, whose
/// signed answer is delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_critical_command_goes_through_with_sign_pre_command() {
    let state = state_dir("critical");
    let (received, rrs) = receive_response_service().await;
    let head_end = start(&state, &rrs);
    let transform =
        sign(&template("ECS43_7.2_SUCCESS_REQUEST_DUIS.XML").replace(":1000<", ":6000<"));
    let pre = send(&head_end, "/api/v1/serviceT", &transform).await;
    assert!(pre.contains("<sr:PreCommand>"), "{pre}");
    let file = state.join("transform-response.xml");
    std::fs::write(&file, &pre).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(["duis", "sign-pre-command"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let request = String::from_utf8(out.stdout).unwrap();
    assert!(
        request.contains("<sr:CommandVariant>5</sr:CommandVariant>"),
        "{request}"
    );
    let reply = send(&head_end, "/api/v1/serviceS", &request).await;
    assert!(
        reply.contains("<sr:ResponseCode>I99</sr:ResponseCode>"),
        "{reply}"
    );
    let answer = first_delivered(&received).await;
    assert!(
        answer.contains("<sr:ResponseCode>I0</sr:ResponseCode>"),
        "{answer}"
    );
    assert!(
        answer.contains("<sr:ServiceReferenceVariant>7.2</sr:ServiceReferenceVariant>"),
        "{answer}"
    );
    // Not a Transform response: said so.
    std::fs::write(&file, &reply).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(["duis", "sign-pre-command"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("not a Transform response with a pre-command (response code I99)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The request itself instead of the Transform response to it: said so.
    std::fs::write(&file, template("ECS43_7.2_SUCCESS_REQUEST_DUIS.XML")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(["duis", "sign-pre-command"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("a request, not the Transform response to it"),
        "{err}"
    );
    drop(head_end);
    let _ = std::fs::remove_dir_all(&state);
}

/// The premises off supply that the head-end saved in `state`, as (hub, JSON state).
fn saved_outages(state: &std::path::Path) -> Vec<(String, serde_json::Value)> {
    let db = rusqlite::Connection::open_with_flags(
        state.join("dccsim.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    db.busy_timeout(StdDuration::from_secs(5)).unwrap();
    let mut rows = db.prepare("SELECT hub, state FROM outages").unwrap();
    rows.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .map(|row| {
            let (hub, state) = row.unwrap();
            (hub, serde_json::from_str(&state).unwrap())
        })
        .collect()
}

/// Premises off supply when the head-end is killed are off after the restart: one whose supply
/// came back while the head-end was down alerts its network operator as soon as it is up again
/// (8F36, naming the outage's start and end), the others stay off (no alert before their time).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_premises_off_supply_when_killed_alerts_after_the_restart() {
    let state = state_dir("outages");
    let (_, rrs) = receive_response_service().await;
    let (alerts, operator_rrs) = receive_response_service().await;
    let operator = format!("{}={operator_rrs}", defaults::NETWORK_OPERATOR);
    {
        // Frequent faults: one every few seconds across the 120 premises.
        let _head_end = start_with(
            &state,
            &rrs,
            &["--receive", &operator, "--outages-per-year", "2000000"],
        );
        let deadline = Instant::now() + StdDuration::from_secs(60);
        while saved_outages(&state).is_empty() {
            assert!(Instant::now() < deadline, "no premises went off supply");
            tokio::time::sleep(StdDuration::from_millis(200)).await;
        }
        // Dropped: killed outright, premises still off supply.
    }
    let off = saved_outages(&state);
    // While it was down, the first premises' supply came back (a 10-minute outage that ended a
    // minute ago); the others are off for another day.
    let now = Utc::now();
    let db = rusqlite::Connection::open(state.join("dccsim.sqlite")).unwrap();
    for (i, (hub, mut saved)) in off.iter().cloned().enumerate() {
        let (from, to) = match i {
            0 => (now - Duration::minutes(11), now - Duration::minutes(1)),
            _ => (now - Duration::minutes(5), now + Duration::days(1)),
        };
        saved["from"] = serde_json::json!(from);
        saved["to"] = serde_json::json!(to);
        db.execute(
            "UPDATE outages SET state = ?1 WHERE hub = ?2",
            rusqlite::params![saved.to_string(), hub],
        )
        .unwrap();
    }
    drop(db);
    let back: Eui64 = off[0].0.parse().unwrap();
    let registry = dccsim::gateway::store::Store::open(&state.join("dccsim.sqlite"))
        .unwrap()
        .registry()
        .unwrap()
        .unwrap();
    let meters: BTreeSet<String> = registry
        .devices()
        .filter(|d| d.comms_hub == back && d.device_type == DeviceType::Esme)
        .map(|d| d.device.to_string())
        .collect();
    assert!(!meters.is_empty());

    let head_end = start_with(
        &state,
        &rrs,
        &["--receive", &operator, "--outages-per-year", "0"],
    );
    assert!(
        head_end
            .banner
            .contains(&format!("{} premises off supply", off.len())),
        "{}",
        head_end.banner
    );
    let alert = first_delivered(&alerts).await;
    assert_eq!(field(&alert, "AlertCode"), Some("8F36"), "{alert}");
    let alerted = field(&alert, "ResponseID")
        .unwrap()
        .split(':')
        .next()
        .unwrap();
    assert!(meters.contains(alerted), "{alerted} is not at {back}");
    // Its meters' alerts and nothing else: the other premises are still off.
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    let from: BTreeSet<String> = alerts
        .lock()
        .unwrap()
        .iter()
        .map(|xml| {
            field(xml, "ResponseID")
                .unwrap()
                .split(':')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(from, meters);
    assert_eq!(
        saved_outages(&state).len(),
        off.len() - 1,
        "struck off once alerted"
    );
    let _ = std::fs::remove_dir_all(&state);
}

/// A firmware image on its way to a meter when the head-end is killed still arrives after the
/// restart: the meter's 8F72 alert (with the image's hash) reaches the supplier once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firmware_image_on_its_way_when_killed_arrives_after_the_restart() {
    use base64::Engine;
    use dccsim::protocol::gbcs::firmware::{UpgradeImage, build_image};
    let state = state_dir("firmware");
    let (received, rrs) = receive_response_service().await;
    // 16 kB: eight seconds over the home area network at 2 kB/s.
    let keys = defaults::keys(4).unwrap();
    let body = b"dccsim restart test firmware ".repeat(560);
    let bytes = build_image(0x121D, [2, 0, 0, 1], "restart", &body, |m| {
        keys.sign(defaults::SUPPLIER, m).unwrap()
    });
    let hash = UpgradeImage::parse(&bytes).unwrap().hash();
    let template = template("11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML");
    let image = field(&template, "FirmwareImage").unwrap().to_string();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let update = sign(&template.replace(&image, &encoded));
    {
        let head_end = start(&state, &rrs);
        let reply = send(&head_end, "/api/v1/serviceD", &update).await;
        assert!(
            reply.contains("<sr:ResponseCode>I99</sr:ResponseCode>"),
            "{reply}"
        );
        // Dropped at once: killed outright, the image still on its way.
    }
    assert!(received.lock().unwrap().is_empty());
    let _head_end = start(&state, &rrs);
    let alert = first_delivered(&received).await;
    assert_eq!(field(&alert, "AlertCode"), Some("8F72"), "{alert}");
    let gbcs = base64::engine::general_purpose::STANDARD
        .decode(field(&alert, "GBCSPayload").unwrap())
        .unwrap();
    let message = dccsim::protocol::gbcs::GbcsMessage::decode(&gbcs).unwrap();
    assert_eq!(message.signing.originator, defaults::RTDS_ESME);
    assert!(message.signing.content.ends_with(&hash));
    // Once.
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    assert_eq!(received.lock().unwrap().len(), 1);
    let _ = std::fs::remove_dir_all(&state);
}

/// A firmware image of megabytes reaches `serviceD` (11.1 carries up to 10,240,000 octets) and
/// its meter's alert comes back with its hash; a body past what DUIS allows is refused `413`,
/// and a device request that large too, well below that.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_firmware_image_of_megabytes_is_taken_and_a_larger_body_refused() {
    use base64::Engine;
    use dccsim::protocol::gbcs::firmware::{UpgradeImage, build_image};
    let state = state_dir("firmware-size");
    let (received, rrs) = receive_response_service().await;
    let keys = defaults::keys(4).unwrap();
    // 1.5 MB: 12 minutes over the home area network at 2 kB/s, so the alert is not awaited;
    // the acknowledgement says the head-end took the whole image in.
    let body: Vec<u8> = (0..1_500_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let bytes = build_image(0x121D, [3, 0, 0, 1], "large", &body, |m| {
        keys.sign(defaults::SUPPLIER, m).unwrap()
    });
    UpgradeImage::parse(&bytes).unwrap();
    let update_firmware = template("11.1_UPDATE_FIRMWARE_REQUEST_DUIS.XML");
    let image = field(&update_firmware, "FirmwareImage")
        .unwrap()
        .to_string();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
    let update = sign(&update_firmware.replace(&image, &encoded));
    assert!(update.len() > 2_000_000);
    let head_end = start(&state, &rrs);
    let reply = send(&head_end, "/api/v1/serviceD", &update).await;
    assert!(
        reply.contains("<sr:ResponseCode>I99</sr:ResponseCode>"),
        "{reply}"
    );
    let url = |path: &str| format!("http://{}{path}", head_end.plain);
    // Refused 413; or, the head-end answering before it has read the whole body, the
    // connection closed under the client's feet (reset, broken pipe, or hyper's "error
    // writing a body to connection").
    let refused = |outcome: Result<(u16, String), String>| match outcome {
        Ok((status, body)) => assert_eq!(status, 413, "{body}"),
        Err(e) => assert!(
            [
                "reset",
                "broken pipe",
                "closed",
                "incomplete",
                "writing a body"
            ]
            .iter()
            .any(|w| e.to_lowercase().contains(w)),
            "{e}"
        ),
    };
    let huge = "x".repeat(17 << 20);
    refused(dccsim::gateway::exchange(&url("/api/v1/serviceD"), &huge, None).await);
    refused(dccsim::gateway::exchange(&url("/api/v1/serviceS"), &update, None).await);
    // And it still serves.
    let inventory =
        sign(&template("8.2_READ_INVENTORY_REQUEST_DUIS.XML").replace(":1000<", ":1001<"));
    let reply = send(&head_end, "/api/v1/serviceD", &inventory).await;
    assert!(
        reply.contains("<sr:ResponseCode>I0</sr:ResponseCode>"),
        "{reply}"
    );
    assert!(received.lock().unwrap().is_empty());
    let _ = std::fs::remove_dir_all(&state);
}
