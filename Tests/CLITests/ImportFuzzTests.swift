import Foundation
import GridModel
import Testing

/// Seeded mutation of the demo inputs through the binary: whatever a file holds, an import ends with exit 0 or
/// exit 1 (never a signal, never an internal error), a refusal names the file and the place and shows no SQL,
/// and a refused import leaves the store exactly as it was.
///
/// Reproduce one case: the failure message gives the format, seed and case number; `ImportFuzz.input` rebuilds it.
@Suite("Import fuzz")
struct ImportFuzzTests {
    @Test("mutated inputs: exit 0 or 1, a place named, no SQL, refusals leave the store unchanged", arguments: FuzzFormat.allCases)
    func fuzz(_ format: FuzzFormat) throws {
        let directory = try TemporaryDirectory()
        let base = try DemoStore.base.get()
        let baseFingerprint = try StoreFiles.fingerprint(base.path)
        let store = directory.url.appendingPathComponent("store.sqlite")
        try StoreFiles.copy(base, to: store)
        let seed = ImportFuzz.seed(format)
        let original = try ImportFuzz.baseInput(format, in: directory.url)
        // The unmutated input imports: the mutations start from something the importer accepts.
        let unmutated = directory.path("original.\(format.fileExtension)")
        try Data(format == .osmGzip ? try ImportFuzz.gzip(original) : original).write(to: URL(fileURLWithPath: unmutated))
        let accepted = try Launch.run(["--db", store.path, "import"] + format.command + [unmutated])
        try #require(accepted.status == 0 && !accepted.signalled, "\(format.rawValue): the unmutated input: \(accepted.summary): \(accepted.stderr)")
        try StoreFiles.copy(base, to: store)
        var outcomes: [String: Int] = [:]
        for number in 0..<format.cases {
            let (input, operations) = try ImportFuzz.input(format, original: original, seed: seed, case: number)
            let file = directory.path("case-\(number).\(format.fileExtension)")
            try Data(input).write(to: URL(fileURLWithPath: file))
            let result = try Launch.run(["--db", store.path, "import"] + format.command + [file], timeout: 60)
            let label = "\(format.rawValue) seed \(seed) case \(number) (\(operations.joined(separator: ", ")))"
            if result.signalled || result.status != 0 && result.status != 1 {
                Issue.record("\(label): \(result.summary): \(result.stderr.suffix(800))")
                outcomes[result.signalled ? "signal" : "exit \(result.status)", default: 0] += 1
                try StoreFiles.copy(base, to: store)
                continue
            }
            #expect(!ImportMessages.leaksSQL(result.stderr), "\(label): \(result.stderr.suffix(800))")
            if result.status == 1 {
                outcomes["refused", default: 0] += 1
                #expect(ImportMessages.namesPlace(result.stderr, file: file), "\(label): names no place: \(result.stderr.suffix(800))")
                #expect(try StoreFiles.fingerprint(store.path) == baseFingerprint, "\(label): a refused import changed the store")
            } else {
                outcomes["imported", default: 0] += 1
                try StoreFiles.copy(base, to: store)
            }
            try? FileManager.default.removeItem(atPath: file)
        }
        let figures = outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        print("import fuzz \(format.rawValue) (seed \(seed)): \(format.cases) cases: \(figures)")
    }
}

/// The inputs the fuzz mutates, one per importer path.
enum FuzzFormat: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case osmXML = "osm-xml", osmGzip = "osm-gz", pbf, communities, grids, buildings, facilities, csv

    var testDescription: String { rawValue }

    /// Cases per run: about 1,500 launches in all, two minutes on two cores for the debug build.
    var cases: Int {
        switch self {
        case .osmXML, .pbf, .csv: 250
        case .osmGzip: 150
        case .communities, .grids, .buildings, .facilities: 150
        }
    }

    var fileExtension: String {
        switch self {
        case .osmXML: "osm"
        case .osmGzip: "osm.gz"
        case .pbf: "osm.pbf"
        case .communities, .grids, .buildings, .facilities: "geojson"
        case .csv: "csv"
        }
    }

    var command: [String] {
        switch self {
        case .osmXML, .osmGzip, .pbf: ["osm"]
        case .communities, .grids, .buildings, .facilities: ["geojson", "--layer", rawValue]
        case .csv: ["households"]
        }
    }
}

enum ImportFuzz {
    static func seed(_ format: FuzzFormat) -> UInt64 {
        0x15_F022 &+ UInt64(FuzzFormat.allCases.firstIndex(of: format) ?? 0) &* 0x9E37_79B9
    }

    /// The unmutated input of a format: a slice of the demo district (small enough for hundreds of imports),
    /// the demo's GeoJSON and CSV, and a PBF written here with uncompressed blobs so mutations reach the decoder.
    static func baseInput(_ format: FuzzFormat, in directory: URL) throws -> [UInt8] {
        switch format {
        case .osmXML, .osmGzip: return Array(DemoSlice.xml.utf8)
        case .pbf: return DemoSlice.pbf
        case .communities, .grids:
            return Array(try Data(contentsOf: DemoStore.data.appendingPathComponent("\(format.rawValue).geojson")))
        case .buildings, .facilities:
            // The demo store's own export: the property names the importer reads by default.
            let export = try CLI.run(["--db", try DemoStore.base.get().path, "export", format.rawValue, "--bbox", "116.46,39.93,116.468,39.936"])
            guard export.status == 0 else { throw FuzzSetupError(message: export.stderr) }
            return Array(export.stdout.utf8)
        case .csv:
            return Array(try Data(contentsOf: DemoStore.data.appendingPathComponent("households.csv")))
        }
    }

    /// Case `number` of a seeded run: 1–3 mutations of the original.
    static func input(_ format: FuzzFormat, original: [UInt8], seed: UInt64, case number: Int) throws -> ([UInt8], [String]) {
        var random = SplitMix64(seed: seed &+ UInt64(number) &* 0xD1B5_4A32_D192_ED03)
        var bytes = original
        var operations: [String] = []
        let gzipFirst = format == .osmGzip && random.below(2) == 0
        if gzipFirst { bytes = try gzip(bytes) }
        for _ in 0...random.below(3) {
            operations.append(Mutator.mutate(&bytes, text: !(gzipFirst || format == .pbf), format: format, random: &random))
        }
        if format == .osmGzip && !gzipFirst { bytes = try gzip(bytes) }
        return (bytes, (gzipFirst ? ["gzip"] : []) + operations + (format == .osmGzip && !gzipFirst ? ["gzip"] : []))
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let result = try Processes.run("/bin/gzip", ["-c", "-n"], input: Data(bytes))
        guard result.status == 0 else { throw FuzzSetupError(message: "gzip: exit \(result.status): \(result.stderr)") }
        return Array(result.stdoutBytes)
    }
}

struct FuzzSetupError: Error { var message: String }

/// Mutations of text and binary inputs, each described for the failure message.
enum Mutator {
    static let numbers = [
        "1e309", "-1e309", "NaN", "nan", "Infinity", "-Infinity", "inf", "9223372036854775807", "-9223372036854775808",
        "18446744073709551616", "1e308", "4294967297", "2147483648", "-0", "0", "1e-320", "99999999999999999999999", "0x10", "1.5", "-1",
    ]
    static let invalidUTF8: [[UInt8]] = [[0xFF], [0xC3], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0x80]]

    static func mutate(_ bytes: inout [UInt8], text: Bool, format: FuzzFormat, random: inout SplitMix64) -> String {
        let choices = text ? 14 : 6
        switch random.below(choices) {
        case 0:
            guard !bytes.isEmpty else { return "nothing" }
            let at = random.below(bytes.count), bit = random.below(8)
            bytes[at] ^= 1 << UInt8(bit)
            return "flip bit \(bit) at \(at)"
        case 1:
            let at = random.below(bytes.count + 1)
            bytes.removeSubrange(at...)
            return "truncate at \(at)"
        case 2:
            let at = random.below(bytes.count + 1)
            let inserted = (0..<(1 + random.below(8))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            bytes.insert(contentsOf: inserted, at: at)
            return "insert \(inserted.count) random bytes at \(at)"
        case 3:
            guard !bytes.isEmpty else { return "nothing" }
            let at = random.below(bytes.count), count = min(bytes.count - at, 1 + random.below(64))
            bytes.removeSubrange(at..<(at + count))
            return "delete \(count) bytes at \(at)"
        case 4:
            guard !bytes.isEmpty else { return "nothing" }
            let at = random.below(bytes.count), count = min(bytes.count - at, 1 + random.below(200))
            let to = random.below(bytes.count + 1)
            bytes.insert(contentsOf: Array(bytes[at..<(at + count)]), at: to)
            return "duplicate \(count) bytes from \(at) to \(to)"
        case 5:
            // Binary: a byte set to an extreme, or a maximal varint where a small one stood.
            guard !bytes.isEmpty else { return "nothing" }
            let at = random.below(bytes.count)
            if random.below(2) == 0 {
                bytes[at] = [0x00, 0xFF, 0x7F, 0x80][random.below(4)]
                return "set byte \(at) to \(bytes[at])"
            }
            bytes.replaceSubrange(at..<min(bytes.count, at + 1), with: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
            return "maximal varint at \(at)"
        case 6: return replaceNumber(&bytes, random: &random)
        case 7:
            let sequence = invalidUTF8[random.below(invalidUTF8.count)]
            let at = position(after: [UInt8(ascii: "\"")], in: bytes, random: &random) ?? random.below(bytes.count + 1)
            bytes.insert(contentsOf: sequence, at: at)
            return "invalid UTF-8 \(sequence) at \(at)"
        case 8: return deleteOrDuplicateLine(&bytes, random: &random)
        case 9: return format == .csv ? csvQuoting(&bytes, random: &random) : dropAttribute(&bytes, random: &random)
        case 10: return duplicateAttribute(&bytes, random: &random)
        case 11, 12:
            // Well-formed but wrong: the importer's own checks, not the parser's, must catch these.
            switch format {
            case .communities, .grids, .buildings, .facilities: return replaceJSONLeaf(&bytes, random: &random)
            case .osmXML, .osmGzip: return replaceAttributeValue(&bytes, random: &random)
            default: return replaceNumber(&bytes, random: &random)
            }
        default:
            if format == .csv || random.below(2) == 0 { return csvQuoting(&bytes, random: &random) }
            return replaceNumber(&bytes, random: &random)
        }
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    /// A number in the text (digits with sign, point and exponent) replaced by a huge, tiny or non-finite one.
    static func replaceNumber(_ bytes: inout [UInt8], random: inout SplitMix64) -> String {
        let starts = bytes.indices.filter { isDigit(bytes[$0]) && ($0 == 0 || !isDigit(bytes[$0 - 1]) && bytes[$0 - 1] != UInt8(ascii: ".")) }
        guard !starts.isEmpty else { return "nothing" }
        var start = starts[random.below(starts.count)]
        if start > 0 && bytes[start - 1] == UInt8(ascii: "-") { start -= 1 }
        var end = start + 1
        while end < bytes.count, isDigit(bytes[end]) || [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[end]) { end += 1 }
        let replacement = numbers[random.below(numbers.count)]
        bytes.replaceSubrange(start..<end, with: Array(replacement.utf8))
        return "number at \(start) → \(replacement)"
    }

    static func lineRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for (index, byte) in bytes.enumerated() where byte == 0x0A {
            ranges.append(start..<(index + 1))
            start = index + 1
        }
        if start < bytes.count { ranges.append(start..<bytes.count) }
        return ranges
    }

    /// Whole lines: tags, nodes, features or CSV rows deleted or repeated.
    static func deleteOrDuplicateLine(_ bytes: inout [UInt8], random: inout SplitMix64) -> String {
        let lines = lineRanges(bytes)
        guard !lines.isEmpty else { return "nothing" }
        let line = lines[random.below(lines.count)]
        if random.below(2) == 0 {
            bytes.removeSubrange(line)
            return "delete the line at \(line.lowerBound)"
        }
        bytes.insert(contentsOf: Array(bytes[line]), at: line.upperBound)
        return "duplicate the line at \(line.lowerBound)"
    }

    /// ` name="value"` in XML or `"name":` in JSON.
    static func attributes(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: " "), index + 1 < bytes.count, bytes[index + 1] >= UInt8(ascii: "a"), bytes[index + 1] <= UInt8(ascii: "z") {
                var end = index + 1
                while end < bytes.count, bytes[end] != UInt8(ascii: "="), bytes[end] != UInt8(ascii: " "), bytes[end] != UInt8(ascii: ">") { end += 1 }
                if end + 1 < bytes.count, bytes[end] == UInt8(ascii: "="), bytes[end + 1] == UInt8(ascii: "\"") {
                    var close = end + 2
                    while close < bytes.count, bytes[close] != UInt8(ascii: "\"") { close += 1 }
                    if close < bytes.count { ranges.append(index..<(close + 1)); index = close + 1; continue }
                }
            }
            index += 1
        }
        return ranges
    }

    static func dropAttribute(_ bytes: inout [UInt8], random: inout SplitMix64) -> String {
        let found = attributes(bytes)
        if found.isEmpty {
            // JSON: a member's name and value up to the next comma.
            guard let at = position(after: [UInt8(ascii: ",")], in: bytes, random: &random) else { return "nothing" }
            var end = at
            while end < bytes.count, bytes[end] != UInt8(ascii: ","), bytes[end] != UInt8(ascii: "}") { end += 1 }
            bytes.removeSubrange(at..<min(bytes.count, end + 1))
            return "drop the member at \(at)"
        }
        let range = found[random.below(found.count)]
        bytes.removeSubrange(range)
        return "drop the attribute at \(range.lowerBound)"
    }

    static func duplicateAttribute(_ bytes: inout [UInt8], random: inout SplitMix64) -> String {
        let found = attributes(bytes)
        guard !found.isEmpty else { return replaceNumber(&bytes, random: &random) }
        let range = found[random.below(found.count)]
        bytes.insert(contentsOf: Array(bytes[range]), at: range.upperBound)
        return "duplicate the attribute at \(range.lowerBound)"
    }

    /// CSV hazards: stray or unbalanced quotes, a byte-order mark, CRLF line ends, an extra column.
    static func csvQuoting(_ bytes: inout [UInt8], random: inout SplitMix64) -> String {
        switch random.below(5) {
        case 0:
            let at = random.below(bytes.count + 1)
            bytes.insert(UInt8(ascii: "\""), at: at)
            return "quote at \(at)"
        case 1:
            bytes.insert(contentsOf: [0xEF, 0xBB, 0xBF], at: 0)
            return "byte-order mark"
        case 2:
            var converted: [UInt8] = []
            for byte in bytes { if byte == 0x0A { converted.append(0x0D) }; converted.append(byte) }
            bytes = converted
            return "CRLF line ends"
        case 3:
            guard let at = position(after: [UInt8(ascii: ",")], in: bytes, random: &random) else { return "nothing" }
            bytes.insert(contentsOf: Array("\"a,\"\"b\"\"\",".utf8), at: at)
            return "quoted field with a comma at \(at)"
        default:
            guard let at = position(after: [0x0A], in: bytes, random: &random) else { return "nothing" }
            bytes.insert(contentsOf: Array(",,,".utf8), at: at)
            return "empty fields at \(at)"
        }
    }

    static var oddValues: [Any] { [
        1e300, -1, 0, 2.5, 9.3e18, 1e-300, -1e300, "", String(repeating: "x", count: 2000), NSNull(), true, [Any](), [String: Any](),
        "9223372036854775808", "1e309", "NaN", [1e300, 1e300], [[0, 0]], ["type": "Point", "coordinates": [200, 100]],
        "116.46", "０１２３", "\u{0}", "w1",
    ] }

    /// One value anywhere in the JSON replaced by an odd one of another type or size; the text stays valid JSON.
    static func replaceJSONLeaf(_ bytes: inout [UInt8], random: inout SplitMix64) -> String {
        guard let root = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            return replaceNumber(&bytes, random: &random)
        }
        var path: [String] = []
        let value = oddValues[random.below(oddValues.count)]
        let changed = replace(in: root, with: value, depth: 0, path: &path, random: &random)
        guard JSONSerialization.isValidJSONObject(changed),
              let data = try? JSONSerialization.data(withJSONObject: changed, options: [.fragmentsAllowed]) else { return "nothing" }
        bytes = Array(data)
        return "value at \(path.joined(separator: "/")) → \(String(describing: value).prefix(30))"
    }

    static func replace(in node: Any, with value: Any, depth: Int, path: inout [String], random: inout SplitMix64) -> Any {
        // Descend with a bias toward leaves; stop at a random depth.
        if let array = node as? [Any], !array.isEmpty, depth < 8, random.below(6) != 0 {
            var copy = array
            let index = random.below(array.count)
            path.append(String(index))
            copy[index] = replace(in: array[index], with: value, depth: depth + 1, path: &path, random: &random)
            return copy
        }
        if let object = node as? [String: Any], !object.isEmpty, depth < 8, random.below(6) != 0 {
            var copy = object
            let keys = object.keys.sorted()
            let key = keys[random.below(keys.count)]
            path.append(key)
            if random.below(8) == 0 {
                copy[key] = nil
                path.append("(deleted)")
                return copy
            }
            copy[key] = replace(in: object[key] as Any, with: value, depth: depth + 1, path: &path, random: &random)
            return copy
        }
        return value
    }

    static let oddAttributes = [
        "", "-1", "nan", "inf", "1e400", "9223372036854775808", "-9223372036854775809", "180.0000001", "-90.5", "0x1F",
        " 5", "5 ", "1,5", "yes", "9223372036854775807", "2147483648", "relation", "area", "&amp;", "\u{202E}",
    ]

    /// One attribute's value in the XML replaced by an odd one; the XML stays well-formed.
    static func replaceAttributeValue(_ bytes: inout [UInt8], random: inout SplitMix64) -> String {
        let found = attributes(bytes)
        guard !found.isEmpty else { return "nothing" }
        let range = found[random.below(found.count)]
        guard let equals = bytes[range].firstIndex(of: UInt8(ascii: "=")) else { return "nothing" }
        let value = oddAttributes[random.below(oddAttributes.count)]
        bytes.replaceSubrange((equals + 2)..<(range.upperBound - 1), with: Array(value.utf8))
        return "attribute value at \(range.lowerBound) → \"\(value)\""
    }

    /// A random position just after one of `markers`, if any.
    static func position(after markers: [UInt8], in bytes: [UInt8], random: inout SplitMix64) -> Int? {
        let positions = bytes.indices.filter { markers.contains(bytes[$0]) }
        guard !positions.isEmpty else { return nil }
        return positions[random.below(positions.count)] + 1
    }
}
