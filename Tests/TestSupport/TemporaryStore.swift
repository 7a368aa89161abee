import Foundation
import GRDB
import GridStore
import Testing

/// A fresh store in its own temporary folder; the folder goes when the value does.
public final class TemporaryStore {
    public let folder: TemporaryDirectory
    public let store: Store
    public var directory: URL { folder.url }
    public var path: String { store.path }

    public init() throws {
        folder = try TemporaryDirectory()
        store = try Store.create(path: folder.path("store.sqlite"))
    }

    public func file(_ name: String, _ text: String) throws -> String { try folder.file(name, text) }

    public func file(_ name: String, bytes: Data) throws -> String { try folder.file(name, bytes: bytes) }

    public func count(_ table: String) throws -> Int {
        try store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM \(table)") ?? 0 }
    }

    /// Every layer's row count and a checksum of its content: equal fingerprints mean an unchanged store.
    public func fingerprint() throws -> [String] {
        try store.read { db in
            try ["communities", "grids", "buildings", "facilities", "network_edges", "household_register", "import_log"].map { table in
                let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
                let content = try Row.fetchAll(db, sql: "SELECT * FROM \(table) ORDER BY id").map(\.description).joined(separator: "\n")
                return "\(table):\(rows):\(content.hashValue)"
            }
        }
    }

    /// Expects `importing` to be refused with a user error naming `path` and every word, the store unchanged.
    public func expectRefused(_ path: String, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation,
                              _ importing: (Store) throws -> Void) throws {
        let before = try fingerprint()
        expectUserError(naming: path, mentioning: words, sourceLocation: sourceLocation) { try importing(store) }
        #expect(try fingerprint() == before, "the refused input changed the store", sourceLocation: sourceLocation)
    }
}

/// Expects `body` to throw a user error (bad input, not an internal failure) whose text names `path` and contains
/// every word; prints the message when it does not.
public func expectUserError(naming path: String, mentioning words: [String], sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () throws -> Void) {
    #expect(sourceLocation: sourceLocation) {
        try body()
    } throws: { error in
        guard let error = error as? StoreError, error.isUserError else { return false }
        let text = error.description
        let named = text.contains(path) && words.allSatisfy { text.contains($0) }
        if !named { Issue.record("unexpected message: \(text)", sourceLocation: sourceLocation) }
        return named
    }
}
