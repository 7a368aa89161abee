import Foundation
import GRDB

/// Rebalance runs accepted before their plan exists: the id is reserved at once, the run lands later under it.
public enum GridRunRequests {
    public enum Status: String, Sendable, Codable { case running, failed, done }

    public struct Request: Sendable {
        public var id: Int64
        public var createdAt: String
        public var status: Status
        public var error: String?
    }

    /// The next free run id, past both stored runs and reserved ones.
    static func nextID(_ db: Database) throws -> Int64 {
        let runs = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM grid_runs") ?? 0
        let requests = try Int64.fetchOne(db, sql: "SELECT coalesce(max(id), 0) FROM grid_run_requests") ?? 0
        return max(runs, requests) + 1
    }

    /// Reserves a run id for these parameters.
    public static func reserve(store: Store, parameters: GridRuns.Parameters) throws -> Request {
        let encoder = JSONEncoder.sorted
        let parametersJSON = String(decoding: try encoder.encode(parameters), as: UTF8.self)
        let created = ISO8601DateFormatter().string(from: Date())
        return try store.write { db in
            let id = try nextID(db)
            try db.execute(sql: "INSERT INTO grid_run_requests (id, created_at, parameters, status) VALUES (?, ?, ?, 'running')",
                           arguments: [id, created, parametersJSON])
            return Request(id: id, createdAt: created, status: .running, error: nil)
        }
    }

    public static func finish(store: Store, id: Int64, error: String?) throws {
        try store.write { db in
            try db.execute(sql: "UPDATE grid_run_requests SET status = ?, finished_at = ?, error = ? WHERE id = ?",
                           arguments: [error == nil ? "done" : "failed", ISO8601DateFormatter().string(from: Date()), error, id])
        }
    }

    public static func get(store: Store, id: Int64) throws -> Request? {
        try store.read { db in
            try Row.fetchOne(db, sql: "SELECT id, created_at, status, error FROM grid_run_requests WHERE id = ?", arguments: [id]).map {
                Request(id: $0[0], createdAt: $0[1], status: Status(rawValue: $0[2]) ?? .failed, error: $0[3])
            }
        }
    }

    /// Requests left `running` by a server that stopped (crash, kill -9) are marked failed when the next one starts.
    public static func failAbandoned(store: Store) throws {
        try store.write { db in
            try db.execute(sql: """
                UPDATE grid_run_requests SET status = 'failed', finished_at = ?, error = 'the server stopped before the plan was computed'
                WHERE status = 'running'
                """, arguments: [ISO8601DateFormatter().string(from: Date())])
        }
    }
}
