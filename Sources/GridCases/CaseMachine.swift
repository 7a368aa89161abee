/// Where a case stands in the loop of digital urban management (GB/T 30428, CJ/T 315):
/// 立案 → 派遣 → 处理 → 反馈 → 核查 → 结案, with the side states 作废, 回退 and 挂账.
public enum CaseState: String, Sendable, Hashable, CaseIterable, Codable {
    /// 立案: registered, waiting for dispatch.
    case registered
    /// 派遣: dispatched to the responsible department.
    case dispatched
    /// 处理: the department is handling it.
    case handling
    /// 反馈: the department reported it handled; the grid worker has not checked it yet.
    case handled
    /// 核查: the grid worker is checking on the spot.
    case checking
    /// 结案: closed after a passed check.
    case closed
    /// 作废: not a case (duplicate, not ours, false report).
    case void
    /// 回退: sent back to the dispatcher (wrong department, wrong category).
    case returned
    /// 挂账: suspended (cannot be solved now; kept on the books).
    case suspended

    public var chineseName: String {
        switch self {
        case .registered: "立案"
        case .dispatched: "派遣"
        case .handling: "处理"
        case .handled: "反馈"
        case .checking: "核查"
        case .closed: "结案"
        case .void: "作废"
        case .returned: "回退"
        case .suspended: "挂账"
        }
    }

    /// Closed and void cases take no further action.
    public var isFinal: Bool { self == .closed || self == .void }
    /// Cases somebody still has to act on.
    public var isOpen: Bool { !isFinal }
}

/// What a person does to a case. Each action moves it from one state to another (`extend` keeps the state
/// and moves the handling deadline).
public enum CaseAction: String, Sendable, Hashable, CaseIterable, Codable {
    /// 立案: the first event of every case.
    case register
    /// 派遣: to the department (again after a return).
    case dispatch
    /// The department starts handling.
    case accept
    /// 反馈: the department reports it handled.
    case feedback
    /// 核查: the grid worker starts the check.
    case check
    /// 结案: the check passed.
    case close
    /// 返工: the check failed; back to the department.
    case rework
    /// 作废.
    case void
    /// 回退: back to the dispatcher.
    case `return`
    /// 延时: an approved extension of the handling deadline.
    case extend
    /// 挂账.
    case suspend
    /// Out of 挂账, back to the department's queue.
    case resume

    public var chineseName: String {
        switch self {
        case .register: "立案"
        case .dispatch: "派遣"
        case .accept: "受理"
        case .feedback: "反馈"
        case .check: "核查"
        case .close: "结案"
        case .rework: "返工"
        case .void: "作废"
        case .return: "回退"
        case .extend: "延时"
        case .suspend: "挂账"
        case .resume: "恢复"
        }
    }
}

/// The transitions allowed, and nothing else: every change of a case goes through `CaseMachine.apply`.
public enum CaseMachine {
    /// (action, from) → to. `register` starts from no state and is not listed.
    static let table: [CaseAction: [CaseState: CaseState]] = [
        .dispatch: [.registered: .dispatched, .returned: .dispatched],
        .accept: [.dispatched: .handling],
        .feedback: [.handling: .handled],
        .check: [.handled: .checking],
        .close: [.checking: .closed],
        .rework: [.checking: .handling],
        .void: [.registered: .void, .returned: .void],
        .return: [.dispatched: .returned, .handling: .returned],
        .extend: [.dispatched: .dispatched, .handling: .handling],
        .suspend: [.dispatched: .suspended, .handling: .suspended],
        .resume: [.suspended: .dispatched],
    ]

    /// The actions allowed in `state`, in a fixed order.
    public static func allowed(from state: CaseState) -> [CaseAction] {
        CaseAction.allCases.filter { table[$0]?[state] != nil }
    }

    /// The state `action` leads to from `state`, or an error naming the allowed actions.
    public static func target(of action: CaseAction, from state: CaseState) throws(CaseError) -> CaseState {
        guard let to = table[action]?[state] else {
            throw .illegalTransition(action: action, from: state, allowed: allowed(from: state))
        }
        return to
    }
}

/// Errors of the case core; each names what is wrong.
public enum CaseError: Error, Sendable, Hashable, CustomStringConvertible {
    case illegalTransition(action: CaseAction, from: CaseState, allowed: [CaseAction])
    case badEvent(index: Int, reason: String)
    case badInput(String)

    public var description: String {
        switch self {
        case .illegalTransition(let action, let from, let allowed):
            let list = allowed.isEmpty ? "none (the case is \(from.rawValue))" : allowed.map(\.rawValue).joined(separator: ", ")
            return "cannot \(action.rawValue) a case that is \(from.rawValue) (\(from.chineseName)); allowed: \(list)"
        case .badEvent(let index, let reason):
            return "event \(index + 1): \(reason)"
        case .badInput(let message):
            return message
        }
    }
}
