import Foundation
import GRDB
import GridModel
import GridTiles
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Keeps a server's seeded tile file the store's: seeds it (`TileSeeder`, the same tiles `tiles seed` writes) when it is
/// missing or its fingerprint is not the store's, and again whenever the store's tile fingerprint changes, then has the
/// `TileService` answer from the new file.
///
/// Everything runs on threads of its own at the lowest scheduling priority, off the request path. A seeding starts only
/// once SQLite's data version has been still for `Plan.settleSeconds` (an import or a coverage run commits several
/// times). It is abandoned as soon as the store's fingerprint moves from the one it started at (the seeder also refuses
/// to keep a file whose fingerprint changed before it finished) and starts again once the data is still. The file is
/// written beside the output under a temporary name and renamed onto it only when complete: the output is always a
/// whole file, the old one until the new one is done. Requests never depend on it: a tile is answered from a file only
/// while the store's fingerprint is the file's (`TileService`), and drawn otherwise.
public final class TileReseeder: Sendable {
    public struct Plan: Sendable {
        public var path: String
        public var zooms: ClosedRange<Int>
        /// In `/tiles` order.
        public var layers: [FeatureCollection]
        public var datum: TileDatum
        /// Threads drawing, each at the lowest priority. Two: on two cores requests were answered as fast while two
        /// seeded as while one did (each takes only what requests leave), and the file was ready a fifth sooner.
        public var workers: Int
        /// How long the data version must have been still before a seeding starts.
        public var settleSeconds: Double
        /// Where the lines saying that a seeding started, finished, was abandoned or failed go (standard error in a server).
        public var report: @Sendable (String) -> Void

        public init(path: String, zooms: ClosedRange<Int> = 10...16, layers: [FeatureCollection] = FeatureCollection.all,
                    datum: TileDatum = .wgs84, workers: Int = 2, settleSeconds: Double = 2,
                    report: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) {
            self.path = path; self.zooms = zooms; self.datum = datum; self.workers = max(1, workers); self.settleSeconds = settleSeconds
            self.layers = FeatureCollection.all.filter { collection in layers.contains { $0.id == collection.id } }
            self.report = report
        }

        /// Whether `file` holds the tiles this plan seeds: its zooms, layers and datum.
        public func fits(_ file: SeededTiles) -> Bool {
            file.zooms == zooms && file.layers == layers.map(\.id) && file.datum == datum
        }
    }

    public enum Phase: String, Sendable {
        /// Nothing to do: the file is the store's.
        case idle
        /// The data changed: a seeding starts once it has been still for `settleSeconds`.
        case settling
        case seeding
        /// The last seeding failed (reported); the next change of the store tries again.
        case failed
        case stopped
    }

    public struct Status: Sendable {
        public var phase = Phase.idle
        /// Seedings finished (and their files answered from) since the start.
        public var seedings = 0
        /// Tiles written and seconds taken by the last finished seeding.
        public var lastTiles: Int?
        public var lastSeconds: Double?
        /// Of the last finished seeding: the tiles in use before the change, seeded first and answered from memory from
        /// then on; the seconds from the last change of the data until all of them were (nil for a seeding at start);
        /// the tiles taken from memory (drawn on demand at the same data) rather than drawn again.
        public var lastHotTiles: Int?
        public var lastHotSecondsAfterChange: Double?
        public var lastTakenFromMemory: Int?
        /// Layers of the last finished seeding taken from the file before rather than drawn (`TileSeeder.Outcome.layersKept`).
        public var lastLayersKept: Int?
    }

    public let plan: Plan
    private let tiles: TileService
    private var store: Store { tiles.store }
    private let state = Mutex(Status())
    private let started = Atomic<Bool>(false)
    private let stopRequested = Atomic<Bool>(false)
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// During a seeding: the fingerprint it started at, the data version last looked at and whether the store moved from it.
    private let watch = Mutex<(fingerprint: String, version: Int64?, changed: Bool)?>(nil)
    /// The last warning reported: the same failure again is not reported again.
    private let lastWarning = Mutex<String?>(nil)

    /// How often the data version is looked at while nothing is seeded.
    static let pollInterval = DispatchTimeInterval.milliseconds(250)

    /// The reseeder of `tiles`'s seeded file; nothing runs before `start`.
    public init(tiles: TileService, plan: Plan) {
        self.tiles = tiles
        self.plan = plan
    }

    public var status: Status { state.withLock { $0 } }

    /// Starts the thread that seeds; once.
    public func start() {
        guard !started.exchange(true, ordering: .relaxed) else { return }
        removeAbandonedTemporaries()
        let thread = Thread { [self] in
            ThreadPriority.lowerThisThread(to: ThreadPriority.lowest)
            run()
            finished.signal()
        }
        thread.name = "communitygrid re-seeding"
        thread.start()
    }

    /// Stops seeding and returns once it has stopped (within one unit of drawing), its temporary file removed.
    public func stop() {
        stopRequested.store(true, ordering: .relaxed)
        wake.signal()
        guard started.load(ordering: .relaxed) else { return }
        finished.wait()
        // Another caller of `stop` returns too.
        finished.signal()
    }

    private func run() {
        var lastVersion: Int64?
        // The version seen at start counts as still: a missing or stale file is seeded at once.
        var stillSince = Date.distantPast
        // The version whose fingerprint was dealt with (the file is the store's, or its seeding failed).
        var settledVersion: Int64?
        var failedFingerprint: String?
        while !stopRequested.load(ordering: .relaxed) {
            defer { _ = wake.wait(timeout: .now() + Self.pollInterval) }
            guard let version = dataVersion() else { continue }
            if version != lastVersion {
                if lastVersion != nil { stillSince = Date() }
                lastVersion = version
            }
            guard version != settledVersion else { continue }
            guard Date().timeIntervalSince(stillSince) >= plan.settleSeconds else {
                setPhase(.settling)
                continue
            }
            // A fingerprint read while the version held (else look again at the next turn).
            guard let fingerprint = try? TileFingerprint.current(store), dataVersion() == version else { continue }
            if let file = tiles.seeded, plan.fits(file), file.fingerprint == fingerprint {
                settledVersion = version
                setPhase(.idle)
                continue
            }
            if failedFingerprint == fingerprint {
                settledVersion = version
                setPhase(.failed)
                continue
            }
            switch seed(from: fingerprint, version: version, changedAt: stillSince == .distantPast ? nil : stillSince) {
            case .done:
                // Looked at again at the next turn: the new file is the store's unless it moved meanwhile.
                failedFingerprint = nil
            case .storeChanged:
                plan.report("the store changed while \(plan.path) was seeded; it is seeded again once the data has been still for \(Self.seconds(plan.settleSeconds)) s")
                stillSince = Date()
                setPhase(.settling)
            case .stopped:
                break
            case .failed(let message):
                let warning = "warning: cannot seed \(plan.path) in the background: \(message); tiles are drawn until the store changes and it is tried again"
                let repeated = lastWarning.withLock { last in
                    defer { last = warning }
                    return last == warning
                }
                if !repeated { plan.report(warning) }
                failedFingerprint = fingerprint
                settledVersion = version
                setPhase(.failed)
            }
        }
        setPhase(.stopped)
    }

    private enum Result { case done, storeChanged, stopped, failed(String) }

    /// One seeding of the plan from the store at `fingerprint`; the file is answered from once it is renamed into place.
    private func seed(from fingerprint: String, version: Int64, changedAt: Date?) -> Result {
        setPhase(.seeding)
        let reason = if let current = tiles.seeded {
            plan.fits(current) ? "the store changed since it was seeded" : "its zooms, layers or datum are not these"
        } else {
            FileManager.default.fileExists(atPath: plan.path) ? "the file cannot be served" : "no file yet"
        }
        plan.report("seeding \(plan.path) in the background (\(reason)): zooms \(plan.zooms.lowerBound)–\(plan.zooms.upperBound), "
                    + "\(plan.layers.map(\.id).joined(separator: ",")), \(plan.datum.rawValue), \(plan.workers) thread\(plan.workers == 1 ? "" : "s") at the lowest priority")
        watch.withLock { $0 = (fingerprint, version, false) }
        defer { watch.withLock { $0 = nil } }
        let started = Date()
        do {
            guard let box = try TileSeeder.box(store: store, given: nil, layers: plan.layers) else {
                return .failed("the store holds no features to draw tiles of")
            }
            let count = TileSeeder.tileCount(minZoom: plan.zooms.lowerBound, maxZoom: plan.zooms.upperBound, box: box, datum: plan.datum)
            guard count <= TileSeeder.maximumTiles else {
                return .failed("zooms \(plan.zooms.lowerBound)–\(plan.zooms.upperBound) over the store's box are \(count) tiles, more than \(TileSeeder.maximumTiles)")
            }
            let request = TileSeeder.Request(minZoom: plan.zooms.lowerBound, maxZoom: plan.zooms.upperBound, bbox: nil, datum: plan.datum,
                                             output: plan.path, layers: plan.layers, onlyUnchanged: true)
            // Fed to the memory cache under the key `/tiles` uses for the plan's layers and datum.
            let feed = tiles.seedingFeed(plan.layers.map(TileLayerSource.init(collection:)), datum: plan.datum)
            let outcome = try TileSeeder.seed(store: store, request: request, workers: plan.workers, lowestPriority: true, feed: feed,
                                              stops: { [self] in stopRequested.load(ordering: .relaxed) || storeMoved() })
            let file = try SeededTiles(path: plan.path)
            tiles.useSeeded(file)
            let seconds = Date().timeIntervalSince(started)
            state.withLock { status in
                status.seedings += 1
                status.lastTiles = outcome.tiles
                status.lastSeconds = seconds
                status.lastHotTiles = outcome.hotTiles
                status.lastHotSecondsAfterChange = outcome.hotSeconds.flatMap { hot in
                    changedAt.map { started.timeIntervalSince($0) + hot }
                }
                status.lastTakenFromMemory = outcome.tilesTaken
                status.lastLayersKept = outcome.layersKept
            }
            lastWarning.withLock { $0 = nil }
            let hot = outcome.hotSeconds.map { " (the \(outcome.hotTiles) in use before first, in memory after \(Self.seconds($0)) s)" } ?? ""
            let taken = outcome.tilesTaken > 0 ? ", \(outcome.tilesTaken) taken from memory" : ""
            let kept = outcome.layersKept > 0 ? ", \(outcome.layersKept) unchanged layers taken from the file before" : ""
            plan.report("seeded \(plan.path): \(outcome.tiles) tiles in \(Self.seconds(seconds)) s\(hot)\(taken)\(kept); tiles are answered from it while the store is unchanged")
            return .done
        } catch is TileSeeder.StoreChanged {
            return .storeChanged
        } catch is TileSeeder.Stopped {
            return stopRequested.load(ordering: .relaxed) ? .stopped : .storeChanged
        } catch {
            return .failed("\(error)")
        }
    }

    /// Whether the store's fingerprint moved from the one the seeding started at: read again only when the data version
    /// moved (a commit that leaves it, such as a reported case, does not stop the seeding).
    private func storeMoved() -> Bool {
        guard let version = dataVersion() else { return false }
        return watch.withLock { watched in
            guard var current = watched else { return false }
            if current.changed || current.version == version { return current.changed }
            current.version = version
            if let fingerprint = try? TileFingerprint.current(store) { current.changed = fingerprint != current.fingerprint }
            watched = current
            return current.changed
        }
    }

    /// The service's probe: a connection that never writes, whose data version moves whenever another one commits.
    private func dataVersion() -> Int64? { tiles.dataVersion() }

    private func setPhase(_ phase: Phase) { state.withLock { $0.phase = phase } }

    /// Temporaries of seedings whose process is gone (killed mid-seed) beside the file: they are never renamed.
    private func removeAbandonedTemporaries() {
        let output = URL(fileURLWithPath: plan.path)
        let folder = output.deletingLastPathComponent().path
        let prefix = "." + output.lastPathComponent + ".partial-"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
    }

    static func seconds(_ value: Double) -> String { String(format: "%.1f", value) }
}
