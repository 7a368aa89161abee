import Foundation
import GridReportFiles
import Testing

/// `tiles seed` against the real server: every tile in the MBTiles file is, once gunzipped, the very bytes
/// `communitygrid serve` answers at that address (and decodes with mapbox-vector-tile to the same layers), and every
/// tile the server draws with a feature over the seeded box is in the file.
@Suite("tiles seed", .serialized)
struct TileSeedCLITests {
    /// Reads the MBTiles file, asks the server for every tile over its bounds (`ring` tiles further round: 1 when the
    /// bounds are the data's, where nothing may lie outside; 0 for a given box, where the data goes on), and compares.
    static let script = """
        import gzip, json, math, sqlite3, sys, urllib.request, mapbox_vector_tile
        path, base, suffix, ring = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
        db = sqlite3.connect(path)
        meta = dict(db.execute('SELECT name, value FROM metadata'))
        stored = {}
        for z, x, row, data in db.execute('SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles'):
            stored[(z, x, (1 << z) - 1 - row)] = data
        def world(lon, lat):
            s = math.sin(lat * math.pi / 180)
            return (lon + 180) / 360, 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)
        west, south, east, north = map(float, meta['bounds'].split(','))
        (x0, y0), (x1, y1) = world(west, north), world(east, south)
        out = {'stored': len(stored), 'checked': 0, 'nonempty': 0, 'mismatch': [], 'missing': [], 'empty_written': [], 'extra': [],
               'meta': {k: meta.get(k) for k in ['format', 'minzoom', 'maxzoom', 'datum', 'type']},
               'layers': [l['id'] for l in json.loads(meta['json'])['vector_layers']], 'merged_at_min': 0, 'features': 0}
        seen = set()
        for z in range(int(meta['minzoom']), int(meta['maxzoom']) + 1):
            n = 1 << z
            b = 64 / 4096
            xs = range(max(0, math.floor(x0 * n - b) - ring), min(n - 1, math.floor(x1 * n + b) + ring) + 1)
            ys = range(max(0, math.floor(y0 * n - b) - ring), min(n - 1, math.floor(y1 * n + b) + ring) + 1)
            for y in ys:
                for x in xs:
                    seen.add((z, x, y))
                    served = urllib.request.urlopen(f'{base}/tiles/WebMercatorQuad/{z}/{y}/{x}{suffix}').read()
                    out['checked'] += 1
                    if not served:
                        if (z, x, y) in stored: out['empty_written'].append([z, x, y])
                        continue
                    out['nonempty'] += 1
                    if (z, x, y) not in stored:
                        out['missing'].append([z, x, y]); continue
                    seeded = gzip.decompress(stored[(z, x, y)])
                    a, c = mapbox_vector_tile.decode(seeded), mapbox_vector_tile.decode(served)
                    if seeded != served or a != c: out['mismatch'].append([z, x, y])
                    out['features'] += sum(len(l['features']) for l in a.values())
                    if z == int(meta['minzoom']):
                        out['merged_at_min'] += sum(f['properties']['buildings'] for f in a.get('buildings', {}).get('features', []) if 'buildings' in f['properties'])
        out['extra'] = [list(k) for k in stored if k not in seen]
        # The layers' fields are those the TileJSON document lists (the merged cells' and the area figures' among them).
        served_layers = json.load(urllib.request.urlopen(f'{base}/tiles/WebMercatorQuad/tilejson{suffix}'))['vector_layers']
        seeded_fields = {l['id']: l['fields'] for l in json.loads(meta['json'])['vector_layers']}
        out['fields_differ'] = [l['id'] for l in served_layers if l['id'] in seeded_fields and l['fields'] != seeded_fields[l['id']]]
        out['grid_fields'] = sorted(seeded_fields.get('grids', {}))
        print(json.dumps(out))
        """

    static let python = Python.withModule("mapbox_vector_tile")

    static func compare(_ mbtiles: String, base: String, suffix: String = "", ring: Int = 1) throws -> [String: Any] {
        let result = try Processes.run(python!.hasPrefix("/") ? python! : "/usr/bin/env",
                                       (python!.hasPrefix("/") ? [] : [python!]) + ["-c", script, mbtiles, base, suffix, String(ring)])
        try #require(result.status == 0, "\(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    static func expectSame(_ outcome: [String: Any], _ label: String,
                           layers: [String] = ["communities", "grids", "buildings", "facilities", "network"]) {
        for key in ["mismatch", "missing", "empty_written", "extra", "fields_differ"] {
            #expect((outcome[key] as? [Any])?.isEmpty == true, "\(label): \(key) \(outcome[key] ?? "")")
        }
        #expect(outcome["stored"] as? Int == outcome["nonempty"] as? Int, "\(label): \(outcome)")
        #expect(outcome["layers"] as? [String] == layers)
        #expect((outcome["meta"] as? [String: Any])?["format"] as? String == "pbf")
    }

    @Test("the demo district seeded at zooms 10 to 16 is the server's tile set, byte for byte, low zooms merging small buildings")
    func demoDistrict() throws {
        guard Self.python != nil else { print("skipped: python3 with mapbox-vector-tile is not installed"); return }
        let served = try ServedStore()
        let out = served.directory.path("demo.mbtiles")
        let result = try CLI.run(["--db", served.db, "tiles", "seed", "--out", out, "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let outcome = try Self.compare(out, base: served.base)
        Self.expectSame(outcome, "demo")
        #expect(outcome["stored"] as? Int == summary["tiles"] as? Int)
        #expect((outcome["stored"] as? Int ?? 0) > 40, "\(outcome)")
        // Buildings merged into cells at zoom 10 (cells of 16 pixels: a handful over the district, holding most buildings).
        #expect((outcome["merged_at_min"] as? Int ?? 0) > 100, "zoom 10 merges the district's small buildings: \(outcome)")
        #expect((outcome["meta"] as? [String: Any])?["minzoom"] as? String == "10")
        // Grid tiles carry the latest run's figures for their area, and the metadata lists them.
        let gridFields = outcome["grid_fields"] as? [String] ?? []
        #expect(gridFields.contains("coverage_households") && gridFields.contains { $0.hasPrefix("coverage_share_") }, "\(gridFields)")
        // Only the output is left in the folder: the temporary file was renamed onto it.
        let left = try FileManager.default.contentsOfDirectory(atPath: served.directory.url.path).filter { $0.contains("mbtiles") }
        #expect(left == ["demo.mbtiles"], "\(left)")
    }

    @Test("Wudaokou from OpenStreetMap seeded in GCJ-02 over a box is the server's ?datum=gcj02 tile set",
          .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
    func wudaokou() throws {
        guard Self.python != nil else { print("skipped: python3 with mapbox-vector-tile is not installed"); return }
        let directory = try TemporaryDirectory()
        let db = directory.path("wudaokou.sqlite")
        for arguments in [["init"], ["import", "osm", SharedData.geodata!.appendingPathComponent("cn_beijing_haidian_wudaokou_2017.osm").path], ["coverage"]] {
            let result = try CLI.run(["--db", db] + arguments)
            try #require(result.status == 0, "\(arguments): \(result.stderr)")
        }
        let server = try SeedTestServer(db: db)
        let out = directory.path("wudaokou.mbtiles")
        let result = try CLI.run(["--db", db, "tiles", "seed", "--min-zoom", "12", "--max-zoom", "17", "--bbox", "116.330,39.995,116.340,40.002",
                                  "--datum", "gcj02", "--out", out])
        try #require(result.status == 0, "\(result.stderr)")
        let outcome = try Self.compare(out, base: server.base, suffix: "?datum=gcj02", ring: 0)
        Self.expectSame(outcome, "wudaokou")
        #expect((outcome["meta"] as? [String: Any])?["datum"] as? String == "gcj02")
        #expect((outcome["features"] as? Int ?? 0) > 1000, "\(outcome)")
    }

    @Test("--layers buildings seeds the buildings collection's tiles, byte for byte, over the buildings' box")
    func buildingsOnly() throws {
        guard Self.python != nil else { print("skipped: python3 with mapbox-vector-tile is not installed"); return }
        let served = try ServedStore()
        let out = served.directory.path("buildings.mbtiles")
        let result = try CLI.run(["--db", served.db, "tiles", "seed", "--layers", "buildings", "--out", out, "--json"])
        try #require(result.status == 0, "\(result.stderr)")
        let outcome = try Self.compare(out, base: served.base + "/collections/buildings")
        Self.expectSame(outcome, "buildings", layers: ["buildings"])
        #expect((outcome["stored"] as? Int ?? 0) > 40, "\(outcome)")
        let refused = try CLI.run(["--db", served.db, "tiles", "seed", "--layers", "buildings,roads", "--out", out])
        #expect(refused.status == 1 && refused.stderr.contains("--layers") && refused.stderr.contains("roads"), "\(refused.stderr)")
    }

    @Test("serve --tiles answers the seeded tiles while the store is unchanged, and draws them again once it changes")
    func servedFromSeeded() throws {
        guard Self.python != nil else { print("skipped: python3 with mapbox-vector-tile is not installed"); return }
        let directory = try TemporaryDirectory()
        let db = try DemoStore.copy(named: "demo.sqlite", in: directory.url).path
        let out = directory.path("demo.mbtiles")
        let seeded = try CLI.run(["--db", db, "tiles", "seed", "--max-zoom", "15", "--out", out])
        try #require(seeded.status == 0, "\(seeded.stderr)")
        // Every tile the seeding-backed server answers is the one a drawing server answers, over the file and round it.
        do {
            let fromFile = try SeedTestServer(db: db, arguments: ["--tiles", out])
            let drawing = try SeedTestServer(db: db)
            let outcome = try Self.compare(out, base: fromFile.base)
            Self.expectSame(outcome, "served from the file")
            let again = try Self.compare(out, base: drawing.base)
            Self.expectSame(again, "drawn")
            #expect(!fromFile.log.contains("changed since"), "\(fromFile.log)")
            // Where it listens is not an error, and is not labelled one.
            #expect(fromFile.log.contains("\nserving ") || fromFile.log.hasPrefix("serving "), "\(fromFile.log)")
            #expect(!fromFile.log.contains("error:"), "\(fromFile.log)")
        }
        // A new coverage run changes what the buildings carry: the file is no longer answered.
        let coverage = try CLI.run(["--db", db, "coverage"])
        try #require(coverage.status == 0, "\(coverage.stderr)")
        let stale = try SeedTestServer(db: db, arguments: ["--tiles", out])
        #expect(stale.log.contains("warning: the store changed since") && !stale.log.contains("error: warning"), "\(stale.log)")
        let outcome = try Self.compare(out, base: stale.base)
        #expect((outcome["mismatch"] as? [Any])?.isEmpty == false, "the tiles of the new run differ from the seeded ones: \(outcome)")
        // A file that is not MBTiles is refused at start.
        let bad = try CLI.run(["--db", db, "serve", "--port", "0", "--tiles", directory.path("none.mbtiles")])
        #expect(bad.status != 0 && bad.stderr.contains("--tiles"), "\(bad.stderr)")
    }

    @Test("bad zooms, boxes, datums and output paths are refused with exit 1, naming the option, and write nothing")
    func refusals() throws {
        let directory = try TemporaryDirectory()
        let db = directory.path("empty.sqlite")
        #expect(try CLI.run(["--db", db, "init"]).status == 0)
        let out = directory.path("t.mbtiles")
        for (arguments, option) in [
            (["--min-zoom", "17", "--max-zoom", "16"], "--min-zoom"),
            (["--max-zoom", "25"], "--max-zoom"),
            (["--min-zoom", "-1"], "--min-zoom"),
            (["--bbox", "116.3,39.9,116.4"], "--bbox"),
            (["--bbox", "116.4,39.9,116.3,40.0"], "--bbox"),
            (["--bbox", "0,-89,10,0"], "--bbox"),
            (["--datum", "bd09"], "--datum"),
            (["--max-zoom", "24", "--bbox", "100,20,120,40"], "--max-zoom"),
        ] {
            let result = try CLI.run(["--db", db, "tiles", "seed", "--out", out] + arguments)
            #expect(result.status == 1 && result.stderr.contains(option), "\(arguments): \(result.status) \(result.stderr)")
        }
        for bad in ["/nonexistent/dir/t.mbtiles", directory.path("t.txt"), directory.url.path + "/"] {
            let result = try CLI.run(["--db", db, "tiles", "seed", "--out", bad])
            #expect(result.status == 1 && result.stderr.contains("--out"), "\(bad): \(result.stderr)")
        }
        // An empty store has nothing to draw.
        let empty = try CLI.run(["--db", db, "tiles", "seed", "--out", out])
        #expect(empty.status == 1 && empty.stderr.contains("no features"), "\(empty.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.url.path).allSatisfy { !$0.contains("mbtiles") })
    }

    @Test("a seeding stopped by SIGTERM or SIGKILL leaves no output file, and SIGTERM removes the temporary one")
    func interrupted() throws {
        let directory = try TemporaryDirectory()
        let base = try DemoStore.copy(named: "demo.sqlite", in: directory.url)
        for sig in [SIGTERM, SIGKILL] {
            let out = directory.path("stopped.mbtiles")
            let process = Process()
            process.executableURL = CLI.binary
            process.arguments = ["--db", base.path, "tiles", "seed", "--max-zoom", "19", "--out", out]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try CLI.launch(process)
            // Stop it once the temporary file exists, while it is drawing.
            var partial: String?
            for _ in 0..<2000 where partial == nil && process.isRunning {
                partial = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).first { $0.hasPrefix(".stopped.mbtiles.partial-") }
                if partial == nil { Thread.sleep(forTimeInterval: 0.005) }
            }
            try #require(partial != nil, "the seeding never wrote its temporary file")
            kill(process.processIdentifier, sig)
            process.waitUntilExit()
            #expect(!FileManager.default.fileExists(atPath: out), "signal \(sig): \(out) exists")
            if sig == SIGTERM {
                #expect(process.terminationStatus == 1)
                #expect(!FileManager.default.fileExists(atPath: directory.path(partial!)), "SIGTERM left \(partial!)")
            }
            let left = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasPrefix(".stopped") }
            for name in left { try FileManager.default.removeItem(atPath: directory.path(name)) }
        }
    }
}

/// `communitygrid serve` on a given store, on a free port of 127.0.0.1.
final class SeedTestServer {
    let process = Process()
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    /// The server's standard error, read on a thread of its own to its end.
    private let errors: ChildOutput
    /// What the server wrote to its standard error so far.
    var log: String { errors.text }

    init(db: String, arguments: [String] = []) throws {
        process.executableURL = CLI.binary
        process.arguments = ["--db", db, "serve", "--port", "0"] + arguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        try CLI.launch(process)
        errors = ChildOutput(pipe, name: "seed-server-stderr")
        var found: Int?
        for _ in 0..<400 where found == nil && process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            let text = errors.text
            if let range = text.range(of: #"127\.0\.0\.1:[0-9]+/ \(map page\)"#, options: .regularExpression) {
                found = Int(text[range].dropFirst("127.0.0.1:".count).prefix { $0.isNumber })
            }
        }
        guard let found else {
            process.terminate()
            process.waitUntilExit()
            throw ServedStore.ServeError.setup("the server did not start: \(errors.text)")
        }
        port = found
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
