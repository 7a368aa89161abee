import Foundation
import GRDB

/// Database errors met while importing, told in terms of the input and never with SQL text.
enum ImportFailure {
    /// A row the store refused. Constraints, oversized or mistyped values come from the input (exit 1);
    /// anything else (a locked store, a full disk) is the environment's (exit 2).
    static func rowRefused(_ error: DatabaseError, file: String, place: String) -> StoreError {
        guard let reason = inputReason(error) else { return storeFailed(error, file: file) }
        return .badInput("\(file): \(place): the store refused it (\(reason)); nothing was imported")
    }

    /// A database error outside any one row.
    static func storeFailed(_ error: DatabaseError, file: String) -> StoreError {
        if let reason = inputReason(error) {
            return .badInput("\(file): the store refused the import (\(reason)); nothing was imported")
        }
        let reason = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        return .environment("\(file): the store could not be written (\(reason)); nothing was imported")
    }

    /// What the input did wrong, or nil when the error is not the input's.
    private static func inputReason(_ error: DatabaseError) -> String? {
        // SQLite names the column after "failed: " for NOT NULL and UNIQUE; a CHECK names its expression, left out.
        let column = error.message.flatMap { message in
            message.range(of: "failed: ").map { String(message[$0.upperBound...]) }
        }
        switch error.extendedResultCode {
        case .SQLITE_CONSTRAINT_NOTNULL: return "a value is missing or not a number\(column.map { ": \($0)" } ?? "")"
        case .SQLITE_CONSTRAINT_UNIQUE, .SQLITE_CONSTRAINT_PRIMARYKEY: return "a duplicate\(column.map { " \($0)" } ?? "")"
        case .SQLITE_CONSTRAINT_CHECK: return "a value out of its range"
        case .SQLITE_CONSTRAINT_FOREIGNKEY: return "a reference to a missing object"
        default: break
        }
        switch error.resultCode {
        case .SQLITE_CONSTRAINT: return "a constraint failed"
        case .SQLITE_TOOBIG: return "a value is too large"
        case .SQLITE_MISMATCH: return "a value of the wrong type"
        case .SQLITE_RANGE: return "a value out of range"
        case .SQLITE_ERROR where error.message?.contains("integer overflow") == true: return "a number overflows 64 bits"
        default: return nil
        }
    }
}
