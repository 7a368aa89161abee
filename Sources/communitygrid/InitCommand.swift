import ArgumentParser
import GridCommandLine
import GridStore

struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a store (or bring an existing one up to date): Spatialite metadata, layers, spatial indexes.")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        let path = try store.path()
        _ = try Store.create(path: path)
        print("store ready: \(path)")
    }
}
