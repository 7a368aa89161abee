import Foundation
import GridModel
import Testing

@Suite("Command line: coordinate systems")
struct LayerCRSCLITests {
    @Test("Gauss–Krüger metres without --crs exit 1 with the command to re-run; that command imports; export --crs gives the numbers back")
    func rerunCommand() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("s.sqlite")
        #expect(try CLI.run(["--db", db, "init"]).status == 0)
        // A community of 1 km² in CGCS2000 3° Gauss–Krüger zone 39 (Haidian), as a bureau's file has it.
        let ring = [[39_441_000.125, 4_428_000.5], [39_442_000.25, 4_428_000.5], [39_442_000.25, 4_429_000.75],
                    [39_441_000.125, 4_429_000.75], [39_441_000.125, 4_428_000.5]]
        let positions = ring.map { "[\($0[0]),\($0[1])]" }.joined(separator: ",")
        let file = directory.path("community.geojson")
        try Data("""
            {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"110108001001","name":"五道口社区"},
             "geometry":{"type":"Polygon","coordinates":[[\(positions)]]}}]}
            """.utf8).write(to: URL(fileURLWithPath: file))
        let refused = try CLI.run(["--db", db, "import", "geojson", file, "--layer", "communities"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("likely EPSG:4527") && refused.stderr.contains("ogr2ogr -s_srs EPSG:4527 -t_srs EPSG:4326"))
        let command = try #require(refused.stderr.components(separatedBy: "Re-run: ").last?.components(separatedBy: " (or reproject").first)
        let words = command.split(separator: " ").map(String.init)
        #expect(words.prefix(3) == ["communitygrid", "--db", db] && words.suffix(2) == ["--crs", "EPSG:4527"])
        let imported = try CLI.run(Array(words.dropFirst()))
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("coordinates read as EPSG:4527 (--crs)"))

        let exported = try CLI.run(["--db", db, "export", "communities", "--crs", "EPSG:4527"])
        #expect(exported.status == 0)
        #expect(exported.stdout.contains("urn:ogc:def:crs:EPSG::4527"))
        guard case .object(let top) = try GeoJSON.parseDocument(Data(exported.stdout.utf8)).value,
              let coordinates = top["features"]?.arrayValue?.first?["geometry"]?["coordinates"]?.arrayValue?.first?.arrayValue?.first?.arrayValue else {
            Issue.record("export has no polygon: \(exported.stdout)")
            return
        }
        let out = coordinates.compactMap { $0.arrayValue?.compactMap(\.doubleValue) }
        #expect(out.count == ring.count)
        // Exterior rings come back counter-clockwise as they went in; every position within 1 mm.
        for (a, b) in zip(out, ring) { #expect(abs(a[0] - b[0]) < 0.001 && abs(a[1] - b[1]) < 0.001, "\(a) vs \(b)") }

        let unknown = try CLI.run(["--db", db, "export", "communities", "--crs", "mars"])
        #expect(unknown.status == 1 && unknown.stderr.contains("--crs"))
        let notInPROJ = try CLI.run(["--db", db, "export", "communities", "--crs", "EPSG:999999"])
        #expect(notInPROJ.status == 1 && notInPROJ.stderr.contains("EPSG:999999"))
    }
}
