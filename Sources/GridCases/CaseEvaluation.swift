/// A case as the evaluation sees it: where it belongs and its replayed timeline.
public struct EvaluatedCase: Sendable {
    public var grid: String?
    public var community: String?
    public var worker: String?
    public var department: String
    public var timeline: CaseTimeline

    public init(grid: String?, community: String?, worker: String?, department: String, timeline: CaseTimeline) {
        self.grid = grid
        self.community = community
        self.worker = worker
        self.department = department
        self.timeline = timeline
    }

    /// The street (街道) of a community code: its first nine digits (6 division + 3 street).
    public var street: String? { community.map { String($0.prefix(9)) } }
}

/// 综合评价: figures per unit over a period (CJ/T 315). Definitions, the same behind the CLI and the API:
/// - registered: cases registered in the period;
/// - due (应结案): those registered in the period that are neither void nor suspended;
/// - closed (结案): due cases closed; closed on time (按期结案): closed with no step past its deadline;
/// - 结案率 = closed / due, 按期结案率 = closed on time / due, 返工率 = closed cases reworked at least once / closed,
///   延期率 = due cases extended at least once / due;
/// - median hours to close: elapsed hours from register to close of the closed ones;
/// - overdue now: open cases of the unit (registered at any time) whose running step is past its deadline;
/// - per 100 households: registered × 100 / the unit's households.
public struct CaseFigures: Sendable, Hashable, Codable {
    public enum Unit: String, Sendable, CaseIterable, Codable { case grid, community, street, worker, department }

    public var unit: Unit
    public var key: String
    public var registered = 0
    public var due = 0
    public var closed = 0
    public var closedOnTime = 0
    public var reworked = 0
    public var extended = 0
    public var overdueNow = 0
    public var medianHoursToClose: Double?
    public var households: Int?

    public var closureRate: Double? { due == 0 ? nil : Double(closed) / Double(due) }
    public var onTimeRate: Double? { due == 0 ? nil : Double(closedOnTime) / Double(due) }
    public var reworkRate: Double? { closed == 0 ? nil : Double(reworked) / Double(closed) }
    public var extensionRate: Double? { due == 0 ? nil : Double(extended) / Double(due) }
    public var casesPer100Households: Double? {
        guard let households, households > 0 else { return nil }
        return Double(registered) * 100 / Double(households)
    }

    public init(unit: Unit, key: String) {
        self.unit = unit
        self.key = key
    }

    /// Figures of every unit of `unit` holding a case, ordered by key. `households` gives a unit's households.
    public static func evaluate(_ cases: [EvaluatedCase], unit: Unit, from: Timestamp, to: Timestamp, now: Timestamp,
                                households: [String: Int] = [:]) -> [CaseFigures] {
        var figures: [String: CaseFigures] = [:]
        var hours: [String: [Double]] = [:]
        for item in cases {
            let key: String?
            switch unit {
            case .grid: key = item.grid
            case .community: key = item.community
            case .street: key = item.street
            case .worker: key = item.worker
            case .department: key = item.department
            }
            guard let key else { continue }
            var f = figures[key] ?? CaseFigures(unit: unit, key: key)
            let t = item.timeline
            if t.state.isOpen && t.isOverdue(at: now) { f.overdueNow += 1 }
            if t.registeredAt >= from && t.registeredAt < to {
                f.registered += 1
                if t.state != .void && t.state != .suspended {
                    f.due += 1
                    if t.extensions > 0 { f.extended += 1 }
                    if t.state == .closed, let closedAt = t.closedAt {
                        f.closed += 1
                        if t.closedOnTime { f.closedOnTime += 1 }
                        if t.reworks > 0 { f.reworked += 1 }
                        hours[key, default: []].append(Double(closedAt - t.registeredAt) / 3600)
                    }
                }
            }
            figures[key] = f
        }
        return figures.keys.sorted().map { key in
            var f = figures[key]!
            f.households = households[key]
            if var list = hours[key], !list.isEmpty {
                list.sort()
                let n = list.count
                f.medianHoursToClose = n % 2 == 1 ? list[n / 2] : (list[n / 2 - 1] + list[n / 2]) / 2
            }
            return f
        }
    }
}
