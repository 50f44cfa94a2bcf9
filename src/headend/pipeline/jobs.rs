//! What the head-end runs later on its own: DCC schedules as they fall due, future-dated
//! requests at their execution time, the virtual devices' own changes when due, and alerts
//! of supply restored after an outage.

use chrono::{DateTime, Duration, Utc};

use super::{Answer, Change, HeadEnd, Job, Speaks, refuse, signed_pre_command};
use crate::headend::access::{Refusal, ResponseCode, authorise};
use crate::headend::request::{Element, Request, RequestId};
use crate::headend::schedule::Schedule;
use crate::model::Eui64;
use crate::protocol::gbcs::GbcsMessage;

impl HeadEnd {
    /// The supplies that came back by `now`: each electricity meter there alerts its network
    /// operator (ECS80), the alert crossing the WAN as an answer does.
    pub(super) fn supply_events(&mut self, now: DateTime<Utc>) {
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
        if record.status != crate::headend::registry::SmiStatus::Commissioned {
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
        let xml =
            crate::headend::response::device_alert(meter, operator, counter, code, due, &alert);
        self.queue(operator, due, xml);
    }

    /// Runs the schedules and held requests due by `now`.
    pub(super) fn run_jobs(&mut self, now: DateTime<Utc>) {
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

    /// A meter carries out what it held for `now` (a payment mode change, load limiting
    /// settings) and its 8F66 alerts cross the WAN to the user who asked, committed with the
    /// meter's new state. A meter whose premises is off supply does so when the supply is back;
    /// one no longer commissioned carries it out, but its alerts go nowhere.
    pub(super) fn device_due(&mut self, eui: Eui64, now: DateTime<Utc>) {
        let record = self.registry.device(eui);
        let (hub, region) = record.map_or((eui, None), |d| (d.comms_hub, Some(d.csp_region)));
        let commissioned =
            record.is_some_and(|d| d.status == crate::headend::registry::SmiStatus::Commissioned);
        if let Some(back) = self.outages.as_ref().and_then(|o| o.back_at(hub, now)) {
            self.jobs.insert((back, Job::Device(eui)));
            return;
        }
        let (device, due) = if let Some(meter) = self.meters.get_mut(&eui) {
            (eui, meter.due(now, &self.keys))
        } else if let Some(&i) = self.gas.get(&eui) {
            let meter = &mut self.gas_meters[i];
            (meter.gsme, meter.due(now, &self.keys))
        } else {
            return;
        };
        let Ok(Some((user, alerts))) = due else {
            return;
        };
        self.journal_device_state(device);
        // The next change it holds, if another is held.
        self.book_device(eui);
        if !commissioned {
            return;
        }
        for alert in alerts {
            let Ok(message) = GbcsMessage::decode(&alert) else {
                continue;
            };
            let counter = message.signing.originator_counter;
            // A credentials update's alert says whether it was carried out (8F66) or not; a
            // firmware alert, what it is.
            let content = &message.signing.content;
            let code = message
                .message_code()
                .and_then(|c| {
                    crate::protocol::gbcs::credentials::alert_outcome(c, content)
                        .or_else(|| super::firmware::firmware_alert_code(c, content))
                })
                .unwrap_or(crate::protocol::gbcs::gbz::FUTURE_DATED_SUCCESS);
            let latency = region
                .and_then(|r| self.wan.get(&r))
                .map_or(0, |link| link.latency.sample(&mut self.rng));
            let due = now + Duration::microseconds(i64::try_from(latency).unwrap_or(i64::MAX));
            let xml =
                crate::headend::response::device_alert(device, user, counter, code, due, &alert);
            self.queue(user, due, xml);
        }
    }

    /// Books a job for a meter's next future-dated change, if it holds one.
    pub(super) fn book_device(&mut self, eui: Eui64) {
        if let Some((at, device)) = self.next_due(eui) {
            self.jobs.insert((at, Job::Device(device)));
        }
    }

    /// When the meter `eui` (or whose gas proxy it is) next has something to do on its own,
    /// and the device that does it.
    pub(super) fn next_due(&self, eui: Eui64) -> Option<(DateTime<Utc>, Eui64)> {
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
                    self.command(request, kind, authorised.role, now)?
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
}

/// A request's `ExecutionDateTime`, if it is future-dated.
pub(super) fn execution_time(request: &Request) -> Result<Option<DateTime<Utc>>, Refusal> {
    let Some(e) = request.body.find("ExecutionDateTime") else {
        return Ok(None);
    };
    crate::headend::request::utc_date_time("ExecutionDateTime", e.text.trim())
        .map(Some)
        .map_err(|reason| refuse(ResponseCode::E11, reason))
}

/// The read a schedule's run on `date` stands for, as if its user had sent it.
pub(super) fn scheduled_request(
    schedule: &Schedule,
    date: chrono::NaiveDate,
    counter: u64,
) -> Request {
    let leaf = |name: &str, at: DateTime<Utc>| Element {
        name: name.to_string(),
        text: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        ..Element::default()
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
            children,
            ..Element::default()
        },
    }
}
