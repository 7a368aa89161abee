import GRDB
import GridModel
import Synchronization

/// One feature encoded as GeoJSON, with the instant (Unix seconds) from which its encoding may differ although
/// no data changed: a case's light and overdue flag move with the clock. Other features hold until a commit.
struct EncodedFeature: Sendable {
    var bytes: [UInt8]
    var validUntil: Int64 = .max
}

/// Encoded GeoJSON features of the default representation (CRS84, every property), kept between requests.
///
/// Exactness comes from SQLite's `PRAGMA data_version` on a connection of its own that never writes: its value
/// changes whenever any connection, in this process or another (an import, a run applied from the command line),
/// commits. A reader takes the version before and after its read transaction; entries are used and stored only
/// when both agree, so no answer mixes data from two versions, and a change empties the cache.
final class FeatureCache: Sendable {
    /// A collection's extent, nil when it is empty.
    struct Extent: Sendable { var box: BoundingBox? }
    private let probe: DatabaseQueue
    private struct State {
        var version: Int64 = -1
        var features: [String: [Int64: EncodedFeature]] = [:]
        var extents: [String: Extent] = [:]
        var bytes = 0
    }
    private let state = Mutex(State())
    /// Past this many bytes of cached features the cache starts again empty (simple and bounded).
    let capacityBytes: Int

    init(path: String, capacityBytes: Int = 256 << 20) throws {
        var configuration = Configuration()
        configuration.readonly = true
        probe = try DatabaseQueue(path: path, configuration: configuration)
        self.capacityBytes = capacityBytes
    }

    func version() throws -> Int64 {
        try probe.read { try Int64.fetchOne($0, sql: "PRAGMA data_version") ?? 0 }
    }

    /// The cached features among `ids` for this data version still valid at `now` (empty after a change, which
    /// also clears the cache).
    func lookup(_ collection: String, _ ids: [Int64], version: Int64, now: Int64) -> [Int64: [UInt8]] {
        state.withLock { state in
            if state.version != version {
                state = State(version: version)
                return [:]
            }
            guard let table = state.features[collection] else { return [:] }
            var found: [Int64: [UInt8]] = [:]
            for id in ids { if let entry = table[id], now < entry.validUntil { found[id] = entry.bytes } }
            return found
        }
    }

    /// The collection's extent at this data version, when known (`.some(nil)`: known to be empty).
    func extent(_ collection: String, version: Int64) -> BoundingBox?? {
        state.withLock { state in
            guard state.version == version, let known = state.extents[collection] else { return nil }
            return .some(known.box)
        }
    }

    func storeExtent(_ collection: String, _ box: BoundingBox?, version: Int64) {
        state.withLock { state in
            // The probe's versions only grow: an older one is a read that raced a commit.
            if state.version < version { state = State(version: version) }
            guard state.version == version else { return }
            state.extents[collection] = Extent(box: box)
        }
    }

    func store(_ collection: String, _ features: [Int64: EncodedFeature], version: Int64) {
        guard !features.isEmpty else { return }
        state.withLock { state in
            guard state.version == version else { return }
            let added = features.values.reduce(0) { $0 + $1.bytes.count }
            if state.bytes + added > capacityBytes { state = State(version: version) }
            state.features[collection, default: [:]].merge(features) { _, new in new }
            state.bytes += added
        }
    }
}
