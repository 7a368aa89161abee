import Foundation
import GridModel
import GridStore
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Runs over HTTP: one vocabulary")
struct RunVocabularyAPITests {
    @Test("a run's parameters come back under the body's names; refusals name the field; a background run names it too")
    func vocabulary() async throws {
        let demo = try DemoStore()
        let community = try #require(try GridReports.communities(demo.store).first).code
        let auth: HTTPFields = [.authorization: "Bearer \(writeToken)"]
        try await application(demo.store).test(.router) { client in
            let body = #"{"communities": ["\#(community)"], "min": 800, "max": 1300, "grid_count": 3, "from_current": false, "stability": 0.5}"#
            let accepted = try await client.execute(uri: "/runs", method: .post, headers: auth, body: ByteBuffer(string: body))
            #expect(accepted.status == .accepted)
            let id = try #require(try accepted.json["id"]?.intValue)
            let sent = try JSONDecoder().decode(JSONValue.self, from: Data(body.utf8))
            #expect(try accepted.json["parameters"] == sent, "the 202 echoes the body")
            var run = try await client.execute(uri: "/runs/\(id)", method: .get).json
            for _ in 0..<600 where run["status"]?.stringValue == "running" {
                try await Task.sleep(for: .milliseconds(50))
                run = try await client.execute(uri: "/runs/\(id)", method: .get).json
            }
            #expect(run["status"] == "dry_run")
            #expect(run["parameters"] == sent, "the stored run reads back under the same names")
            let listed = try await client.execute(uri: "/runs", method: .get).json["runs"]?.arrayValue ?? []
            #expect(listed.first { $0["id"]?.intValue == id }?["parameters"] == sent)

            let range = try await client.execute(uri: "/runs", method: .post, headers: auth, body: ByteBuffer(string: #"{"min": 500, "max": 300}"#))
            #expect(range.status == .unprocessableContent)
            #expect(try range.json["code"] == "invalid-range" && range.json["parameter"] == "min")
            #expect(try range.json["detail"] == "min/max: need 1 ≤ min ≤ max (got 500, 300)")
            let unknown = try await client.execute(uri: "/runs", method: .post, headers: auth,
                                                   body: ByteBuffer(string: #"{"communities": ["999999999999"]}"#))
            #expect(try unknown.json["code"] == "unknown-community" && unknown.json["parameter"] == "communities")
            let barrier = try await client.execute(uri: "/runs", method: .post, headers: auth, body: ByteBuffer(string: #"{"barriers": ["主干道"]}"#))
            #expect(barrier.status == .badRequest)
            #expect(try barrier.json["parameter"] == "barriers" && !barrier.json["detail"]!.stringValue!.contains("--"))
            // The earlier echo names are not body names.
            let old = try await client.execute(uri: "/runs", method: .post, headers: auth, body: ByteBuffer(string: #"{"minimum": 300}"#))
            #expect(old.status == .badRequest)
            #expect(try old.json["parameter"] == "minimum")
        }
    }
}
