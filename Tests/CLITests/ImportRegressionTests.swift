import Foundation
import GRDB
import Testing

/// Every OSM and GeoJSON reproducer of ../shared/reliability through the binary, on a copy of the demo store:
/// refused with exit 1, a message naming the place and no SQL, the store unchanged.
@Suite("Import reproducers", .serialized, .enabled(if: ReliabilityFiles.folder != nil, ReliabilityFiles.skipReason))
struct ImportRegressionTests {
    /// Runs `import …` on a fresh copy of the demo store; checks the refusal and that nothing changed.
    func expectRefused(_ file: String, _ command: [String], mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation) throws {
        try expectImportRefused(ReliabilityFiles.path(file), command, mentioning: words, namingPlace: true, label: "\(file): ",
                                sourceLocation: sourceLocation)
    }

    @Test("osm-tag-without-v.osm: refused naming line 5 (it crashed the XML reader)")
    func tagWithoutValue() throws {
        try expectRefused("osm-tag-without-v.osm", ["osm"], mentioning: ["line 5", "<tag>", "no v attribute"])
    }

    @Test("osm-lon-inf.osm: refused naming node 1 and its line")
    func infiniteLongitude() throws {
        try expectRefused("osm-lon-inf.osm", ["osm"], mentioning: ["line 3", "node 1", "lon=\"inf\""])
    }

    @Test("osm-lon-nan.osm: refused naming node 1 and its line")
    func nanLongitude() throws {
        try expectRefused("osm-lon-nan.osm", ["osm"], mentioning: ["line 3", "node 1", "lon=\"nan\""])
    }

    @Test("osm-lon-out-of-range.osm: refused naming node 1 and its line")
    func longitudeOutOfRange() throws {
        try expectRefused("osm-lon-out-of-range.osm", ["osm"], mentioning: ["line 3", "node 1", "−180…180"])
    }

    @Test("pbf-granularity-2147483647-crash.osm.pbf: refused naming the block and node")
    func hugeGranularity() throws {
        try expectRefused("pbf-granularity-2147483647-crash.osm.pbf", ["osm"], mentioning: ["blob #", "granularity 2147483647", "node "])
    }

    @Test("pbf-lon-offset-2pow62-accepted.osm.pbf: refused naming the block and node")
    func hugeOffset() throws {
        try expectRefused("pbf-lon-offset-2pow62-accepted.osm.pbf", ["osm"], mentioning: ["blob #1", "offset 4611686018427387904", "node "])
    }

    @Test("geojson-invalid-utf8-name.geojson: refused naming the feature, property, line and byte offset of the bad byte")
    func invalidUTF8() throws {
        try expectRefused("geojson-invalid-utf8-name.geojson", ["geojson", "--layer", "communities"], mentioning: ["feature 0", "line 2", "byte offset", "UTF-8", "properties.name"])
    }

    /// The one reproducer that is clamped rather than refused: a mistyped level count should not refuse a whole extract.
    @Test("osm-levels-overflow.osm: building:levels clamped to 200 with a warning naming the way")
    func absurdLevels() throws {
        let directory = try TemporaryDirectory()
        let db = try DemoStore.copy(named: "s.sqlite", in: directory.url).path
        let path = ReliabilityFiles.path("osm-levels-overflow.osm")
        let result = try Launch.run(["--db", db, "import", "osm", path, "--json"])
        #expect(!result.signalled && result.status == 0, "\(result.summary): \(result.stderr.suffix(600))")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let examples = try #require(summary["warning_examples"] as? [String])
        #expect(examples.contains { $0.contains("building w1") && $0.contains("counted as 200") }, "\(examples)")
        let queue = try DatabaseQueue(path: db)
        let row = try #require(try queue.read { try Row.fetchOne($0, sql: "SELECT levels, households FROM buildings WHERE source_id = 'w1'") })
        #expect(row["levels"] as Double == 200)
        let households: Int = row["households"]
        #expect(households >= 1 && households <= 1_000_000)
    }
}
