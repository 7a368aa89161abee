import GRDB

/// Errors of the storage layer, typed by what went wrong so each front end answers in its own terms (the command
/// line an exit code, HTTP a problem type and status) from one mapping of its own.
///
/// `badInput` and `invalid` are the user's to fix, `notFound` names something the store does not hold, `conflict`
/// a change the store's current state refuses, `locked` another writer holding the store, `deadlinePassed` a read
/// stopped at its caller's deadline; `environment` and `corrupt` are ours.
public enum StoreError: Error, CustomStringConvertible, Sendable {
    /// Bad input whose message names its place (file, line, feature, flag) in its own words.
    case badInput(String)
    /// A value the store refuses, naming the field it came in.
    case invalid(Field, value: String, problem: String)
    /// A value naming something the store does not hold.
    case notFound(Field, value: String, problem: String)
    /// A change the store's current state refuses (a plan already applied, codes given out since).
    case conflict(String)
    /// Another connection holds the write lock past the busy timeout (an import, a grids apply).
    case locked
    /// A read stopped because the caller's deadline passed.
    case deadlinePassed
    case environment(String)
    case corrupt(String)

    /// What a typed error is about, spelled neutrally; each front end spells it its own way (`--community`, `community`).
    public enum Field: String, Sendable, Hashable, CaseIterable {
        case community, coverageRun, category
    }

    public enum Kind: Sendable, Hashable {
        case invalid, notFound, conflict, locked, deadlinePassed, internalError
    }

    public var kind: Kind {
        switch self {
        case .badInput, .invalid: .invalid
        case .notFound: .notFound
        case .conflict: .conflict
        case .locked: .locked
        case .deadlinePassed: .deadlinePassed
        case .environment, .corrupt: .internalError
        }
    }

    /// The field a typed error names.
    public var field: Field? {
        switch self {
        case .invalid(let field, _, _), .notFound(let field, _, _): field
        default: nil
        }
    }

    /// The message with the field spelled by `spelling` (the neutral name when nil).
    public func message(spelling: (Field) -> String? = { _ in nil }) -> String {
        switch self {
        case .badInput(let message), .conflict(let message), .environment(let message), .corrupt(let message): message
        case .invalid(let field, let value, let problem), .notFound(let field, let value, let problem):
            "\(spelling(field) ?? field.rawValue) \(value): \(problem)"
        case .locked: "the store is locked by another writer (an import or a grids apply); try again shortly"
        case .deadlinePassed: "the read did not finish in time"
        }
    }

    public var description: String { message() }

    /// The user's to fix (exit code 1); the rest, but a lock, are ours (exit code 2).
    public var isUserError: Bool {
        switch kind {
        case .invalid, .notFound, .conflict: true
        case .locked, .deadlinePassed, .internalError: false
        }
    }

    /// The error as a store error when it is one or a lock SQLite reported (busy or locked); nil otherwise.
    public static func classify(_ error: any Error) -> StoreError? {
        switch error {
        case let error as StoreError: error
        case let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED: .locked
        default: nil
        }
    }
}
