import Foundation
import Synchronization

/// A fixed number of slots for expensive work (isochrone searches, grid runs). A request that finds every slot
/// taken is answered 503 with Retry-After at once instead of queueing: queued CPU work would hold the threads
/// that cheap reads (bbox pages, single features) need, and a queue without bound grows with the load.
final class ComputeSlots: Sendable {
    let capacity: Int
    /// What the slots are for, as clients read it in the problem ("isochrone", "grid run").
    let work: String
    let retryAfterSeconds: Int
    private let used = Mutex(0)

    init(capacity: Int, work: String, retryAfterSeconds: Int) {
        self.capacity = max(1, capacity)
        self.work = work
        self.retryAfterSeconds = retryAfterSeconds
    }

    var inUse: Int { used.withLock { $0 } }

    /// Takes a slot or throws the 503 problem; the caller must `release()` exactly once.
    func acquire() throws {
        let taken = used.withLock { count in
            guard count < capacity else { return false }
            count += 1
            return true
        }
        guard taken else {
            throw APIProblem.busy("busy", "the server is computing \(capacity) \(work)\(capacity == 1 ? "" : "s") already; try again shortly",
                                  retryAfterSeconds: retryAfterSeconds)
        }
    }

    func release() {
        used.withLock { $0 = max(0, $0 - 1) }
    }

    /// `body` in a slot, or the 503 problem when none is free.
    func run<T>(_ body: () throws -> T) throws -> T {
        try acquire()
        defer { release() }
        return try body()
    }
}
