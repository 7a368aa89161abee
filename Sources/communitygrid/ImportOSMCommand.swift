import ArgumentParser
import Foundation
import GridCommandLine
import GridStore

struct ImportOSM: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "osm",
        abstract: "Import an OpenStreetMap file (.osm, .osm.gz, .osm.pbf): walking network, buildings, facilities.",
        discussion: """
            Replaces the store's earlier OSM network, buildings and facilities unless --append is given.
            Rules (walk filter, household estimate, facility categories) come from --rules FILE or the
            shipped defaults (`communitygrid rules` prints them).
            """)

    @OptionGroup var store: StoreOptions
    @Argument(help: "The OSM file.") var path: String
    @Option(help: ArgumentHelp("Import rules as JSON (default: the shipped rules).", valueName: "FILE")) var rules: String?
    @Flag(help: "Keep what earlier OSM imports stored.") var append = false
    @OptionGroup var output: ImportOutput

    func run() async throws {
        let store = try self.store.open()
        let rules = try Rules.load(self.rules)
        let summary = try OSMImporter.run(store: store, path: path, rules: rules, append: append) { Console.progress($0) }
        Console.endProgress()
        try output.show(summary)
    }
}
