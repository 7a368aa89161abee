import Foundation
import GRDB
@testable import GridStore
import Testing

/// The writing connection's page cache: large enough that a big transaction does not spill its pages to the WAL and
/// read them back, and let go after a write that filled it, so a server does not keep it.
@Suite struct WriterCacheTests {
    @Test func writerHasTheLargeCacheReadersTheDefault() throws {
        let temporary = try TemporaryStore()
        let writer = try temporary.store.write { try Int.fetchOne($0, sql: "PRAGMA cache_size") }
        let reader = try temporary.store.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") }
        #expect(writer == -Store.writerCacheKiB)
        #expect(reader == -2000)
    }

    @Test func largeTransactionIsCommittedWithoutSpillingAndItsCacheLetGo() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        // About 48 MB of pages in one transaction: more than the cache that is kept, less than the writer's cache.
        let rows = 12_000
        let cacheDuring = try store.write { db -> Int in
            try db.execute(sql: "CREATE TABLE filler (id INTEGER PRIMARY KEY, payload BLOB)")
            let insert = try db.makeStatement(sql: "INSERT INTO filler (payload) VALUES (zeroblob(4000))")
            for _ in 0..<rows { try insert.execute() }
            // Pages written out before the commit: what a small cache forces.
            #expect(Store.cacheSpilledPages(db) == 0)
            return Store.cacheUsedKiB(db)
        }
        #expect(cacheDuring > Store.writerCacheKeptKiB)
        #expect(store.writerCacheUsedKiB() <= Store.writerCacheKeptKiB)
        #expect(try temporary.count("filler") == rows)

        // A small write keeps its pages.
        try store.write { db in try db.execute(sql: "INSERT INTO filler (payload) VALUES (x'00')") }
        let afterSmall = store.writerCacheUsedKiB()
        #expect(afterSmall > 0)
        try store.write { db in try db.execute(sql: "DELETE FROM filler WHERE id = ?", arguments: [rows + 1]) }
        #expect(store.writerCacheUsedKiB() >= afterSmall / 2)
    }
}
