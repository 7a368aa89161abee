import Foundation
import GridStore
import Testing

extension ProtoWriter {
    static func header(required: [String] = ["OsmSchema-V0.6", "DenseNodes"]) -> [UInt8] {
        var block = ProtoWriter()
        for feature in required { block.string(4, feature) }
        block.string(16, "PBFReaderTests")
        return fileBlock("OSMHeader", blob: rawBlob(block.bytes))
    }
}

/// A folder for written test files; it goes when the value does.
private typealias ScratchFolder = TemporaryDirectory

/// Expects a StoreError.badInput whose text names the file and contains every word given.
private func expectPBFRefused(_ path: String, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation) {
    expectUserError(naming: path, mentioning: words, sourceLocation: sourceLocation) { _ = try PBFReader.read(path: path) }
}

@Suite("PBF reader: hand-made files")
struct PBFReaderSyntheticTests {
    /// Plain and dense nodes, 64-bit ids, a non-default granularity with offsets, a way and a relation.
    static func sampleBlock() -> [UInt8] {
        var block = ProtoWriter()
        block.message(1) { table in
            for text in ["", "amenity", "school", "name", "Ωmega", "outer", "highway", "footway"] { table.string(1, text) }
        }
        block.message(2) { group in
            group.message(1) { node in
                node.sint(1, 3_000_000_001)
                node.packed(2, [1, 3])
                node.packed(3, [2, 4])
                node.sint(8, 42_123_456)
                node.sint(9, 7_654_321)
            }
            group.message(1) { node in
                node.sint(1, 5)
                node.sint(8, -12_345_678)
                node.sint(9, -73_456_789)
            }
        }
        block.message(2) { group in
            group.message(2) { dense in
                dense.packedDeltas(1, [10, 11, 1 << 40])
                dense.packedDeltas(8, [1, 2, 3])
                dense.packedDeltas(9, [-1, -2, -3])
                dense.packed(10, [0, 6, 7, 0, 0])
            }
        }
        block.message(2) { group in
            group.message(3) { way in
                way.int(1, 20)
                way.packed(2, [6])
                way.packed(3, [7])
                way.packedDeltas(8, [10, 11, 3_000_000_001])
            }
        }
        block.message(2) { group in
            group.message(4) { relation in
                relation.int(1, 30)
                relation.packed(2, [1])
                relation.packed(3, [2])
                relation.packed(8, [5, 0])
                relation.packedDeltas(9, [20, 10])
                relation.packed(10, [1, 0])
            }
        }
        // Scalars after the groups: the reader must apply them anyway.
        block.int(17, 1000)
        block.int(19, 1_000_000)
        block.int(20, -500)
        return block.bytes
    }

    @Test("raw blobs: nodes, dense nodes, ways, relations, granularity and offsets")
    func decodesSample() throws {
        let folder = try ScratchFolder()
        let path = try folder.write("sample.osm.pbf", ProtoWriter.header() + ProtoWriter.fileBlock("OSMData", blob: ProtoWriter.rawBlob(Self.sampleBlock())))
        let data = try PBFReader.read(path: path)

        #expect(data.nodeCount == 5)
        let ids: [Int64] = [3_000_000_001, 5, 10, 11, 1 << 40]
        #expect(ids.map { data.index(ofNode: $0) } == [0, 1, 2, 3, 4])
        #expect(data.latitudes == [42.124456, -12.344678, 0.001001, 0.001002, 0.001003])
        #expect(data.longitudes == [7.6543205, -73.4567895, -0.0000015, -0.0000025, -0.0000035])
        #expect(data.taggedNodes.map(\.id) == [3_000_000_001, 11])
        #expect(data.taggedNodes.first?.tags == OSMTags([("amenity", "school"), ("name", "Ωmega")]))
        #expect(data.taggedNodes.last?.tags == OSMTags([("highway", "footway")]))

        #expect(data.ways.count == 1)
        #expect(data.ways.first?.id == 20)
        #expect(data.ways.first?.nodeIDs == [10, 11, 3_000_000_001])
        #expect(data.ways.first?.tags == OSMTags([("highway", "footway")]))

        let relation = try #require(data.relations.first)
        #expect(data.relations.count == 1)
        #expect(relation.id == 30)
        #expect(relation.tags == OSMTags([("amenity", "school")]))
        #expect(relation.members.map(\.ref) == [20, 10])
        #expect(relation.members.map(\.kind) == [.way, .node])
        #expect(relation.members.map(\.role) == ["outer", ""])
    }

    @Test("a file with only a header decodes to nothing")
    func headerOnly() throws {
        let folder = try ScratchFolder()
        let data = try PBFReader.read(path: try folder.write("header.osm.pbf", ProtoWriter.header()))
        #expect(data.nodeCount == 0 && data.ways.isEmpty && data.relations.isEmpty)
    }

    @Test("empty, missing, not PBF")
    func notPBF() throws {
        let folder = try ScratchFolder()
        expectPBFRefused(try folder.write("empty.osm.pbf", []), mentioning: ["empty"])
        expectPBFRefused(folder.url.appendingPathComponent("absent.osm.pbf").path, mentioning: ["not found"])
        expectPBFRefused(try folder.write("text.osm.pbf", Array("<?xml version='1.0'?><osm></osm>".utf8)), mentioning: ["not an OSM PBF file", "blob #0", "64 KiB"])
        let dataFirst = ProtoWriter.fileBlock("OSMData", blob: ProtoWriter.rawBlob(Self.sampleBlock()))
        expectPBFRefused(try folder.write("headless.osm.pbf", dataFirst), mentioning: ["OSMHeader"])
    }

    @Test("sizes beyond the format's limits are refused before anything is allocated")
    func hugeSizes() throws {
        let folder = try ScratchFolder()
        expectPBFRefused(try folder.write("huge-header.osm.pbf", [0x7F, 0xFF, 0xFF, 0xFF] + Array(repeating: 0, count: 64)), mentioning: ["blob #0 at byte 0", "64 KiB"])
        let hugeBlob = ProtoWriter.fileBlock("OSMHeader", blob: [], claimedSize: 2_000_000_000)
        expectPBFRefused(try folder.write("huge-blob.osm.pbf", hugeBlob), mentioning: ["blob #0", "2000000000 bytes", "32 MiB"])
        var blob = ProtoWriter()
        blob.uint(2, 1 << 30)
        blob.bytes(3, [0x78, 0x9C, 0x03, 0x00])
        let hugeRaw = ProtoWriter.header() + ProtoWriter.fileBlock("OSMData", blob: blob.bytes)
        expectPBFRefused(try folder.write("huge-raw.osm.pbf", hugeRaw), mentioning: ["blob #1", "raw_size"])
    }

    @Test("a cut file names the blob and its offset")
    func truncated() throws {
        let folder = try ScratchFolder()
        let whole = ProtoWriter.header() + ProtoWriter.fileBlock("OSMData", blob: ProtoWriter.rawBlob(Self.sampleBlock()))
        let headerLength = ProtoWriter.header().count
        for cut in [2, 10, headerLength + 2, headerLength + 9, whole.count - 1] {
            expectPBFRefused(try folder.write("cut-\(cut).osm.pbf", Array(whole.prefix(cut))), mentioning: ["truncated PBF file", "blob #"])
        }
        expectPBFRefused(try folder.write("cut.osm.pbf", Array(whole.dropLast(5))), mentioning: ["blob #1 at byte \(headerLength)"])
    }

    @Test("lzma, lz4 and zstd blobs are refused by name", arguments: [(4, "lzma"), (6, "lz4"), (7, "zstd")])
    func unsupportedCompression(field: Int, name: String) throws {
        let folder = try ScratchFolder()
        var blob = ProtoWriter()
        blob.uint(2, 100)
        blob.bytes(field, Array(repeating: 0x42, count: 20))
        let bytes = ProtoWriter.header() + ProtoWriter.fileBlock("OSMData", blob: blob.bytes)
        expectPBFRefused(try folder.write("\(name).osm.pbf", bytes), mentioning: ["blob #1", "\(name)-compressed", "not support"])
    }

    @Test("required features: history and unknown ones are refused, known ones accepted")
    func requiredFeatures() throws {
        let folder = try ScratchFolder()
        let history = ProtoWriter.header(required: ["OsmSchema-V0.6", "DenseNodes", "HistoricalInformation"])
        expectPBFRefused(try folder.write("history.osh.pbf", history), mentioning: ["HistoricalInformation"])
        let future = ProtoWriter.header(required: ["OsmSchema-V0.6", "Sort.Everything-V2"])
        expectPBFRefused(try folder.write("future.osm.pbf", future), mentioning: ["\"Sort.Everything-V2\"", "does not support"])
        let plain = ProtoWriter.header(required: ["OsmSchema-V0.6"])
        #expect(try PBFReader.read(path: try folder.write("plain.osm.pbf", plain)).nodeCount == 0)
    }

    @Test("damaged block contents are refused, never misread")
    func corruptBlocks() throws {
        let folder = try ScratchFolder()
        func file(_ build: (inout ProtoWriter) -> Void) -> [UInt8] {
            var block = ProtoWriter()
            block.message(1) { $0.string(1, ""); $0.string(1, "k") }
            build(&block)
            return ProtoWriter.header() + ProtoWriter.fileBlock("OSMData", blob: ProtoWriter.rawBlob(block.bytes))
        }
        let badString = file { block in
            block.message(2) { $0.message(3) { way in way.int(1, 1); way.packed(2, [1]); way.packed(3, [9]) } }
        }
        expectPBFRefused(try folder.write("string.osm.pbf", badString), mentioning: ["corrupt PBF file", "blob #1", "string index 9"])
        let shortCoordinates = file { block in
            block.message(2) { $0.message(2) { dense in dense.packedDeltas(1, [1, 2]); dense.packedDeltas(8, [1]); dense.packedDeltas(9, [1]) } }
        }
        expectPBFRefused(try folder.write("dense.osm.pbf", shortCoordinates), mentioning: ["DenseNodes has fewer coordinates than ids"])
        let badMember = file { block in
            block.message(2) { $0.message(4) { relation in relation.int(1, 7); relation.packed(8, [0]); relation.packedDeltas(9, [1]); relation.packed(10, [5]) } }
        }
        expectPBFRefused(try folder.write("member.osm.pbf", badMember), mentioning: ["relation 7", "unknown type 5"])
        let cutMessage = ProtoWriter.header() + ProtoWriter.fileBlock("OSMData", blob: ProtoWriter.rawBlob([0x12, 0x40, 0x08]))
        expectPBFRefused(try folder.write("cut-message.osm.pbf", cutMessage), mentioning: ["corrupt PBF file", "past the end"])
    }

    @Test("positions outside WGS84 and deltas or scales that overflow 64 bits are refused naming the blob and node")
    func impossiblePositions() throws {
        let folder = try ScratchFolder()
        func file(_ build: (inout ProtoWriter) -> Void) -> [UInt8] {
            var block = ProtoWriter()
            block.message(1) { $0.string(1, "") }
            build(&block)
            return ProtoWriter.header() + ProtoWriter.fileBlock("OSMData", blob: ProtoWriter.rawBlob(block.bytes))
        }
        let zigzag = ProtoWriter.zigzag
        let outside = file { block in
            block.message(2) { $0.message(2) { dense in dense.packedDeltas(1, [7]); dense.packedDeltas(8, [0]); dense.packedDeltas(9, [1_800_000_001]) } }
        }
        expectPBFRefused(try folder.write("outside.osm.pbf", outside), mentioning: ["blob #1", "node 7", "longitude", "−180…180"])
        let idOverflow = file { block in
            block.message(2) { $0.message(2) { dense in
                dense.packed(1, [zigzag(Int64.max), zigzag(1)]); dense.packed(8, [0, 0]); dense.packed(9, [0, 0])
            } }
        }
        expectPBFRefused(try folder.write("id-delta.osm.pbf", idOverflow), mentioning: ["blob #1", "DenseNodes.id", "overflows"])
        let scaleOverflow = file { block in
            block.int(17, 2_147_483_647)
            block.message(2) { $0.message(1) { node in node.sint(1, 9); node.sint(8, 1 << 40); node.sint(9, 0) } }
        }
        expectPBFRefused(try folder.write("scale.osm.pbf", scaleOverflow), mentioning: ["blob #1", "node 9", "latitude", "granularity 2147483647"])
        let refOverflow = file { block in
            block.message(2) { $0.message(3) { way in way.int(1, 4); way.packed(8, [zigzag(Int64.min), zigzag(-1)]) } }
        }
        expectPBFRefused(try folder.write("ref-delta.osm.pbf", refOverflow), mentioning: ["blob #1", "Way.refs of way 4", "overflows"])
    }
}

@Suite("PBF reader: real extracts", .enabled(if: SharedData.available, SharedData.skipReason))
struct PBFReaderTests {
    static let files = [
        "bench_andorra_2021-04-13.osm.pbf",
        "bench_liechtenstein_2015-07-27.osm.pbf",
        "dense_monaco_2021-04-19.osm.pbf",
        "dense_helsinki_centre_2019.osm.pbf",
        "dense_sao_paulo_centre_2020.osm.pbf",
    ]

    static func firstMismatch<T>(_ a: [T], _ b: [T], _ same: (T, T) -> Bool) -> Int? {
        if a.count != b.count { return min(a.count, b.count) }
        return a.indices.first { !same(a[$0], b[$0]) }
    }

    @Test("the same OSMData as libreadosm", arguments: files)
    func matchesLibreadosm(_ file: String) throws {
        let path = SharedData.path(file)
        let expected = try OSMReader.read(path: path, libreadosm: true)
        let actual = try PBFReader.read(path: path)

        #expect(actual.nodeCount == expected.nodeCount)
        #expect(actual.duplicateNodeCount == expected.duplicateNodeCount)
        // Equal id → position maps and equal coordinate arrays: every node, in file order, bit for bit.
        #expect(actual.nodeIDs == expected.nodeIDs)
        #expect(Self.firstMismatch(actual.longitudes, expected.longitudes, ==) == nil)
        #expect(Self.firstMismatch(actual.latitudes, expected.latitudes, ==) == nil)
        #expect(actual.taggedNodes.count == expected.taggedNodes.count)
        #expect(Self.firstMismatch(actual.taggedNodes, expected.taggedNodes) { $0.id == $1.id && $0.tags == $1.tags } == nil)

        #expect(actual.ways.count == expected.ways.count)
        #expect(Self.firstMismatch(actual.ways, expected.ways) { $0.id == $1.id && $0.nodeIDs == $1.nodeIDs && $0.tags == $1.tags } == nil)

        #expect(actual.relations.count == expected.relations.count)
        let sameRelation: (OSMRelation, OSMRelation) -> Bool = { a, b in
            a.id == b.id && a.tags == b.tags
                && Self.firstMismatch(a.members, b.members) { $0.kind == $1.kind && $0.ref == $1.ref && $0.role == $1.role } == nil
        }
        #expect(Self.firstMismatch(actual.relations, expected.relations, sameRelation) == nil)
    }

    @Test("ids above 2^31 survive (São Paulo)")
    func largeIDs() throws {
        let data = try PBFReader.read(path: SharedData.path("dense_sao_paulo_centre_2020.osm.pbf"))
        #expect(data.nodeIDs.contains { $0 > Int64(Int32.max) })
        #expect(data.ways.contains { way in way.nodeIDs.contains { $0 > Int64(Int32.max) } })
    }

    @Test("progress is reported every ~100k objects, with growing counts")
    func progress() throws {
        final class Calls: @unchecked Sendable {
            private let lock = NSLock()
            private var totals: [Int] = []
            func append(_ total: Int) { lock.withLock { totals.append(total) } }
            var seen: [Int] { lock.withLock { totals } }
        }
        let calls = Calls()
        let data = try PBFReader.read(path: SharedData.path("bench_andorra_2021-04-13.osm.pbf")) { nodes, ways, relations in
            calls.append(nodes + ways + relations)
        }
        let seen = calls.seen
        #expect(seen.count >= 2)
        #expect(seen == seen.sorted())
        #expect((seen.last ?? 0) <= data.nodeCount + data.ways.count + data.relations.count)
    }

    @Test("Monaco cut at 200 kB: truncated, with blob number and offset")
    func truncatedMonaco() throws {
        let folder = try ScratchFolder()
        let whole = try Data(contentsOf: URL(fileURLWithPath: SharedData.path("dense_monaco_2021-04-19.osm.pbf")))
        let path = try folder.write("monaco-cut.osm.pbf", Array(whole.prefix(200_000)))
        expectPBFRefused(path, mentioning: ["truncated PBF file", "blob #", "at byte", "nothing was imported"])
    }

    @Test("Monaco with damaged zlib data in the middle")
    func corruptZlib() throws {
        let folder = try ScratchFolder()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: SharedData.path("dense_monaco_2021-04-19.osm.pbf"))))
        let middle = bytes.count / 2
        for offset in middle..<(middle + 16) { bytes[offset] ^= 0x5A }
        expectPBFRefused(try folder.write("monaco-bad.osm.pbf", bytes), mentioning: ["corrupt PBF file", "blob #", "at byte", "zlib"])
    }

    @Test("Monaco whose first header claims a huge size")
    func hugeHeaderMonaco() throws {
        let folder = try ScratchFolder()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: SharedData.path("dense_monaco_2021-04-19.osm.pbf"))))
        bytes.replaceSubrange(0..<4, with: [0x7F, 0xFF, 0xFF, 0xF0])
        expectPBFRefused(try folder.write("monaco-huge.osm.pbf", bytes), mentioning: ["blob #0 at byte 0", "2147483632 bytes", "64 KiB"])
    }
}
