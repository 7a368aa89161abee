#if canImport(Glibc)
import Glibc
#endif

/// Scheduling priority of background work, per thread (Linux keeps the nice value per thread; `who` 0 is the caller).
public enum ThreadPriority {
    /// Nice 19: work that may wait for anything else (seeding a tile file in the background, reads warmed at start).
    public static let lowest: Int32 = 19
    /// Nice 10: long computations a request asked for, behind the threads answering other requests.
    public static let behindRequests: Int32 = 10

    /// Lowers the calling thread alone to `nice`.
    public static func lowerThisThread(to nice: Int32) {
        #if os(Linux)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, nice)
        #endif
    }
}
