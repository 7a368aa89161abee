import Foundation
import GRDB
import GridCases
import GridModel
import GridServer
import GridStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A client of Open311 GeoReport v2 written from the specification (http://wiki.open311.org/GeoReport_v2):
/// field names, types and the error shape `[{code, description}]`, against a real server on 127.0.0.1.
@Suite("Open311 and cases over HTTP", .serialized)
struct Open311APITests {
    static let requestFields = ["service_request_id", "status", "status_notes", "service_name", "service_code", "description",
                                "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
                                "address", "address_id", "zipcode", "lat", "long", "media_url"]

    /// A fresh demo store with a grid worker on one grid, and a building of that grid.
    static func prepared() throws -> (DemoStore, grid: String, point: Coordinate) {
        let demo = try DemoStore()
        let (grid, point): (String, Coordinate) = try demo.store.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT p.grid_code, X(b.point), Y(b.point) FROM buildings b JOIN building_places p ON p.building_id = b.id
                WHERE p.grid_code IS NOT NULL AND b.households > 0 ORDER BY b.id LIMIT 1
                """)!
            return (row[0], Coordinate(longitude: row[1], latitude: row[2]))
        }
        try CaseSetup.addWorker(store: demo.store, code: "gw-1", name: "李四", role: .gridWorker, department: nil)
        try CaseSetup.assign(store: demo.store, worker: "gw-1", grid: grid, from: 0)
        return (demo, grid, point)
    }

    static func form(_ fields: [(String, String)]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: fields.map { "\($0.0.addingPercentEncoding(withAllowedCharacters: allowed)!)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed)!)" }
            .joined(separator: "&"))
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    /// An Open311 error: an array of objects with a numeric code equal to the status, and a description.
    static func expectError(_ response: LiveResponse, _ status: Int) throws {
        #expect(response.status.code == status)
        let array = try #require(try response.json.arrayValue)
        #expect(array.count == 1 && array[0]["code"]?.intValue == status && !(array[0]["description"]?.stringValue ?? "").isEmpty, "\(response.text)")
    }

    @Test("discovery, services and service definitions have the spec's fields; unknown ones answer 404 in the error shape")
    func services() async throws {
        let (demo, _, _) = try Self.prepared()
        try await application(demo.store).testLive { client in
            let discovery = try await client.execute(uri: "/open311/v2/discovery.json", method: .get).json
            let endpoint = try #require(discovery["endpoints"]?.arrayValue?.first)
            #expect(endpoint["specification"]?.stringValue == "http://wiki.open311.org/GeoReport_v2")
            #expect(endpoint["formats"]?.arrayValue?.contains(.string("application/json")) == true)
            let services = try #require(try await client.execute(uri: "/open311/v2/services.json", method: .get).json.arrayValue)
            #expect(services.count == CaseCatalog.shipped.categories.count)
            for service in services {
                #expect(service["service_code"]?.stringValue != nil && service["service_name"]?.stringValue != nil)
                #expect(service["description"]?.stringValue != nil && service["metadata"]?.boolValue != nil)
                #expect(["realtime", "batch", "blackbox"].contains(service["type"]?.stringValue ?? ""))
                #expect(service["keywords"]?.stringValue != nil && service["group"]?.stringValue != nil)
            }
            let definition = try await client.execute(uri: "/open311/v2/services/refuse-pile.json", method: .get).json
            #expect(definition["service_code"]?.stringValue == "refuse-pile")
            for attribute in definition["attributes"]?.arrayValue ?? [] {
                for field in ["variable", "code", "datatype", "required", "datatype_description", "order", "description"] {
                    #expect(attribute[field] != nil, "attribute lacks \(field)")
                }
                #expect(["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"].contains(attribute["datatype"]?.stringValue ?? ""))
                for value in attribute["values"]?.arrayValue ?? [] { #expect(value["key"] != nil && value["name"] != nil) }
            }
            try Self.expectError(try await client.execute(uri: "/open311/v2/services/no-such-service.json", method: .get), 404)
        }
    }

    @Test("POST requests: 403 without a valid api_key, 400 for a bad request, 201 with service_request_id; GET requests by id, status and service")
    func requests() async throws {
        let (demo, grid, point) = try Self.prepared()
        let key = try CaseSetup.addReporterKey(store: demo.store, name: "street app", now: 0)
        try await application(demo.store).testLive { client in
            let base: [(String, String)] = [("service_code", "refuse-pile"), ("lat", String(point.latitude)), ("long", String(point.longitude)),
                                            ("description", "垃圾堆积在楼门口"), ("address_string", "1号楼"), ("media_url", "https://example.org/p.jpg")]
            try Self.expectError(try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: Self.formHeaders, body: Self.form(base)), 403)
            try Self.expectError(try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: Self.formHeaders,
                                                          body: Self.form(base + [("api_key", "wrong")])), 403)
            try Self.expectError(try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: Self.formHeaders,
                                                          body: Self.form(Array(base.dropFirst()) + [("api_key", key)])), 400)
            try Self.expectError(try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: Self.formHeaders,
                                                          body: Self.form([("service_code", "nope")] + Array(base.dropFirst()) + [("api_key", key)])), 400)
            let long = base.map { $0.0 == "description" ? ($0.0, String(repeating: "长", count: 4001)) : $0 }
            try Self.expectError(try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: Self.formHeaders,
                                                          body: Self.form(long + [("api_key", key)])), 400)
            #expect(try demo.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM cases") } == 0)

            let created = try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: Self.formHeaders, body: Self.form(base + [("api_key", key)]))
            #expect(created.status == .created)
            let receipt = try #require(try created.json.arrayValue?.first)
            let id = try #require(receipt["service_request_id"]?.stringValue)
            let firstNotice = receipt["service_notice"]?.stringValue ?? ""
            #expect(firstNotice.contains(grid))
            #expect(receipt.objectValue?.keys.contains("account_id") == true)
            // The write token is an api_key too.
            let second = try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: Self.formHeaders, body: Self.form(base + [("api_key", writeToken)]))
            #expect(second.status == .created)
            let secondID = try #require(try second.json.arrayValue?.first?["service_request_id"]?.stringValue)
            let notice = try second.json.arrayValue?.first?["service_notice"]?.stringValue ?? ""
            #expect(notice.contains(id), "the first report is offered as a duplicate: \(notice)")

            let single = try #require(try await client.execute(uri: "/open311/v2/requests/\(id).json", method: .get).json.arrayValue)
            #expect(single.count == 1)
            let request = single[0]
            for field in Self.requestFields { #expect(request[field] != nil, "request lacks \(field)") }
            #expect(request["status"]?.stringValue == "open" && request["service_code"]?.stringValue == "refuse-pile")
            #expect(request["description"]?.stringValue == "垃圾堆积在楼门口" && request["address"]?.stringValue == "1号楼")
            #expect(request["media_url"]?.stringValue == "https://example.org/p.jpg")
            #expect(abs((request["lat"]?.doubleValue ?? 0) - point.latitude) < 1e-9 && abs((request["long"]?.doubleValue ?? 0) - point.longitude) < 1e-9)
            #expect(request["agency_responsible"]?.stringValue == "环境卫生")
            #expect(request["requested_datetime"]?.stringValue?.count == 25)
            try Self.expectError(try await client.execute(uri: "/open311/v2/requests/19990101-1.json", method: .get), 404)
            try Self.expectError(try await client.execute(uri: "/open311/v2/requests.json?status=pending", method: .get), 400)

            // Routed to the building's grid and its worker.
            let feature = try await client.execute(uri: "/collections/cases/items/\(id)", method: .get).json
            #expect(feature["properties"]?["grid_code"]?.stringValue == grid && feature["properties"]?["worker"]?.stringValue == "gw-1")
            #expect(feature["properties"]?["community_code"]?.stringValue == String(grid.prefix(12)))

            // Through the loop over HTTP: a transition needs the bearer token; an illegal one is refused naming the allowed ones.
            let unauthorised = try await client.execute(uri: "/cases/\(id)/transitions", method: .post, body: ByteBuffer(string: #"{"action":"dispatch"}"#))
            #expect(unauthorised.status == .unauthorized)
            let bearer: HTTPFields = [.authorization: "Bearer \(writeToken)", .contentType: "application/json"]
            let illegal = try await client.execute(uri: "/cases/\(id)/transitions", method: .post, headers: bearer, body: ByteBuffer(string: #"{"action":"close"}"#))
            #expect(illegal.status == .conflict && illegal.text.contains("allowed: dispatch, void"))
            for action in ["dispatch", "accept", "feedback", "check", "close"] {
                let moved = try await client.execute(uri: "/cases/\(id)/transitions", method: .post, headers: bearer,
                                                     body: ByteBuffer(string: #"{"action":"\#(action)","actor":"tester","note":"ok"}"#))
                #expect(moved.status == .ok, "\(action): \(moved.text)")
            }
            let closed = try await client.execute(uri: "/open311/v2/requests.json?status=closed", method: .get).json.arrayValue ?? []
            #expect(closed.map { $0["service_request_id"]?.stringValue } == [id])
            let open = try await client.execute(uri: "/open311/v2/requests.json?status=open&service_code=refuse-pile", method: .get).json.arrayValue ?? []
            #expect(open.map { $0["service_request_id"]?.stringValue } == [secondID])
            let both = try await client.execute(uri: "/open311/v2/requests.json?service_request_id=\(id),\(secondID)", method: .get).json.arrayValue ?? []
            #expect(both.count == 2)

            // The OGC collection filters by status and grid; the stats are the command line's figures.
            let items = try await client.execute(uri: "/collections/cases/items?status=closed&grid=\(grid)", method: .get)
            #expect(items.headers[.contentType] == "application/geo+json")
            let itemsJSON = try items.json
            #expect(itemsJSON["features"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == [id])
            let overdue = try await client.execute(uri: "/collections/cases/items?overdue=true", method: .get).json
            #expect(overdue["numberMatched"]?.intValue == 0)
            let stats = try await client.execute(uri: "/cases/stats?by=grid", method: .get).json
            let unit = try #require(stats["units"]?.arrayValue?.first { $0["key"]?.stringValue == grid })
            #expect(unit["registered"]?.intValue == 2 && unit["closed"]?.intValue == 1 && unit["closure_rate"]?.doubleValue == 0.5)
            #expect(try demo.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM case_events") } == 7)
        }
        #expect(try CaseRepository.inconsistent(store: demo.store).isEmpty)
    }
}
