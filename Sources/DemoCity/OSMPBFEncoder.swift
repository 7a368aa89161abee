import GridModel

/// Encodes OSM PBF (https://wiki.openstreetmap.org/wiki/PBF_Format): the OSMHeader block and OSMData primitive
/// blocks of dense nodes, ways or relations, and the file-block framing. Compression is the caller's (a closure),
/// so this stays free of I/O and of C libraries.
public enum OSMPBFEncoder {
    /// Elements per primitive block, as common writers use; keeps every blob far below the format's 32 MiB limit.
    public static let elementsPerBlock = 8_000

    /// The HeaderBlock: bounding box, required features, and the order this project writes in.
    public static func headerBlock(southWest: Coordinate, northEast: Coordinate) -> [UInt8] {
        var bbox = ProtobufWriter()
        bbox.sint64(1, nanodegrees(southWest.longitude))
        bbox.sint64(2, nanodegrees(northEast.longitude))
        bbox.sint64(3, nanodegrees(northEast.latitude))
        bbox.sint64(4, nanodegrees(southWest.latitude))
        var header = ProtobufWriter()
        header.message(1, bbox.bytes)
        header.string(4, "OsmSchema-V0.6")
        header.string(4, "DenseNodes")
        header.string(5, "Sort.Type_then_ID")
        header.string(16, "CommunityGrid demo")
        return header.bytes
    }

    /// A PrimitiveBlock of one DenseNodes group (granularity 100 nanodegrees, i.e. units of 1e-7°).
    public static func nodeBlock(_ nodes: ArraySlice<District.Node>) -> [UInt8] {
        var strings = StringTable()
        var ids: [Int64] = [], lats: [Int64] = [], lons: [Int64] = []
        var keysVals: [Int64] = []
        var last = (id: Int64(0), lat: Int64(0), lon: Int64(0))
        let tagged = nodes.contains { !$0.tags.isEmpty }
        for node in nodes {
            let lat = units(node.coordinate.latitude), lon = units(node.coordinate.longitude)
            ids.append(node.id &- last.id)
            lats.append(lat &- last.lat)
            lons.append(lon &- last.lon)
            last = (node.id, lat, lon)
            guard tagged else { continue }
            for (key, value) in node.tags {
                keysVals.append(Int64(strings.index(key)))
                keysVals.append(Int64(strings.index(value)))
            }
            keysVals.append(0)
        }
        var dense = ProtobufWriter()
        dense.packedSint64(1, ids)
        dense.packedSint64(8, lats)
        dense.packedSint64(9, lons)
        if tagged { dense.packedVarint(10, keysVals) }
        var group = ProtobufWriter()
        group.message(2, dense.bytes)
        return primitiveBlock(strings: strings, group: group.bytes)
    }

    public static func wayBlock(_ ways: ArraySlice<District.Way>) -> [UInt8] {
        var strings = StringTable()
        var group = ProtobufWriter()
        for way in ways {
            var message = ProtobufWriter()
            message.varint(1, UInt64(bitPattern: way.id))
            message.packedVarint(2, way.tags.map { Int64(strings.index($0.0)) })
            message.packedVarint(3, way.tags.map { Int64(strings.index($0.1)) })
            var previous: Int64 = 0
            message.packedSint64(8, way.nodeIDs.map { id in defer { previous = id }; return id &- previous })
            group.message(3, message.bytes)
        }
        return primitiveBlock(strings: strings, group: group.bytes)
    }

    public static func relationBlock(_ relations: ArraySlice<District.Relation>) -> [UInt8] {
        var strings = StringTable()
        var group = ProtobufWriter()
        for relation in relations {
            var message = ProtobufWriter()
            message.varint(1, UInt64(bitPattern: relation.id))
            message.packedVarint(2, relation.tags.map { Int64(strings.index($0.0)) })
            message.packedVarint(3, relation.tags.map { Int64(strings.index($0.1)) })
            message.packedVarint(8, relation.members.map { Int64(strings.index($0.role)) })
            var previous: Int64 = 0
            message.packedSint64(9, relation.members.map { member in defer { previous = member.ref }; return member.ref &- previous })
            message.packedVarint(10, relation.members.map { member in
                switch member.type {
                case .node: 0
                case .way: 1
                case .relation: 2
                }
            })
            group.message(4, message.bytes)
        }
        return primitiveBlock(strings: strings, group: group.bytes)
    }

    /// One file block: 4-byte big-endian BlobHeader length, BlobHeader, Blob. `zlibData` is the payload deflated
    /// in zlib format, or nil to store it raw.
    public static func fileBlock(type: String, payload: [UInt8], zlibData: [UInt8]?) -> [UInt8] {
        var blob = ProtobufWriter()
        if let zlibData {
            blob.varint(2, UInt64(payload.count))
            blob.bytesField(3, zlibData)
        } else {
            blob.bytesField(1, payload)
        }
        var header = ProtobufWriter()
        header.string(1, type)
        header.varint(3, UInt64(blob.bytes.count))
        let size = UInt32(header.bytes.count)
        return [UInt8(size >> 24), UInt8((size >> 16) & 0xFF), UInt8((size >> 8) & 0xFF), UInt8(size & 0xFF)]
            + header.bytes + blob.bytes
    }

    private static func primitiveBlock(strings: StringTable, group: [UInt8]) -> [UInt8] {
        var table = ProtobufWriter()
        for string in strings.strings { table.bytesField(1, Array(string.utf8)) }
        var block = ProtobufWriter()
        block.message(1, table.bytes)
        block.message(2, group)
        return block.bytes
    }

    /// Coordinates are already snapped to 1e-7°, so this is exact.
    static func units(_ degrees: Double) -> Int64 { Int64((degrees * 1e7).rounded()) }
    static func nanodegrees(_ degrees: Double) -> Int64 { units(degrees) * 100 }
}

/// Index 0 is the empty string, as the format reserves it (dense nodes use 0 to end a node's tags).
struct StringTable {
    private(set) var strings: [String] = [""]
    private var indices: [String: Int] = ["": 0]

    mutating func index(_ string: String) -> Int {
        if let index = indices[string] { return index }
        strings.append(string)
        indices[string] = strings.count - 1
        return strings.count - 1
    }
}

/// Protobuf wire encoding of the field kinds OSM PBF uses.
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    private mutating func raw(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wire: UInt64) { raw(UInt64(field) << 3 | wire) }

    mutating func varint(_ field: Int, _ value: UInt64) {
        key(field, 0)
        raw(value)
    }

    mutating func sint64(_ field: Int, _ value: Int64) { varint(field, zigzag(value)) }

    mutating func bytesField(_ field: Int, _ value: [UInt8]) {
        key(field, 2)
        raw(UInt64(value.count))
        bytes += value
    }

    mutating func message(_ field: Int, _ value: [UInt8]) { bytesField(field, value) }
    mutating func string(_ field: Int, _ value: String) { bytesField(field, Array(value.utf8)) }

    /// Packed int32/uint32/int64/enum: negative values take ten bytes, as the format says.
    mutating func packedVarint(_ field: Int, _ values: [Int64]) {
        guard !values.isEmpty else { return }
        var inner = ProtobufWriter()
        for value in values { inner.raw(UInt64(bitPattern: value)) }
        bytesField(field, inner.bytes)
    }

    mutating func packedSint64(_ field: Int, _ values: [Int64]) {
        guard !values.isEmpty else { return }
        var inner = ProtobufWriter()
        for value in values { inner.raw(zigzag(value)) }
        bytesField(field, inner.bytes)
    }

    private func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
}
