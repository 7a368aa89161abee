import Foundation
import GridAnalysis
import GridModel
import GridStore
import Synchronization

/// A coverage run: the store's buildings and facilities over its walking network by a profile's reach rule, and,
/// unless a dry run, the result stored as a record (`CoverageRuns`).
public enum CoverageJob {
    /// Runs coverage on the store's current content, with `planned` facilities added as if they existed (ids must
    /// not collide with stored ones: negative). Points snap as the reach rule says (`WalkingNetwork`).
    public static func compute(store: Store, profile: LifeCircleProfile, planned: [Coverage.Facility] = [],
                               isCancelled: () -> Bool = { false }) throws -> Coverage.Result {
        // Two independent reads (the store allows concurrent readers): the network with its snapping index, and the
        // buildings with their places.
        let (loaded, seconds) = try timed {
            try concurrently({ try WalkingNetwork.load(store, rule: profile.reach, planned: planned) }, { try AnalysisData.buildings(store) })
        }
        let (network, buildings) = loaded
        if ProcessInfo.processInfo.environment["COMMUNITYGRID_COVERAGE_TIMES"] == "1" {
            FileHandle.standardError.write(Data(String(format: "coverage phases: loaded %.2f s\n", seconds).utf8))
        }
        return try Coverage.run(
            graph: network.graph, snapper: network.snapper, buildings: buildings,
            facilities: network.facilities, profile: profile, isCancelled: isCancelled)
    }

    private static func timed<Value>(_ body: () throws -> Value) rethrows -> (value: Value, seconds: Double) {
        let started = Date()
        let value = try body()
        return (value, Date().timeIntervalSince(started))
    }

    /// Runs both on threads of their own and waits for both; the first error is thrown.
    static func concurrently<A: Sendable, B: Sendable>(_ first: @escaping @Sendable () throws -> A,
                                                       _ second: @escaping @Sendable () throws -> B) throws -> (A, B) {
        let a = Mutex<Result<A, any Error>?>(nil), b = Mutex<Result<B, any Error>?>(nil)
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            if i == 0 {
                let value = Result { try first() }
                a.withLock { $0 = value }
            } else {
                let value = Result { try second() }
                b.withLock { $0 = value }
            }
        }
        return (try a.withLock { $0! }.get(), try b.withLock { $0! }.get())
    }

    public struct Outcome: Sendable {
        public var result: Coverage.Result
        public var seconds: Double
        /// The stored run; nil for a dry run.
        public var runID: Int64?
    }

    /// Computes coverage and stores it (unless `dryRun`). The data versions are read before the computation, so a
    /// change landing during it leaves the stored run stale.
    public static func run(store: Store, profile: LifeCircleProfile, dryRun: Bool = false) throws -> Outcome {
        try run(store: store, profile: profile, dryRun: dryRun) { _ in () }.outcome
    }

    /// `run`, with `alongside` worked out from the result on a thread of its own while the run is stored (a city's
    /// run is millions of rows written on one core).
    public static func run<Extra: Sendable>(store: Store, profile: LifeCircleProfile, dryRun: Bool = false,
                                            alongside: @escaping @Sendable (Coverage.Result) -> Extra) throws -> (outcome: Outcome, extra: Extra) {
        let versions = try DataVersions.current(store)
        let started = Date()
        let result = try compute(store: store, profile: profile)
        let seconds = Date().timeIntervalSince(started)
        let (stored, extra) = try concurrently({ dryRun ? nil : try timed { try CoverageRuns.save(result, store: store, seconds: seconds, versions: versions) } },
                                               { timed { alongside(result) } })
        if ProcessInfo.processInfo.environment["COMMUNITYGRID_COVERAGE_TIMES"] == "1" {
            // Phase times for the benchmark, on standard error so the printed table stays as it is.
            let line = String(format: "coverage phases: computed %.2f s, stored %.2f s, alongside %.2f s\n",
                              seconds, stored?.seconds ?? 0, extra.seconds)
            FileHandle.standardError.write(Data(line.utf8))
        }
        return (Outcome(result: result, seconds: seconds, runID: stored?.value), extra.value)
    }
}
