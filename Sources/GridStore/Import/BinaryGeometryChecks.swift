import Foundation

/// Structure checks run on Shapefile and GeoPackage bytes before Spatialite's readers see them: those readers
/// trust the counts and offsets a file declares, and a damaged file can make them read past their buffers.
/// Each check answers nil for sound bytes, else what is wrong and where.
enum BinaryGeometryChecks {
    /// A GeoPackage geometry blob (GP header, optional envelope, WKB); `problem` names the byte.
    static func geoPackageProblem(_ blob: [UInt8]) -> String? {
        guard blob.count >= 8, blob[0] == 0x47, blob[1] == 0x50 else { return "not a GeoPackage geometry blob (no \"GP\" header)" }
        let flags = blob[3]
        let envelopeBytes: Int
        switch (flags >> 1) & 0x07 {
        case 0: envelopeBytes = 0
        case 1: envelopeBytes = 32
        case 2, 3: envelopeBytes = 48
        case 4: envelopeBytes = 64
        default: return "the GeoPackage header's envelope code \((flags >> 1) & 0x07) is not 0–4 (byte 3)"
        }
        let start = 8 + envelopeBytes
        guard blob.count >= start else { return "the blob ends (byte \(blob.count)) inside its envelope, which needs \(start) bytes" }
        if flags & 0x10 != 0 && blob.count == start { return nil }
        return wkbProblem(blob, from: start)
    }

    /// Well-known binary (ISO and extended Z/M type codes): every count must fit in the bytes that follow.
    static func wkbProblem(_ bytes: [UInt8], from start: Int) -> String? {
        var reader = WKBWalk(bytes: bytes, at: start)
        do {
            try reader.geometry(depth: 0)
            return nil
        } catch let error as WKBWalk.Fault {
            return "damaged WKB geometry: \(error.message) at byte \(error.offset)"
        } catch {
            return "damaged WKB geometry"
        }
    }

    /// A Shapefile's `.shp` against its `.shx`: every index entry points inside the `.shp` at a record whose
    /// declared length, part and point counts fit in it.
    static func shapefileProblem(shp: [UInt8], shx: [UInt8], shpName: String, shxName: String) -> String? {
        func bigInt(_ bytes: [UInt8], _ at: Int) -> Int { Int(Int32(bitPattern: UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3]))) }
        func littleInt(_ bytes: [UInt8], _ at: Int) -> Int { Int(Int32(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)) }
        guard shp.count >= 100, bigInt(shp, 0) == 9994 else { return "\(shpName): not a Shapefile (no 9994 file code in its 100-byte header)" }
        guard shx.count >= 100, bigInt(shx, 0) == 9994 else { return "\(shxName): not a Shapefile index (no 9994 file code in its 100-byte header)" }
        guard (shx.count - 100) % 8 == 0 else { return "\(shxName): \(shx.count - 100) bytes of entries, not a multiple of 8 (the file is truncated or padded)" }
        let fileType = littleInt(shp, 32)
        for entry in 0..<(shx.count - 100) / 8 {
            let offset = bigInt(shx, 100 + entry * 8) * 2, declared = bigInt(shx, 104 + entry * 8) * 2
            let place = "record \(entry + 1)"
            guard offset >= 100, declared >= 4, offset <= shp.count - 8, declared <= shp.count - offset - 8 else {
                return "\(shxName): \(place): offset \(offset) and length \(declared) fall outside the .shp (\(shp.count) bytes)"
            }
            guard bigInt(shp, offset + 4) * 2 == declared else {
                return "\(shpName): \(place) at byte \(offset): its header says \(bigInt(shp, offset + 4) * 2) bytes, the .shx \(declared)"
            }
            let content = offset + 8
            let type = littleInt(shp, content)
            if type == 0 { continue }
            guard type == fileType else { return "\(shpName): \(place) at byte \(offset): shape type \(type) in a file of type \(fileType)" }
            let needed: Int
            switch type {
            case 1: needed = 20
            case 11: needed = 36
            case 21: needed = 28
            case 3, 5, 13, 15, 23, 25, 8, 18, 28:
                let counts = [8, 18, 28].contains(type) ? 36 : 40
                guard declared >= counts + 4 else { return "\(shpName): \(place) at byte \(offset): \(declared) bytes, too short for shape type \(type)" }
                let isMulti = [8, 18, 28].contains(type)
                let parts = isMulti ? 0 : littleInt(shp, content + 36)
                let points = littleInt(shp, content + counts)
                guard parts >= 0, points >= 0, parts <= declared / 4, points <= declared / 16 else {
                    return "\(shpName): \(place) at byte \(offset): \(parts) parts and \(points) points cannot fit in \(declared) bytes"
                }
                let partsStart = content + counts + 4
                var size = counts + 4 + 4 * parts + 16 * points
                if [13, 15, 18].contains(type) { size += 16 + 8 * points }
                guard size <= declared else {
                    return "\(shpName): \(place) at byte \(offset): \(parts) parts and \(points) points need \(size) bytes, the record holds \(declared)"
                }
                var previous = -1
                for part in 0..<parts {
                    let first = littleInt(shp, partsStart + 4 * part)
                    guard first > previous, first < points, part > 0 || first == 0 else {
                        return "\(shpName): \(place) at byte \(offset): part \(part) starts at point \(first) (of \(points))"
                    }
                    previous = first
                }
                continue
            default:
                return "\(shpName): \(place) at byte \(offset): unknown shape type \(type)"
            }
            guard declared >= needed else { return "\(shpName): \(place) at byte \(offset): \(declared) bytes, too short for shape type \(type)" }
        }
        return nil
    }
}

/// A bounds-checked walk over WKB, counting only: no geometry is built.
private struct WKBWalk {
    struct Fault: Error { var message: String; var offset: Int }
    let bytes: [UInt8]
    var at: Int

    init(bytes: [UInt8], at: Int) { self.bytes = bytes; self.at = at }

    mutating func count(_ littleEndian: Bool) throws -> Int {
        guard at <= bytes.count - 4 else { throw Fault(message: "ends inside a count", offset: at) }
        let b = bytes[at..<at + 4].map(UInt32.init)
        at += 4
        return Int(littleEndian ? b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24 : b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3])
    }

    mutating func skip(_ count: Int, each size: Int, what: String) throws {
        guard count <= (bytes.count - at) / size else {
            throw Fault(message: "\(count) \(what) declared, only \(bytes.count - at) bytes follow", offset: at - 4)
        }
        at += count * size
    }

    mutating func geometry(depth: Int) throws {
        guard depth < 32 else { throw Fault(message: "collections nested more than 32 deep", offset: at) }
        guard at < bytes.count else { throw Fault(message: "ends before a geometry", offset: at) }
        let order = bytes[at]
        guard order <= 1 else { throw Fault(message: "byte order \(order) is neither 0 nor 1", offset: at) }
        at += 1
        let start = at
        var code = try count(order == 1)
        var dimensions = 2
        if code & 0x8000_0000 != 0 { dimensions += 1 }
        if code & 0x4000_0000 != 0 { dimensions += 1 }
        if code & 0x2000_0000 != 0 { try skip(1, each: 4, what: "SRID") }
        code &= 0x0FFF_FFFF
        switch code / 1000 {
        case 0: break
        case 1, 2: dimensions = max(dimensions, 3)
        case 3: dimensions = 4
        default: throw Fault(message: "geometry type \(code) is not known", offset: start)
        }
        let pointSize = 8 * dimensions
        switch code % 1000 {
        case 1: try skip(1, each: pointSize, what: "point")
        case 2: try skip(try count(order == 1), each: pointSize, what: "points")
        case 3:
            let rings = try count(order == 1)
            try checkFits(rings, minimum: 4, what: "rings")
            for _ in 0..<rings { try skip(try count(order == 1), each: pointSize, what: "points") }
        case 4, 5, 6, 7:
            let members = try count(order == 1)
            try checkFits(members, minimum: 5, what: "members")
            for _ in 0..<members { try geometry(depth: depth + 1) }
        default: throw Fault(message: "geometry type \(code) is not known", offset: start)
        }
    }

    /// A count of parts each at least `minimum` bytes long must fit in what follows.
    func checkFits(_ count: Int, minimum: Int, what: String) throws {
        guard count <= (bytes.count - at) / minimum else {
            throw Fault(message: "\(count) \(what) declared, only \(bytes.count - at) bytes follow", offset: at - 4)
        }
    }
}
