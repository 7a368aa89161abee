import Foundation
import GridCases
import GridModel

/// One JSON shape of a case and of figures, behind the command line and the HTTP API.
extension CaseRepository.StoredCase {
    /// Properties of the case at `now` (its light is the running step's, on the store's calendar).
    public func json(calendar: WorkingCalendar, now: Timestamp, events withEvents: Bool = false) -> [String: Any] {
        func time(_ t: Timestamp?) -> Any { t.map { calendar.format($0) } ?? NSNull() }
        var object: [String: Any] = [
            "code": code, "category": category, "description": description, "address": address ?? NSNull(),
            "longitude": point.longitude, "latitude": point.latitude, "building_id": buildingID ?? NSNull(),
            "grid_code": grid ?? NSNull(), "community_code": community ?? NSNull(), "outside_grids": outsideGrids,
            "grid_distance_m": (gridDistance * 10).rounded() / 10, "worker": worker ?? NSNull(), "department": department,
            "reporter_kind": reporterKind, "reporter": reporter ?? NSNull(), "priority": priority,
            "households_nearby": householdsNearby ?? NSNull(), "media": media, "duplicate_of": duplicateOf ?? NSNull(),
            "state": state.rawValue, "state_zh": state.chineseName, "registered_at": time(registeredAt), "updated_at": time(updatedAt),
            "step_deadline": time(stepDeadline), "handling_deadline": time(handlingDeadline), "closed_at": time(closedAt),
            "light": light(calendar: calendar, now: now)?.rawValue ?? NSNull(),
            "overdue": state.isOpen && (stepDeadline.map { now > $0 } ?? false),
            "allowed_actions": CaseMachine.allowed(from: state).map(\.rawValue),
        ]
        if let impact {
            object["facility_impact"] = ["facility_id": impact.facilityID, "category": impact.category, "profile": impact.profile,
                                         "levels": impact.levels.map { ["minutes": $0.minutes, "households_losing": $0.householdsLosing] }]
        }
        if withEvents {
            object["events"] = events.map { e -> [String: Any] in
                ["action": e.action.rawValue, "action_zh": e.action.chineseName, "from": e.from?.rawValue ?? NSNull(), "to": e.to.rawValue,
                 "at": calendar.format(e.at), "actor": e.actor, "note": e.note ?? NSNull(),
                 "extension_hours": e.extensionSeconds.map { Double($0) / 3600 } ?? NSNull()]
            }
        }
        return object
    }

    /// The running step's light, as `CaseTimeline.light` judges it (nil when no step runs).
    public func light(calendar: WorkingCalendar, now: Timestamp) -> DeadlineLight? {
        guard state.isOpen, let start = stepStartedAt, let deadline = stepDeadline else { return nil }
        if now > deadline { return .red }
        let limit = calendar.workingSeconds(from: start, to: deadline)
        let used = calendar.workingSeconds(from: start, to: now)
        return Double(used) >= DeadlineLight.yellowShare * Double(limit) ? .yellow : .green
    }
}

extension CaseFigures {
    public var json: [String: Any] {
        func rate(_ value: Double?) -> Any { value.map { ($0 * 10_000).rounded() / 10_000 } ?? NSNull() }
        return [
            "unit": unit.rawValue, "key": key, "registered": registered, "due": due, "closed": closed, "closed_on_time": closedOnTime,
            "reworked": reworked, "extended": extended, "overdue_now": overdueNow, "closure_rate": rate(closureRate),
            "on_time_rate": rate(onTimeRate), "rework_rate": rate(reworkRate), "extension_rate": rate(extensionRate),
            "median_hours_to_close": medianHoursToClose.map { ($0 * 100).rounded() / 100 } ?? NSNull(),
            "households": households ?? NSNull(), "cases_per_100_households": rate(casesPer100Households),
        ]
    }
}
