/// What the evaluation needs of a case's replay: its state, when it was registered and closed, the running step's
/// deadline, and how its steps went. The store keeps these beside each case (written with every event), so the
/// evaluation reads them instead of replaying logs; `CaseTimeline.outcome` is the definition they must equal.
public struct CaseOutcome: Sendable, Hashable {
    public var state: CaseState
    public var registeredAt: Timestamp
    public var closedAt: Timestamp?
    /// The running step's deadline (nil when no step runs).
    public var stepDeadline: Timestamp?
    /// Steps finished after their deadline.
    public var lateSteps: Int
    public var reworks: Int
    public var extensions: Int

    public init(state: CaseState, registeredAt: Timestamp, closedAt: Timestamp?, stepDeadline: Timestamp?, lateSteps: Int, reworks: Int,
                extensions: Int) {
        self.state = state
        self.registeredAt = registeredAt
        self.closedAt = closedAt
        self.stepDeadline = stepDeadline
        self.lateSteps = lateSteps
        self.reworks = reworks
        self.extensions = extensions
    }

    /// Closed with every step in time (按期结案).
    public var closedOnTime: Bool { state == .closed && lateSteps == 0 }

    /// Open and past the running step's deadline.
    public func isOverdue(at now: Timestamp) -> Bool {
        guard state.isOpen, let deadline = stepDeadline else { return false }
        return now > deadline
    }
}

/// A case as the evaluation sees it: where it belongs and the outcome of its log.
public struct EvaluatedCase: Sendable {
    public var grid: String?
    public var community: String?
    public var worker: String?
    public var department: String
    public var outcome: CaseOutcome

    public init(grid: String?, community: String?, worker: String?, department: String, outcome: CaseOutcome) {
        self.grid = grid
        self.community = community
        self.worker = worker
        self.department = department
        self.outcome = outcome
    }

    public init(grid: String?, community: String?, worker: String?, department: String, timeline: CaseTimeline) {
        self.init(grid: grid, community: community, worker: worker, department: department, outcome: timeline.outcome)
    }

    /// The street (街道) of a community code: its first nine digits (6 division + 3 street).
    public var street: String? { community.map(CaseFigures.street(ofCommunity:)) }

    /// The case's unit of kind `unit` (nil: it belongs to none).
    public func key(_ unit: CaseFigures.Unit) -> String? {
        switch unit {
        case .grid: grid
        case .community: community
        case .street: street
        case .worker: worker
        case .department: department
        }
    }
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

    /// The street (街道) of a community code: its first nine digits (6 division + 3 street).
    public static func street(ofCommunity community: String) -> String { String(community.prefix(9)) }

    /// Figures of every unit of `unit` holding a case, ordered by key. `households` gives a unit's households.
    public static func evaluate(_ cases: [EvaluatedCase], unit: Unit, from: Timestamp, to: Timestamp, now: Timestamp,
                                households: [String: Int] = [:]) -> [CaseFigures] {
        evaluate(keyed: cases.map { (key: $0.key(unit), outcome: $0.outcome) }, unit: unit, from: from, to: to, now: now, households: households)
    }

    /// The same, for cases given with their unit's key (nil: the case belongs to no such unit).
    public static func evaluate(keyed cases: [(key: String?, outcome: CaseOutcome)], unit: Unit, from: Timestamp, to: Timestamp,
                                now: Timestamp, households: [String: Int] = [:]) -> [CaseFigures] {
        var figures: [String: CaseFigures] = [:]
        var hours: [String: [Double]] = [:]
        for (key, t) in cases {
            guard let key else { continue }
            var f = figures[key] ?? CaseFigures(unit: unit, key: key)
            if t.isOverdue(at: now) { f.overdueNow += 1 }
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
