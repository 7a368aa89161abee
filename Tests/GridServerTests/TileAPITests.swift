import Foundation
import GRDB
import GridAnalysis
import GridModel
import GridServer
import GridServices
import GridStore
import GridTiles
import Hummingbird
import HummingbirdTesting
import Testing

/// Vector tiles read back with mapbox-vector-tile (PyPI) and compared feature by feature with the items endpoint
/// over the same box: the same features, the same properties, and outlines whose every vertex is one of the
/// store's vertices projected (simplification only removes vertices) to within the rounding of the tile grid.
enum TileCheck {
    static let script = """
        import json, sys, mapbox_vector_tile
        tile = mapbox_vector_tile.decode(open(sys.argv[1], 'rb').read(), default_options={'y_coord_down': True})
        print(json.dumps({name: {'extent': layer['extent'], 'features': [
            {'id': f.get('id'), 'properties': f['properties'], 'type': f['geometry']['type'], 'coordinates': f['geometry']['coordinates']}
            for f in layer['features']]} for name, layer in tile.items()}))
        """

    static let python = Python.withModule("mapbox_vector_tile")
    static let skipReason = "skipped: python3 with mapbox-vector-tile is not installed (scripts/setup.sh installs it)"

    static func decode(_ bytes: [UInt8]) throws -> [String: Any] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-\(UUID().uuidString).mvt")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (status, output) = try Python.run(python!, ["-c", script, file.path])
        guard status == 0, let object = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any] else {
            Issue.record("mapbox-vector-tile failed (\(status)): \(output.prefix(2000))")
            return [:]
        }
        return object
    }

    /// Web Mercator written out here, apart from the server's code: tile units of tile (z, x, y) at extent 4096.
    static func project(_ lon: Double, _ lat: Double, z: Int, x: Int, y: Int) -> (Double, Double) {
        let n = Double(1 << z)
        let sine = sin(lat * .pi / 180)
        let worldY = 0.5 - log((1 + sine) / (1 - sine)) / (4 * .pi)
        return (((lon + 180) / 360 * n - Double(x)) * 4096, (worldY * n - Double(y)) * 4096)
    }

    static func unproject(_ px: Double, _ py: Double, z: Int, x: Int, y: Int) -> (Double, Double) {
        let n = Double(1 << z)
        let lon = (Double(x) + px / 4096) / n * 360 - 180
        let lat = atan(sinh(.pi * (1 - 2 * (Double(y) + py / 4096) / n))) * 180 / .pi
        return (lon, lat)
    }

    /// Every position in a GeoJSON or decoded coordinates array.
    static func positions(_ value: Any?) -> [(Double, Double)] {
        guard let array = value as? [Any] else { return [] }
        if array.count == 2, let a = array[0] as? Double, let b = array[1] as? Double { return [(a, b)] }
        if array.count == 2, let a = array[0] as? Int, let b = array[1] as? Int { return [(Double(a), Double(b))] }
        return array.flatMap { positions($0) }
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    struct Outcome { var tileFeatures = 0; var compared = 0; var insideCompared = 0 }

    /// Compares one decoded layer with the items the endpoint gives over the tile's buffered box.
    /// `items` must be in the datum the tile was drawn in.
    static func compare(layer: [String: Any]?, items: [[String: Any]], z: Int, x: Int, y: Int, pointLayer: Bool) throws -> Outcome {
        var outcome = Outcome()
        // Cells of merged small buildings carry no id; `householdSums` checks them against the store.
        let features = ((layer?["features"] as? [[String: Any]]) ?? []).filter { ($0["properties"] as? [String: Any])?["buildings"] == nil }
        outcome.tileFeatures = features.count
        var byID: [Int: [String: Any]] = [:]
        for item in items { if let id = item["id"] as? Int { byID[id] = item } }
        var seen = Set<Int>()
        let pixel = 8.0
        for feature in features {
            let id = try #require(feature["id"] as? Int)
            seen.insert(id)
            guard let item = byID[id] else { Issue.record("tile feature \(id) is not among the items over the tile"); continue }
            outcome.compared += 1
            // Properties: every non-null item property, with the same value; nothing else.
            var tileProperties = feature["properties"] as? [String: Any] ?? [:]
            if z < TileLayerSource.requirementSumsBelowZoom {
                // A building drawn on its own at low zoom also carries its households meeting each requirement, as a
                // cell does (`householdSums` checks them against the store).
                tileProperties = tileProperties.filter { !$0.key.hasPrefix("households_met_") }
            }
            let itemProperties = (item["properties"] as? [String: Any] ?? [:]).filter { !($0.value is NSNull) }
            #expect(Set(tileProperties.keys) == Set(itemProperties.keys), "feature \(id) properties")
            for (key, value) in itemProperties {
                let tileValue = tileProperties[key]
                if let text = value as? String {
                    #expect(tileValue as? String == text, "feature \(id) \(key)")
                } else if let number = (value as? NSNumber)?.doubleValue {
                    // Booleans compare as 0 and 1 on both sides.
                    #expect(abs(((tileValue as? NSNumber)?.doubleValue ?? .nan) - number) < 1e-9, "feature \(id) \(key)")
                } else {
                    Issue.record("feature \(id) \(key): unexpected value \(value)")
                }
            }
            // Geometry: each vertex is a store vertex projected, to within the rounding of the grid.
            let original = positions((item["geometry"] as? [String: Any])?["coordinates"]).map { project($0.0, $0.1, z: z, x: x, y: y) }
            let inside = original.allSatisfy { $0.0 >= 0 && $0.0 <= 4096 && $0.1 >= 0 && $0.1 <= 4096 }
            guard inside else { continue }
            outcome.insideCompared += 1
            for (px, py) in positions(feature["coordinates"]) {
                let nearest = original.map { hypot($0.0 - px, $0.1 - py) }.min() ?? .infinity
                #expect(nearest <= 0.75, "feature \(id): vertex (\(px), \(py)) is \(nearest) units from every store vertex")
            }
            if (item["geometry"] as? [String: Any])?["type"] as? String == "MultiPolygon" {
                #expect(["Polygon", "MultiPolygon"].contains(feature["type"] as? String ?? ""))
            }
        }
        // Items wholly inside the tile and larger than two pixels are all there.
        for item in items {
            guard let id = item["id"] as? Int, !seen.contains(id) else { continue }
            let original = positions((item["geometry"] as? [String: Any])?["coordinates"]).map { project($0.0, $0.1, z: z, x: x, y: y) }
            let xs = original.map(\.0), ys = original.map(\.1)
            guard let minX = xs.min(), let maxX = xs.max(), let minY = ys.min(), let maxY = ys.max(),
                  minX >= 0, maxX <= 4096, minY >= 0, maxY <= 4096 else { continue }
            if pointLayer, z < 14 {
                // Thinned: a facility of the same category is drawn in its cell of 32 units.
                let category = (item["properties"] as? [String: Any])?["category"] as? String
                let cell = (Int(minX) / 32, Int(minY) / 32)
                let kept = features.contains { feature in
                    guard (feature["properties"] as? [String: Any])?["category"] as? String == category,
                          let p = positions(feature["coordinates"]).first else { return false }
                    return (Int(p.0) / 32, Int(p.1) / 32) == cell
                }
                if !kept { Issue.record("facility \(id) lies inside tile \(z)/\(y)/\(x) and no facility of its category is in its cell") }
            } else if pointLayer || (maxX - minX >= 2 * pixel && maxY - minY >= 2 * pixel) {
                Issue.record("feature \(id) lies inside tile \(z)/\(y)/\(x) but is not in it")
            }
        }
        return outcome
    }

    /// The tile holding a position.
    static func tile(containing lon: Double, _ lat: Double, z: Int) -> (Int, Int) {
        let (px, py) = project(lon, lat, z: z, x: 0, y: 0)
        return (Int(px / 4096), Int(py / 4096))
    }

    /// The tile's box grown by its buffer (64 of 4096 units), west, south, east, north.
    static func bufferedBox(z: Int, x: Int, y: Int) -> [Double] {
        let (west, north) = unproject(-64, -64, z: z, x: x, y: y)
        let (east, south) = unproject(4160, 4160, z: z, x: x, y: y)
        return [west, south, east, north]
    }

    /// The items with the properties their tiles add: the coverage run, the households and per level and requirement
    /// the share and the households meeting it, as the area's /coverage row gives them.
    static func withCoverageFigures(_ items: [[String: Any]], coverage: [String: Any], rows key: String) throws -> [[String: Any]] {
        var rows: [String: [String: Any]] = [:]
        for row in coverage[key] as? [[String: Any]] ?? [] { if let code = row["code"] as? String { rows[code] = row } }
        return items.map { item in
            var item = item
            var properties = item["properties"] as? [String: Any] ?? [:]
            guard let code = properties["code"] as? String, let row = rows[code] else { return item }
            properties["coverage_run"] = coverage["run_id"]
            properties["coverage_households"] = row["households"]
            for level in row["levels"] as? [[String: Any]] ?? [] {
                let minutes = CoverageRuns.formatMinutes((level["minutes"] as? NSNumber)?.doubleValue ?? 0)
                properties["coverage_share_\(minutes)"] = level["share"]
                properties["coverage_met_\(minutes)"] = level["households_covered"]
                for requirement in level["requirements"] as? [[String: Any]] ?? [] {
                    let suffix = "\(minutes)_\(requirement["category"] as? String ?? "")"
                    properties["coverage_share_\(suffix)"] = requirement["share"]
                    properties["coverage_met_\(suffix)"] = requirement["households_covered"]
                }
            }
            item["properties"] = properties
            return item
        }
    }

    /// Fetches a tile and the items over it for `collection`, decodes and compares.
    /// At each of `zooms`, every tile holding a building point counts each building whose point lies in it once, on
    /// its own or in a merged cell, and their households, in total and per level and requirement of the latest run, are
    /// the store's; summed over a zoom's tiles, those meeting each requirement are the run's (`/coverage/summary`).
    /// Below zoom 13 the cells are squares of 16 pixels (128 units) and a building drawn on its own spans one.
    struct Building: Sendable { var lon: Double; var lat: Double; var households: Int; var levels: Set<String>; var requirements: Set<String> }

    static func householdSums(_ client: some TestClientProtocol, _ store: Store, zooms: ClosedRange<Int>, what: String) async throws -> (mergedCells: Int, merged: Int, own: Int, requirements: Int) {
        // The store's buildings, read apart from the tile code: point, households, levels met in the latest run.
        var levelsByID: [Int: Set<String>] = [:]
        var outlineByID: [Int: [(Double, Double)]] = [:]
        var offset = 0
        while true {
            let page = try json(try await client.execute(uri: "/collections/buildings/items?limit=10000&offset=\(offset)", method: .get).text)
            let items = page["features"] as? [[String: Any]] ?? []
            for item in items {
                guard let id = item["id"] as? Int else { continue }
                let met = (item["properties"] as? [String: Any])?["coverage_levels_met"] as? String ?? ""
                levelsByID[id] = Set(met.split(separator: ",").map(String.init))
                outlineByID[id] = positions((item["geometry"] as? [String: Any])?["coordinates"])
            }
            guard items.count == 10000 else { break }
            offset += items.count
        }
        // The run's requirements (`<minutes>_<category>`, in the profile's order) with the households meeting each, as
        // /coverage/summary gives them, and each building's stored verdicts, read here apart from the tile code: one
        // digit per requirement in that order, `|` between levels.
        var runRequirementKeys: [String] = [], requirementTotals: [String: Int] = [:]
        let summaryResponse = try await client.execute(uri: "/coverage/summary", method: .get)
        if summaryResponse.status == .ok {
            for level in ((try json(summaryResponse.text)["summary"] as? [String: Any])?["levels"] as? [[String: Any]]) ?? [] {
                let minutes = CoverageRuns.formatMinutes((level["minutes"] as? NSNumber)?.doubleValue ?? 0)
                for requirement in level["requirements"] as? [[String: Any]] ?? [] {
                    let key = "\(minutes)_\(requirement["category"] as? String ?? "")"
                    runRequirementKeys.append(key)
                    requirementTotals[key] = requirement["households_covered"] as? Int ?? -1
                }
            }
        }
        let verdicts: [Int: String] = try store.read { db in
            var verdicts: [Int: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT building_id, requirements_met FROM coverage_buildings WHERE run_id = (SELECT max(id) FROM coverage_runs)") {
                if let text = row[1] as String? { verdicts[Int(row[0] as Int64)] = text }
            }
            return verdicts
        }
        func requirementsMet(_ id: Int) -> Set<String> {
            guard let text = verdicts[id] else { return [] }
            let digits = text.filter { $0 != "|" }
            #expect(digits.count == runRequirementKeys.count, "\(what): building \(id) verdicts \(text)")
            return Set(zip(digits, runRequirementKeys).filter { $0.0 == "1" }.map(\.1))
        }
        var read: [Int: Building] = [:]
        for building in try AnalysisData.buildings(store) {
            read[Int(building.id)] = Building(lon: building.point.longitude, lat: building.point.latitude,
                                              households: building.households, levels: levelsByID[Int(building.id)] ?? [],
                                              requirements: requirementsMet(Int(building.id)))
        }
        let buildings = read
        #expect(levelsByID.count == buildings.count, "\(what): every building is an item")
        let levels = Set(buildings.values.flatMap(\.levels))
        var outcome = (mergedCells: 0, merged: 0, own: 0, requirements: 0)
        for z in zooms {
            // Tiles holding building points at this zoom, each with the store's sums.
            var expected: [String: (households: Int, buildings: Int, met: [String: Int], requirements: [String: Int])] = [:]
            var home: [Int: String] = [:]
            for (id, building) in buildings {
                let (px, py) = project(building.lon, building.lat, z: z, x: 0, y: 0)
                let key = "\(Int((px / 4096).rounded(.down)))/\(Int((py / 4096).rounded(.down)))"
                home[id] = key
                var sums = expected[key] ?? (0, 0, [:], [:])
                sums.households += building.households
                sums.buildings += 1
                for level in building.levels { sums.met[level, default: 0] += building.households }
                for requirement in building.requirements { sums.requirements[requirement, default: 0] += building.households }
                expected[key] = sums
            }
            var total = 0
            var requirementsOverTiles: [String: Int] = [:]
            // Requirement sums are carried below zoom 12 only (where grids are not drawn).
            let requirementKeys = z < TileLayerSource.requirementSumsBelowZoom ? runRequirementKeys : []
            for (key, sums) in expected {
                let parts = key.split(separator: "/").compactMap { Int($0) }
                let bytes = [UInt8](buffer: try await client.execute(uri: "/collections/buildings/tiles/WebMercatorQuad/\(z)/\(parts[1])/\(parts[0])", method: .get).body)
                let features = ((try decode(bytes)["buildings"] as? [String: Any])?["features"] as? [[String: Any]]) ?? []
                var households = 0, counted = 0
                var met: [String: Int] = [:], requirementsMet: [String: Int] = [:]
                for feature in features {
                    let properties = feature["properties"] as? [String: Any] ?? [:]
                    if requirementKeys.isEmpty, let requirement = runRequirementKeys.first {
                        #expect(properties["households_met_\(requirement)"] == nil, "\(what) zoom \(z): requirement sums from zoom 12 on")
                    }
                    if let merged = properties["buildings"] as? Int {
                        outcome.mergedCells += 1
                        outcome.merged += merged
                        counted += merged
                        households += properties["households"] as? Int ?? 0
                        for level in levels { met[level, default: 0] += properties["households_met_\(level)"] as? Int ?? 0 }
                        for requirement in requirementKeys {
                            let figure = properties["households_met_\(requirement)"] as? Int
                            #expect(figure != nil, "\(what) zoom \(z) tile \(key): a cell without households_met_\(requirement)")
                            requirementsMet[requirement, default: 0] += figure ?? 0
                        }
                        // A cell is a square of the zoom's side, on the zoom's grid of cells.
                        let corners = positions(feature["coordinates"])
                        let side = z < 13 ? 128.0 : 32.0
                        let xs = corners.map(\.0), ys = corners.map(\.1)
                        #expect(corners.count >= 4 && (xs.max() ?? 0) - (xs.min() ?? 0) == side && (ys.max() ?? 0) - (ys.min() ?? 0) == side
                                && (xs.min() ?? 1).truncatingRemainder(dividingBy: side) == 0 && (ys.min() ?? 1).truncatingRemainder(dividingBy: side) == 0,
                                "\(what) zoom \(z) tile \(key): a cell of \(corners)")
                    } else if let id = feature["id"] as? Int, home[id] == key, let building = buildings[id] {
                        // Drawn on its own; features whose point lies in a neighbour are that neighbour's to count.
                        counted += 1
                        households += building.households
                        #expect(properties["households"] as? Int == building.households)
                        for level in building.levels { met[level, default: 0] += building.households }
                        for requirement in building.requirements { requirementsMet[requirement, default: 0] += building.households }
                        if z < TileLayerSource.requirementSumsBelowZoom {
                            // At low zoom it carries its households meeting each requirement, as a cell of one does.
                            for requirement in requirementKeys {
                                let figure = properties["households_met_\(requirement)"] as? Int
                                let expected: Int? = verdicts[id] == nil ? nil : building.requirements.contains(requirement) ? building.households : 0
                                #expect(figure == expected,
                                        "\(what) zoom \(z): building \(id) households_met_\(requirement) \(figure.map(String.init) ?? "absent")")
                            }
                        }
                        if z < 13, let outline = outlineByID[id] {
                            // Below zoom 13 only a building whose box spans a cell (16 pixels) is drawn on its own; a
                            // pixel's margin for the R-tree's rounding.
                            let projected = outline.map { project($0.0, $0.1, z: z, x: parts[0], y: parts[1]) }
                            let xs = projected.map(\.0), ys = projected.map(\.1)
                            let span = max((xs.max() ?? 0) - (xs.min() ?? 0), (ys.max() ?? 0) - (ys.min() ?? 0))
                            #expect(span >= 120, "\(what) zoom \(z): building \(id) spans \(span / 8) pixels and is drawn on its own")
                            outcome.own += 1
                        }
                    }
                }
                #expect(households == sums.households, "\(what) zoom \(z) tile \(key): \(households) households in the tile, \(sums.households) in the store")
                #expect(counted == sums.buildings, "\(what) zoom \(z) tile \(key): \(counted) buildings counted, \(sums.buildings) in the store")
                for level in levels { #expect(met[level, default: 0] == sums.met[level, default: 0], "\(what) zoom \(z) tile \(key) level \(level)") }
                for requirement in requirementKeys {
                    #expect(requirementsMet[requirement, default: 0] == sums.requirements[requirement, default: 0], "\(what) zoom \(z) tile \(key) requirement \(requirement)")
                    requirementsOverTiles[requirement, default: 0] += requirementsMet[requirement, default: 0]
                }
                total += households
            }
            #expect(total == buildings.values.reduce(0) { $0 + $1.households }, "\(what) zoom \(z)")
            for requirement in requirementKeys {
                #expect(requirementsOverTiles[requirement] == requirementTotals[requirement],
                        "\(what) zoom \(z) requirement \(requirement): \(requirementsOverTiles[requirement] ?? 0) over the tiles, the run's \(requirementTotals[requirement] ?? 0)")
            }
            outcome.requirements = max(outcome.requirements, requirementKeys.count)
        }
        return outcome
    }

    static func check(_ client: some TestClientProtocol, collection: String, z: Int, x: Int, y: Int, datum: String = "wgs84") async throws -> Outcome {
        let query = datum == "wgs84" ? "" : "?datum=\(datum)"
        let response = try await client.execute(uri: "/collections/\(collection)/tiles/WebMercatorQuad/\(z)/\(y)/\(x)\(query)", method: .get)
        #expect(response.status == .ok)
        #expect(response.headers[.contentType] == "application/vnd.mapbox-vector-tile")
        let bytes = [UInt8](buffer: response.body)
        let decoded = try decode(bytes)
        if let layer = decoded[collection] as? [String: Any] { #expect(layer["extent"] as? Int == 4096) }
        var box = bufferedBox(z: z, x: x, y: y)
        var crsQuery = ""
        if datum == "gcj02" {
            // The items in GCJ-02, over a box given in GCJ-02: the same frame the tile was drawn in.
            crsQuery = "&crs=urn:communitygrid:crs:gcj02&bbox-crs=urn:communitygrid:crs:gcj02"
        }
        box = box.map { ($0 * 1e7).rounded() / 1e7 }
        box[0] -= 1e-7; box[1] -= 1e-7; box[2] += 1e-7; box[3] += 1e-7
        let bbox = box.map { String($0) }.joined(separator: ",")
        let items = try await client.execute(uri: "/collections/\(collection)/items?limit=10000&bbox=\(bbox)\(crsQuery)", method: .get)
        #expect(items.status == .ok)
        var features = try json(items.text)["features"] as? [[String: Any]] ?? []
        if ["grids", "communities"].contains(collection) {
            // Grids and communities also carry the latest coverage run's figures of their /coverage row.
            let coverage = try await client.execute(uri: "/coverage", method: .get)
            if coverage.status == .ok { features = try withCoverageFigures(features, coverage: try json(coverage.text), rows: collection) }
        }
        if collection == "network", z < TileLayerSource.networkNodesFromZoom {
            // Below that zoom the edges leave out their nodes' ids: the tile carries the other properties, exactly.
            features = features.map { item in
                var item = item
                if var properties = item["properties"] as? [String: Any] {
                    #expect(properties["source_node"] != nil && properties["target_node"] != nil, "item \(item["id"] ?? "") has its nodes")
                    properties["source_node"] = nil
                    properties["target_node"] = nil
                    item["properties"] = properties
                }
                return item
            }
        }
        return try compare(layer: decoded[collection] as? [String: Any], items: features, z: z, x: x, y: y, pointLayer: collection == "facilities")
    }
}

@Suite("Vector tiles API")
struct TileAPITests {
    @Test("tilesets, tileset metadata, TileJSON and the conformance classes")
    func metadata() async throws {
        try await application(DemoStore.shared.store).test(.router) { client in
            let conformance = try await client.execute(uri: "/conformance", method: .get).text
            #expect(conformance.contains("ogcapi-tiles-1/1.0/conf/mvt"))
            let tilesets = try TileCheck.json(try await client.execute(uri: "/collections/buildings/tiles", method: .get).text)
            #expect((tilesets["tilesets"] as? [[String: Any]])?.first?["tileMatrixSetURI"] as? String
                    == "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad")
            let tileset = try TileCheck.json(try await client.execute(uri: "/collections/buildings/tiles/WebMercatorQuad", method: .get).text)
            let links = tileset["links"] as? [[String: Any]] ?? []
            #expect(links.contains { $0["rel"] as? String == "item" && ($0["href"] as? String)?.hasSuffix("/collections/buildings/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}") == true })
            #expect((tileset["xyzTemplate"] as? String)?.hasSuffix("/collections/buildings/tiles/WebMercatorQuad/{z}/{y}/{x}") == true)
            let layer = (tileset["layers"] as? [[String: Any]])?.first
            #expect(layer?["geometryType"] as? String == "surfaces")
            #expect(((layer?["propertiesSchema"] as? [String: Any])?["properties"] as? [String: Any])?["coverage_met"] != nil)
            let tileJSON = try TileCheck.json(try await client.execute(uri: "/collections/buildings/tiles/WebMercatorQuad/tilejson?datum=gcj02", method: .get).text)
            #expect(tileJSON["tilejson"] as? String == "3.0.0")
            #expect((tileJSON["tiles"] as? [String])?.first?.hasSuffix("/collections/buildings/tiles/WebMercatorQuad/{z}/{y}/{x}?datum=gcj02") == true)
            let fields = ((tileJSON["vector_layers"] as? [[String: Any]])?.first?["fields"] as? [String: String]) ?? [:]
            #expect(fields["households"] == "Number" && fields["coverage_met"] == "Boolean" && fields["grid_code"] == "String")
            // The cells' sums per level and per requirement of the run's profile.
            #expect(fields["households_met_15"] == "Number" && fields["households_met_15_school"] == "Number" && fields["households_met_10_school"] == "Number",
                    "\(fields.keys.sorted())")
            #expect((tileJSON["bounds"] as? [Double])?.count == 4)
            let all = try TileCheck.json(try await client.execute(uri: "/tiles/WebMercatorQuad/tilejson", method: .get).text)
            #expect(((all["vector_layers"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String } == ["communities", "grids", "buildings", "facilities", "network"])
            // Grids are drawn from zoom 12: their layer says so, in TileJSON and in the tileset metadata.
            let minZooms = Dictionary(uniqueKeysWithValues: ((all["vector_layers"] as? [[String: Any]]) ?? []).compactMap { layer in
                (layer["id"] as? String).map { ($0, layer["minzoom"] as? Int ?? -1) }
            })
            #expect(minZooms == ["communities": 0, "grids": 12, "buildings": 0, "facilities": 0, "network": 0])
            let gridTileset = try TileCheck.json(try await client.execute(uri: "/collections/grids/tiles/WebMercatorQuad", method: .get).text)
            #expect((gridTileset["layers"] as? [[String: Any]])?.first?["minTileMatrix"] as? String == "12")
            #expect(layer?["minTileMatrix"] as? String == "0")
        }
    }

    @Test("bad tile addresses and parameters are problems naming what is wrong")
    func badRequests() async throws {
        try await application(DemoStore.shared.store).test(.router) { client in
            for (uri, status, text) in [
                ("/collections/buildings/tiles/WebMercatorQuad/3/8/1", HTTPResponse.Status.notFound, "rows and columns run from 0 to 7"),
                ("/collections/buildings/tiles/WebMercatorQuad/25/0/0", .notFound, "beyond 24"),
                ("/collections/buildings/tiles/WebMercatorQuad/3/-1/0", .notFound, "tile row"),
                ("/collections/buildings/tiles/WebMercatorQuad/z/0/0", .notFound, "tile matrix"),
                ("/collections/buildings/tiles/WebMercatorQuad/99999999999999999999/0/0", .notFound, "tile matrix"),
                ("/collections/nothing/tiles/WebMercatorQuad/3/1/1", .notFound, "no collection"),
                ("/collections/buildings/tiles/WebMercatorQuad/3/1/1?datum=bd09", .badRequest, "datum must be wgs84 or gcj02"),
                ("/collections/buildings/tiles/WebMercatorQuad/3/1/1?zoom=3", .badRequest, "unknown parameter"),
            ] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == status, "\(uri)")
                #expect(response.text.contains(text), "\(uri): \(response.text)")
            }
            // Far from any data: a valid, empty tile.
            let empty = try await client.execute(uri: "/collections/buildings/tiles/WebMercatorQuad/5/0/0", method: .get)
            #expect(empty.status == .ok && empty.body.readableBytes == 0)
        }
    }

    @Test("demo district: every layer's tiles at zooms 13 to 17 match the items feature by feature, coverage properties included")
    func demoDistrictTiles() async throws {
        guard TileCheck.python != nil else { print(TileCheck.skipReason); return }
        let demo = DemoStore.shared
        try await application(demo.store).test(.router) { client in
            let tileset = try TileCheck.json(try await client.execute(uri: "/collections/buildings/tiles/WebMercatorQuad", method: .get).text)
            let box = try #require(tileset["boundingBox"] as? [String: Any])
            let lowerLeft = try #require(box["lowerLeft"] as? [Double]), upperRight = try #require(box["upperRight"] as? [Double])
            let lon = (lowerLeft[0] + upperRight[0]) / 2, lat = (lowerLeft[1] + upperRight[1]) / 2
            var inside = 0, compared = 0
            for z in [13, 15, 17] {
                let (x, y) = TileCheck.tile(containing: lon, lat, z: z)
                for collection in ["communities", "grids", "buildings", "facilities", "network"] {
                    let outcome = try await TileCheck.check(client, collection: collection, z: z, x: x, y: y)
                    #expect(outcome.tileFeatures > 0 || collection == "facilities", "\(collection) at \(z)")
                    compared += outcome.compared
                    inside += outcome.insideCompared
                }
            }
            #expect(compared > 500)
            #expect(inside > 200)
            // The buildings carry the latest coverage run's properties.
            let (x, y) = TileCheck.tile(containing: lon, lat, z: 16)
            let bytes = [UInt8](buffer: try await client.execute(uri: "/collections/buildings/tiles/WebMercatorQuad/16/\(y)/\(x)", method: .get).body)
            let features = ((try TileCheck.decode(bytes)["buildings"] as? [String: Any])?["features"] as? [[String: Any]]) ?? []
            let withRun = features.filter { ($0["properties"] as? [String: Any])?["coverage_run"] != nil }
            #expect(!withRun.isEmpty && withRun.count == features.count)
            #expect(features.contains { ($0["properties"] as? [String: Any])?["coverage_met"] is Bool })
        }
    }

    @Test("a tile is drawn again exactly when the store changes, whichever connection changes it")
    func cacheFollowsData() async throws {
        guard TileCheck.python != nil else { print(TileCheck.skipReason); return }
        let demo = try DemoStore()
        try await application(demo.store).test(.router) { client in
            let tileset = try TileCheck.json(try await client.execute(uri: "/collections/buildings/tiles/WebMercatorQuad", method: .get).text)
            let box = try #require(tileset["boundingBox"] as? [String: Any])
            let lowerLeft = try #require(box["lowerLeft"] as? [Double]), upperRight = try #require(box["upperRight"] as? [Double])
            let (x, y) = TileCheck.tile(containing: (lowerLeft[0] + upperRight[0]) / 2, (lowerLeft[1] + upperRight[1]) / 2, z: 16)
            let uri = "/collections/buildings/tiles/WebMercatorQuad/16/\(y)/\(x)"
            let first = [UInt8](buffer: try await client.execute(uri: uri, method: .get).body)
            let again = [UInt8](buffer: try await client.execute(uri: uri, method: .get).body)
            #expect(first == again)
            let features = ((try TileCheck.decode(first)["buildings"] as? [String: Any])?["features"] as? [[String: Any]]) ?? []
            let id = try #require(features.first?["id"] as? Int)
            let sourceID = try #require((features.first?["properties"] as? [String: Any])?["source_id"] as? String)
            // Another connection, as `import households` from the command line, changes one building.
            let register = demo.directory.appendingPathComponent("one.csv")
            try Data("building_id,households\n\(sourceID),4321\n".utf8).write(to: register)
            _ = try HouseholdRegisterImporter.run(store: try Store.open(path: demo.store.path), path: register.path)
            let changed = [UInt8](buffer: try await client.execute(uri: uri, method: .get).body)
            #expect(changed != first)
            let decoded = ((try TileCheck.decode(changed)["buildings"] as? [String: Any])?["features"] as? [[String: Any]]) ?? []
            let building = decoded.first { $0["id"] as? Int == id }
            #expect((building?["properties"] as? [String: Any])?["households"] as? Int == 4321)
            _ = try await TileCheck.check(client, collection: "buildings", z: 16, x: x, y: y)
        }
    }

    @Test("at every zoom from 10 to 17 each tile counts every building whose point lies in it once: the households of its own features and merged cells, per level and per requirement, are the store's, and a zoom's tiles sum to the run's households meeting each requirement")
    func householdSums() async throws {
        guard TileCheck.python != nil else { print(TileCheck.skipReason); return }
        let demo = DemoStore.shared
        try await application(demo.store).test(.router) { client in
            let outcome = try await TileCheck.householdSums(client, demo.store, zooms: 10...17, what: "demo")
            #expect(outcome.mergedCells > 50, "low zooms merge the district's small buildings into cells")
            #expect(outcome.requirements > 5, "the run's requirements are summed")
        }
    }

    @Test("the network's edges carry their nodes' ids from zoom 15 on, and below it every other property of theirs")
    func networkNodesFromZoom() async throws {
        guard TileCheck.python != nil else { print(TileCheck.skipReason); return }
        let demo = DemoStore.shared
        try await application(demo.store).test(.router) { client in
            let tileset = try TileCheck.json(try await client.execute(uri: "/collections/network/tiles/WebMercatorQuad", method: .get).text)
            let box = try #require(tileset["boundingBox"] as? [String: Any])
            let lowerLeft = try #require(box["lowerLeft"] as? [Double]), upperRight = try #require(box["upperRight"] as? [Double])
            let lon = (lowerLeft[0] + upperRight[0]) / 2, lat = (lowerLeft[1] + upperRight[1]) / 2
            for z in 13...16 {
                let (x, y) = TileCheck.tile(containing: lon, lat, z: z)
                let bytes = [UInt8](buffer: try await client.execute(uri: "/collections/network/tiles/WebMercatorQuad/\(z)/\(y)/\(x)", method: .get).body)
                let features = ((try TileCheck.decode(bytes)["network"] as? [String: Any])?["features"] as? [[String: Any]]) ?? []
                #expect(features.count > 10, "zoom \(z): \(features.count) edges")
                for feature in features {
                    let keys = Set((feature["properties"] as? [String: Any] ?? [:]).keys)
                    let nodes: Set<String> = z < 15 ? [] : ["source_node", "target_node"]
                    #expect(keys == nodes.union(["length_m", "highway", "osm_way_id"]) || keys == nodes.union(["length_m", "highway"]),
                            "zoom \(z): edge \(feature["id"] ?? "") carries \(keys.sorted())")
                }
                // The rest, value by value, against the items.
                _ = try await TileCheck.check(client, collection: "network", z: z, x: x, y: y)
            }
        }
    }

    @Test("zooms 9 to 12 generalise: the network keeps its larger roads (by class below 12, by way at 12), communities those spanning 4 pixels (below zoom 10 16) with their shares, grids from 12, facilities thinned to a square of 32 pixels without their source")
    func lowZoomGeneralisation() async throws {
        guard TileCheck.python != nil else { print(TileCheck.skipReason); return }
        let demo = DemoStore.shared
        try await application(demo.store).test(.router) { client in
            let tileset = try TileCheck.json(try await client.execute(uri: "/collections/buildings/tiles/WebMercatorQuad", method: .get).text)
            let box = try #require(tileset["boundingBox"] as? [String: Any])
            let lowerLeft = try #require(box["lowerLeft"] as? [Double]), upperRight = try #require(box["upperRight"] as? [Double])
            let lon = (lowerLeft[0] + upperRight[0]) / 2, lat = (lowerLeft[1] + upperRight[1]) / 2
            var droppedEdges = 0, keptEdges = 0, keptOutlines = 0, facilities = 0, communitiesWithFigures = 0, droppedBelowTen = 0
            for z in 9...12 {
                let (x, y) = TileCheck.tile(containing: lon, lat, z: z)
                let classes = Set(try #require(TileLayerSource.networkClasses.classes(z: z)))
                // An outline needs 4 pixels (32 units), below zoom 10 a cell of 16 (128 units); a pixel's margin for
                // the R-tree's rounding.
                let outline = z < TileLayerSource.outlinesNeedCellBelowZoom ? 128.0 : 32.0
                for collection in ["network", "grids", "communities", "facilities"] {
                    let bytes = [UInt8](buffer: try await client.execute(uri: "/collections/\(collection)/tiles/WebMercatorQuad/\(z)/\(y)/\(x)", method: .get).body)
                    let features = ((try TileCheck.decode(bytes)[collection] as? [String: Any])?["features"] as? [[String: Any]]) ?? []
                    // A feature without an id decodes with id 0 (the protobuf default); store ids start at 1.
                    let drawn = Set(features.compactMap { $0["id"] as? Int }).subtracting([0])
                    // The network is drawn as ways (zoom 12: their id and highway) or, below 12, as one feature per class.
                    let drawnWays = Set(features.compactMap { ($0["properties"] as? [String: Any])?["osm_way_id"] as? Int })
                    let drawnClasses = features.compactMap { ($0["properties"] as? [String: Any])?["highway"] as? String }
                    if collection == "network" {
                        #expect(drawn.isEmpty && !features.isEmpty, "zoom \(z): ways or classes, not edges")
                        for feature in features {
                            let properties = feature["properties"] as? [String: Any] ?? [:]
                            #expect(classes.contains(properties["highway"] as? String ?? ""), "zoom \(z): a way of class \(properties["highway"] ?? "none")")
                            #expect((properties["edges"] as? Int ?? 0) >= 1 && properties["source_node"] == nil)
                            if z < 12 {
                                #expect(Set(properties.keys) == ["highway", "edges", "length_m"], "zoom \(z): a class carries \(properties.keys.sorted())")
                            } else {
                                #expect(properties["osm_way_id"] != nil)
                            }
                        }
                        if z < 12 { #expect(Set(drawnClasses).count == drawnClasses.count, "zoom \(z): one feature per class, \(drawnClasses)") }
                    }
                    if collection == "grids", z < TileLayerSource.gridsFromZoom {
                        #expect(features.isEmpty, "zoom \(z): grids are drawn from zoom \(TileLayerSource.gridsFromZoom)")
                        continue
                    }
                    if collection == "communities" {
                        // The shares and households, not the households meeting each theme.
                        for feature in features {
                            let keys = (feature["properties"] as? [String: Any] ?? [:]).keys
                            #expect(!keys.contains { $0.hasPrefix("coverage_met_") }, "zoom \(z): community \(feature["id"] ?? "")")
                            #expect(keys.contains("code") && keys.contains("name"))
                            if keys.contains("coverage_households") {
                                #expect(keys.contains { $0.hasPrefix("coverage_share_") })
                                communitiesWithFigures += 1
                            }
                        }
                    }
                    if collection == "facilities" {
                        // One per category in each square of 32 pixels (256 units), with its id, category and name only.
                        var squares = Set<String>()
                        for feature in features {
                            let properties = feature["properties"] as? [String: Any] ?? [:]
                            #expect(properties["source"] == nil && properties["source_id"] == nil && properties["category"] != nil)
                            let p = try #require(TileCheck.positions(feature["coordinates"]).first)
                            let square = "\(properties["category"] ?? "")/\(Int((p.0 / 256).rounded(.down)))/\(Int((p.1 / 256).rounded(.down)))"
                            #expect(squares.insert(square).inserted, "zoom \(z): two facilities in \(square)")
                        }
                        facilities += features.count
                    }
                    let bbox = TileCheck.bufferedBox(z: z, x: x, y: y).map { String($0) }.joined(separator: ",")
                    let items = try TileCheck.json(try await client.execute(uri: "/collections/\(collection)/items?limit=10000&bbox=\(bbox)", method: .get).text)["features"] as? [[String: Any]] ?? []
                    for item in items {
                        guard let id = item["id"] as? Int else { continue }
                        let projected = TileCheck.positions((item["geometry"] as? [String: Any])?["coordinates"]).map { TileCheck.project($0.0, $0.1, z: z, x: x, y: y) }
                        let xs = projected.map(\.0), ys = projected.map(\.1)
                        guard let minX = xs.min(), let maxX = xs.max(), let minY = ys.min(), let maxY = ys.max(),
                              minX >= 0, maxX <= 4096, minY >= 0, maxY <= 4096 else { continue }
                        if collection == "network" {
                            let highway = (item["properties"] as? [String: Any])?["highway"] as? String ?? ""
                            let way = (item["properties"] as? [String: Any])?["osm_way_id"] as? Int ?? -1
                            if !classes.contains(highway) {
                                droppedEdges += 1
                            } else if maxX - minX >= 16 || maxY - minY >= 16 {
                                if z < 12 {
                                    #expect(drawnClasses.contains(highway), "zoom \(z): the class \(highway) of edge \(id) is missing")
                                } else {
                                    #expect(drawnWays.contains(way), "zoom \(z): the way \(way) of the \(highway) edge \(id) is missing")
                                }
                                keptEdges += 1
                            }
                        } else if collection == "facilities" {
                            // A facility of its category is drawn in its square.
                            let category = (item["properties"] as? [String: Any])?["category"] as? String
                            let square = (Int(minX / 256), Int(minY / 256))
                            #expect(features.contains { feature in
                                guard (feature["properties"] as? [String: Any])?["category"] as? String == category,
                                      let p = TileCheck.positions(feature["coordinates"]).first else { return false }
                                return (Int(p.0 / 256), Int(p.1 / 256)) == square
                            }, "zoom \(z): facility \(id) has no facility of its category in its square")
                        } else {
                            if maxX - minX >= outline + 8 || maxY - minY >= outline + 8 {
                                #expect(drawn.contains(id), "zoom \(z): \(collection) \(id) spans \(max(maxX - minX, maxY - minY) / 8) pixels and is missing")
                                keptOutlines += 1
                            } else if maxX - minX < outline - 8 && maxY - minY < outline - 8 {
                                #expect(!drawn.contains(id), "zoom \(z): \(collection) \(id) spans \(max(maxX - minX, maxY - minY) / 8) pixels and is drawn")
                                if z < TileLayerSource.outlinesNeedCellBelowZoom { droppedBelowTen += 1 }
                            }
                        }
                    }
                }
            }
            #expect(droppedBelowTen > 0, "zoom 9 leaves out communities under a cell")
            #expect(droppedEdges > 100 && keptEdges > 10 && keptOutlines > 10 && facilities > 0 && communitiesWithFigures > 0,
                    "\(droppedEdges) dropped, \(keptEdges) edges, \(keptOutlines) outlines, \(facilities) facilities and \(communitiesWithFigures) communities with figures kept")
        }
    }

    @Test("below zoom 13 on OpenStreetMap extracts (Wudaokou, Monaco, Shenzhen) with a coverage run: each building counted once, as itself or in its cell of 16 pixels, the households, levels and requirements the store's and the run's",
          .enabled(if: SharedData.available, SharedData.skipReason))
    func lowZoomCellsOnRealData() async throws {
        guard TileCheck.python != nil else { print(TileCheck.skipReason); return }
        var merged = 0, own = 0
        for name in ["cn_beijing_haidian_wudaokou_2017.osm", "dense_monaco_2021-04-19.osm.pbf", "cn_shenzhen_longgang_2019.osm"] {
            let temporary = try TemporaryStore()
            let store = temporary.store
            _ = try OSMImporter.run(store: store, path: SharedData.path(name))
            try CoverageRuns.save(try CoverageJob.compute(store: store, profile: .gb50180), store: store, seconds: 0)
            let outcome = try await application(store).test(.router) { client in
                try await TileCheck.householdSums(client, store, zooms: 10...13, what: name)
            }
            #expect(outcome.mergedCells > 0, "\(name): cells")
            #expect(outcome.requirements > 5, "\(name): the run's requirements are summed")
            merged += outcome.merged
            own += outcome.own
        }
        #expect(merged > 1000, "\(merged) buildings merged into cells, \(own) drawn on their own below zoom 13")
    }

    @Test("a tile reading its own buildings' points at high zoom is the tile drawn from the whole index, byte for byte")
    func ownPointsMatchWholeIndex() throws {
        let demo = DemoStore.shared
        let whole = TileService(store: demo.store, capacityBytes: 0, prefersWholeIndex: true)
        let own = TileService(store: demo.store, capacityBytes: 0)
        let buildings = try AnalysisData.buildings(demo.store)
        var compared = 0
        for (z, datum) in [(14, TileDatum.wgs84), (15, .wgs84), (16, .wgs84), (17, .wgs84), (16, .gcj02)] {
            var tiles = Set<String>()
            for building in buildings {
                var point = building.point
                if datum == .gcj02 { point = CoordinateReferenceSystem.gcj02.fromWGS84(point) }
                let (x, y) = TileCells.tile(worldX: WebMercator.worldX(longitude: point.longitude), worldY: WebMercator.worldY(latitude: point.latitude), z: z)
                tiles.insert("\(x)/\(y)")
            }
            for key in tiles.sorted().prefix(60) {
                let parts = key.split(separator: "/").compactMap { Int($0) }
                let tile = try #require(TileAddress(z: z, x: parts[0], y: parts[1]))
                let expected = try whole.draw(TileLayerSource.all, tile, datum: datum)
                #expect(try own.draw(TileLayerSource.all, tile, datum: datum) == expected, "tile \(tile) \(datum)")
                compared += 1
            }
        }
        #expect(compared > 100)
    }

    @Test("Wudaokou from OpenStreetMap: tiles in WGS84 and GCJ-02 match the items in the same datum",
          .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
    func wudaokouTiles() async throws {
        guard TileCheck.python != nil else { print(TileCheck.skipReason); return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("communitygrid-tiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store.create(path: directory.appendingPathComponent("wudaokou.sqlite").path)
        _ = try OSMImporter.run(store: store, path: SharedData.geodata!.appendingPathComponent("cn_beijing_haidian_wudaokou_2017.osm").path)
        try CoverageRuns.save(try CoverageJob.compute(store: store, profile: .gb50180), store: store, seconds: 0)
        try await application(store).test(.router) { client in
            var compared = 0, inside = 0
            for (z, datum) in [(14, "wgs84"), (16, "wgs84"), (16, "gcj02"), (17, "gcj02")] {
                // Tsinghua's east gate area: buildings, paths and facilities.
                let (x, y) = TileCheck.tile(containing: 116.3335, 39.9990, z: z)
                for collection in ["buildings", "facilities", "network"] {
                    let outcome = try await TileCheck.check(client, collection: collection, z: z, x: x, y: y, datum: datum)
                    compared += outcome.compared
                    inside += outcome.insideCompared
                }
            }
            #expect(compared > 400)
            #expect(inside > 300)
            // GCJ-02 moves the city by hundreds of metres: the two tiles differ.
            let (x, y) = TileCheck.tile(containing: 116.3335, 39.9990, z: 16)
            let wgs = try await client.execute(uri: "/collections/buildings/tiles/WebMercatorQuad/16/\(y)/\(x)", method: .get)
            let gcj = try await client.execute(uri: "/collections/buildings/tiles/WebMercatorQuad/16/\(y)/\(x)?datum=gcj02", method: .get)
            #expect([UInt8](buffer: wgs.body) != [UInt8](buffer: gcj.body))
        }
    }
}
