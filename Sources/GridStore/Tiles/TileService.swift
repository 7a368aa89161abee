import Foundation
import GRDB
import GridModel
import GridTiles
import Synchronization

/// Vector tiles of the store's layers, kept in memory between requests.
///
/// The cache is exact by the same rule as the feature cache: SQLite's `PRAGMA data_version`, read on a connection
/// of its own that never writes, changes whenever any connection (this server's, an import or a `grids apply` from
/// the command line) commits. A tile is kept only when the version was the same before and after it was read,
/// and a lookup under a new version empties the cache, so no tile outlives the data it was drawn from.
public final class TileService: Sendable {
    public let store: Store
    public let options: TileGeometry.Options
    private let probe: DatabaseQueue?
    private let cache = Mutex(TileCache())
    /// Past this many bytes of cached tiles (bodies and gzip) the least recently used are let go.
    public let capacityBytes: Int
    /// What a server answers each tile with besides its body (its ETag, its gzip bytes), worked out once per tile
    /// and kept with it; nil: tiles are kept as bodies alone.
    public let represents: TileRepresentation?
    private let counters = Mutex((hits: 0, misses: 0))
    /// The buildings' points for the cells of small buildings, one per datum, read again when the key changes.
    private let cellIndexes = Mutex([TileDatum: BuildingCellIndex]())
    private let cellIndexBuild = Mutex(())

    /// Seeding draws every tile of a range: one read of the whole index serves them all.
    let prefersWholeIndex: Bool
    /// A server reads the WGS84 index again in the background when a high-zoom tile finds it out of date.
    let rebuildsIndexInBackground: Bool
    private let indexWarming = Mutex(false)
    /// The latest coverage run's figures per grid and community, which their tiles carry.
    public let areaFigures: CoverageAreaFiguresCache
    /// Tiles seeded to a file, answered from it while the store's fingerprint is the file's; replaced by `useSeeded`
    /// (a server that seeds its file again in the background), with the data version the file was last checked at and
    /// whether it held then.
    private let seededState: Mutex<(file: SeededTiles?, check: (version: Int64, valid: Bool)?)>
    private let seededCounts = Mutex(0)
    /// The keys of the tiles in use before the data version last moved, most recently used first (at most
    /// `hotKeysKept`): a seeding draws those first.
    private let hotKeys = Mutex<[String]>([])

    /// The bodies of the tiles kept at the data before the last change that left tiles, and the fingerprint they were
    /// drawn at: a tile drawn now takes its layers with `ownVersionLayer` from them (or from the seeded file) while that
    /// layer's stamp is the same (`keptLayers`). Let go once they and the tiles kept since pass `capacityBytes`.
    private let earlier = Mutex<EarlierTiles?>(nil)
    struct EarlierTiles {
        var bodies: [String: [UInt8]]
        var fingerprint: String
        var bytes: Int
    }
    private let keptLayerCounts = Mutex(0)
    /// `TileFingerprint.layerStamp` of the fingerprints last asked about.
    private let layerStamps = Mutex([String: String?]())

    /// Keys remembered across a change of the data: about 100 bytes each, a few megabytes at most.
    public static let hotKeysKept = 32_768

    /// Rows read in place (`TileReader.layer`'s `readsInPlace`); false: the reference reading the tests compare with.
    let readsRowsInPlace: Bool

    public init(store: Store, options: TileGeometry.Options = TileGeometry.Options(), capacityBytes: Int = 256 << 20,
                prefersWholeIndex: Bool = false, rebuildsIndexInBackground: Bool = false,
                areaFigures: CoverageAreaFiguresCache? = nil, seeded: SeededTiles? = nil, represents: TileRepresentation? = nil,
                readsRowsInPlace: Bool = true) {
        self.store = store
        self.readsRowsInPlace = readsRowsInPlace
        self.represents = represents
        seededState = Mutex((seeded, nil))
        self.prefersWholeIndex = prefersWholeIndex
        self.rebuildsIndexInBackground = rebuildsIndexInBackground
        self.areaFigures = areaFigures ?? CoverageAreaFiguresCache(store: store)
        self.options = options
        self.capacityBytes = capacityBytes
        var configuration = Configuration()
        configuration.readonly = true
        // Without the probe every tile is drawn afresh: slower, as exact.
        probe = try? DatabaseQueue(path: store.path, configuration: configuration)
    }

    /// A server's tile cache by default: an eighth of the machine's memory, at least 256 MB and at most 4 GB. The
    /// tiles of zooms 14–16 a client pans over on a city of a million buildings, with their gzip bytes, take about a
    /// gigabyte; a cache smaller than the tiles a sequence of requests returns to misses every time.
    public static func defaultCapacityBytes(physicalMemory: UInt64 = ProcessInfo.processInfo.physicalMemory) -> Int {
        let eighth = Int(clamping: physicalMemory / 8)
        return min(max(eighth, minimumDefaultCapacityBytes), maximumDefaultCapacityBytes)
    }

    public static let minimumDefaultCapacityBytes = 256 << 20
    public static let maximumDefaultCapacityBytes = 4 << 30

    /// Tiles answered from the cache and drawn, since the service started.
    public var cacheCounts: (hits: Int, misses: Int) { counters.withLock { $0 } }
    /// Of the misses, tiles read from the seeded file rather than drawn.
    public var seededCount: Int { seededCounts.withLock { $0 } }
    /// Layers of drawn tiles taken as they were from a tile drawn at an earlier version, not drawn again.
    public var keptLayerCount: Int { keptLayerCounts.withLock { $0 } }

    /// The seeded file tiles are answered from while it holds, if any.
    public var seeded: SeededTiles? { seededState.withLock { $0.file } }

    /// Answers tiles from `file` from now on (nil: from none), under the same check as the one before: only while the
    /// store's fingerprint is the file's.
    public func useSeeded(_ file: SeededTiles?) {
        seededState.withLock { $0 = (file, nil) }
    }

    /// Whether the seeded file holds now: its fingerprint is the store's at the current data version.
    public func seededIsCurrent() -> Bool {
        guard let seeded, let version = dataVersion() else { return false }
        return seededHolds(seeded, at: version)
    }

    /// Whether `seeded` is the store at data version `version`: its fingerprint read in a transaction that began and
    /// ended at that version. Checked once per version and file.
    func seededHolds(_ seeded: SeededTiles, at version: Int64) -> Bool {
        let kept = seededState.withLock { $0.file === seeded ? $0.check : nil }
        if let kept, kept.version == version { return kept.valid }
        guard let fingerprint = try? TileFingerprint.current(store), dataVersion() == version else { return false }
        let valid = fingerprint == seeded.fingerprint
        seededState.withLock { if $0.file === seeded { $0.check = (version, valid) } }
        return valid
    }

    func dataVersion() -> Int64? {
        // Outside a transaction: the pragma needs none, and every request asks it.
        try? probe?.inDatabase { try Int64.fetchOne($0.cachedStatement(sql: "PRAGMA data_version")) ?? 0 }
    }

    /// The tile with one layer per source (empty layers left out; a tile with no features is zero bytes).
    public func tile(_ sources: [TileLayerSource], _ address: TileAddress, datum: TileDatum = .wgs84) throws -> [UInt8] {
        try servedTile(sources, address, datum: datum).body
    }

    /// The tile with what `represents` works out for it, from memory when it was kept at the current data version;
    /// with its gzip bytes when `wantsGzip` (worked out once, then kept with it).
    public func servedTile(_ sources: [TileLayerSource], _ address: TileAddress, datum: TileDatum = .wgs84,
                           wantsGzip: Bool = false) throws -> ServedTile {
        let key = Self.cacheKey(sources, address, datum: datum)
        let before = dataVersion()
        if let before {
            if let hit = cacheFollowing(version: before, { $0.use(key) }) {
                counters.withLock { $0.hits += 1 }
                guard wantsGzip, !hit.gzipWorkedOut, let represents else { return hit }
                let served = represents.served(hit.body, gzip: nil)
                keep(key, served, at: before, fingerprint: nil)
                return served
            }
        }
        counters.withLock { $0.misses += 1 }
        let bytes: [UInt8]
        var storedGzip: [UInt8]?
        let fingerprint: String?
        if let before, let seeded, seeded.covers(sources.map(\.name), address, datum: datum), seededHolds(seeded, at: before) {
            (bytes, storedGzip) = try seeded.tileAndGzip(address)
            fingerprint = seeded.fingerprint
            seededCounts.withLock { $0 += 1 }
        } else {
            (bytes, fingerprint) = try drawn(sources, address, datum: datum)
        }
        let served = represented(bytes, storedGzip: storedGzip, wantsGzip: wantsGzip)
        if let before, dataVersion() == before { keep(key, served, at: before, fingerprint: fingerprint) }
        return served
    }

    /// The key a tile is kept under: its layers, address and datum.
    public static func cacheKey(_ sources: [TileLayerSource], _ address: TileAddress, datum: TileDatum) -> String {
        "\(sources.map(\.name).joined(separator: ","))/\(address)/\(datum.rawValue)"
    }

    /// The tile as answered: with its ETag, and its gzip bytes when given (a seeded tile's, one gzip member of exactly
    /// the tile) or when `wantsGzip`.
    private func represented(_ bytes: [UInt8], storedGzip: [UInt8]?, wantsGzip: Bool) -> ServedTile {
        guard let represents else { return ServedTile(body: bytes, etag: nil, gzip: nil, gzipWorkedOut: false) }
        if let storedGzip, represents.compresses(bytes.count) { return represents.served(bytes, gzip: storedGzip) }
        if wantsGzip { return represents.served(bytes, gzip: nil) }
        return ServedTile(body: bytes, etag: represents.etag(bytes), gzip: nil, gzipWorkedOut: false)
    }

    /// Notes the keys of `left` (the tiles of the version just left), most recent first, ahead of those noted before.
    private func remember(_ left: TileCache) {
        let recent = left.recentKeys(limit: Self.hotKeysKept)
        guard !recent.isEmpty else { return }
        hotKeys.withLock { kept in
            guard recent.count < Self.hotKeysKept, !kept.isEmpty else { kept = recent; return }
            var seen = Set(recent)
            var merged = recent
            for key in kept where merged.count < Self.hotKeysKept && seen.insert(key).inserted { merged.append(key) }
            kept = merged
        }
    }

    /// The keys of the tiles in use before the data last changed, most recently used first.
    public var recentlyUsedKeys: [String] { hotKeys.withLock { $0 } }

    /// A seeding's link to the memory cache: which of its tiles were in use before the data changed, the tiles already
    /// kept at the data it draws, and a place for the tiles it draws.
    public func seedingFeed(_ sources: [TileLayerSource], datum: TileDatum) -> SeedingFeed {
        // The data may have changed with no request since: the tiles in use before are noted now.
        followDataVersion()
        return SeedingFeed(service: self, sources: sources, datum: datum)
    }

    /// Empties the cache when the data version moved since it was filled, noting its tiles' keys, as a request would.
    private func followDataVersion() {
        guard let version = dataVersion() else { return }
        cacheFollowing(version: version) { _ in }
    }

    /// `body` on the cache at data `version`: a cache filled at another version is emptied first, and its tiles' keys
    /// are noted as the tiles in use before the change (outside the lock: requests at the new version go on meanwhile).
    @discardableResult
    private func cacheFollowing<Result: Sendable>(version: Int64, _ body: (inout TileCache) -> Result) -> Result {
        let (result, left): (Result, TileCache?) = cache.withLock { state in
            var left: TileCache?
            if state.version != version {
                left = state
                state = TileCache(version: version)
            }
            return (body(&state), left)
        }
        if let left {
            remember(left)
            keepEarlier(left)
        }
        return result
    }

    /// Keeps the bodies of `left` (the tiles of the version just left) for their layers that do not change with it,
    /// when it holds tiles and knows its fingerprint; else those kept before stay.
    private func keepEarlier(_ left: TileCache) {
        guard let fingerprint = left.fingerprint, !left.tiles.isEmpty else { return }
        var bodies: [String: [UInt8]] = [:]
        bodies.reserveCapacity(left.tiles.count)
        var bytes = 0
        for (key, kept) in left.tiles {
            bodies[key] = kept.tile.body
            bytes += kept.tile.body.count + key.utf8.count
        }
        earlier.withLock { $0 = EarlierTiles(bodies: bodies, fingerprint: fingerprint, bytes: bytes) }
    }

    /// What a seeding (`TileSeeder.seed`) shares with the server's memory cache. A tile is taken from the cache or kept
    /// in it only under the data version it was drawn at, and only while that is the cache's version: the cache's own rule.
    public struct SeedingFeed: Sendable {
        let service: TileService
        let sources: [TileLayerSource]
        let datum: TileDatum
        /// Rank of each tile in use before the data changed (0: the most recently used).
        let hotRanks: [String: Int]

        init(service: TileService, sources: [TileLayerSource], datum: TileDatum) {
            self.service = service
            self.sources = sources
            self.datum = datum
            var ranks: [String: Int] = [:]
            for (rank, key) in service.recentlyUsedKeys.enumerated() where ranks[key] == nil { ranks[key] = rank }
            hotRanks = ranks
        }

        /// Where the tile stood among those in use before the data changed (0: the most recent); nil when not in use.
        public func rank(_ address: TileAddress) -> Int? {
            hotRanks.isEmpty ? nil : hotRanks[TileService.cacheKey(sources, address, datum: datum)]
        }

        /// Tiles of one unit of seeding, all from the data of one version when `version` is set.
        public struct Unit {
            public var tiles: [[UInt8]]
            /// The kept gzip bytes of tiles taken from the cache, when worked out.
            public var gzip: [[UInt8]?]
            /// Which tiles were taken from the cache (drawn on demand), not drawn here.
            public var taken: [Bool]
            /// The data version the tiles were drawn at: nil when it moved meanwhile (nothing is kept then).
            public var version: Int64?
        }

        /// The unit's tiles: those kept at the current data version taken from memory, the others drawn by `draw`
        /// (given only the missing ones, in order).
        public func tiles(_ unit: [TileAddress], draw: ([TileAddress]) throws -> [[UInt8]]) throws -> Unit {
            let before = service.dataVersion()
            let keys = unit.map { TileService.cacheKey(sources, $0, datum: datum) }
            var kept = [ServedTile?](repeating: nil, count: unit.count)
            if let before, let found = service.cache.withLock({ state -> [ServedTile?]? in
                state.version == before ? keys.map { state.peek($0) } : nil
            }) {
                kept = found
            }
            let missing = unit.indices.filter { kept[$0] == nil }
            let drawn = missing.isEmpty ? [] : try draw(missing.map { unit[$0] })
            var tiles = kept.map { $0?.body ?? [] }
            for (offset, index) in missing.enumerated() { tiles[index] = drawn[offset] }
            let after = service.dataVersion()
            return Unit(tiles: tiles, gzip: kept.map { $0?.gzipWorkedOut == true ? $0?.gzip : nil },
                        taken: kept.map { $0 != nil }, version: before != nil && before == after ? before : nil)
        }

        /// Keeps a tile drawn at `version` (with the gzip bytes the file holds) as an answer from memory would have it,
        /// only while that is the cache's version. A seeding keeps only the tiles in use before the change: every tile of
        /// a city is gigabytes, and the file answers the others once done.
        public func keep(_ address: TileAddress, _ tile: [UInt8], gzip: [UInt8]?, at version: Int64) {
            let served = service.represented(tile, storedGzip: gzip, wantsGzip: true)
            service.keep(TileService.cacheKey(sources, address, datum: datum), served, at: version, fingerprint: nil)
        }
    }

    /// Keeps the tile drawn at `version` while that is the cache's version, with the fingerprint its transaction read
    /// (the cache's, from the first tile that gives one); the earlier tiles are let go once they and the cache pass
    /// the capacity.
    private func keep(_ key: String, _ served: ServedTile, at version: Int64, fingerprint: String?) {
        let cached = cache.withLock { state -> Int? in
            guard state.version == version else { return nil }
            if state.fingerprint == nil { state.fingerprint = fingerprint }
            state.insert(key, served, capacityBytes: capacityBytes)
            return state.bytes
        }
        guard let cached else { return }
        earlier.withLock { kept in
            if let bytes = kept?.bytes, bytes + cached > capacityBytes { kept = nil }
        }
    }

    /// The tile drawn from the store, never from the cache: what `tile` answers on a miss, and what seeding writes.
    /// Every layer is drawn: the reference the tiles answered with are compared with.
    public func draw(_ sources: [TileLayerSource], _ address: TileAddress, datum: TileDatum = .wgs84) throws -> [UInt8] {
        try drawn(sources, address, datum: datum, keepingLayers: false).tile
    }

    /// The tile drawn from the store, with its layers that have `ownVersionLayer` taken from an earlier tile or the
    /// seeded file where that layer's stamp is the same (`keptLayers`), and the fingerprint its transaction read (nil
    /// when no layer has `ownVersionLayer`, or when `keepingLayers` is false).
    func drawn(_ sources: [TileLayerSource], _ address: TileAddress, datum: TileDatum = .wgs84,
               keepingLayers: Bool = true) throws -> (tile: [UInt8], fingerprint: String?) {
        let options = options
        let figures = sources.contains { $0.coverageAreas != nil } ? try areaFigures.latest() : nil
        return try store.read { db in
            let fingerprint = keepingLayers && sources.contains { $0.ownVersionLayer != nil } ? try TileFingerprint.read(db) : nil
            let kept = try keptLayers(sources, [address], datum: datum, fingerprint: fingerprint)[0]
            let cells = sources.contains(where: \.mergesSmallBuildings) ? try cellIndex(db, datum: datum, for: address) : nil
            let tile = VectorTileLayers.encode(try sources.indices.map { offset in
                if let field = kept[offset] { return .kept(field) }
                return .drawn(try TileReader.layer(sources[offset], address, datum: datum, options: options, cells: cells, areaFigures: figures,
                                                   readsInPlace: readsRowsInPlace, db))
            })
            return (tile, fingerprint)
        }
    }

    /// For each address, the fields of its layers with `ownVersionLayer` (by offset in `sources`; an empty field: the
    /// layer had no features) taken as they are from a tile drawn before: the earlier tile of the same key, else the
    /// seeded file's, each only for the layers whose `TileFingerprint.layerStamp` in the donor's fingerprint is the
    /// one in `fingerprint` (the drawing transaction's). None without a fingerprint.
    private func keptLayers(_ sources: [TileLayerSource], _ addresses: [TileAddress], datum: TileDatum,
                            fingerprint: String?) throws -> [[Int: ArraySlice<UInt8>]] {
        let none = [[Int: ArraySlice<UInt8>]](repeating: [:], count: addresses.count)
        guard let fingerprint else { return none }
        let wanted = sources.indices.compactMap { offset -> (offset: Int, layer: String, stamp: String)? in
            guard let layer = sources[offset].ownVersionLayer, let stamp = layerStamp(fingerprint, layer) else { return nil }
            return (offset, layer, stamp)
        }
        guard !wanted.isEmpty else { return none }
        let earlier = self.earlier.withLock { $0 }
        let fromEarlier = earlier.map { tiles in wanted.filter { layerStamp(tiles.fingerprint, $0.layer) == $0.stamp } } ?? []
        let seeded = self.seeded
        let fromSeeded = seeded.map { file in wanted.filter { layerStamp(file.fingerprint, $0.layer) == $0.stamp } } ?? []
        guard !fromEarlier.isEmpty || !fromSeeded.isEmpty else { return none }
        let names = sources.map(\.name)
        var count = 0
        let kept = addresses.map { address -> [Int: ArraySlice<UInt8>] in
            var kept: [Int: ArraySlice<UInt8>] = [:]
            if !fromEarlier.isEmpty, let body = earlier?.bodies[Self.cacheKey(sources, address, datum: datum)],
               let layers = VectorTileLayers.split(body) {
                for layer in fromEarlier { kept[layer.offset] = layers[sources[layer.offset].name] ?? [] }
            }
            let missing = fromSeeded.filter { kept[$0.offset] == nil }
            // A file that cannot be read is not a donor: the layer is drawn.
            if !missing.isEmpty, let seeded, seeded.covers(names, address, datum: datum),
               let layers = (try? seeded.tile(address)).flatMap(VectorTileLayers.split) {
                for layer in missing { kept[layer.offset] = layers[sources[layer.offset].name] ?? [] }
            }
            count += kept.count
            return kept
        }
        if count > 0 { keptLayerCounts.withLock { $0 += count } }
        return kept
    }

    private func layerStamp(_ fingerprint: String, _ layer: String) -> String? {
        let key = layer + "\n" + fingerprint
        if let known = layerStamps.withLock({ $0[key] }) { return known }
        let stamp = TileFingerprint.layerStamp(fingerprint, layer: layer)
        layerStamps.withLock { stamps in
            if stamps.count >= 64 { stamps.removeAll() }
            stamps[key] = stamp
        }
        return stamp
    }

    /// Tiles drawn together from one read of each layer's features over their boxes (see `TileFeatureBlock`), each
    /// the tile `draw` gives byte for byte; tiles below `TileLayerSource.generalisedBelowZoom` are drawn by their own
    /// queries. Give tiles that lie close together (a tile and its descendants a few zooms down): the block is the
    /// union of their boxes.
    public func drawBlock(_ sources: [TileLayerSource], _ addresses: [TileAddress], datum: TileDatum = .wgs84) throws -> [[UInt8]] {
        let options = options
        let figures = sources.contains { $0.coverageAreas != nil } ? try areaFigures.latest() : nil
        return try store.read { db in
            let fingerprint = sources.contains { $0.ownVersionLayer != nil } ? try TileFingerprint.read(db) : nil
            let kept = try keptLayers(sources, addresses, datum: datum, fingerprint: fingerprint)
            let queries = try sources.map { try TileReader.LayerQuery($0, db) }
            let blocked = addresses.filter { address in sources.contains { TileReader.drawsFromBlock($0, address) } }
            var blocks: [TileFeatureBlock?] = sources.map { _ in nil }
            if var box = blocked.first.map({ TileReader.queryBox($0, datum: datum, options: options) }) {
                for address in blocked.dropFirst() {
                    let next = TileReader.queryBox(address, datum: datum, options: options)
                    box.include(Coordinate(longitude: next.minLongitude, latitude: next.minLatitude))
                    box.include(Coordinate(longitude: next.maxLongitude, latitude: next.maxLatitude))
                }
                // A layer every tile of the block keeps is not read.
                for (offset, source) in sources.enumerated() where !kept.allSatisfy({ $0[offset] != nil }) {
                    blocks[offset] = try TileFeatureBlock(source, box: box, datum: datum, query: queries[offset], db)
                }
            }
            let merges = sources.contains(where: \.mergesSmallBuildings)
            // The whole index, when it is the one every tile takes, is looked up once.
            let shared = merges && prefersWholeIndex ? try cellIndex(db, datum: datum) : nil
            return try addresses.indices.map { index in
                let address = addresses[index]
                let cells = merges ? try shared ?? cellIndex(db, datum: datum, for: address) : nil
                return VectorTileLayers.encode(try sources.indices.map { offset in
                    if let field = kept[index][offset] { return .kept(field) }
                    return .drawn(try TileReader.layer(sources[offset], address, datum: datum, options: options, cells: cells, areaFigures: figures,
                                                       block: blocks[offset], query: queries[offset], readsInPlace: readsRowsInPlace, db))
                })
            }
        }
    }

    /// From this zoom on a tile reads its own buildings' points through their R-tree (a few thousand at most) rather
    /// than waiting for the whole index: a tile at street level never waits for a million rows after a change.
    public static let ownPointsFromZoom = 14

    /// The buildings' points a tile merges: its own read at high zoom, else the whole index. Both hold the tile's
    /// buildings in the same order, so the tile is the same byte for byte either way.
    func cellIndex(_ db: Database, datum: TileDatum, for tile: TileAddress) throws -> BuildingCellIndex {
        if tile.z >= Self.ownPointsFromZoom, !prefersWholeIndex {
            let key = try BuildingCellIndex.key(db, datum: datum)
            if let kept = cellIndexes.withLock({ $0[datum] }), kept.key == key { return kept }
            let startsWarming = rebuildsIndexInBackground && datum == .wgs84 && indexWarming.withLock { warming in
                defer { warming = true }
                return !warming
            }
            if startsWarming {
                // The low zooms will need the new index: read it off the request path.
                DispatchQueue.global(qos: .utility).async { [self] in
                    try? warm()
                    indexWarming.withLock { $0 = false }
                }
            }
            return try BuildingCellIndex(db, key: key, only: tile)
        }
        return try cellIndex(db, datum: datum)
    }

    /// The index of the buildings' points as of this transaction: the kept one when its key still holds.
    func cellIndex(_ db: Database, datum: TileDatum) throws -> BuildingCellIndex {
        let key = try BuildingCellIndex.key(db, datum: datum)
        if let kept = cellIndexes.withLock({ $0[datum] }), kept.key == key { return kept }
        // One build at a time: concurrent tiles (seeding's workers, a burst of requests) wait for it, while tiles
        // reading their own points go on.
        return try cellIndexBuild.withLock { _ in
            if let kept = cellIndexes.withLock({ $0[datum] }), kept.key == key { return kept }
            let index = try BuildingCellIndex(db, key: key)
            cellIndexes.withLock { $0[datum] = index }
            return index
        }
    }

    /// Reads the buildings' point index ahead of the first tile (a server calls it at start, off the request path).
    public func warm(datum: TileDatum = .wgs84) throws {
        _ = try store.read { db in try cellIndex(db, datum: datum) }
    }

    /// Reads the index as `warm` does but without holding back a tile: one that needs the index meanwhile reads it
    /// itself rather than wait for this read (a server reads it at start at the lowest priority). Kept only when no
    /// index was kept meanwhile.
    public func warmAside(datum: TileDatum = .wgs84) throws {
        try store.read { db in
            let key = try BuildingCellIndex.key(db, datum: datum)
            guard cellIndexes.withLock({ $0[datum] }) == nil else { return }
            let index = try BuildingCellIndex(db, key: key)
            cellIndexes.withLock { kept in if kept[datum] == nil { kept[datum] = index } }
        }
    }

    /// The levels (minutes, as `levels_met` writes them) of the latest coverage run's profile; empty without a run.
    public func coverageLevels() throws -> [String] {
        try store.read { db in try LatestCoverageRun.read(db)?.allLevels.split(separator: ",").map(String.init) } ?? []
    }

    /// The box of a layer's features in WGS84, nil when the layer is empty.
    public func extent(_ source: TileLayerSource) throws -> BoundingBox? {
        try store.read { try TileReader.extent(source, $0) }
    }
}
