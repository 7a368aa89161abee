import CReadOSM
import Foundation
import GRDB
import GridModel
import GridTiles
import Synchronization

/// What a tile depends on besides the code that draws it: the latest coverage run (its id and time: ids of deleted
/// runs come back), the layers' versions (raised by triggers on every change, and after bulk loads) and the basis of the
/// buildings' current places. Two transactions with the same fingerprint draw the same tiles.
public enum TileFingerprint {
    /// Raised whenever a change to the drawing code changes what a tile holds, so files seeded before are not served.
    public static let drawingRevision = 4

    public static func read(_ db: Database) throws -> String {
        // Read with drawn tiles too: through statements kept with the connection.
        let run = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, created_at FROM coverage_runs ORDER BY id DESC LIMIT 1"))
        let places = try String.fetchOne(db.cachedStatement(sql: "SELECT basis FROM building_places_basis WHERE id = 1"))
        let runText = run.map { "\($0[0] as Int64)@\(($0[1] as String?) ?? "")" } ?? "none"
        return "drawing \(drawingRevision); run \(runText); versions \(try DataVersions.read(db).text); places \(places ?? "none")"
    }

    public static func current(_ store: Store) throws -> String { try store.read(read) }

    /// What tiles of a layer with `ownVersionLayer` depend on within `fingerprint`: the drawing revision and that
    /// layer's version (`drawing 3; network 12`). nil when the fingerprint does not record them.
    public static func layerStamp(_ fingerprint: String, layer: String) -> String? {
        let parts = fingerprint.components(separatedBy: "; ")
        guard let drawing = parts.first, drawing.hasPrefix("drawing "),
              let versionsPart = parts.first(where: { $0.hasPrefix("versions ") }),
              let versions = DataVersions.decode(String(versionsPart.dropFirst("versions ".count))),
              let version = versions.byLayer.first(where: { $0.0 == layer })?.1
        else { return nil }
        return "\(drawing); \(layer) \(version)"
    }
}

/// Tiles written by `tiles seed`, served in place of drawing while the store is as it was seeded.
///
/// The file records the store's `TileFingerprint` of when it was seeded, its layers, datum, zooms and the exact box it
/// covers (`seeded_box`). A tile of those layers, datum and zooms over that box is the file's (empty when the file has
/// none: seeding leaves out only empty tiles) as long as the store's fingerprint is the recorded one; `TileService`
/// checks that again whenever SQLite's data version moves, so the file stops being used the moment the data changes.
public final class SeededTiles: Sendable {
    public let path: String
    public let fingerprint: String
    public let layers: [String]
    public let datum: TileDatum
    public let zooms: ClosedRange<Int>
    public let box: BoundingBox
    /// Connections of their own, taken in turn, so concurrent requests do not queue behind one.
    private let queues: [DatabaseQueue]
    private let nextQueue = Atomic<Int>(0)

    /// Metadata rows the server needs; files without them (written before, or by other tools) are refused.
    static let fingerprintKey = "store_fingerprint", layersKey = "layers", boxKey = "seeded_box"

    public init(path: String) throws {
        self.path = path
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queues = try (0..<4).map { _ in try DatabaseQueue(path: path, configuration: configuration) }
            self.queues = queues
            let metadata = try queues[0].read { db in
                try Dictionary(Row.fetchAll(db, sql: "SELECT name, value FROM metadata").compactMap { row -> (String, String)? in
                    guard let name = row[0] as String?, let value = row[1] as String? else { return nil }
                    return (name, value)
                }, uniquingKeysWith: { first, _ in first })
            }
            guard let fingerprint = metadata[Self.fingerprintKey] else {
                throw StoreError.badInput("\(path) records no store fingerprint: seed it again with `tiles seed` (the store changed while it was seeded, or an older version wrote it)")
            }
            guard let layers = metadata[Self.layersKey]?.split(separator: ",").map(String.init), !layers.isEmpty,
                  let datum = metadata["datum"].flatMap(TileDatum.init(rawValue:)),
                  let minZoom = metadata["minzoom"].flatMap({ Int($0) }), let maxZoom = metadata["maxzoom"].flatMap({ Int($0) }),
                  minZoom <= maxZoom, minZoom >= 0, maxZoom <= TileAddress.maximumZoom,
                  let numbers = metadata[Self.boxKey]?.split(separator: ",").compactMap({ Double($0) }), numbers.count == 4
            else { throw StoreError.badInput("\(path): the metadata lacks layers, datum, zooms or seeded_box; seed it again with `tiles seed`") }
            self.fingerprint = fingerprint
            self.layers = layers
            self.datum = datum
            zooms = minZoom...maxZoom
            box = BoundingBox(minLongitude: numbers[0], minLatitude: numbers[1], maxLongitude: numbers[2], maxLatitude: numbers[3])
        } catch let error as DatabaseError {
            throw StoreError.badInput("cannot read \(path) as MBTiles: \(error.message ?? "\(error.resultCode)")")
        }
    }

    /// Whether the file holds the tile of these layers: its layers, datum and zooms, inside the seeded range.
    public func covers(_ layers: [String], _ address: TileAddress, datum: TileDatum) -> Bool {
        guard layers == self.layers, datum == self.datum, zooms.contains(address.z) else { return false }
        let range = TileSeeder.tiles(z: address.z, box: box)
        return range.x.contains(address.x) && range.y.contains(address.y)
    }

    /// The tile as seeded (gunzipped), empty when the file has none.
    public func tile(_ address: TileAddress) throws -> [UInt8] { try tileAndGzip(address).tile }

    /// The tile as seeded (gunzipped; empty when the file has none) and the file's gzip bytes when they are one gzip
    /// member of exactly that tile (header, and the trailer's CRC-32 and length those of the tile), to be sent as they are.
    public func tileAndGzip(_ address: TileAddress) throws -> (tile: [UInt8], gzip: [UInt8]?) {
        let queue = queues[nextQueue.wrappingAdd(1, ordering: .relaxed).oldValue % queues.count]
        let data = try queue.read { db in
            try Data.fetchOne(db.cachedStatement(sql: "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?"),
                              arguments: [address.z, address.x, (1 << address.z) - 1 - address.y])
        }
        guard let data else { return ([], nil) }
        let stored = [UInt8](data)
        guard let bytes = Gzip.decompress(stored) else { throw StoreError.badInput("\(path): tile \(address) is not gzip data") }
        return (bytes, Gzip.isMember(stored, of: bytes) ? stored : nil)
    }
}

extension Gzip {
    /// Whether `stream` is a gzip member (RFC 1952) whose trailer records `content`: its CRC-32 and its length.
    /// Checked after inflating `stream` to `content`, it tells that the bytes end with that member, nothing after.
    public static func isMember(_ stream: [UInt8], of content: [UInt8]) -> Bool {
        guard stream.count >= 18, content.count < Int(UInt32.max), stream[0] == 0x1f, stream[1] == 0x8b, stream[2] == 8 else { return false }
        func word(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(stream[at + $1]) << (8 * $1) } }
        let crc = content.withUnsafeBufferPointer { buffer in
            UInt32(truncatingIfNeeded: crc32(0, buffer.baseAddress, UInt32(buffer.count)))
        }
        return word(stream.count - 8) == crc && word(stream.count - 4) == UInt32(truncatingIfNeeded: content.count)
    }

    /// A gzip (or zlib) stream inflated; nil when it is not one.
    public static func decompress(_ input: [UInt8]) -> [UInt8]? {
        guard input.count < Int(UInt32.max / 2) else { return nil }
        var stream = z_stream()
        // windowBits 15 + 32: zlib detects a gzip or zlib header.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: max(4096, input.count * 4))
        var status: Int32 = Z_OK
        input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = UInt32(source.count)
            while status == Z_OK {
                let produced: Int = chunk.withUnsafeMutableBufferPointer { target in
                    stream.next_out = target.baseAddress
                    stream.avail_out = UInt32(target.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    return target.count - Int(stream.avail_out)
                }
                output.append(contentsOf: chunk[0..<produced])
                if status == Z_OK, produced == 0 { break }
            }
        }
        return status == Z_STREAM_END ? output : nil
    }
}
