import Foundation
import GridStore
import Testing

/// Broken files get an error naming the file and the problem, and the store stays exactly as it was.
@Suite("OSM import: bad input")
struct OSMBadInputTests {
    func expectRefused(_ temporary: TemporaryStore, _ path: String, mentioning words: [String],
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        try temporary.expectRefused(path, mentioning: words, sourceLocation: sourceLocation) { _ = try OSMImporter.run(store: $0, path: path) }
    }

    func seeded() throws -> TemporaryStore {
        let temporary = try TemporaryStore()
        _ = try OSMImporter.run(store: temporary.store, path: try temporary.file("small.osm", OSMFixtures.small))
        return temporary
    }

    @Test("malformed XML: the error gives the line")
    func malformedXML() throws {
        let temporary = try seeded()
        var lines = OSMFixtures.small.components(separatedBy: "\n")
        lines[12] = "  <node id=\"77\" lat=\"39.9\" lon=\"116.3\"><tag k=\"a\" v=\"b\"></node>"
        try expectRefused(temporary, try temporary.file("broken.osm", lines.joined(separator: "\n")), mentioning: ["malformed OSM XML", "line 13"])
    }

    @Test("XML cut off in the middle")
    func truncatedXML() throws {
        let temporary = try seeded()
        let text = String(OSMFixtures.small.prefix(OSMFixtures.small.count / 2))
        try expectRefused(temporary, try temporary.file("cut.osm", text), mentioning: ["malformed OSM XML"])
    }

    @Test("an empty file and a file that is not OSM")
    func notOSM() throws {
        let temporary = try seeded()
        try expectRefused(temporary, try temporary.file("empty.osm", ""), mentioning: ["empty"])
        try expectRefused(temporary, try temporary.file("data.pbf", "id,name\n1,x\n"), mentioning: ["not an OpenStreetMap file"])
        try expectRefused(temporary, temporary.directory.appendingPathComponent("absent.osm").path, mentioning: ["not found"])
    }

    @Test("corrupt gzip stream")
    func corruptGzip() throws {
        let temporary = try seeded()
        var bytes = Data([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 0x03])
        bytes.append(Data(repeating: 0xAB, count: 300))
        try expectRefused(temporary, try temporary.file("bad.osm.gz", bytes: bytes), mentioning: ["gzip"])
    }

    @Test("a PBF cut at 200 kB is refused and nothing it delivered is kept", .enabled(if: SharedData.available, SharedData.skipReason))
    func truncatedPBF() throws {
        let temporary = try seeded()
        let whole = try Data(contentsOf: URL(fileURLWithPath: SharedData.path("dense_monaco_2021-04-19.osm.pbf")))
        let path = try temporary.file("monaco-cut.osm.pbf", bytes: whole.prefix(200_000))
        try expectRefused(temporary, path, mentioning: ["truncated PBF", "nothing was imported"])
    }
}
