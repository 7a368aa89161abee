/// One entry of a case's append-only log.
public struct CaseEvent: Sendable, Hashable, Codable {
    public var action: CaseAction
    /// nil only for `register`.
    public var from: CaseState?
    public var to: CaseState
    public var at: Timestamp
    public var actor: String
    public var note: String?
    /// For `extend`: the working seconds granted.
    public var extensionSeconds: Int64?

    public init(action: CaseAction, from: CaseState?, to: CaseState, at: Timestamp, actor: String, note: String? = nil,
                extensionSeconds: Int64? = nil) {
        self.action = action
        self.from = from
        self.to = to
        self.at = at
        self.actor = actor
        self.note = note
        self.extensionSeconds = extensionSeconds
    }
}

/// The limits of a case's steps, from its category.
public struct StepLimits: Sendable, Hashable {
    /// From dispatch (or rework, or resume) to feedback.
    public var handling: TimeLimit
    /// From feedback to the check's verdict.
    public var checking: TimeLimit

    public init(handling: TimeLimit, checking: TimeLimit) {
        self.handling = handling
        self.checking = checking
    }
}

/// Green, yellow at 80 % of a step's limit, red past it.
public enum DeadlineLight: String, Sendable, Hashable, Codable {
    case green, yellow, red

    public static let yellowShare = 0.8
}

/// A case as its events make it: the state, when each step began and is due, and what happened on the way.
/// Nothing here is stored apart from the log; `replay` is the only way to get one.
public struct CaseTimeline: Sendable, Hashable {
    public var state: CaseState
    public var registeredAt: Timestamp
    public var updatedAt: Timestamp
    public var closedAt: Timestamp?
    /// The running step (handling or checking), when it began, its working-time limit and its deadline.
    public var stepStartedAt: Timestamp?
    public var stepLimitSeconds: Int64?
    public var stepDeadline: Timestamp?
    /// The handling deadline of the last handling step (kept after feedback; the expected completion).
    public var handlingDeadline: Timestamp?
    public var reworks = 0
    public var extensions = 0
    public var returns = 0
    public var suspensions = 0
    /// Steps finished after their deadline.
    public var lateSteps = 0
    public var events: Int

    /// Closed with every step in time (按期结案).
    public var closedOnTime: Bool { state == .closed && lateSteps == 0 }

    /// What the evaluation needs of this replay.
    public var outcome: CaseOutcome {
        CaseOutcome(state: state, registeredAt: registeredAt, closedAt: closedAt, stepDeadline: stepDeadline, lateSteps: lateSteps,
                    reworks: reworks, extensions: extensions)
    }

    /// Replays a log from its first event. Every event must be the machine's transition from the state before it
    /// (its `from` and `to` included), in time order; otherwise the error names the event.
    public static func replay(_ events: [CaseEvent], limits: StepLimits, calendar: WorkingCalendar) throws(CaseError) -> CaseTimeline {
        guard let first = events.first else { throw .badEvent(index: 0, reason: "a case has at least its register event") }
        guard first.action == .register, first.from == nil, first.to == .registered else {
            throw .badEvent(index: 0, reason: "the first event must be register (nil → registered), got \(first.action.rawValue)")
        }
        var timeline = CaseTimeline(state: .registered, registeredAt: first.at, updatedAt: first.at, events: events.count)
        for (index, event) in events.enumerated().dropFirst() {
            try timeline.apply(event, index: index, limits: limits, calendar: calendar)
        }
        return timeline
    }

    /// The event `action` would append at `at`, checked against the machine.
    public func next(_ action: CaseAction, at: Timestamp, actor: String, note: String? = nil,
                     extensionSeconds: Int64? = nil) throws(CaseError) -> CaseEvent {
        let to = try CaseMachine.target(of: action, from: state)
        if action == .extend {
            guard let seconds = extensionSeconds, seconds > 0, seconds <= 365 * 86_400 else {
                throw .badInput("extend needs a positive extension (working hours or days)")
            }
        }
        return CaseEvent(action: action, from: state, to: to, at: max(at, updatedAt), actor: actor, note: note,
                         extensionSeconds: action == .extend ? extensionSeconds : nil)
    }

    mutating func apply(_ event: CaseEvent, index: Int, limits: StepLimits, calendar: WorkingCalendar) throws(CaseError) {
        guard event.action != .register else { throw .badEvent(index: index, reason: "register may only be the first event") }
        guard event.from == state else {
            throw .badEvent(index: index, reason: "\(event.action.rawValue) from \(event.from?.rawValue ?? "nothing") but the case was \(state.rawValue)")
        }
        let to: CaseState
        do { to = try CaseMachine.target(of: event.action, from: state) } catch { throw .badEvent(index: index, reason: error.description) }
        guard to == event.to else { throw .badEvent(index: index, reason: "\(event.action.rawValue) leads to \(to.rawValue), not \(event.to.rawValue)") }
        guard event.at >= updatedAt else { throw .badEvent(index: index, reason: "events must be in time order") }
        let t = event.at
        func startStep(_ limit: TimeLimit) {
            let seconds = calendar.seconds(of: limit)
            stepStartedAt = t
            stepLimitSeconds = seconds
            stepDeadline = calendar.adding(workingSeconds: seconds, to: t)
        }
        func endStep() {
            if let deadline = stepDeadline, t > deadline { lateSteps += 1 }
            stepStartedAt = nil
            stepLimitSeconds = nil
            stepDeadline = nil
        }
        switch event.action {
        case .register: break
        case .dispatch, .resume:
            startStep(limits.handling)
            handlingDeadline = stepDeadline
        case .accept: break
        case .rework:
            endStep()
            reworks += 1
            startStep(limits.handling)
            handlingDeadline = stepDeadline
        case .feedback:
            endStep()
            startStep(limits.checking)
        case .check: break
        case .close:
            endStep()
            closedAt = t
        case .void:
            endStep()
            closedAt = nil
        case .return:
            endStep()
            returns += 1
        case .suspend:
            // The clock stops while the case is suspended; resuming starts a new handling step.
            stepStartedAt = nil
            stepLimitSeconds = nil
            stepDeadline = nil
            suspensions += 1
        case .extend:
            guard let seconds = event.extensionSeconds, seconds > 0 else {
                throw .badEvent(index: index, reason: "extend without a positive extension")
            }
            extensions += 1
            if let start = stepStartedAt, let limit = stepLimitSeconds {
                stepLimitSeconds = limit + seconds
                stepDeadline = calendar.adding(workingSeconds: limit + seconds, to: start)
                handlingDeadline = stepDeadline
            }
        }
        state = to
        updatedAt = t
        events = index + 1
    }

    /// The light of the running step at `now` (nil when no step runs: registered, returned, suspended, final).
    public func light(at now: Timestamp, calendar: WorkingCalendar) -> DeadlineLight? {
        guard let start = stepStartedAt, let limit = stepLimitSeconds, let deadline = stepDeadline else { return nil }
        if now > deadline { return .red }
        let used = Double(calendar.workingSeconds(from: start, to: now))
        return used >= DeadlineLight.yellowShare * Double(limit) ? .yellow : .green
    }

    public func isOverdue(at now: Timestamp) -> Bool {
        guard let deadline = stepDeadline else { return false }
        return now > deadline
    }
}
