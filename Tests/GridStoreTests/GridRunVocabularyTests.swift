import Foundation
import GRDB
import GridServices
import GridStore
import Testing

@Suite("Grid runs: one vocabulary for the stored parameters")
struct GridRunVocabularyTests {
    @Test("migration v10-run-vocabulary renames stored parameters of runs and run requests; they read back the same")
    func migration() throws {
        let temporary = try CoverageStoreTests.demoStore()
        let community = try temporary.store.read { try String.fetchOne($0, sql: "SELECT code FROM communities ORDER BY code LIMIT 1") }!
        var parameters = GridRuns.Parameters()
        parameters.communities = [community]; parameters.minimum = 800; parameters.maximum = 1300; parameters.gridCount = 2
        parameters.fromCurrent = false; parameters.barriers = ["primary"]
        let run = try GridRebalance.run(store: temporary.store, parameters: parameters)
        let request = try GridRunRequests.reserve(store: temporary.store, parameters: parameters)
        func stored() throws -> [String] {
            try temporary.store.read { db in
                try String.fetchAll(db, sql: "SELECT parameters FROM grid_runs WHERE id = ? UNION ALL SELECT parameters FROM grid_run_requests WHERE id = ?",
                                    arguments: [run.id, request.id])
            }
        }
        let names = try stored().map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        #expect(names.allSatisfy { Set($0.keys) == ["communities", "min", "max", "grid_count", "from_current", "stability", "barriers"] })

        // The store as it was before v10: the first names the parameters were stored under.
        try temporary.store.write { db in
            for table in ["grid_runs", "grid_run_requests"] {
                try db.execute(sql: """
                    UPDATE \(table) SET parameters = json_remove(json_set(parameters, '$.minimum', parameters -> '$.min', '$.maximum', parameters -> '$.max',
                        '$.gridCount', parameters -> '$.grid_count', '$.fromCurrent', json(parameters -> '$.from_current')),
                        '$.min', '$.max', '$.grid_count', '$.from_current')
                    """)
            }
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v10-run-vocabulary'")
        }
        #expect(try stored().allSatisfy { $0.contains("\"fromCurrent\":false") && $0.contains("\"minimum\":800") })
        #expect(throws: (any Error).self) { try GridRuns.get(store: temporary.store, id: run.id) }

        let reopened = try Store.open(path: temporary.path)
        #expect(try GridRuns.get(store: reopened, id: run.id).parameters == parameters)
        let texts = try stored()
        #expect(texts.allSatisfy { !$0.contains("minimum") && !$0.contains("fromCurrent") && $0.contains("\"from_current\":false") })
        #expect(try texts.allSatisfy { try JSONDecoder().decode(GridRuns.Parameters.self, from: Data($0.utf8)) == parameters })
    }
}
