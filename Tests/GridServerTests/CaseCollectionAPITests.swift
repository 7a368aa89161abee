import Foundation
import GridAnalysis
import GridCases
import GridModel
import GridServer
import GridServices
import GridStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// `/collections/cases` as OGC API – Features serves every collection, on Wudaokou (OSM 2017) cut into a 4 × 4
/// plan of grids, with reports at households' buildings; against a real server on 127.0.0.1.
@Suite("The cases collection over HTTP on real data", .serialized, .enabled(if: SharedData.geodata != nil, SharedData.skipReason))
struct CaseCollectionAPITests {
    /// Monday 2026-03-02 09:00 Beijing time.
    static let monday9: Timestamp = WorkingCalendar.standard.parseInstant("2026-03-02T09:00:00+08:00")!

    static func reported(_ store: Store) throws -> [CaseRepository.StoredCase] {
        let network = try CaseNetwork.load(store)
        let buildings = try AnalysisData.buildings(store).filter {
            $0.households > 0 && (116.3075...116.3320).contains($0.point.longitude) && (39.9895...40.0130).contains($0.point.latitude)
        }
        var random = SplitMix64(seed: 1407)
        return try (0..<24).map { i in
            let report = CaseRepository.Report(category: i % 3 == 0 ? "refuse-pile" : "street-light", description: "报告\(i)",
                                               point: buildings[random.below(buildings.count)].point, reporterKind: .resident, at: monday9 + Int64(i) * 60)
            return try CaseRepository.report(report, store: store, network: network, actor: "r").0
        }
    }

    static func features(_ json: JSONValue) -> [JSONValue] { json["features"]?.arrayValue ?? [] }

    @Test("listed in /collections with its R-tree extent; bbox, paging with next links, crs and the case filters; each item at its reported point with its grid and community")
    func casesCollection() async throws {
        let folder = try TemporaryDirectory(prefix: "communitygrid-cases")
        let store = try CoverageRunsAPITests.wudaokou(folder.url)
        let cases = try Self.reported(store)
        #expect(cases.allSatisfy { $0.grid != nil && $0.community == CoverageRunsAPITests.community })
        try await application(store).testLive { client in
            let collections = try await client.execute(uri: "/collections", method: .get).json
            let listed = try #require(collections["collections"]?.arrayValue?.first { $0["id"] == "cases" })
            #expect(listed["itemType"] == "feature" && listed["crs"]?.arrayValue?.count == 5)
            #expect((listed["links"]?.arrayValue ?? []).contains { $0["rel"] == "items" && $0["href"]?.stringValue?.hasSuffix("/collections/cases/items") == true })
            // The extent holds every reported point, and is the R-tree's (single precision, rounded outwards).
            let extentValues = listed["extent"]?["spatial"]?["bbox"]?.arrayValue?.first?.arrayValue ?? []
            let extent = extentValues.compactMap(\.doubleValue)
            let lons = cases.map(\.point.longitude), lats = cases.map(\.point.latitude)
            #expect(extent.count == 4)
            #expect(extent[0] <= lons.min()! && extent[1] <= lats.min()! && extent[2] >= lons.max()! && extent[3] >= lats.max()!)
            #expect(abs(extent[0] - lons.min()!) < 1e-4 && abs(extent[3] - lats.max()!) < 1e-4)
            let single = try await client.execute(uri: "/collections/cases", method: .get).json
            #expect(single == listed)
            let queryables = try await client.execute(uri: "/collections/cases/queryables", method: .get).json
            #expect(queryables["properties"]?["state"] != nil && queryables["properties"]?["grid_code"] != nil)

            // A box over the west half: paged by 5 through next links, every case inside once, at its reported point.
            let box = BoundingBox(minLongitude: 116.3075, minLatitude: 39.9895, maxLongitude: 116.3197, maxLatitude: 40.0130)
            let inside = cases.filter { box.contains($0.point) }
            #expect(!inside.isEmpty && inside.count < cases.count)
            var uri: String? = "/collections/cases/items?bbox=\(box.minLongitude),\(box.minLatitude),\(box.maxLongitude),\(box.maxLatitude)&limit=5"
            var seen: [String] = []
            while let next = uri {
                let response = try await client.execute(uri: next, method: .get)
                #expect(response.status == .ok && response.headers[.contentType] == "application/geo+json")
                let page = try response.json
                #expect(page["numberMatched"]?.intValue == inside.count)
                for feature in Self.features(page) {
                    let code = try #require(feature["id"]?.stringValue)
                    let stored = try #require(cases.first { $0.code == code })
                    let coordinates = feature["geometry"]?["coordinates"]?.arrayValue?.compactMap(\.doubleValue) ?? []
                    #expect(feature["geometry"]?["type"] == "Point" && coordinates.count == 2)
                    #expect(abs(coordinates[0] - stored.point.longitude) < 1e-7 && abs(coordinates[1] - stored.point.latitude) < 1e-7)
                    let properties = feature["properties"]
                    #expect(properties?["grid_code"]?.stringValue == stored.grid && properties?["community_code"]?.stringValue == stored.community)
                    // The properties the map page and Open311 read.
                    for name in ["state", "state_zh", "light", "overdue", "allowed_actions", "step_deadline", "category", "worker", "longitude", "latitude"] {
                        #expect(properties?[name] != nil, "\(code) lacks \(name)")
                    }
                    seen.append(code)
                }
                uri = page["links"]?.arrayValue?.first { $0["rel"] == "next" }?["href"]?.stringValue.map {
                    String($0[$0.range(of: "/collections")!.lowerBound...])
                }
            }
            #expect(seen == inside.map(\.code))

            // EPSG:4326 puts latitude first, as for every collection.
            let first = cases[0]
            let lat = try await client.execute(uri: "/collections/cases/items?crs=http://www.opengis.net/def/crs/EPSG/0/4326&limit=1", method: .get)
            #expect(lat.headers[.init("Content-Crs")!] == "<http://www.opengis.net/def/crs/EPSG/0/4326>")
            let swapped = Self.features(try lat.json).first?["geometry"]?["coordinates"]?.arrayValue?.compactMap(\.doubleValue) ?? []
            #expect(swapped.count == 2 && abs(swapped[0] - first.point.latitude) < 1e-7 && abs(swapped[1] - first.point.longitude) < 1e-7)

            // The case's own filters, with the grid and community codes.
            let grid = try #require(first.grid)
            let byGrid = try await client.execute(uri: "/collections/cases/items?status=open&grid=\(grid)&community=\(CoverageRunsAPITests.community)", method: .get).json
            #expect(Self.features(byGrid).compactMap { $0["id"]?.stringValue } == cases.filter { $0.grid == grid }.map(\.code))
            let refuse = try await client.execute(uri: "/collections/cases/items?category=refuse-pile&limit=100", method: .get).json
            #expect(refuse["numberMatched"]?.intValue == cases.filter { $0.category == "refuse-pile" }.count)
            // Dispatched in March, the case's step is long past its deadline now.
            let overdueBefore = try await client.execute(uri: "/collections/cases/items?overdue=true", method: .get).json
            _ = try CaseRepository.transition(store: store, code: first.code, action: .dispatch, actor: "d", at: Self.monday9 + 3600)
            let overdue = try await client.execute(uri: "/collections/cases/items?overdue=true", method: .get).json
            #expect(overdue["numberMatched"]?.intValue == (overdueBefore["numberMatched"]?.intValue ?? -1) + (overdueBefore.features(containing: first.code) ? 0 : 1))
            let red = Self.features(overdue).first { $0["id"]?.stringValue == first.code }
            #expect(red?["properties"]?["light"] == "red" && red?["properties"]?["overdue"] == .bool(true) && red?["properties"]?["state"] == "dispatched")
            let bad = try await client.execute(uri: "/collections/cases/items?status=pending", method: .get)
            #expect(bad.status == .badRequest && bad.text.contains("status"))
        }
        #expect(try CaseRepository.inconsistent(store: store).isEmpty)
    }
}

private extension JSONValue {
    func features(containing code: String) -> Bool {
        (self["features"]?.arrayValue ?? []).contains { $0["id"]?.stringValue == code }
    }
}
