import Foundation
import GridStore
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

    /// `body` in a slot on a thread of its own, off the cooperative threads that answer reads, or the 503 problem.
    /// `body` is told to stop (its argument turns true) when the request is cancelled or its deadline passes.
    func runDetached<T: Sendable>(_ body: @escaping @Sendable (_ isCancelled: @escaping @Sendable () -> Bool) throws -> T) async throws -> T {
        try acquire()
        let cancelled = CancelFlag()
        let deadline = RequestDeadline.current
        let isCancelled: @Sendable () -> Bool = { cancelled.isSet || deadline.map { ContinuousClock.now > $0 } ?? false }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread {
                    Self.yieldToRequests()
                    let result = Result { try body(isCancelled) }
                    // Free the slot before the answer goes out: a client that sends its next request as soon as it
                    // has this one's answer must find the slot free, however late this low-priority thread runs on.
                    self.release()
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            cancelled.set()
        }
    }

    /// Lowers the calling thread's priority (nice 10; on Linux the nice value is per thread), so the threads
    /// answering requests win the cores whenever both want them: long computations slow down, reads do not.
    static func yieldToRequests() {
        ThreadPriority.lowerThisThread(to: ThreadPriority.behindRequests)
    }

    private final class CancelFlag: Sendable {
        private let flag = Atomic(false)
        var isSet: Bool { flag.load(ordering: .relaxed) }
        func set() { flag.store(true, ordering: .relaxed) }
    }
}
