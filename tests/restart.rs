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
}

fn start(state: &std::path::Path, rrs: &str) -> HeadEnd {
    let child = Command::new(env!("CARGO_BIN_EXE_dccsim"))
        .args(["serve", "--listen", "127.0.0.1:0", "--plain", "127.0.0.1:0"])
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
    let mut head_end = HeadEnd {
        child,
        plain: String::new(),
        banner: String::new(),
    };
    let stdout = head_end.child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        // Read to the end, so the head-end never writes into a closed pipe.
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + StdDuration::from_secs(60);
    loop {
        let line = rx
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

async fn send(head_end: &HeadEnd, path: &str, xml: &str) -> String {
    let url = format!("http://{}{path}", head_end.plain);
    let (status, body) = dccsim::gateway::exchange(&url, xml, None).await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_head_end_loses_no_scheduled_read_and_delivers_each_response_once() {
    let dir = std::env::temp_dir().join(format!("dccsim-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // The supplier's Receive Response Service, up for the whole test.
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
