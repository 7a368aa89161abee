import CReadOSM
import Foundation
import GRDB
import GridModel
import GridTiles
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes every tile of a zoom range over a box to an MBTiles 1.3 file: the tiles `/tiles/WebMercatorQuad/{z}/{y}/{x}`
/// serves (every layer), drawn by the same `TileService.draw`, gzip-compressed as tippecanoe writes them, rows in the
/// TMS order MBTiles uses. Tiles with no feature are left out. The file is written beside the output under a hidden
/// temporary name and renamed onto it only when complete, so the output is never a half-written file.
public enum TileSeeder {
    public struct Request: Sendable {
        public var minZoom: Int
        public var maxZoom: Int
        /// WGS84; nil for the box of every layer's features.
        public var bbox: BoundingBox?
        public var datum: TileDatum
        public var output: String
        /// The layers drawn, in the order `/tiles` draws them: all five by default. One layer gives the tiles of
        /// `/collections/{id}/tiles/WebMercatorQuad`, every layer those of `/tiles/WebMercatorQuad`.
        public var layers: [FeatureCollection]
        /// Renames the file onto the output only when the store's fingerprint is the same after as before (a file the
        /// server answers from); otherwise throws `StoreChanged` and leaves the output as it was.
        public var onlyUnchanged: Bool
        public init(minZoom: Int, maxZoom: Int, bbox: BoundingBox?, datum: TileDatum, output: String, layers: [FeatureCollection] = FeatureCollection.all,
                    onlyUnchanged: Bool = false) {
            self.minZoom = minZoom; self.maxZoom = maxZoom; self.bbox = bbox; self.datum = datum; self.output = output
            self.onlyUnchanged = onlyUnchanged
            self.layers = FeatureCollection.all.filter { collection in layers.contains { $0.id == collection.id } }
        }
    }

    /// The tile layers named in a comma-separated list of collection ids, in `/tiles` order, or the first unknown name.
    public static func layers(_ list: String) -> Result<[FeatureCollection], LayerListError> {
        var chosen: [FeatureCollection] = []
        for name in list.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let collection = FeatureCollection.all.first(where: { $0.id == name }) else { return .failure(LayerListError(name: name)) }
            if !chosen.contains(where: { $0.id == collection.id }) { chosen.append(collection) }
        }
        return .success(FeatureCollection.all.filter { collection in chosen.contains { $0.id == collection.id } })
    }

    public struct LayerListError: Error { public let name: String }

    public struct Outcome: Sendable {
        /// Tiles written (holding at least one feature), by zoom.
        public var tilesByZoom: [Int: Int]
        /// Tiles drawn (or taken from the server's memory), empty ones included.
        public var tilesDrawn: Int
        /// Bytes of the written tiles, gzip-compressed.
        public var bytes: Int
        public var bbox: BoundingBox
        /// The store's fingerprint the file records; nil when the store changed while it was seeded.
        public var fingerprint: String?
        /// Of the tiles drawn, those taken from the server's memory (drawn there on demand at the same data).
        public var tilesTaken = 0
        /// Tiles in use before the data changed, seeded first; the seconds from the start until all were written, and
        /// how many tiles had been written then (the hot ones and what the other threads had under way).
        public var hotTiles = 0
        public var hotSeconds: Double?
        public var hotAfterTiles: Int?
        /// Layers taken as they were from the file seeded before (the server's, or the one at the output), not drawn
        /// again: those whose layer's version is the same (`TileLayerSource.ownVersionLayer`).
        public var layersKept = 0
        public var tiles: Int { tilesByZoom.values.reduce(0, +) }
    }

    /// The store's fingerprint changed while a seeding that asked for an unchanged one ran: nothing was written.
    public struct StoreChanged: Error {}
    /// The seeding was told to stop: nothing was written.
    public struct Stopped: Error {}

    /// Zooms drawn together from one read of their features: a tile and its descendants three zooms down.
    static let blockZooms = 4

    /// More tiles than this in one seeding is refused (a country at zoom 16 is tens of millions).
    public static let maximumTiles = 5_000_000

    /// The hidden file the output is written to until it is complete.
    public static func temporaryPath(for output: String) -> String {
        let url = URL(fileURLWithPath: output)
        return url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
    }

    /// The box seeded: the given one, else the box of the layers' features; in WGS84.
    public static func box(store: Store, given: BoundingBox?, layers: [FeatureCollection] = FeatureCollection.all) throws -> BoundingBox? {
        if let given { return given }
        let service = TileService(store: store, capacityBytes: 0)
        var box: BoundingBox?
        for source in layers.map(TileLayerSource.init(collection:)) {
            guard let extent = try service.extent(source) else { continue }
            if box == nil { box = extent } else {
                box!.include(Coordinate(longitude: extent.minLongitude, latitude: extent.minLatitude))
                box!.include(Coordinate(longitude: extent.maxLongitude, latitude: extent.maxLatitude))
            }
        }
        return box
    }

    /// The tiles of zoom `z` whose buffered box meets `box` (given in the datum the tiles are drawn in): every tile
    /// that can hold a feature of the box.
    public static func tiles(z: Int, box: BoundingBox, options: TileGeometry.Options = TileGeometry.Options()) -> (x: ClosedRange<Int>, y: ClosedRange<Int>) {
        let n = Double(1 << z), buffer = Double(options.buffer) / Double(options.extent)
        func clamp(_ value: Double) -> Int { min(max(Int(value.rounded(.down)), 0), (1 << z) - 1) }
        let west = clamp(WebMercator.worldX(longitude: box.minLongitude) * n - buffer)
        let east = clamp(WebMercator.worldX(longitude: box.maxLongitude) * n + buffer)
        let north = clamp(WebMercator.worldY(latitude: box.maxLatitude) * n - buffer)
        let south = clamp(WebMercator.worldY(latitude: box.minLatitude) * n + buffer)
        return (west...east, north...south)
    }

    /// `box` (WGS84) as the box that holds it in `datum`.
    public static func datumBox(_ box: BoundingBox, datum: TileDatum) -> BoundingBox {
        guard datum != .wgs84 else { return box }
        var samples: [Coordinate] = []
        let steps = 64
        for i in 0...steps {
            let t = Double(i) / Double(steps)
            let lon = box.minLongitude + t * (box.maxLongitude - box.minLongitude), lat = box.minLatitude + t * (box.maxLatitude - box.minLatitude)
            samples += [Coordinate(longitude: lon, latitude: box.minLatitude), Coordinate(longitude: lon, latitude: box.maxLatitude),
                        Coordinate(longitude: box.minLongitude, latitude: lat), Coordinate(longitude: box.maxLongitude, latitude: lat)]
        }
        var shifted = BoundingBox(coordinates: samples.map { datum.system.fromWGS84($0) })!
        // The offsets bend slightly between samples: a margin of about 10 m.
        shifted.minLongitude -= 1e-4; shifted.minLatitude -= 1e-4; shifted.maxLongitude += 1e-4; shifted.maxLatitude += 1e-4
        return shifted
    }

    /// How many tiles `seed` would draw.
    public static func tileCount(minZoom: Int, maxZoom: Int, box: BoundingBox, datum: TileDatum) -> Int {
        let drawn = datumBox(box, datum: datum)
        return (minZoom...maxZoom).reduce(0) { sum, z in
            let (xs, ys) = tiles(z: z, box: drawn)
            return sum + xs.count * ys.count
        }
    }

    /// Draws and writes the tiles on `workers` threads: the shared pool's, or with `lowestPriority` threads of their own
    /// at the lowest scheduling priority (a server seeding in the background). `progress` is called now and then with
    /// the zoom being drawn, the tiles drawn so far and the total. `stops` is asked before each unit of work: once it
    /// says true the seeding throws `Stopped`, leaving nothing behind. With `feed` (a server seeding its file) the tiles
    /// in use before the data changed are drawn first, a tile the server's memory holds at the data drawn is taken from
    /// it rather than drawn again, and each tile in use drawn is kept there, answered at once.
    public static func seed(store: Store, request: Request, workers: Int = ProcessInfo.processInfo.activeProcessorCount,
                            lowestPriority: Bool = false, feed: TileService.SeedingFeed? = nil,
                            progress: @escaping @Sendable (Int, Int, Int) -> Void = { _, _, _ in },
                            stops: @escaping @Sendable () -> Bool = { false }) throws -> Outcome {
        guard let box = try box(store: store, given: request.bbox, layers: request.layers) else {
            throw StoreError.badInput("the store holds no features to draw tiles of; import a layer first")
        }
        let drawnBox = datumBox(box, datum: request.datum)
        var list: [TileAddress] = []
        for z in request.minZoom...request.maxZoom {
            let (xs, ys) = tiles(z: z, box: drawnBox)
            for y in ys { for x in xs { if let address = TileAddress(z: z, x: x, y: y) { list.append(address) } } }
        }
        // Work in units: a tile below `generalisedBelowZoom` alone; from it on the tiles of four zooms under one tile
        // (up to 85) together, drawn from one read of their features (`TileService.drawBlock`).
        var units: [[TileAddress]] = []
        var blockOf: [TileAddress: Int] = [:]
        for address in list {
            guard address.z >= TileLayerSource.generalisedBelowZoom else { units.append([address]); continue }
            let top = TileLayerSource.generalisedBelowZoom + (address.z - TileLayerSource.generalisedBelowZoom) / blockZooms * blockZooms
            let shift = address.z - top
            guard let key = TileAddress(z: top, x: address.x >> shift, y: address.y >> shift) else { continue }
            if let unit = blockOf[key] { units[unit].append(address) } else {
                blockOf[key] = units.count
                units.append([address])
            }
        }
        // The tiles in use first, in the order last used; each block's other tiles in their turn after all of them.
        var hotUnitCount = 0, hotTiles = 0
        if let feed {
            var hot: [(rank: Int, unit: [TileAddress])] = [], rest: [[TileAddress]] = []
            for unit in units {
                var hotUnit: [TileAddress] = [], rank = Int.max, other: [TileAddress] = []
                for address in unit {
                    if let tileRank = feed.rank(address) {
                        hotUnit.append(address)
                        rank = min(rank, tileRank)
                    } else {
                        other.append(address)
                    }
                }
                if !hotUnit.isEmpty { hot.append((rank, hotUnit)) }
                if !other.isEmpty { rest.append(other) }
            }
            hot.sort { $0.rank < $1.rank }
            hotUnitCount = hot.count
            hotTiles = hot.reduce(0) { $0 + $1.unit.count }
            units = hot.map(\.unit) + rest
        }
        let work = units, hotUnits = hotUnitCount
        let total = list.count
        // The file seeded before (the server's, else the one at the output) gives the layers that did not change.
        let seededBefore = feed?.service.seeded ?? (FileManager.default.fileExists(atPath: request.output) ? try? SeededTiles(path: request.output) : nil)
        let service = TileService(store: store, capacityBytes: 0, prefersWholeIndex: true, seeded: seededBefore)
        let sources = request.layers.map(TileLayerSource.init(collection:))
        guard !sources.isEmpty else { throw StoreError.badInput("no layer to draw: name at least one of \(FeatureCollection.all.map(\.id).joined(separator: ", "))") }
        let temporary = temporaryPath(for: request.output)
        try? FileManager.default.removeItem(atPath: temporary)
        // The store's fingerprint before and after: the file is served in place of drawing only when they agree.
        let fingerprintBefore = try TileFingerprint.current(store)
        do {
            let writer = try MBTilesWriter(path: temporary)
            let next = Atomic<Int>(0)
            let state = Mutex((byZoom: [Int: Int](), bytes: 0, drawn: 0, error: (any Error)?.none, lastReport: Date.distantPast,
                               taken: 0, hotUnitsDone: 0, hotDone: (seconds: Double, tiles: Int)?.none))
            let started = Date()
            let stopped = Atomic<Bool>(false)
            perform(workers: max(1, workers), lowestPriority: lowestPriority) { _ in
                while true {
                    let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard index < work.count, state.withLock({ $0.error == nil }) else { return }
                    if stops() {
                        stopped.store(true, ordering: .relaxed)
                        return
                    }
                    let unit = work[index]
                    do {
                        func draw(_ unit: [TileAddress]) throws -> [[UInt8]] {
                            unit.count == 1 && unit[0].z < TileLayerSource.generalisedBelowZoom
                                ? [try service.drawn(sources, unit[0], datum: request.datum).tile]
                                : try service.drawBlock(sources, unit, datum: request.datum)
                        }
                        let fed = try feed?.tiles(unit, draw: draw)
                        let tiles = try fed?.tiles ?? draw(unit)
                        for (offset, (address, tile)) in zip(unit, tiles).enumerated() {
                            var written = 0
                            let taken = fed?.taken[offset] == true
                            var stored: [UInt8]?
                            if !tile.isEmpty {
                                // The fastest level: the file is a few per cent larger than at the default level, written in a
                                // third of the time. A tile taken from memory comes with its gzip bytes when worked out.
                                guard let compressed = fed?.gzip[offset] ?? Gzip.compress(tile, level: Z_BEST_SPEED) else {
                                    throw StoreError.environment("could not gzip tile \(address)")
                                }
                                try writer.insert(address, compressed)
                                written = compressed.count
                                stored = compressed
                            }
                            if let feed, index < hotUnits, let version = fed?.version, !taken {
                                feed.keep(address, tile, gzip: stored, at: version)
                            }
                            let report: (Int, Int)? = state.withLock { state in
                                state.drawn += 1
                                if taken { state.taken += 1 }
                                if written > 0 { state.byZoom[address.z, default: 0] += 1; state.bytes += written }
                                let now = Date()
                                guard now.timeIntervalSince(state.lastReport) >= 1 else { return nil }
                                state.lastReport = now
                                return (address.z, state.drawn)
                            }
                            if let report { progress(report.0, report.1, total) }
                        }
                        if index < hotUnits {
                            state.withLock { state in
                                state.hotUnitsDone += 1
                                if state.hotUnitsDone == hotUnits { state.hotDone = (Date().timeIntervalSince(started), state.drawn) }
                            }
                        }
                    } catch {
                        state.withLock { if $0.error == nil { $0.error = error } }
                        return
                    }
                }
            }
            let outcome = state.withLock { $0 }
            if let error = outcome.error { throw error }
            if stopped.load(ordering: .relaxed) { throw Stopped() }
            var rows = try metadata(store: store, request: request, box: drawnBox)
            let unchanged = try TileFingerprint.current(store) == fingerprintBefore
            if unchanged {
                rows.append((SeededTiles.fingerprintKey, fingerprintBefore))
            } else if request.onlyUnchanged {
                throw StoreChanged()
            }
            try writer.finish(metadata: rows)
            if let handle = FileHandle(forUpdatingAtPath: temporary) {
                try? handle.synchronize()
                try? handle.close()
            }
            guard rename(temporary, request.output) == 0 else {
                throw StoreError.badInput("cannot move the finished tiles to \(request.output): \(String(cString: strerror(errno)))")
            }
            return Outcome(tilesByZoom: outcome.byZoom, tilesDrawn: outcome.drawn, bytes: outcome.bytes, bbox: box,
                           fingerprint: unchanged ? fingerprintBefore : nil, tilesTaken: outcome.taken, hotTiles: hotTiles,
                           hotSeconds: outcome.hotDone?.seconds, hotAfterTiles: outcome.hotDone?.tiles, layersKept: service.keptLayerCount)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Runs `work(worker)` for each of `workers` workers and returns when all have: on the shared pool, or on threads
    /// of their own at the lowest priority (a pool thread's priority cannot be raised again once lowered).
    static func perform(workers: Int, lowestPriority: Bool, _ work: @Sendable (Int) -> Void) {
        guard lowestPriority else {
            DispatchQueue.concurrentPerform(iterations: workers, execute: work)
            return
        }
        // Each thread lets `work` go before it says it is done, so `work` does not outlive the call.
        withoutActuallyEscaping(work) { work in
            let done = DispatchGroup()
            for worker in 0..<workers {
                done.enter()
                let slot = WorkerSlot(work)
                let thread = Thread {
                    ThreadPriority.lowerThisThread(to: ThreadPriority.lowest)
                    slot.run(worker)
                    done.leave()
                }
                thread.name = "communitygrid seeding \(worker + 1)"
                thread.start()
            }
            done.wait()
        }
    }

    /// A worker's closure, held until it has run and let go then: a thread keeps its block until it ends, after it has
    /// said it is done, and `withoutActuallyEscaping` traps when the closure is still held once it returns.
    private final class WorkerSlot: @unchecked Sendable {
        // Read and cleared only by the one thread that runs it.
        private var work: (@Sendable (Int) -> Void)?
        init(_ work: @escaping @Sendable (Int) -> Void) { self.work = work }
        func run(_ worker: Int) {
            work?(worker)
            work = nil
        }
    }

    /// MBTiles 1.3 metadata: the tileset's name, format, bounds, centre, zooms and the `json` row with `vector_layers`
    /// (each layer's fields, as the TileJSON document lists them).
    static func metadata(store: Store, request: Request, box: BoundingBox) throws -> [(String, String)] {
        let service = TileService(store: store, capacityBytes: 0)
        let levels = try service.coverageLevels()
        let figures = try service.areaFigures.latest()
        let areaFields = figures?.tilePropertyNames ?? []
        let layers: [[String: Any]] = request.layers.map { collection in
            var fields: [String: String] = [:]
            func name(_ type: FeatureCollection.ValueType) -> String { type == .string ? "String" : type == .boolean ? "Boolean" : "Number" }
            for property in collection.properties { fields[property.name] = name(property.type) }
            if TileLayerSource(collection: collection).lowZoomWayProperty != nil {
                for field in TileLayerSource.networkWayFields { fields[field.name] = "Number" }
            }
            if TileLayerSource(collection: collection).mergesSmallBuildings {
                for field in TileLayerSource.mergedBuildingFields(levels: levels, requirements: figures?.themes ?? []) {
                    fields[field.name] = field.type == .string ? "String" : field.type == .boolean ? "Boolean" : "Number"
                }
            }
            // Grids and communities carry the latest coverage run's figures for their area, as the TileJSON lists them.
            if TileLayerSource(collection: collection).coverageAreas != nil {
                for name in areaFields where fields[name] == nil { fields[name] = "Number" }
            }
            return ["id": collection.id, "description": collection.description, "minzoom": max(request.minZoom, TileLayerSource(collection: collection).drawnFromZoom), "maxzoom": request.maxZoom, "fields": fields]
        }
        let json = try JSONSerialization.data(withJSONObject: ["vector_layers": layers], options: [.sortedKeys])
        func number(_ value: Double) -> String { String(format: "%.7f", value) }
        let name = URL(fileURLWithPath: request.output).deletingPathExtension().lastPathComponent
        return [
            ("name", name), ("format", "pbf"), ("type", "overlay"), ("version", "1"),
            ("description", "CommunityGrid layers (\(request.layers.map(\.id).joined(separator: ", "))) drawn in \(request.datum == .wgs84 ? "WGS84" : "GCJ-02")"),
            ("attribution", "© OpenStreetMap contributors (ODbL) where the data comes from OpenStreetMap"),
            ("bounds", [box.minLongitude, box.minLatitude, box.maxLongitude, box.maxLatitude].map(number).joined(separator: ",")),
            ("center", "\(number((box.minLongitude + box.maxLongitude) / 2)),\(number((box.minLatitude + box.maxLatitude) / 2)),\(request.minZoom)"),
            ("minzoom", "\(request.minZoom)"), ("maxzoom", "\(request.maxZoom)"),
            ("datum", request.datum.rawValue), ("generator", "communitygrid tiles seed"),
            (SeededTiles.layersKey, request.layers.map(\.id).joined(separator: ",")),
            // The box the tiles were chosen over, to the last digit: which tiles the file answers for.
            (SeededTiles.boxKey, [box.minLongitude, box.minLatitude, box.maxLongitude, box.maxLatitude].map { "\($0)" }.joined(separator: ",")),
            ("json", String(decoding: json, as: UTF8.self)),
        ]
    }
}

/// An MBTiles 1.3 file being written: `metadata (name, value)` and `tiles (zoom_level, tile_column, tile_row,
/// tile_data)` with its unique index; rows flipped to TMS (row 0 in the south). One transaction until `finish`.
final class MBTilesWriter: Sendable {
    private let queue: DatabaseQueue

    init(path: String) throws {
        do {
            var configuration = Configuration()
            // One transaction spans every insert, across accesses.
            configuration.allowsUnsafeTransactions = true
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.inDatabase { db in
                // The file is renamed into place only when complete: no journal needed while it is written.
                try db.execute(sql: "PRAGMA journal_mode = OFF")
                try db.execute(sql: "PRAGMA synchronous = OFF")
                try db.execute(sql: """
                    CREATE TABLE metadata (name TEXT, value TEXT);
                    CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
                    BEGIN;
                    """)
            }
        } catch let error as DatabaseError {
            throw StoreError.badInput("cannot write \(path): \(error.message ?? "\(error.resultCode)")")
        }
    }

    func insert(_ tile: TileAddress, _ data: [UInt8]) throws {
        try queue.inDatabase { db in
            try db.cachedStatement(sql: "INSERT INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?, ?, ?, ?)")
                .execute(arguments: [tile.z, tile.x, (1 << tile.z) - 1 - tile.y, Data(data)])
        }
    }

    func finish(metadata: [(String, String)]) throws {
        try queue.inDatabase { db in
            for (name, value) in metadata {
                try db.execute(sql: "INSERT INTO metadata (name, value) VALUES (?, ?)", arguments: [name, value])
            }
            try db.execute(sql: "CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row); CREATE UNIQUE INDEX name ON metadata (name); COMMIT")
        }
        try queue.close()
    }
}
