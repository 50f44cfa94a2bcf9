//! The non-device requests the DCC answers itself: DCC schedules (5.1–5.3), the inventory
//! (8.2–8.4) and the WAN matrix (12.1).

use chrono::{DateTime, Utc};

use super::jobs::scheduled_request;
use super::{Change, HeadEnd, Job, Speaks, SyncReply, refuse};
use crate::headend::access::{Refusal, ResponseCode, User, authorise};
use crate::headend::inventory::{self, Coverage};
use crate::headend::registry::InventoryChange;
use crate::headend::request::{Element, Request};
use crate::headend::response::ResponseBody;
use crate::headend::schedule::Schedule;
use crate::model::{CspRegion, Eui64};

impl HeadEnd {
    /// The non-device requests the DCC answers itself: DCC schedules, the inventory (read and
    /// changed) and the WAN matrix; the others are acknowledged.
    pub(super) fn non_device(
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
            "11.1" => self.update_firmware(user, request, now),
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
        if let Some(change) = change {
            self.record_inventory(change);
        }
        self.reply(request, ResponseCode::I99, now, ResponseBody::Status)
    }

    /// Makes a change to the inventory and journals it. Journalled even when the registry
    /// here already says so: a delta saved beside a running head-end may say otherwise, and
    /// this change, made after it, must win when the head-end takes the delta up (and after a
    /// restart).
    pub(super) fn record_inventory(&mut self, change: InventoryChange) {
        self.registry.apply(&change);
        if let Some(since) = &mut self.changed_since_reload {
            since.push(change.clone());
        }
        self.journal.push(Change::Inventory(change));
    }

    /// A device's firmware version as it would report it to 11.2 (hex), for the inventory.
    fn firmware(&self, eui: Eui64) -> Option<String> {
        let hex = crate::protocol::gbcs::hex;
        if let Some(meter) = self.meters.get(&eui) {
            Some(hex(&meter.firmware))
        } else if let Some(hub) = self.hubs.get(&eui) {
            Some(hex(&hub.firmware))
        } else if let Some(han) = self.han_devices.get(&eui) {
            Some(hex(&han.firmware))
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
        self.command(&probe, kind, authorised.role, now)?;
        self.last_schedule = schedule.id;
        self.jobs.insert((at, Job::Schedule(schedule.id)));
        self.journal.push(Change::Schedule(schedule.clone()));
        let id = schedule.id;
        self.schedules.insert(id, schedule);
        Ok(id)
    }

    pub(super) fn remove_schedule(&mut self, id: u64) {
        if let Some(s) = self.schedules.remove(&id)
            && let Some((_, at)) = s.run_time(s.next, self.spread)
        {
            self.jobs.remove(&(at, Job::Schedule(id)));
        }
        self.journal.push(Change::ScheduleRemoved(id));
    }
}
