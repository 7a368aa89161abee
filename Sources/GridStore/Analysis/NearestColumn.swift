/// A building's nearest facility per category as `coverage_buildings.nearest` holds it, in one value per building
/// (runs stored from migration v14 on; `coverage_runs.nearest_categories` names the categories in order, and runs
/// stored before it keep one `coverage_nearest` row per building and category).
///
/// Layout: one byte per eight categories, bit c set when category c has a facility in reach; then, for each such
/// category in order, the facility id and the distance in whole centimetres, each a zigzag LEB128 varint.
/// The distance read back, centimetres / 100, is exactly the REAL the row per category held (the metres rounded to
/// the centimetre, `(metres * 100).rounded() / 100`): the rounded product is a whole number held exactly.
enum NearestColumn {
    /// The distance as stored: whole centimetres; nil when not finite or beyond 64 bits.
    static func centimetres(_ metres: Double) -> Int64? { Int64(exactly: (metres * 100).rounded()) }

    /// The distance read back, the same value the row per category held.
    static func metres(_ centimetres: Int64) -> Double { Double(centimetres) / 100 }

    /// Appends one building's value to `bytes` (emptied first). `answer(c)` gives category c's facility and
    /// centimetres, nil when none is in reach.
    static func encode(into bytes: inout [UInt8], categories: Int, answer: (Int) -> (facility: Int64, centimetres: Int64)?) {
        bytes.removeAll(keepingCapacity: true)
        let maskBytes = (categories + 7) / 8
        bytes.append(contentsOf: repeatElement(0, count: maskBytes))
        for c in 0..<categories {
            guard let (facility, centimetres) = answer(c) else { continue }
            bytes[c >> 3] |= UInt8(1) << UInt8(c & 7)
            appendVarint(&bytes, zigzag(facility))
            appendVarint(&bytes, zigzag(centimetres))
        }
    }

    /// Calls `body(category, facility, centimetres)` for each category in reach, in order. A value that is not
    /// exactly one building's encoding for `categories` categories is refused, naming `what`.
    static func decode(_ raw: UnsafeRawBufferPointer, categories: Int, what: @autoclosure () -> String,
                       _ body: (Int, Int64, Int64) throws -> Void) throws {
        let maskBytes = (categories + 7) / 8
        guard raw.count >= maskBytes else { throw StoreError.corrupt("\(what()): nearest facilities: \(raw.count) bytes, fewer than the \(maskBytes) of the mask") }
        var offset = maskBytes
        for c in 0..<categories where raw[c >> 3] & (UInt8(1) << UInt8(c & 7)) != 0 {
            guard let facility = readVarint(raw, &offset), let centimetres = readVarint(raw, &offset) else {
                throw StoreError.corrupt("\(what()): nearest facilities: truncated at category \(c)")
            }
            try body(c, unzigzag(facility), unzigzag(centimetres))
        }
        guard offset == raw.count, categories % 8 == 0 || maskBytes == 0 || raw[maskBytes - 1] >> UInt8(categories % 8) == 0 else {
            throw StoreError.corrupt("\(what()): nearest facilities: \(raw.count - offset) bytes left over or a category beyond the run's \(categories)")
        }
    }

    @inline(__always) private static func zigzag(_ value: Int64) -> UInt64 { UInt64(bitPattern: (value << 1) ^ (value >> 63)) }
    @inline(__always) private static func unzigzag(_ value: UInt64) -> Int64 { Int64(bitPattern: value >> 1) ^ -Int64(bitPattern: value & 1) }

    @inline(__always) private static func appendVarint(_ bytes: inout [UInt8], _ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// nil when the value runs past the end or past 64 bits.
    @inline(__always) private static func readVarint(_ raw: UnsafeRawBufferPointer, _ offset: inout Int) -> UInt64? {
        var value: UInt64 = 0, shift: UInt64 = 0
        while offset < raw.count {
            let byte = raw[offset]
            offset += 1
            guard shift < 64, shift < 63 || byte <= 1 else { return nil }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }
}
