import Foundation
import GridStore

/// A rebalance run accepted before its plan exists (the HTTP API's POST /runs): the run id is reserved at once,
/// the plan is computed on a thread of its own and lands under that id as a dry run, and the request is marked
/// done or failed with a message for the client.
public enum GridRunJob {
    /// What the job tells its caller's log.
    public enum Event: Sendable {
        /// The run failed; `error` is the error itself (the client only sees `message(for:)`).
        case failed(run: Int64, error: String)
        /// The run's status could not be stored yet (the store is locked); it is tried again.
        case statusRetry(run: Int64, error: String)
        /// The run's status could not be stored in time; the next start of the server marks it failed.
        case statusLost(run: Int64, error: String)
    }

    /// Checks the parameters against the store (as the run will), reserves a run id and starts computing on a
    /// thread of its own. `prepare` runs first on that thread (a server lowers its priority there); `finished` runs
    /// last, once the request's status is stored. Nothing is started when a check fails.
    public static func start(store: Store, parameters: GridRuns.Parameters, prepare: @escaping @Sendable () -> Void = {},
                             log: @escaping @Sendable (Event) -> Void = { _ in },
                             finished: @escaping @Sendable () -> Void = {}) throws -> GridRunRequests.Request {
        try GridRebalance.validate(parameters, store: store)
        let reserved = try GridRunRequests.reserve(store: store, parameters: parameters)
        Thread.detachNewThread {
            prepare()
            defer { finished() }
            var failure: String?
            do {
                _ = try GridRebalance.run(store: store, parameters: parameters, id: reserved.id, beforeSave: waitForResumeFile)
            } catch {
                log(.failed(run: reserved.id, error: String(describing: error)))
                failure = message(for: error)
            }
            finish(store: store, id: reserved.id, error: failure, log: log)
        }
        return reserved
    }

    /// A fault point, off unless COMMUNITYGRID_PAUSE_BEFORE_RUN_SAVE names a file: the run then waits (at most
    /// 120 s) until that file exists before it saves its computed plan, so a test can lock the store first.
    static func waitForResumeFile() {
        guard let path = ProcessInfo.processInfo.environment["COMMUNITYGRID_PAUSE_BEFORE_RUN_SAVE"], !path.isEmpty else { return }
        let start = ContinuousClock.now
        while !FileManager.default.fileExists(atPath: path), ContinuousClock.now - start < .seconds(120) {
            Thread.sleep(forTimeInterval: 0.05)
        }
    }

    /// The client's message for a failed run: parameters named as the run vocabulary names them, never SQL text.
    public static func message(for error: any Error) -> String {
        switch error {
        case let error as RunParameterError:
            return error.description
        case let error where Store.isLocked(error):
            return "the store stayed locked by another writer (an import or a grids apply) and the plan could not be saved; start the run again"
        case let error as StoreError where error.isUserError:
            return error.description
        default:
            return "the run failed with an internal error; the details are in the server's log"
        }
    }

    /// Marks the reserved run done or failed, retrying while the store is locked (a run must not stay
    /// `running`); gives up after `patienceSeconds`, when the next server start marks it failed instead.
    static func finish(store: Store, id: Int64, error: String?, patienceSeconds: Double = 3600, log: @Sendable (Event) -> Void) {
        let start = ContinuousClock.now
        var wait = 0.25
        while true {
            do {
                try GridRunRequests.finish(store: store, id: id, error: error)
                return
            } catch let failure {
                guard ContinuousClock.now - start < .seconds(patienceSeconds) else {
                    log(.statusLost(run: id, error: String(describing: failure)))
                    return
                }
                log(.statusRetry(run: id, error: String(describing: failure)))
                Thread.sleep(forTimeInterval: wait)
                wait = min(wait * 2, 15)
            }
        }
    }
}
