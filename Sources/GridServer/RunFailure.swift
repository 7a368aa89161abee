import Foundation
import GridStore
import Logging

/// How a grid run computed in the background ends when it fails: a message for the client (never SQL text,
/// never the command line's flag names), stored even when the store stays locked for a while.
enum RunFailure {
    static let logger = Logger(label: "communitygrid.runs")

    /// The command line's words for the run's parameters, and the body's.
    private static let fieldNames = [("--min/--max", "min/max"), ("--stability", "stability"), ("--grids", "grid_count"),
                                     ("--barriers", "barriers"), ("--community", "communities"), ("--min", "min"), ("--max", "max")]

    /// The client's message for a failed run; the error itself goes to the log.
    static func message(for error: any Error, run: Int64) -> String {
        logger.error("grid run failed", metadata: ["run": "\(run)", "error": "\(error)"])
        switch StoreError.classify(error) {
        case .locked?:
            return "the store stayed locked by another writer (an import or a grids apply) and the plan could not be saved; start the run again"
        case let error? where error.isUserError:
            var text = error.description
            for (flag, field) in fieldNames { text = text.replacingOccurrences(of: flag, with: field) }
            return text
        default:
            return "the run failed with an internal error; the details are in the server's log"
        }
    }

    /// Marks the reserved run done or failed, retrying while the store is locked (a run must not stay
    /// `running`); gives up after `patienceSeconds`, when the next server start marks it failed instead.
    static func finish(store: Store, id: Int64, error: String?, patienceSeconds: Double = 3600) {
        let start = ContinuousClock.now
        var wait = 0.25
        while true {
            do {
                try GridRunRequests.finish(store: store, id: id, error: error)
                return
            } catch {
                guard ContinuousClock.now - start < .seconds(patienceSeconds) else {
                    logger.error("grid run status not saved", metadata: ["run": "\(id)", "error": "\(error)"])
                    return
                }
                logger.warning("grid run status not saved yet; retrying", metadata: ["run": "\(id)", "error": "\(error)"])
                Thread.sleep(forTimeInterval: wait)
                wait = min(wait * 2, 15)
            }
        }
    }
}
