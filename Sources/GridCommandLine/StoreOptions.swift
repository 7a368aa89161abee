import ArgumentParser
import GridStore

/// `--db FILE`, accepted before or after the subcommand.
public struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The Spatialite store file.", valueName: "FILE"))
    public var db: String?

    public init() {}

    public func path() throws -> String {
        guard let db, !db.isEmpty else { throw ValidationError("missing --db FILE (the Spatialite store)") }
        return db
    }

    public func open() throws -> Store { try Store.open(path: try path()) }
}
