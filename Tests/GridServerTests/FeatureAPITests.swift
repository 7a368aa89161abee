import Foundation
import GRDB
import GridModel
import GridServer
import GridStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("OGC API – Features on the demo district")
struct FeatureAPITests {
    let demo = DemoStore.shared

    @Test("landing page, conformance and collections carry the OGC links and classes")
    func landingAndCollections() async throws {
        try await application(demo.store).test(.router) { client in
            let landing = try await client.execute(uri: "/", method: .get)
            #expect(landing.status == .ok)
            #expect(landing.headers[.contentType] == "application/json")
            let rels = Set((try landing.json["links"]?.arrayValue ?? []).compactMap { $0["rel"]?.stringValue })
            #expect(rels.isSuperset(of: ["self", "service-desc", "conformance", "data"]))

            let conformance = try await client.execute(uri: "/conformance", method: .get).json
            let classes = Set((conformance["conformsTo"]?.arrayValue ?? []).compactMap(\.stringValue))
            #expect(classes.contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"))
            #expect(classes.contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"))
            #expect(classes.contains("http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"))

            let collections = try await client.execute(uri: "/collections", method: .get).json
            let ids = (collections["collections"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
            #expect(ids == ["communities", "grids", "buildings", "facilities", "network", "cases"])
            for collection in collections["collections"]?.arrayValue ?? [] {
                let links = collection["links"]?.arrayValue ?? []
                #expect(links.contains { $0["rel"] == "items" && $0["type"] == "application/geo+json" })
                // The demo store holds no case: an empty collection has no extent (CaseCollectionAPITests checks one that has).
                if collection["id"] != "cases" {
                    #expect(collection["extent"]?["spatial"]?["bbox"]?.arrayValue?.first?.arrayValue?.count == 4)
                }
                #expect(collection["crs"]?.arrayValue?.count == 5)
            }

            let browser = try await client.execute(uri: "/", method: .get, headers: [.accept: "text/html,application/xhtml+xml"])
            #expect(browser.headers[.contentType]?.hasPrefix("text/html") == true)
            #expect(browser.text.contains("leaflet"))
        }
    }

    @Test("items: GeoJSON with numberMatched, numberReturned and next/prev links that page through everything")
    func paging() async throws {
        let total = try demo.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM buildings") ?? 0 }
        try await application(demo.store).test(.router) { client in
            var seen: [Int] = []
            var uri: String? = "/collections/buildings/items?limit=250"
            var pages = 0
            while let next = uri {
                let response = try await client.execute(uri: next, method: .get)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/geo+json")
                let page = try response.json
                #expect(page["type"] == "FeatureCollection")
                #expect(page["numberMatched"]?.intValue == total)
                #expect(page["numberReturned"]?.intValue == page["features"]?.arrayValue?.count)
                seen += featureIDs(page)
                let links = page["links"]?.arrayValue ?? []
                #expect(links.contains { $0["rel"] == "self" })
                if pages > 0 { #expect(links.contains { $0["rel"] == "prev" }) }
                uri = links.first { $0["rel"] == "next" }?["href"]?.stringValue.map { String($0.drop { $0 != "/" }.dropFirst(2).drop { $0 != "/" }) }
                pages += 1
            }
            #expect(pages == (total + 249) / 250)
            #expect(seen == seen.sorted() && Set(seen).count == total)
        }
    }

    @Test("bbox selects exactly the features whose geometry intersects the box (checked against every building)")
    func bboxIsExact() async throws {
        let buildings: [(Int, Geometry)] = try demo.store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, AsBinary(footprint) FROM buildings").map { row in
                (row[0], try Geometry(wkb: [UInt8](row[1] as Data)))
            }
        }
        let extent = buildings.compactMap { $0.1.boundingBox }.reduce(buildings[0].1.boundingBox!) { $0.union($1) }
        var random = SystemRandomNumberGenerator()
        let boxes = (0..<25).map { _ -> BoundingBox in
            let width = Double.random(in: 0.0005...0.004, using: &random), height = Double.random(in: 0.0005...0.004, using: &random)
            let x = Double.random(in: extent.minLongitude...(extent.maxLongitude - width), using: &random)
            let y = Double.random(in: extent.minLatitude...(extent.maxLatitude - height), using: &random)
            return BoundingBox(minLongitude: x, minLatitude: y, maxLongitude: x + width, maxLatitude: y + height)
        }
        try await application(demo.store).test(.router) { client in
            for box in boxes {
                let (x, y, width, height) = (box.minLongitude, box.minLatitude, box.maxLongitude - box.minLongitude, box.maxLatitude - box.minLatitude)
                let expected = buildings.filter { $0.1.intersects(box) }.map(\.0).sorted()
                let page = try await client.execute(uri: "/collections/buildings/items?limit=10000&bbox=\(x),\(y),\(x + width),\(y + height)", method: .get).json
                #expect(featureIDs(page) == expected)
                #expect(page["numberMatched"]?.intValue == expected.count)
            }
        }
    }

    @Test("filters, sortby and properties")
    func filtersAndSorting() async throws {
        let schools = try demo.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM facilities WHERE category = 'school'") ?? 0 }
        #expect(schools > 0)
        try await application(demo.store).test(.router) { client in
            let filtered = try await client.execute(uri: "/collections/facilities/items?category=school", method: .get).json
            #expect(filtered["numberMatched"]?.intValue == schools)
            #expect((filtered["features"]?.arrayValue ?? []).allSatisfy { $0["properties"]?["category"] == "school" })

            let sorted = try await client.execute(uri: "/collections/buildings/items?sortby=-households&limit=20&properties=households,name", method: .get).json
            let households = (sorted["features"]?.arrayValue ?? []).compactMap { $0["properties"]?["households"]?.intValue }
            #expect(households.count == 20 && households == households.sorted(by: >))
            #expect(sorted["features"]?.arrayValue?.first?["properties"]?.objectValue?.keys.sorted() == ["households", "name"])

            let unmet = try await client.execute(uri: "/collections/buildings/items?coverage_met=false&limit=10000", method: .get).json
            let met = try await client.execute(uri: "/collections/buildings/items?coverage_met=true&limit=10000", method: .get).json
            let total = try demo.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM buildings") ?? 0 }
            #expect((unmet["numberMatched"]?.intValue ?? 0) + (met["numberMatched"]?.intValue ?? 0) == total)
            #expect((met["features"]?.arrayValue ?? []).allSatisfy { $0["properties"]?["coverage_met"] == .bool(true) })
        }
    }

    @Test("one feature by id, with an ETag that answers 304, and gzip when asked")
    func itemETagAndGzip() async throws {
        try await application(demo.store).test(.router) { client in
            let item = try await client.execute(uri: "/collections/buildings/items/1", method: .get)
            #expect(item.status == .ok)
            #expect(item.headers[.contentType] == "application/geo+json")
            let feature = try item.json
            #expect(feature["type"] == "Feature" && feature["id"]?.intValue == 1)
            #expect(feature["properties"]?["coverage_levels_met"] != nil)
            #expect((feature["links"]?.arrayValue ?? []).contains { $0["rel"] == "collection" })
            let tag = try #require(item.headers[.eTag])
            let again = try await client.execute(uri: "/collections/buildings/items/1", method: .get, headers: [.ifNoneMatch: tag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)

            let large = try await client.execute(uri: "/collections/buildings/items?limit=500", method: .get, headers: [.acceptEncoding: "gzip, br"])
            #expect(large.headers[.contentEncoding] == "gzip")
            #expect(Array(large.body.readableBytesView.prefix(2)) == [0x1f, 0x8b])
            let plain = try await client.execute(uri: "/collections/buildings/items?limit=500", method: .get)
            #expect(plain.headers[.contentEncoding] == nil)
            #expect(large.body.readableBytes * 3 < plain.body.readableBytes)

            let missing = try await client.execute(uri: "/collections/buildings/items/999999", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "application/problem+json")
        }
    }

    @Test("bad requests answer problem+json naming the parameter, never SQL", arguments: [
        ("/collections/buildings/items?bbox=1,2,3", "bbox"),
        ("/collections/buildings/items?bbox=116.3,39.9,116.2,40.0", "bbox"),
        ("/collections/buildings/items?bbox=100,20,190,40", "bbox"),
        ("/collections/buildings/items?limit=0", "limit"),
        ("/collections/buildings/items?offset=-1", "offset"),
        ("/collections/buildings/items?colour=red", "colour"),
        ("/collections/buildings/items?sortby=footprint", "sortby"),
        ("/collections/buildings/items?properties=secret", "properties"),
        ("/collections/buildings/items?households=many", "households"),
        ("/collections/buildings/items?crs=EPSG:3857", "crs"),
        ("/collections/buildings/items?limit=5&limit=6", "limit"),
        ("/collections/facilities/items?f=xml", "f"),
        ("/isochrones?lat=39.9", "lon"),
        ("/isochrones?lon=116.3&lat=39.9&minutes=abc", "minutes"),
    ])
    func badRequests(uri: String, parameter: String) async throws {
        try await application(demo.store).test(.router) { client in
            let response = try await client.execute(uri: uri, method: .get)
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
            let problem = try response.json
            #expect(problem["parameter"]?.stringValue == parameter)
            #expect(problem["status"]?.intValue == 400)
            #expect(problem["code"]?.stringValue == "invalid-parameter")
            #expect(!response.text.contains("SELECT"))
        }
    }

    @Test("cached features follow every commit: a change made after a read shows in the next answer")
    func cacheFollowsCommits() async throws {
        let demo = try DemoStore()
        try await application(demo.store).test(.router) { client in
            let before = try await client.execute(uri: "/collections/buildings/items/3", method: .get).json
            let page = try await client.execute(uri: "/collections/buildings/items?limit=10", method: .get).json
            let households = try #require(before["properties"]?["households"]?.intValue)
            try demo.store.write { try $0.execute(sql: "UPDATE buildings SET households = households + 7 WHERE id = 3") }
            let after = try await client.execute(uri: "/collections/buildings/items/3", method: .get).json
            #expect(after["properties"]?["households"]?.intValue == households + 7)
            let pageAfter = try await client.execute(uri: "/collections/buildings/items?limit=10", method: .get).json
            let third = (pageAfter["features"]?.arrayValue ?? []).first { $0["id"]?.intValue == 3 }
            #expect(third?["properties"]?["households"]?.intValue == households + 7)
            #expect(featureIDs(page) == featureIDs(pageAfter))
        }
    }

    @Test("a limit above the maximum is clamped to 10000, not refused")
    func limitClamped() async throws {
        try await application(demo.store).test(.router) { client in
            let page = try await client.execute(uri: "/collections/network/items?limit=50000", method: .get).json
            let returned = page["numberReturned"]?.intValue ?? -1
            #expect(returned == min(10_000, page["numberMatched"]?.intValue ?? 0))
            #expect(returned > 0)
        }
    }

    @Test("unknown collections and paths are 404 problems")
    func notFound() async throws {
        try await application(demo.store).test(.router) { client in
            for uri in ["/collections/roads", "/collections/roads/items", "/nothing/here", "/collections/buildings/items/abc"] {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .notFound, "\(uri)")
                #expect(response.headers[.contentType] == "application/problem+json", "\(uri)")
            }
        }
    }

    @Test("crs: EPSG:4326 is latitude first; GCJ-02 and BD-09 round-trip to WGS84 within 0.5 m; bbox-crs selects the same features")
    func coordinateSystems() async throws {
        try await application(demo.store).test(.router) { client in
            let wgs = try await client.execute(uri: "/collections/facilities/items/1", method: .get).json
            let position = (wgs["geometry"]?["coordinates"]?.arrayValue ?? []).compactMap(\.doubleValue)
            try #require(position.count == 2)
            let original = Coordinate(longitude: position[0], latitude: position[1])

            let epsg = try await client.execute(uri: "/collections/facilities/items/1?crs=http://www.opengis.net/def/crs/EPSG/0/4326", method: .get)
            #expect(epsg.headers[HTTPField.Name("Content-Crs")!] == "<http://www.opengis.net/def/crs/EPSG/0/4326>")
            #expect(try epsg.json["geometry"]?["coordinates"]?.arrayValue?.compactMap(\.doubleValue) == [position[1], position[0]])

            for crs in [CoordinateReferenceSystem.gcj02, .bd09] {
                let shifted = try await client.execute(uri: "/collections/facilities/items/1?crs=\(crs.uri)", method: .get).json
                let values = (shifted["geometry"]?["coordinates"]?.arrayValue ?? []).compactMap(\.doubleValue)
                try #require(values.count == 2)
                let back = crs.toWGS84(Coordinate(longitude: values[0], latitude: values[1]))
                #expect(Geodesy.distance(back, original).value < 0.5)
                #expect(Geodesy.distance(Coordinate(longitude: values[0], latitude: values[1]), original).value > 50, "Chinese offsets move points by hundreds of metres")
            }

            // The same box expressed in EPSG:4326 (lat,lon order) selects the same buildings.
            let box = "116.4700,39.9350,116.4800,39.9400"
            let lonLat = try await client.execute(uri: "/collections/buildings/items?limit=10000&bbox=\(box)", method: .get).json
            let latLon = try await client.execute(
                uri: "/collections/buildings/items?limit=10000&bbox=39.9350,116.4700,39.9400,116.4800&bbox-crs=http://www.opengis.net/def/crs/EPSG/0/4326", method: .get).json
            #expect(featureIDs(lonLat) == featureIDs(latLon))
        }
    }
}
