/// One decoded node of a block; tags live apart because most nodes have none.
struct PBFNode {
    var id: Int64
    var longitude: Double
    var latitude: Double
}

/// The objects of one OSMData blob, in file order within each kind.
struct PBFPartial {
    var nodes: [PBFNode] = []
    /// Tags of the tagged nodes only, keyed by position in `nodes`, ascending.
    var nodeTags: [(index: Int, tags: OSMTags)] = []
    var ways: [OSMWay] = []
    var relations: [OSMRelation] = []

    var objectCount: Int { nodes.count + ways.count + relations.count }
}

/// A block's string table, turned into Strings on first use: tag keys and values repeat a lot
/// and user names (most of the table) are never needed.
struct PBFStringTable {
    private var raw: [UnsafeRawBufferPointer] = []
    private var strings: [String?] = []

    init(_ message: UnsafeRawBufferPointer) throws(PBFFormatError) {
        var reader = ProtobufReader(message)
        while !reader.isAtEnd {
            let (number, wire) = try reader.field()
            if number == 1 {
                raw.append(try reader.lengthDelimited(wire, field: "StringTable.s"))
            } else {
                try reader.skip(wire)
            }
        }
        strings = Array(repeating: nil, count: raw.count)
    }

    @inline(__always)
    mutating func string(_ index: UInt64) throws(PBFFormatError) -> String {
        guard index < UInt64(raw.count) else {
            throw .corrupt("string index \(index) is outside the block's table of \(raw.count) strings")
        }
        let slot = Int(index)
        if let cached = strings[slot] { return cached }
        let text = String(decoding: raw[slot], as: UTF8.self)
        strings[slot] = text
        return text
    }
}

/// Decodes a PrimitiveBlock (osmformat.proto) into objects.
///
/// Format: https://wiki.openstreetmap.org/wiki/PBF_Format — coordinates are
/// 1e-9 × (offset + granularity × value) degrees; ids, refs and member ids are zigzag deltas.
struct PBFPrimitiveBlock {
    private var strings: PBFStringTable
    private let granularity: Int64
    private let latitudeOffset: Int64
    private let longitudeOffset: Int64
    private var output = PBFPartial()

    static func decode(_ block: UnsafeRawBufferPointer) throws(PBFFormatError) -> PBFPartial {
        var reader = ProtobufReader(block)
        var table = UnsafeRawBufferPointer(start: nil, count: 0)
        var groups: [UnsafeRawBufferPointer] = []
        var granularity: Int64 = 100
        var latitudeOffset: Int64 = 0
        var longitudeOffset: Int64 = 0
        // Scalars may follow the groups on the wire, so groups are decoded after the whole block is scanned.
        while !reader.isAtEnd {
            let (number, wire) = try reader.field()
            switch number {
            case 1: table = try reader.lengthDelimited(wire, field: "PrimitiveBlock.stringtable")
            case 2: groups.append(try reader.lengthDelimited(wire, field: "PrimitiveBlock.primitivegroup"))
            case 17: granularity = Int64(Int32(truncatingIfNeeded: try reader.varint(wire, field: "PrimitiveBlock.granularity")))
            case 19: latitudeOffset = Int64(bitPattern: try reader.varint(wire, field: "PrimitiveBlock.lat_offset"))
            case 20: longitudeOffset = Int64(bitPattern: try reader.varint(wire, field: "PrimitiveBlock.lon_offset"))
            default: try reader.skip(wire)
            }
        }
        guard granularity > 0 else { throw .corrupt("granularity \(granularity) is not positive") }
        var decoder = PBFPrimitiveBlock(
            strings: try PBFStringTable(table), granularity: granularity,
            latitudeOffset: latitudeOffset, longitudeOffset: longitudeOffset)
        for group in groups { try decoder.decodeGroup(group) }
        return decoder.output
    }

    private init(strings: PBFStringTable, granularity: Int64, latitudeOffset: Int64, longitudeOffset: Int64) {
        self.strings = strings
        self.granularity = granularity
        self.latitudeOffset = latitudeOffset
        self.longitudeOffset = longitudeOffset
    }

    /// Nanodegrees as an exact integer, then one correctly rounded division: the result equals
    /// value / 1e7 for the default granularity, as other readers compute it. A granularity, offset or
    /// delta that overflows 64 bits or lands outside WGS84 is refused: the block is corrupt.
    @inline(__always)
    private func degrees(_ value: Int64, offset: Int64, limit: Int64, node id: Int64, axis: String) throws(PBFFormatError) -> Double {
        let (scaled, scaleOverflow) = granularity.multipliedReportingOverflow(by: value)
        let (nanodegrees, offsetOverflow) = offset.addingReportingOverflow(scaled)
        guard !scaleOverflow, !offsetOverflow, nanodegrees >= -limit * 1_000_000_000, nanodegrees <= limit * 1_000_000_000 else {
            throw .corrupt(outOfRange(value, offset: offset, limit: limit, node: id, axis: axis))
        }
        return Double(nanodegrees) / 1e9
    }

    private func outOfRange(_ value: Int64, offset: Int64, limit: Int64, node id: Int64, axis: String) -> String {
        let exact = (Double(offset) + Double(granularity) * Double(value)) / 1e9
        return "node \(id): \(axis) \(exact)° (offset \(offset) + granularity \(granularity) × \(value), in nanodegrees) is outside −\(limit)…\(limit)"
    }

    @inline(__always)
    private func position(latitude: Int64, longitude: Int64, node id: Int64) throws(PBFFormatError) -> (longitude: Double, latitude: Double) {
        (try degrees(longitude, offset: longitudeOffset, limit: 180, node: id, axis: "longitude"),
         try degrees(latitude, offset: latitudeOffset, limit: 90, node: id, axis: "latitude"))
    }

    /// Adds a delta of a packed field, refusing the wrap-around a corrupt delta would cause.
    @inline(__always)
    private static func accumulate(_ total: inout Int64, _ delta: Int64, _ what: @autoclosure () -> String) throws(PBFFormatError) {
        let (sum, overflow) = total.addingReportingOverflow(delta)
        guard !overflow else { throw .corrupt("\(what()): the delta \(delta) overflows 64 bits after \(total)") }
        total = sum
    }

    private mutating func decodeGroup(_ group: UnsafeRawBufferPointer) throws(PBFFormatError) {
        var reader = ProtobufReader(group)
        while !reader.isAtEnd {
            let (number, wire) = try reader.field()
            switch number {
            case 1: try decodeNode(reader.lengthDelimited(wire, field: "PrimitiveGroup.nodes"))
            case 2: try decodeDense(reader.lengthDelimited(wire, field: "PrimitiveGroup.dense"))
            case 3: try decodeWay(reader.lengthDelimited(wire, field: "PrimitiveGroup.ways"))
            case 4: try decodeRelation(reader.lengthDelimited(wire, field: "PrimitiveGroup.relations"))
            default: try reader.skip(wire)  // changesets carry nothing an import needs
            }
        }
    }

    private mutating func tags(keys: UnsafeRawBufferPointer, values: UnsafeRawBufferPointer, of kind: String, _ id: Int64) throws(PBFFormatError) -> OSMTags {
        if keys.isEmpty && values.isEmpty { return OSMTags() }
        var keyReader = ProtobufReader(keys)
        var valueReader = ProtobufReader(values)
        var pairs: [(key: String, value: String)] = []
        pairs.reserveCapacity(ProtobufReader.count(keys))
        while !keyReader.isAtEnd {
            guard !valueReader.isAtEnd else { throw .corrupt("\(kind) \(id) has more tag keys than values") }
            let key = try strings.string(keyReader.varint())
            let value = try strings.string(valueReader.varint())
            pairs.append((key, value))
        }
        guard valueReader.isAtEnd else { throw .corrupt("\(kind) \(id) has more tag values than keys") }
        return OSMTags(pairs)
    }

    private mutating func decodeNode(_ message: UnsafeRawBufferPointer) throws(PBFFormatError) {
        var reader = ProtobufReader(message)
        var id: Int64 = 0
        var latitude: Int64?
        var longitude: Int64?
        var keys = UnsafeRawBufferPointer(start: nil, count: 0)
        var values = keys
        while !reader.isAtEnd {
            let (number, wire) = try reader.field()
            switch number {
            case 1:
                guard wire == .varint else { throw .corrupt("Node.id has wire type \(wire.rawValue), expected 0") }
                id = try reader.sint64()
            case 2: keys = try reader.lengthDelimited(wire, field: "Node.keys")
            case 3: values = try reader.lengthDelimited(wire, field: "Node.vals")
            case 8:
                guard wire == .varint else { throw .corrupt("Node.lat has wire type \(wire.rawValue), expected 0") }
                latitude = try reader.sint64()
            case 9:
                guard wire == .varint else { throw .corrupt("Node.lon has wire type \(wire.rawValue), expected 0") }
                longitude = try reader.sint64()
            default: try reader.skip(wire)
            }
        }
        guard let latitude, let longitude else { throw .corrupt("node \(id) has no coordinates") }
        let tags = try tags(keys: keys, values: values, of: "node", id)
        if !tags.isEmpty { output.nodeTags.append((output.nodes.count, tags)) }
        let place = try position(latitude: latitude, longitude: longitude, node: id)
        output.nodes.append(PBFNode(id: id, longitude: place.longitude, latitude: place.latitude))
    }

    private mutating func decodeDense(_ message: UnsafeRawBufferPointer) throws(PBFFormatError) {
        var reader = ProtobufReader(message)
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        var ids = empty, latitudes = empty, longitudes = empty, keysValues = empty
        while !reader.isAtEnd {
            let (number, wire) = try reader.field()
            switch number {
            case 1: ids = try reader.lengthDelimited(wire, field: "DenseNodes.id")
            case 8: latitudes = try reader.lengthDelimited(wire, field: "DenseNodes.lat")
            case 9: longitudes = try reader.lengthDelimited(wire, field: "DenseNodes.lon")
            case 10: keysValues = try reader.lengthDelimited(wire, field: "DenseNodes.keys_vals")
            default: try reader.skip(wire)  // DenseInfo: versions, timestamps, users
            }
        }
        var idReader = ProtobufReader(ids)
        var latitudeReader = ProtobufReader(latitudes)
        var longitudeReader = ProtobufReader(longitudes)
        var tagReader = ProtobufReader(keysValues)
        output.nodes.reserveCapacity(output.nodes.count + ProtobufReader.count(ids))
        var id: Int64 = 0, latitude: Int64 = 0, longitude: Int64 = 0
        while !idReader.isAtEnd {
            try Self.accumulate(&id, idReader.sint64(), "DenseNodes.id")
            guard !latitudeReader.isAtEnd, !longitudeReader.isAtEnd else {
                throw .corrupt("DenseNodes has fewer coordinates than ids")
            }
            try Self.accumulate(&latitude, latitudeReader.sint64(), "DenseNodes.lat of node \(id)")
            try Self.accumulate(&longitude, longitudeReader.sint64(), "DenseNodes.lon of node \(id)")
            // keys_vals: key, value, key, value, …, 0 per node; empty when no node of the block has tags.
            if !tagReader.isAtEnd {
                var key = try tagReader.varint()
                if key != 0 {
                    var pairs: [(key: String, value: String)] = []
                    repeat {
                        let value = try tagReader.varint()
                        pairs.append((try strings.string(key), try strings.string(value)))
                        key = try tagReader.varint()
                    } while key != 0
                    output.nodeTags.append((output.nodes.count, OSMTags(pairs)))
                }
            }
            let place = try position(latitude: latitude, longitude: longitude, node: id)
            output.nodes.append(PBFNode(id: id, longitude: place.longitude, latitude: place.latitude))
        }
        guard latitudeReader.isAtEnd, longitudeReader.isAtEnd else {
            throw .corrupt("DenseNodes has more coordinates than ids")
        }
    }

    private mutating func decodeWay(_ message: UnsafeRawBufferPointer) throws(PBFFormatError) {
        var reader = ProtobufReader(message)
        var id: Int64 = 0
        var keys = UnsafeRawBufferPointer(start: nil, count: 0)
        var values = keys, refs = keys
        while !reader.isAtEnd {
            let (number, wire) = try reader.field()
            switch number {
            case 1: id = try Int64(bitPattern: reader.varint(wire, field: "Way.id"))
            case 2: keys = try reader.lengthDelimited(wire, field: "Way.keys")
            case 3: values = try reader.lengthDelimited(wire, field: "Way.vals")
            case 8: refs = try reader.lengthDelimited(wire, field: "Way.refs")
            default: try reader.skip(wire)  // info; lat/lon of LocationsOnWays files
            }
        }
        var nodeIDs: [Int64] = []
        nodeIDs.reserveCapacity(ProtobufReader.count(refs))
        var refReader = ProtobufReader(refs)
        var ref: Int64 = 0
        while !refReader.isAtEnd {
            try Self.accumulate(&ref, refReader.sint64(), "Way.refs of way \(id)")
            nodeIDs.append(ref)
        }
        output.ways.append(OSMWay(id: id, nodeIDs: nodeIDs, tags: try tags(keys: keys, values: values, of: "way", id)))
    }

    private mutating func decodeRelation(_ message: UnsafeRawBufferPointer) throws(PBFFormatError) {
        var reader = ProtobufReader(message)
        var id: Int64 = 0
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        var keys = empty, values = empty, roles = empty, memberIDs = empty, types = empty
        while !reader.isAtEnd {
            let (number, wire) = try reader.field()
            switch number {
            case 1: id = try Int64(bitPattern: reader.varint(wire, field: "Relation.id"))
            case 2: keys = try reader.lengthDelimited(wire, field: "Relation.keys")
            case 3: values = try reader.lengthDelimited(wire, field: "Relation.vals")
            case 8: roles = try reader.lengthDelimited(wire, field: "Relation.roles_sid")
            case 9: memberIDs = try reader.lengthDelimited(wire, field: "Relation.memids")
            case 10: types = try reader.lengthDelimited(wire, field: "Relation.types")
            default: try reader.skip(wire)
            }
        }
        var roleReader = ProtobufReader(roles)
        var idReader = ProtobufReader(memberIDs)
        var typeReader = ProtobufReader(types)
        var members: [OSMMember] = []
        members.reserveCapacity(ProtobufReader.count(memberIDs))
        var ref: Int64 = 0
        while !idReader.isAtEnd {
            guard !roleReader.isAtEnd, !typeReader.isAtEnd else {
                throw .corrupt("relation \(id) has fewer member roles or types than member ids")
            }
            try Self.accumulate(&ref, idReader.sint64(), "Relation.memids of relation \(id)")
            let role = try strings.string(roleReader.varint())
            let kind: OSMMember.Kind
            switch try typeReader.varint() {
            case 0: kind = .node
            case 1: kind = .way
            case 2: kind = .relation
            case let other: throw .corrupt("relation \(id) has a member of unknown type \(other)")
            }
            members.append(OSMMember(kind: kind, ref: ref, role: role))
        }
        guard roleReader.isAtEnd, typeReader.isAtEnd else {
            throw .corrupt("relation \(id) has more member roles or types than member ids")
        }
        output.relations.append(OSMRelation(id: id, members: members, tags: try tags(keys: keys, values: values, of: "relation", id)))
    }
}
