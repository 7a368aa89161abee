/// A tile's body with what a server answers it with: its ETag (the hash text, without quotes), its gzip bytes
/// (nil when not worked out yet, or not sent compressed) and their own ETag. Kept together so an answer from memory
/// hashes and compresses nothing.
public struct ServedTile: Sendable {
    public let body: [UInt8]
    public let etag: String?
    public let gzip: [UInt8]?
    /// Whether `gzip` is final: worked out (nil then means the tile goes out as it is) or the seeded file's.
    public let gzipWorkedOut: Bool
    /// The ETag of the gzip bytes (without quotes), from those bytes: a seeded file's gzip bytes and a drawing
    /// server's of the same tile differ, and so do their tags.
    public let gzipETag: String?

    public init(body: [UInt8], etag: String?, gzip: [UInt8]?, gzipWorkedOut: Bool, gzipETag: String? = nil) {
        self.body = body
        self.etag = etag
        self.gzip = gzip
        self.gzipWorkedOut = gzipWorkedOut
        self.gzipETag = gzipETag
    }

    /// Bytes held in memory.
    var size: Int { body.count + (gzip?.count ?? 0) + (etag?.utf8.count ?? 0) + (gzipETag?.utf8.count ?? 0) }
}

/// How a server answers tiles: their ETag, and their gzip bytes (nil: sent as they are, e.g. too small to gain).
/// The gzip bytes are worked out the first time a client that takes gzip asks, so clients that do not never pay.
public struct TileRepresentation: Sendable {
    public let etag: @Sendable ([UInt8]) -> String
    public let gzip: @Sendable ([UInt8]) -> [UInt8]?
    /// Whether a body of this size is ever sent compressed (a seeded file's gzip bytes are kept only then).
    public let compresses: @Sendable (Int) -> Bool
    /// The ETag of gzip bytes, worked out from them.
    public let gzipETag: @Sendable ([UInt8]) -> String

    public init(etag: @escaping @Sendable ([UInt8]) -> String, gzip: @escaping @Sendable ([UInt8]) -> [UInt8]?,
                compresses: @escaping @Sendable (Int) -> Bool, gzipETag: @escaping @Sendable ([UInt8]) -> String) {
        self.etag = etag
        self.gzip = gzip
        self.compresses = compresses
        self.gzipETag = gzipETag
    }

    /// The tile with its ETag and its gzip bytes (`gzip`, nil: compressed here when `compresses`) and their tag.
    func served(_ body: [UInt8], gzip: [UInt8]?) -> ServedTile {
        let gzip = gzip ?? self.gzip(body)
        return ServedTile(body: body, etag: etag(body), gzip: gzip, gzipWorkedOut: true, gzipETag: gzip.map(gzipETag))
    }
}

/// The tiles kept at one data version, bounded in bytes: past the bound the least recently used go first.
struct TileCache {
    var version: Int64 = -1
    /// The `TileFingerprint` of the data at `version`, once a tile's transaction has read it (what an earlier tile's
    /// layers are matched against after the data changes).
    var fingerprint: String?
    private(set) var tiles: [String: (tile: ServedTile, used: UInt64)] = [:]
    private(set) var bytes = 0
    private var clock: UInt64 = 0
    /// Every use in order, oldest first; a use is current while its key's `used` is still its stamp, else skipped.
    private var uses: [(key: String, used: UInt64)] = []
    private var oldest = 0

    init(version: Int64 = -1) { self.version = version }

    /// The kept tile, now the most recently used.
    mutating func use(_ key: String) -> ServedTile? {
        guard let kept = tiles[key] else { return nil }
        clock += 1
        tiles[key] = (kept.tile, clock)
        uses.append((key, clock))
        compactIfLong()
        return kept.tile
    }

    /// The kept tile, without making it used (a seeding looking for the tiles drawn on demand).
    func peek(_ key: String) -> ServedTile? { tiles[key]?.tile }

    /// The kept tiles' keys, most recently used first, at most `limit`: a key's stamp is its last use, so
    /// walking the log backwards meets each key once, at the stamp it still holds.
    func recentKeys(limit: Int) -> [String] {
        var keys: [String] = []
        keys.reserveCapacity(min(limit, tiles.count))
        var index = uses.count - 1
        while index >= oldest, keys.count < limit {
            let use = uses[index]
            if tiles[use.key]?.used == use.used { keys.append(use.key) }
            index -= 1
        }
        return keys
    }

    /// Keeps the tile, letting the least recently used go while the total exceeds the capacity (the tile itself
    /// too when it alone does).
    mutating func insert(_ key: String, _ tile: ServedTile, capacityBytes: Int) {
        if let kept = tiles[key] { bytes -= kept.tile.size }
        clock += 1
        tiles[key] = (tile, clock)
        uses.append((key, clock))
        bytes += tile.size
        while bytes > capacityBytes, oldest < uses.count {
            let use = uses[oldest]
            oldest += 1
            if let kept = tiles[use.key], kept.used == use.used {
                tiles[use.key] = nil
                bytes -= kept.tile.size
            }
        }
        compactIfLong()
    }

    /// The log of uses is rebuilt from the kept tiles once it holds more than twice as many entries (plus slack), so
    /// it stays proportional to the cache and each use costs a constant amount on average.
    private mutating func compactIfLong() {
        guard uses.count - oldest > 2 * tiles.count + 1024 || oldest > 4096 && oldest > uses.count / 2 else { return }
        uses = tiles.map { (key: $0.key, used: $0.value.used) }.sorted { $0.used < $1.used }
        oldest = 0
    }
}
