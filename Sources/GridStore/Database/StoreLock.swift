import GRDB

extension Store {
    /// True when `error` says another connection holds the write lock (an import, a grids apply): the work can
    /// be tried again later, it is neither the input's fault nor a bug.
    public static func isLocked(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
    }
}
