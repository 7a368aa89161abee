import Foundation

/// Writes Mapbox Vector Tiles 2.1 (the `vector_tile.proto` of the MVT specification): a tile is a protobuf
/// message of layers; each layer holds features, a key table and a value table; a feature's `tags` are pairs of
/// indices into those tables, and its geometry is a stream of command integers (MoveTo 1, LineTo 2, ClosePath 7,
/// `id | count << 3`) followed by zig-zag encoded deltas from the previous cursor position.
public struct VectorTileLayer: Sendable {
    /// A property value; MVT has no null, so absent values are simply left out.
    public enum Value: Hashable, Sendable {
        case string(String)
        case double(Double)
        case integer(Int64)
        case bool(Bool)
    }

    public enum GeometryType: UInt64, Sendable {
        case point = 1, lineString = 2, polygon = 3
    }

    public let name: String
    public let extent: Int
    private var keys: [String] = []
    private var keyIndex: [String: UInt64] = [:]
    private var values: [Value] = []
    private var valueIndex = ValueTable()
    /// Where the next key is expected in `keys`: features list their properties in one order, so a key is usually the
    /// one after the previous.
    private var nextKey = 0
    private var features = ProtobufWriter()
    public private(set) var featureCount = 0
    /// Reused for each feature's tags and commands.
    private var scratchTags = ProtobufWriter()
    private var scratchCommands = ProtobufWriter()
    /// The type of the feature begun and not yet finished.
    private var pendingType: GeometryType?
    /// The bytes of the features written so far.
    public var featureBytes: Int { features.bytes.count }

    public init(name: String, extent: Int = TileGeometry.defaultExtent) {
        self.name = name
        self.extent = extent
    }

    /// Adds a feature; `geometry` is in tile units, already clipped, quantised and oriented (see `TileGeometry`).
    /// Features with nothing to draw are skipped.
    public mutating func add(id: UInt64?, properties: [(String, Value)], geometry: TileGeometry.Shape) {
        guard begin(geometry) else { return }
        for (key, value) in properties { tag(key, value) }
        finish(id: id)
    }

    /// Starts a feature (what `add` does in three steps, for a reader that tags values as it reads them): writes the
    /// geometry's commands and answers whether there is anything to draw; when there is, `tag` each property and
    /// `finish` the feature. When there is not, tags and the finish are ignored: no key or value is tabled.
    public mutating func begin(_ geometry: TileGeometry.Shape) -> Bool {
        scratchCommands.bytes.removeAll(keepingCapacity: true)
        scratchTags.bytes.removeAll(keepingCapacity: true)
        pendingType = Self.writeCommands(for: geometry, into: &scratchCommands)
        return pendingType != nil
    }

    /// A property of the feature begun: its key and value tabled (a double that is not finite is left out).
    public mutating func tag(_ key: String, _ value: Value) {
        guard pendingType != nil else { return }
        if case .double(let number) = value, !number.isFinite { return }
        scratchTags.varint(index(of: key))
        scratchTags.varint(index(of: value))
    }

    /// A text property of the feature begun, given as SQLite gives a TEXT column (`bytes`, without the terminating NUL,
    /// and `cString`, the same bytes NUL-terminated): the value is the string `String(cString:)` makes of them. A value
    /// the layer holds already is found from the bytes, without making the string.
    public mutating func tag(_ key: String, text bytes: UnsafeRawBufferPointer, cString: UnsafePointer<UInt8>) {
        guard pendingType != nil else { return }
        let position = valueIndex.position(ofText: bytes, in: values)
            ?? index(of: Value.string(String(cString: cString)))
        scratchTags.varint(index(of: key))
        scratchTags.varint(position)
    }

    /// Writes the feature begun straight into the layer: its length first, from the lengths of its fields.
    public mutating func finish(id: UInt64?) {
        guard let type = pendingType else { return }
        pendingType = nil
        let tags = scratchTags.bytes.count, commands = scratchCommands.bytes.count
        var length = 0
        if let id { length += 1 + ProtobufWriter.varintSize(id) }
        if tags > 0 { length += 1 + ProtobufWriter.varintSize(UInt64(tags)) + tags }
        length += 1 + ProtobufWriter.varintSize(type.rawValue)
        if commands > 0 { length += 1 + ProtobufWriter.varintSize(UInt64(commands)) + commands }
        features.key(2, 2)
        features.varint(UInt64(length))
        if let id { features.varintField(1, id) }
        if tags > 0 { features.bytesField(2, scratchTags.bytes) }
        features.varintField(3, type.rawValue)
        if commands > 0 { features.bytesField(4, scratchCommands.bytes) }
        featureCount += 1
    }

    private mutating func index(of key: String) -> UInt64 {
        if nextKey < keys.count, keys[nextKey] == key {
            nextKey += 1
            return UInt64(nextKey - 1)
        }
        let index = lookUp(key)
        nextKey = Int(index) + 1
        return index
    }

    private mutating func lookUp(_ key: String) -> UInt64 {
        // A layer has a few dozen keys: comparing them beats hashing.
        if keys.count <= 32 {
            for (offset, known) in keys.enumerated() where known == key { return UInt64(offset) }
            let index = UInt64(keys.count)
            keys.append(key)
            keyIndex[key] = index
            return index
        }
        if let known = keyIndex[key] { return known }
        let index = UInt64(keys.count)
        keys.append(key)
        keyIndex[key] = index
        return index
    }

    /// How many distinct values the layer holds.
    public var valueCount: Int { values.count }

    /// Room for about `count` distinct values (a reader's guess from a tile before); the tile is the same either way.
    public mutating func reserveValues(_ count: Int) {
        valueIndex.reserve(count, values: &values)
    }

    private mutating func index(of value: Value) -> UInt64 {
        valueIndex.index(of: value, in: &values)
    }

    /// The layer message (field 3 of a tile).
    public var bytes: [UInt8] {
        var layer = head
        layer.bytes.append(contentsOf: features.bytes)
        layer.bytes.append(contentsOf: tail.bytes)
        return layer.bytes
    }

    /// Room for about `count` bytes of features (a reader's guess from a tile before); the tile is the same either way.
    public mutating func reserveFeatureBytes(_ count: Int) {
        guard features.bytes.isEmpty, count > 0, count <= 1 << 26 else { return }
        features.bytes.reserveCapacity(count)
    }

    /// The bytes of the layer's message (`bytes.count`), from the lengths of its parts.
    private var messageBytes: Int {
        let nameBytes = name.utf8.count
        var bytes = 2 + 1 + ProtobufWriter.varintSize(UInt64(nameBytes)) + nameBytes + features.bytes.count
        bytes += 1 + ProtobufWriter.varintSize(UInt64(extent))
        for key in keys { bytes += 1 + ProtobufWriter.varintSize(UInt64(key.utf8.count)) + key.utf8.count }
        for value in values {
            let message = Self.valueMessageBytes(value)
            bytes += 1 + ProtobufWriter.varintSize(UInt64(message)) + message
        }
        return bytes
    }

    /// The bytes `write(into:)` adds to a tile.
    var fieldBytes: Int {
        let message = messageBytes
        return 1 + ProtobufWriter.varintSize(UInt64(message)) + message
    }

    /// The layer as field 3 of a tile, its features copied once and the rest written in place: `bytes` as a field.
    func write(into tile: inout ProtobufWriter) {
        tile.key(3, 2)
        tile.varint(UInt64(messageBytes))
        tile.varintField(15, 2)
        tile.stringField(1, name)
        tile.bytes.append(contentsOf: features.bytes)
        for key in keys { tile.stringField(3, key) }
        for value in values {
            tile.key(4, 2)
            tile.varint(UInt64(Self.valueMessageBytes(value)))
            Self.writeValueFields(value, into: &tile)
        }
        tile.varintField(5, UInt64(extent))
    }

    /// The bytes of a value's message.
    static func valueMessageBytes(_ value: Value) -> Int {
        switch value {
        case .string(let text): 1 + ProtobufWriter.varintSize(UInt64(text.utf8.count)) + text.utf8.count
        case .double: 9
        case .integer(let number): 1 + ProtobufWriter.varintSize(number >= 0 ? UInt64(number) : ProtobufWriter.zigZag(number))
        case .bool: 2
        }
    }

    /// A value's message's one field.
    static func writeValueFields(_ value: Value, into message: inout ProtobufWriter) {
        switch value {
        case .string(let text): message.stringField(1, text)
        case .double(let number): message.doubleField(3, number)
        case .integer(let number):
            if number >= 0 { message.varintField(5, UInt64(number)) } else { message.varintField(6, ProtobufWriter.zigZag(number)) }
        case .bool(let flag): message.varintField(7, flag ? 1 : 0)
        }
    }

    /// What precedes the features: the version and the name.
    private var head: ProtobufWriter {
        var layer = ProtobufWriter()
        layer.varintField(15, 2)
        layer.stringField(1, name)
        return layer
    }

    /// What follows the features: the keys, the values and the extent.
    private var tail: ProtobufWriter {
        var layer = ProtobufWriter()
        for key in keys { layer.stringField(3, key) }
        // One value message at a time, in one reused buffer.
        var message = ProtobufWriter()
        for value in values {
            message.bytes.removeAll(keepingCapacity: true)
            Self.writeValueFields(value, into: &message)
            layer.bytesField(4, message.bytes)
        }
        layer.varintField(5, UInt64(extent))
        return layer
    }

    static func command(_ id: UInt64, count: Int) -> UInt64 { (id & 0x7) | (UInt64(count) << 3) }

    /// The geometry's command stream (MVT 2.1 §4.3) written as varints into `out` (which it leaves as it was when there is
    /// nothing to draw), and the geometry's type; without an array of commands per feature.
    static func writeCommands(for shape: TileGeometry.Shape, into out: inout ProtobufWriter) -> GeometryType? {
        var cursorX = 0, cursorY = 0
        let start = out.bytes.count
        func command(_ id: UInt64, count: Int) { out.varint(Self.command(id, count: count)) }
        func move(_ point: TilePoint) {
            out.varint(ProtobufWriter.zigZag(Int64(point.x - cursorX)))
            out.varint(ProtobufWriter.zigZag(Int64(point.y - cursorY)))
            cursorX = point.x; cursorY = point.y
        }
        switch shape {
        case .points(let points):
            guard !points.isEmpty else { return nil }
            command(1, count: points.count)
            for point in points { move(point) }
            return .point
        case .lines(let lines):
            for line in lines where line.count >= 2 {
                command(1, count: 1); move(line[0])
                command(2, count: line.count - 1)
                for point in line.dropFirst() { move(point) }
            }
            return out.bytes.count == start ? nil : .lineString
        case .polygons(let polygons):
            for rings in polygons {
                for ring in rings where ring.count >= 3 {
                    command(1, count: 1); move(ring[0])
                    command(2, count: ring.count - 1)
                    for point in ring.dropFirst() { move(point) }
                    command(7, count: 1)
                }
            }
            return out.bytes.count == start ? nil : .polygon
        }
    }
}

/// The positions of a layer's distinct values, by open addressing on a cheap hash (FNV-1a over a string's bytes, the
/// bits of a number): a layer of buildings holds a new value for most features, and the standard library's seeded
/// hashing of each was a tenth of drawing a tile.
struct ValueTable {
    /// Position in the layer's values + 1; 0 for an empty slot. The count is a power of two.
    private var slots = [Int32](repeating: 0, count: 64)
    private var hashes = [UInt64](repeating: 0, count: 64)
    private var count = 0

    static func hash(_ value: VectorTileLayer.Value) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bits: UInt64) -> UInt64 {
            var x = bits ^ h
            x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
            x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
            return x ^ (x >> 31)
        }
        switch value {
        case .string(let text):
            for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return h
        case .double(let number): return mix((number == 0 ? 0 : number.bitPattern) ^ 1)  // 0 and -0 are one value
        case .integer(let number): return mix(UInt64(bitPattern: number) ^ 2)
        case .bool(let flag): return flag ? 3 : 4
        }
    }

    /// Room for `count` values without growing, for a table that holds none yet (the positions do not depend on it).
    mutating func reserve(_ count: Int, values: inout [VectorTileLayer.Value]) {
        guard self.count == 0, count > 0, count <= 1 << 24 else { return }
        var size = slots.count
        while size < count * 2 { size *= 2 }
        if size > slots.count {
            slots = [Int32](repeating: 0, count: size)
            hashes = [UInt64](repeating: 0, count: size)
        }
        values.reserveCapacity(count)
    }

    /// FNV-1a over the bytes: `hash(.string(s))` when `bytes` are `s.utf8`.
    static func hash(text bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return h
    }

    /// The position in `values` of the string whose UTF-8 is exactly `bytes`, nil when the table has none or cannot tell
    /// from the bytes alone (a NUL among them, which `String(cString:)` stops at; a string of other bytes under the same
    /// hash, which `==` might still call equal): the caller then makes the string and asks `index(of:in:)`.
    func position(ofText bytes: UnsafeRawBufferPointer, in values: [VectorTileLayer.Value]) -> UInt64? {
        if !bytes.isEmpty, memchr(bytes.baseAddress!, 0, bytes.count) != nil { return nil }
        let hash = Self.hash(text: bytes)
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let position = Int(slots[slot]) - 1
            if hashes[slot] == hash {
                guard case .string(var known) = values[position] else { return nil }
                let same = known.withUTF8 { utf8 in
                    utf8.count == bytes.count && (bytes.isEmpty || memcmp(utf8.baseAddress!, bytes.baseAddress!, bytes.count) == 0)
                }
                return same ? UInt64(position) : nil
            }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// The value's position in `values`, appended when new.
    mutating func index(of value: VectorTileLayer.Value, in values: inout [VectorTileLayer.Value]) -> UInt64 {
        let hash = Self.hash(value)
        var mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: hash) & mask
        while slots[slot] != 0 {
            let position = Int(slots[slot]) - 1
            if hashes[slot] == hash, values[position] == value { return UInt64(position) }
            slot = (slot + 1) & mask
        }
        values.append(value)
        slots[slot] = Int32(values.count)
        hashes[slot] = hash
        count += 1
        if count * 2 > slots.count {
            // Grow to keep the table at most half full.
            let oldSlots = slots, oldHashes = hashes
            slots = [Int32](repeating: 0, count: oldSlots.count * 2)
            hashes = [UInt64](repeating: 0, count: oldSlots.count * 2)
            mask = slots.count - 1
            for (old, position) in oldSlots.enumerated() where position != 0 {
                var next = Int(truncatingIfNeeded: oldHashes[old]) & mask
                while slots[next] != 0 { next = (next + 1) & mask }
                slots[next] = position
                hashes[next] = oldHashes[old]
            }
        }
        return UInt64(values.count - 1)
    }
}

/// A tile: its layers one after another (field 3 of the `Tile` message). Empty layers are left out.
public func encodeVectorTile(_ layers: [VectorTileLayer]) -> [UInt8] {
    VectorTileLayers.encode(layers.map { .drawn($0) })
}

/// The few protobuf wire forms MVT uses (varint, 64-bit, length-delimited).
struct ProtobufWriter {
    var bytes: [UInt8] = []

    static func zigZag(_ n: Int64) -> UInt64 { UInt64(bitPattern: (n << 1) ^ (n >> 63)) }

    /// Bytes of `value` as a varint.
    static func varintSize(_ value: UInt64) -> Int { value == 0 ? 1 : (70 - value.leadingZeroBitCount) / 7 }

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    mutating func varintField(_ field: Int, _ value: UInt64) { key(field, 0); varint(value) }

    mutating func doubleField(_ field: Int, _ value: Double) {
        key(field, 1)
        var bits = value.bitPattern
        for _ in 0..<8 { bytes.append(UInt8(bits & 0xFF)); bits >>= 8 }
    }

    mutating func bytesField(_ field: Int, _ value: [UInt8]) {
        key(field, 2); varint(UInt64(value.count)); bytes.append(contentsOf: value)
    }

    mutating func stringField(_ field: Int, _ value: String) {
        key(field, 2); varint(UInt64(value.utf8.count)); bytes.append(contentsOf: value.utf8)
    }

    mutating func packedField(_ field: Int, _ values: [UInt64]) {
        guard !values.isEmpty else { return }
        var packed = ProtobufWriter()
        for value in values { packed.varint(value) }
        bytesField(field, packed.bytes)
    }
}
