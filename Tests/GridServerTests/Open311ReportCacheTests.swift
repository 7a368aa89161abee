import Foundation
import GRDB
import GridCases
import GridModel
import GridServer
@testable import GridStore
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// A running server registers each posted request against the store as it is at that moment: a catalog, calendar,
/// worker or layer changed in between (by the server's own connection or another one) is used by the next request.
@Suite("Open311 requests follow the store's changes", .serialized)
struct Open311ReportCacheTests {
    @Test("POST requests: a changed catalog, calendar, grid worker or buildings layer is used by the next request")
    func followsChanges() async throws {
        let (demo, grid, point) = try Open311APITests.prepared()
        let store = demo.store
        try await application(store).testLive { client in
            func post(_ service: String) async throws -> LiveResponse {
                try await client.execute(uri: "/open311/v2/requests.json", method: .post, headers: Open311APITests.formHeaders,
                                         body: Open311APITests.form([("api_key", writeToken), ("service_code", service), ("lat", String(point.latitude)),
                                                                     ("long", String(point.longitude)), ("description", "d")]))
            }
            /// The stored case of a 201, as the collection shows it.
            func posted(_ service: String) async throws -> JSONValue {
                let response = try await post(service)
                #expect(response.status == .created, "\(response.text)")
                let id = try #require(try response.json.arrayValue?.first?["service_request_id"]?.stringValue)
                return try #require(try await client.execute(uri: "/collections/cases/items/\(id)", method: .get).json["properties"])
            }
            /// The department and deadline the uncached catalog and calendar give a case registered at `registered`.
            func expected(_ category: String, registeredAt text: String) throws -> (department: String, deadline: String?) {
                let (catalog, calendar) = try store.read { db in
                    (try CaseSetup.readCatalog(db), try CaseSetup.readCalendar(db))
                }
                let c = try #require(catalog.category(category))
                let at = try #require(calendar.parseInstant(text))
                let timeline = try CaseTimeline.replay([CaseEvent(action: .register, from: nil, to: .registered, at: at, actor: "write-token")],
                                                       limits: c.limits, calendar: calendar)
                return (c.department, timeline.handlingDeadline.map { calendar.format($0) })
            }
            func check(_ properties: JSONValue, _ category: String) throws {
                let want = try expected(category, registeredAt: try #require(properties["registered_at"]?.stringValue))
                #expect(properties["department"]?.stringValue == want.department)
                #expect(properties["handling_deadline"]?.stringValue == want.deadline)
            }
            let first = try await posted("refuse-pile")
            try check(first, "refuse-pile")
            #expect(first["worker"]?.stringValue == "gw-1" && first["grid_code"]?.stringValue == grid)

            // The catalog, through the server's own store: refuse-pile moves department and limit, noise is no longer a service.
            let shipped = try CaseSetup.catalog(store)
            let department = try #require(first["department"]?.stringValue)
            let other = try #require(shipped.departments.first { $0.code != department }).code
            let changed = try CaseCatalog(name: "changed", departments: shipped.departments, categories: shipped.categories.compactMap { c in
                guard c.code != "noise" else { return nil }
                var c = c
                if c.code == "refuse-pile" { c.department = other; c.handlingLimit = TimeLimit.parse("3h")! }
                return c
            })
            try CaseSetup.install(catalog: changed, store: store)
            let second = try await posted("refuse-pile")
            #expect(second["department"]?.stringValue == other)
            try check(second, "refuse-pile")
            let refused = try await post("noise")
            #expect(refused.status == .badRequest && refused.text.contains("noise is not a service"), "\(refused.text)")

            // The calendar and the catalog again, through another connection to the file.
            let elsewhere = try Store.open(path: store.path)
            try CaseSetup.saveCalendar(try WorkingCalendar(utcOffsetMinutes: 480, periods: [(0, 1440)], workingWeekdays: Set(1...7)), store: elsewhere)
            try CaseSetup.install(catalog: shipped, store: elsewhere)
            let third = try await posted("refuse-pile")
            #expect(third["department"]?.stringValue == department)
            try check(third, "refuse-pile")
            try check(try await posted("noise"), "noise")

            // The grid's worker.
            try CaseSetup.addWorker(store: store, code: "gw-2", name: "王五", role: .gridWorker, department: nil)
            try CaseSetup.assign(store: store, worker: "gw-2", grid: grid, from: Int64(Date().timeIntervalSince1970) - 1)
            #expect(try await posted("refuse-pile")["worker"]?.stringValue == "gw-2")

            // The buildings layer: 1,000 more households in the report's own building are within its 5 minutes.
            let before = try #require(try await posted("refuse-pile")["households_nearby"]?.intValue)
            let building = try #require(third["building_id"]?.intValue)
            try store.write { try $0.execute(sql: "UPDATE buildings SET households = households + 1000 WHERE id = ?", arguments: [building]) }
            #expect(try await posted("refuse-pile")["households_nearby"]?.intValue == before + 1000)
        }
        #expect(try CaseRepository.inconsistent(store: store).isEmpty)
    }
}
