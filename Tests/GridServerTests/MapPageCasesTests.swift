import Foundation
import GRDB
import GridModel
import GridServer
import GridStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Cases on the map page: reported through the real Open311 API on the demo district, moved through the real
/// transitions API, then read by the page in headless Chromium, on both adapters.
@Suite("Cases on the map page in headless Chromium", .serialized)
struct MapPageCasesTests {
    @Test("cases by state and deadline light as /collections/cases gives them, a layer in the layer list, a case's history as its events",
          arguments: MapPageBrowserTests.libraries)
    func casesOnTheMap(library: String) async throws {
        guard let chromium = MapPageBrowserTests.chromium, MapPageBrowserTests.available(library) else { return }
        let (demo, _, _) = try Open311APITests.prepared()
        // Three buildings with households, in three different grids.
        let points: [Coordinate] = try demo.store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT X(b.point), Y(b.point) FROM buildings b JOIN building_places p ON p.building_id = b.id
                WHERE b.households > 0 AND p.grid_code IS NOT NULL GROUP BY p.grid_code ORDER BY p.grid_code LIMIT 3
                """).map { Coordinate(longitude: $0[0], latitude: $0[1]) }
        }
        #expect(points.count == 3)
        try await application(demo.store).testLive { client in
            var codes: [String] = []
            for (index, point) in points.enumerated() {
                let created = try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: Open311APITests.formHeaders, body: Open311APITests.form([
                    ("service_code", index == 1 ? "street-light" : "refuse-pile"), ("lat", String(point.latitude)), ("long", String(point.longitude)),
                    ("description", "测试案件 \(index + 1)"), ("api_key", writeToken)]))
                #expect(created.status == .created, "\(created.text)")
                codes.append(try #require(try created.json.arrayValue?.first?["service_request_id"]?.stringValue))
            }
            // The first is dispatched and accepted (its handling step runs), the second voided, the third stays registered.
            for (code, action) in [(codes[0], "dispatch"), (codes[0], "accept"), (codes[1], "void")] {
                let moved = try await client.execute(uri: "/cases/\(code)/transitions", method: .post,
                                                     headers: [.authorization: "Bearer \(writeToken)", .contentType: "application/json"],
                                                     body: ByteBuffer(string: #"{"action":"\#(action)","actor":"测试员","note":"\#(action) 备注"}"#))
                #expect(moved.status == .ok, "\(action): \(moved.text)")
            }
            let items = try await client.execute(uri: "/collections/cases/items", method: .get).json
            let features = items["features"]?.arrayValue ?? []
            #expect(features.count == 3)
            var states: [String: Int] = [:], lights: [String: Int] = [:]
            for feature in features {
                states[feature["properties"]?["state"]?.stringValue ?? "?", default: 0] += 1
                lights[feature["properties"]?["light"]?.stringValue ?? "none", default: 0] += 1
            }
            #expect(states == ["handling": 1, "void": 1, "registered": 1])
            let detail = try await client.execute(uri: "/collections/cases/items/\(codes[0])", method: .get).json
            let events = detail["properties"]?["events"]?.arrayValue ?? []
            #expect(events.map { $0["action"]?.stringValue ?? "" } == ["register", "dispatch", "accept"])

            let base = "http://127.0.0.1:\(try #require(client.port))/?lib=\(library)"
            let page = try await MapPageDOM.load(chromium, base + "#case=\(codes[0])",
                                                 screenshot: MapPageBrowserTests.screenshots.appendingPathComponent("demo-cases-\(library).png"))
            #expect(page.status("data-ready") == "true" && page.status("data-errors") == "0", "\(page.errors)")
            #expect(page.status("data-library") == library && page.status("data-cases") == "3")
            #expect(page.text(id: "cases-heading") == "案件（点击查看处理记录）")
            for (state, count) in states {
                let item = try #require(page.element("li", attribute: "data-state", value: state), "\(state)")
                #expect(item.contains(#"data-count="\#(count)""#), "\(item)")
            }
            for (light, count) in lights {
                let item = try #require(page.element("li", attribute: "data-light", value: light), "\(light)")
                #expect(item.contains(#"data-count="\#(count)""#), "\(item)")
            }
            #expect(page.element("li", attribute: "data-state", value: "handling")?.contains("处理") == true)
            #expect(page.element("li", attribute: "data-state", value: "void")?.contains("作废") == true)
            // The history: one row per event, in order, with the actor and the note as given.
            #expect(page.status("data-case") == codes[0] && page.status("data-case-events") == String(events.count))
            let rows = page.dom.matches(of: /<tr data-action="([a-z]+)" data-to="([a-z]+)">(.*?)<\/tr>/)
            #expect(rows.map { String($0.output.1) } == ["register", "dispatch", "accept"])
            #expect(rows.map { String($0.output.2) } == events.map { $0["to"]?.stringValue ?? "" })
            #expect(rows.count == 3 && rows[1].output.3.contains("测试员") && rows[1].output.3.contains("dispatch 备注") && rows[1].output.3.contains("派遣"))
            // The layer list has the cases as a layer of their own, shown.
            if library == "leaflet" {
                #expect(page.dom.firstMatch(of: /class="leaflet-control-layers-overlays">.*?<span> 案件<\/span>/) != nil)
                for code in codes { #expect(page.dom.contains(#"data-case="\#(code)""#), "\(code)") }
            } else {
                #expect(page.dom.contains(#"<input type="checkbox" data-layer="cases" checked=""> 案件"#) || page.dom.contains(#"<input type="checkbox" data-layer="cases" checked> 案件"#))
            }
            // In English: the legend's words change, the counts do not.
            let english = try await MapPageDOM.load(chromium, base + "#lang=en&case=\(codes[1])", screenshot: nil)
            #expect(english.status("data-ready") == "true" && english.status("data-errors") == "0", "\(english.errors)")
            #expect(english.text(id: "cases-heading") == "Cases (click for their history)")
            #expect(english.element("li", attribute: "data-state", value: "void")?.contains("void") == true)
            #expect(english.status("data-case") == codes[1] && english.status("data-case-events") == "2")
        }
    }
}
